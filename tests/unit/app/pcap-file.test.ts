// app/pcap/pcap-file.ts: files laid out by hand from pcap-savefile(5) (both byte orders, micro- and
// nanosecond magic), refusals with offsets, and a fixed-seed fuzz: any bytes give a file or a ParseError.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { ParseError } from '../../../common/bytes.js';
import { decodePcap, encodePcap, LINKTYPE_ETHERNET, LINKTYPE_RAW } from '../../../app/pcap/pcap-file.js';

/** A pcap file assembled field by field (pcap-savefile(5)), independent of encodePcap. */
function handMade(
  le: boolean,
  magic: number,
  linktype: number,
  recs: { sec: number; frac: number; data: number[]; orig?: number }[],
): Uint8Array {
  const parts: number[] = [];
  const u32 = (v: number) => {
    const b = [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
    parts.push(...(le ? b.reverse() : b));
  };
  const u16 = (v: number) => {
    const b = [v >>> 8, v & 255];
    parts.push(...(le ? b.reverse() : b));
  };
  u32(magic);
  u16(2);
  u16(4);
  u32(0);
  u32(0);
  u32(65535);
  u32(linktype);
  for (const r of recs) {
    u32(r.sec);
    u32(r.frac);
    u32(r.data.length);
    u32(r.orig ?? r.data.length);
    parts.push(...r.data);
  }
  return Uint8Array.from(parts);
}

describe('app/pcap/pcap-file', () => {
  it('reads little-endian microsecond files', () => {
    const f = decodePcap(
      handMade(true, 0xa1b2c3d4, LINKTYPE_RAW, [
        { sec: 1700000000, frac: 123456, data: [0x45, 0, 0, 20] },
        { sec: 5, frac: 6, data: [1, 2, 3], orig: 9 },
      ]),
    );
    assert.equal(f.linktype, LINKTYPE_RAW);
    assert.equal(f.nanos, false);
    assert.equal(f.bigEndian, false);
    assert.deepEqual(
      f.records.map((r) => [r.tsSec, r.tsFrac, [...r.data], r.origLen]),
      [
        [1700000000, 123456, [0x45, 0, 0, 20], 4],
        [5, 6, [1, 2, 3], 9],
      ],
    );
  });

  it('reads big-endian nanosecond files and writes them back little-endian with the same values', () => {
    const raw = handMade(false, 0xa1b23c4d, LINKTYPE_ETHERNET, [{ sec: 7, frac: 999_999_999, data: [9, 8, 7] }]);
    const f = decodePcap(raw);
    assert.equal(f.nanos, true);
    assert.equal(f.bigEndian, true);
    const again = encodePcap(f);
    assert.deepEqual([...again.subarray(0, 4)], [0x4d, 0x3c, 0xb2, 0xa1], 'nanosecond magic, little-endian');
    const g = decodePcap(again);
    assert.deepEqual(g.records, f.records);
    assert.equal(g.linktype, LINKTYPE_ETHERNET);
  });

  it('encodePcap output equals the hand-laid bytes for the same records', () => {
    const recs = [
      { sec: 1, frac: 2, data: [0x60, 0, 0, 0] },
      { sec: 3, frac: 4, data: [] },
    ];
    const mine = encodePcap({
      linktype: LINKTYPE_RAW,
      snaplen: 65535,
      nanos: false,
      records: recs.map((r) => ({
        tsSec: r.sec,
        tsFrac: r.frac,
        data: Uint8Array.from(r.data),
        origLen: r.data.length,
      })),
    });
    assert.deepEqual(Buffer.from(mine), Buffer.from(handMade(true, 0xa1b2c3d4, LINKTYPE_RAW, recs)));
  });

  it('refuses pcapng, unknown magic, truncation and oversized records with offsets', () => {
    const cases: [Uint8Array, RegExp, number][] = [
      [
        Uint8Array.from([0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0]),
        /pcapng is not supported; convert it with `editcap -F pcap/,
        0,
      ],
      [Uint8Array.from([1, 2, 3, 4, 5, 6]), /not a pcap file: magic/, 0],
      [Uint8Array.from([1, 2]), /shorter than its magic/, 0],
      [handMade(true, 0xa1b2c3d4, 1, []).subarray(0, 20), /file header truncated/, 0],
      [
        handMade(true, 0xa1b2c3d4, 1, [{ sec: 0, frac: 0, data: [1, 2, 3, 4] }]).subarray(0, 24 + 16 + 2),
        /record at offset 24 truncated \(2 of 4 bytes\)/,
        24,
      ],
      [
        handMade(true, 0xa1b2c3d4, 1, [{ sec: 0, frac: 0, data: [] }]).subarray(0, 24 + 10),
        /record header truncated at offset 24/,
        24,
      ],
    ];
    for (const [b, re, off] of cases) {
      assert.throws(
        () => decodePcap(b),
        (e: unknown) => e instanceof ParseError && re.test(e.message) && e.offset === off,
        String(re),
      );
    }
    const huge = handMade(true, 0xa1b2c3d4, 1, [{ sec: 0, frac: 0, data: [] }]);
    new DataView(huge.buffer).setUint32(24 + 8, 300000, true);
    assert.throws(() => decodePcap(huge), /record of 300000 bytes at offset 24 \(limit 262144\)/);
    const v3 = handMade(true, 0xa1b2c3d4, 1, []);
    v3[4] = 3;
    assert.throws(() => decodePcap(v3), /pcap version 3\.4/);
  });

  it('fuzz (fixed seed): random and mutated files give a file or a ParseError, never another exception', () => {
    const valid = handMade(true, 0xa1b2c3d4, LINKTYPE_RAW, [
      { sec: 1, frac: 2, data: [0x45, 0, 0, 20, 1, 2, 3] },
      { sec: 3, frac: 4, data: [5, 6] },
    ]);
    const mutated = fc
      .tuple(
        fc.array(fc.tuple(fc.nat(valid.length + 8), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.nat(valid.length + 8),
      )
      .map(([edits, cut]) => {
        const b = new Uint8Array(valid.length + 8);
        b.set(valid);
        for (const [i, v] of edits) b[i] = v;
        return b.subarray(0, cut);
      });
    const arb = fc.oneof(fc.uint8Array({ maxLength: 96 }), mutated);
    fc.assert(
      fc.property(arb, (b) => {
        try {
          const f = decodePcap(b);
          // What decoded re-encodes and decodes to the same records.
          assert.deepEqual(decodePcap(encodePcap(f)).records, f.records);
        } catch (e) {
          if (!(e instanceof ParseError)) throw e;
        }
      }),
      { seed: 0x7e57, numRuns: process.env.UIPSEC_SLOW ? 200_000 : 5_000 },
    );
  });
});
