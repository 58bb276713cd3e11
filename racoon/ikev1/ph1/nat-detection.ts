// NAT-Traversal detection in phase 1 (RFC 3947 §3): the vendor ID that announces support, and the NAT-D
// payloads that tell each side whether an address was translated on the way.
import { equalCT } from '../../../common/bytes.js';
import * as C from '../../isakmp/constants.js';
import type { IsakmpMessage, IsakmpPayload } from '../../isakmp/message.js';
import type { Phase1 } from '../handles.js';
import { allPayloads } from '../message.js';
import * as O from '../oakley.js';

/** RFC 3947 §3.1: the NAT-T vendor ID is MD5("RFC 3947"). */
export const VID_RFC3947 = new Uint8Array(Buffer.from('4a131c81070358455c5728f20e95452f', 'hex'));
/** draft-ietf-ipsec-nat-t-ike-02\n, still sent by many peers. */
export const VID_NATT_DRAFT02N = new Uint8Array(Buffer.from('90cb80913ebb696e086381b5ec427b1f', 'hex'));

function nattWanted(ph1: Phase1): boolean {
  return ph1.rmconf.natTraversal !== 'off';
}

/** Our NAT-T vendor ID, when the remote allows NAT traversal. */
export function vids(ph1: Phase1): IsakmpPayload[] {
  return nattWanted(ph1) ? [{ type: C.ISAKMP_NPTYPE_VID, body: VID_RFC3947 }] : [];
}

/** Marks the peer as NAT-T capable when it sent the RFC 3947 vendor ID. */
export function noteVids(ph1: Phase1, msg: Pick<IsakmpMessage, 'payloads'>): void {
  if (!nattWanted(ph1)) return;
  for (const v of allPayloads(msg.payloads, C.ISAKMP_NPTYPE_VID)) {
    if (equalCT(v.body, VID_RFC3947)) ph1.nattPeer = true;
  }
}

/** RFC 3947 §3.2: NAT-D for the peer's address, then ours; `force` spoils ours so both sides see a NAT. */
export function natdPayloads(ph1: Phase1): IsakmpPayload[] {
  if (!ph1.nattPeer) return [];
  const h = ph1.approval!.hash;
  const remote = O.natdHash(h, ph1.icookie, ph1.rcookie, ph1.remote.addr, ph1.remote.port);
  const localAddr = ph1.rmconf.natTraversal === 'force' ? new Uint8Array(ph1.local.addr.length) : ph1.local.addr;
  const local = O.natdHash(h, ph1.icookie, ph1.rcookie, localAddr, ph1.local.port);
  return [
    { type: C.ISAKMP_NPTYPE_NATD_RFC, body: remote },
    { type: C.ISAKMP_NPTYPE_NATD_RFC, body: local },
  ];
}

/** Compares the peer's NAT-D payloads with what the addresses hash to (RFC 3947 §3.2). */
export function checkNatd(ph1: Phase1, msg: Pick<IsakmpMessage, 'payloads'>): void {
  if (!ph1.nattPeer) return;
  const list = msg.payloads.filter((p) => p.type === C.ISAKMP_NPTYPE_NATD_RFC).map((p) => p.body as Uint8Array);
  if (list.length < 2) {
    ph1.nattPeer = false;
    return;
  }
  const h = ph1.approval!.hash;
  const meAsSeen = O.natdHash(h, ph1.icookie, ph1.rcookie, ph1.local.addr, ph1.local.port);
  const peer = O.natdHash(h, ph1.icookie, ph1.rcookie, ph1.remote.addr, ph1.remote.port);
  const iAmNatted = !equalCT(list[0]!, meAsSeen);
  const peerNatted = !list.slice(1).some((d) => equalCT(d, peer));
  ph1.natDetected = iAmNatted || peerNatted || ph1.rmconf.natTraversal === 'force';
}
