// The phase 1 extensions announced by vendor ID besides NAT-T: dead peer detection (RFC 3706 §5). The initiator
// announces what its remote enables; the responder answers only what the peer announced (racoon
// isakmp_ident.c ident_i1send / ident_r1send, vendorid.c handle_vendorid).
import { equalCT } from '../../../common/bytes.js';
import type { RemoteConf } from '../../conf/ast.js';
import * as C from '../../isakmp/constants.js';
import type { IsakmpPayload } from '../../isakmp/message.js';
import { VENDORID_DPD } from '../../isakmp/vendor-ids.js';
import { newDpdState } from '../dpd.js';
import type { Phase1 } from '../handles.js';

/** What a phase 1 starts with. */
export function initialCapabilities(_rm: RemoteConf, _side: Phase1['side']): Pick<Phase1, 'dpd'> {
  return { dpd: newDpdState() };
}

function isDpdVid(v: Uint8Array): boolean {
  return v.length === VENDORID_DPD.vid.length && equalCT(v, VENDORID_DPD.vid);
}

/** Our DPD vendor ID for the first message of each side. */
export function capabilityVids(ph1: Phase1): IsakmpPayload[] {
  const rm = ph1.rmconf;
  const initiator = ph1.side === 'initiator';
  const out: IsakmpPayload[] = [];
  if (rm.dpd && (initiator || ph1.dpd?.peer)) out.push({ type: C.ISAKMP_NPTYPE_VID, body: VENDORID_DPD.vid.slice() });
  return out;
}

/** The peer's vendor IDs: DPD when our remote has `dpd on`. */
export function noteCapabilities(ph1: Phase1, payloads: readonly IsakmpPayload[]): void {
  ph1.dpd ??= newDpdState();
  for (const p of payloads) {
    if (p.type !== C.ISAKMP_NPTYPE_VID) continue;
    if (isDpdVid(p.body) && ph1.rmconf.dpd) ph1.dpd.peer = true;
  }
}
