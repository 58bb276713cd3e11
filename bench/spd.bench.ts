// SPD lookup rate with 10, 1,000 and 100,000 policies (a realistic mix: site-to-site tunnels, host-to-host
// transport with ports, broad IKE/ICMPv6 bypasses; 85% IPv4), printed as lookups/s and as the ratio to the
// 10-policy figure measured in the same run. Targets: >= 1,000,000 lookups/s and <= 3x slower at 100,000.
// The primary figures are uncached (the index alone: first packet of every flow, or more flows than the
// cache holds); the per-flow cache in front of it is measured separately.
import { compare, fmtRate, loadNow, writeBenchJson, type BenchChart } from './harness.js';
import type { Rate } from './harness.js';
import { Spd } from '../kernel/spd/spd.js';
import type { PolicySpec, PolicyDir } from '../kernel/spd/policy.js';
import { SpdError } from '../kernel/spd/policy.js';
import { systemClock } from '../common/clock.js';
import { maskAddr } from '../common/inet.js';
import type { Prefix } from '../common/inet.js';

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Pkt {
  dir: PolicyDir;
  src: Uint8Array;
  dst: Uint8Array;
  proto: number;
  sport: number;
  dport: number;
}

const PORTS = [22, 80, 443, 500, 4500, 1194, 3306, 5432, 8080, 8443];

class Mix {
  readonly r: () => number;
  constructor(seed: number) {
    this.r = prng(seed);
  }
  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  v4(a: number, len: number): Prefix {
    const addr = Uint8Array.of(a, this.int(256), this.int(256), this.int(256));
    return { family: 4, addr: maskAddr(addr, len), len };
  }
  v6(len: number): Prefix {
    const addr = Uint8Array.from({ length: 16 }, (_, i) => (i < 2 ? [0x20, 0x01, 0x0d, 0xb8][i]! : this.int(256)));
    return { family: 6, addr: maskAddr(addr, len), len };
  }
  policy(): PolicySpec {
    const dir = this.pick(['in', 'out'] as const);
    const v6 = this.r() < 0.15;
    const k = this.r();
    if (k < 0.5) {
      // Site-to-site tunnel between two subnets, any protocol.
      const src = v6 ? this.v6(this.pick([48, 56, 64])) : this.v4(10, this.pick([16, 24, 24, 24]));
      const dst = v6 ? this.v6(this.pick([48, 56, 64])) : this.v4(172, this.pick([16, 24, 24, 28]));
      const fam = v6 ? '2001:db8::' : '192.0.2.';
      return {
        dir,
        src,
        dst,
        action: 'ipsec',
        requests: [{ proto: 'esp', mode: 'tunnel', src: `${fam}1`, dst: `${fam}2`, level: 'require' }],
      };
    }
    if (k < 0.85) {
      // Host-to-host transport, often for one service.
      const src = v6 ? this.v6(128) : this.v4(10, 32);
      const dst = v6 ? this.v6(128) : this.v4(172, 32);
      const svc = this.r() < 0.6;
      return {
        dir,
        src,
        dst,
        proto: svc ? this.pick(['tcp', 'udp'] as const) : 'any',
        dport: svc ? this.pick(PORTS) : 0,
        action: 'ipsec',
        requests: [{ proto: 'esp', mode: 'transport', level: 'require' }],
      };
    }
    // Host to subnet with a port, or a subnet pair discard.
    const src = v6 ? this.v6(128) : this.v4(10, 32);
    const dst = v6 ? this.v6(64) : this.v4(172, 24);
    return { dir, src, dst, proto: 'tcp', dport: this.pick(PORTS), action: this.pick(['discard', 'none'] as const) };
  }
  /** An address inside p. */
  inside(p: Prefix): Uint8Array {
    const a = Uint8Array.from({ length: p.addr.length }, () => this.int(256));
    for (let b = 0; b < p.len; b++) {
      const m = 0x80 >> (b & 7);
      a[b >> 3] = (a[b >> 3]! & ~m) | (p.addr[b >> 3]! & m);
    }
    return a;
  }
}

const BROAD: PolicySpec[] = [
  { dir: 'in', src: '0.0.0.0/0', dst: '0.0.0.0/0', proto: 'udp', dport: 500, action: 'none', priority: 0x40000000 },
  { dir: 'out', src: '0.0.0.0/0', dst: '0.0.0.0/0', proto: 'udp', sport: 500, action: 'none', priority: 0x40000000 },
  { dir: 'in', src: '::/0', dst: '::/0', proto: 'icmp6', icmpType: 135, action: 'none', priority: 0x40000000 },
  { dir: 'out', src: '::/0', dst: '::/0', proto: 'icmp6', icmpType: 136, action: 'none', priority: 0x40000000 },
];

