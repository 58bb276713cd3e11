// Fragmentation of outgoing packets (RFC 791 §3.2, RFC 8200 §4.5).
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { concat, fromHex, toHex, u16 } from '../../../common/bytes.js';
import { parseAddr } from '../../../common/inet.js';
import { decodeIpv4, buildIpv4Packet } from '../../../kernel/ip/ipv4.js';
import { walkIpv6Chain, buildIpv6Packet } from '../../../kernel/ip/ipv6.js';
import { fragmentIpv4, fragmentIpv6 } from '../../../kernel/ip/frag.js';
import { buildUdpPacket, decodeIpPacket } from '../../../kernel/ip/packet.js';
import { Reassembler } from '../../../kernel/ip/reassembly.js';
import { ManualClock } from '../../../common/clock.js';

const A4 = parseAddr('192.0.2.1')!,
  B4 = parseAddr('192.0.2.2')!;
const A6 = parseAddr('2001:db8::1')!,
  B6 = parseAddr('2001:db8::2')!;

function pattern(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >> 8)) & 0xff;
  return b;
}

/** Naive reassembly for checking the fragmenter: place each fragment's data at its offset. */
function joinV4(frags: Uint8Array[]): Uint8Array {
  const parts = frags.map((f) => {
    const h = decodeIpv4(f).value;
    return { off: h.fragOffset * 8, data: f.subarray(h.headerLength, h.totalLength) };
  });
  const out = new Uint8Array(Math.max(...parts.map((p) => p.off + p.data.length)));
  for (const p of parts) out.set(p.data, p.off);
  return out;
}

describe('kernel/ip/frag: fragmentation', () => {
  it('splits an IPv4 packet at 8-byte boundaries under the MTU, with MF on all but the last', () => {
    const p = buildIpv4Packet({ protocol: 17, id: 0x4242, src: A4, dst: B4 }, pattern(3000));
    const r = fragmentIpv4(p, 1500);
    assert.ok(r.ok);
    assert.deepEqual(
      r.fragments.map((f) => f.length),
      [1500, 1500, 60],
    );
    r.fragments.forEach((f, i) => {
      const h = decodeIpv4(f).value; // also verifies each header checksum
      assert.equal(h.id, 0x4242);
      assert.equal(h.mf, i < 2);
      assert.equal(h.fragOffset * 8, i * 1480);
      if (i < 2) assert.equal((h.totalLength - h.headerLength) % 8, 0);
    });
    assert.equal(toHex(joinV4(r.fragments)), toHex(pattern(3000)));
  });

  it('returns a packet that fits unchanged, and refuses DF or a tiny MTU', () => {
    const small = buildIpv4Packet({ protocol: 1, src: A4, dst: B4 }, pattern(100));
    const r = fragmentIpv4(small, 1500);
    assert.ok(r.ok && r.fragments.length === 1 && toHex(r.fragments[0]!) === toHex(small));
    const df = buildIpv4Packet({ protocol: 1, df: true, src: A4, dst: B4 }, pattern(2000));
    assert.deepEqual(fragmentIpv4(df, 1400), { ok: false, reason: 'needs-frag', mtu: 1400 });
    const big = buildIpv4Packet({ protocol: 1, src: A4, dst: B4 }, pattern(200));
    assert.deepEqual(fragmentIpv4(big, 60), { ok: false, reason: 'mtu-too-small', mtu: 60 });
  });

  it('repeats only options with the copied flag in later fragments (RFC 791 §3.1)', () => {
    // Security (130, copied) 4 bytes + record route (7, not copied) 7 bytes + NOP: 12 bytes of options.
    const options = fromHex('82040000 07070400000000 01');
    const p = buildIpv4Packet({ protocol: 17, id: 9, src: A4, dst: B4, options }, pattern(200));
    const r = fragmentIpv4(p, 100);
    assert.ok(r.ok);
    const hs = r.fragments.map((f) => decodeIpv4(f).value);
    assert.equal(hs[0]!.headerLength, 32);
    assert.deepEqual(
      hs[0]!.optionList.map((o) => o.type),
      [130, 7, 1],
    ); // 12 bytes: no padding
    for (const h of hs.slice(1)) {
      assert.equal(h.headerLength, 24);
      assert.deepEqual(
        h.optionList.map((o) => o.type),
        [130],
      );
    }
    assert.equal(hs[0]!.totalLength - 32, 64); // (100 - 32) rounded down to 8
    assert.equal(toHex(joinV4(r.fragments)), toHex(pattern(200)));
  });

  it('fragments a fragment further, keeping its offset and MF (RFC 791 §3.2)', () => {
    const p = buildIpv4Packet({ protocol: 17, id: 5, mf: true, fragOffset: 100, src: A4, dst: B4 }, pattern(1000));
    const r = fragmentIpv4(p, 576);
    assert.ok(r.ok);
    const hs = r.fragments.map((f) => decodeIpv4(f).value);
    assert.deepEqual(
      hs.map((h) => [h.fragOffset, h.mf]),
      [
        [100, true],
        [100 + 69, true],
      ],
    );
    assert.equal(
      hs.reduce((n, h) => n + h.totalLength - 20, 0),
      1000,
    );
  });

  it('splits an IPv6 packet with per-fragment headers and a fragment header (RFC 8200 §4.5)', () => {
    // Hop-by-hop, routing (per-fragment), destination options (fragmentable), UDP.
    const hbh = fromHex('2b00 0104 00000000');
    const rt = new Uint8Array(24);
    rt[0] = 60;
    rt[1] = 2;
    rt[3] = 0;
    const dst = fromHex('1100 0104 00000000');
    const udp = buildUdpPacket({ src: A6, dst: B6 }, 1, 2, pattern(4000)).subarray(40);
    const p = buildIpv6Packet({ src: A6, dst: B6, nextHeader: 0 }, concat(hbh, rt, dst, udp));
    const r = fragmentIpv6(p, 1280, 0xcafe0001);
    assert.ok(r.ok);
    let data: Uint8Array = new Uint8Array(0);
    r.fragments.forEach((f, i) => {
      assert.ok(f.length <= 1280);
      const c = walkIpv6Chain(f);
      assert.deepEqual(
        c.exts.slice(0, 3).map((e) => e.type),
        [0, 43, 44],
      );
      const per = p.slice(0, 72);
      per[48] = 44; // the routing header now names the fragment header
      assert.equal(toHex(f.subarray(6, 72)), toHex(per.subarray(6, 72)));
      assert.equal(u16(f, 4), f.length - 40);
      const fr = c.fragment!;
      assert.deepEqual([fr.nextHeader, fr.id, fr.more], [60, 0xcafe0001, i < r.fragments.length - 1]);
      assert.equal(fr.fragOffset, data.length);
      if (fr.more) assert.equal((f.length - 80) % 8, 0);
      data = concat(data, f.subarray(80));
    });
    assert.equal(toHex(data), toHex(p.subarray(72)));
  });

  it('refuses IPv6 below 1280, an existing fragment header, and headers that do not fit the first fragment', () => {
    const p = buildUdpPacket({ src: A6, dst: B6 }, 1, 2, pattern(2000));
    assert.deepEqual(fragmentIpv6(p, 1000, 1), { ok: false, reason: 'mtu-too-small', mtu: 1000 });
    const r = fragmentIpv6(p, 1280, 1);
    assert.ok(r.ok);
    const twice = buildIpv6Packet(
      { src: A6, dst: B6, nextHeader: 44 },
      concat(fromHex('1100000100000001'), pattern(1500)),
    );
    assert.deepEqual(fragmentIpv6(twice, 1280, 2), { ok: false, reason: 'already-fragment', mtu: 1280 });
    // A 1600-byte destination options header of Pad1 options cannot fit in a 1280-byte first fragment.
    const hugeDst = new Uint8Array(1600);
    hugeDst[0] = 17;
    hugeDst[1] = 1600 / 8 - 1;
    const q = buildIpv6Packet(
      { src: A6, dst: B6, nextHeader: 60 },
      concat(hugeDst, buildUdpPacket({ src: A6, dst: B6 }, 1, 2, pattern(10)).subarray(40)),
    );
    assert.deepEqual(fragmentIpv6(q, 1280, 3), { ok: false, reason: 'headers-too-long', mtu: 1280 });
    assert.ok(r.ok && u16(r.fragments[0]!, 4) === 1280 - 40);
  });
});

