// Where a transform meets an outgoing or arriving IP packet: the packet's own end, and for transport mode
// the bytes that stay in front of the IPsec header (RFC 4302 §3.1.1, RFC 3173 §3.3).
import { IPV4_MIN_HEADER_BYTES, IPV6_HEADER_BYTES, IP_MF, IP_OFFMASK } from './constants.js';
import { walkIpv6Chain, ipsecInsertPoint } from './ipv6.js';

/** End of the IP packet at 0 (its own length, link padding excluded), or -1 if the header is short or lies. */
export function ipPacketEnd(p: Uint8Array): number {
  if (p.length < 1) return -1;
  const v = p[0]! >> 4;
  if (v === 4) {
    const hl = (p[0]! & 0x0f) << 2;
    if (p.length < IPV4_MIN_HEADER_BYTES || hl < IPV4_MIN_HEADER_BYTES) return -1;
    const end = (p[2]! << 8) | p[3]!;
    return end >= hl && end <= p.length ? end : -1;
  }
  if (v !== 6 || p.length < IPV6_HEADER_BYTES) return -1;
  const end = IPV6_HEADER_BYTES + ((p[4]! << 8) | p[5]!);
  return end <= p.length ? end : -1; // a jumbogram (payload length 0) is not supported
}

/** Bytes kept in front of the IPsec header, the offset of the byte naming what follows them, and the packet end. */
export interface TransportSplit {
  hdrLen: number;
  nhOff: number;
  end: number;
}

/**
 * Transport mode for AH and IPComp: after the IPv4 header, or at the RFC 4302 §3.1.1 insertion point of the
 * IPv6 chain. Fragments are refused (IPsec is applied before fragmentation); undefined if malformed.
 */
export function splitForTransport(p: Uint8Array): TransportSplit | undefined {
  const end = ipPacketEnd(p);
  if (end < 0) return undefined;
  if (p[0]! >> 4 === 4) {
    if ((((p[6]! << 8) | p[7]!) & (IP_MF | IP_OFFMASK)) !== 0) return undefined;
    return { hdrLen: (p[0]! & 0x0f) << 2, nhOff: 9, end };
  }
  try {
    const chain = walkIpv6Chain(p.subarray(0, end));
    if (chain.fragment) return undefined;
    const ins = ipsecInsertPoint(chain);
    return { hdrLen: ins.offset, nhOff: ins.nextHeaderAt, end };
  } catch {
    return undefined; // malformed extension headers (ParseError)
  }
}
