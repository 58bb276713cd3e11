// Fuzzing every kernel/ip decoder with fast-check (fixed seeds): 100,000 mutated packets each (more under
// UIPSEC_SLOW). The only exception allowed is ParseError; the Reassembler must never throw at all.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { ParseError, concat, fromHex } from '../../../common/bytes.js';
import { parseAddr } from '../../../common/inet.js';
import { ManualClock } from '../../../common/clock.js';
import { decodeIpv4, buildIpv4Packet } from '../../../kernel/ip/ipv4.js';
import { walkIpv6Chain, walkIpv6Options, ipsecInsertPoint, buildIpv6Packet } from '../../../kernel/ip/ipv6.js';
import { decodeUdp, buildUdp } from '../../../kernel/ip/udp.js';
import { decodeIcmp, decodeIcmpv6, buildEchoReply, buildEchoRequest, buildIcmp } from '../../../kernel/ip/icmp.js';
import { fragmentIpv4, fragmentIpv6, Reassembler } from '../../../kernel/ip/frag.js';
import { buildUdpPacket, buildEchoRequestPacket, decodeIpPacket } from '../../../kernel/ip/packet.js';
import { KNOWN_PACKETS, packetBytes } from './known-packets.js';

const RUNS = process.env.UIPSEC_SLOW ? 1_000_000 : 100_000;
const A4 = parseAddr('192.0.2.1')!,
  B4 = parseAddr('192.0.2.2')!;
const A6 = parseAddr('2001:db8::1')!,
  B6 = parseAddr('2001:db8::2')!;

/** xorshift32: turns one fast-check integer into a stream of mutation choices (cheap per run). */
function prng(seed: number): () => number {
  let x = seed | 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** 1-4 mutations: byte set, bit flip, 16-bit field set to a boundary value, truncate, extend, insert, delete. */
export function mutate(src: Uint8Array, seed: number): Uint8Array {
  const r = prng(seed);
  let b: Uint8Array = src.slice();
  const n = 1 + (r() & 3);
  for (let k = 0; k < n; k++) {
    const at = b.length ? r() % b.length : 0;
    switch (r() % 8) {
      case 0:
        if (b.length) b[at] = r() & 0xff;
        break;
      case 1:
        if (b.length) b[at]! ^= 1 << (r() & 7);
        break;
      case 2:
        if (b.length > 1) {
          const v = [0, 1, 7, 8, 39, 40, 0xffff, b.length, b.length - 1, b.length + 1, r() & 0xffff][r() % 11]!;
          b[at - (at & 1)] = (v >> 8) & 0xff;
          b[at - (at & 1) + 1] = v & 0xff;
        }
        break;
      case 3:
        b = b.subarray(0, at).slice();
        break;
      case 4:
        b = concat(
          b,
          new Uint8Array(1 + (r() & 31)).map(() => r() & 0xff),
        );
        break;
      case 5:
        b = concat(b.subarray(0, at), new Uint8Array([r() & 0xff]), b.subarray(at));
        break;
      case 6:
        b = concat(b.subarray(0, at), b.subarray(at + 1));
        break;
      default:
        if (b.length) b[at] = [0, 0x2c, 0x3c, 0x2b, 0x00, 0x11, 0x3a, 0x32, 0x33, 0xff][r() % 10]!; // next-header values
    }
  }
  return b;
}

function onlyParseError(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    assert.ok(
      e.offset >= -1 && typeof e.field === 'string' && e.field.length > 0,
      'ParseError carries offset and field',
    );
  }
}

/** Packets per fast-check run: the run's integer seeds a batch, which keeps fast-check's own cost small. */
const BATCH = 10;

/** RUNS mutated packets in all: RUNS / BATCH fast-check runs of BATCH packets each. */
function fuzz(seeds: Uint8Array[], seed: number, check: (m: Uint8Array) => void): void {
  fc.assert(
    fc.property(fc.nat(seeds.length - 1), fc.integer(), (i, s) => {
      for (let k = 0; k < BATCH; k++) check(mutate(seeds[(i + k) % seeds.length]!, (s + Math.imul(k, 0x9e3779b9)) | 0));
    }),
    { seed, numRuns: RUNS / BATCH },
  );
}

