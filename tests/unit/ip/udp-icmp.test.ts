// UDP (RFC 768) and ICMP/ICMPv6 (RFC 792, RFC 4443): checksums of published packets, pseudo-header rules,
// echo helpers, and validation.
import { strict as assert } from 'node:assert';
import { ParseError, fromHex, toHex, u16 } from '../../../common/bytes.js';
import { parseAddr } from '../../../common/inet.js';
import { decodeUdp, encodeUdp, buildUdp, udpChecksumOk } from '../../../kernel/ip/udp.js';
import {
  decodeIcmp,
  decodeIcmpv6,
  buildEchoRequest,
  buildEchoReply,
  buildIcmp,
  icmpErrorQuote,
} from '../../../kernel/ip/icmp.js';
import { decodeIpPacket, buildUdpPacket, buildEchoRequestPacket } from '../../../kernel/ip/packet.js';
import { internetChecksum, pseudoHeaderSum } from '../../../kernel/ip/checksum.js';
import { ipprotoName } from '../../../kernel/ip/constants.js';
import { setIpv4Checksum } from '../../../kernel/ip/ipv4.js';
import { KNOWN_PACKETS, packetBytes } from './known-packets.js';

const A4 = parseAddr('192.0.2.1')!,
  B4 = parseAddr('192.0.2.2')!;
const A6 = parseAddr('2001:db8::1')!,
  B6 = parseAddr('2001:db8::2')!;

function expectParseError(fn: () => unknown, field: string): void {
  assert.throws(fn, (e: unknown) => e instanceof ParseError && e.field === field);
}

