// The ISAKMP fixed header, RFC 2408 §3.1.
import { u32, putU32 } from '../../common/bytes.js';
import {
  ISAKMP_COOKIE_LEN,
  ISAKMP_HEADER_LEN,
  ISAKMP_MAJOR_VERSION,
  ISAKMP_MINOR_VERSION,
  ISAKMP_NTYPE_INVALID_MAJOR_VERSION,
  ISAKMP_NTYPE_INVALID_MINOR_VERSION,
  ISAKMP_NTYPE_UNEQUAL_PAYLOAD_LENGTHS,
} from './constants.js';
import { IsakmpError, checkField, needBytes, target, window, type Codec } from './codec.js';

/*
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !                          Initiator                            !
 * !                            Cookie                             !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !                          Responder                            !
 * !                            Cookie                             !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !  Next Payload ! MjVer ! MnVer ! Exchange Type !     Flags     !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !                          Message ID                           !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !                            Length                             !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

/** The ISAKMP header (racoon `struct isakmp`). */
export interface IsakmpHeader {
  icookie: Uint8Array; // 8 bytes
  rcookie: Uint8Array; // 8 bytes, zero in the first message
  np: number; // first payload type
  majorVersion: number;
  minorVersion: number;
  etype: number;
  flags: number; // ISAKMP_FLAG_E | ISAKMP_FLAG_C | ISAKMP_FLAG_A
  msgid: number; // 32-bit, 0 in phase 1
  length: number; // whole message, header included
}

/** RFC 2408 §5.2: versions are checked before anything else is interpreted. */
export function validateIsakmpHeader(h: IsakmpHeader, offset = 0): void {
  if (h.majorVersion !== ISAKMP_MAJOR_VERSION) {
    throw new IsakmpError(
      ISAKMP_NTYPE_INVALID_MAJOR_VERSION,
      `major version ${h.majorVersion}, expected ${ISAKMP_MAJOR_VERSION}`,
      offset + 17,
    );
  }
  if (h.minorVersion > ISAKMP_MINOR_VERSION) {
    throw new IsakmpError(
      ISAKMP_NTYPE_INVALID_MINOR_VERSION,
      `minor version ${h.minorVersion}, expected ${ISAKMP_MINOR_VERSION}`,
      offset + 17,
    );
  }
  if (h.length < ISAKMP_HEADER_LEN) {
    throw new IsakmpError(
      ISAKMP_NTYPE_UNEQUAL_PAYLOAD_LENGTHS,
      `message length ${h.length} shorter than the header`,
      offset + 24,
    );
  }
}

/** Decodes the 28-byte header at `offset`; the version and minimum length are validated. */
export function decodeIsakmpHeader(buf: Uint8Array, offset = 0, end?: number): { value: IsakmpHeader; next: number } {
  const e = window(buf, offset, end);
  needBytes(offset, e, ISAKMP_HEADER_LEN, 'ISAKMP header');
  const vers = buf[offset + 17]!;
  const value: IsakmpHeader = {
    icookie: buf.slice(offset, offset + ISAKMP_COOKIE_LEN),
    rcookie: buf.slice(offset + 8, offset + 8 + ISAKMP_COOKIE_LEN),
    np: buf[offset + 16]!,
    majorVersion: vers >> 4,
    minorVersion: vers & 0x0f,
    etype: buf[offset + 18]!,
    flags: buf[offset + 19]!,
    msgid: u32(buf, offset + 20),
    length: u32(buf, offset + 24),
  };
  validateIsakmpHeader(value, offset);
  return { value, next: offset + ISAKMP_HEADER_LEN };
}

export function encodeIsakmpHeader(h: IsakmpHeader, buf?: Uint8Array, offset = 0): Uint8Array {
  if (h.icookie.length !== ISAKMP_COOKIE_LEN || h.rcookie.length !== ISAKMP_COOKIE_LEN)
    throw new RangeError('cookies must be 8 bytes');
  if (h.majorVersion > 15 || h.minorVersion > 15) throw new RangeError('versions are 4-bit fields');
  const out = target(buf, offset, ISAKMP_HEADER_LEN);
  out.set(h.icookie, offset);
  out.set(h.rcookie, offset + 8);
  out[offset + 16] = checkField(h.np, 8, 'next payload');
  out[offset + 17] =
    (checkField(h.majorVersion, 8, 'major version') << 4) | checkField(h.minorVersion, 8, 'minor version');
  out[offset + 18] = checkField(h.etype, 8, 'exchange type');
  out[offset + 19] = checkField(h.flags, 8, 'flags');
  putU32(out, offset + 20, checkField(h.msgid, 32, 'message id'));
  putU32(out, offset + 24, checkField(h.length, 32, 'length'));
  return out;
}

export const isakmpHeader: Codec<IsakmpHeader> = {
  decode: decodeIsakmpHeader,
  encode: encodeIsakmpHeader,
  encodedLength: () => ISAKMP_HEADER_LEN,
};
