// One line per frame seen on a wire (what tcpdump would say): addresses, protocol, and for IPsec the SPI
// (RFC 4303 §2.1, RFC 4302 §2.4), sequence number (RFC 4303 §2.2, RFC 4302 §2.5) or CPI (RFC 3173 §2.2).
// Pure and total: a malformed frame is summarised as such, never thrown on.
import { ParseError, u16, u32 } from '../common/bytes.js';
import { formatAddr } from '../common/inet.js';
import { decodeIpPacket } from '../kernel/ip/packet.js';
import { NAT_T_PORT } from '../kernel/ipsec/udp-encap.js';
import {
  IPPROTO_ICMP,
  IPPROTO_UDP,
  IPPROTO_ESP,
  IPPROTO_AH,
  IPPROTO_ICMPV6,
  IPPROTO_IPCOMP,
} from '../pfkey/constants.js';
import { ISAKMP_PORT } from '../racoon/isakmp/constants.js';

const NAMES: Record<number, string> = {
  1: 'ICMP',
  6: 'TCP',
  17: 'UDP',
  50: 'ESP',
  51: 'AH',
  58: 'ICMPv6',
  108: 'IPComp',
};

export interface FrameSummary {
  src: string;
  dst: string;
  /** ESP, AH, IPComp, UDP, IKE (UDP 500/4500), ICMP, ICMPv6, ESP-in-UDP, or `proto N`; `malformed` when the header is bad. */
  proto: string;
  spi?: number;
  seq?: number;
  cpi?: number;
  /** UDP ports or ICMP type. */
  detail?: string;
  length: number;
}

function ipsecFields(b: Uint8Array, proto: number, off: number, end: number): Partial<FrameSummary> {
  try {
    if (proto === IPPROTO_ESP && end - off >= 8) return { spi: u32(b, off), seq: u32(b, off + 4) };
    if (proto === IPPROTO_AH && end - off >= 12) return { spi: u32(b, off + 4), seq: u32(b, off + 8) };
    if (proto === IPPROTO_IPCOMP && end - off >= 4) return { cpi: u16(b, off + 2) };
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
  }
  return {};
}

/** Summarises one IP packet as it crossed a link. */
export function summarizeFrame(frame: Uint8Array): FrameSummary {
  let s;
  try {
    s = decodeIpPacket(frame);
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    return { src: '?', dst: '?', proto: 'malformed', detail: e.message, length: frame.length };
  }
  const base = { src: formatAddr(s.src), dst: formatAddr(s.dst), length: frame.length };
  const p = s.protocol,
    off = s.payloadOffset,
    end = Math.min(s.end, frame.length);
  if (s.isFragment) return { ...base, proto: `${NAMES[p] ?? `proto ${p}`} fragment` };
  if (p === IPPROTO_ESP || p === IPPROTO_AH || p === IPPROTO_IPCOMP)
    return { ...base, proto: NAMES[p]!, ...ipsecFields(frame, p, off, end) };
  if (p === IPPROTO_UDP && end - off >= 8) {
    const sport = u16(frame, off),
      dport = u16(frame, off + 2);
    // RFC 3948 §2.2: a zero first word is the non-ESP marker (IKE); one 0xFF byte is a keepalive.
    if ((sport === NAT_T_PORT || dport === NAT_T_PORT) && end - off >= 16 && u32(frame, off + 8) !== 0) {
      return {
        ...base,
        proto: 'ESP-in-UDP',
        ...ipsecFields(frame, IPPROTO_ESP, off + 8, end),
        detail: `${sport} > ${dport}`,
      };
    }
    const ike = sport === ISAKMP_PORT || dport === ISAKMP_PORT || sport === NAT_T_PORT || dport === NAT_T_PORT;
    return { ...base, proto: ike ? 'IKE' : 'UDP', detail: `${sport} > ${dport}` };
  }
  if ((p === IPPROTO_ICMP || p === IPPROTO_ICMPV6) && end - off >= 1)
    return { ...base, proto: NAMES[p]!, detail: `type ${frame[off]}` };
  return { ...base, proto: NAMES[p] ?? `proto ${p}` };
}

/** `0x00001001` as setkey and tshark print SPIs. */
export function spiHex(spi: number): string {
  return `0x${spi.toString(16).padStart(8, '0')}`;
}

/** True if `needle` occurs in `hay` (to show that plaintext did not cross the wire). */
export function containsBytes(hay: Uint8Array, needle: Uint8Array): boolean {
  if (needle.length === 0) return true;
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}
