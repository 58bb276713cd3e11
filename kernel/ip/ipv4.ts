// IPv4 header codec (RFC 791 §3.1): decode with every length checked before a field is read, options
// walk, header checksum (RFC 1071), and encode into a caller's buffer. Decoders throw ParseError.
import { ParseError, need, u16, putU16 } from '../../common/bytes.js';
import { checksumOk, internetChecksum } from './checksum.js';
import type { Decoded } from './decoded.js';
import { IPV4_MIN_HEADER_BYTES, IPOPT_EOL, IPOPT_NOP, IP_DF, IP_MF, IP_OFFMASK } from './constants.js';

/*  RFC 791 §3.1
    0                   1                   2                   3
    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |Version|  IHL  |Type of Service|          Total Length         |
   |         Identification        |Flags|      Fragment Offset    |
   |  Time to Live |    Protocol   |         Header Checksum       |
   |                       Source Address                          |
   |                    Destination Address                        |
   |                    Options                    |    Padding    |
*/

/** One option found in the options area; `offset` is from the start of the header. */
export interface Ipv4Option {
  type: number;
  offset: number;
  /** Total bytes including the type (and length) octets. */
  length: number;
}

export interface Ipv4Header {
  version: 4;
  /** Header length in 32-bit words (5..15). */
  ihl: number;
  /** ihl * 4. */
  headerLength: number;
  tos: number;
  totalLength: number;
  id: number;
  /** The 3 flag bits as on the wire: 4 = reserved, 2 = DF, 1 = MF. */
  flags: number;
  df: boolean;
  mf: boolean;
  /** Fragment offset in 8-byte units, as on the wire. */
  fragOffset: number;
  ttl: number;
  protocol: number;
  checksum: number;
  src: Uint8Array;
  dst: Uint8Array;
  /** The raw options area (headerLength - 20 bytes, padding included). */
  options: Uint8Array;
  optionList: Ipv4Option[];
}

/** What a caller supplies to build a header; omitted fields take the usual defaults. */
export interface Ipv4HeaderInit {
  tos?: number;
  id?: number;
  df?: boolean;
  mf?: boolean;
  fragOffset?: number;
  ttl?: number;
  protocol: number;
  src: Uint8Array;
  dst: Uint8Array;
  /** Option bytes; padded with EOL (zero) bytes to a multiple of 4. At most 40 bytes. */
  options?: Uint8Array;
}

/** The IP version of a packet (the top nibble of its first byte); ParseError unless it is 4 or 6. */
export function ipVersion(pkt: Uint8Array, off = 0): 4 | 6 {
  need(pkt, off, 1, 'ip.version');
  const v = pkt[off]! >> 4;
  if (v !== 4 && v !== 6) throw new ParseError(`IP version ${v} is neither 4 nor 6`, off, 'ip.version');
  return v;
}

/**
 * Walks the options area (RFC 791 §3.1: single-octet EOL/NOP, else type, length >= 2, data).
 * `start` and `end` bound the area inside `buf`; offsets reported are relative to `hdrOff`.
 */
export function walkIpv4Options(buf: Uint8Array, hdrOff: number, start: number, end: number): Ipv4Option[] {
  const out: Ipv4Option[] = [];
  let i = start;
  while (i < end) {
    const type = buf[i]!;
    if (type === IPOPT_EOL) {
      out.push({ type, offset: i - hdrOff, length: 1 });
      break;
    }
    if (type === IPOPT_NOP) {
      out.push({ type, offset: i - hdrOff, length: 1 });
      i++;
      continue;
    }
    if (i + 1 >= end) throw new ParseError(`IPv4 option ${type} has no length octet`, i, 'ipv4.option.length');
    const len = buf[i + 1]!;
    if (len < 2 || i + len > end)
      throw new ParseError(`IPv4 option ${type} length ${len} does not fit`, i + 1, 'ipv4.option.length');
    out.push({ type, offset: i - hdrOff, length: len });
    i += len;
  }
  return out;
}

/**
 * Decodes the IPv4 header at `off`. Checks, in order: version, IHL >= 5, header within the buffer,
 * total length between the header length and the bytes available, options well formed, and (unless
 * `verifyChecksum` is false) the header checksum. `next` is the offset of the payload; the payload ends at
 * off + totalLength (trailing link padding is ignored).
 */
