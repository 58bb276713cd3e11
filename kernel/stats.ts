// Host-wide IPsec counters named as KAME/FreeBSD name them (netipsec/esp_var.h, ah_var.h, ipcomp_var.h,
// ipsec.h `struct ipsecstat`), so `netstat -s -p esp` style output and grep across the KAME sources match.
// Transforms return these names as drop reasons (kernel/ipsec/transform.ts); the input/output path bumps them.

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
export const EXTRA_STAT_DOCS: Readonly<Record<string, string>> = {
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
};

export type StatGroup = 'esp' | 'ah' | 'ipcomp' | 'ipsec';

const GROUP_PREFIX: Record<StatGroup, string> = { esp: 'esps_', ah: 'ahs_', ipcomp: 'ipcomps_', ipsec: 'ips_' };

/** Every counter name this module knows, KAME's first, then ours. */
export const STAT_NAMES: readonly string[] = [
  ...ESPSTAT_NAMES,
  ...AHSTAT_NAMES,
  ...IPCOMPSTAT_NAMES,
  ...IPSECSTAT_NAMES,
  ...Object.keys(EXTRA_STAT_DOCS),
];

const KNOWN = new Map<string, number>(STAT_NAMES.map((n, i) => [n, i]));

/** True if `name` is a counter this module defines (KAME's or one of EXTRA_STAT_DOCS). */
export function isStatName(name: string): boolean {
  return KNOWN.has(name);
}

/** The protocol group a counter belongs to, from its prefix; undefined for a foreign name. */
export function statGroupOf(name: string): StatGroup | undefined {
  for (const g of Object.keys(GROUP_PREFIX) as StatGroup[]) if (name.startsWith(GROUP_PREFIX[g])) return g;
  return undefined;
}

/**
 * One host's counters (KAME's espstat/ahstat/ipcompstat/ipsecstat together). `bump` never throws: a
 * reason this module does not know (a typo or a new drop path) is still counted, under its own name,
 * and listed by unknownNames() so tests can catch it.
 */
export class Stats {
  private readonly counts = new Float64Array(STAT_NAMES.length);
  private readonly unknown = new Map<string, number>();

  /** Adds `n` (default 1) to the counter named `reason`, e.g. a TransformResult's drop reason. */
  bump(reason: string, n = 1): void {
    const i = KNOWN.get(reason);
    if (i !== undefined) this.counts[i]! += n;
    else this.unknown.set(reason, (this.unknown.get(reason) ?? 0) + n);
  }

  /** Byte counters: same as bump(name, bytes), named for what it adds. */
  addBytes(name: string, bytes: number): void {
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
