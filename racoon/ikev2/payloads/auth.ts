// Authentication payload, RFC 7296 §3.8: the method and its data (a MAC for PSK, a signature otherwise;
// RFC 7427 method 14 data is laid out by racoon/ikev2/signature.ts).
import { checkField, copyOf, invalidSyntax, needBytes, target, window, type Codec } from '../codec.js';

/*
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Auth Method   |                RESERVED                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                      Authentication Data                      ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

export interface Ikev2Auth {
  method: number; // IKEV2_AUTH_METHOD_*
  data: Uint8Array;
}

export function decodeAuth(buf: Uint8Array, offset = 0, end?: number): { value: Ikev2Auth; next: number } {
  const e = window(buf, offset, end);
  needBytes(offset, e, 4, 'AUTH method');
  if (e - offset === 4) invalidSyntax('AUTH payload without authentication data', offset);
  return { value: { method: buf[offset]!, data: copyOf(buf, offset + 4, e) }, next: e };
}

export function encodeAuth(a: Ikev2Auth, buf?: Uint8Array, offset = 0): Uint8Array {
  const out = target(buf, offset, authLength(a));
  out[offset] = checkField(a.method, 8, 'auth method');
  out.fill(0, offset + 1, offset + 4);
  out.set(a.data, offset + 4);
  return out;
}

export function authLength(a: Ikev2Auth): number {
  return 4 + a.data.length;
}

export const auth: Codec<Ikev2Auth> = { decode: decodeAuth, encode: encodeAuth, encodedLength: authLength };
