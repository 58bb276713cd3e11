// NAT detection in IKE_SA_INIT (RFC 7296 §2.23): the NAT_DETECTION_SOURCE_IP / _DESTINATION_IP notifies we
// send, and what the peer's say — a NAT before us when its DESTINATION hash is not of our address and port, a
// NAT before the peer when none of its SOURCE hashes is of the address and port we received from.
// `nat_traversal force` spoils our SOURCE hash so that both ends see a NAT and use UDP encapsulation
// (strongSwan's `encap = yes` does the same).
import { equalCT } from '../../common/bytes.js';
import type { Endpoint } from '../engine/datagram.js';
import { IKEV2_PAYLOAD_NOTIFY } from './constants.js';
import { natDetectionHash } from './notify-data.js';
import { IKEV2_N_NAT_DETECTION_DESTINATION_IP, IKEV2_N_NAT_DETECTION_SOURCE_IP } from './notify-types.js';
import type { Ikev2Payload } from './payload-chain.js';
import { ikeNotify, type Ikev2Notify } from './payloads/notify.js';

/** The two NAT detection notifies of one IKE_SA_INIT message (SPIr zero in the request). */
export function natdPayloads(
  spiI: Uint8Array,
  spiR: Uint8Array,
  local: Endpoint,
  remote: Endpoint,
  force: boolean,
): Ikev2Payload[] {
  const src = natDetectionHash(spiI, spiR, local.addr, local.port);
  if (force) src[0]! ^= 0xff; // a hash no address gives: the peer sees a NAT in front of us
  const dst = natDetectionHash(spiI, spiR, remote.addr, remote.port);
  return [
    { type: IKEV2_PAYLOAD_NOTIFY, body: ikeNotify(IKEV2_N_NAT_DETECTION_SOURCE_IP, src) },
    { type: IKEV2_PAYLOAD_NOTIFY, body: ikeNotify(IKEV2_N_NAT_DETECTION_DESTINATION_IP, dst) },
  ];
}

export interface NatResult {
  /** A NAT in front of this end (our address or port was changed on the way). */
  local: boolean;
  /** A NAT in front of the peer. */
  remote: boolean;
}

/**
 * What the peer's NAT detection notifies say about the path the message took (`local` is where it arrived,
 * `remote` where it came from); undefined when the peer sent none (it does not support NAT traversal).
 */
export function detectNat(
  notifies: readonly Ikev2Notify[],
  spiI: Uint8Array,
  spiR: Uint8Array,
  local: Endpoint,
  remote: Endpoint,
): NatResult | undefined {
  const srcs = notifies.filter((n) => n.notifyType === IKEV2_N_NAT_DETECTION_SOURCE_IP);
  const dst = notifies.find((n) => n.notifyType === IKEV2_N_NAT_DETECTION_DESTINATION_IP);
  if (srcs.length === 0 || !dst) return undefined;
  const me = natDetectionHash(spiI, spiR, local.addr, local.port);
  const peer = natDetectionHash(spiI, spiR, remote.addr, remote.port);
  const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && equalCT(a, b);
  return { local: !same(dst.data, me), remote: !srcs.some((s) => same(s.data, peer)) };
}
