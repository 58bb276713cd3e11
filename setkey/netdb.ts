// Protocol and service names setkey resolves, as a fixed table in place of /etc/protocols and /etc/services
// (getprotobyname/getservbyname in ipsec-tools parse.y), so results do not depend on the host.
// Protocol numbers are IANA "Assigned Internet Protocol Numbers"; ports are IANA service names.
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMPV6 } from '../pfkey/constants.js';

// [number, canonical name as Debian's /etc/protocols prints it, ...aliases]
const PROTOCOLS: readonly (readonly [number, string, ...string[]])[] = [
  [0, 'ip', 'hopopt'],
  [1, 'icmp'],
  [2, 'igmp'],
  [4, 'ipencap', 'ip4', 'ipip', 'ipv4'],
  [6, 'tcp'],
  [8, 'egp'],
  [17, 'udp'],
  [41, 'ipv6', 'ip6'],
  [43, 'ipv6-route', 'rt6'],
  [44, 'ipv6-frag', 'frag6'],
  [46, 'rsvp'],
  [47, 'gre'],
  [50, 'esp', 'ipv6-crypt'],
  [51, 'ah', 'ipv6-auth'],
  [58, 'ipv6-icmp', 'icmp6', 'icmpv6'],
  [59, 'ipv6-nonxt'],
  [60, 'ipv6-opts', 'dst6'],
  [89, 'ospf'],
  [94, 'ipip-ka9q'],
  [103, 'pim'],
  [108, 'ipcomp'],
  [112, 'vrrp'],
  [115, 'l2tp'],
  [132, 'sctp'],
  [135, 'mobility-header', 'mh', 'ipv6-mh'],
  [136, 'udplite'],
];

const byName = new Map<string, number>();
const byNumber = new Map<number, string>();
for (const [num, name, ...aliases] of PROTOCOLS) {
  byNumber.set(num, name);
  for (const n of [name, ...aliases]) byName.set(n, num);
}

export const IPPROTO_GRE = 47;
export const IPPROTO_MH = 135;

/** Protocol number for a name (case-sensitive, as getprotobyname); undefined if unknown. */
export function protoByName(name: string): number | undefined {
  return byName.get(name);
}

/** The name `setkey -DP` prints for an upper-layer protocol, or undefined when it prints the number. */
export function protoName(num: number): string | undefined {
  return byNumber.get(num);
}

/** Protocols whose selectors carry ports (RFC 4301 §4.4.1.1: TCP, UDP, SCTP, UDP-Lite). */
export function protoHasPorts(num: number): boolean {
  return num === IPPROTO_TCP || num === IPPROTO_UDP || num === 132 || num === 136;
}

/** ICMP-like protocols whose selector "ports" are type and code (ipsec-tools fix_portstr). */
export function protoHasTypeCode(num: number): boolean {
  return num === IPPROTO_ICMP || num === IPPROTO_ICMPV6 || num === IPPROTO_MH;
}

const SERVICES: Readonly<Record<string, number>> = {
  ftp: 21,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  domain: 53,
  bootps: 67,
  bootpc: 68,
  tftp: 69,
  http: 80,
  www: 80,
  pop3: 110,
  ntp: 123,
  imap: 143,
  snmp: 161,
  bgp: 179,
  ldap: 389,
  https: 443,
  isakmp: 500,
  syslog: 514,
  l2tp: 1701,
  radius: 1812,
  'ipsec-nat-t': 4500,
};

/** Port for `[name]`: a decimal number (0..65535) or a service name; undefined if neither. */
export function portByName(text: string): number | undefined {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n <= 65535 ? n : undefined;
  }
  return Object.prototype.hasOwnProperty.call(SERVICES, text) ? SERVICES[text] : undefined;
}
