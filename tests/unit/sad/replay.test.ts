import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { ReplayWindow } from '../../../kernel/sad/replay.js';
import { ReplaySetOracle } from '../../oracle/replay-set.js';

const TWO32 = 2 ** 32;

/** Runs a receive: check, and accept only if the inferred high bits are the true ones (the ICV would pass). */
function receive(w: ReplayWindow, hi: number, lo: number): boolean {
  const got = w.checkSeq(lo);
  if (got !== hi) return false;
  w.acceptSeq(hi, lo);
  return true;
}

describe('kernel/replay', () => {
  describe('numbered edge cases, window 64, no ESN (wireguard-go replay_test.go style)', () => {
    // [case, sequence number, expected accept]; evaluated in order against one window.
    const W = 64;
    const table: [number, number, boolean][] = [
      [1, 0, false], // RFC 4303 §3.3.3: 0 is never sent
      [2, 1, true],
      [3, 1, false], // duplicate
      [4, 3, true],
      [5, 2, true], // reordered, inside the window
      [6, 2, false],
      [7, 64, true], // top 64: window is 1..64
      [8, 1, false], // already seen
      [9, 4, true], // not seen, still inside
      [10, 65, true], // window 2..65: 1 is now too old
      [11, 1, false],
      [12, 5, true],
      [13, 66, true],
      [14, 2, false], // too old (66 - 2 = 64 >= W)
      [15, 3, false],
      [16, 6, true], // inside
      [17, 200, true], // a long jump clears the whole ring
      [18, 137, true], // 200 - 137 = 63: the oldest slot in the window
      [19, 136, false], // 64 behind: too old
      [20, 199, true],
      [21, 199, false],
      [22, 137, false],
      [23, 264, true], // 200 + 64: word boundary crossing
      [24, 201, true], // 63 behind
      [25, 200, false], // 64 behind
      [26, 0xffffffff, true], // top of the 32-bit space (no ESN: the sender stops here)
      [27, 0xffffffc1, true], // 62 behind
      [28, 0xffffffc0, true], // 63 behind
      [29, 0xffffffbf, false], // 64 behind
      [30, 0xffffffff, false],
      [31, 0, false],
      [32, 5, false], // no wrap without ESN: far behind
    ];
    const w = new ReplayWindow(W, false);
    for (const [n, seq, ok] of table) {
      it(`case ${n}: seq ${seq} -> ${ok ? 'accept' : 'drop'}`, () => {
        assert.equal(receive(w, 0, seq), ok);
      });
    }
  });

  describe('ESN wrap cases (RFC 4303 Appendix A2.2, window straddling 2^32)', () => {
    function at(bits: number, hi: number, lo: number): ReplayWindow {
      const w = new ReplayWindow(bits, true);
      w.acceptSeq(hi, lo); // acceptSeq trusts its caller (the ICV passed), so any top can be set directly
      return w;
    }
    it('Case A (Tl >= W-1): low numbers past Bl are the same subspace, those below it the next', () => {
      const w = at(64, 0, 0xfffffff0);
      assert.equal(w.checkSeq(0xfffffff1), 0); // ahead, same subspace
      assert.equal(w.checkSeq(0xffffffb1), 0); // Bl = Tl - 63: oldest in window
      assert.equal(w.checkSeq(5), 1); // wrapped: next subspace
      assert.equal(w.checkSeq(0xffffffb0), 1); // below Bl: taken as far ahead (the ICV will decide)
      assert.equal(w.checkSeq(0xfffffff0), -1); // the top itself is a replay
    });
    it('Case B (Tl < W-1): numbers at or above Bl belong to the previous subspace', () => {
      const w = at(64, 1, 10); // T = 2^32 + 10, window bottom 2^32 - 53
      w.acceptSeq(0, 0xffffffff);
      assert.equal(w.checkSeq(0xffffffcb), 0); // 2^32 - 53: oldest in window, previous subspace
      assert.equal(w.checkSeq(0xfffffff0), 0);
      assert.equal(w.checkSeq(0xffffffff), -1); // accepted late, below the top
      assert.equal(w.checkSeq(9), 1);
      assert.equal(w.checkSeq(11), 1);
      assert.equal(w.checkSeq(0xffffffca), 1); // below Bl: next-subspace interpretation (RFC: ICV fails)
      assert.equal(w.checkSeq(10), -1);
    });
    it('remembers packets on both sides of the 2^32 boundary', () => {
      const w = new ReplayWindow(128, true);
      assert.ok(!receive(w, 0, 0xffffffc0)); // from T = 0 this is 2^32 - 64 "below zero", not 0:ffffffc0
      assert.ok(receive(w, 0, 0x7fffffff)); // one legal step up first
      assert.ok(receive(w, 0, 0xffffffc0));
      assert.ok(receive(w, 1, 20)); // crosses 2^32
      assert.ok(receive(w, 0, 0xffffffe0)); // late packet from the old subspace, inside the window
      assert.ok(!receive(w, 0, 0xffffffe0));
      assert.ok(!receive(w, 0, 0xffffffc0));
      assert.ok(receive(w, 1, 0));
      assert.ok(!receive(w, 1, 0));
      assert.equal(w.lastHi, 1);
      assert.equal(w.lastLo, 20);
      assert.equal(w.checkSeq(0xffffff95), 0); // 2^32 - 107 = T - 127: the oldest slot in the window
      assert.equal(w.checkSeq(0xffffff94), 1); // T - 128: outside, so read as the next subspace
    });
    it('refuses the subspace below zero and the one past 2^64', () => {
      const w = new ReplayWindow(64, true);
      assert.equal(w.checkSeq(0), -1); // 64-bit zero
      assert.equal(w.checkSeq(0xffffffff), -1); // would be -1
      assert.equal(w.checkSeq(1), 0);
      const top = at(64, 0xffffffff, 0xfffffff0);
      assert.equal(top.checkSeq(3), -1); // 2^64 + 3 does not exist
      assert.equal(top.checkSeq(0xfffffff5), 0xffffffff);
    });
  });

  describe('window 0 (anti-replay off)', () => {
    it('never refuses and still infers ESN high bits', () => {
      const w = new ReplayWindow(0, true);
      assert.equal(w.checkSeq(0), 0);
      assert.equal(w.checkSeq(0xffffffff), 0); // clamped at the bottom
      w.acceptSeq(0, 0xfffffff0);
      w.acceptSeq(0, 0xfffffff0);
      assert.equal(w.checkSeq(0xfffffff0), 0);
      assert.equal(w.checkSeq(3), 1);
      w.acceptSeq(1, 3);
      assert.equal(w.checkSeq(0xfffffff0), 0);
      // T = 2^32 + 3 and the inference window is 2^31: bottom 2^31 + 4 is the last number in subspace 0.
      assert.equal(w.checkSeq(0x80000004), 0);
      assert.equal(w.checkSeq(0x80000003), 1);
      const n = new ReplayWindow(0, false);
      for (const s of [0, 1, 1, 0xffffffff, 7]) {
        assert.equal(n.checkSeq(s), 0);
        n.acceptSeq(0, s);
      }
    });
  });

  it('rejects bad window sizes', () => {
    assert.throws(() => new ReplayWindow(-1, false), RangeError);
    assert.throws(() => new ReplayWindow(1.5, false), RangeError);
    assert.throws(() => new ReplayWindow(2 ** 21, false), RangeError);
    assert.doesNotThrow(() => new ReplayWindow(4096, true));
  });

  describe('differential against the Set oracle (fast-check, fixed seed)', () => {
    type Op = { t: 'adv'; n: number } | { t: 'late'; back: number } | { t: 'forge'; lo: number };
    const configs: [number, boolean, number][] = [];
    for (const bits of [0, 1, 31, 32, 33, 64, 100, 1024, 4096]) {
      configs.push([bits, false, 0], [bits, true, 0], [bits, true, TWO32 - 3 * Math.max(bits, 8)]);
      configs.push([bits, true, 5 * TWO32 - 100]);
    }
    for (const [bits, esn, origin] of configs) {
      it(`window ${bits}, esn ${esn}, first packet ${origin}`, () => {
        const scale = Math.max(bits, 4);
        const op: fc.Arbitrary<Op> = fc.oneof(
          { weight: 6, arbitrary: fc.integer({ min: 1, max: 3 }).map((n) => ({ t: 'adv' as const, n })) },
          { weight: 2, arbitrary: fc.integer({ min: 1, max: 3 * scale }).map((n) => ({ t: 'adv' as const, n })) },
          { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 ** 33 }).map((n) => ({ t: 'adv' as const, n })) },
          {
            weight: 6,
            arbitrary: fc.integer({ min: 0, max: 2 * scale }).map((back) => ({ t: 'late' as const, back })),
          },
          { weight: 1, arbitrary: fc.nat({ max: 0xffffffff }).map((lo) => ({ t: 'forge' as const, lo })) },
        );
        fc.assert(
          fc.property(fc.array(op, { minLength: 100, maxLength: 400, size: 'max' }), (ops) => {
            const w = new ReplayWindow(bits, esn);
            const o = new ReplaySetOracle(bits, esn);
            let sent = origin;
            const deliver = (s: number): void => {
              if (s < 0) return;
              const hi = esn ? Math.floor(s / TWO32) : 0;
              const lo = s % TWO32;
              if (hi > 0xffffffff) return;
              const got = w.checkSeq(lo);
              assert.equal(got, o.checkSeq(lo), `checkSeq(${lo}) at top ${o.lastHi}:${o.lastLo}`);
              if (got === hi) {
                w.acceptSeq(hi, lo);
                o.acceptSeq(hi, lo);
              }
              assert.equal(w.lastHi, o.lastHi);
              assert.equal(w.lastLo, o.lastLo);
            };
            deliver(sent);
            for (const x of ops) {
              if (x.t === 'adv') {
                sent += x.n;
                deliver(sent);
              } else if (x.t === 'late') deliver(sent - x.back);
              else assert.equal(w.checkSeq(x.lo), o.checkSeq(x.lo));
            }
          }),
          { seed: 0x5eed0 + bits, numRuns: 60 },
        );
      });
    }
  });
});
