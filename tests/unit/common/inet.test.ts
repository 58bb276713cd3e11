import { strict as assert } from 'node:assert';
import { parseAddr, formatAddr, parsePrefix, prefixContains, formatPrefix } from '../../../common/inet.js';
import { fromHex, toHex, equalCT, u32, putU32 } from '../../../common/bytes.js';
import { SeededRng, PooledRng } from '../../../common/rng.js';
import { ManualClock } from '../../../common/clock.js';

describe('common/inet', () => {
  it('round-trips IPv4 and IPv6 addresses (RFC 5952 text)', () => {
    const cases: [string, string][] = [
      ['192.0.2.1', '192.0.2.1'],
      ['2001:db8::1', '2001:db8::1'],
      ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
      ['::', '::'],
      ['::1', '::1'],
      ['fe80::1:0:0:1', 'fe80::1:0:0:1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ];
    for (const [inp, out] of cases) assert.equal(formatAddr(parseAddr(inp)!), out, inp);
    assert.equal(parseAddr('300.1.1.1'), undefined);
    assert.equal(parseAddr('1::2::3'), undefined);
  });

  it('parses prefixes and matches addresses', () => {
    const p = parsePrefix('10.1.2.3/16')!;
    assert.equal(formatPrefix(p), '10.1.0.0/16');
    assert.ok(prefixContains(p, parseAddr('10.1.255.1')!));
    assert.ok(!prefixContains(p, parseAddr('10.2.0.1')!));
    const q = parsePrefix('2001:db8::/33')!;
    assert.ok(prefixContains(q, parseAddr('2001:db8:7fff::1')!));
    assert.ok(!prefixContains(q, parseAddr('2001:db8:8000::1')!));
    assert.equal(parsePrefix('10.0.0.0/33'), undefined);
    assert.equal(parsePrefix('10.0.0.0/x'), undefined);
    assert.equal(parsePrefix('::/0')!.len, 0);
  });
});

describe('common/bytes, rng, clock', () => {
  it('hex and integers', () => {
    assert.equal(toHex(fromHex('0xDEADbeef')), 'deadbeef');
    assert.throws(() => fromHex('0xabc'), /bad hex/);
    const b = new Uint8Array(4);
    putU32(b, 0, 0xfedcba98);
    assert.equal(u32(b, 0), 0xfedcba98);
    assert.ok(equalCT(fromHex('0102'), fromHex('0102')));
    assert.ok(!equalCT(fromHex('0102'), fromHex('0103')));
    assert.ok(!equalCT(fromHex('0102'), fromHex('010203')));
  });

  it('seeded rng is deterministic, pooled rng is not repeating', () => {
    const a = new Uint8Array(40),
      b = new Uint8Array(40);
    new SeededRng(7).fill(a);
    new SeededRng(7).fill(b);
    assert.deepEqual(a, b);
    const r = new PooledRng();
    const x = new Uint8Array(16),
      y = new Uint8Array(16);
    r.fill(x);
    r.fill(y);
    assert.notDeepEqual(x, y);
  });

  it('manual clock fires timers in order', () => {
    const c = new ManualClock(1000);
    const seen: number[] = [];
    c.setTimer(20, () => seen.push(2));
    c.setTimer(10, () => seen.push(1));
    const cancel = c.setTimer(15, () => seen.push(99));
    cancel();
    c.advance(25);
    assert.deepEqual(seen, [1, 2]);
    assert.equal(c.now(), 1025);
  });
});
