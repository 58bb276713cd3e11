// Delete payload, RFC 7296 §3.11: the IKE SA itself (protocol IKE, no SPIs) or CHILD SAs by their 4-byte
// inbound SPIs. The SPI list must fill the payload exactly.
import { u16, putU16 } from '../../../common/bytes.js';
import { IKEV2_CHILD_SPI_LEN, IKEV2_PROTO_AH, IKEV2_PROTO_ESP, IKEV2_PROTO_IKE } from '../constants.js';
import { checkField, copyOf, invalidSyntax, needBytes, target, window, type Codec } from '../codec.js';

/*
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Protocol ID   |   SPI Size    |          Num of SPIs          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~               Security Parameter Index(es) (SPI)              ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

export interface Ikev2Delete {
  protocol: number; // IKEV2_PROTO_*
  spis: Uint8Array[]; // empty for the IKE SA; 4-byte SPIs for AH/ESP
}

/** §3.11: IKE has SPI size 0 and no SPIs; AH and ESP have 4-byte SPIs. */
function spiSizeFor(protocol: number): number | undefined {
  if (protocol === IKEV2_PROTO_IKE) return 0;
  if (protocol === IKEV2_PROTO_AH || protocol === IKEV2_PROTO_ESP) return IKEV2_CHILD_SPI_LEN;
  return undefined;
}

export function decodeDelete(buf: Uint8Array, offset = 0, end?: number): { value: Ikev2Delete; next: number } {
  const e = window(buf, offset, end);
  needBytes(offset, e, 4, 'delete header');
  const protocol = buf[offset]!;
  const size = buf[offset + 1]!;
  const count = u16(buf, offset + 2);
  const want = spiSizeFor(protocol);
  if (want !== undefined && size !== want)
    invalidSyntax(`delete SPI size ${size} for protocol ${protocol}`, offset + 1);
  if ((protocol === IKEV2_PROTO_IKE || size === 0) && count !== 0)
    invalidSyntax(`${count} SPIs of size ${size} for protocol ${protocol}`, offset + 2);
  if (size * count !== e - offset - 4)
    invalidSyntax(`${count} SPIs of ${size} bytes do not fill ${e - offset - 4} bytes`, offset + 2);
  const spis: Uint8Array[] = [];
  for (let o = offset + 4; o < e; o += size) spis.push(copyOf(buf, o, o + size));
  return { value: { protocol, spis }, next: e };
}

function spiSizeOf(d: Ikev2Delete): number {
  const size = d.spis[0]?.length ?? spiSizeFor(d.protocol) ?? 0;
  if (d.spis.some((s) => s.length !== size)) throw new RangeError('delete SPIs of different sizes');
  return size;
}

export function encodeDelete(d: Ikev2Delete, buf?: Uint8Array, offset = 0): Uint8Array {
  const size = spiSizeOf(d);
  const out = target(buf, offset, deleteLength(d));
  out[offset] = checkField(d.protocol, 8, 'protocol id');
  out[offset + 1] = checkField(size, 8, 'SPI size');
  putU16(out, offset + 2, checkField(d.spis.length, 16, 'number of SPIs'));
  d.spis.forEach((s, i) => out.set(s, offset + 4 + i * size));
  return out;
}

export function deleteLength(d: Ikev2Delete): number {
  return 4 + spiSizeOf(d) * d.spis.length;
}

export const del: Codec<Ikev2Delete> = { decode: decodeDelete, encode: encodeDelete, encodedLength: deleteLength };