describe('kernel/ip/frag: fragment then reassemble, any size and MTU (property)', () => {
  it('IPv4 and IPv6 round-trip through fragmentation and the Reassembler in any order', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.integer({ min: 0, max: 9000 }),
        fc.integer({ min: 0, max: 8000 }),
        fc.integer(),
        (v6, size, mtuPick, shuffleSeed) => {
          const pkt = v6
            ? buildUdpPacket({ src: A6, dst: B6 }, 1, 2, pattern(size))
            : buildIpv4Packet({ protocol: 17, id: size, src: A4, dst: B4 }, pattern(size));
          const mtu = v6 ? 1280 + mtuPick : 68 + mtuPick;
          const r = v6 ? fragmentIpv6(pkt, mtu, size) : fragmentIpv4(pkt, mtu);
          assert.ok(r.ok);
          for (const f of r.fragments) assert.ok(f.length <= mtu);
          if (r.fragments.length === 1) {
            assert.equal(toHex(r.fragments[0]!), toHex(pkt));
            return;
          }
          for (const f of r.fragments) assert.ok(decodeIpPacket(f).isFragment);
          // Fisher-Yates with a small LCG from the seed.
          const order = [...r.fragments];
          let x = shuffleSeed >>> 0;
          for (let i = order.length - 1; i > 0; i--) {
            x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
            const j = x % (i + 1);
            [order[i], order[j]] = [order[j]!, order[i]!];
          }
          const ra = new Reassembler({ clock: new ManualClock(), maxFragments: 200 });
          const done = order.map((f) => ra.input(f)).filter((x) => x.kind === 'complete');
          assert.equal(done.length, 1);
          assert.equal(toHex((done[0] as { packet: Uint8Array }).packet), toHex(pkt));
        },
      ),
      { seed: 8200, numRuns: 300 },
    );
  });
});
