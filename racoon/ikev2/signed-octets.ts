// What the AUTH payload covers (RFC 7296 §2.15): InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI
// (and the responder's mirror), and the shared-key AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), octets),
// also used with an EAP MSK as the secret (§2.16). The MACs are compared in constant time.
import type { IkePrf } from '../../crypto/ike-prf.js';
import { concat, equalCT, wipe } from '../../common/bytes.js';
import { encodeId, type Ikev2Id } from './payloads/id.js';

/** §2.15: the 17 ASCII characters, without a terminating NUL. */
export const IKEV2_KEY_PAD = new TextEncoder().encode('Key Pad for IKEv2');

/** MACedIDForI = prf(SK_pi, RestOfInitIDPayload): the ID payload body (type, reserved, data), §2.15. */
export function macedId(prf: IkePrf, skP: Uint8Array, id: Ikev2Id): Uint8Array {
  return prf.compute(skP, [encodeId(id)]);
}

/**
 * The octets one side signs or MACs (§2.15): the first message it sent, byte for byte (`realMessage`), the
 * peer's nonce data, and prf(SK_p, its ID body), with SK_pi for the initiator and SK_pr for the responder.
 */
export function signedOctets(
  prf: IkePrf,
  realMessage: Uint8Array,
  peerNonce: Uint8Array,
  skP: Uint8Array,
  id: Ikev2Id,
): Uint8Array {
  const mac = macedId(prf, skP, id);
  const out = concat(realMessage, peerNonce, mac);
  wipe(mac);
  return out;
}

/** AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>) (§2.15); `secret` may be an EAP MSK. */
export function sharedKeyAuth(prf: IkePrf, secret: Uint8Array, octets: Uint8Array): Uint8Array {
  const k = prf.compute(secret, [IKEV2_KEY_PAD]);
  try {
    return prf.compute(k, [octets]);
  } finally {
    wipe(k);
  }
}

/** Constant-time check of a peer's shared-key AUTH data (constant time: the comparison reveals nothing of the expected MAC). */
export function verifySharedKeyAuth(prf: IkePrf, secret: Uint8Array, octets: Uint8Array, data: Uint8Array): boolean {
  const want = sharedKeyAuth(prf, secret, octets);
  try {
    return equalCT(want, data);
  } finally {
    wipe(want);
  }
}