/** An SPD of n policies and 4096 packets (80% aimed at an installed policy, 20% random). */
export function buildSpd(n: number, seed = 42, cacheEntries?: number): { spd: Spd; pkts: Pkt[] } {
  const m = new Mix(seed);
  const spd = new Spd({ clock: systemClock, cacheEntries });
  const specs: PolicySpec[] = [];
  for (const b of BROAD.slice(0, Math.min(BROAD.length, n))) {
    spd.addPolicy(b);
    specs.push(b);
  }
  while (spd.size < n) {
    const s = m.policy();
    try {
      spd.addPolicy(s);
      specs.push(s);
    } catch (e) {
      if (!(e instanceof SpdError)) throw e;
    }
  }
  spd.compact(); // as after a bulk load (setkey -f); lookups give the same answers either way
  const pkts: Pkt[] = [];
  const aimable = specs.length > BROAD.length ? specs.slice(BROAD.length) : specs;
  for (let i = 0; i < 4096; i++) {
    const s = m.pick(aimable);
    const aimed = m.r() < 0.8;
    const src = s.src as Prefix,
      dst = s.dst as Prefix;
    const proto = s.proto === 'tcp' ? 6 : s.proto === 'udp' ? 17 : m.pick([6, 17, 1]);
    pkts.push({
      dir: s.dir,
      src: aimed ? m.inside(src) : m.inside({ ...src, len: 0 }),
      dst: aimed ? m.inside(dst) : m.inside({ ...dst, len: 8 }),
      proto,
      sport: 1024 + m.int(60000),
      dport: s.dport || m.pick(PORTS),
    });
  }
  return { spd, pkts };
}

function runner(spd: Spd, pkts: Pkt[]): () => void {
  return () => {
    for (let i = 0; i < pkts.length; i++) {
      const p = pkts[i]!;
      spd.lookupPolicy(p.dir, p.src, p.dst, p.proto, p.sport, p.dport);
    }
  };
}

function hitRate(spd: Spd, pkts: Pkt[]): number {
  let hits = 0;
  for (const p of pkts) if (spd.lookupPolicy(p.dir, p.src, p.dst, p.proto, p.sport, p.dport)) hits++;
  return hits / pkts.length;
}

function line(label: string, n: number, r: Rate, base: Rate, extra: string): string {
  return (
    `spd lookup ${label}, ${String(n).padStart(6)} policies: ${fmtRate(r)} ` +
    `(${Math.round(r.opsPerSec).toLocaleString('en-US')} lookups/s), ${(base.opsPerSec / r.opsPerSec).toFixed(2)}x ` +
    `the 10-policy time; ${extra}`
  );
}

/** Each size is measured alternately with the 10-policy SPD (harness compare), so the ratio is same-run. */
export default function main(): void {
  const load0 = loadNow();
  const sizes = [10, 1000, 100000];
  const rows: BenchChart['rows'] = sizes.map((n) => ({ label: `${n.toLocaleString('en-US')} policies`, values: [] }));
  for (const [label, cacheEntries] of [
    ['uncached (index)', 0],
    ['with flow cache', undefined],
  ] as const) {
    const small = buildSpd(10, 42, cacheEntries);
    for (const n of sizes) {
      const t0 = performance.now();
      const big = n === 10 ? small : buildSpd(n, 42, cacheEntries);
      const buildMs = performance.now() - t0;
      const [rs, rb] = compare(runner(small.spd, small.pkts), runner(big.spd, big.pkts), small.pkts.length, 3, 600);
      const cs = big.spd.cacheStats;
      const cache = cs ? `, cache hits ${((100 * cs.hits) / Math.max(1, cs.hits + cs.misses)).toFixed(1)}%` : '';
      const note = n === 10 ? ' (the same SPD measured twice: this ratio is the run-to-run noise)' : '';
      console.log(
        line(
          label,
          n,
          rb,
          rs,
          `${(100 * hitRate(big.spd, big.pkts)).toFixed(0)}% of packets match${cache}; built in ${buildMs.toFixed(0)} ms${note}`,
        ),
      );
      rows[sizes.indexOf(n)]!.values.push(rb.opsPerSec / 1e6);
    }
  }
  const title = 'SPD lookups by number of policies (a realistic mix, 85% IPv4; target ≥ 1 M/s)';
  const unit = 'million lookups per second, higher is better';
  writeBenchJson('spd', [{ title, unit, series: ['index (uncached)', 'with the flow cache'], rows }], {
    loadStart: load0,
  });
}
