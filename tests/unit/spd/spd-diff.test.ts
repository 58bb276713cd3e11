// Differential test: the indexed SPD against the linear-scan oracle on random policy sets and
// random packets from a fixed seed, over IPv4 and IPv6, all prefix lengths, ports, protocols, priorities,
// directions, and after adds, updates and deletes.
import { strict as assert } from 'node:assert';
import { Spd } from '../../../kernel/spd/spd.js';
import { SpdError } from '../../../kernel/spd/policy.js';
import type { PolicyDir, PolicySpec, Policy } from '../../../kernel/spd/policy.js';
import { ManualClock } from '../../../common/clock.js';
import { maskAddr } from '../../../common/inet.js';
import type { Prefix } from '../../../common/inet.js';
import { LinearSpd } from '../../oracle/spd-linear.js';
import type { OracleEntry } from '../../oracle/spd-linear.js';
import { prng } from '../../support/prng.js';

const DIRS: PolicyDir[] = ['in', 'out', 'fwd'];
const PROTOS = [255, 6, 17, 1, 58, 50];
const PORTS = [0, 0, 22, 80, 443, 500, 4500];
const PRIOS = [0, 1, 0x40000000, 0x7ffffff6, 0x80000000, 0x80000000, 0xffffffff];

class Gen {
  readonly r: () => number;
  /** A few base addresses per family; others are bit-flips of these, so prefixes overlap a lot. */
  private readonly bases: Record<4 | 6, Uint8Array[]>;
  constructor(seed: number) {
    this.r = prng(seed);
    this.bases = { 4: [0, 1, 2].map(() => this.bytes(4)), 6: [0, 1, 2].map(() => this.bytes(16)) };
  }
  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  bytes(n: number): Uint8Array {
    return Uint8Array.from({ length: n }, () => this.int(256));
  }
  addr(fam: 4 | 6): Uint8Array {
    const a = new Uint8Array(this.pick(this.bases[fam]));
    const flips = this.int(4);
    for (let i = 0; i < flips; i++) {
      const b = this.int(a.length * 8);
      a[b >> 3]! ^= 0x80 >> (b & 7);
    }
    return a;
  }
  prefix(fam: 4 | 6): Prefix {
    const max = fam === 4 ? 32 : 128;
    // Lengths of every size, with extra weight on the ends and the byte boundaries.
    const len = this.r() < 0.3 ? this.pick([0, 8, 16, 24, max - 8, max]) : this.int(max + 1);
    return { family: fam, addr: maskAddr(this.addr(fam), len), len };
  }
  /** An address inside p (random host bits). */
  inside(p: Prefix): Uint8Array {
    const a = this.bytes(p.addr.length);
    for (let b = 0; b < p.len; b++) {
      const m = 0x80 >> (b & 7);
      a[b >> 3] = (a[b >> 3]! & ~m) | (p.addr[b >> 3]! & m);
    }
    return a;
  }
  spec(): PolicySpec {
    const fam = this.r() < 0.5 ? 4 : 6;
    const proto = this.pick(PROTOS);
    return {
      dir: this.pick(DIRS),
      src: this.prefix(fam),
      dst: this.prefix(fam),
      proto,
      sport: this.pick(PORTS),
      dport: this.pick(PORTS),
      action: this.pick(['discard', 'none', 'ipsec'] as const),
      requests: undefined,
      priority: this.pick(PRIOS),
    };
  }
}

function withRequests(s: PolicySpec): PolicySpec {
  return s.action === 'ipsec' ? { ...s, requests: [{ proto: 'esp', mode: 'transport', level: 'require' }] } : s;
}

function entry(p: Policy): OracleEntry {
  const s = p.selector;
  return {
    id: p.id,
    dir: p.dir,
    src: s.src,
    dst: s.dst,
    proto: s.proto,
    sport: s.sport,
    dport: s.dport,
    priority: p.priority,
  };
}

