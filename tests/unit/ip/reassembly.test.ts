// Reassembly (RFC 791 §3.2, RFC 815, RFC 8200 §4.5, RFC 5722): order, duplicates, overlaps, timeouts,
// bounded memory under floods, and a counter for every drop reason.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { concat, fromHex, toHex, putU16 } from '../../../common/bytes.js';
import { parseAddr } from '../../../common/inet.js';
import { ManualClock } from '../../../common/clock.js';
import { decodeIpv4, buildIpv4Packet, setIpv4Checksum } from '../../../kernel/ip/ipv4.js';
import { walkIpv6Chain, buildIpv6Packet } from '../../../kernel/ip/ipv6.js';
import { fragmentIpv4, fragmentIpv6, Reassembler } from '../../../kernel/ip/frag.js';
import type { ReassemblerOptions, ReassemblyResult } from '../../../kernel/ip/reassembly.js';
import { buildUdpPacket } from '../../../kernel/ip/packet.js';

const A4 = parseAddr('192.0.2.1')!,
  B4 = parseAddr('192.0.2.2')!;
const A6 = parseAddr('2001:db8::1')!,
  B6 = parseAddr('2001:db8::2')!;

function pattern(n: number, seed = 0): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}
function frags4(dataLen: number, mtu: number, id = 1, seed = 0): { pkt: Uint8Array; frags: Uint8Array[] } {
  const pkt = buildIpv4Packet({ protocol: 17, id, src: A4, dst: B4 }, pattern(dataLen, seed));
  const r = fragmentIpv4(pkt, mtu);
  assert.ok(r.ok);
  return { pkt, frags: r.fragments };
}
function frags6(dataLen: number, id = 1, seed = 0): { pkt: Uint8Array; frags: Uint8Array[] } {
  const pkt = buildUdpPacket({ src: A6, dst: B6 }, 7, 9, pattern(dataLen, seed));
  const r = fragmentIpv6(pkt, 1280, id);
  assert.ok(r.ok);
  return { pkt, frags: r.fragments };
}
/** A hand-made IPv4 fragment: `data` at byte offset `off`. */
function v4frag(off: number, data: Uint8Array, more: boolean, id = 77, protocol = 17): Uint8Array {
  return buildIpv4Packet({ protocol, id, mf: more, fragOffset: off / 8, src: A4, dst: B4 }, data);
}
function make(o: Partial<ReassemblerOptions> = {}): { r: Reassembler; clock: ManualClock } {
  const clock = new ManualClock(1_000_000);
  return { r: new Reassembler({ clock, ...o }), clock };
}
function feed(r: Reassembler, frags: Uint8Array[]): ReassemblyResult[] {
  return frags.map((f) => r.input(f));
}
function completed(res: ReassemblyResult[]): Uint8Array[] {
  return res.flatMap((x) => (x.kind === 'complete' ? [x.packet] : []));
}

