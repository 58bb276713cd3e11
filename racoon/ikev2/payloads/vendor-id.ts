// Vendor ID payload, RFC 7296 §3.12: an opaque identifier (usually a hash) the sender chose.
import { checkLength, copyOf, target, window, type Codec } from '../codec.js';

/*
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        Vendor ID (VID)                        ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

/** The VID bytes; an empty one identifies no vendor and is refused. */
export const vendorId: Codec<Uint8Array> = {
  decode(buf, offset = 0, end) {
    const e = window(buf, offset, end);
    checkLength(e - offset, 1, Infinity, 'vendor ID', offset);
    return { value: copyOf(buf, offset, e), next: e };
  },
  encode(value, buf, offset = 0) {
    if (value.length === 0) throw new RangeError('empty vendor ID');
    const out = target(buf, offset, value.length);
    out.set(value, offset);
    return out;
  },
  encodedLength: (value) => value.length,
};
