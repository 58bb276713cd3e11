// In-place rewrites of an IP header after a transform changed what follows it (transport mode and
// ESP-in-UDP): the protocol/next-header byte, the length field, and the IPv4 header checksum.
import { IPV6_HEADER_BYTES } from './constants.js';

/**
 * RFC 791 §3.1 header checksum of p[0, hl) with the checksum field (bytes 10-11) counted as zero. A
 * specialised RFC 1071 sum for the one header the packet path rewrites (at most 30 words: no overflow).
 */
export function ipv4HeaderChecksum(p: Uint8Array, hl: number): number {
  let s = 0;
  for (let i = 0; i < hl; i += 2) s += (p[i]! << 8) | p[i + 1]!;
  s -= (p[10]! << 8) | p[11]!;
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** Sets the IPv4 total length (and header checksum over hdrLen bytes) or the IPv6 payload length. */
export function setIpLength(p: Uint8Array, hdrLen: number, total: number): void {
  if (p[0]! >> 4 === 6) {
    p[4] = (total - IPV6_HEADER_BYTES) >> 8;
    p[5] = (total - IPV6_HEADER_BYTES) & 0xff;
    return;
  }
  p[2] = total >> 8;
  p[3] = total & 0xff;
  const c = ipv4HeaderChecksum(p, hdrLen);
  p[10] = c >> 8;
  p[11] = c & 0xff;
}

/** Transport mode: the header's next-header byte at `nhOff` now names `proto`, with the new total length. */
export function setTransportHeader(p: Uint8Array, hdrLen: number, nhOff: number, proto: number, total: number): void {
  p[nhOff] = proto;
  setIpLength(p, hdrLen, total);
}
