// IP-layer wire numbers and limits (RFC 791, RFC 8200, RFC 768, RFC 792, RFC 4443), spelled as the
// RFCs and the BSD headers spell them so that grep finds both. The protocol numbers the key managers use too
// (ICMP, TCP, UDP, ESP, AH, ICMPv6, IPComp) live in pfkey/constants.ts and are re-exported here.
export {
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPPROTO_ESP,
  IPPROTO_AH,
  IPPROTO_ICMPV6,
  IPPROTO_IPCOMP,
} from '../../pfkey/constants.js';

/** Assigned Internet protocol numbers (IANA "Protocol Numbers"), also IPv6 Next Header values. */
export const IPPROTO_HOPOPTS = 0; // RFC 8200 §4.3
export const IPPROTO_IPV4 = 4; // IP-in-IP (tunnel mode inner header)
export const IPPROTO_IPV6 = 41;
export const IPPROTO_ROUTING = 43; // RFC 8200 §4.4
export const IPPROTO_FRAGMENT = 44; // RFC 8200 §4.5
export const IPPROTO_NONE = 59; // RFC 8200 §4.7
export const IPPROTO_DSTOPTS = 60; // RFC 8200 §4.6

export const IPPROTO_NAMES: Readonly<Record<number, string>> = {
  0: 'hopopts',
  1: 'icmp',
  4: 'ipv4',
  6: 'tcp',
  17: 'udp',
  41: 'ipv6',
  43: 'routing',
  44: 'fragment',
  50: 'esp',
  51: 'ah',
  58: 'icmpv6',
  59: 'none',
  60: 'dstopts',
  108: 'ipcomp',
};

/** Name for logs; unknown numbers print as digits. */
export function ipprotoName(p: number): string {
  return IPPROTO_NAMES[p] ?? String(p);
}

// RFC 791 §3.1 sizes and flags.
export const IPV4_MIN_HEADER_BYTES = 20;
export const IPV4_MAX_HEADER_BYTES = 60;
export const IPV4_MAX_PACKET_BYTES = 65535;
export const IPV4_MIN_MTU = 68; // RFC 791 §3.2 "every internet module must be able to forward 68 octets"
export const IP_RF = 0x8000; // reserved flag bit (must be zero)
export const IP_DF = 0x4000; // don't fragment
export const IP_MF = 0x2000; // more fragments
export const IP_OFFMASK = 0x1fff; // fragment offset, in 8-byte units

// RFC 791 §3.1 option types (copied flag 0x80, class 0x60, number 0x1f).
export const IPOPT_EOL = 0;
export const IPOPT_NOP = 1;
export const IPOPT_RR = 7;
export const IPOPT_TS = 68;
export const IPOPT_SECURITY = 130;
export const IPOPT_LSRR = 131;
export const IPOPT_SATID = 136;
export const IPOPT_SSRR = 137;
export const IPOPT_RA = 148; // RFC 2113 router alert
export const IPOPT_COPIED = 0x80;

// RFC 8200 §3 sizes.
export const IPV6_HEADER_BYTES = 40;
export const IPV6_MIN_MTU = 1280; // RFC 8200 §5
export const IPV6_FRAG_HEADER_BYTES = 8;
export const IP6F_MORE_FRAG = 0x0001; // M flag in the fragment header's offset word
export const IP6F_OFF_MASK = 0xfff8; // offset in 8-byte units, already shifted left by 3

// RFC 8200 §4.2 option type bits.
export const IP6OPT_PAD1 = 0;
export const IP6OPT_PADN = 1;
export const IP6OPT_JUMBO = 0xc2; // RFC 2675
export const IP6OPT_ROUTER_ALERT = 5; // RFC 2711
export const IP6OPT_MUTABLE = 0x20; // "option data may change en route"

// RFC 768 / RFC 792 / RFC 4443 sizes and the types the stack answers or builds.
export const UDP_HEADER_BYTES = 8;
export const ICMP_HEADER_BYTES = 8;
export const ICMP_ECHOREPLY = 0;
export const ICMP_UNREACH = 3;
export const ICMP_UNREACH_NEEDFRAG = 4; // RFC 1191 "fragmentation needed and DF set"
export const ICMP_ECHO = 8;
export const ICMP_TIMXCEED = 11;
export const ICMP_TIMXCEED_REASS = 1; // fragment reassembly time exceeded
export const ICMP6_DST_UNREACH = 1;
export const ICMP6_PACKET_TOO_BIG = 2;
export const ICMP6_TIME_EXCEEDED = 3;
export const ICMP6_TIME_EXCEED_REASSEMBLY = 1;
export const ICMP6_PARAM_PROB = 4;
export const ICMP6_ECHO_REQUEST = 128;
export const ICMP6_ECHO_REPLY = 129;

// Reassembly timers (RFC 791 suggests 15 s initial, BSD uses 30 s; RFC 8200 §4.5 says 60 s).
export const IPV4_REASS_TIMEOUT_MS = 30_000;
export const IPV6_REASS_TIMEOUT_MS = 60_000;