describe('kernel/ip/reassembly', () => {
  it('passes non-fragments through untouched', () => {
    const { r } = make();
    assert.deepEqual(r.input(buildIpv4Packet({ protocol: 1, src: A4, dst: B4 }, pattern(10))), {
      kind: 'not-fragment',
    });
    assert.deepEqual(r.input(buildUdpPacket({ src: A6, dst: B6 }, 1, 2, pattern(10))), { kind: 'not-fragment' });
    assert.equal(r.stats.fragments, 0);
  });

  for (const fam of [4, 6] as const) {
    const gen = fam === 4 ? () => frags4(5000, 1000) : () => frags6(5000);
    it(`IPv${fam}: reassembles in order and in reverse, byte for byte`, () => {
      for (const rev of [false, true]) {
        const { pkt, frags } = gen();
        const { r } = make();
        const res = feed(r, rev ? [...frags].reverse() : frags);
        assert.deepEqual(
          res.slice(0, -1).map((x) => x.kind),
          Array(frags.length - 1).fill('held'),
        );
        assert.equal(toHex(completed(res)[0]!), toHex(pkt));
        assert.equal(r.bytesHeld, 0);
        assert.equal(r.datagrams, 0);
        assert.equal(r.stats.reassembled, 1);
      }
    });

    it(`IPv${fam}: reassembles any permutation, with exact duplicates dropped alone (RFC 8200 §4.5)`, () => {
      const { pkt, frags } = gen();
      fc.assert(
        fc.property(
          fc.shuffledSubarray(
            frags.map((_, i) => i),
            { minLength: frags.length, maxLength: frags.length },
          ),
          fc.array(fc.nat(frags.length - 1), { maxLength: 3 }),
          (order, dups) => {
            const { r } = make();
            // Duplicates repeat pieces already delivered, before the last piece, while the datagram is open.
            const early = order.slice(0, -1);
            const seq = [...early, ...dups.map((d) => early[d % early.length]!), order[order.length - 1]!].map(
              (i) => frags[i]!,
            );
            const res = feed(r, seq);
            const done = completed(res);
            assert.equal(done.length, 1);
            assert.equal(toHex(done[0]!), toHex(pkt));
            assert.equal(r.stats.dropped.duplicate, dups.length);
            assert.equal(r.bytesHeld, 0);
          },
        ),
        { seed: 5722, numRuns: 200 },
      );
    });
  }

  it("IPv4: the reassembled header is the first fragment's, with MF cleared and a fresh checksum", () => {
    const options = fromHex('82040000 07070400000000 01');
    const pkt = buildIpv4Packet({ protocol: 17, id: 3, tos: 0x10, src: A4, dst: B4, options }, pattern(600));
    const fr = fragmentIpv4(pkt, 200);
    assert.ok(fr.ok);
    const { r } = make();
    const out = completed(feed(r, [...fr.fragments].reverse()))[0]!;
    assert.equal(toHex(out), toHex(pkt));
    const h = decodeIpv4(out).value;
    assert.deepEqual(
      [h.mf, h.fragOffset, h.totalLength, h.optionList.map((o) => o.type)],
      [false, 0, pkt.length, [130, 7, 1]],
    );
  });

  it('IPv6: an atomic fragment (offset 0, M clear) is handed back alone without its fragment header (RFC 6946)', () => {
    const inner = buildUdpPacket({ src: A6, dst: B6 }, 1, 2, pattern(20));
    const atomic = buildIpv6Packet(
      { src: A6, dst: B6, nextHeader: 44 },
      concat(fromHex('1100000000000063'), inner.subarray(40)),
    );
    const { r } = make();
    const res = r.input(atomic);
    assert.equal(res.kind, 'complete');
    assert.equal(toHex((res as { packet: Uint8Array }).packet), toHex(inner));
    assert.equal(r.stats.atomic, 1);
    assert.equal(r.datagrams, 0);
  });

  it('keeps datagrams apart by key: same id with another protocol (IPv4) or another source', () => {
    const { r } = make();
    assert.equal(r.input(v4frag(0, pattern(8), true, 5, 17)).kind, 'held');
    assert.equal(r.input(v4frag(0, pattern(8), true, 5, 6)).kind, 'held');
    assert.equal(r.datagrams, 2);
    assert.equal(r.input(v4frag(8, pattern(8), false, 5, 6)).kind, 'complete');
    assert.equal(r.datagrams, 1);
  });

  describe('overlaps discard the whole datagram (RFC 5722), for IPv4 too', () => {
    it('IPv6: an overlapping fragment drops the datagram, and later fragments of it are dropped until timeout', () => {
      const { pkt, frags } = frags6(3000, 42);
      const { r, clock } = make();
      assert.equal(r.input(frags[0]!).kind, 'held');
      // A forged second fragment starting 8 bytes early.
      const c = walkIpv6Chain(frags[1]!);
      const forged = frags[1]!.slice();
      putU16(forged, c.fragment!.offset + 2, (c.fragment!.fragOffset - 8) | 1);
      assert.deepEqual(r.input(forged), { kind: 'dropped', reason: 'overlap' });
      assert.equal(r.stats.dropped.overlap, 2); // the held first fragment and the overlapping one
      assert.equal(r.bytesHeld, 0);
      for (const f of frags.slice(1)) assert.deepEqual(r.input(f), { kind: 'dropped', reason: 'afterDiscard' });
      assert.equal(r.stats.dropped.afterDiscard, frags.length - 1);
      clock.advance(60_000);
      assert.equal(r.stats.reassembled, 0);
      // After the timer the key is free again and a clean retransmission reassembles.
      assert.equal(toHex(completed(feed(r, frags))[0]!), toHex(pkt));
      assert.equal(r.stats.timedOut, 0, 'a discarded datagram does not count as timed out');
    });

    it('IPv4: overlap with identical bytes but other bounds is still an overlap', () => {
      const data = pattern(32);
      const { r } = make();
      r.input(v4frag(0, data.subarray(0, 16), true));
      assert.deepEqual(r.input(v4frag(8, data.subarray(8, 24), true)), { kind: 'dropped', reason: 'overlap' });
      assert.deepEqual(r.input(v4frag(16, data.subarray(16, 32), false)), { kind: 'dropped', reason: 'afterDiscard' });
    });

    it('IPv4: same offset and length but different bytes is an overlap, not a duplicate', () => {
      const { r } = make();
      r.input(v4frag(0, pattern(16, 1), true));
      assert.deepEqual(r.input(v4frag(0, pattern(16, 2), true)), { kind: 'dropped', reason: 'overlap' });
    });
  });

  it('drops fragments that disagree about the end of the datagram', () => {
    const { r } = make();
    r.input(v4frag(0, pattern(16), true, 1));
    r.input(v4frag(24, pattern(8), false, 1)); // ends at 32, bytes 16..24 still missing
    assert.deepEqual(r.input(v4frag(40, pattern(8), false, 1)), { kind: 'dropped', reason: 'inconsistent' });
    const { r: r2 } = make();
    r2.input(v4frag(8, pattern(8), false, 2));
    assert.deepEqual(r2.input(v4frag(16, pattern(8), true, 2)), { kind: 'dropped', reason: 'inconsistent' });
    const { r: r3 } = make();
    r3.input(v4frag(64, pattern(8), true, 3));
    assert.deepEqual(r3.input(v4frag(24, pattern(8), false, 3)), { kind: 'dropped', reason: 'inconsistent' });
    assert.equal(r3.stats.dropped.inconsistent, 2);
  });

  it('drops malformed fragments: M set with a length not a multiple of 8, empty, or unparsable', () => {
    const { r } = make();
    assert.deepEqual(r.input(v4frag(0, pattern(12), true)), { kind: 'dropped', reason: 'malformed' });
    assert.deepEqual(r.input(v4frag(8, new Uint8Array(0), true)), { kind: 'dropped', reason: 'malformed' });
    assert.deepEqual(r.input(fromHex('4f00')), { kind: 'dropped', reason: 'malformed' });
    assert.deepEqual(r.input(new Uint8Array(0)), { kind: 'dropped', reason: 'malformed' });
    const bad = v4frag(0, pattern(8), true);
    bad[8]! ^= 0xff; // header checksum now wrong
    assert.deepEqual(r.input(bad), { kind: 'dropped', reason: 'malformed' });
    assert.equal(r.stats.dropped.malformed, 5);
    assert.equal(r.datagrams, 0);
  });

  it('drops a fragment that would make the datagram exceed 65535 bytes', () => {
    const { r } = make();
    assert.deepEqual(r.input(v4frag(8184 * 8, pattern(120), false)), { kind: 'dropped', reason: 'tooLong' });
    const c = frags6(2000, 5).frags[1]!.slice();
    const f = walkIpv6Chain(c).fragment!;
    putU16(c, f.offset + 2, 65528);
    assert.deepEqual(r.input(c), { kind: 'dropped', reason: 'tooLong' });
  });

  it('bounds the pieces of one datagram (maxFragments)', () => {
    const { r } = make({ maxFragments: 4 });
    for (let i = 0; i < 4; i++) assert.equal(r.input(v4frag(i * 16, pattern(8), true)).kind, 'held');
    assert.deepEqual(r.input(v4frag(200, pattern(8), true)), { kind: 'dropped', reason: 'tooManyFragments' });
    assert.equal(r.stats.dropped.tooManyFragments, 5);
  });

  describe('timeouts (IPv4 30 s, IPv6 60 s by default)', () => {
    it('IPv4: a missing piece times out at 30 s; the first fragment is offered for ICMP time exceeded', () => {
      const { frags } = frags4(3000, 1000, 9);
      const { r, clock } = make();
      const expired: { family: number; first?: Uint8Array }[] = [];
      r.onTimeout = (d) => expired.push({ family: d.family, first: d.firstFragment });
      feed(r, [frags[0]!, frags[2]!]);
      clock.advance(29_999);
      assert.equal(r.expire(), 0);
      assert.equal(r.datagrams, 1);
      clock.advance(1);
      assert.equal(r.expire(), 1);
      assert.equal(r.datagrams, 0);
      assert.equal(r.bytesHeld, 0);
      assert.equal(r.stats.timedOut, 1);
      assert.equal(r.stats.dropped.timeout, 2);
      assert.equal(expired.length, 1);
      assert.equal(toHex(expired[0]!.first!), toHex(frags[0]!));
      // The late piece starts a new datagram rather than completing the old one.
      assert.equal(r.input(frags[1]!).kind, 'held');
    });

    it('IPv6: 60 s; no callback when the first fragment never came', () => {
      const { frags } = frags6(3000, 11);
      const { r, clock } = make();
      let calls = 0;
      r.onTimeout = () => {
        calls++;
      };
      r.input(frags[1]!);
      clock.advance(59_999);
      r.input(frags[2]!); // input() runs the timer check too
      assert.equal(r.datagrams, 1);
      clock.advance(1);
      assert.equal(r.expire(), 1);
      assert.equal(calls, 0);
      assert.equal(r.stats.dropped.timeout, 2);
    });

    it('honours configured timeouts', () => {
      const { r, clock } = make({ ipv4TimeoutMs: 1000 });
      r.input(v4frag(0, pattern(8), true));
      clock.advance(999);
      assert.equal(r.expire(), 0);
      clock.advance(1);
      assert.equal(r.expire(), 1);
      assert.equal(r.datagrams, 0);
    });
  });

  describe('floods stay bounded', () => {
    it('datagrams in flight never exceed maxDatagrams; the oldest go first', () => {
      const { r, clock } = make({ maxDatagrams: 16 });
      for (let id = 0; id < 1000; id++) {
        r.input(v4frag(0, pattern(8), true, id));
        clock.advance(1);
        assert.ok(r.datagrams <= 16);
      }
      assert.equal(r.stats.dropped.evictedCount, 1000 - 16);
      // The survivors are the 16 newest: completing id 999 works, id 0 starts afresh.
      assert.equal(r.input(v4frag(8, pattern(8), false, 999)).kind, 'complete');
      assert.equal(r.input(v4frag(8, pattern(8), false, 0)).kind, 'held');
    });

    it('bytes held never exceed maxBytes, across both families', () => {
      const { r, clock } = make({ maxBytes: 20_000 });
      for (let i = 0; i < 300; i++) {
        const f = i % 2 ? frags6(3000, i).frags[0]! : frags4(3000, 1400, i).frags[0]!;
        const res = r.input(f);
        assert.ok(res.kind === 'held' || res.kind === 'dropped');
        assert.ok(r.bytesHeld <= 20_000, String(r.bytesHeld));
        clock.advance(5);
      }
      assert.ok(r.stats.dropped.evictedMemory > 250);
      // A whole datagram still gets through under pressure.
      const { pkt, frags } = frags4(3000, 1400, 5000);
      assert.equal(toHex(completed(feed(r, frags))[0]!), toHex(pkt));
    });

    it('refuses a single fragment larger than maxBytes', () => {
      const { r } = make({ maxBytes: 100 });
      assert.deepEqual(r.input(v4frag(0, pattern(200), true)), { kind: 'dropped', reason: 'noRoom' });
      assert.equal(r.bytesHeld, 0);
    });

    it('refuses nonsensical limits', () => {
      assert.throws(() => make({ maxDatagrams: 0 }), RangeError);
    });
  });

  it('has a counter for every drop reason, all starting at zero', () => {
    const { r } = make();
    assert.deepEqual(Object.keys(r.stats.dropped).sort(), [
      'afterDiscard',
      'duplicate',
      'evictedCount',
      'evictedMemory',
      'inconsistent',
      'malformed',
      'noRoom',
      'overlap',
      'timeout',
      'tooLong',
      'tooManyFragments',
    ]);
    assert.ok(Object.values(r.stats.dropped).every((n) => n === 0));
  });

  it('IPv4 checksum of a reassembled packet is recomputed (fragment headers differ from the original)', () => {
    const { r } = make();
    const a = v4frag(0, pattern(16), true, 8);
    a[8] = 10;
    setIpv4Checksum(a); // TTL differs between fragments
    const b = v4frag(16, pattern(8), false, 8);
    r.input(a);
    const res = r.input(b);
    assert.equal(res.kind, 'complete');
    const h = decodeIpv4((res as { packet: Uint8Array }).packet).value; // verifies the checksum
    assert.deepEqual([h.ttl, h.totalLength, h.mf], [10, 44, false]);
  });
});

