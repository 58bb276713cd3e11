// ESP-in-UDP (RFC 3948): the UDP header written in front of ESP on output (§2.1), the port-4500
// demultiplexing of ESP, IKE (non-ESP marker, §2.2) and NAT-keepalive (§2.3) on input, stripping the UDP
// header before ESP processing, and the transport-mode TCP/UDP checksum fix-up after decapsulation (§3.1.2).
import type { NatT } from '../sad/secassoc.js';
import { internetChecksum, pseudoHeaderSum, sumWords, finishChecksum, updateChecksumBytes } from '../ip/checksum.js';
import { IPPROTO_ESP, IPPROTO_UDP, IPPROTO_TCP } from '../ip/constants.js';
import { IpWalk, walkIp, nextHeaderOffset } from '../ip/walk.js';
import { setIpLength } from '../ip/rewrite.js';

/*
 *  0                   1                   2                   3
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Source Port            |      Destination Port         |
 * |           Length              |           Checksum            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  ESP header (SPI != 0) ... | or Non-ESP Marker (0x00000000) + IKE | or 0xFF (keepalive)
 */
export const UDP_ENCAP_HEADER_BYTES = 8;
/** RFC 3948 §2: the IKE/ESP NAT-traversal port. */
export const NAT_T_PORT = 4500;
/** RFC 3948 §2.2: four zero bytes in front of IKE messages on port 4500. */
export const NON_ESP_MARKER_BYTES = 4;
/** RFC 3948 §2.3: a NAT-keepalive is one byte, 0xFF. */
export const NATT_KEEPALIVE_BYTE = 0xff;

/** What a datagram on an ESP-in-UDP port carries. Offsets are into the whole IP packet. */
export type UdpEncapKind =
  | { kind: 'esp'; espOffset: number }
  | { kind: 'ike'; ikeOffset: number }
  | { kind: 'keepalive' }
  | { kind: 'drop'; reason: 'udps_hdrops' | 'udps_badlen' | 'udps_badsum' | 'esps_hdrops' };

/** Writes the UDP header at out[udpOff] for `udpLen` bytes; checksum 0 (RFC 3948 §2.1; IPv6 fixes it later). */
export function writeUdpEncapHeader(out: Uint8Array, udpOff: number, natt: NatT, udpLen: number): void {
  out[udpOff] = natt.sport >> 8;
  out[udpOff + 1] = natt.sport & 0xff;
  out[udpOff + 2] = natt.dport >> 8;
  out[udpOff + 3] = natt.dport & 0xff;
  out[udpOff + 4] = udpLen >> 8;
  out[udpOff + 5] = udpLen & 0xff;
  out[udpOff + 6] = 0;
  out[udpOff + 7] = 0;
}

/** The header walk of the packet at hand (kernel/ip/walk.ts), reused: read right after walking, nothing kept. */
const walk = new IpWalk();

/** The UDP header offset and the byte naming UDP; undefined unless the chain leads to UDP in a whole packet. */
function udpLocation(p: Uint8Array): { udpOff: number; nhOff: number; end: number } | undefined {
  // A fragment is not ours to parse: reassembly comes first.
  if (!walkIp(p, walk) || walk.fragment || walk.proto !== IPPROTO_UDP) return undefined;
  return { udpOff: walk.protoOff, nhOff: walk.protoNhOff, end: walk.end };
}

/**
 * RFC 3948 §2.2/§2.3 demultiplexing of a UDP datagram received on an encapsulation port. The UDP header
 * is checked (length; on IPv6 a non-zero, correct checksum, RFC 8200 §8.1); a 0xFF byte is a keepalive,
 * a zero first word is the non-ESP marker in front of IKE, anything else of ESP size is ESP.
 */
export function classifyUdpEncap(packet: Uint8Array): UdpEncapKind {
  const loc = udpLocation(packet);
  if (!loc) return { kind: 'drop', reason: 'udps_hdrops' };
  const { udpOff, end } = loc;
  if (udpOff + UDP_ENCAP_HEADER_BYTES > end) return { kind: 'drop', reason: 'udps_hdrops' };
  const ulen = (packet[udpOff + 4]! << 8) | packet[udpOff + 5]!;
  if (ulen < UDP_ENCAP_HEADER_BYTES || udpOff + ulen > end) return { kind: 'drop', reason: 'udps_badlen' };
  if (packet[0]! >> 4 === 6 && !udp6ChecksumOk(packet, udpOff, ulen)) return { kind: 'drop', reason: 'udps_badsum' };
  const body = udpOff + UDP_ENCAP_HEADER_BYTES;
  const bodyLen = ulen - UDP_ENCAP_HEADER_BYTES;
  if (bodyLen === 1 && packet[body] === NATT_KEEPALIVE_BYTE) return { kind: 'keepalive' };
  if (bodyLen < NON_ESP_MARKER_BYTES) return { kind: 'drop', reason: 'esps_hdrops' };
  const marker = packet[body]! | packet[body + 1]! | packet[body + 2]! | packet[body + 3]!;
  if (marker === 0) return { kind: 'ike', ikeOffset: body + NON_ESP_MARKER_BYTES };
  // RFC 3948 §2.2: ESP needs at least the SPI and sequence number.
  if (bodyLen < 8) return { kind: 'drop', reason: 'esps_hdrops' };
  return { kind: 'esp', espOffset: body };
}

