// Path-compressed binary tries of address prefixes kept in one flat Int32Array with no object hops: the
// storage behind the SPD index (spd-index.ts). A node is its prefix words (1 for IPv4, 4 for IPv6), child 0,
// child 1, and one int packing the prefix length (top 8 bits) with the value (low 24 bits): 16 bytes for
// IPv4, 32 (padded) for IPv6, so more of a large trie stays in the caches. Node 0 means "none".

/** Values and node numbers must fit the 24 bits beside the length. */
export const TRIE_VAL_MAX = 0xffffff;

export function bitAt(w: Int32Array, b: number): number {
  return (w[b >>> 5]! >>> (31 - (b & 31))) & 1;
}

/**
 * Path-compressed binary tries of prefixes in a node pool. Node 0 is "none". A node other than a root holds
 * a value or has two children. Values are ints, 0 meaning none (callers keep 1-based indexes).
 */
export class TriePool {
  nodes: Int32Array;
  /** Ints per node, and the offsets of child 0 (child 1 follows) and of the length/value int. */
  readonly stride: number;
  readonly oc0: number;
  readonly olv: number;
  private top = 1;
  private free: number[] = [];
  /** Nodes allocated since the last compaction, and the live count then (see SelectorIndex.compact). */
  allocs = 0;
  liveAtCompact = 0;
  constructor(readonly words: 1 | 4) {
    this.stride = words === 1 ? 4 : 8;
    this.oc0 = words;
    this.olv = words + 2;
    this.nodes = new Int32Array(this.stride * 64);
  }

  /** A new empty root (length 0). */
  newRoot(): number {
    return this.alloc(null, 0);
  }

  freeNode(n: number): void {
    this.nodes.fill(0, n * this.stride, (n + 1) * this.stride);
    this.free.push(n);
  }

  /** Live nodes. */
  get live(): number { return this.top - 1 - this.free.length; }

  /**
   * Copies the tries into a fresh array in depth-first order (a node, then what its value leads to, then its
   * children), so that the lower nodes of a lookup path share cache lines and pages. `order` walks the old
   * nodes and calls `place` for each, in the new order; place returns the new node number.
   */
  compact(order: (place: (old: number) => number) => void): Int32Array {
    const old = this.nodes, st = this.stride;
    const fresh = new Int32Array(Math.max(64, this.live + 2) * st);
    /** Old node number -> new one (0 for nodes not placed). */
    const moved = new Int32Array(this.top);
    let next = 1;
    order((o) => {
      const m = next++;
      for (let i = 0; i < st; i++) fresh[m * st + i] = old[o * st + i]!;
      moved[o] = m;
      return m;
    });
    // Children are node numbers: rewrite them. Values are the caller's business (see SelectorIndex.compact).
    for (let m = 1; m < next; m++) {
      const b = m * st + this.oc0;
      if (fresh[b] !== 0) fresh[b] = moved[fresh[b]!]!;
      if (fresh[b + 1] !== 0) fresh[b + 1] = moved[fresh[b + 1]!]!;
    }
    this.nodes = fresh;
    this.top = next;
    this.free = [];
    this.allocs = 0;
    this.liveAtCompact = next - 1;
    return moved;
  }

  private alloc(w: Int32Array | null, len: number): number {
    this.allocs++;
    let n = this.free.pop();
    if (n === undefined) {
      if (this.top >= TRIE_VAL_MAX) throw new RangeError('SPD trie full');
      if ((this.top + 1) * this.stride > this.nodes.length) {
        const grown = new Int32Array(this.nodes.length * 2);
        grown.set(this.nodes);
        this.nodes = grown;
      }
      n = this.top++;
    }
    const b = n * this.stride, nd = this.nodes;
    for (let i = 0; i < this.words; i++) {
      const bits = len - i * 32;
      nd[b + i] = w === null || bits <= 0 ? 0 : bits >= 32 ? w[i]! : w[i]! & (-1 << (32 - bits));
    }
    nd[b + this.oc0] = 0; nd[b + this.oc0 + 1] = 0; nd[b + this.olv] = len << 24;
    return n;
  }

