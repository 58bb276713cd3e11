// Whole-packet helpers over ipv4.ts/ipv6.ts: one summary decoder for the input path and builders that
// pick IPv4 or IPv6 from the address length.
import { ParseError } from '../../common/bytes.js';
import { decodeIpv4, buildIpv4Packet, encodeIpv4, type Ipv4Header } from './ipv4.js';
import { walkIpv6Chain, buildIpv6Packet, encodeIpv6, type Ipv6Chain } from './ipv6.js';
import { buildUdp, encodeUdp } from './udp.js';
import { buildEchoRequest } from './icmp.js';
import { allocPacket } from './packet-pool.js';
import {
  IPPROTO_UDP,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPV4_MIN_HEADER_BYTES,
  IPV6_HEADER_BYTES,
  UDP_HEADER_BYTES,
} from './constants.js';

/** What the input path needs to dispatch a packet, for either family. */
export interface IpSummary {
  family: 4 | 6;
  src: Uint8Array;
  dst: Uint8Array;
  /** The upper-layer (or ESP/AH/IPComp) protocol and where it starts. */
  protocol: number;
  payloadOffset: number;
  /** Offset just past the packet (trailing link padding excluded). */
  end: number;
  /** True for any fragment (IPv4 MF or offset, or an IPv6 fragment header other than an atomic one). */
  isFragment: boolean;
  ipv4?: Ipv4Header;
  ipv6?: Ipv6Chain;
}

/** Decodes either family (ParseError on anything malformed, IPv4 checksum included). */
export function decodeIpPacket(pkt: Uint8Array): IpSummary {
  if (pkt.length === 0) throw new ParseError('empty packet', 0, 'ip.version');
  const v = pkt[0]! >> 4;
  if (v === 4) {
    const { value: h, next } = decodeIpv4(pkt, 0);
    return {
      family: 4,
      src: h.src,
      dst: h.dst,
      protocol: h.protocol,
      payloadOffset: next,
      end: h.totalLength,
      isFragment: h.mf || h.fragOffset !== 0,
      ipv4: h,
    };
  }
  if (v === 6) {
    const c = walkIpv6Chain(pkt, 0);
    const isFragment = c.fragment !== undefined && (c.fragment.more || c.fragment.fragOffset !== 0);
    return {
      family: 6,
      src: c.header.src,
      dst: c.header.dst,
      protocol: c.upperProto,
      payloadOffset: c.upperOffset,
      end: c.end,
      isFragment,
      ipv6: c,
    };
  }
  throw new ParseError(`IP version ${v} is neither 4 nor 6`, 0, 'ip.version');
}

/** Fields common to both families for the builders below. */
export interface IpInit {
  src: Uint8Array;
  dst: Uint8Array;
  /** TTL or hop limit; 64 by default. */
  ttl?: number;
  /** IPv4 identification. */
  id?: number;
  df?: boolean;
  /** TOS or traffic class. */
  tos?: number;
}

/** An IPv4 or IPv6 packet (by address length) carrying `payload` as `protocol`. */
export function buildIpPacket(ip: IpInit, protocol: number, payload: Uint8Array): Uint8Array {
  if (ip.src.length === 4) {
    return buildIpv4Packet(
      { src: ip.src, dst: ip.dst, protocol, ttl: ip.ttl, id: ip.id, df: ip.df, tos: ip.tos },
      payload,
    );
  }
  return buildIpv6Packet(
    { src: ip.src, dst: ip.dst, nextHeader: protocol, hopLimit: ip.ttl, trafficClass: ip.tos },
    payload,
  );
}

/** An IP packet carrying one UDP datagram with a correct checksum. */
export function buildUdpPacket(ip: IpInit, srcPort: number, dstPort: number, data: Uint8Array): Uint8Array {
  return buildIpPacket(ip, IPPROTO_UDP, buildUdp(srcPort, dstPort, data, ip));
}

/** An IP packet carrying an ICMP (IPv4) or ICMPv6 (IPv6) echo request. */
export function buildEchoRequestPacket(ip: IpInit, id: number, seq: number, data: Uint8Array): Uint8Array {
  const v6 = ip.src.length === 16;
  return buildIpPacket(ip, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP, buildEchoRequest(id, seq, data, ip));
}

/**
 * The IP/UDP packet of a datagram the machine's kernel delivered on a UDP socket (uipsecd --tun's IKE and
 * ESP-in-UDP), built in one pooled buffer with one copy of the data — the input path then decodes it as any
 * packet. Over IPv4 the UDP checksum is left 0, "none" (RFC 768): the kernel verified the datagram's own on
 * receipt, and summing 1.4 KB twice more (here and in the input path) was ~5% of a gateway's main thread
 * (docs/performance.md). IPv6 has no such option (RFC 8200 §8.1): its checksum is computed. Undefined when
 * the packet would exceed 65,535 bytes.
 */
export function receivedUdpPacket(
  ip: { src: Uint8Array; dst: Uint8Array },
  srcPort: number,
  dstPort: number,
  data: Uint8Array,
): Uint8Array | undefined {
  const v4 = ip.src.length === 4;
  const hl = v4 ? IPV4_MIN_HEADER_BYTES : IPV6_HEADER_BYTES;
  const ulen = UDP_HEADER_BYTES + data.length;
  if ((v4 ? hl : 0) + ulen > 0xffff) return undefined;
  const p = allocPacket(hl + ulen);
  if (v4) encodeIpv4({ src: ip.src, dst: ip.dst, protocol: IPPROTO_UDP }, hl + ulen, p, 0);
  else encodeIpv6({ src: ip.src, dst: ip.dst, nextHeader: IPPROTO_UDP }, ulen, p, 0);
  p.set(data, hl + UDP_HEADER_BYTES);
  encodeUdp(p, hl, srcPort, dstPort, data.length, ip, v4);
  return p;
}
