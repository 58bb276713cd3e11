// Host-wide counters named as KAME/FreeBSD name them: the IPsec ones (netipsec/esp_var.h, ah_var.h,
// ipcomp_var.h, ipsec.h `struct ipsecstat`) and the IP/UDP/ICMP ones (netinet ip_var.h, ip6_var.h, udp_var.h,
// icmp_var.h), so `netstat -s` style output and grep across the KAME sources match. Each name list is `as
// const` and the counters take only its names (StatName, NetStatName): a misspelt counter does not compile.
// Transforms return StatNames as drop reasons (kernel/ipsec/transform.ts); the input/output path bumps them.

/** struct espstat (netipsec/esp_var.h), without the per-algorithm histogram. */
export const ESPSTAT_NAMES = [
  'esps_hdrops',
  'esps_nopf',
  'esps_notdb',
  'esps_badkcr',
  'esps_qfull',
  'esps_noxform',
  'esps_badilen',
  'esps_wrap',
  'esps_badenc',
  'esps_badauth',
  'esps_replay',
  'esps_input',
  'esps_output',
  'esps_invalid',
  'esps_ibytes',
  'esps_obytes',
  'esps_toobig',
  'esps_pdrops',
  'esps_crypto',
  'esps_tunnel',
] as const;

/** struct ahstat (netipsec/ah_var.h). */
export const AHSTAT_NAMES = [
  'ahs_hdrops',
  'ahs_nopf',
  'ahs_notdb',
  'ahs_badkcr',
  'ahs_badauth',
  'ahs_noxform',
  'ahs_qfull',
  'ahs_wrap',
  'ahs_replay',
  'ahs_badauthl',
  'ahs_input',
  'ahs_output',
  'ahs_invalid',
  'ahs_ibytes',
  'ahs_obytes',
  'ahs_toobig',
  'ahs_pdrops',
  'ahs_crypto',
  'ahs_tunnel',
] as const;

/** struct ipcompstat (netipsec/ipcomp_var.h). */
export const IPCOMPSTAT_NAMES = [
  'ipcomps_hdrops',
  'ipcomps_nopf',
  'ipcomps_notdb',
  'ipcomps_badkcr',
  'ipcomps_qfull',
  'ipcomps_noxform',
  'ipcomps_wrap',
  'ipcomps_input',
  'ipcomps_output',
  'ipcomps_invalid',
  'ipcomps_ibytes',
  'ipcomps_obytes',
  'ipcomps_toobig',
  'ipcomps_pdrops',
  'ipcomps_crypto',
  'ipcomps_threshold',
  'ipcomps_uncompr',
] as const;

/** struct ipsecstat (netipsec/ipsec.h): policy-level counters, inbound and outbound. */
export const IPSECSTAT_NAMES = [
  'ips_in_polvio',
  'ips_in_nomem',
  'ips_in_inval',
  'ips_out_polvio',
  'ips_out_nosa',
  'ips_out_nomem',
  'ips_out_noroute',
  'ips_out_inval',
  'ips_out_bundlesa',
  'ips_spdcache_hits',
  'ips_spdcache_misses',
] as const;

/**
 * Counters KAME does not have, with what they count. They keep the KAME prefixes so a dump groups them
 * with their protocol.
 */
export const EXTRA_STAT_DOCS = {
  esps_badpad: 'ESP pad length larger than the payload (KAME counts this under esps_badenc)',
  esps_dummy: 'ESP dummy packets (next header 59, RFC 4303 §2.6) received and discarded',
  esps_ecn: 'tunnel packets dropped by the ECN decapsulation rule (RFC 6040 §4.2)',
  esps_badinner: 'tunnel next header is not IPv4/IPv6 or disagrees with the inner version',
  ahs_ecn: 'AH tunnel packets dropped by the ECN decapsulation rule (RFC 6040 §4.2)',
  ahs_badinner: 'AH tunnel next header is not IPv4/IPv6 or disagrees with the inner version',
  ipcomps_ecn: 'IPComp tunnel packets dropped by the ECN decapsulation rule (RFC 6040 §4.2)',
  ipcomps_badinner: 'IPComp tunnel next header is not IPv4/IPv6 or disagrees with the inner version',
  ips_in_success: 'inbound packets that passed IPsec processing (KAME netinet6 ipsecstat in_success)',
  ips_out_success: 'outbound packets that passed IPsec processing (KAME netinet6 ipsecstat out_success)',
  ips_in_nosa: 'inbound IPsec packets with no matching SA (per-protocol *_notdb counts them too)',
} as const satisfies Readonly<Record<string, string>>;

