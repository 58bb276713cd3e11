// The inbound anti-replay window (RFC 4303 §3.4.3, RFC 4302 §3.4.3) with extended sequence numbers
// (RFC 4303 §2.2.1 and Appendix A2). The bitmap is a ring of 32-bit words as in RFC 6479: sliding the
// window clears whole words, so a packet never shifts or allocates.

/** Largest window accepted (packets); KAME's PF_KEY caps at 2040, FreeBSD's SA_REPLAY ext goes higher. */
export const REPLAY_MAX_BITS = 1 << 20;
const TWO32 = 4294967296;
/** With anti-replay off, ESN high bits are inferred against this half-space instead of a window. */
const NO_WINDOW_INFER_BITS = 0x80000000;
/** The ring of a window that has accepted nothing yet (isSet reads undefined, i.e. not seen). */
const NO_RING = new Uint32Array(0);

/** The anti-replay state of one inbound SA (KAME `struct secreplay`). */
export class ReplayWindow {
  private readonly bits: number;
  /** Made on the first accepted packet: an outbound SA, or one that never carries traffic, needs none. */
  private ring: Uint32Array = NO_RING;
  private readonly ringWords: number;
  private readonly ringMask: number;
  private hi = 0;
  private lo = 0;

  /** windowBits 0 = anti-replay off (only the ESN inference runs); esn = 64-bit sequence numbers. */
  constructor(
    windowBits: number,
    readonly esn: boolean,
  ) {
    if (!Number.isInteger(windowBits) || windowBits < 0 || windowBits > REPLAY_MAX_BITS) {
      throw new RangeError(`replay window must be 0..${REPLAY_MAX_BITS} packets, got ${windowBits}`);
    }
    this.bits = windowBits;
    // RFC 6479 §2: one spare word beyond the window so the top word can be cleared while sliding.
    let words = 1;
    while (words < Math.ceil(windowBits / 32) + 1) words <<= 1;
    this.ringWords = windowBits === 0 ? 0 : words;
    this.ringMask = words - 1;
  }

  get windowBits(): number {
    return this.bits;
  }
  /** High 32 bits of the highest authenticated sequence number (0 without ESN). */
  get lastHi(): number {
    return this.hi;
  }
  /** Low 32 bits of the highest authenticated sequence number. */
  get lastLo(): number {
    return this.lo;
  }

  /**
   * RFC 4303 §3.4.3 + App. A: the inferred high-order 32 bits for this low-order sequence number,
   * or -1 if it is a replay or too old. Does not change state (call before the ICV check).
   */
  checkSeq(seqLow: number): number {
    const sl = seqLow >>> 0;
    if (this.bits === 0) return this.esn ? this.inferHighUnchecked(sl) : 0;
    const sh = this.esn ? this.inferHigh(sl) : 0;
    if (sh < 0 || (sh === 0 && sl === 0)) return -1; // 64-bit seq 0 is never sent (§3.3.3)
    const behind = (this.hi - sh) * TWO32 + (this.lo - sl);
    if (behind < 0) return sh; // ahead of the window: new
    if (behind >= this.bits) return -1; // too old
    return this.isSet(sl) ? -1 : sh;
  }

  /** Marks (seqHigh, seqLow) received; call only after the ICV verified. Advances the window. */
  acceptSeq(seqHigh: number, seqLow: number): void {
    if (this.ring.length !== this.ringWords) this.ring = new Uint32Array(this.ringWords); // all clear: none seen yet
    const sh = this.esn ? seqHigh >>> 0 : 0;
    const sl = seqLow >>> 0;
    const ahead = (sh - this.hi) * TWO32 + (sl - this.lo);
    if (ahead > 0) {
      if (this.bits > 0) this.slide(sh, sl);
      this.hi = sh;
      this.lo = sl;
    } else if (this.bits > 0 && -ahead >= this.bits) {
      return; // outside the window: nothing to remember
    }
    if (this.bits > 0) this.ring[(sl >>> 5) & this.ringMask]! |= 1 << (sl & 31);
  }

  /** RFC 4303 App. A2.2: pick the 2^32 subspace that puts seqLow nearest the window. -1 = below zero/over 2^64. */
  private inferHigh(sl: number): number {
    const w = this.bits === 0 ? NO_WINDOW_INFER_BITS : this.bits;
    const tl = this.lo;
    const th = this.hi;
    const bl = (tl - w + 1) >>> 0;
    if (tl >= w - 1) {
      // Case A: the window lies within one subspace.
      if (sl >= bl) return th;
      return th === 0xffffffff ? -1 : th + 1;
    }
    // Case B: the window straddles a subspace boundary.
    if (sl >= bl) return th === 0 ? -1 : th - 1;
    return th;
  }

  /** Without anti-replay nothing is refused: clamp the inference into 0..2^32-1. */
  private inferHighUnchecked(sl: number): number {
    const sh = this.inferHigh(sl);
    if (sh >= 0) return sh;
    return this.hi === 0 ? 0 : 0xffffffff;
  }

  private isSet(sl: number): boolean {
    return (this.ring[(sl >>> 5) & this.ringMask]! & (1 << (sl & 31))) !== 0;
  }

  /** Clears the ring words between the old top (exclusive) and the new top (inclusive). RFC 6479 §2.2. */
  private slide(sh: number, sl: number): void {
    const dHi = sh - this.hi; // >= 0 here; a jump of two subspaces clears everything anyway
    const dWords = dHi >= 2 ? this.ring.length : dHi * (TWO32 / 32) + (sl >>> 5) - (this.lo >>> 5);
    const n = Math.min(dWords, this.ring.length);
    for (let i = 1; i <= n; i++) this.ring[((this.lo >>> 5) + i) & this.ringMask] = 0;
  }
}
