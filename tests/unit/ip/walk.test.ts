// kernel/ip/walk.ts, the one header walk: against the generated-chain oracle of chains.ts, against the
// chain decoder (walkIpv6Chain, decodeIpv4) on mutated packets, and the AH/ESP/IPComp placement that follows
// from it (KAME's dest1/dest2 split).
import { strict as assert } from 'node:assert';
import { concat, ParseError } from '../../../common/bytes.js';
import { parseAddr } from '../../../common/inet.js';
import { IpWalk, walkIp, ipPacketEnd, nextHeaderOffset } from '../../../kernel/ip/walk.js';
import { walkIpv6Chain, ipsecInsertPoint } from '../../../kernel/ip/ipv6.js';
import { decodeIpv4, buildIpv4Packet } from '../../../kernel/ip/ipv4.js';
import { prng } from '../../support/prng.js';
import { randomChain, chainPacket, ext, routing, fragHdr, udp8, HOP, RT, FRAG, DST, UDP, ESP } from './chains.js';

const A4 = parseAddr('192.0.2.1')!,
  B4 = parseAddr('192.0.2.2')!;

function walked(p: Uint8Array): IpWalk {
  const w = new IpWalk();
  assert.ok(walkIp(p, w), `walk failed: ${w.error}`);
  return w;
}

describe('kernel/ip/walk: the IP header walk', () => {
  it('IPv4: protocol after the IHL, fragments told apart by MF and offset', () => {
    const p = buildIpv4Packet({ protocol: 17, src: A4, dst: B4, options: new Uint8Array([1, 1, 1, 0]) }, udp8);
    const w = walked(p);
    assert.deepEqual(
      [w.version, w.end, w.proto, w.protoOff, w.protoNhOff, w.insertOff, w.insertNhOff, w.fragment],
      [4, 32, 17, 24, 9, 24, 9, false],
    );
    const first = buildIpv4Packet({ protocol: 17, src: A4, dst: B4, mf: true }, udp8);
    const later = buildIpv4Packet({ protocol: 17, src: A4, dst: B4, fragOffset: 3 }, udp8);
    assert.deepEqual([walked(first).fragment, walked(first).laterFragment], [true, false]);
    assert.deepEqual([walked(later).fragment, walked(later).laterFragment], [true, true]);
  });

  it('walks 2000 random IPv6 chains to the offsets and insertion point they were built with', () => {
    const w = new IpWalk();
    for (let seed = 1; seed <= 2000; seed++) {
      const { pkt, types, sizes, insertAfter } = randomChain(seed);
      assert.ok(walkIp(pkt, w), `seed ${seed}`);
      const offsets = sizes.map((_, i) => 40 + sizes.slice(0, i).reduce((a, n) => a + n, 0));
      assert.deepEqual([w.proto, w.protoOff, w.end], [UDP, pkt.length - 8, pkt.length], `seed ${seed}`);
      assert.equal(w.insertOff, insertAfter < 0 ? 40 : offsets[insertAfter]! + sizes[insertAfter]!, `seed ${seed}`);
      assert.equal(w.insertNhOff, insertAfter < 0 ? 6 : offsets[insertAfter]!, `seed ${seed} ${types}`);
      assert.equal(w.fragment, types.includes(FRAG));
    }
  });

  it('puts AH/ESP after destination options that precede a routing header, even two of them', () => {
    // dest1 dest1 rthdr dest2: a walk that only looks one header ahead would hide the routing header in ESP.
    const p = chainPacket(DST, ext(DST, 1), ext(RT, 1), routing(DST, 0), ext(UDP, 1), udp8);
    const w = walked(p);
    assert.deepEqual([w.insertOff, w.insertNhOff, p[w.insertNhOff]], [40 + 8 + 8 + 24, 40 + 16, DST]);
    const lone = walked(chainPacket(DST, ext(UDP, 1), udp8));
    assert.deepEqual([lone.insertOff, lone.insertNhOff], [40, 6], 'a lone destination options header goes inside');
    const afterHop = walked(chainPacket(HOP, ext(DST, 1), ext(UDP, 1), udp8));
    assert.deepEqual([afterHop.insertOff, afterHop.insertNhOff], [48, 40]);
  });

  it('stops behind a non-first fragment header: what follows is data', () => {
    const w = walked(chainPacket(FRAG, fragHdr(DST, 8, false, 7), new Uint8Array([0xff, 0xff, 0, 0, 0, 0, 0, 0])));
    assert.deepEqual([w.proto, w.protoOff, w.fragment, w.laterFragment], [DST, 48, true, true]);
  });

  it('refuses what the chain decoder refuses, with the same reading of what it accepts (mutated packets)', () => {
    const seeds = [
      chainPacket(HOP, ext(DST, 2), ext(RT, 1), routing(FRAG, 1), fragHdr(DST, 0, true, 9), ext(UDP, 1), udp8),
      chainPacket(DST, ext(ESP, 1), new Uint8Array(24)),
      buildIpv4Packet({ protocol: 50, src: A4, dst: B4, options: new Uint8Array([0x94, 4, 0, 0]) }, udp8),
    ];
    const next = prng(12);
    const w = new IpWalk();
    for (let n = 0; n < 20_000; n++) {
      const m = seeds[n % seeds.length]!.slice();
      for (let k = 1 + Math.floor(next() * 3); k > 0; k--) {
        const at = Math.floor(next() * m.length);
        m[at] = next() < 0.5 ? [0, 6, 17, 43, 44, 50, 51, 60][Math.floor(next() * 8)]! : Math.floor(next() * 256);
      }
      const p = next() < 0.2 ? m.subarray(0, Math.floor(next() * m.length)) : m;
      const ok = walkIp(p, w);
      let ref: { proto: number; off: number; nhAt: number; insert: number } | undefined;
      try {
        if (p.length && p[0]! >> 4 === 6) {
          const c = walkIpv6Chain(p);
          const ins = ipsecInsertPoint(c);
          ref = { proto: c.upperProto, off: c.upperOffset, nhAt: c.upperNextHeaderAt, insert: ins.offset };
        } else {
          const { value: h, next: hl } = decodeIpv4(p, 0, false);
          ref = { proto: h.protocol, off: hl, nhAt: 9, insert: hl };
        }
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
      }
      const hex = Buffer.from(p).toString('hex');
      if (p.length && p[0]! >> 4 === 6) assert.equal(ok, ref !== undefined, hex);
      else if (ref)
        assert.ok(ok, hex); // decodeIpv4 also checks the options, which the walk leaves alone
      else if (p.length && p[0]! >> 4 !== 4) assert.ok(!ok, hex);
      if (ok && ref) assert.deepEqual([w.proto, w.protoOff, w.protoNhOff, w.insertOff], Object.values(ref));
    }
  });

  it('nextHeaderOffset: the byte naming ESP only when the chain leads to it, never through a fragment', () => {
    const w = new IpWalk();
    const p = chainPacket(HOP, ext(DST, 1), ext(ESP, 1), new Uint8Array(16));
    assert.equal(nextHeaderOffset(p, w, ESP, 56), 48);
    assert.equal(nextHeaderOffset(p, w, ESP, 48), -1);
    assert.equal(nextHeaderOffset(chainPacket(FRAG, fragHdr(ESP, 0, false, 1), new Uint8Array(16)), w, ESP, 48), -1);
    assert.equal(ipPacketEnd(concat(chainPacket(ESP, new Uint8Array(8)), new Uint8Array(4))), 48, 'link padding');
    assert.equal(ipPacketEnd(new Uint8Array([0x45])), -1);
  });
});
