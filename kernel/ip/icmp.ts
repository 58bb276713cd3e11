// ICMP for IPv4 (RFC 792) and ICMPv6 (RFC 4443): header codec with checksum (ICMPv6 over the IPv6
// pseudo-header, RFC 4443 §2.3; ICMPv4 over the message alone), echo helpers and error-message bodies.
import { ParseError, need, u16, u32, putU16, putU32 } from '../../common/bytes.js';
import type { Decoded } from './decoded.js';
import { checksumOk, internetChecksum, pseudoHeaderSum } from './checksum.js';
import type { PseudoAddrs } from './udp.js';
import {
  ICMP_HEADER_BYTES,
  IPPROTO_ICMPV6,
  ICMP_ECHO,
  ICMP_ECHOREPLY,
  ICMP6_ECHO_REQUEST,
  ICMP6_ECHO_REPLY,
  IPV6_MIN_MTU,
  IPV6_HEADER_BYTES,
} from './constants.js';

/*  RFC 792 / RFC 4443 §2.1 (echo shown; other types use bytes 4..7 as their own "rest of header")
    0                   1                   2                   3
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |     Type      |     Code      |          Checksum             |
   |           Identifier          |        Sequence Number        |
   |     Data ...
*/

export interface IcmpHeader {
  type: number;
  code: number;
  checksum: number;
  /** Bytes 4..7 as one 32-bit word (echo id/seq, next-hop MTU, pointer...). */
  rest: number;
  /** Echo identifier and sequence (the halves of `rest`). */
  id: number;
  seq: number;
}

function decodeIcmpCommon(buf: Uint8Array, off: number, end: number, field: string): IcmpHeader {
  if (end > buf.length || end < off) throw new ParseError(`${field} bounds outside the buffer`, off, field);
  need(buf.subarray(0, end), off, ICMP_HEADER_BYTES, `${field}.header`);
  return {
    type: buf[off]!,
    code: buf[off + 1]!,
    checksum: u16(buf, off + 2),
    rest: u32(buf, off + 4),
    id: u16(buf, off + 4),
    seq: u16(buf, off + 6),
  };
}

/** Decodes and checksums an ICMPv4 message occupying buf[off, end) (RFC 792: no pseudo-header). */
export function decodeIcmp(buf: Uint8Array, off: number, end = buf.length, verifyChecksum = true): Decoded<IcmpHeader> {
  const value = decodeIcmpCommon(buf, off, end, 'icmp');
  if (verifyChecksum && !checksumOk(buf, off, end - off))
    throw new ParseError('ICMP checksum mismatch', off + 2, 'icmp.checksum');
  return { value, next: off + ICMP_HEADER_BYTES };
}

/** Decodes and checksums an ICMPv6 message occupying buf[off, end) (RFC 4443 §2.3: IPv6 pseudo-header). */
export function decodeIcmpv6(
  buf: Uint8Array,
  off: number,
  end: number,
  ip: PseudoAddrs,
  verifyChecksum = true,
): Decoded<IcmpHeader> {
  const value = decodeIcmpCommon(buf, off, end, 'icmpv6');
  if (verifyChecksum && !checksumOk(buf, off, end - off, pseudoHeaderSum(ip.src, ip.dst, IPPROTO_ICMPV6, end - off))) {
    throw new ParseError('ICMPv6 checksum mismatch', off + 2, 'icmpv6.checksum');
  }
  return { value, next: off + ICMP_HEADER_BYTES };
}

/**
 * Writes type, code and `rest` at buf[off] and the checksum over buf[off, end) (the body already in place).
 * With `ip` (16-byte addresses) the ICMPv6 pseudo-header is included.
 */
export function encodeIcmp(
  buf: Uint8Array,
  off: number,
  end: number,
  type: number,
  code: number,
  rest: number,
  ip?: PseudoAddrs,
): number {
  if (end - off < ICMP_HEADER_BYTES || end > buf.length) throw new RangeError('ICMP message bounds are wrong');
  buf[off] = type;
  buf[off + 1] = code;
  putU16(buf, off + 2, 0);
  putU32(buf, off + 4, rest >>> 0);
  const acc = ip ? pseudoHeaderSum(ip.src, ip.dst, IPPROTO_ICMPV6, end - off) : 0;
  putU16(buf, off + 2, internetChecksum(buf, off, end - off, acc));
  return end;
}

/** A new ICMP message: header then `body`. Pass `ip` for ICMPv6. */
export function buildIcmp(type: number, code: number, rest: number, body: Uint8Array, ip?: PseudoAddrs): Uint8Array {
  const out = new Uint8Array(ICMP_HEADER_BYTES + body.length);
  out.set(body, ICMP_HEADER_BYTES);
  encodeIcmp(out, 0, out.length, type, code, rest, ip);
  return out;
}

/** An echo request (ICMPv4 type 8, or ICMPv6 type 128 when `ip` has 16-byte addresses). */
export function buildEchoRequest(id: number, seq: number, data: Uint8Array, ip?: PseudoAddrs): Uint8Array {
  const v6 = ip !== undefined && ip.src.length === 16;
  return buildIcmp(
    v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO,
    0,
    (((id & 0xffff) << 16) | (seq & 0xffff)) >>> 0,
    data,
    v6 ? ip : undefined,
  );
}

/**
 * The echo reply to the echo request at buf[off, end) (RFC 792 "echo reply": same id, seq and data;
 * RFC 4443 §4.2 likewise). `ip` must be the reply's addresses (swapped) for ICMPv6. ParseError if the message
 * is not an echo request.
 */
export function buildEchoReply(buf: Uint8Array, off: number, end: number, ip?: PseudoAddrs): Uint8Array {
  const v6 = ip !== undefined && ip.src.length === 16;
  const h = decodeIcmpCommon(buf, off, end, v6 ? 'icmpv6' : 'icmp');
  if (h.type !== (v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO) || h.code !== 0) {
    throw new ParseError(`ICMP type ${h.type} code ${h.code} is not an echo request`, off, 'icmp.type');
  }
  return buildIcmp(
    v6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY,
    0,
    h.rest,
    buf.subarray(off + ICMP_HEADER_BYTES, end),
    v6 ? ip : undefined,
  );
}

/**
 * The body of an ICMP error about `offending` (an IP packet): RFC 792 asks for the IP header plus 64 bits
 * of data; RFC 1812 §4.3.2.3 allows more, up to 576 bytes in all. For ICMPv6, RFC 4443 §2.4(c) asks for as
 * much as fits in the minimum MTU (1280).
 */
export function icmpErrorQuote(offending: Uint8Array, v6: boolean): Uint8Array {
  if (v6)
    return offending.subarray(0, Math.min(offending.length, IPV6_MIN_MTU - IPV6_HEADER_BYTES - ICMP_HEADER_BYTES));
  need(offending, 0, 1, 'icmp.quote');
  const ihl = (offending[0]! & 0x0f) * 4;
  return offending.subarray(0, Math.min(offending.length, ihl + 8));
}
