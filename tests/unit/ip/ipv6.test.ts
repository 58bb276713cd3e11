// IPv6 header and extension-header chain (RFC 8200 §3-4), the AH/ESP insertion point (RFC 4302 §3.1.1,
// RFC 4303 §3.1.1) and the options TLV walk (RFC 8200 §4.2), on hand-built packets.
import { strict as assert } from 'node:assert';
import { ParseError, concat, fromHex, toHex } from '../../../common/bytes.js';
import { formatAddr } from '../../../common/inet.js';
import {
  decodeIpv6,
  encodeIpv6,
  buildIpv6Packet,
  walkIpv6Chain,
  walkIpv6Headers,
  walkIpv6Options,
  ipsecInsertPoint,
  buildIpv6OptionsHeader,
} from '../../../kernel/ip/ipv6.js';
import { KNOWN_PACKETS, packetBytes } from './known-packets.js';
import {
  CHAIN_SRC,
  CHAIN_DST,
  HOP,
  RT,
  FRAG,
  DST,
  UDP,
  ESP,
  AH,
  NONE,
  ext,
  routing,
  fragHdr,
  udp8,
  chainPacket,
  randomChain,
} from './chains.js';

const S = CHAIN_SRC,
  D = CHAIN_DST;
const pkt = chainPacket;

function expectParseError(fn: () => unknown, field: string): void {
  assert.throws(fn, (e: unknown) => e instanceof ParseError && e.field === field);
}

