// Key Exchange payload, RFC 7296 §3.4: the DH group number and the public value g^ir.
import { u16, putU16 } from '../../../common/bytes.js';
import { checkField, copyOf, invalidSyntax, needBytes, target, window, type Codec } from '../codec.js';

/*
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Diffie-Hellman Group Num    |           RESERVED            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       Key Exchange Data                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

/** The KE body; whether `data` has the group's length is the DH layer's check (crypto/dh.ts, INVALID_SYNTAX). */
export interface Ikev2Ke {
  group: number; // IKEV2_DH_*
  data: Uint8Array;
}

export function decodeKe(buf: Uint8Array, offset = 0, end?: number): { value: Ikev2Ke; next: number } {
  const e = window(buf, offset, end);
  needBytes(offset, e, 4, 'KE group');
  if (e - offset === 4) invalidSyntax('KE payload without key exchange data', offset);
  return { value: { group: u16(buf, offset), data: copyOf(buf, offset + 4, e) }, next: e };
}

export function encodeKe(ke: Ikev2Ke, buf?: Uint8Array, offset = 0): Uint8Array {
  const out = target(buf, offset, keLength(ke));
  putU16(out, offset, checkField(ke.group, 16, 'DH group'));
  putU16(out, offset + 2, 0);
  out.set(ke.data, offset + 4);
  return out;
}

export function keLength(ke: Ikev2Ke): number {
  return 4 + ke.data.length;
}

export const ke: Codec<Ikev2Ke> = { decode: decodeKe, encode: encodeKe, encodedLength: keLength };
