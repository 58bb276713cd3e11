// What IKE_SA_INIT announces beyond the SA itself, per remote: SIGNATURE_HASH_ALGORITHMS when it authenticates
// with certificates (RFC 7427 §4), IKEV2_FRAGMENTATION_SUPPORTED when `ike_frag` is on (RFC 7383 §2.3; the
// responder answers it only when the initiator sent it), and the responder's CERTREQ naming `ca_type` (RFC 7296
// §1.2, §3.7). What the peer announced is kept on the IKE SA for IKE_AUTH and for sending.
import type { EngineCtx } from '../engine/context.js';
import { usesCertificates } from './auth.js';
import { certReqPayloads, OUR_SIGNATURE_HASHES } from './cert-auth.js';
import { decodeHashAlgorithms, encodeHashAlgorithms } from './notify-data.js';
import * as N from './notify-types.js';
import type { Ikev2Payload } from './payload-chain.js';
import { findNotify, notifyPayload } from './payload-util.js';
import type { IkeSa } from './records.js';

/** Our extra IKE_SA_INIT payloads; `peer` is the request when we answer it. */
export function initExtras(ctx: EngineCtx, sa: IkeSa, peer?: readonly Ikev2Payload[]): Ikev2Payload[] {
  const rm = sa.rmconf;
  const out: Ikev2Payload[] = [];
  if (usesCertificates(rm)) {
    if (!sa.initiator) out.push(...certReqPayloads(sa, ctx.auth.get(rm)));
    out.push(notifyPayload(N.IKEV2_N_SIGNATURE_HASH_ALGORITHMS, encodeHashAlgorithms(OUR_SIGNATURE_HASHES)));
  }
  const peerFrag = peer ? findNotify(peer, N.IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED) !== undefined : true;
  if (rm.ikeFrag !== 'off' && peerFrag) out.push(notifyPayload(N.IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED));
  return out;
}

/** Records what the peer's IKE_SA_INIT message announced. */
export function takePeerExtras(sa: IkeSa, peer: readonly Ikev2Payload[]): void {
  const h = findNotify(peer, N.IKEV2_N_SIGNATURE_HASH_ALGORITHMS);
  const hashes = h ? decodeHashAlgorithms(h.data) : undefined;
  if (hashes) sa.peerSigHashes = hashes;
  sa.fragmentation =
    sa.rmconf.ikeFrag !== 'off' && findNotify(peer, N.IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED) !== undefined;
}