/** Runs `count` lookups against both and returns how many matched some policy. */
function compareLookups(g: Gen, spd: Spd, oracle: LinearSpd, count: number): number {
  let hits = 0;
  // Recent packets are replayed now and then, so a flow cache gets hits (and must stay correct).
  const recent: [PolicyDir, Uint8Array, Uint8Array, number, number, number][] = [];
  for (let i = 0; i < count; i++) {
    if (recent.length && g.r() < 0.3) {
      const [d, s, t, pr, sp, dp] = g.pick(recent);
      assert.equal(spd.lookupPolicy(d, s, t, pr, sp, dp)?.id, oracle.lookup(d, s, t, pr, sp, dp)?.id, `replay ${i}`);
    }
    let src: Uint8Array, dst: Uint8Array, dir: PolicyDir;
    const anchor = oracle.entries.length && g.r() < 0.85 ? g.pick(oracle.entries) : undefined;
    if (anchor) {
      src = g.inside(anchor.src);
      dst = g.inside(anchor.dst);
      dir = anchor.dir as PolicyDir;
    } else {
      const fam = g.r() < 0.5 ? 4 : 6;
      src = g.addr(fam);
      dst = g.addr(fam);
      dir = g.pick(DIRS);
    }
    // Mostly the anchor's own protocol and ports (so it can match), sometimes anything.
    const like = (v: number | undefined, wild: number, any: () => number) =>
      v !== undefined && v !== wild && g.r() < 0.8 ? v : any();
    const proto = like(anchor?.proto, 255, () => (g.r() < 0.2 ? g.int(256) : g.pick(PROTOS)));
    const sport = like(anchor?.sport, 0, () => (g.r() < 0.2 ? g.int(65536) : g.pick(PORTS)));
    const dport = like(anchor?.dport, 0, () => (g.r() < 0.2 ? g.int(65536) : g.pick(PORTS)));
    const want = oracle.lookup(dir, src, dst, proto, sport, dport);
    const got = spd.lookupPolicy(dir, src, dst, proto, sport, dport);
    recent.push([dir, src, dst, proto, sport, dport]);
    if (recent.length > 24) recent.shift();
    if (want) hits++;
    assert.equal(got?.id, want?.id, `lookup ${i}: ${dir} proto ${proto} ${sport}->${dport}`);
  }
  return hits;
}

