// UDP codec (RFC 768) with the IPv4/IPv6 pseudo-header checksum (RFC 768, RFC 8200 §8.1).
// Decoders throw ParseError; builders write into a caller's buffer or return a new one.
import { ParseError, need, u16, putU16 } from '../../common/bytes.js';
import type { Decoded } from './decoded.js';
import { checksumOk, internetChecksum, pseudoHeaderSum } from './checksum.js';
import { IPPROTO_UDP, UDP_HEADER_BYTES } from './constants.js';

/*  RFC 768
    0      7 8     15 16    23 24    31
   +--------+--------+--------+--------+
   |     Source      |   Destination   |
   |      Port       |      Port       |
   +--------+--------+--------+--------+
   |     Length      |    Checksum     |
   +--------+--------+--------+--------+
*/

export interface UdpHeader {
  srcPort: number;
  dstPort: number;
  /** Header plus data, in bytes (the wire field). */
  length: number;
  checksum: number;
}

/** The addresses that make up the pseudo-header; 4-byte pairs for IPv4, 16-byte pairs for IPv6. */
export interface PseudoAddrs {
  src: Uint8Array;
  dst: Uint8Array;
}

/**
 * True if the datagram at buf[off, off+length) checksums correctly. Over IPv4 a zero checksum means "none"
 * (RFC 768); over IPv6 it is invalid (RFC 8200 §8.1).
 */
export function udpChecksumOk(buf: Uint8Array, off: number, length: number, ip: PseudoAddrs): boolean {
  if (u16(buf, off + 6) === 0) return ip.src.length === 4;
  return checksumOk(buf, off, length, pseudoHeaderSum(ip.src, ip.dst, IPPROTO_UDP, length));
}

/**
 * Decodes the UDP header at `off`, where the IP payload ends at `end`. The length field must be at least 8 and
 * fit before `end` (bytes after it are ignored). With `ip`, the checksum is verified as well.
 * `next` is the offset of the data; the data ends at off + length.
 */
export function decodeUdp(buf: Uint8Array, off: number, end = buf.length, ip?: PseudoAddrs): Decoded<UdpHeader> {
  if (end > buf.length || end < off) throw new ParseError('UDP bounds outside the buffer', off, 'udp');
  need(buf.subarray(0, end), off, UDP_HEADER_BYTES, 'udp.header');
  const length = u16(buf, off + 4);
  if (length < UDP_HEADER_BYTES) throw new ParseError(`UDP length ${length} < 8`, off + 4, 'udp.length');
  if (off + length > end)
    throw new ParseError(`UDP length ${length} > ${end - off} bytes available`, off + 4, 'udp.length');
  if (ip && !udpChecksumOk(buf, off, length, ip))
    throw new ParseError('UDP checksum mismatch', off + 6, 'udp.checksum');
  const value = { srcPort: u16(buf, off), dstPort: u16(buf, off + 2), length, checksum: u16(buf, off + 6) };
  return { value, next: off + UDP_HEADER_BYTES };
}

/**
 * Writes a UDP header at buf[off] for `dataLength` bytes of data already at off + 8, and its checksum
 * (a computed 0 is sent as 0xffff, RFC 768). With `noChecksum` (IPv4 only) the field is left 0.
 */
export function encodeUdp(
  buf: Uint8Array,
  off: number,
  srcPort: number,
  dstPort: number,
  dataLength: number,
  ip: PseudoAddrs,
  noChecksum = false,
): number {
  const length = UDP_HEADER_BYTES + dataLength;
  if (length > 0xffff) throw new RangeError(`UDP datagram of ${length} bytes is too long`);
  if (off + length > buf.length) throw new RangeError('buffer too small for the UDP datagram');
  if (noChecksum && ip.src.length !== 4) throw new RangeError('UDP over IPv6 must carry a checksum');
  putU16(buf, off, srcPort);
  putU16(buf, off + 2, dstPort);
  putU16(buf, off + 4, length);
  putU16(buf, off + 6, 0);
  if (!noChecksum) {
    const c = internetChecksum(buf, off, length, pseudoHeaderSum(ip.src, ip.dst, IPPROTO_UDP, length));
    putU16(buf, off + 6, c === 0 ? 0xffff : c);
  }
  return off + length;
}

/** A new UDP datagram (header + data) with its checksum. */
export function buildUdp(
  srcPort: number,
  dstPort: number,
  data: Uint8Array,
  ip: PseudoAddrs,
  noChecksum = false,
): Uint8Array {
  const out = new Uint8Array(UDP_HEADER_BYTES + data.length);
  out.set(data, UDP_HEADER_BYTES);
  encodeUdp(out, 0, srcPort, dstPort, data.length, ip, noChecksum);
  return out;
}
