// Identification payloads IDi and IDr, RFC 7296 §3.5 (ID types §3.5, RFC 4595, RFC 7619). The body after the
// generic header (type, reserved, data) is exactly what the AUTH computation MACs (§2.15 RestOfInitIDPayload).
import { formatAddr } from '../../../common/inet.js';
import { toHex } from '../../../common/bytes.js';
import {
  IKEV2_ID_DER_ASN1_DN,
  IKEV2_ID_DER_ASN1_GN,
  IKEV2_ID_FQDN,
  IKEV2_ID_IPV4_ADDR,
  IKEV2_ID_IPV6_ADDR,
  IKEV2_ID_KEY_ID,
  IKEV2_ID_NAMES,
  IKEV2_ID_NULL,
  IKEV2_ID_RFC822_ADDR,
  nameOf,
} from '../constants.js';
import { checkField, copyOf, invalidSyntax, needBytes, target, window, type Codec } from '../codec.js';

/*
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   ID Type     |                 RESERVED                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                   Identification Data                         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

export interface Ikev2Id {
  idType: number; // IKEV2_ID_*
  data: Uint8Array;
}

/** The same identity: type and bytes (both present). */
export function sameIkev2Id(a: Ikev2Id | undefined, b: Ikev2Id | undefined): boolean {
  return !!a && !!b && a.idType === b.idType && Buffer.compare(a.data, b.data) === 0;
}

/** §3.5: address IDs carry exactly one address; ID_NULL (RFC 7619) anything; every other type is non-empty. */
export function validateIkev2Id(id: Ikev2Id, offset = -1): void {
  const n = id.data.length;
  const name = nameOf(IKEV2_ID_NAMES, id.idType);
  if (id.idType === IKEV2_ID_IPV4_ADDR && n !== 4) invalidSyntax(`${name} of ${n} bytes, expected 4`, offset);
  if (id.idType === IKEV2_ID_IPV6_ADDR && n !== 16) invalidSyntax(`${name} of ${n} bytes, expected 16`, offset);
  if (id.idType !== IKEV2_ID_NULL && n === 0) invalidSyntax(`empty ${name}`, offset);
}

export function decodeId(buf: Uint8Array, offset = 0, end?: number): { value: Ikev2Id; next: number } {
  const e = window(buf, offset, end);
  needBytes(offset, e, 4, 'ID type');
  const value: Ikev2Id = { idType: buf[offset]!, data: copyOf(buf, offset + 4, e) };
  validateIkev2Id(value, offset);
  return { value, next: e };
}

export function encodeId(id: Ikev2Id, buf?: Uint8Array, offset = 0): Uint8Array {
  const out = target(buf, offset, idLength(id));
  out[offset] = checkField(id.idType, 8, 'ID type');
  out.fill(0, offset + 1, offset + 4);
  out.set(id.data, offset + 4);
  return out;
}

export function idLength(id: Ikev2Id): number {
  return 4 + id.data.length;
}

/** The ID for logs: `192.0.2.1`, `host.example`, `user@example`, or `<type>:<hex>` for binary ones. */
export function formatIkev2Id(id: Ikev2Id): string {
  switch (id.idType) {
    case IKEV2_ID_IPV4_ADDR:
    case IKEV2_ID_IPV6_ADDR:
      return id.data.length === 4 || id.data.length === 16 ? formatAddr(id.data) : toHex(id.data);
    case IKEV2_ID_FQDN:
    case IKEV2_ID_RFC822_ADDR:
      return Buffer.from(id.data).toString('latin1');
    case IKEV2_ID_NULL:
      return '(null)';
    case IKEV2_ID_DER_ASN1_DN:
    case IKEV2_ID_DER_ASN1_GN:
    case IKEV2_ID_KEY_ID:
    default:
      return `${nameOf(IKEV2_ID_NAMES, id.idType)}:${toHex(id.data)}`;
  }
}

export const id: Codec<Ikev2Id> = { decode: decodeId, encode: encodeId, encodedLength: idLength };
