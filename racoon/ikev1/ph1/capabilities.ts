// The phase 1 extensions announced by vendor ID besides NAT-T: dead peer detection (RFC 3706 §5) and racoon's
// IKE fragmentation (ipsec-tools isakmp_frag.c: the FRAGMENTATION hash plus a capability word). The initiator
// announces what its remote enables; the responder answers only what the peer announced (racoon
// isakmp_ident.c ident_i1send / ident_r1send, vendorid.c handle_vendorid).
import { equalCT, u32 } from '../../../common/bytes.js';
import type { RemoteConf } from '../../conf/ast.js';
import * as C from '../../isakmp/constants.js';
import type { IsakmpPayload } from '../../isakmp/message.js';
import { VENDORID_DPD, VENDORID_FRAG } from '../../isakmp/vendor-ids.js';
import { newDpdState } from '../dpd.js';
import type { Phase1 } from '../handles.js';

/** racoon isakmp_frag.h: the capability bits after the FRAGMENTATION hash; main mode needs VENDORID_FRAG_IDENT. */
export const VENDORID_FRAG_IDENT = 0x80000000;
export const VENDORID_FRAG_BASE = 0x40000000;
const MD5_LEN = 16;

/** What a phase 1 starts with: fragments are sent from the start only by an initiator with `ike_frag force`. */
export function initialCapabilities(rm: RemoteConf, side: Phase1['side']): Pick<Phase1, 'dpd' | 'frag'> {
  return {
    dpd: newDpdState(),
    frag: { send: side === 'initiator' && rm.ikeFrag === 'force', peer: false },
  };
}

/** racoon vendorid_frag_cap: the capability word, 0 when the vendor ID is too short to carry one. */
export function fragCapability(vid: Uint8Array): number {
  return vid.length >= MD5_LEN + 4 ? u32(vid, MD5_LEN) : 0;
}

/** The capability bit of racoon's fragmentation vendor ID for an exchange (isakmp_frag_addcap in each mode). */
function fragCapFor(etype: number): number {
  return etype === C.ISAKMP_ETYPE_BASE ? VENDORID_FRAG_BASE : VENDORID_FRAG_IDENT;
}

/** Our FRAGMENTATION vendor ID: the hash and the capability word of the exchange (base mode: its own bit). */
function fragVid(etype: number): Uint8Array {
  const v = new Uint8Array(MD5_LEN + 4);
  v.set(VENDORID_FRAG.vid.subarray(0, MD5_LEN));
  new DataView(v.buffer).setUint32(MD5_LEN, fragCapFor(etype));
  return v;
}

function isFragVid(v: Uint8Array): boolean {
  return v.length >= MD5_LEN && equalCT(v.subarray(0, MD5_LEN), VENDORID_FRAG.vid.subarray(0, MD5_LEN));
}

function isDpdVid(v: Uint8Array): boolean {
  return v.length === VENDORID_DPD.vid.length && equalCT(v, VENDORID_DPD.vid);
}

/** Our DPD and FRAGMENTATION vendor IDs for the first message of each side. */
export function capabilityVids(ph1: Phase1): IsakmpPayload[] {
  const rm = ph1.rmconf;
  const initiator = ph1.side === 'initiator';
  const out: IsakmpPayload[] = [];
  // `ike_frag on|force` announces that we accept fragments (racoon.conf(5): receiver side).
  if (rm.ikeFrag !== 'off' && (initiator || ph1.frag?.peer))
    out.push({ type: C.ISAKMP_NPTYPE_VID, body: fragVid(ph1.etype) });
  if (rm.dpd && (initiator || ph1.dpd?.peer)) out.push({ type: C.ISAKMP_NPTYPE_VID, body: VENDORID_DPD.vid.slice() });
  return out;
}

/**
 * The peer's vendor IDs: DPD when our remote has `dpd on`; FRAGMENTATION with the main mode capability means
 * the peer reassembles, so our messages larger than the fragment size go out fragmented (the sender side is
 * always on in racoon, whatever `ike_frag` says).
 */
export function noteCapabilities(ph1: Phase1, payloads: readonly IsakmpPayload[]): void {
  ph1.dpd ??= newDpdState();
  ph1.frag ??= { send: false, peer: false };
  for (const p of payloads) {
    if (p.type !== C.ISAKMP_NPTYPE_VID) continue;
    if (isDpdVid(p.body) && ph1.rmconf.dpd) ph1.dpd.peer = true;
    if (isFragVid(p.body) && fragCapability(p.body) & fragCapFor(ph1.etype)) {
      ph1.frag.peer = true;
      ph1.frag.send = true;
    }
  }
}
