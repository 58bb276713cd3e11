// The SAD's output index is keyed by a 32-bit hash of (protocol, src, dst), so different pairs may share a
// bucket: between() must return exactly the SAs of the pair asked for, in creation order, whatever shares it.
import { strict as assert } from 'node:assert';
import { SadTables, entriesOf, pairHash } from '../../../kernel/sad/tables.js';
import { Sad, type SaParams } from '../../../kernel/sad/sad.js';
import { ManualClock } from '../../../common/clock.js';
import { parseAddr } from '../../../common/inet.js';
import type { IpsecProto, SecAssoc } from '../../../kernel/sad/secassoc.js';
import { SeededRng } from '../../../common/rng.js';

const PROTOS: IpsecProto[] = ['esp', 'ah', 'ipcomp'];

function addr(rng: SeededRng, v6: boolean): Uint8Array {
  const a = new Uint8Array(v6 ? 16 : 4);
  rng.fill(a);
  a[a.length - 1]! &= 3; // few distinct addresses: many SAs per pair
  a.fill(0, 0, a.length - 1);
  return a;
}

describe('kernel/sad: tables', () => {
  it('between() returns exactly the pair asked for, in creation order, over many mixed IPv4/IPv6 pairs', () => {
    const rng = new SeededRng('sad-tables');
    const t = new SadTables();
    const sas: SecAssoc[] = [];
    const r = new Uint8Array(3);
    for (let i = 0; i < 600; i++) {
      rng.fill(r);
      const v6 = r[0]! % 2 === 1;
      const sa = { proto: PROTOS[r[1]! % 3]!, spi: 0x1000 + i, mode: 'transport', reqid: 0 } as SecAssoc;
      sa.src = addr(rng, v6);
      sa.dst = addr(rng, v6);
      t.insert(sa, 0, 0);
      sas.push(sa);
    }
    for (const sa of sas.filter((_, i) => i % 3 === 0)) t.remove(t.entries.get(sa)!);
    const live = sas.filter((_, i) => i % 3 !== 0);
    for (const q of live) {
      const want = live.filter(
        (x) => x.proto === q.proto && Buffer.compare(x.src, q.src) === 0 && Buffer.compare(x.dst, q.dst) === 0,
      );
      assert.deepEqual(
        entriesOf(t.between(q.proto, q.src, q.dst)).map((e) => e.sa.spi),
        want.map((x) => x.spi),
      );
    }
    // A 4-byte src + 16-byte dst never meets a 16-byte src + 4-byte dst with the same bytes.
    assert.equal(entriesOf(t.between('esp', new Uint8Array(4), new Uint8Array(16))).length, 0);
  });

  it('two pairs with the same hash: each lookup sees only its own SAs, before and after removals', () => {
    // The first colliding pair among fixed-seed random IPv4 pairs (birthday bound: ~8 expected in 2^18).
    let x = 0x9e3779b9; // xorshift32: a fixed sequence, cheap enough for the 10^5 draws this takes
    const next = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
    const word = (v: number) => Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
    const pairs: [Uint8Array, Uint8Array][] = [];
    const seen = new Map<number, number>();
    let hit: [number, number] | undefined;
    for (let i = 0; i < 1 << 19 && !hit; i++) {
      const pair: [Uint8Array, Uint8Array] = [word(next()), word(next())];
      pairs.push(pair);
      const h = pairHash('esp', ...pair);
      const j = seen.get(h);
      if (j === undefined) seen.set(h, i);
      else hit = [j, i];
    }
    assert.ok(hit, 'no collision found');
    const [p, q] = [pairs[hit[0]]!, pairs[hit[1]]!];
    assert.equal(pairHash('esp', ...p), pairHash('esp', ...q));
    const t = new SadTables();
    const mk = (spi: number, [src, dst]: [Uint8Array, Uint8Array], reqid = 0): SecAssoc => {
      const sa = { proto: 'esp', spi, mode: 'tunnel', reqid, src, dst, state: 'mature' } as SecAssoc;
      t.insert(sa, 0, 0);
      return sa;
    };
    const a1 = mk(0x101, p),
      b1 = mk(0x102, q),
      a2 = mk(0x103, p),
      b2 = mk(0x104, q, 7);
    const spis = (pair: [Uint8Array, Uint8Array]) => entriesOf(t.between('esp', ...pair)).map((e) => e.sa.spi);
    assert.deepEqual(spis(p), [0x101, 0x103]);
    assert.deepEqual(spis(q), [0x102, 0x104]);
    // SA heads: same (proto, mode, reqid, src, dst) share the serial, the other pair's never does.
    const head = (sa: SecAssoc) => t.entries.get(sa)!.headSerial;
    assert.equal(head(a1), head(a2));
    assert.notEqual(head(a1), head(b1));
    assert.notEqual(head(b1), head(b2), 'another reqid is another head');
    t.remove(t.entries.get(a1)!);
    t.remove(t.entries.get(b2)!);
    assert.deepEqual(spis(p), [0x103]);
    assert.deepEqual(spis(q), [0x102]);
    // A new SA of a1's head joins the head a2 kept alive.
    assert.equal(head(mk(0x105, p)), head(a2));
    t.remove(t.entries.get(a2)!);
    t.remove(t.entries.get(b1)!);
    assert.deepEqual(spis(q), []);
    assert.deepEqual(spis(p), [0x105]);
  });

  it('one SPI towards two destinations: findIn tells them apart, removal keeps the other', () => {
    const t = new SadTables();
    const d1 = Uint8Array.of(10, 0, 0, 1),
      d2 = Uint8Array.of(10, 0, 0, 2);
    const mk = (dst: Uint8Array, spi: number): SecAssoc => {
      const sa = { proto: 'esp', spi, mode: 'tunnel', reqid: 0, src: Uint8Array.of(10, 9, 9, 9), dst } as SecAssoc;
      sa.state = 'mature';
      t.insert(sa, 0, 0);
      return sa;
    };
    const x = mk(d1, 0xfffffff0),
      y = mk(d2, 0xfffffff0);
    assert.equal(t.findIn(d1, 'esp', 0xfffffff0, false)?.sa, x);
    assert.equal(t.findIn(d2, 'esp', 0xfffffff0, false)?.sa, y);
    assert.equal(t.findIn(d1, 'ah', 0xfffffff0, true), undefined, 'another protocol');
    t.remove(t.entries.get(x)!);
    assert.equal(t.findIn(d1, 'esp', 0xfffffff0, true), undefined);
    assert.equal(t.findIn(d2, 'esp', 0xfffffff0, false)?.sa, y);
  });

  // Two (src, dst) pairs whose 32-bit FNV-1a output keys are equal (found by a search over 2^22 pairs).
  const P1 = { src: parseAddr('192.0.216.64')!, dst: parseAddr('198.51.3.192')! };
  const P2 = { src: parseAddr('192.0.53.160')!, dst: parseAddr('198.51.4.96')! };

  it('the forced pair really collides in the output index', () => {
    assert.equal(pairHash('esp', P1.src, P1.dst), pairHash('esp', P2.src, P2.dst));
    assert.notEqual(pairHash('ah', P1.src, P1.dst), pairHash('esp', P1.src, P1.dst));
  });

  it('SAs whose output keys collide resolve to their own pair (between, findIn, remove)', () => {
    const t = new SadTables();
    const mk = (p: typeof P1, spi: number) => {
      const sa = { proto: 'esp', spi, mode: 'tunnel', reqid: 0, state: 'mature', src: p.src, dst: p.dst } as SecAssoc;
      t.insert(sa, 0, 0);
      return sa;
    };
    // Interleaved so that each bucket list mixes both pairs.
    const a1 = mk(P1, 0x101),
      b1 = mk(P2, 0x201),
      a2 = mk(P1, 0x102),
      b2 = mk(P2, 0x202);
    const spis = (p: typeof P1) => entriesOf(t.between('esp', p.src, p.dst)).map((e) => e.sa.spi);
    assert.deepEqual(spis(P1), [0x101, 0x102]);
    assert.deepEqual(spis(P2), [0x201, 0x202]);
    // Crossed pairs (P1's src with P2's dst) hash elsewhere and hold nothing.
    assert.deepEqual(entriesOf(t.between('esp', P1.src, P2.dst)), []);
    assert.equal(t.findIn(P2.dst, 'esp', 0x101, false), undefined);
    assert.equal(t.findIn(P1.dst, 'esp', 0x101, false)?.sa, a1);
    t.remove(t.entries.get(a1)!);
    t.remove(t.entries.get(b2)!);
    assert.deepEqual(spis(P1), [0x102]);
    assert.deepEqual(spis(P2), [0x201]);
    t.remove(t.entries.get(a2)!);
    assert.deepEqual(spis(P1), []);
    assert.equal(entriesOf(t.between('esp', P2.src, P2.dst))[0]?.sa, b1);
  });

  it('the SAD picks, deletes and flushes by pair when the pairs collide', () => {
    const sad = new Sad({ clock: new ManualClock(1_700_000_000_000), rng: new SeededRng('sad-collide') });
    const key = new Uint8Array(16).fill(0x33);
    const add = (p: typeof P1, spi: number) =>
      sad.add({
        spi,
        proto: 'esp',
        mode: 'tunnel',
        src: p.src,
        dst: p.dst,
        encAlg: 'aes-cbc',
        encKey: key,
      } as SaParams);
    add(P1, 0x301);
    add(P2, 0x302);
    assert.equal(sad.lookupOut(P1.src, P1.dst, 'esp', 'tunnel', 0)?.spi, 0x301);
    assert.equal(sad.lookupOut(P2.src, P2.dst, 'esp', 'tunnel', 0)?.spi, 0x302);
    assert.deepEqual(
      sad.deleteAll(P2.src, P2.dst, 'esp').map((s) => s.spi),
      [0x302],
    );
    assert.equal(sad.lookupOut(P2.src, P2.dst, 'esp', 'tunnel', 0), undefined);
    assert.equal(sad.lookupOut(P1.src, P1.dst, 'esp', 'tunnel', 0)?.spi, 0x301);
  });
});
