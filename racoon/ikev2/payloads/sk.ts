// Encrypted and Authenticated payload (SK), RFC 7296 §3.14. Its generic header's Next Payload names the first
// payload inside; its body is IV | ciphertext (payloads, padding, pad length) | ICV, opaque until
// racoon/ikev2/sk-protect.ts checks the ICV and decrypts it. An AEAD's ICV is its tag (RFC 5282 §3).
import { checkLength, copyOf, target, window, type Codec } from '../codec.js';

/*
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Initialization Vector                     |
 * |         (length is block size for encryption algorithm)       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                    Encrypted IKE Payloads                     ~
 * +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |               |             Padding (0-255 octets)            |
 * +-+-+-+-+-+-+-+-+                               +-+-+-+-+-+-+-+-+
 * |                                               |  Pad Length   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                    Integrity Checksum Data                    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

/** The SK body as sent: IV, ciphertext and ICV together (the suite tells where each ends). */
export const sk: Codec<Uint8Array> = {
  decode(buf, offset = 0, end) {
    const e = window(buf, offset, end);
    checkLength(e - offset, 1, Infinity, 'SK payload', offset);
    return { value: copyOf(buf, offset, e), next: e };
  },
  encode(value, buf, offset = 0) {
    const out = target(buf, offset, value.length);
    out.set(value, offset);
    return out;
  },
  encodedLength: (value) => value.length,
};
