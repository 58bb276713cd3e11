// Delete payload, RFC 2408 §3.15.
import { u16, u32, putU16, putU32 } from '../../../common/bytes.js';
import { checkField, copyOf, malformed, needBytes, target, window, type Codec } from '../codec.js';

/*
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !              Domain of Interpretation  (DOI)                  !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !  Protocol-Id  !   SPI Size    !           # of SPIs           !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~               Security Parameter Index(es) (SPI)              ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

/** The delete body (racoon `struct isakmp_pl_d`): all SPIs share one size (16 = cookie pair for ISAKMP). */
export interface IsakmpDelete {
  doi: number;
  protoId: number;
  spiSize: number;
  spis: Uint8Array[];
}

export function decodeDelete(buf: Uint8Array, offset = 0, end?: number): { value: IsakmpDelete; next: number } {
  const e = window(buf, offset, end);
  needBytes(offset, e, 8, 'delete header');
  const spiSize = buf[offset + 5]!;
  const count = u16(buf, offset + 6);
  // The SPI list must fill the payload exactly: #SPIs × SPI size.
  if (e - (offset + 8) !== count * spiSize)
    malformed(`delete declares ${count} SPIs of ${spiSize} bytes but carries ${e - offset - 8}`, offset + 6);
  if (spiSize === 0 && count > 0) malformed('delete with zero-size SPIs', offset + 5);
  const spis: Uint8Array[] = [];
  for (let i = 0, o = offset + 8; i < count; i++, o += spiSize) spis.push(copyOf(buf, o, o + spiSize));
  return { value: { doi: u32(buf, offset), protoId: buf[offset + 4]!, spiSize, spis }, next: e };
}

export function encodeDelete(d: IsakmpDelete, buf?: Uint8Array, offset = 0): Uint8Array {
  if (d.spis.some((s) => s.length !== d.spiSize)) throw new RangeError('every SPI must be spiSize bytes');
  if (d.spiSize > 255 || d.spis.length > 0xffff) throw new RangeError('delete does not fit its fields');
  const out = target(buf, offset, deleteLength(d));
  putU32(out, offset, checkField(d.doi, 32, 'DOI'));
  out[offset + 4] = checkField(d.protoId, 8, 'protocol id');
  out[offset + 5] = d.spiSize;
  putU16(out, offset + 6, d.spis.length);
  d.spis.forEach((s, i) => out.set(s, offset + 8 + i * d.spiSize));
  return out;
}

export function deleteLength(d: IsakmpDelete): number {
  return 8 + d.spiSize * d.spis.length;
}

export const del: Codec<IsakmpDelete> = { decode: decodeDelete, encode: encodeDelete, encodedLength: deleteLength };