/** RFC 8200 §8.1: a zero UDP checksum is invalid over IPv6; otherwise the sum must verify. */
function udp6ChecksumOk(p: Uint8Array, udpOff: number, ulen: number): boolean {
  if (p[udpOff + 6] === 0 && p[udpOff + 7] === 0) return false;
  const s = pseudoHeaderSum(p.subarray(8, 24), p.subarray(24, 40), IPPROTO_UDP, ulen);
  return finishChecksum(sumWords(p, udpOff, ulen, s)) === 0;
}

/**
 * Removes the UDP header in place so that ESP follows the IP header directly (protocol/next header 50,
 * lengths and the IPv4 checksum fixed). Call after classifyUdpEncap said 'esp'. Returns a view of
 * `packet` and the new ESP offset, or undefined if the packet is not UDP.
 */
export function stripUdpEncap(packet: Uint8Array): { packet: Uint8Array; espOffset: number } | undefined {
  const loc = udpLocation(packet);
  if (!loc || loc.udpOff + UDP_ENCAP_HEADER_BYTES > loc.end) return undefined;
  const ulen = (packet[loc.udpOff + 4]! << 8) | packet[loc.udpOff + 5]!;
  const end = ulen >= UDP_ENCAP_HEADER_BYTES && loc.udpOff + ulen <= loc.end ? loc.udpOff + ulen : loc.end;
  packet.copyWithin(UDP_ENCAP_HEADER_BYTES, 0, loc.udpOff);
  const out = packet.subarray(UDP_ENCAP_HEADER_BYTES, end);
  out[loc.nhOff] = IPPROTO_ESP;
  setIpLength(out, loc.udpOff, out.length);
  return { packet: out, espOffset: loc.udpOff };
}

/**
 * Wraps an existing ESP packet (ESP at espOffset) in UDP: a new buffer with the UDP header inserted and
 * the IP header fixed. espOutput does this itself for SAs with `natt`; this is for ESP built elsewhere.
 */
export function udpEncapsulate(packet: Uint8Array, espOffset: number, natt: NatT): Uint8Array {
  const nhOff = nextHeaderOffset(packet, walk, IPPROTO_ESP, espOffset);
  const out = new Uint8Array(packet.length + UDP_ENCAP_HEADER_BYTES);
  out.set(packet.subarray(0, espOffset), 0);
  out.set(packet.subarray(espOffset), espOffset + UDP_ENCAP_HEADER_BYTES);
  if (nhOff >= 0) out[nhOff] = IPPROTO_UDP;
  writeUdpEncapHeader(out, espOffset, natt, out.length - espOffset);
  setIpLength(out, espOffset, out.length);
  if (out[0]! >> 4 === 6) {
    const len = out.length - espOffset;
    const s = pseudoHeaderSum(out.subarray(8, 24), out.subarray(24, 40), IPPROTO_UDP, len);
    let c = internetChecksum(out, espOffset, len, s);
    if (c === 0) c = 0xffff;
    out[espOffset + 6] = c >> 8;
    out[espOffset + 7] = c & 0xff;
  }
  return out;
}

/**
 * RFC 3948 §3.1.2, after transport-mode decapsulation of a packet that crossed a NAT: the inner TCP/UDP
 * checksum was computed over the sender's original addresses. With natt.oai (the peer's original source,
 * paired with the packet's source) and natt.oar (the original destination) known, it is updated
 * incrementally (option 1); otherwise it is recomputed (option 2). A zero UDP checksum over IPv4 stays zero.
 * Returns false if the packet is too short to carry the transport header.
 */
export function fixupTransportChecksum(packet: Uint8Array, natt: NatT | undefined): boolean {
  // IPv6: the upper-layer header may follow hop-by-hop, routing and destination-options headers.
  if (!walkIp(packet, walk)) return false;
  const v4 = walk.version === 4;
  const hl = walk.protoOff;
  const proto = walk.proto;
  if (walk.fragment || (proto !== IPPROTO_TCP && proto !== IPPROTO_UDP)) return true;
  const csumOff = hl + (proto === IPPROTO_TCP ? 16 : 6);
  if (packet.length < csumOff + 2) return false;
  if (v4 && proto === IPPROTO_UDP && packet[csumOff] === 0 && packet[csumOff + 1] === 0) return true;
  const src = v4 ? packet.subarray(12, 16) : packet.subarray(8, 24);
  const dst = v4 ? packet.subarray(16, 20) : packet.subarray(24, 40);
  const old = (packet[csumOff]! << 8) | packet[csumOff + 1]!;
  let c: number;
  if (natt?.oai && natt.oar && natt.oai.length === src.length && natt.oar.length === dst.length) {
    c = updateChecksumBytes(updateChecksumBytes(old, natt.oai, src), natt.oar, dst);
  } else {
    packet[csumOff] = 0;
    packet[csumOff + 1] = 0;
    const len = packet.length - hl;
    c = internetChecksum(packet, hl, len, pseudoHeaderSum(src, dst, proto, len));
  }
  if (proto === IPPROTO_UDP && c === 0) c = 0xffff;
  packet[csumOff] = c >> 8;
  packet[csumOff + 1] = c & 0xff;
  return true;
}
