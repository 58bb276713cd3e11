// Internet checksum (RFC 1071), incremental update (RFC 1624) and pseudo-header sums, against published
// values and a naive oracle.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { fromHex, u16 } from '../../../common/bytes.js';
import {
  sumWords,
  foldSum,
  internetChecksum,
  checksumOk,
  updateChecksum16,
  updateChecksumBytes,
  pseudoHeaderSum,
} from '../../../kernel/ip/checksum.js';
import { WIKIPEDIA_IPV4_HEADER } from './known-packets.js';

/** Naive oracle: one 16-bit word at a time, folding after every addition (RFC 1071 §1 "end around carry"). */
function naiveChecksum(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) {
    s += (b[i]! << 8) | (i + 1 < b.length ? b[i + 1]! : 0);
    if (s > 0xffff) s = (s & 0xffff) + 1;
  }
  return ~s & 0xffff;
}

describe('kernel/ip/checksum', () => {
  it('reproduces the RFC 1071 §3 numerical example (sum ddf2, checksum 220d)', () => {
    const b = fromHex('0001f203f4f5f6f7');
    assert.equal(foldSum(sumWords(b, 0, b.length)), 0xddf2);
    assert.equal(internetChecksum(b), 0x220d);
  });

  it('computes and verifies the Wikipedia IPv4 header example (442e)', () => {
    const h = fromHex(WIKIPEDIA_IPV4_HEADER.hex);
    assert.ok(checksumOk(h, 0, h.length));
    h[10] = 0;
    h[11] = 0;
    assert.equal(internetChecksum(h), WIKIPEDIA_IPV4_HEADER.checksum);
    assert.ok(!checksumOk(h, 0, h.length));
  });

  it('pads an odd trailing byte with zero (RFC 1071 §4.1)', () => {
    assert.equal(internetChecksum(fromHex('0102ab')), ~(0x0102 + 0xab00) & 0xffff);
  });

  it('matches the naive oracle on random data, any offset and length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(7), (b, skip) => {
        const off = Math.min(skip, b.length);
        assert.equal(internetChecksum(b, off, b.length - off), naiveChecksum(b.subarray(off)));
      }),
      { seed: 1071, numRuns: 2000 },
    );
  });

  it('sums split at even boundaries equal the whole sum', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 2, maxLength: 200 }), fc.nat(), (b, k) => {
        const cut = (k % (b.length >> 1)) * 2;
        const whole = foldSum(sumWords(b, 0, b.length));
        assert.equal(foldSum(sumWords(b, cut, b.length - cut, sumWords(b, 0, cut))), whole);
      }),
      { seed: 7, numRuns: 1000 },
    );
  });

  it('RFC 1624 eqn. 3: the +0/-0 boundary case of §3 gives 0x0000 as a full recomputation does', () => {
    // §3: other header words sum to 0xCD7A; a field changes from 0x5555 to 0x3285.
    const hdr = new Uint8Array([0xcd, 0x7a, 0x55, 0x55, 0, 0]);
    hdr.set([0, 0], 4);
    const hc = internetChecksum(hdr);
    assert.equal(hc, 0xdd2f);
    const updated = updateChecksum16(hc, 0x5555, 0x3285);
    hdr.set([0x32, 0x85], 2);
    assert.equal(updated, internetChecksum(hdr));
    assert.equal(updated, 0x0000);
  });

  it('incremental updates equal recomputation for random headers and changes (RFC 1624)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 20, maxLength: 60 }),
        fc.nat(),
        fc.integer({ min: 0, max: 0xffff }),
        (raw, pick, nw) => {
          const h = raw.subarray(0, raw.length & ~1);
          h[10] = 0;
          h[11] = 0;
          const hc = internetChecksum(h);
          h[10] = hc >> 8;
          h[11] = hc & 0xff;
          let w = (pick % (h.length >> 1)) * 2;
          if (w === 10) w = 12;
          const old = u16(h, w);
          const inc = updateChecksum16(hc, old, nw);
          h[w] = nw >> 8;
          h[w + 1] = nw & 0xff;
          h[10] = 0;
          h[11] = 0;
          const full = internetChecksum(h);
          // Both are valid; the only allowed difference is the two zeros of one's complement when the sum is zero.
          assert.ok(inc === full || ((inc ^ full) === 0xffff && (inc === 0 || full === 0)), `${inc} vs ${full}`);
        },
      ),
      { seed: 1624, numRuns: 3000 },
    );
  });

  it('updates a checksum after an address rewrite (updateChecksumBytes)', () => {
    const pkt = fromHex(WIKIPEDIA_IPV4_HEADER.hex);
    const oldSrc = pkt.slice(12, 16),
      newSrc = new Uint8Array([10, 1, 2, 3]);
    const inc = updateChecksumBytes(u16(pkt, 10), oldSrc, newSrc);
    pkt.set(newSrc, 12);
    pkt[10] = 0;
    pkt[11] = 0;
    assert.equal(inc, internetChecksum(pkt));
    assert.throws(() => updateChecksumBytes(0, new Uint8Array(3), new Uint8Array(3)), RangeError);
  });

  it('builds the IPv4 and IPv6 pseudo-header sums of RFC 768 / RFC 8200 §8.1', () => {
    const v4 = pseudoHeaderSum(new Uint8Array([192, 0, 2, 1]), new Uint8Array([192, 0, 2, 2]), 17, 12);
    assert.equal(v4, 0xc000 + 0x0201 + 0xc000 + 0x0202 + 17 + 12);
    const big = pseudoHeaderSum(new Uint8Array(16), new Uint8Array(16), 58, 0x12345);
    assert.equal(big, 0x1 + 0x2345 + 58); // the 32-bit upper-layer length of RFC 8200 §8.1
  });
});
