// EAP payload, RFC 7296 §3.16: one EAP message (RFC 3748 §4), decoded far enough to be carried and logged.
// The EAP Length must equal the payload body; Success and Failure are exactly 4 bytes (RFC 3748 §4.2).
import { u16, putU16 } from '../../../common/bytes.js';
import { IKEV2_EAP_FAILURE, IKEV2_EAP_REQUEST, IKEV2_EAP_RESPONSE, IKEV2_EAP_SUCCESS } from '../constants.js';
import { checkField, copyOf, invalidSyntax, needBytes, target, window, type Codec } from '../codec.js';

/*
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       EAP Message                             ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * EAP Message (RFC 3748 §4):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Code      | Identifier    |           Length              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      | Type_Data...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

/** An EAP message; `type` and `data` only for Request and Response (Success/Failure carry neither). */
export interface Ikev2Eap {
  code: number; // IKEV2_EAP_*
  identifier: number;
  type?: number;
  data: Uint8Array;
}

function hasType(code: number): boolean {
  return code === IKEV2_EAP_REQUEST || code === IKEV2_EAP_RESPONSE;
}

export function decodeEap(buf: Uint8Array, offset = 0, end?: number): { value: Ikev2Eap; next: number } {
  const e = window(buf, offset, end);
  needBytes(offset, e, 4, 'EAP header');
  const code = buf[offset]!;
  const len = u16(buf, offset + 2);
  if (len !== e - offset) invalidSyntax(`EAP length ${len} in a ${e - offset}-byte payload`, offset + 2);
  if (code === IKEV2_EAP_SUCCESS || code === IKEV2_EAP_FAILURE) {
    if (len !== 4) invalidSyntax(`EAP ${code} of ${len} bytes, expected 4`, offset + 2);
  } else if (!hasType(code)) invalidSyntax(`EAP code ${code}`, offset);
  const identifier = buf[offset + 1]!;
  if (!hasType(code)) return { value: { code, identifier, data: new Uint8Array(0) }, next: e };
  needBytes(offset + 4, e, 1, 'EAP type');
  return { value: { code, identifier, type: buf[offset + 4]!, data: copyOf(buf, offset + 5, e) }, next: e };
}

export function eapLength(m: Ikev2Eap): number {
  return hasType(m.code) ? 5 + m.data.length : 4;
}

export function encodeEap(m: Ikev2Eap, buf?: Uint8Array, offset = 0): Uint8Array {
  if (hasType(m.code) && m.type === undefined) throw new RangeError('EAP Request/Response needs a type');
  const len = eapLength(m);
  const out = target(buf, offset, len);
  out[offset] = checkField(m.code, 8, 'EAP code');
  out[offset + 1] = checkField(m.identifier, 8, 'EAP identifier');
  putU16(out, offset + 2, checkField(len, 16, 'EAP length'));
  if (hasType(m.code)) {
    out[offset + 4] = checkField(m.type!, 8, 'EAP type');
    out.set(m.data, offset + 5);
  }
  return out;
}

export const eap: Codec<Ikev2Eap> = { decode: decodeEap, encode: encodeEap, encodedLength: eapLength };