const v4Seeds = [
  ...KNOWN_PACKETS.filter((k) => k.expect.protocol !== 58).map(packetBytes),
  buildIpv4Packet(
    {
      protocol: 17,
      id: 1,
      mf: true,
      fragOffset: 3,
      src: A4,
      dst: B4,
      options: fromHex('82040000 07070400000000 01 4404050000000000'),
    },
    new Uint8Array(16),
  ),
  buildIpv4Packet({ protocol: 50, src: A4, dst: B4, options: fromHex('9404000001') }, new Uint8Array(8)),
];
const optHdr = (nh: number) =>
  fromHex(`${nh.toString(16).padStart(2, '0')}01 0502 0000 3e02 abcd 0104 00000000 00 01 00`);
const v6Seeds = [
  packetBytes(KNOWN_PACKETS.find((k) => k.expect.protocol === 58)!),
  buildIpv6Packet(
    { src: A6, dst: B6, nextHeader: 0 },
    concat(
      optHdr(60).subarray(0, 16),
      optHdr(43).subarray(0, 16),
      fromHex('2c02000100000000'),
      new Uint8Array(16),
      fromHex('3c00000100000005'),
      fromHex('1100010400000000'),
      buildUdp(1, 2, new Uint8Array(8), { src: A6, dst: B6 }),
    ),
  ),
  buildIpv6Packet({ src: A6, dst: B6, nextHeader: 44 }, concat(fromHex('3200050800000007'), new Uint8Array(40))),
  buildIpv6Packet({ src: A6, dst: B6, nextHeader: 51 }, new Uint8Array(24)),
];

