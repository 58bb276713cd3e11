// The SAD's output index is keyed by a 32-bit hash of (protocol, src, dst), so different pairs may share a
// bucket: between() must return exactly the SAs of the pair asked for, in creation order, whatever shares it.
import { strict as assert } from 'node:assert';
import { SadTables } from '../../../kernel/sad/tables.js';
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
});
