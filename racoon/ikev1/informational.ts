// The informational exchange under an established phase 1 (RFC 2409 §5.7): HDR*, HASH(1), N/D with
// HASH(1) = prf(SKEYID_a, M-ID | N/D). Builders for DELETE (RFC 2408 §3.15) and notifications, and the check
// and decode of a received one.
import { equalCT } from '../../common/bytes.js';
import type { Rng } from '../../common/rng.js';
import * as C from '../isakmp/constants.js';
import { IsakmpError } from '../isakmp/codec.js';
import { encodePayloadChain, type IsakmpMessage, type IsakmpPayload } from '../isakmp/message.js';
import { infoHash } from './oakley.js';
import type { Phase1 } from './handles.js';
import { buildMessage, exchangeIv, newMsgid, openMessage, rawChain } from './message.js';
import { isakmpSpi } from './notify.js';

/** An encrypted informational message carrying `payloads` (delete or notify). */
export function buildInfo(ph1: Phase1, rng: Rng, payloads: IsakmpPayload[]): Uint8Array {
  const msgid = newMsgid(ph1, rng);
  const k = ph1.keys!;
  const h = infoHash(k.hash, k.a, msgid, encodePayloadChain(payloads));
  return buildMessage(ph1, C.ISAKMP_ETYPE_INFO, msgid, [{ type: C.ISAKMP_NPTYPE_HASH, body: h }, ...payloads], {
    iv: exchangeIv(ph1, msgid),
  }).bytes;
}

/** DELETE payloads for IPsec SPIs of one protocol (our inbound SPIs, which the peer uses outbound). */
export function deletePayload(protoId: number, spis: Uint8Array[]): IsakmpPayload {
  return { type: C.ISAKMP_NPTYPE_D, body: { doi: C.IPSEC_DOI, protoId, spiSize: spis[0]?.length ?? 4, spis } };
}

/** DELETE of the ISAKMP SA itself: the SPI is the cookie pair (RFC 2408 §3.15). */
export function deleteIsakmpPayload(ph1: Phase1): IsakmpPayload {
  return {
    type: C.ISAKMP_NPTYPE_D,
    body: { doi: C.IPSEC_DOI, protoId: C.IPSECDOI_PROTO_ISAKMP, spiSize: 16, spis: [isakmpSpi(ph1)] },
  };
}

/** Decrypts and authenticates a received informational message; throws IsakmpError when HASH(1) is wrong. */
export function openInfo(ph1: Phase1, msg: IsakmpMessage): IsakmpPayload[] {
  if (!msg.encrypted) throw new IsakmpError(C.ISAKMP_NTYPE_INVALID_FLAGS, 'unencrypted informational after phase 1');
  const o = openMessage(ph1, msg.header.np, msg.encrypted, exchangeIv(ph1, msg.header.msgid));
  const raw = rawChain(o.plain, msg.header.np);
  if (raw[0]?.type !== C.ISAKMP_NPTYPE_HASH)
    throw new IsakmpError(C.ISAKMP_NTYPE_INVALID_HASH_INFORMATION, 'informational without HASH');
  const k = ph1.keys!;
  const want = infoHash(k.hash, k.a, msg.header.msgid, o.plain.slice(raw[0]!.end));
  if (!equalCT(want, o.payloads[0]!.body as Uint8Array))
    throw new IsakmpError(C.ISAKMP_NTYPE_INVALID_HASH_INFORMATION, 'informational HASH mismatch');
  return o.payloads.slice(1);
}
