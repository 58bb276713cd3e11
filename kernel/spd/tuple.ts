// One "tuple" of the SPD index (tuple space search, as in Open vSwitch's classifier and the idea behind
// Linux xfrm's inexact policy bins): every (destination, source) prefix pair of one (destination length,
// source length) lives in an open-addressing hash table keyed on the two masked prefixes. A one-byte tag per
// bucket sits in its own small array, so a lookup that misses (the common case) reads only the tags.

/** Entry layout (ints): destination words, source words, then the head of the pair's ranked policy list
 * copied inline: slot (low 24 bits) with proto (top 8), ports, biased priority, seq, and its last use as a
 * float64 over two ints (8-byte aligned: see the strides). A lookup that picks a head touches only this. */
const E_PRIO = 2,
  E_SEQ = 3; // of E_HP 0, E_PORTS 1, E_PRIO 2, E_SEQ 3, E_USED 4 (policy-lists.ts and tuple-index.ts copy them)
/** Fewest buckets; tables grow at 1/2 load and shrink below 1/8. */
const MIN_CAP = 8;

/** Folds one key word into h: multiply, then bring the high bits down (masked prefixes have zero low bits). */
function mixWord(h: number, k: number): number {
  h = Math.imul(h ^ k, 0x9e3779b1);
  return h ^ (h >>> 16);
}

