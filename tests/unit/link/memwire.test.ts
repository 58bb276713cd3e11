import { strict as assert } from 'node:assert';
import { MemWire } from '../../../kernel/link/memwire.js';
import { RouteTable } from '../../../kernel/host/route.js';
import { parseAddr, parsePrefix } from '../../../common/inet.js';
import { ManualClock } from '../../../common/clock.js';
import { SeededRng } from '../../../common/rng.js';

const A = parseAddr('192.0.2.1')!,
  B = parseAddr('192.0.2.2')!,
  C = parseAddr('192.0.2.3')!;
const tick = () => new Promise((r) => setImmediate(r));

describe('kernel/link/memwire', () => {
  it('delivers a copy to the port owning the next hop only', async () => {
    const w = new MemWire();
    const pa = w.attach('a', [A]),
      pb = w.attach('b', [B]),
      pc = w.attach('c', [C]);
    const got: string[] = [];
    pb.onReceive((p) => got.push('b:' + p[0]));
    pc.onReceive((p) => got.push('c:' + p[0]));
    const buf = new Uint8Array([7, 1, 2]);
    pa.send(buf, B);
    buf[0] = 9; // the sender reuses its buffer; the frame on the wire must not change
    await tick();
    assert.deepEqual(got, ['b:7']);
    pa.send(new Uint8Array([1]), parseAddr('192.0.2.99')!);
    await tick();
    assert.equal(w.stats.noNeighbour, 1);
  });

  it('enforces the MTU', async () => {
    const w = new MemWire({ mtu: 100 });
    const pa = w.attach('a', [A]),
      pb = w.attach('b', [B]);
    let n = 0;
    pb.onReceive(() => n++);
    pa.send(new Uint8Array(101), B);
    pa.send(new Uint8Array(100), B);
    await tick();
    assert.equal(n, 1);
    assert.equal(w.stats.tooBig, 1);
  });

  it('loses, duplicates and delays frames as configured (seeded)', async () => {
    const clock = new ManualClock();
    const w = new MemWire({ loss: 0.3, duplicate: 0.2, delayMs: 5, jitterMs: 10, clock, rng: new SeededRng(1) });
    const pa = w.attach('a', [A]),
      pb = w.attach('b', [B]);
    const seen: number[] = [];
    pb.onReceive((p) => seen.push(p[0]! | (p[1]! << 8)));
    for (let i = 0; i < 1000; i++) pa.send(new Uint8Array([i & 0xff, i >> 8]), B);
    assert.equal(seen.length, 0, 'nothing arrives before the delay');
    clock.advance(20);
    assert.equal(seen.length, w.stats.delivered);
    assert.equal(w.stats.lost + (w.stats.delivered - w.stats.duplicated), 1000);
    assert.ok(w.stats.lost > 200 && w.stats.lost < 400, `lost ${w.stats.lost}`);
    assert.ok(w.stats.duplicated > 100 && w.stats.duplicated < 300, `dup ${w.stats.duplicated}`);
    let reordered = 0;
    for (let i = 1; i < seen.length; i++) if (seen[i]! < seen[i - 1]!) reordered++;
    assert.ok(reordered > 0, 'jitter reorders frames');
  });
});

describe('kernel/route', () => {
  it('picks the longest prefix, then the lowest metric', () => {
    const t = new RouteTable();
    t.add({ prefix: parsePrefix('0.0.0.0/0')!, ifname: 'wan', gateway: A, metric: 0 });
    t.add({ prefix: parsePrefix('10.0.0.0/8')!, ifname: 'lan', metric: 5 });
    t.add({ prefix: parsePrefix('10.1.0.0/16')!, ifname: 'lan2', metric: 5 });
    t.add({ prefix: parsePrefix('10.1.0.0/16')!, ifname: 'lan3', metric: 1 });
    t.add({ prefix: parsePrefix('2001:db8::/32')!, ifname: 'v6', metric: 0 });
    assert.equal(t.lookup(parseAddr('10.1.2.3')!)!.ifname, 'lan3');
    assert.equal(t.lookup(parseAddr('10.2.2.3')!)!.ifname, 'lan');
    assert.equal(t.lookup(parseAddr('8.8.8.8')!)!.ifname, 'wan');
    assert.equal(t.lookup(parseAddr('2001:db8::1')!)!.ifname, 'v6');
    assert.equal(t.lookup(parseAddr('2001:db9::1')!), undefined);
    assert.equal(
      t.remove((r) => r.ifname === 'lan3'),
      1,
    );
    assert.equal(t.lookup(parseAddr('10.1.2.3')!)!.ifname, 'lan2');
  });
});
