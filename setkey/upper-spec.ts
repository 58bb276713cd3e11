// The optional word after an SPD upper-layer protocol (ipsec-tools parse.y fix_portstr): ICMP, ICMPv6 and
// MH `type[,code]`, or a GRE key, carried in the selector's source and destination port fields.
import { protoHasTypeCode, IPPROTO_GRE } from './netdb.js';

/** The two 16-bit "ports" for `misc`, or the error text when it does not fit the protocol. */
export function upperMiscPorts(proto: number, misc: string): { sport: number; dport: number } | string {
  if (protoHasTypeCode(proto)) {
    const m = /^(\d{1,3})(?:,(\d{1,3}))?$/.exec(misc);
    // A lone type means code 0 (any); ipsec-tools leaves the code undefined there.
    if (m && Number(m[1]) <= 255 && Number(m[2] ?? 0) <= 255) return { sport: Number(m[1]), dport: Number(m[2] ?? 0) };
    return 'invalid an upper layer protocol spec';
  }
  if (proto === IPPROTO_GRE) {
    const g = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(misc);
    if (g && g.slice(1).every((x) => Number(x) <= 255)) {
      return { sport: (Number(g[1]) << 8) + Number(g[2]), dport: (Number(g[3]) << 8) + Number(g[4]) };
    }
    if (/^\d{1,10}$/.test(misc) && Number(misc) <= 0xffffffff)
      return { sport: Math.floor(Number(misc) / 65536), dport: Number(misc) % 65536 };
    return 'invalid an upper layer protocol spec';
  }
  return 'an upper-layer spec is only valid for icmp, icmp6, mh and gre';
}