export function decodeIpv4(pkt: Uint8Array, off = 0, verifyChecksum = true): Decoded<Ipv4Header> {
  need(pkt, off, 1, 'ipv4.version');
  const version = pkt[off]! >> 4;
  if (version !== 4) throw new ParseError(`IPv4 version field is ${version}`, off, 'ipv4.version');
  const ihl = pkt[off]! & 0x0f;
  if (ihl < 5) throw new ParseError(`IPv4 IHL ${ihl} < 5`, off, 'ipv4.ihl');
  const headerLength = ihl * 4;
  need(pkt, off, headerLength, 'ipv4.header');
  const totalLength = u16(pkt, off + 2);
  if (totalLength < headerLength) {
    throw new ParseError(
      `IPv4 total length ${totalLength} < header length ${headerLength}`,
      off + 2,
      'ipv4.totalLength',
    );
  }
  if (totalLength > pkt.length - off) {
    throw new ParseError(
      `IPv4 total length ${totalLength} > ${pkt.length - off} bytes available`,
      off + 2,
      'ipv4.totalLength',
    );
  }
  const optionList = walkIpv4Options(pkt, off, off + IPV4_MIN_HEADER_BYTES, off + headerLength);
  if (verifyChecksum && !checksumOk(pkt, off, headerLength)) {
    throw new ParseError('IPv4 header checksum mismatch', off + 10, 'ipv4.checksum');
  }
  const fw = u16(pkt, off + 6);
  const value: Ipv4Header = {
    version: 4,
    ihl,
    headerLength,
    tos: pkt[off + 1]!,
    totalLength,
    id: u16(pkt, off + 4),
    flags: fw >>> 13,
    df: (fw & IP_DF) !== 0,
    mf: (fw & IP_MF) !== 0,
    fragOffset: fw & IP_OFFMASK,
    ttl: pkt[off + 8]!,
    protocol: pkt[off + 9]!,
    checksum: u16(pkt, off + 10),
    src: pkt.slice(off + 12, off + 16),
    dst: pkt.slice(off + 16, off + 20),
    options: pkt.slice(off + 20, off + headerLength),
    optionList,
  };
  return { value, next: off + headerLength };
}

/** True if the header at `off` (IHL taken from the packet, assumed in bounds) has a correct checksum. */
export function ipv4ChecksumOk(pkt: Uint8Array, off = 0): boolean {
  return checksumOk(pkt, off, (pkt[off]! & 0x0f) * 4);
}

/** Header length for the given option bytes (padded to 4). */
export function ipv4HeaderLength(options?: Uint8Array): number {
  return IPV4_MIN_HEADER_BYTES + ((((options?.length ?? 0) + 3) >> 2) << 2);
}

/** Recomputes and stores the header checksum of the header at `off` (after a TTL or length change). */
export function setIpv4Checksum(pkt: Uint8Array, off = 0): void {
  const hl = (pkt[off]! & 0x0f) * 4;
  putU16(pkt, off + 10, 0);
  putU16(pkt, off + 10, internetChecksum(pkt, off, hl));
}

/**
 * Writes a header for a packet of `totalLength` bytes at buf[off], checksum included; returns the offset
 * where the payload goes. Throws RangeError on a programming error (bad field values, buffer too small).
 */
export function encodeIpv4(h: Ipv4HeaderInit, totalLength: number, buf: Uint8Array, off = 0): number {
  const opt = h.options ?? new Uint8Array(0);
  const hl = ipv4HeaderLength(opt);
  if (opt.length > 40) throw new RangeError(`IPv4 options of ${opt.length} bytes exceed 40`);
  if (h.src.length !== 4 || h.dst.length !== 4) throw new RangeError('IPv4 addresses must be 4 bytes');
  if (totalLength < hl || totalLength > 0xffff) throw new RangeError(`IPv4 total length ${totalLength} out of range`);
  const fragOffset = h.fragOffset ?? 0;
  if (fragOffset < 0 || fragOffset > IP_OFFMASK) throw new RangeError(`fragment offset ${fragOffset} out of range`);
  if (off + hl > buf.length) throw new RangeError('buffer too small for the IPv4 header');
  buf[off] = 0x40 | (hl >> 2);
  buf[off + 1] = (h.tos ?? 0) & 0xff;
  putU16(buf, off + 2, totalLength);
  putU16(buf, off + 4, (h.id ?? 0) & 0xffff);
  putU16(buf, off + 6, (h.df ? IP_DF : 0) | (h.mf ? IP_MF : 0) | fragOffset);
  buf[off + 8] = h.ttl ?? 64;
  buf[off + 9] = h.protocol & 0xff;
  putU16(buf, off + 10, 0);
  buf.set(h.src, off + 12);
  buf.set(h.dst, off + 16);
  buf.set(opt, off + 20);
  buf.fill(IPOPT_EOL, off + 20 + opt.length, off + hl); // RFC 791: pad with zeros to a 32-bit boundary
  putU16(buf, off + 10, internetChecksum(buf, off, hl));
  return off + hl;
}

/** A whole IPv4 packet: header from `h`, then `payload`. */
export function buildIpv4Packet(h: Ipv4HeaderInit, payload: Uint8Array): Uint8Array {
  const hl = ipv4HeaderLength(h.options);
  const pkt = new Uint8Array(hl + payload.length);
  encodeIpv4(h, pkt.length, pkt, 0);
  pkt.set(payload, hl);
  return pkt;
}

/**
 * RFC 4302 Appendix A.1: the IPv4 options included in the AH ICV as they are; every other option
 * (record route, timestamp, source routes, the experimental ones) is zeroed for the ICV.
 */
const IMMUTABLE_OPTIONS = new Set([0, 1, 130, 133, 134, 148, 149]);

export function isIpv4OptionMutable(type: number): boolean {
  return !IMMUTABLE_OPTIONS.has(type);
}

/** RFC 791 §3.1: options with the copied flag are repeated in every fragment. */
export function isIpv4OptionCopied(type: number): boolean {
  return (type & 0x80) !== 0;
}
