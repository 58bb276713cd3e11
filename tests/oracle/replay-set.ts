// A deliberately naive anti-replay oracle: every accepted 64-bit sequence number is kept in a
// Set of bigints, and the ESN high bits are found by searching for the one number congruent to the low bits in
// [T - W + 1, T - W + 2^32) (RFC 4303 App. A2.1), instead of the two-case arithmetic of A2.2 that replay.ts uses.

const TWO32 = 1n << 32n;
const MAX64 = (1n << 64n) - 1n;

export class ReplaySetOracle {
  private seen = new Set<bigint>();
  private top = 0n;

  constructor(
    private readonly windowBits: number,
    private readonly esn: boolean,
  ) {}

  get lastHi(): number {
    return Number(this.top >> 32n);
  }
  get lastLo(): number {
    return Number(this.top & 0xffffffffn);
  }

  /** The full 64-bit number the low bits stand for, or undefined if it would fall outside 1..2^64-1. */
  infer(seqLow: number): bigint | undefined {
    const sl = BigInt(seqLow >>> 0);
    if (!this.esn) return sl;
    const w = BigInt(this.windowBits === 0 ? 0x80000000 : this.windowBits);
    const bottom = this.top - w + 1n;
    // Walk the candidate subspaces until the number lands in [bottom, bottom + 2^32).
    for (let hi = (this.top >> 32n) - 1n; hi <= (this.top >> 32n) + 1n; hi++) {
      const s = hi * TWO32 + sl;
      if (s >= bottom && s < bottom + TWO32) return s >= 0n && s <= MAX64 ? s : undefined;
    }
    throw new Error('oracle: no subspace matched (cannot happen)');
  }

  checkSeq(seqLow: number): number {
    const s = this.infer(seqLow);
    if (this.windowBits === 0) {
      if (s === undefined) return this.top >> 32n === 0n ? 0 : 0xffffffff;
      return Number(s >> 32n);
    }
    if (s === undefined || s === 0n) return -1;
    if (s > this.top) return Number(s >> 32n);
    if (this.top - s >= BigInt(this.windowBits)) return -1;
    return this.seen.has(s) ? -1 : Number(s >> 32n);
  }

  acceptSeq(seqHigh: number, seqLow: number): void {
    const s = (this.esn ? BigInt(seqHigh >>> 0) << 32n : 0n) + BigInt(seqLow >>> 0);
    this.seen.add(s);
    if (s > this.top) this.top = s;
  }
}