describe('kernel/ip/ipv6', () => {
  it('decodes the fixed header of a captured ICMPv6 echo and re-encodes it byte for byte', () => {
    const k = KNOWN_PACKETS.find((p) => p.expect.protocol === 58)!;
    const b = packetBytes(k);
    const { value: h, next } = decodeIpv6(b);
    assert.equal(formatAddr(h.src), k.expect.src);
    assert.equal(formatAddr(h.dst), k.expect.dst);
    assert.deepEqual(
      [h.trafficClass, h.flowLabel, h.payloadLength, h.nextHeader, h.hopLimit, next],
      [0, 0, 64, 58, 64, 40],
    );
    const again = new Uint8Array(40);
    encodeIpv6({ src: h.src, dst: h.dst, nextHeader: h.nextHeader, hopLimit: h.hopLimit }, h.payloadLength, again);
    assert.equal(toHex(again), toHex(b.subarray(0, 40)));
  });

  it('round-trips traffic class and flow label', () => {
    const b = buildIpv6Packet(
      { src: S, dst: D, nextHeader: NONE, trafficClass: 0xb8, flowLabel: 0xabcde, hopLimit: 1 },
      new Uint8Array(0),
    );
    assert.equal(toHex(b.subarray(0, 8)), '6b8abcde00003b01');
    const h = decodeIpv6(b).value;
    assert.deepEqual([h.trafficClass, h.flowLabel, h.payloadLength, h.hopLimit], [0xb8, 0xabcde, 0, 1]);
  });

  it('walks hop-by-hop, destination options, routing, fragment and destination options to UDP', () => {
    const b = pkt(HOP, ext(DST, 1), ext(RT, 2), routing(FRAG, 1), fragHdr(DST, 0, true, 7), ext(UDP, 1), udp8);
    const c = walkIpv6Chain(b);
    assert.deepEqual(
      c.exts.map((e) => [e.type, e.offset, e.length, e.nextHeader]),
      [
        [HOP, 40, 8, DST],
        [DST, 48, 16, RT],
        [RT, 64, 24, FRAG],
        [FRAG, 88, 8, DST],
        [DST, 96, 8, UDP],
      ],
    );
    assert.deepEqual([c.upperProto, c.upperOffset, c.upperNextHeaderAt, c.end], [UDP, 104, 96, 112]);
    assert.deepEqual(c.fragment, { offset: 88, fragOffset: 0, more: true, id: 7, nextHeader: DST });
    assert.deepEqual(c.routing, { offset: 64, routingType: 0, segmentsLeft: 1 });
  });

  for (const [name, proto] of [
    ['ESP', ESP],
    ['AH', AH],
    ['IPComp', 108],
    ['no next header', NONE],
    ['TCP', 6],
  ] as const) {
    it(`stops at ${name} (${proto})`, () => {
      const c = walkIpv6Chain(pkt(DST, ext(proto, 1), new Uint8Array(16)));
      assert.deepEqual([c.upperProto, c.upperOffset, c.upperNextHeaderAt], [proto, 48, 40]);
    });
  }

  it('stops behind the fragment header of a non-first fragment (what follows is data)', () => {
    const c = walkIpv6Chain(pkt(FRAG, fragHdr(DST, 1232, true, 9), new Uint8Array([0, 200, 1, 2, 3, 4, 5, 6])));
    assert.deepEqual([c.upperProto, c.upperOffset, c.fragment!.fragOffset], [DST, 48, 1232]);
  });

  it('keeps the outermost fragment header when a first fragment carries another one inside', () => {
    const c = walkIpv6Chain(pkt(FRAG, fragHdr(FRAG, 0, true, 1), fragHdr(UDP, 0, false, 2), udp8));
    assert.deepEqual([c.fragment!.id, c.fragment!.offset, c.exts.length, c.upperProto], [1, 40, 2, UDP]);
  });

  it('continues a walk after AH (walkIpv6Headers from an offset)', () => {
    const b = pkt(AH, new Uint8Array(24), ext(UDP, 1), udp8);
    const c0 = walkIpv6Chain(b);
    assert.equal(c0.upperProto, AH);
    const c = walkIpv6Headers(b, 64, DST, 40, c0.end, c0.header, 0);
    assert.deepEqual([c.exts.length, c.upperProto, c.upperOffset, c.upperNextHeaderAt], [1, UDP, 72, 64]);
    // A hop-by-hop header there is out of place (RFC 8200 §4.1).
    expectParseError(() => walkIpv6Headers(b, 64, HOP, 40, c0.end, c0.header, 0), 'ipv6.nextHeader');
  });

  describe('AH/ESP insertion point in transport mode', () => {
    const cases: [string, Uint8Array, number, number, number][] = [
      ['no extension headers', pkt(UDP, udp8), 40, 6, UDP],
      ['after hop-by-hop', pkt(HOP, ext(UDP, 1), udp8), 48, 40, UDP],
      ['before an end-to-end destination options header', pkt(DST, ext(UDP, 1), udp8), 40, 6, DST],
      ['after hop-by-hop, before trailing destination options', pkt(HOP, ext(DST, 1), ext(UDP, 1), udp8), 48, 40, DST],
      [
        'after destination options that precede routing, and after routing',
        pkt(HOP, ext(DST, 1), ext(RT, 1), routing(DST, 0), ext(UDP, 1), udp8),
        80,
        56,
        DST,
      ],
      [
        'after routing and fragment',
        pkt(HOP, ext(RT, 1), routing(FRAG, 0), fragHdr(UDP, 0, true, 1), udp8),
        80,
        72,
        UDP,
      ],
    ];
    for (const [name, b, offset, nextHeaderAt, nextHeader] of cases) {
      it(name, () => {
        const ip = ipsecInsertPoint(walkIpv6Chain(b));
        assert.deepEqual(ip, { offset, nextHeaderAt, nextHeader });
        assert.equal(b[nextHeaderAt], nextHeader, 'the byte named holds the value reported');
      });
    }
  });

  it('walks options with the action and may-change bits (RFC 8200 §4.2)', () => {
    // Pad1, router alert (type 5, len 2), a mutable experimental option (0x3e), an action-2 option (0x9e), PadN(0).
    const opts = fromHex('00 0502 0000 3e02 abcd 9e00 0100');
    const h = buildIpv6OptionsHeader(UDP, opts);
    assert.equal(h.length, 16);
    const list = walkIpv6Options(h, 0);
    assert.deepEqual(
      list.map((o) => [o.type, o.offset, o.length, o.action, o.mayChange]),
      [
        [0, 2, 1, 0, false],
        [5, 3, 4, 0, false],
        [0x3e, 7, 4, 0, true],
        [0x9e, 11, 2, 2, false],
        [1, 13, 2, 0, false],
        [0, 15, 1, 0, false],
      ],
    );
  });

  it('pads option headers with Pad1 or PadN', () => {
    assert.equal(toHex(buildIpv6OptionsHeader(6, fromHex('050200 00'))), '0600050200000100');
    assert.equal(toHex(buildIpv6OptionsHeader(6, fromHex('c2 04 00 01 00 00'))), '0600c20400010000');
    assert.equal(walkIpv6Options(buildIpv6OptionsHeader(6, fromHex('3e0100')), 0).length, 2);
  });

  describe('validation', () => {
    it('refuses a wrong version, a short header and a payload length beyond the buffer', () => {
      const b = pkt(UDP, udp8);
      expectParseError(() => decodeIpv6(new Uint8Array(0)), 'ipv6.version');
      expectParseError(() => decodeIpv6(fromHex('45')), 'ipv6.version');
      expectParseError(() => decodeIpv6(b.subarray(0, 39)), 'ipv6.header');
      expectParseError(() => decodeIpv6(b.subarray(0, 47)), 'ipv6.payloadLength');
    });
    it('refuses a hop-by-hop header that is not first', () => {
      expectParseError(() => walkIpv6Chain(pkt(DST, ext(HOP, 1), ext(UDP, 1), udp8)), 'ipv6.nextHeader');
    });
    it('refuses an extension header that overruns the payload', () => {
      const e = ext(UDP, 1);
      e[1] = 3;
      expectParseError(() => walkIpv6Chain(pkt(DST, e, udp8)), 'ipv6.ext.length');
      expectParseError(() => walkIpv6Chain(pkt(DST, new Uint8Array([UDP]))), 'ipv6.ext');
    });
    it('refuses a truncated fragment header', () => {
      expectParseError(() => walkIpv6Chain(pkt(FRAG, new Uint8Array(6))), 'ipv6.fragment');
    });
    it('refuses malformed option TLVs', () => {
      const e = ext(UDP, 1);
      e[2] = 0x05;
      e[3] = 9; // option length runs past the header
      expectParseError(() => walkIpv6Chain(pkt(HOP, e, udp8)), 'ipv6.option.length');
      const f = ext(UDP, 1);
      f.fill(0, 2);
      f[7] = 0x05; // an option type in the last byte, no length
      expectParseError(() => walkIpv6Chain(pkt(DST, f, udp8)), 'ipv6.option.length');
    });
    it('ignores bytes after the payload length (link padding)', () => {
      const b = concat(pkt(UDP, udp8), new Uint8Array(10));
      assert.equal(walkIpv6Chain(b).end, 48);
    });
  });

  it('refuses impossible headers when building', () => {
    assert.throws(
      () => encodeIpv6({ src: new Uint8Array(4), dst: D, nextHeader: 0 }, 0, new Uint8Array(40)),
      RangeError,
    );
    assert.throws(() => encodeIpv6({ src: S, dst: D, nextHeader: 0 }, 70000, new Uint8Array(40)), RangeError);
    assert.throws(() => encodeIpv6({ src: S, dst: D, nextHeader: 0 }, 0, new Uint8Array(39)), RangeError);
  });
});

describe('kernel/ip/ipv6 against a generated-chain oracle', () => {
  it('walks 2000 random chains to the offsets they were built with, and inserts AH/ESP where RFC 4302 says', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const { pkt: b, types, sizes, insertAfter } = randomChain(seed);
      const c = walkIpv6Chain(b);
      const offsets = sizes.map((_, i) => 40 + sizes.slice(0, i).reduce((a, n) => a + n, 0));
      assert.deepEqual(
        c.exts.map((e) => [e.type, e.offset, e.length]),
        types.map((t, i) => [t, offsets[i], sizes[i]]),
        `seed ${seed}`,
      );
      const end = 40 + sizes.reduce((a, n) => a + n, 0);
      assert.deepEqual([c.upperProto, c.upperOffset], [UDP, end]);
      const ip = ipsecInsertPoint(c);
      assert.equal(
        ip.offset,
        insertAfter < 0 ? 40 : offsets[insertAfter]! + sizes[insertAfter]!,
        `seed ${seed} ${types}`,
      );
      assert.equal(ip.nextHeaderAt, insertAfter < 0 ? 6 : offsets[insertAfter]!);
    }
  });
});
