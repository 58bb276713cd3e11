// Path-compressed binary tries of address prefixes kept in one flat Int32Array (a node = 8 ints, no object
// hops): the storage behind the SPD index (spd-index.ts). Node 0 means "none".

/** Ints per node: prefix words (1 or 4, padded to 4), then length, child 0, child 1, value. */
export const STRIDE = 8;
export const LEN = 4, C0 = 5, C1 = 6, VAL = 7;

/** Writes an address as big-endian 32-bit words (signed int32, compared bitwise only). */
export function addrWords(a: Uint8Array, out: Int32Array): void {
  for (let i = 0, j = 0; j < a.length; i++, j += 4) {
    out[i] = (a[j]! << 24) | (a[j + 1]! << 16) | (a[j + 2]! << 8) | a[j + 3]!;
  }
}

export function bitAt(w: Int32Array, b: number): number {
  return (w[b >>> 5]! >>> (31 - (b & 31))) & 1;
}

/**
 * Path-compressed binary tries of prefixes in a node pool. Node 0 is "none". A node other than a root holds
 * a value or has two children. Values are ints, 0 meaning none (callers keep 1-based indexes).
 */
export class TriePool {
  nodes: Int32Array;
  private top = 1;
  private readonly free: number[] = [];
  constructor(readonly words: 1 | 4) {
    this.nodes = new Int32Array(STRIDE * 64);
  }

  /** A new empty root (length 0). */
  newRoot(): number {
    return this.alloc(null, 0);
  }

  freeNode(n: number): void {
    this.nodes.fill(0, n * STRIDE, n * STRIDE + STRIDE);
    this.free.push(n);
  }

  private alloc(w: Int32Array | null, len: number): number {
    let n = this.free.pop();
    if (n === undefined) {
      if ((this.top + 1) * STRIDE > this.nodes.length) {
        const grown = new Int32Array(this.nodes.length * 2);
        grown.set(this.nodes);
        this.nodes = grown;
      }
      n = this.top++;
    }
    const b = n * STRIDE, nd = this.nodes;
    for (let i = 0; i < this.words; i++) {
      const bits = len - i * 32;
      nd[b + i] = w === null || bits <= 0 ? 0 : bits >= 32 ? w[i]! : w[i]! & (-1 << (32 - bits));
    }
    nd[b + LEN] = len; nd[b + C0] = 0; nd[b + C1] = 0; nd[b + VAL] = 0;
    return n;
  }

  /** Common leading bits of node n's prefix and w, at most max. */
  private common(n: number, w: Int32Array, max: number): number {
    const b = n * STRIDE, nd = this.nodes;
    for (let i = 0; i * 32 < max; i++) {
      const d = nd[b + i]! ^ w[i]!;
      if (d !== 0) return Math.min(max, i * 32 + Math.clz32(d));
    }
    return max;
  }

  private nodeBit(n: number, bit: number): number {
    return (this.nodes[n * STRIDE + (bit >>> 5)]! >>> (31 - (bit & 31))) & 1;
  }

  private child(n: number, bit: number): number {
    return this.nodes[n * STRIDE + C0 + bit]!;
  }

  private setChild(n: number, bit: number, c: number): void {
    this.nodes[n * STRIDE + C0 + bit] = c;
  }

  len(n: number): number { return this.nodes[n * STRIDE + LEN]!; }
  val(n: number): number { return this.nodes[n * STRIDE + VAL]!; }
  setVal(n: number, v: number): void { this.nodes[n * STRIDE + VAL] = v; }
  isEmptyRoot(root: number): boolean {
    const b = root * STRIDE, nd = this.nodes;
    return nd[b + VAL] === 0 && nd[b + C0] === 0 && nd[b + C1] === 0;
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

  /** Clears the value at exactly (w, len) under root and restores the invariant; false if absent. */
  remove(root: number, w: Int32Array, len: number): boolean {
    const path = [root];
    let n = root;
    while (this.len(n) < len) {
      n = this.child(n, bitAt(w, this.len(n)));
      if (n === 0 || this.len(n) > len || this.common(n, w, this.len(n)) < this.len(n)) return false;
      path.push(n);
    }
    if (this.len(n) !== len || this.val(n) === 0) return false;
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

/** True when a's bits [from, len) equal the node's (bits before `from` were checked on the way down). */
export function matchFrom(nd: Int32Array, b: number, a: Int32Array, from: number, len: number, words: number): boolean {
  if (words === 1) {
    return len === 0 || ((nd[b]! ^ a[0]!) & (-1 << (32 - len))) === 0;
  }
  const full = len >>> 5;
  let i = from >>> 5;
  for (; i < full; i++) if (nd[b + i] !== a[i]) return false;
  const rem = len & 31;
  return rem === 0 || ((nd[b + i]! ^ a[i]!) & (-1 << (32 - rem))) === 0;
}

