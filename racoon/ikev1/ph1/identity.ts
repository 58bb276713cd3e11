// Phase 1 identities: ours from `my_identifier` (RFC 2407 §4.6.2) and the checks on the peer's
// (ipsecdoi_checkid1, peers_identifier), which also narrow the responder's choice of remote.
import * as C from '../../isakmp/constants.js';
import { IsakmpError } from '../../isakmp/codec.js';
import type { IsakmpId } from '../../isakmp/payloads/id.js';
import type { IdSpec } from '../../conf/ast.js';
import type { Phase1 } from '../handles.js';
import { checkPeersIdentifier, usesSignatures, type AuthCtx } from './auth.js';
import { narrowById } from './remote-choice.js';
import { fail, type Ph1Ctx } from './step.js';

/**
 * Our phase 1 identity from `my_identifier` (default: the local address, RFC 2407 §4.6.2); asn1dn and keyid
 * values come loaded with the remote's certificates (an asn1dn without a value is our certificate's subject).
 */
export function myPh1Id(ph1: Phase1, ctx: AuthCtx): IsakmpId {
  const spec: IdSpec | undefined = ph1.rmconf.myIdentifier;
  const loaded = ctx.auth(ph1.rmconf).myId;
  if (spec && spec.type !== 'address' && loaded) return { ...loaded, protocol: 0, port: 0 };
  switch (spec?.type) {
    case 'asn1dn':
    case 'keyid':
      throw new IsakmpError(
        C.ISAKMP_NTYPE_INVALID_ID_INFORMATION,
        `remote ${ph1.rmconf.name}: my_identifier ${spec.type} has no value`,
      );
    default: {
      const a = spec?.addr ?? ph1.local.addr;
      return {
        idType: a.length === 4 ? C.IPSECDOI_ID_IPV4_ADDR : C.IPSECDOI_ID_IPV6_ADDR,
        protocol: 0,
        port: 0,
        data: a,
      };
    }
  }
}

/**
 * ipsecdoi_checkid1 and the identity checks of the peer's phase 1 ID: in main mode with pre-shared keys only
 * address IDs (the key was found by address), then peers_identifier; the responder first narrows its remote.
 */
export function takePeerId(ph1: Phase1, id: IsakmpId, ctx: Ph1Ctx): void {
  const isAddr = id.idType === C.IPSECDOI_ID_IPV4_ADDR || id.idType === C.IPSECDOI_ID_IPV6_ADDR;
  if (ph1.etype === C.ISAKMP_ETYPE_IDENT && !usesSignatures(ph1) && !isAddr)
    fail(
      C.ISAKMP_NTYPE_INVALID_ID_INFORMATION,
      `Expecting IP address type in main mode, but ${C.nameOf(C.IPSECDOI_ID_NAMES, id.idType)}.`,
    );
  if (ph1.side === 'responder') narrowById(ph1, id, ctx);
  checkPeersIdentifier(ph1, id, ctx);
  ph1.peerId = id;
}