describe('kernel/ip/udp and icmp', () => {
  describe('published packets', () => {
    for (const k of KNOWN_PACKETS) {
      it(`${k.name}: upper-layer checksum ${k.expect.l4Checksum.toString(16)} verifies and recomputes (${k.source})`, () => {
        const b = packetBytes(k);
        const s = decodeIpPacket(b);
        assert.equal(s.protocol, k.expect.protocol);
        const off = s.payloadOffset,
          end = s.end;
        const copy = b.slice();
        copy[off + (k.expect.protocol === 6 ? 16 : k.expect.protocol === 17 ? 6 : 2)] = 0;
        copy[off + (k.expect.protocol === 6 ? 17 : k.expect.protocol === 17 ? 7 : 3)] = 0;
        if (k.expect.protocol === 1) {
          const h = decodeIcmp(b, off, end).value;
          assert.deepEqual(
            [h.type, h.checksum, h.id, h.seq],
            [k.expect.icmpType, k.expect.l4Checksum, k.expect.id, k.expect.seq],
          );
          assert.equal(internetChecksum(copy, off, end - off), k.expect.l4Checksum);
        } else if (k.expect.protocol === 58) {
          const h = decodeIcmpv6(b, off, end, s).value;
          assert.deepEqual(
            [h.type, h.checksum, h.id, h.seq],
            [k.expect.icmpType, k.expect.l4Checksum, k.expect.id, k.expect.seq],
          );
          assert.equal(
            internetChecksum(copy, off, end - off, pseudoHeaderSum(s.src, s.dst, 58, end - off)),
            k.expect.l4Checksum,
          );
        } else if (k.expect.protocol === 17) {
          const h = decodeUdp(b, off, end, s).value;
          assert.deepEqual(
            [h.srcPort, h.dstPort, h.checksum, h.length],
            [k.expect.srcPort, k.expect.dstPort, k.expect.l4Checksum, end - off],
          );
          // Rebuilding the datagram from its fields gives the published bytes.
          const again = buildUdp(h.srcPort, h.dstPort, b.subarray(off + 8, end), s);
          assert.equal(toHex(again), toHex(b.subarray(off, end)));
        } else {
          // TCP: the same pseudo-header sum (RFC 793 §3.1) checks the published checksum.
          assert.equal(
            internetChecksum(copy, off, end - off, pseudoHeaderSum(s.src, s.dst, 6, end - off)),
            k.expect.l4Checksum,
          );
        }
      });
    }

    it('answers the RFC 7634 echo request with a reply whose checksum differs by the type change only', () => {
      const k = KNOWN_PACKETS[0]!;
      const b = packetBytes(k);
      const reply = buildEchoReply(b, 20, b.length);
      assert.equal(reply[0], 0);
      assert.equal(toHex(reply.subarray(4)), toHex(b.subarray(24)));
      // Type 8 -> 0 lowers the first word by 0x0800, so the checksum rises by 0x0800 (RFC 1624).
      assert.equal(u16(reply, 2), (k.expect.l4Checksum + 0x0800) & 0xffff);
      decodeIcmp(reply, 0, reply.length);
    });
  });

  describe('UDP', () => {
    it('round-trips over IPv4 and IPv6 and checks the pseudo-header', () => {
      for (const [s, d] of [
        [A4, B4],
        [A6, B6],
      ] as const) {
        const p = buildUdpPacket({ src: s, dst: d }, 500, 4500, fromHex('deadbeef01'));
        const sum = decodeIpPacket(p);
        const { value: h, next } = decodeUdp(p, sum.payloadOffset, sum.end, sum);
        assert.deepEqual([h.srcPort, h.dstPort, h.length], [500, 4500, 13]);
        assert.equal(toHex(p.subarray(next, sum.payloadOffset + h.length)), 'deadbeef01');
        // The same datagram checked against another destination fails (swapping src/dst would not: the sum commutes).
        const other = s.length === 4 ? parseAddr('192.0.2.9')! : parseAddr('2001:db8::9')!;
        expectParseError(() => decodeUdp(p, sum.payloadOffset, sum.end, { src: s, dst: other }), 'udp.checksum');
      }
    });

    it('treats a zero checksum as "none" over IPv4 (RFC 768) and as invalid over IPv6 (RFC 8200 §8.1)', () => {
      const d4 = buildUdp(1, 2, fromHex('00'), { src: A4, dst: B4 }, true);
      assert.equal(u16(d4, 6), 0);
      assert.ok(udpChecksumOk(d4, 0, d4.length, { src: A4, dst: B4 }));
      const d6 = buildUdp(1, 2, fromHex('00'), { src: A6, dst: B6 });
      d6[6] = 0;
      d6[7] = 0;
      assert.ok(!udpChecksumOk(d6, 0, d6.length, { src: A6, dst: B6 }));
      assert.throws(() => buildUdp(1, 2, fromHex('00'), { src: A6, dst: B6 }, true), RangeError);
    });

    it('sends a computed zero checksum as 0xffff (RFC 768)', () => {
      // Choose data so that the sum over pseudo-header and datagram (checksum field zero) is 0xffff.
      const ip = { src: new Uint8Array(4), dst: new Uint8Array(4) };
      const base = buildUdp(0, 0, new Uint8Array(2), ip);
      const partial = ~u16(base, 6) & 0xffff; // the folded sum with data word 0
      const word = (0xffff - partial) & 0xffff;
      const d = buildUdp(0, 0, new Uint8Array([word >> 8, word & 0xff]), ip);
      assert.equal(u16(d, 6), 0xffff);
      assert.ok(udpChecksumOk(d, 0, d.length, ip));
    });

    it('refuses short headers and bad length fields', () => {
      const d = buildUdp(7, 7, new Uint8Array(4), { src: A4, dst: B4 });
      expectParseError(() => decodeUdp(d.subarray(0, 7), 0), 'udp.header');
      const short = d.slice();
      short[5] = 7;
      expectParseError(() => decodeUdp(short, 0), 'udp.length');
      const long = d.slice();
      long[5] = 13;
      expectParseError(() => decodeUdp(long, 0), 'udp.length');
      expectParseError(() => decodeUdp(d, 0, 20), 'udp');
      // A length field shorter than the IP payload is valid; the data ends where it says.
      const trimmed = d.slice();
      trimmed[5] = 10;
      assert.equal(decodeUdp(trimmed, 0).value.length, 10);
      assert.throws(() => encodeUdp(new Uint8Array(10), 0, 1, 2, 4, { src: A4, dst: B4 }), RangeError);
    });
  });

  describe('ICMP', () => {
    it('builds echo requests for both families, and replies to them', () => {
      for (const [s, d] of [
        [A4, B4],
        [A6, B6],
      ] as const) {
        const p = buildEchoRequestPacket({ src: s, dst: d }, 0x1234, 7, fromHex('6162636465'));
        const sum = decodeIpPacket(p);
        const v6 = s.length === 16;
        const h = v6
          ? decodeIcmpv6(p, sum.payloadOffset, sum.end, sum).value
          : decodeIcmp(p, sum.payloadOffset, sum.end).value;
        assert.deepEqual([h.type, h.code, h.id, h.seq], [v6 ? 128 : 8, 0, 0x1234, 7]);
        const back = { src: d, dst: s };
        const r = buildEchoReply(p, sum.payloadOffset, sum.end, v6 ? back : undefined);
        const rh = v6 ? decodeIcmpv6(r, 0, r.length, back).value : decodeIcmp(r, 0, r.length).value;
        assert.deepEqual([rh.type, rh.id, rh.seq], [v6 ? 129 : 0, 0x1234, 7]);
        assert.equal(toHex(r.subarray(8)), '6162636465');
      }
    });

    it('uses the pseudo-header for ICMPv6 only (RFC 4443 §2.3)', () => {
      const m = buildEchoRequest(1, 1, fromHex('00'), { src: A6, dst: B6 });
      expectParseError(
        () => decodeIcmpv6(m, 0, m.length, { src: A6, dst: parseAddr('2001:db8::9')! }),
        'icmpv6.checksum',
      );
      expectParseError(() => decodeIcmp(m, 0, m.length), 'icmp.checksum');
      const m4 = buildEchoRequest(1, 1, fromHex('00'));
      assert.equal(m4[0], 8);
      decodeIcmp(m4, 0, m4.length);
    });

    it('refuses short messages and echo replies to non-requests', () => {
      expectParseError(() => decodeIcmp(new Uint8Array(7), 0, 7), 'icmp.header');
      expectParseError(() => decodeIcmpv6(new Uint8Array(7), 0, 7, { src: A6, dst: B6 }), 'icmpv6.header');
      expectParseError(() => decodeIcmp(new Uint8Array(8), 0, 9), 'icmp');
      const unreach = buildIcmp(3, 4, 1400, new Uint8Array(28));
      expectParseError(() => buildEchoReply(unreach, 0, unreach.length), 'icmp.type');
      assert.equal(decodeIcmp(unreach, 0, unreach.length).value.rest, 1400);
    });

    it('quotes the offending header plus 64 bits (RFC 792) or up to the IPv6 minimum MTU (RFC 4443 §2.4)', () => {
      const p4 = buildUdpPacket({ src: A4, dst: B4 }, 1, 2, new Uint8Array(100));
      assert.equal(icmpErrorQuote(p4, false).length, 28);
      const p6 = buildUdpPacket({ src: A6, dst: B6 }, 1, 2, new Uint8Array(3000));
      assert.equal(icmpErrorQuote(p6, true).length, 1280 - 48);
      assert.equal(icmpErrorQuote(p6.subarray(0, 100), true).length, 100);
    });
  });
});

describe('kernel/ip/packet summary', () => {
  it('summarises both families, flags fragments, and names protocols', () => {
    const v4 = buildUdpPacket({ src: A4, dst: B4, id: 3 }, 1, 2, new Uint8Array(4));
    const s4 = decodeIpPacket(v4);
    assert.deepEqual([s4.family, s4.protocol, s4.payloadOffset, s4.end, s4.isFragment], [4, 17, 20, 32, false]);
    const f4 = v4.slice();
    f4[6] = 0x20;
    setIpv4Checksum(f4); // MF set
    assert.equal(decodeIpPacket(f4).isFragment, true);
    const s6 = decodeIpPacket(buildEchoRequestPacket({ src: A6, dst: B6 }, 1, 1, new Uint8Array(0)));
    assert.deepEqual([s6.family, s6.protocol, s6.payloadOffset, s6.end, s6.isFragment], [6, 58, 40, 48, false]);
    expectParseError(() => decodeIpPacket(new Uint8Array(0)), 'ip.version');
    expectParseError(() => decodeIpPacket(fromHex('7000')), 'ip.version');
    assert.deepEqual([ipprotoName(50), ipprotoName(51), ipprotoName(200)], ['esp', 'ah', '200']);
  });
});
