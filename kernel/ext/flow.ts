// A read-only view of a packet for extension code: family, addresses, protocol, ports (or the ICMP echo
// identifier) and where the payload starts, without the extension having to parse headers. Undefined for a
// packet whose IP header does not parse (a filter should drop it, or leave it to the stack's own checks).
import { ParseError } from '../../common/bytes.js';
import { decodeIpPacket } from '../ip/packet.js';
import {
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  ICMP_ECHO,
  ICMP_ECHOREPLY,
  ICMP6_ECHO_REQUEST,
  ICMP6_ECHO_REPLY,
} from '../ip/constants.js';

export interface IpFlow {
  family: 4 | 6;
  src: Uint8Array;
  dst: Uint8Array;
  protocol: number;
  /** TCP/UDP ports; for ICMP echo request/reply both are the echo identifier; 0 otherwise. */
  sport: number;
  dport: number;
  /** ICMP/ICMPv6 type, or -1. */
  icmpType: number;
  payloadOffset: number;
  end: number;
  isFragment: boolean;
}

const ECHO_TYPES = new Set([ICMP_ECHO, ICMP_ECHOREPLY]);
const ECHO6_TYPES = new Set([ICMP6_ECHO_REQUEST, ICMP6_ECHO_REPLY]);

/** Decodes the IP header chain of `packet` (checksums included); no copy of the bytes. */
export function ipFlow(packet: Uint8Array): IpFlow | undefined {
  let s;
  try {
    s = decodeIpPacket(packet);
  } catch (e) {
    if (e instanceof ParseError) return undefined;
    throw e;
  }
  const off = s.payloadOffset;
  const whole = !s.isFragment || (s.ipv4 ? s.ipv4.fragOffset === 0 : false);
  let sport = 0,
    dport = 0,
    icmpType = -1;
  if (whole && off + 4 <= s.end) {
    const p = s.protocol;
    if (p === IPPROTO_TCP || p === IPPROTO_UDP) {
      sport = (packet[off]! << 8) | packet[off + 1]!;
      dport = (packet[off + 2]! << 8) | packet[off + 3]!;
    } else if (p === IPPROTO_ICMP || p === IPPROTO_ICMPV6) {
      icmpType = packet[off]!;
      const echo = p === IPPROTO_ICMP ? ECHO_TYPES : ECHO6_TYPES;
      if (echo.has(icmpType) && off + 6 <= s.end) sport = dport = (packet[off + 4]! << 8) | packet[off + 5]!;
    }
  }
  return {
    family: s.family,
    src: s.src,
    dst: s.dst,
    protocol: s.protocol,
    sport,
    dport,
    icmpType,
    payloadOffset: off,
    end: s.end,
    isFragment: s.isFragment,
  };
}