/** A counter of Stats: KAME's espstat/ahstat/ipcompstat/ipsecstat names and ours (EXTRA_STAT_DOCS). */
export type StatName =
  | (typeof ESPSTAT_NAMES)[number]
  | (typeof AHSTAT_NAMES)[number]
  | (typeof IPCOMPSTAT_NAMES)[number]
  | (typeof IPSECSTAT_NAMES)[number]
  | keyof typeof EXTRA_STAT_DOCS;

/** The counters of one transform protocol, by their KAME prefix. */
export type ProtoStatPrefix = 'esps' | 'ahs' | 'ipcomps';

export type StatGroup = 'esp' | 'ah' | 'ipcomp' | 'ipsec';

const GROUP_PREFIX: Record<StatGroup, string> = { esp: 'esps_', ah: 'ahs_', ipcomp: 'ipcomps_', ipsec: 'ips_' };

/** Every counter name this module knows, KAME's first, then ours. */
export const STAT_NAMES: readonly StatName[] = [
  ...ESPSTAT_NAMES,
  ...AHSTAT_NAMES,
  ...IPCOMPSTAT_NAMES,
  ...IPSECSTAT_NAMES,
  ...(Object.keys(EXTRA_STAT_DOCS) as (keyof typeof EXTRA_STAT_DOCS)[]),
];

const KNOWN = new Map<string, number>(STAT_NAMES.map((n, i) => [n, i]));

/** True if `name` is a counter this module defines (KAME's or one of EXTRA_STAT_DOCS). */
export function isStatName(name: string): name is StatName {
  return KNOWN.has(name);
}

/** The protocol group a counter belongs to, from its prefix; undefined for a foreign name. */
export function statGroupOf(name: string): StatGroup | undefined {
  for (const g of Object.keys(GROUP_PREFIX) as StatGroup[]) if (name.startsWith(GROUP_PREFIX[g])) return g;
  return undefined;
}

/**
 * One host's counters (KAME's espstat/ahstat/ipcompstat/ipsecstat together). `bump` takes only a StatName,
 * and never throws: a name this module does not know (one forced past the type) is still counted, under
 * its own name, and listed by unknownNames() so tests can catch it.
 */
export class Stats {
  private readonly counts = new Float64Array(STAT_NAMES.length);
  private readonly unknown = new Map<string, number>();

  /** Adds `n` (default 1) to the counter named `reason`, e.g. a TransformResult's drop reason. */
  bump(reason: StatName, n = 1): void {
    const i = KNOWN.get(reason);
    if (i !== undefined) this.counts[i]! += n;
    else this.unknown.set(reason, (this.unknown.get(reason) ?? 0) + n);
  }

  /** Byte counters: same as bump(name, bytes), named for what it adds. */
  addBytes(name: StatName, bytes: number): void {
    this.bump(name, bytes);
  }

  get(name: string): number {
    const i = KNOWN.get(name);
    return i !== undefined ? this.counts[i]! : (this.unknown.get(name) ?? 0);
  }

  /** All counters of a group (zeros included), in declaration order, like a `netstat -s -p esp` table. */
  group(g: StatGroup): Record<string, number> {
    const out: Record<string, number> = {};
    const prefix = GROUP_PREFIX[g];
    STAT_NAMES.forEach((n, i) => {
      if (n.startsWith(prefix)) out[n] = this.counts[i]!;
    });
    for (const [n, v] of this.unknown) if (n.startsWith(prefix)) out[n] = v;
    return out;
  }

