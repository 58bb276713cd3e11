// IPv4 header codec (RFC 791 §3.1): known packets, round trips, options, and each validation step.
import { strict as assert } from 'node:assert';
import { ParseError, fromHex, toHex, u16 } from '../../../common/bytes.js';
import { formatAddr, parseAddr } from '../../../common/inet.js';
import {
  decodeIpv4,
  encodeIpv4,
  buildIpv4Packet,
  ipVersion,
  ipv4ChecksumOk,
  setIpv4Checksum,
  ipv4HeaderLength,
  walkIpv4Options,
  isIpv4OptionMutable,
  isIpv4OptionCopied,
} from '../../../kernel/ip/ipv4.js';
import { internetChecksum } from '../../../kernel/ip/checksum.js';
import { KNOWN_PACKETS, packetBytes } from './known-packets.js';

const A = parseAddr('192.0.2.1')!,
  B = parseAddr('198.51.100.7')!;

function expectParseError(fn: () => unknown, field: string): ParseError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ParseError, `expected ParseError, got ${String(e)}`);
    assert.equal(e.field, field, e.message);
    return e;
  }
  assert.fail(`no ParseError (${field})`);
}

describe('kernel/ip/ipv4', () => {
  for (const k of KNOWN_PACKETS.filter((p) => p.hex.trim().startsWith('45'))) {
    it(`decodes ${k.name} (${k.source})`, () => {
      const pkt = packetBytes(k);
      const { value: h, next } = decodeIpv4(pkt);
      assert.equal(formatAddr(h.src), k.expect.src);
      assert.equal(formatAddr(h.dst), k.expect.dst);
      assert.equal(h.protocol, k.expect.protocol);
      assert.equal(h.checksum, k.expect.ipChecksum);
      assert.equal(h.totalLength, pkt.length);
      assert.equal(next, 20);
      // Recomputing the checksum from scratch gives the published value.
      const copy = pkt.slice();
      copy[10] = 0;
      copy[11] = 0;
      assert.equal(internetChecksum(copy, 0, 20), k.expect.ipChecksum);
      // Rebuilding the header from the decoded fields gives the same bytes.
      const again = new Uint8Array(pkt.length);
      encodeIpv4(
        {
          tos: h.tos,
          id: h.id,
          df: h.df,
          mf: h.mf,
          fragOffset: h.fragOffset,
          ttl: h.ttl,
          protocol: h.protocol,
          src: h.src,
          dst: h.dst,
        },
        h.totalLength,
        again,
        0,
      );
      again.set(pkt.subarray(20), 20);
      assert.equal(toHex(again), toHex(pkt));
    });
  }

  it('reports the version of either family, and refuses others', () => {
    assert.equal(ipVersion(fromHex('45')), 4);
    assert.equal(ipVersion(fromHex('60')), 6);
    expectParseError(() => ipVersion(new Uint8Array(0)), 'ip.version');
    expectParseError(() => ipVersion(fromHex('50')), 'ip.version');
  });

  it('round-trips a header with options, flags and fragment offset', () => {
    const options = fromHex('9404000001'); // router alert (4 bytes) + NOP, padded to 8
    const pkt = buildIpv4Packet(
      { tos: 0xb8, id: 0xbeef, df: false, mf: true, fragOffset: 185, ttl: 3, protocol: 17, src: A, dst: B, options },
      fromHex('00112233'),
    );
    assert.equal(pkt.length, 20 + 8 + 4);
    const { value: h, next } = decodeIpv4(pkt);
    assert.deepEqual(
      {
        ihl: h.ihl,
        tos: h.tos,
        id: h.id,
        flags: h.flags,
        mf: h.mf,
        df: h.df,
        off: h.fragOffset,
        ttl: h.ttl,
        p: h.protocol,
        tl: h.totalLength,
      },
      { ihl: 7, tos: 0xb8, id: 0xbeef, flags: 1, mf: true, df: false, off: 185, ttl: 3, p: 17, tl: 32 },
    );
    assert.equal(next, 28);
    assert.deepEqual(h.optionList, [
      { type: 148, offset: 20, length: 4 },
      { type: 1, offset: 24, length: 1 },
      { type: 0, offset: 25, length: 1 },
    ]);
    assert.equal(toHex(h.options), '9404000001000000');
    assert.ok(ipv4ChecksumOk(pkt));
  });

  it('accepts trailing link padding beyond the total length', () => {
    const pkt = buildIpv4Packet({ protocol: 1, src: A, dst: B }, new Uint8Array(4));
    const padded = new Uint8Array(pkt.length + 6);
    padded.set(pkt);
    assert.equal(decodeIpv4(padded).value.totalLength, 24);
  });

  it('decodes at an offset inside a larger buffer', () => {
    const pkt = buildIpv4Packet({ protocol: 6, src: A, dst: B }, new Uint8Array(8));
    const buf = new Uint8Array(5 + pkt.length);
    buf.set(pkt, 5);
    const { value: h, next } = decodeIpv4(buf, 5);
    assert.equal(h.protocol, 6);
    assert.equal(next, 25);
  });

  describe('validation, each length checked before a field is read', () => {
    const good = () =>
      buildIpv4Packet({ protocol: 17, src: A, dst: B, options: fromHex('01010101') }, new Uint8Array(8));
    const cases: [string, (p: Uint8Array) => Uint8Array, string][] = [
      ['empty buffer', () => new Uint8Array(0), 'ipv4.version'],
      [
        'version 6 nibble',
        (p) => {
          p[0] = 0x66;
          return p;
        },
        'ipv4.version',
      ],
      [
        'IHL 4',
        (p) => {
          p[0] = 0x44;
          return p;
        },
        'ipv4.ihl',
      ],
      ['header cut short', (p) => p.subarray(0, 19), 'ipv4.header'],
      ['options cut short (IHL 6, 22 bytes)', (p) => p.subarray(0, 22), 'ipv4.header'],
      [
        'total length < header length',
        (p) => {
          p[2] = 0;
          p[3] = 23;
          setIpv4Checksum(p);
          return p;
        },
        'ipv4.totalLength',
      ],
      [
        'total length > buffer',
        (p) => {
          p[2] = 0;
          p[3] = 33;
          setIpv4Checksum(p);
          return p;
        },
        'ipv4.totalLength',
      ],
      [
        'option length 1',
        (p) => {
          p.set([0x07, 0x01, 0, 0], 20);
          setIpv4Checksum(p);
          return p;
        },
        'ipv4.option.length',
      ],
      [
        'option overruns header',
        (p) => {
          p.set([0x07, 0x05, 0, 0], 20);
          setIpv4Checksum(p);
          return p;
        },
        'ipv4.option.length',
      ],
      [
        'option type in the last byte, no length',
        (p) => {
          p.set([0x01, 0x01, 0x01, 0x44], 20);
          setIpv4Checksum(p);
          return p;
        },
        'ipv4.option.length',
      ],
      [
        'bad checksum',
        (p) => {
          p[8]! ^= 1;
          return p;
        },
        'ipv4.checksum',
      ],
    ];
    for (const [name, mutate, field] of cases) {
      it(`refuses: ${name}`, () => {
        expectParseError(() => decodeIpv4(mutate(good())), field);
      });
    }
    it('skips the checksum check when asked', () => {
      const p = good();
      p[8]! ^= 1;
      assert.equal(decodeIpv4(p, 0, false).value.ttl, 65);
      assert.ok(!ipv4ChecksumOk(p));
    });
  });

  it('walks options: EOL stops the walk, NOP is one byte, others carry a length', () => {
    const area = fromHex('01 07 07 04 00 00 00 00 83 03 05 00 ff ff');
    const list = walkIpv4Options(area, 0, 0, area.length);
    assert.deepEqual(
      list.map((o) => [o.type, o.offset, o.length]),
      [
        [1, 0, 1],
        [7, 1, 7],
        [131, 8, 3],
        [0, 11, 1],
      ],
    );
  });

  it('classifies options for AH (RFC 4302 App. A.1) and fragmentation (copied flag)', () => {
    for (const t of [0, 1, 130, 133, 134, 148, 149]) assert.ok(!isIpv4OptionMutable(t), String(t));
    for (const t of [7, 68, 131, 137, 136, 82]) assert.ok(isIpv4OptionMutable(t), String(t));
    assert.ok(isIpv4OptionCopied(131));
    assert.ok(!isIpv4OptionCopied(7));
    assert.ok(!isIpv4OptionCopied(68));
  });

  it('refuses impossible headers when building (programming errors)', () => {
    const buf = new Uint8Array(100);
    assert.throws(() => encodeIpv4({ protocol: 1, src: new Uint8Array(16), dst: B }, 20, buf), RangeError);
    assert.throws(() => encodeIpv4({ protocol: 1, src: A, dst: B }, 19, buf), RangeError);
    assert.throws(() => encodeIpv4({ protocol: 1, src: A, dst: B }, 70000, buf), RangeError);
    assert.throws(() => encodeIpv4({ protocol: 1, src: A, dst: B, options: new Uint8Array(41) }, 80, buf), RangeError);
    assert.throws(() => encodeIpv4({ protocol: 1, src: A, dst: B, fragOffset: 8192 }, 20, buf), RangeError);
    assert.throws(() => encodeIpv4({ protocol: 1, src: A, dst: B }, 20, new Uint8Array(10)), RangeError);
    assert.equal(ipv4HeaderLength(new Uint8Array(5)), 28);
  });

  it('recomputes the checksum after a TTL decrement', () => {
    const pkt = buildIpv4Packet({ protocol: 1, ttl: 64, src: A, dst: B }, new Uint8Array(4));
    pkt[8] = 63;
    assert.ok(!ipv4ChecksumOk(pkt));
    setIpv4Checksum(pkt);
    assert.ok(ipv4ChecksumOk(pkt));
    assert.notEqual(u16(pkt, 10), 0);
  });
});
