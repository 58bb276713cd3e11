// Notify payload, RFC 7296 §3.10 (types in notify-types.ts). The SPI is empty for IKE SA notifications; a
// CHILD SA's 4-byte SPI is carried with its protocol (REKEY_SA, §2.8).
import { u16, putU16 } from '../../../common/bytes.js';
import { checkField, copyOf, needBytes, target, window, type Codec } from '../codec.js';

/*
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Protocol ID  |   SPI Size    |      Notify Message Type      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                Security Parameter Index (SPI)                 ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       Notification Data                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

/** The Notify body (strongSwan `notify_payload_t`); `protocol` is 0 when the SPI is empty (§3.10). */
export interface Ikev2Notify {
  protocol: number;
  notifyType: number; // IKEV2_N_*
  spi: Uint8Array;
  data: Uint8Array;
}

export function decodeNotify(buf: Uint8Array, offset = 0, end?: number): { value: Ikev2Notify; next: number } {
  const e = window(buf, offset, end);
  needBytes(offset, e, 4, 'notify header');
  const spiSize = buf[offset + 1]!;
  needBytes(offset + 4, e, spiSize, 'notify SPI');
  const value: Ikev2Notify = {
    protocol: buf[offset]!,
    notifyType: u16(buf, offset + 2),
    spi: copyOf(buf, offset + 4, offset + 4 + spiSize),
    data: copyOf(buf, offset + 4 + spiSize, e),
  };
  return { value, next: e };
}

export function encodeNotify(n: Ikev2Notify, buf?: Uint8Array, offset = 0): Uint8Array {
  if (n.spi.length > 255) throw new RangeError('notify SPI longer than 255 bytes');
  const out = target(buf, offset, notifyLength(n));
  out[offset] = checkField(n.protocol, 8, 'protocol id');
  out[offset + 1] = n.spi.length;
  putU16(out, offset + 2, checkField(n.notifyType, 16, 'notify type'));
  out.set(n.spi, offset + 4);
  out.set(n.data, offset + 4 + n.spi.length);
  return out;
}

export function notifyLength(n: Ikev2Notify): number {
  return 4 + n.spi.length + n.data.length;
}

/** A Notify about the IKE SA itself or the exchange: no protocol, no SPI (§3.10). */
export function ikeNotify(notifyType: number, data: Uint8Array = new Uint8Array(0)): Ikev2Notify {
  return { protocol: 0, notifyType, spi: new Uint8Array(0), data };
}

export const notify: Codec<Ikev2Notify> = { decode: decodeNotify, encode: encodeNotify, encodedLength: notifyLength };