  /** Common leading bits of node n's prefix and w, at most max. */
  private common(n: number, w: Int32Array, max: number): number {
    const b = n * this.stride, nd = this.nodes;
    for (let i = 0; i * 32 < max; i++) {
      const d = nd[b + i]! ^ w[i]!;
      if (d !== 0) return Math.min(max, i * 32 + Math.clz32(d));
    }
    return max;
  }

  private nodeBit(n: number, bit: number): number {
    return (this.nodes[n * this.stride + (bit >>> 5)]! >>> (31 - (bit & 31))) & 1;
  }

  child(n: number, bit: number): number {
    return this.nodes[n * this.stride + this.oc0 + bit]!;
  }

  private setChild(n: number, bit: number, c: number): void {
    this.nodes[n * this.stride + this.oc0 + bit] = c;
  }

  len(n: number): number { return this.nodes[n * this.stride + this.olv]! >>> 24; }
  val(n: number): number { return this.nodes[n * this.stride + this.olv]! & TRIE_VAL_MAX; }
  setVal(n: number, v: number): void {
    if (v < 0 || v > TRIE_VAL_MAX) throw new RangeError('SPD trie value out of range');
    const i = n * this.stride + this.olv;
    this.nodes[i] = (this.nodes[i]! & ~TRIE_VAL_MAX) | v;
  }
  isEmptyRoot(root: number): boolean {
    return this.val(root) === 0 && this.child(root, 0) === 0 && this.child(root, 1) === 0;
  }

  /** The node holding exactly (w, len) under root, or 0. */
  find(root: number, w: Int32Array, len: number): number {
    let n = root;
    while (n !== 0 && this.len(n) < len) {
      n = this.child(n, bitAt(w, this.len(n)));
      if (n !== 0 && (this.len(n) > len || this.common(n, w, this.len(n)) < this.len(n))) return 0;
    }
    return n !== 0 && this.len(n) === len ? n : 0;
  }

  /** The node for exactly (w, len) under root, created (with value 0) if absent. */
  insert(root: number, w: Int32Array, len: number): number {
    let n = root;
    for (;;) {
      const nlen = this.len(n);
      if (nlen === len) return n;
      const bit = bitAt(w, nlen);
      const c = this.child(n, bit);
      if (c === 0) {
        const leaf = this.alloc(w, len);
        this.setChild(n, bit, leaf);
        return leaf;
      }
      const clen = this.len(c);
      const cpl = this.common(c, w, Math.min(clen, len));
      if (cpl === clen) { n = c; continue; }
      if (cpl === len) {
        // The new prefix sits between n and c.
        const mid = this.alloc(w, len);
        this.setChild(mid, this.nodeBit(c, len), c);
        this.setChild(n, bit, mid);
        return mid;
      }
      // They diverge at bit cpl: a glue node holds both.
      const glue = this.alloc(w, cpl);
      const leaf = this.alloc(w, len);
      this.setChild(glue, this.nodeBit(c, cpl), c);
      this.setChild(glue, bitAt(w, cpl), leaf);
      this.setChild(n, bit, glue);
      return leaf;
    }
  }

  /** Clears the value (even 0) at exactly (w, len) under root and restores the invariant; false if no node. */
  remove(root: number, w: Int32Array, len: number): boolean {
    const path = [root];
    let n = root;
    while (this.len(n) < len) {
      n = this.child(n, bitAt(w, this.len(n)));
      if (n === 0 || this.len(n) > len || this.common(n, w, this.len(n)) < this.len(n)) return false;
      path.push(n);
    }
    if (this.len(n) !== len) return false;
    this.setVal(n, 0);
    for (let i = path.length - 1; i > 0; i--) {
      const m = path[i]!, c0 = this.child(m, 0), c1 = this.child(m, 1);
      if (this.val(m) !== 0 || (c0 !== 0 && c1 !== 0)) break;
      const parent = path[i - 1]!;
      this.setChild(parent, this.child(parent, 0) === m ? 0 : 1, c0 !== 0 ? c0 : c1);
      this.freeNode(m);
    }
    return true;
  }
}
