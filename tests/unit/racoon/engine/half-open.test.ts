// The half-open table (issue 11 item 2): a share per source address, a global bound, eviction of the oldest
// record whose peer never answered, configured peers never displaced by anonymous ones, proven records kept,
// a short life under pressure.
import { strict as assert } from 'node:assert';
import { HalfOpenLimit, type HalfOpenSlot } from '../../../../racoon/engine/half-open.js';

function table(max: number, perSource: number) {
  const h = new HalfOpenLimit(max, perSource);
  const evicted: string[] = [];
  let t = 0;
  const add = (name: string, source: string, preferred = false) => {
    const adm = h.admit({ source, preferred }, t++, () => evicted.push(name));
    return 'slot' in adm ? adm : adm.refused;
  };
  return { h, evicted, add };
}

describe('racoon engine: half-open table', () => {
  it('a source over its share loses its own oldest unanswered record; all answered → refused', () => {
    const { h, evicted, add } = table(100, 2);
    add('a1', '10.0.0.1');
    add('a2', '10.0.0.1');
    add('b1', '10.0.0.2');
    assert.equal(h.heldBy('10.0.0.1'), 2);
    add('a3', '10.0.0.1');
    assert.deepEqual(evicted, ['a1']);
    assert.equal(h.heldBy('10.0.0.1'), 2);
    for (const name of ['a4', 'a5']) {
      const r = add(name, '10.0.0.3');
      assert.ok(typeof r !== 'string');
      h.prove(r.slot);
    }
    assert.equal(add('a6', '10.0.0.3'), 'source', 'both records of that source were answered: nothing to evict');
  });

  it('full: the oldest unanswered anonymous record goes; an anonymous newcomer never displaces a configured peer', () => {
    const { h, evicted, add } = table(4, 10);
    const c = add('conf1', '192.0.2.9', true);
    add('anon1', '10.0.0.1');
    add('anon2', '10.0.0.2');
    add('anon3', '10.0.0.3');
    assert.equal(h.full(), true);
    add('anon4', '10.0.0.4');
    assert.deepEqual(evicted, ['anon1']);
    add('conf2', '192.0.2.10', true);
    assert.deepEqual(evicted, ['anon1', 'anon2'], 'a configured peer takes an anonymous place');
    add('conf3', '192.0.2.11', true);
    add('conf4', '192.0.2.12', true);
    assert.deepEqual(evicted, ['anon1', 'anon2', 'anon3', 'anon4']);
    assert.equal(add('anon5', '10.0.0.5'), 'global', 'only configured peers are left: an anonymous newcomer waits');
    add('conf5', '192.0.2.13', true);
    assert.equal(evicted.at(-1), 'conf1', 'configured among themselves: the oldest unanswered goes');
    assert.ok(typeof c !== 'string');
  });

  it('released and proven slots; pressure from half full; release is idempotent', () => {
    const { h, add } = table(4, 10);
    const r1 = add('x1', '10.0.0.1');
    assert.ok(typeof r1 !== 'string');
    assert.equal(r1.shortLife, false);
    const r2 = add('x2', '10.0.0.2');
    assert.ok(typeof r2 !== 'string');
    assert.equal(h.underPressure(), true);
    const r3 = add('x3', '10.0.0.3');
    assert.ok(typeof r3 !== 'string' && r3.shortLife, 'admitted under pressure: a short life');
    const slot: HalfOpenSlot = r1.slot;
    h.release(slot);
    h.release(slot);
    assert.equal(h.slots(), 2);
    assert.equal(h.heldBy('10.0.0.1'), 0);
  });

  it('a flood of 100,000 forged first messages keeps the table bounded and a configured peer always gets in', () => {
    const { h, add } = table(256, 5);
    let refusedPeer = 0;
    for (let i = 0; i < 100_000; i++) {
      add(`f${i}`, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
      if (i % 1000 === 0) {
        const r = add(`peer${i}`, '192.0.2.2', true);
        if (typeof r === 'string') refusedPeer++;
        else h.release(r.slot); // it authenticated
      }
      assert.ok(h.slots() <= 256);
    }
    assert.equal(refusedPeer, 0);
  });
});