describe(`kernel/ip fuzz (${RUNS} mutated packets per decoder, fixed seeds)`, () => {
  // Stack traces are never looked at here and cost most of each throw; restore the default afterwards.
  let savedLimit = Error.stackTraceLimit;
  before(() => {
    savedLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
  });
  after(() => {
    Error.stackTraceLimit = savedLimit;
  });

  it('IPv4 decoder', () => {
    fuzz(v4Seeds, 791, (m) => {
      for (const verify of [true, false]) {
        onlyParseError(() => {
          const { value: h, next } = decodeIpv4(m, 0, verify);
          assert.ok(next === h.headerLength && h.headerLength <= h.totalLength && h.totalLength <= m.length);
          for (const o of h.optionList) assert.ok(o.offset >= 20 && o.offset + o.length <= h.headerLength);
        });
      }
    });
  });

  it('IPv6 header and extension-header chain walk (with insert point and option walks)', () => {
    fuzz(v6Seeds, 8200, (m) => {
      onlyParseError(() => {
        const c = walkIpv6Chain(m);
        let prev = 40;
        for (const e of c.exts) {
          assert.ok(e.offset === prev && e.offset + e.length <= c.end);
          prev = e.offset + e.length;
          if (e.type === 0 || e.type === 60)
            for (const o of walkIpv6Options(m, e.offset)) assert.ok(o.offset + o.length <= prev);
        }
        assert.ok(c.upperOffset === prev && c.upperOffset <= c.end && c.end <= m.length);
        const ip = ipsecInsertPoint(c);
        assert.ok(ip.offset >= 40 && ip.offset <= c.upperOffset && m[ip.nextHeaderAt] === ip.nextHeader);
      });
    });
  });

  it('UDP decoder (IPv4 and IPv6 pseudo-headers)', () => {
    const seeds = [
      buildUdp(500, 4500, new Uint8Array(20), { src: A4, dst: B4 }),
      buildUdp(53, 53, fromHex('abcdef'), { src: A6, dst: B6 }),
      buildUdp(4500, 4500, new Uint8Array(0), { src: A4, dst: B4 }, true),
    ];
    const ips = [{ src: A4, dst: B4 }, { src: A6, dst: B6 }, undefined];
    fuzz(seeds, 768, (m) => {
      const ip = ips[m.length % 3];
      onlyParseError(() => {
        const { value: h, next } = decodeUdp(m, 0, m.length, ip);
        assert.ok(next === 8 && h.length >= 8 && h.length <= m.length);
      });
    });
  });

  it('ICMP and ICMPv6 decoders, and the echo reply builder', () => {
    const seeds = [
      buildEchoRequest(1, 2, fromHex('61626364')),
      buildEchoRequest(3, 4, new Uint8Array(56), { src: A6, dst: B6 }),
      buildIcmp(3, 4, 1400, new Uint8Array(28)),
    ];
    const v6 = { src: A6, dst: B6 };
    fuzz(seeds, 792, (m) => {
      // Both decoders see every packet; the reply builder (a decoder too) alternates between families.
      onlyParseError(() => {
        decodeIcmp(m, 0, m.length);
      });
      onlyParseError(() => {
        decodeIcmpv6(m, 0, m.length, v6);
      });
      onlyParseError(() => {
        buildEchoReply(m, 0, m.length, m.length & 1 ? v6 : undefined);
      });
    });
  });

  it('whole-packet summary decoder over both families', () => {
    const seeds = [
      ...v4Seeds,
      ...v6Seeds,
      buildUdpPacket({ src: A6, dst: B6 }, 1, 2, new Uint8Array(9)),
      buildEchoRequestPacket({ src: A4, dst: B4 }, 1, 1, new Uint8Array(3)),
    ];
    fuzz(seeds, 4443, (m) => {
      onlyParseError(() => {
        const s = decodeIpPacket(m);
        assert.ok(s.payloadOffset <= s.end && s.end <= m.length);
      });
    });
  });

  it('Reassembler input: never throws, stays within its bounds, and what it completes parses', () => {
    const seeds: Uint8Array[] = [];
    for (let id = 1; id <= 3; id++) {
      const p4 = fragmentIpv4(
        buildIpv4Packet({ protocol: 17, id, src: A4, dst: B4 }, new Uint8Array(600).fill(id)),
        200,
      );
      const p6 = fragmentIpv6(buildUdpPacket({ src: A6, dst: B6 }, 1, 2, new Uint8Array(3000).fill(id)), 1280, id);
      assert.ok(p4.ok && p6.ok);
      seeds.push(...p4.fragments, ...p6.fragments);
    }
    const clock = new ManualClock();
    const limits = { maxBytes: 16_384, maxDatagrams: 8, maxFragments: 16 };
    const r = new Reassembler({ clock, ...limits, ipv4TimeoutMs: 2000, ipv6TimeoutMs: 3000 });
    let complete = 0;
    fc.assert(
      fc.property(fc.nat(seeds.length - 1), fc.integer(), (i, s) => {
        for (let k = 0; k < BATCH; k++) {
          const ks = (s + Math.imul(k, 0x9e3779b9)) | 0,
            pick = seeds[(i + k) % seeds.length]!;
          const res = r.input(ks & 8 ? pick : mutate(pick, ks)); // about half arrive intact, so datagrams complete
          clock.advance(ks & 7);
          assert.ok(r.bytesHeld >= 0 && r.bytesHeld <= limits.maxBytes);
          assert.ok(r.datagrams <= limits.maxDatagrams);
          if (res.kind === 'complete') {
            complete++;
            if (res.packet[0]! >> 4 === 4) decodeIpv4(res.packet); // a fresh header and checksum
          }
        }
      }),
      { seed: 5722, numRuns: RUNS / BATCH },
    );
    const st = r.stats;
    const drops = Object.values(st.dropped).reduce((a, b) => a + b, 0);
    assert.ok(complete > 0 && st.reassembled + st.atomic === complete, `completed ${complete}`);
    assert.ok(
      drops > 0 && st.dropped.malformed > 0 && st.dropped.overlap > 0 && st.dropped.timeout > 0,
      JSON.stringify(st),
    );
  });
});