describe('kernel/spd differential vs linear oracle', () => {
  // Seeds 1-2 run the bare index, 3-4 a tiny flow cache (64 ways) that evicts all the time.
  for (const seed of [1, 2, 3, 4]) {
    const cacheEntries = seed <= 2 ? 0 : 64;
    it(`agrees on random policies and packets (seed ${seed}, cache ${cacheEntries})`, () => {
      const g = new Gen(seed);
      const spd = new Spd({ clock: new ManualClock(1000), cacheEntries });
      const oracle = new LinearSpd();
      let lookups = 0,
        hits = 0;
      // Phase 1: adds (duplicates must be refused by both).
      for (let i = 0; i < 300; i++) {
        const spec = withRequests(g.spec());
        let p: Policy | undefined;
        try {
          p = spd.addPolicy(spec);
        } catch (e) {
          assert.ok(e instanceof SpdError && e.code === 'EEXIST', String(e));
        }
        if (p) oracle.add(entry(p));
        else assert.throws(() => oracle.add({ ...entry(spd.findBySelector(spec, spec.dir)!), id: -1 }));
      }
      hits += compareLookups(g, spd, oracle, 1500);
      lookups += 1500;
      if (seed % 2) spd.compact(); // the depth-first re-layout must not change any answer
      // Phase 2: updates of existing selectors (with new priorities) and of new ones.
      for (let i = 0; i < 100; i++) {
        const base = g.r() < 0.7 && oracle.entries.length ? g.pick(oracle.entries) : undefined;
        const spec = withRequests(
          base
            ? {
                dir: base.dir as PolicyDir,
                src: base.src,
                dst: base.dst,
                proto: base.proto,
                sport: base.sport,
                dport: base.dport,
                action: 'discard',
                priority: g.pick(PRIOS),
              }
            : g.spec(),
        );
        oracle.update(entry(spd.updatePolicy(spec)));
      }
      hits += compareLookups(g, spd, oracle, 1500);
      lookups += 1500;
      spd.compact();
      // Phase 3: deletes by id and by selector.
      for (let i = 0; i < 150 && oracle.entries.length; i++) {
        const victim = g.pick(oracle.entries);
        if (i % 2) spd.deletePolicyById(victim.id);
        else
          spd.deletePolicy(
            { src: victim.src, dst: victim.dst, proto: victim.proto, sport: victim.sport, dport: victim.dport },
            victim.dir as PolicyDir,
          );
        assert.ok(oracle.removeById(victim.id));
      }
      assert.equal(spd.size, oracle.entries.length);
      hits += compareLookups(g, spd, oracle, 1500);
      lookups += 1500;
      // The comparison is only meaningful if many lookups found a policy.
      assert.ok(hits > lookups / 2, `only ${hits} of ${lookups} lookups matched`);
    });
  }

  it('agrees on large leaves (many port/proto variants of one prefix pair)', () => {
    const g = new Gen(99);
    const spd = new Spd({ clock: new ManualClock(0), cacheEntries: 0 });
    const oracle = new LinearSpd();
    for (let i = 0; i < 400; i++) {
      const spec: PolicySpec = {
        dir: 'out',
        src: g.pick(['10.0.0.0/8', '10.1.0.0/16', '0.0.0.0/0']),
        dst: g.pick(['192.0.2.0/24', '0.0.0.0/0']),
        proto: g.pick(PROTOS),
        sport: g.pick(PORTS),
        dport: g.int(40),
        action: 'discard',
        priority: g.pick(PRIOS),
      };
      try {
        oracle.add(entry(spd.addPolicy(spec)));
      } catch (e) {
        assert.ok(e instanceof SpdError && e.code === 'EEXIST');
      }
    }
    let hits = 0;
    for (let i = 0; i < 3000; i++) {
      const src = Uint8Array.of(10, g.int(3), g.int(256), g.int(256));
      const dst = Uint8Array.of(192, 0, g.r() < 0.8 ? 2 : 3, g.int(256));
      const proto = g.pick(PROTOS),
        sport = g.pick(PORTS),
        dport = g.int(40);
      const want = oracle.lookup('out', src, dst, proto, sport, dport);
      if (want) hits++;
      assert.equal(spd.lookupPolicy('out', src, dst, proto, sport, dport)?.id, want?.id, `lookup ${i}`);
    }
    assert.ok(hits > 1500, `only ${hits} hits`);
    spd.compact(); // large leaves keep their hash index across a re-layout
    // Shrink the leaves again (the hash index is dropped below its threshold) and compare once more.
    for (const e of [...oracle.entries])
      if (g.r() < 0.9) {
        spd.deletePolicyById(e.id);
        oracle.removeById(e.id);
      }
    for (let i = 0; i < 1000; i++) {
      const src = Uint8Array.of(10, g.int(3), g.int(256), g.int(256));
      const dst = Uint8Array.of(192, 0, 2, g.int(256));
      const proto = g.pick(PROTOS),
        sport = g.pick(PORTS),
        dport = g.int(40);
      assert.equal(
        spd.lookupPolicy('out', src, dst, proto, sport, dport)?.id,
        oracle.lookup('out', src, dst, proto, sport, dport)?.id,
      );
    }
  });

  it('agrees across re-hashes of a growing index (2,000 IPv4 policies, deletes in between)', () => {
    const g = new Gen(11);
    const spd = new Spd({ clock: new ManualClock(0), cacheEntries: 0 });
    const oracle = new LinearSpd();
    for (let i = 0; spd.size < 2000 && i < 10000; i++) {
      const spec = { ...g.spec(), src: g.prefix(4), dst: g.prefix(4), dir: 'out' as const, action: 'discard' as const };
      try {
        oracle.add(entry(spd.addPolicy(spec)));
      } catch (e) {
        assert.ok(e instanceof SpdError && e.code === 'EEXIST');
      }
      if (i % 7 === 6 && oracle.entries.length > 10) {
        const v = g.pick(oracle.entries);
        spd.deletePolicyById(v.id);
        oracle.removeById(v.id);
      }
    }
    assert.ok(spd.size >= 1500, `only ${spd.size} policies`);
    // White-box: the tuple tables must really have grown (re-hashed) on the way, with deletes in between.
    const caps = (spd as unknown as { indexes: ({ order: { tags: Uint8Array }[] } | undefined)[] }).indexes
      .filter((x) => x !== undefined)
      .flatMap((x) => x!.order.map((t) => t.tags.length));
    assert.ok(
      caps.some((n) => n >= 64),
      `no table grew: ${caps.join(',')}`,
    );
    let hits = 0;
    for (let i = 0; i < 1000; i++) {
      const e = g.pick(oracle.entries);
      const src = g.inside(e.src),
        dst = g.inside(e.dst);
      const proto = e.proto === 255 ? g.pick(PROTOS) : e.proto;
      const sport = e.sport || g.pick(PORTS),
        dport = e.dport || g.pick(PORTS);
      const want = oracle.lookup('out', src, dst, proto, sport, dport);
      if (want) hits++;
      assert.equal(spd.lookupPolicy('out', src, dst, proto, sport, dport)?.id, want?.id, `lookup ${i}`);
    }
    assert.equal(hits, 1000);
  });

  it('agrees with hundreds of prefix-length pairs, port/proto residuals and priorities inverting specificity', () => {
    const g = new Gen(23);
    for (const fam of [4, 6] as const) {
      const spd = new Spd({ clock: new ManualClock(0), cacheEntries: 0 });
      const oracle = new LinearSpd();
      const max = fam === 4 ? 32 : 128;
      const pairs: [Prefix, Prefix][] = [];
      for (let i = 0; i < 1200; i++) {
        // A new prefix pair of random lengths, or another proto/port variant of an existing pair.
        const reuse = pairs.length > 0 && g.r() < 0.4;
        const [src, dst] = reuse ? g.pick(pairs) : [g.prefix(fam), g.prefix(fam)];
        if (!reuse) pairs.push([src, dst]);
        // Shorter prefixes often get the better priority (inverting specificity), or a random one.
        const spec = g.r() < 0.6 ? 1000 - (max * 2 - src.len - dst.len) : g.pick(PRIOS);
        const s: PolicySpec = {
          dir: 'in',
          src,
          dst,
          proto: g.pick(PROTOS),
          sport: g.pick(PORTS),
          dport: g.pick(PORTS),
          action: 'none',
          priority: spec,
        };
        try {
          oracle.add(entry(spd.addPolicy(s)));
        } catch (e) {
          assert.ok(e instanceof SpdError && e.code === 'EEXIST');
        }
        if (i % 5 === 4) {
          const v = g.pick(oracle.entries);
          spd.deletePolicyById(v.id);
          oracle.removeById(v.id);
        }
        if (i === 600) spd.compact();
      }
      const tables = (spd as unknown as { indexes: ({ order: unknown[] } | undefined)[] }).indexes.reduce(
        (n, x) => n + (x ? x.order.length : 0),
        0,
      );
      assert.ok(tables >= 200, `only ${tables} length-pair tables`);
      let hits = 0;
      for (let i = 0; i < 2500; i++) {
        const e = g.pick(oracle.entries);
        const src = g.r() < 0.9 ? g.inside(e.src) : g.addr(fam),
          dst = g.r() < 0.9 ? g.inside(e.dst) : g.addr(fam);
        const proto = e.proto !== 255 && g.r() < 0.8 ? e.proto : g.pick(PROTOS);
        const sport = e.sport && g.r() < 0.8 ? e.sport : g.pick(PORTS),
          dport = e.dport && g.r() < 0.8 ? e.dport : g.pick(PORTS);
        const want = oracle.lookup('in', src, dst, proto, sport, dport);
        if (want) hits++;
        assert.equal(spd.lookupPolicy('in', src, dst, proto, sport, dport)?.id, want?.id, `IPv${fam} lookup ${i}`);
      }
      assert.ok(hits > 1500, `only ${hits} hits`);
    }
  });

  it('agrees while deletes of the best policies and table re-sizes move the priority bounds', () => {
    const g = new Gen(31);
    const spd = new Spd({ clock: new ManualClock(0), cacheEntries: 0 });
    const oracle = new LinearSpd();
    const lens = [8, 16, 24];
    const v4 = (len: number) => maskAddr(Uint8Array.of(10, g.int(4), g.int(4), g.int(4)), len);
    for (let op = 0; op < 3000; op++) {
      const k = g.r();
      if (k < 0.6 || oracle.entries.length < 5) {
        const sl = g.pick(lens),
          dl = g.pick(lens);
        const spec: PolicySpec = {
          dir: 'out',
          src: { family: 4, addr: v4(sl), len: sl },
          dst: { family: 4, addr: v4(dl), len: dl },
          proto: g.pick([255, 6, 17]),
          dport: g.pick([0, 0, 80]),
          action: 'none',
          priority: g.int(50),
        };
        try {
          oracle.add(entry(spd.addPolicy(spec)));
        } catch (e) {
          assert.ok(e instanceof SpdError && e.code === 'EEXIST');
        }
      } else if (k < 0.9) {
        // Mostly the best-ranked policy: that leaves its table's bound loose until a re-size.
        const v =
          g.r() < 0.7 ? oracle.entries.reduce((a, b) => (b.priority < a.priority ? b : a)) : g.pick(oracle.entries);
        spd.deletePolicyById(v.id);
        oracle.removeById(v.id);
      } else if (k < 0.905) spd.compact();
      for (let i = 0; i < 3; i++) {
        const e = g.pick(oracle.entries);
        const src = g.inside(e.src),
          dst = g.inside(e.dst),
          proto = g.pick([6, 17]),
          dport = g.pick([80, 443]);
        assert.equal(
          spd.lookupPolicy('out', src, dst, proto, 1, dport)?.id,
          oracle.lookup('out', src, dst, proto, 1, dport)?.id,
          `op ${op}`,
        );
      }
    }
  });

  it('agrees for every IPv6 and IPv4 prefix length along one address', () => {
    const g = new Gen(7);
    for (const fam of [4, 6] as const) {
      const spd = new Spd({ clock: new ManualClock(0), cacheEntries: 0 });
      const oracle = new LinearSpd();
      const max = fam === 4 ? 32 : 128;
      const a = g.addr(fam);
      // Nested destination prefixes of every length; longer ones get worse priority half of the time.
      for (let len = 0; len <= max; len++) {
        const prio = g.r() < 0.5 ? 1000 - len : 1000 + len;
        const p = spd.addPolicy({
          dir: 'in',
          src: { family: fam, addr: maskAddr(a, 0), len: 0 },
          dst: { family: fam, addr: maskAddr(a, len), len },
          action: 'none',
          priority: prio,
        });
        oracle.add(entry(p));
      }
      for (let i = 0; i < 1000; i++) {
        const dst = new Uint8Array(a);
        const flip = g.int(max + 8); // sometimes no flip at all
        if (flip < max) dst[flip >> 3]! ^= 0x80 >> (flip & 7);
        const src = g.bytes(a.length);
        assert.equal(spd.lookupPolicy('in', src, dst, 6, 1, 2)?.id, oracle.lookup('in', src, dst, 6, 1, 2)?.id);
      }
    }
  });
});
