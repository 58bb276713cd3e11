// Encrypted Fragment payload (SKF), RFC 7383 §2.5: one fragment of an SK payload, numbered from 1, with the
// total count, then the fragment's own IV | ciphertext | ICV protected like SK (§2.5.3).
import { u16, putU16 } from '../../../common/bytes.js';
import { checkField, copyOf, invalidSyntax, needBytes, target, window, type Codec } from '../codec.js';

/*
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Fragment Number        |        Total Fragments        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Initialization Vector                     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                      Encrypted content                        ~
 * +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |               |             Padding (0-255 octets)            |
 * +-+-+-+-+-+-+-+-+                               +-+-+-+-+-+-+-+-+
 * |                                               |  Pad Length   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                    Integrity Checksum Data                    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

export interface Ikev2Skf {
  fragmentNumber: number; // 1..totalFragments
  totalFragments: number;
  data: Uint8Array; // IV | ciphertext | ICV
}

/** RFC 7383 §2.5: neither number may be zero, and the fragment number may not pass the total. */
function checkNumbers(n: number, total: number, offset: number): void {
  if (n === 0 || total === 0 || n > total) invalidSyntax(`fragment ${n} of ${total}`, offset);
}

export function decodeSkf(buf: Uint8Array, offset = 0, end?: number): { value: Ikev2Skf; next: number } {
  const e = window(buf, offset, end);
  needBytes(offset, e, 5, 'SKF header and data');
  const fragmentNumber = u16(buf, offset);
  const totalFragments = u16(buf, offset + 2);
  checkNumbers(fragmentNumber, totalFragments, offset);
  return { value: { fragmentNumber, totalFragments, data: copyOf(buf, offset + 4, e) }, next: e };
}

export function encodeSkf(f: Ikev2Skf, buf?: Uint8Array, offset = 0): Uint8Array {
  if (f.fragmentNumber === 0 || f.totalFragments === 0 || f.fragmentNumber > f.totalFragments)
    throw new RangeError(`fragment ${f.fragmentNumber} of ${f.totalFragments}`);
  const out = target(buf, offset, skfLength(f));
  putU16(out, offset, checkField(f.fragmentNumber, 16, 'fragment number'));
  putU16(out, offset + 2, checkField(f.totalFragments, 16, 'total fragments'));
  out.set(f.data, offset + 4);
  return out;
}

export function skfLength(f: Ikev2Skf): number {
  return 4 + f.data.length;
}

export const skf: Codec<Ikev2Skf> = { decode: decodeSkf, encode: encodeSkf, encodedLength: skfLength };