describe('kernel/ip/reassembly: IPv6 header handling', () => {
  it('restores per-fragment headers (hop-by-hop and routing) with the next header from the first fragment', () => {
    const hbh = fromHex('2b00 0104 00000000');
    const rt = new Uint8Array(24);
    rt[0] = 17;
    rt[1] = 2;
    rt.set(B6, 8);
    const udp = buildUdpPacket({ src: A6, dst: B6 }, 5, 6, pattern(3000)).subarray(40);
    const pkt = buildIpv6Packet({ src: A6, dst: B6, nextHeader: 0 }, concat(hbh, rt, udp));
    const fr = fragmentIpv6(pkt, 1280, 0x77);
    assert.ok(fr.ok);
    const { r } = make();
    const out = completed(feed(r, [...fr.fragments].reverse()))[0]!;
    assert.equal(toHex(out), toHex(pkt));
    assert.deepEqual(
      walkIpv6Chain(out).exts.map((e) => e.type),
      [0, 43],
    );
  });

  it('drops a first fragment whose header chain is cut off by the fragment end (RFC 8200 §4.5, RFC 7112)', () => {
    // Fragment header, then a destination options header claiming 64 bytes but only 16 present.
    const dst = new Uint8Array(16);
    dst[0] = 17;
    dst[1] = 7;
    const first = buildIpv6Packet({ src: A6, dst: B6, nextHeader: 44 }, concat(fromHex('3c00000100000009'), dst));
    const { r } = make();
    assert.deepEqual(r.input(first), { kind: 'dropped', reason: 'malformed' });
  });

  it('drops a datagram whose reassembled IPv6 payload would exceed 65535 bytes', () => {
    // A 64-byte per-fragment header set plus fragment data ending at 65528 + 8 - 8: payload > 65535.
    const hbh = new Uint8Array(64);
    hbh[0] = 44;
    hbh[1] = 7;
    const mk = (off: number, more: boolean, len: number) =>
      buildIpv6Packet(
        { src: A6, dst: B6, nextHeader: 0 },
        concat(hbh, fromHex(`1100${(off | (more ? 1 : 0)).toString(16).padStart(4, '0')}00000033`), pattern(len)),
      );
    const { r } = make({ maxFragments: 64, maxBytes: 1 << 20 });
    for (let off = 0; off < 64064; off += 1232) assert.equal(r.input(mk(off, true, 1232)).kind, 'held');
    // The last piece ends at 65528: within the fragment limit, but 64 bytes of headers make the payload too long.
    assert.deepEqual(r.input(mk(64064, false, 1464)), { kind: 'dropped', reason: 'tooLong' });
    assert.equal(r.bytesHeld, 0);
  });
});
