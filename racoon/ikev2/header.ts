// The IKEv2 header, RFC 7296 §3.1: ISAKMP's 28-byte layout, with SPIs for cookies, version 2.0 and the I/V/R
// flags. The version is checked before anything else is interpreted (§1.5, §2.5).
import { u32, putU32 } from '../../common/bytes.js';
import { ISAKMP_HEADER_LEN } from '../isakmp/constants.js';
import {
  IKEV2_FLAGS_DEFINED,
  IKEV2_FLAG_INITIATOR,
  IKEV2_FLAG_RESPONSE,
  IKEV2_MAJOR_VERSION,
  IKEV2_SPI_LEN,
} from './constants.js';
import { IKEV2_N_INVALID_MAJOR_VERSION } from './notify-types.js';
import { Ikev2Error, checkField, invalidSyntax, needBytes, target, window, type Codec } from './codec.js';

/*
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       IKE SA Initiator's SPI                  |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       IKE SA Responder's SPI                  |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Payload | MjVer | MnVer | Exchange Type |     Flags     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          Message ID                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                            Length                             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Flags: |X|X|R|V|I|X|X|X|  (R = response 0x20, V = version 0x10, I = initiator 0x08)
 */

/** The IKE header (strongSwan `ike_header_t`, iked `struct ike_header`). */
export interface Ikev2Header {
  spiI: Uint8Array; // 8 bytes
  spiR: Uint8Array; // 8 bytes, zero in the first IKE_SA_INIT request
  np: number; // first payload type
  majorVersion: number;
  minorVersion: number; // sent as 0, ignored on receipt (§3.1)
  exchangeType: number;
  flags: number; // IKEV2_FLAG_*; undefined bits are dropped on decode and must be 0 on encode
  messageId: number;
  length: number; // whole message, header included
}

/** The major version of the datagram at `offset` (1 = IKEv1, 2 = IKEv2), or undefined when too short. */
export function ikeMajorVersion(buf: Uint8Array, offset = 0): number | undefined {
  return buf.length >= offset + 18 ? buf[offset + 17]! >> 4 : undefined;
}

/** RFC 7296 §2.5, §3.1: only major version 2 is ours; a shorter length than the header cannot be a message. */
export function validateIkev2Header(h: Ikev2Header, offset = 0): void {
  if (h.majorVersion !== IKEV2_MAJOR_VERSION)
    throw new Ikev2Error(
      IKEV2_N_INVALID_MAJOR_VERSION,
      `major version ${h.majorVersion}, expected ${IKEV2_MAJOR_VERSION}`,
      offset + 17,
    );
  if (h.length < ISAKMP_HEADER_LEN) invalidSyntax(`message length ${h.length} shorter than the header`, offset + 24);
}

/** Decodes the 28-byte header at `offset`; the version and minimum length are validated. */
export function decodeIkev2Header(buf: Uint8Array, offset = 0, end?: number): { value: Ikev2Header; next: number } {
  const e = window(buf, offset, end);
  needBytes(offset, e, ISAKMP_HEADER_LEN, 'IKE header');
  const vers = buf[offset + 17]!;
  const value: Ikev2Header = {
    spiI: buf.slice(offset, offset + IKEV2_SPI_LEN),
    spiR: buf.slice(offset + 8, offset + 8 + IKEV2_SPI_LEN),
    np: buf[offset + 16]!,
    majorVersion: vers >> 4,
    minorVersion: vers & 0x0f,
    exchangeType: buf[offset + 18]!,
    flags: buf[offset + 19]! & IKEV2_FLAGS_DEFINED, // §3.1: reserved bits MUST be ignored on receipt
    messageId: u32(buf, offset + 20),
    length: u32(buf, offset + 24),
  };
  validateIkev2Header(value, offset);
  return { value, next: offset + ISAKMP_HEADER_LEN };
}

export function encodeIkev2Header(h: Ikev2Header, buf?: Uint8Array, offset = 0): Uint8Array {
  if (h.spiI.length !== IKEV2_SPI_LEN || h.spiR.length !== IKEV2_SPI_LEN) throw new RangeError('SPIs must be 8 bytes');
  if (h.majorVersion > 15 || h.minorVersion > 15) throw new RangeError('versions are 4-bit fields');
  if (h.flags & ~IKEV2_FLAGS_DEFINED) throw new RangeError(`flags 0x${h.flags.toString(16)} set reserved bits`);
  const out = target(buf, offset, ISAKMP_HEADER_LEN);
  out.set(h.spiI, offset);
  out.set(h.spiR, offset + 8);
  out[offset + 16] = checkField(h.np, 8, 'next payload');
  out[offset + 17] = (h.majorVersion << 4) | h.minorVersion;
  out[offset + 18] = checkField(h.exchangeType, 8, 'exchange type');
  out[offset + 19] = checkField(h.flags, 8, 'flags');
  putU32(out, offset + 20, checkField(h.messageId, 32, 'message id'));
  putU32(out, offset + 24, checkField(h.length, 32, 'length'));
  return out;
}

export const ikev2Header: Codec<Ikev2Header> = {
  decode: decodeIkev2Header,
  encode: encodeIkev2Header,
  encodedLength: () => ISAKMP_HEADER_LEN,
};

/** True for a response (R flag, §3.1); requests and responses share message IDs. */
export function isResponse(h: Ikev2Header): boolean {
  return (h.flags & IKEV2_FLAG_RESPONSE) !== 0;
}

/** True when the original initiator of the IKE SA sent the message (I flag, §3.1). */
export function fromOriginalInitiator(h: Ikev2Header): boolean {
  return (h.flags & IKEV2_FLAG_INITIATOR) !== 0;
}
