// The tuple-space index's own pieces: the open-addressing table (backward-shift deletion, growth and
// shrinking) against a Map, and the index behaviours that the inline list heads add: last use kept in the
// entry of a list head and handed back when the head changes, large-leaf hashes following their head, and
// the priority-bound early stop when priorities invert specificity.
import { strict as assert } from 'node:assert';
import { TupleTable, pairHash, maskWords } from '../../../kernel/spd/tuple.js';
import { Spd } from '../../../kernel/spd/spd.js';
import type { PolicyDir } from '../../../kernel/spd/policy.js';
import { ManualClock } from '../../../common/clock.js';
import { parseAddr } from '../../../common/inet.js';
import { LinearSpd } from '../../oracle/spd-linear.js';
import { prng } from '../../support/prng.js';

const A = (s: string): Uint8Array => parseAddr(s)!;

describe('kernel/spd-tuple table', () => {
  for (const words of [1, 4] as const) {
    it(`matches a Map through inserts and deletes with dense collisions (${words === 1 ? 'IPv4' : 'IPv6'})`, () => {
      const r = prng(5 + words);
      const t = new TupleTable(32, 32, words);
      const ref = new Map<string, number>();
      // Few distinct words so that keys collide in the low bits and probe chains get long.
      const key = (): [Int32Array, Int32Array] => {
        const d = new Int32Array(words),
          s = new Int32Array(words);
        d[0] = Math.floor(r() * 64) << 8;
        s[0] = Math.floor(r() * 64) << 24;
        for (let i = 1; i < words; i++) {
          d[i] = 0x20010db8;
          s[i] = -i;
        } // IPv6: same key space, all words hashed
        return [d, s];
      };
      const name = (d: Int32Array, s: Int32Array) => `${[...d]}/${[...s]}`;
      let maxCap = 0;
      for (let step = 0; step < 15000; step++) {
        const [d, s] = key();
        const e = t.find(d, s),
          want = ref.get(name(d, s));
        if (want === undefined) assert.equal(e, -1, `step ${step}: found an absent key`);
        else assert.equal(t.ents[e + t.base + 1], want, `step ${step}: wrong entry`);
        // Grow for the first half, then mostly delete (the table must shrink again).
        const grow = step < 3000 ? r() < 0.7 : r() < 0.05;
        if (want === undefined && grow) {
          const b = t.insert(d, s);
          t.ents[b + t.base + 1] = step; // E_PORTS as a payload
          ref.set(name(d, s), step);
        } else if (want !== undefined && !grow) {
          t.delete(e);
          ref.delete(name(d, s));
        }
        assert.equal(t.count, ref.size);
        assert.ok(t.count * 2 <= t.tags.length, 'load stays at most 1/2');
        maxCap = Math.max(maxCap, t.tags.length);
      }
      assert.ok(maxCap >= 256, `the table grew (max ${maxCap})`);
      assert.ok(t.tags.length < maxCap, `and shrank (${t.tags.length} < ${maxCap})`);
      for (const b of t.entries()) {
        const d = t.ents.slice(b, b + words),
          s = t.ents.slice(b + words, b + 2 * words);
        assert.equal(ref.get(name(d, s)), t.ents[b + t.base + 1]);
      }
    });
  }

  it('hashes and masks as documented', () => {
    assert.deepEqual([...maskWords(0, 1)], [0]);
    assert.deepEqual([...maskWords(20, 1)], [-4096]);
    assert.deepEqual([...maskWords(33, 4)], [-1, -0x80000000, 0, 0]);
    const a = pairHash(Int32Array.of(1), Int32Array.of(2), 1, 1),
      b = pairHash(Int32Array.of(2), Int32Array.of(1), 1, 1);
    assert.notEqual(a, b, 'destination and source are not interchangeable');
  });
});

