// A per-flow cache in front of the SPD index (the idea of FreeBSD's key_spdcache): a 4-way set-associative
// table keyed by (direction, family, protocol, ports, source, destination) holding the lookup's answer as
// an index slot, "no policy" (0) included. Entries are stamped with the SPD generation, so any change to the SPD voids them all.
/** Ints per way: stamp, meta, ports, source words (4), destination words (4), pad. */
const WSTRIDE = 12;
const W_STAMP = 0,
  W_META = 1,
  W_PORTS = 2,
  W_SRC = 3,
  W_DST = 7;

const WAYS = 4;

export class SpdCache {
  /** Per way: the key hash (| 1, so 0 means empty), checked before the full key. */
  private readonly tags: Int32Array;
  private readonly keys: Int32Array;
  private readonly results: Int32Array;
  /** Per set: the way the next insertion replaces (FIFO). */
  private readonly next: Uint8Array;
  private readonly setMask: number;
  hits = 0;
  misses = 0;

  /** entries: total ways, rounded up to a power of two (at least 4). */
  constructor(entries: number) {
    let n = WAYS;
    while (n < entries) n *= 2;
    this.tags = new Int32Array(n);
    this.keys = new Int32Array(n * WSTRIDE);
    this.results = new Int32Array(n);
    this.next = new Uint8Array(n / WAYS);
    this.setMask = n / WAYS - 1;
  }

  private hash(meta: number, ports: number, sw: Int32Array, dw: Int32Array, words: number): number {
    let h = Math.imul(meta ^ 0x2545f491, 0x9e3779b1) ^ ports;
    for (let i = 0; i < words; i++) {
      h = Math.imul(h ^ sw[i]!, 0x85ebca6b);
      h = Math.imul(h ^ dw[i]!, 0xc2b2ae35);
      h ^= h >>> 15;
    }
    return h ^ (h >>> 13);
  }

  private same(
    w: number,
    stamp: number,
    meta: number,
    ports: number,
    sw: Int32Array,
    dw: Int32Array,
    words: number,
  ): boolean {
    const k = this.keys,
      b = w * WSTRIDE;
    if (k[b + W_STAMP] !== stamp || k[b + W_META] !== meta || k[b + W_PORTS] !== ports) return false;
    for (let i = 0; i < words; i++) if (k[b + W_SRC + i] !== sw[i] || k[b + W_DST + i] !== dw[i]) return false;
    return true;
  }

  /** The cached slot for this flow at SPD stamp `stamp` (non-zero): 0 = no policy, -1 = not cached. */
  get(stamp: number, meta: number, ports: number, sw: Int32Array, dw: Int32Array, words: number): number {
    const h = this.hash(meta, ports, sw, dw, words),
      tag = h | 1;
    const w0 = (h & this.setMask) * WAYS,
      tags = this.tags;
    for (let w = w0; w < w0 + WAYS; w++) {
      if (tags[w] === tag && this.same(w, stamp, meta, ports, sw, dw, words)) {
        this.hits++;
        return this.results[w]!;
      }
    }
    this.misses++;
    return -1;
  }

  /** Stores an answer, replacing the set's ways in turn. */
  put(stamp: number, meta: number, ports: number, sw: Int32Array, dw: Int32Array, words: number, slot: number): void {
    const h = this.hash(meta, ports, sw, dw, words),
      set = h & this.setMask;
    const w = set * WAYS + this.next[set]!;
    this.next[set] = (this.next[set]! + 1) % WAYS;
    const k = this.keys,
      b = w * WSTRIDE;
    this.tags[w] = h | 1;
    k[b + W_STAMP] = stamp;
    k[b + W_META] = meta;
    k[b + W_PORTS] = ports;
    for (let i = 0; i < 4; i++) {
      k[b + W_SRC + i] = i < words ? sw[i]! : 0;
      k[b + W_DST + i] = i < words ? dw[i]! : 0;
    }
    this.results[w] = slot;
  }

  /** Drops every entry (for example when the generation stamp wraps). */
  clear(): void {
    this.tags.fill(0);
    this.keys.fill(0);
    this.results.fill(0);
  }
}
