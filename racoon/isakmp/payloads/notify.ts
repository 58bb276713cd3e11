// Notification payload, RFC 2408 §3.14 (types in constants.ts: §3.14.1, RFC 2407 §4.6.3, RFC 3706).
import { u16, u32, putU16, putU32 } from '../../../common/bytes.js';
import { checkField, copyOf, needBytes, target, window, type Codec } from '../codec.js';

/*
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !              Domain of Interpretation  (DOI)                  !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !  Protocol-ID  !   SPI Size    !      Notify Message Type      !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                Security Parameter Index (SPI)                 ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       Notification Data                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

/** The notification body (racoon `struct isakmp_pl_n`); for DPD the SPI is the two cookies (RFC 3706 §5). */
export interface IsakmpNotify {
  doi: number;
  protoId: number;
  notifyType: number;
  spi: Uint8Array;
  data: Uint8Array;
}

export function decodeNotify(buf: Uint8Array, offset = 0, end?: number): { value: IsakmpNotify; next: number } {
  const e = window(buf, offset, end);
  needBytes(offset, e, 8, 'notify header');
  const spiSize = buf[offset + 5]!;
  needBytes(offset + 8, e, spiSize, 'notify SPI');
  const value: IsakmpNotify = {
    doi: u32(buf, offset),
    protoId: buf[offset + 4]!,
    notifyType: u16(buf, offset + 6),
    spi: copyOf(buf, offset + 8, offset + 8 + spiSize),
    data: copyOf(buf, offset + 8 + spiSize, e),
  };
  return { value, next: e };
}

export function encodeNotify(n: IsakmpNotify, buf?: Uint8Array, offset = 0): Uint8Array {
  if (n.spi.length > 255) throw new RangeError('notify SPI longer than 255 bytes');
  const out = target(buf, offset, notifyLength(n));
  putU32(out, offset, checkField(n.doi, 32, 'DOI'));
  out[offset + 4] = checkField(n.protoId, 8, 'protocol id');
  out[offset + 5] = n.spi.length;
  putU16(out, offset + 6, checkField(n.notifyType, 16, 'notify type'));
  out.set(n.spi, offset + 8);
  out.set(n.data, offset + 8 + n.spi.length);
  return out;
}

export function notifyLength(n: IsakmpNotify): number {
  return 8 + n.spi.length + n.data.length;
}

export const notify: Codec<IsakmpNotify> = { decode: decodeNotify, encode: encodeNotify, encodedLength: notifyLength };