describe('kernel/spd tuple index behaviours', () => {
  for (const cache of [0, 64]) {
    it(`keeps lastused exact as list heads change (cache ${cache})`, () => {
      const clock = new ManualClock(1000);
      const spd = new Spd({ clock, cacheEntries: cache });
      const sel = { dir: 'out' as const, src: '10.0.0.0/8', dst: '172.16.0.0/12' };
      const tcp = spd.addPolicy({ ...sel, proto: 'tcp', action: 'none' });
      const any = spd.addPolicy({ ...sel, action: 'discard' }); // same prefixes, behind tcp in the list
      clock.advance(5);
      assert.equal(spd.lookupPolicy('out', A('10.1.1.1'), A('172.16.1.1'), 6, 1, 2), tcp);
      clock.advance(5);
      assert.equal(spd.lookupPolicy('out', A('10.1.1.1'), A('172.16.1.1'), 17, 1, 2), any);
      assert.equal(tcp.lastusedMs, 1005, 'head use (kept in the entry)');
      assert.equal(any.lastusedMs, 1010, 'non-head use');
      // A better policy takes the head: the displaced head's last use must survive.
      clock.advance(5);
      const top = spd.addPolicy({ ...sel, proto: 'icmp', action: 'none', priority: 1 });
      assert.equal(tcp.lastusedMs, 1005, 'after losing the head');
      clock.advance(5);
      assert.equal(spd.lookupPolicy('out', A('10.1.1.1'), A('172.16.1.1'), 6, 1, 2), tcp);
      assert.equal(spd.lookupPolicy('out', A('10.1.1.1'), A('172.16.1.1'), 1, 8, 0), top);
      assert.equal(tcp.lastusedMs, 1020);
      assert.equal(top.lastusedMs, 1020);
      // The head leaves: the next one keeps its own last use and gains new ones in the entry.
      spd.deletePolicyById(top.id);
      clock.advance(5);
      assert.equal(tcp.lastusedMs, 1020);
      assert.equal(spd.lookupPolicy('out', A('10.1.1.1'), A('172.16.1.1'), 6, 1, 2), tcp);
      assert.equal(spd.lookupPolicy('out', A('10.1.1.1'), A('172.16.1.1'), 6, 1, 2), tcp);
      assert.equal(tcp.lastusedMs, 1025);
      assert.equal(top.lastusedMs, 1020, 'frozen at removal');
      // Another pair in another table between a lookup and a cached touch must not steal the use.
      const other = spd.addPolicy({
        dir: 'out',
        src: '10.1.0.0/16',
        dst: '172.16.1.0/24',
        action: 'none',
        priority: 0x90000000,
      });
      clock.advance(5);
      assert.equal(spd.lookupPolicy('out', A('10.1.1.1'), A('172.16.1.1'), 6, 1, 2), tcp);
      assert.equal(spd.lookupPolicy('out', A('10.1.1.1'), A('172.16.1.1'), 6, 1, 2), tcp);
      assert.equal(tcp.lastusedMs, 1030);
      assert.equal(other.lastusedMs, other.createdMs);
    });
  }

  it('large leaves keep their hash when the head is replaced or removed', () => {
    const spd = new Spd({ clock: new ManualClock(0), cacheEntries: 0 });
    const oracle = new LinearSpd();
    const sel = { dir: 'in' as const, src: '10.0.0.0/8', dst: '192.0.2.0/24' };
    const add = (extra: object) => {
      const p = spd.addPolicy({ ...sel, action: 'none', ...extra } as Parameters<Spd['addPolicy']>[0]);
      const s = p.selector;
      oracle.add({
        id: p.id,
        dir: p.dir,
        src: s.src,
        dst: s.dst,
        proto: s.proto,
        sport: s.sport,
        dport: s.dport,
        priority: p.priority,
      });
      return p;
    };
    for (let port = 1; port <= 30; port++) add({ proto: 'tcp', dport: port, priority: 1000 + port });
    const check = (what: string) => {
      for (let port = 0; port <= 32; port++) {
        for (const proto of [6, 17]) {
          const want = oracle.lookup('in', A('10.9.9.9'), A('192.0.2.7'), proto, 999, port);
          assert.equal(
            spd.lookupPolicy('in', A('10.9.9.9'), A('192.0.2.7'), proto, 999, port)?.id,
            want?.id,
            `${what} ${proto}/${port}`,
          );
        }
      }
    };
    check('built');
    const head = add({ proto: 'udp', dport: 7, priority: 5 }); // new head of a large leaf
    check('new head');
    spd.deletePolicyById(head.id);
    oracle.removeById(head.id);
    check('head removed');
    const first = oracle.entries[0]!;
    spd.deletePolicyById(first.id);
    oracle.removeById(first.id);
    check('old head removed');
  });

  it('keeps the table order right when a re-size tightens a bound that a delete had left loose', () => {
    const spd = new Spd({ clock: new ManualClock(0), cacheEntries: 0 });
    const out = 'out' as const;
    // Table (8, 8): bound 0; table (16, 16): bound 1 until its best policy goes; table (24, 24): bound 10.
    spd.addPolicy({
      dir: out,
      src: '10.0.0.0/8',
      dst: '172.0.0.0/8',
      proto: 'udp',
      dport: 53,
      action: 'none',
      priority: 0,
    });
    const d2 = spd.addPolicy({ dir: out, src: '10.0.0.0/8', dst: '172.0.0.0/8', action: 'discard', priority: 20 });
    const a1 = spd.addPolicy({ dir: out, src: '10.9.0.0/16', dst: '172.9.0.0/16', action: 'none', priority: 1 });
    spd.addPolicy({ dir: out, src: '10.8.0.0/16', dst: '172.8.0.0/16', action: 'none', priority: 100 }); // keeps the table
    const b1 = spd.addPolicy({ dir: out, src: '10.1.2.0/24', dst: '172.1.2.0/24', action: 'none', priority: 10 });
    spd.deletePolicyById(a1.id);
    // Enough new pairs in (16, 16) to make it grow: the re-size computes its bound exactly (100).
    for (let i = 0; i < 12; i++) {
      spd.addPolicy({
        dir: out,
        src: `10.${20 + i}.0.0/16`,
        dst: `172.${20 + i}.0.0/16`,
        action: 'none',
        priority: 100,
      });
    }
    assert.equal(spd.lookupPolicy(out, A('10.1.2.3'), A('172.1.2.3'), 6, 1, 2), b1);
    assert.equal(spd.lookupPolicy(out, A('10.7.7.7'), A('172.7.7.7'), 6, 1, 2), d2);
  });

  it('keeps the table order right when a shrink tightens a bound that a delete had left loose', () => {
    const spd = new Spd({ clock: new ManualClock(0), cacheEntries: 0 });
    const out = 'out' as const;
    spd.addPolicy({
      dir: out,
      src: '10.0.0.0/8',
      dst: '172.0.0.0/8',
      proto: 'udp',
      dport: 53,
      action: 'none',
      priority: 0,
    });
    const d2 = spd.addPolicy({ dir: out, src: '10.0.0.0/8', dst: '172.0.0.0/8', action: 'discard', priority: 20 });
    const a1 = spd.addPolicy({ dir: out, src: '10.9.0.0/16', dst: '172.9.0.0/16', action: 'none', priority: 1 });
    const b1 = spd.addPolicy({ dir: out, src: '10.1.2.0/24', dst: '172.1.2.0/24', action: 'none', priority: 10 });
    const many = [];
    for (let i = 0; i < 40; i++) {
      many.push(
        spd.addPolicy({
          dir: out,
          src: `10.${20 + i}.0.0/16`,
          dst: `172.${20 + i}.0.0/16`,
          action: 'none',
          priority: 100,
        }),
      );
    }
    spd.deletePolicyById(a1.id);
    for (const p of many.slice(0, 36)) spd.deletePolicyById(p.id); // the (16, 16) table shrinks
    assert.equal(spd.lookupPolicy(out, A('10.1.2.3'), A('172.1.2.3'), 6, 1, 2), b1);
    assert.equal(spd.lookupPolicy(out, A('10.7.7.7'), A('172.7.7.7'), 6, 1, 2), d2);
  });

  it('stops early only when no later table can win (priorities that invert specificity)', () => {
    const spd = new Spd({ clock: new ManualClock(0), cacheEntries: 0 });
    // Broad policies are better than specific ones here, except one specific policy better than all.
    const broad = spd.addPolicy({
      dir: 'out',
      src: '0.0.0.0/0',
      dst: '0.0.0.0/0',
      proto: 'udp',
      action: 'none',
      priority: 10,
    });
    const mid = spd.addPolicy({ dir: 'out', src: '10.0.0.0/8', dst: '172.16.0.0/12', action: 'discard', priority: 20 });
    const host = spd.addPolicy({
      dir: 'out',
      src: '10.1.2.3/32',
      dst: '172.16.5.5/32',
      proto: 'tcp',
      action: 'none',
      priority: 30,
    });
    const best = spd.addPolicy({ dir: 'out', src: '10.1.2.3/32', dst: '172.16.5.6/32', action: 'none', priority: 5 });
    assert.equal(spd.lookupPolicy('out', A('10.1.2.3'), A('172.16.5.5'), 17, 1, 2), broad);
    assert.equal(spd.lookupPolicy('out', A('10.1.2.3'), A('172.16.5.5'), 6, 1, 2), mid);
    assert.equal(
      spd.lookupPolicy('out', A('10.1.2.3'), A('172.16.5.6'), 17, 1, 2),
      best,
      'a /32 beats the broader tables',
    );
    spd.deletePolicyById(mid.id);
    assert.equal(
      spd.lookupPolicy('out', A('10.1.2.3'), A('172.16.5.5'), 6, 1, 2),
      host,
      'bound loosened by the delete',
    );
    spd.compact();
    assert.equal(spd.lookupPolicy('out', A('10.1.2.3'), A('172.16.5.5'), 6, 1, 2), host, 'and after compact');
    spd.deletePolicyById(best.id);
    spd.compact();
    assert.equal(spd.lookupPolicy('out', A('10.1.2.3'), A('172.16.5.6'), 17, 1, 2), broad);
    const dir: PolicyDir = 'out';
    assert.equal(spd.lookupPolicy(dir, A('10.1.2.3'), A('172.16.5.6'), 6, 1, 2), undefined);
  });
});
