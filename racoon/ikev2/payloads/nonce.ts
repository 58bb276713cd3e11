// Nonce payload, RFC 7296 §3.9: Ni / Nr, 16 to 256 octets (§2.10).
import { IKEV2_NONCE_MAX, IKEV2_NONCE_MIN } from '../constants.js';
import { checkLength, copyOf, target, window, type Codec } from '../codec.js';

/*
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                            Nonce Data                         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

/** §3.9: "The size of the Nonce Data MUST be between 16 and 256 octets, inclusive." */
export const nonce: Codec<Uint8Array> = {
  decode(buf, offset = 0, end) {
    const e = window(buf, offset, end);
    checkLength(e - offset, IKEV2_NONCE_MIN, IKEV2_NONCE_MAX, 'nonce', offset);
    return { value: copyOf(buf, offset, e), next: e };
  },
  encode(value, buf, offset = 0) {
    if (value.length < IKEV2_NONCE_MIN || value.length > IKEV2_NONCE_MAX)
      throw new RangeError(`nonce of ${value.length} bytes, allowed ${IKEV2_NONCE_MIN}..${IKEV2_NONCE_MAX}`);
    const out = target(buf, offset, value.length);
    out.set(value, offset);
    return out;
  },
  encodedLength: (value) => value.length,
};