/** Final avalanche, so that the bucket index (low bits) and the tag (top byte) both depend on every key bit. */
function finalMix(h: number): number {
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** The hash of a masked (destination, source) pair: the first hd destination words, then the first hs
 * source words (the others are zero once masked, so a table hashes only the words its lengths cover). */
export function pairHash(d: Int32Array, s: Int32Array, hd: number, hs: number): number {
  let h = 0;
  for (let i = 0; i < hd; i++) h = mixWord(h, d[i]!);
  for (let i = 0; i < hs; i++) h = mixWord(h, s[i]!);
  return finalMix(h);
}

/** pairHash of the key stored in the entry at offset b of a table with `words` words per address. */
function entryHash(e: Int32Array, b: number, words: number, hd: number, hs: number): number {
  let h = 0;
  for (let i = 0; i < hd; i++) h = mixWord(h, e[b + i]!);
  for (let i = 0; i < hs; i++) h = mixWord(h, e[b + words + i]!);
  return finalMix(h);
}

/** Mask words for a prefix length (big-endian words, as addrWords writes them). */
export function maskWords(len: number, words: number): Int32Array {
  const m = new Int32Array(words);
  for (let i = 0; i < words; i++) {
    const bits = len - 32 * i;
    m[i] = bits <= 0 ? 0 : bits >= 32 ? -1 : -1 << (32 - bits);
  }
  return m;
}

/** The hash table of one (destination length, source length) pair. */
export class TupleTable {
  /** Ints per entry: 2 * words key words and the six E_* fields, padded to a power of two. */
  readonly stride: number;
  /** Offset of the E_* fields in an entry. */
  readonly base: number;
  readonly dmask: Int32Array;
  readonly smask: Int32Array;
  /** Words hashed per address: 1 for IPv4 (find4), the words the prefix length covers for IPv6. */
  readonly hd: number;
  readonly hs: number;
  /** For IPv4, the single mask words (the hot loop reads these instead of the arrays). */
  readonly dm0: number;
  readonly sm0: number;
  tags: Uint8Array;
  ents: Int32Array;
  /** The same memory as ents, for the E_USED fields (index = int offset / 2). */
  f64: Float64Array;
  mask: number;
  count = 0;
  /** A lower bound on the (biased priority, seq) of every policy here: lookups stop before a tuple whose
   * bound cannot beat the best found so far. Exact after rebuild(), only lowered by inserts. */
  boundPrio = 0x7fffffff;
  boundSeq = 0x7fffffff;

  constructor(
    readonly dlen: number,
    readonly slen: number,
    readonly words: 1 | 4,
    cap = MIN_CAP,
  ) {
    this.base = 2 * words;
    this.stride = words === 1 ? 8 : 16;
    this.dmask = maskWords(dlen, words);
    this.smask = maskWords(slen, words);
    this.hd = words === 1 ? 1 : Math.ceil(dlen / 32);
    this.hs = words === 1 ? 1 : Math.ceil(slen / 32);
    this.dm0 = this.dmask[0]!;
    this.sm0 = this.smask[0]!;
    this.mask = cap - 1;
    this.tags = new Uint8Array(cap);
    this.ents = new Int32Array(cap * this.stride);
    this.f64 = new Float64Array(this.ents.buffer);
  }

  /** The entry offset holding (d, s) (already masked), or -1. */
  find(d: Int32Array, s: Int32Array): number {
    const h = pairHash(d, s, this.hd, this.hs),
      tag = (h >>> 24) | 1,
      tags = this.tags,
      mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const g = tags[i]!;
      if (g === 0) return -1;
      if (g === tag && this.keyIs(i * this.stride, d, s)) return i * this.stride;
    }
  }

  /** find() for IPv4 (one word each), with the hash inlined: the lookup's hot path. */
  find4(d: number, s: number): number {
    const h = finalMix(mixWord(mixWord(0, d), s)),
      tag = (h >>> 24) | 1,
      tags = this.tags,
      mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const g = tags[i]!;
      if (g === 0) return -1;
      if (g === tag && this.ents[i << 3] === d && this.ents[(i << 3) + 1] === s) return i << 3;
    }
  }

  private keyIs(b: number, d: Int32Array, s: Int32Array): boolean {
    const e = this.ents,
      w = this.words;
    for (let i = 0; i < w; i++) if (e[b + i] !== d[i] || e[b + w + i] !== s[i]) return false;
    return true;
  }

  /** Adds (d, s), which must be absent, with no policies; returns its entry offset. */
  insert(d: Int32Array, s: Int32Array): number {
    if ((this.count + 1) * 2 > this.tags.length) this.resize(this.tags.length * 2);
    const h = pairHash(d, s, this.hd, this.hs),
      mask = this.mask;
    let i = h & mask;
    while (this.tags[i] !== 0) i = (i + 1) & mask;
    this.tags[i] = (h >>> 24) | 1;
    const b = i * this.stride,
      e = this.ents,
      w = this.words;
    e.fill(0, b, b + this.stride);
    for (let k = 0; k < w; k++) {
      e[b + k] = d[k]!;
      e[b + w + k] = s[k]!;
    }
    this.count++;
    return b;
  }

  /** Removes the entry at offset b (backward-shift deletion: no tombstones, probe chains stay short). */
  delete(b: number): void {
    const tags = this.tags,
      e = this.ents,
      st = this.stride,
      mask = this.mask;
    let hole = b / st;
    for (let j = (hole + 1) & mask; tags[j] !== 0; j = (j + 1) & mask) {
      const home = entryHash(e, j * st, this.words, this.hd, this.hs) & mask;
      // The entry at j may fill the hole unless its home bucket lies cyclically in (hole, j].
      const stays = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (stays) continue;
      tags[hole] = tags[j]!;
      e.copyWithin(hole * st, j * st, j * st + st);
      hole = j;
    }
    tags[hole] = 0;
    e.fill(0, hole * st, hole * st + st);
    this.count--;
    if (this.count * 8 < this.tags.length && this.tags.length > MIN_CAP) this.resize(this.tags.length / 2);
  }

  /** Every entry offset (a snapshot: safe to modify the table while using it). */
  entries(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.tags.length; i++) if (this.tags[i] !== 0) out.push(i * this.stride);
    return out;
  }

  /** Re-hashes into `cap` buckets (>= 2 * count) and recomputes the exact priority bound. */
  resize(cap: number): void {
    const oldTags = this.tags,
      old = this.ents,
      st = this.stride;
    cap = Math.max(MIN_CAP, cap);
    this.tags = new Uint8Array(cap);
    this.ents = new Int32Array(cap * st);
    this.f64 = new Float64Array(this.ents.buffer);
    this.mask = cap - 1;
    this.boundPrio = 0x7fffffff;
    this.boundSeq = 0x7fffffff;
    for (let i = 0; i < oldTags.length; i++) {
      if (oldTags[i] === 0) continue;
      const h = entryHash(old, i * st, this.words, this.hd, this.hs);
      let j = h & this.mask;
      while (this.tags[j] !== 0) j = (j + 1) & this.mask;
      this.tags[j] = oldTags[i]!;
      this.ents.set(old.subarray(i * st, i * st + st), j * st);
      this.lowerBound(old[i * st + this.base + E_PRIO]!, old[i * st + this.base + E_SEQ]!);
    }
  }

  /** Right-sizes the table (load about 1/4) with an exact bound. */
  rebuild(): void {
    let cap = MIN_CAP;
    while (cap < this.count * 4) cap *= 2;
    this.resize(cap);
  }

  /** Lowers the bound to (prio, seq) if that is better; true if it changed. */
  lowerBound(prio: number, seq: number): boolean {
    if (prio < this.boundPrio || (prio === this.boundPrio && seq < this.boundSeq)) {
      this.boundPrio = prio;
      this.boundSeq = seq;
      return true;
    }
    return false;
  }
}
