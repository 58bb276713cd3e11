// The SAD's output index is keyed by a 32-bit hash of (protocol, src, dst), so different pairs may share a
// bucket: between() must return exactly the SAs of the pair asked for, in creation order, whatever shares it.
import { strict as assert } from 'node:assert';
import { SadTables, pairHash } from '../../../kernel/sad/tables.js';
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
        t.between(q.proto, q.src, q.dst).map((e) => e.sa.spi),
        want.map((x) => x.spi),
      );
    }
    // A 4-byte src + 16-byte dst never meets a 16-byte src + 4-byte dst with the same bytes.
    assert.equal(t.between('esp', new Uint8Array(4), new Uint8Array(16)).length, 0);
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
    const spis = (p: typeof P1) => t.between('esp', p.src, p.dst).map((e) => e.sa.spi);
    assert.deepEqual(spis(P1), [0x101, 0x102]);
    assert.deepEqual(spis(P2), [0x201, 0x202]);
    // Crossed pairs (P1's src with P2's dst) hash elsewhere and hold nothing.
    assert.deepEqual(t.between('esp', P1.src, P2.dst), []);
    assert.equal(t.findIn(P2.dst, 'esp', 0x101, false), undefined);
    assert.equal(t.findIn(P1.dst, 'esp', 0x101, false)?.sa, a1);
    t.remove(t.entries.get(a1)!);
    t.remove(t.entries.get(b2)!);
    assert.deepEqual(spis(P1), [0x102]);
    assert.deepEqual(spis(P2), [0x201]);
    t.remove(t.entries.get(a2)!);
    assert.deepEqual(spis(P1), []);
    assert.equal(t.between('esp', P2.src, P2.dst)[0]?.sa, b1);
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