  /** Every counter that is not zero. */
  nonZero(): Record<string, number> {
    const out: Record<string, number> = {};
    STAT_NAMES.forEach((n, i) => {
      if (this.counts[i]! !== 0) out[n] = this.counts[i]!;
    });
    for (const [n, v] of this.unknown) out[n] = v;
    return out;
  }

  /** Names bumped that this module does not define. */
  unknownNames(): string[] {
    return [...this.unknown.keys()];
  }

  reset(): void {
    this.counts.fill(0);
    this.unknown.clear();
  }
}

/** struct ipstat (netinet/ip_var.h): the IPv4 counters the host keeps. */
export const IPSTAT_NAMES = [
  'ips_total',
  'ips_badsum',
  'ips_tooshort',
  'ips_badhlen',
  'ips_badlen',
  'ips_badvers',
  'ips_badoptions',
  'ips_fragments',
  'ips_fragdropped',
  'ips_reassembled',
  'ips_forward',
  'ips_cantforward',
  'ips_timeexceed',
  'ips_noproto',
  'ips_localout',
  'ips_odropped',
  'ips_noroute',
  'ips_fragmented',
  'ips_ofragments',
  'ips_cantfrag',
  'ips_upper', // TUN mode: handed to the machine's kernel after IPsec input (kernel/daemon/tun-mode.ts)
  'ips_upper_drop', // ... and refused by it
] as const;

/** struct ip6stat (netinet6/ip6_var.h): the IPv6 counters the host keeps. */
export const IP6STAT_NAMES = [
  'ip6s_total',
  'ip6s_tooshort',
  'ip6s_badlen',
  'ip6s_badvers',
  'ip6s_badoptions',
  'ip6s_fragments',
  'ip6s_fragdropped',
  'ip6s_reassembled',
  'ip6s_forward',
  'ip6s_cantforward',
  'ip6s_timeexceed',
  'ip6s_noproto',
  'ip6s_localout',
  'ip6s_odropped',
  'ip6s_noroute',
  'ip6s_fragmented',
  'ip6s_ofragments',
  'ip6s_cantfrag',
  'ip6s_upper',
  'ip6s_upper_drop',
] as const;

/** struct udpstat (netinet/udp_var.h), plus the NAT-keepalives RFC 3948 §2.3 sockets swallow. */
export const UDPSTAT_NAMES = [
  'udps_ipackets',
  'udps_hdrops',
  'udps_badsum',
  'udps_badlen',
  'udps_noport',
  'udps_opackets',
  'udps_noroute',
  'udps_natt_keepalive',
] as const;

/** struct icmpstat / icmp6stat (netinet/icmp_var.h, netinet/icmp6.h), plus echo replies no ping waited for. */
export const ICMPSTAT_NAMES = [
  'icps_checksum',
  'icps_reflect',
  'icps_unhandled',
  'icps_noping',
  'icp6s_badsum',
  'icp6s_reflect',
  'icp6s_unhandled',
] as const;

/** A counter of NetCounters. */
export type NetStatName =
  | (typeof IPSTAT_NAMES)[number]
  | (typeof IP6STAT_NAMES)[number]
  | (typeof UDPSTAT_NAMES)[number]
  | (typeof ICMPSTAT_NAMES)[number];

/** Host-level IP/UDP/ICMP counters with BSD `netstat -s` names (ipstat, ip6stat, udpstat, icmpstat). */
export class NetCounters {
  private readonly m = new Map<string, number>();
  bump(name: NetStatName, n = 1): void {
    this.m.set(name, (this.m.get(name) ?? 0) + n);
  }
  get(name: string): number {
    return this.m.get(name) ?? 0;
  }
  nonZero(): Record<string, number> {
    return Object.fromEntries([...this.m].filter(([, v]) => v !== 0));
  }
  reset(): void {
    this.m.clear();
  }
}
