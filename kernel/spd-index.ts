// SPD lookup index: per (direction, family) a path-compressed binary trie on the destination prefix whose
// nodes hold a second trie on the source prefix; the source nodes hold the policies sharing both prefixes.
// A lookup visits only the prefixes containing the packet's addresses (RFC 4301 §4.4.1, KAME key_allocsp).
import type { Policy } from './policy.js';
import { IPSEC_ULPROTO_ANY, IPSEC_PORT_ANY } from './policy.js';

/** Leaves with more policies than this get a (proto, sport, dport) hash beside their ranked list. */
const LEAF_MAP_MIN = 8;

/** Writes an address as big-endian 32-bit words (signed int32, compared bitwise only). */
export function addrWords(a: Uint8Array, out: Int32Array): void {
  for (let i = 0, j = 0; j < a.length; i++, j += 4) {
    out[i] = (a[j]! << 24) | (a[j + 1]! << 16) | (a[j + 2]! << 8) | a[j + 3]!;
  }
}

function bitAt(w: Int32Array, b: number): number {
  return (w[b >>> 5]! >>> (31 - (b & 31))) & 1;
}

/** True when a's bits [from, len) equal w's (bits before `from` were checked by the caller). */
function matchFrom(w: Int32Array, a: Int32Array, from: number, len: number): boolean {
  const full = len >>> 5;
  let i = from >>> 5;
  for (; i < full; i++) if (w[i] !== a[i]) return false;
  const rem = len & 31;
  return rem === 0 || ((w[i]! ^ a[i]!) & (-1 << (32 - rem))) === 0;
}

/** Length of the common leading bits of x and y, at most max. */
function commonLen(x: Int32Array, y: Int32Array, max: number): number {
  for (let i = 0; i * 32 < max; i++) {
    const d = x[i]! ^ y[i]!;
    if (d !== 0) return Math.min(max, i * 32 + Math.clz32(d));
  }
  return max;
}

function maskWords(w: Int32Array, len: number): Int32Array {
  const out = new Int32Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const bits = len - i * 32;
    out[i] = bits >= 32 ? w[i]! : bits <= 0 ? 0 : w[i]! & (-1 << (32 - bits));
  }
  return out;
}

/** Invariant: a node other than the root holds a value or has two children. */
export class TrieNode<T> {
  c0: TrieNode<T> | null = null;
  c1: TrieNode<T> | null = null;
  val: T | null = null;
  constructor(readonly w: Int32Array, readonly len: number) {}
}

/** A path-compressed binary trie of prefixes (given as masked words and a length). */
export class PrefixTrie<T> {
  readonly root: TrieNode<T>;
  count = 0;
  constructor(readonly bits: number) {
    this.root = new TrieNode<T>(new Int32Array(bits >>> 5), 0);
  }

  find(w: Int32Array, len: number): T | null {
    let n: TrieNode<T> | null = this.root;
    while (n !== null && n.len < len) {
      n = bitAt(w, n.len) === 0 ? n.c0 : n.c1;
      if (n !== null && (n.len > len || commonLen(n.w, w, n.len) < n.len)) return null;
    }
    return n !== null && n.len === len ? n.val : null;
  }

  /** Returns the value at exactly (w, len), creating it with make() if absent. */
  insert(w: Int32Array, len: number, make: () => T): T {
    let n = this.root;
    for (;;) {
      if (n.len === len) return this.fill(n, make);
      const bit = bitAt(w, n.len);
      const child = bit === 0 ? n.c0 : n.c1;
      let repl: TrieNode<T>;
      let target: TrieNode<T>;
      if (child === null) {
        target = repl = new TrieNode<T>(maskWords(w, len), len);
      } else {
        const cpl = commonLen(child.w, w, Math.min(child.len, len));
        if (cpl === child.len) { n = child; continue; }
        if (cpl === len) {
          // The new prefix sits between n and child.
          target = repl = new TrieNode<T>(maskWords(w, len), len);
          this.link(repl, bitAt(child.w, len), child);
        } else {
          // They diverge at bit cpl: a glue node holds both.
          repl = new TrieNode<T>(maskWords(w, cpl), cpl);
          target = new TrieNode<T>(maskWords(w, len), len);
          this.link(repl, bitAt(child.w, cpl), child);
          this.link(repl, bitAt(w, cpl), target);
        }
      }
      this.link(n, bit, repl);
      return this.fill(target, make);
    }
  }

  /** Removes the value at exactly (w, len); returns whether there was one. */
  remove(w: Int32Array, len: number): boolean {
    const path: TrieNode<T>[] = [this.root];
    let n: TrieNode<T> | null = this.root;
    while (n.len < len) {
      n = bitAt(w, n.len) === 0 ? n.c0 : n.c1;
      if (n === null || n.len > len || commonLen(n.w, w, n.len) < n.len) return false;
      path.push(n);
    }
    if (n.len !== len || n.val === null) return false;
    n.val = null;
    this.count--;
    this.prune(path);
    return true;
  }

  private fill(n: TrieNode<T>, make: () => T): T {
    if (n.val === null) { n.val = make(); this.count++; }
    return n.val;
  }

  private link(parent: TrieNode<T>, bit: number, child: TrieNode<T> | null): void {
    if (bit === 0) parent.c0 = child; else parent.c1 = child;
  }

  private replaceChild(parent: TrieNode<T>, old: TrieNode<T>, repl: TrieNode<T> | null): void {
    if (parent.c0 === old) parent.c0 = repl; else parent.c1 = repl;
  }

  /** Restores the invariant after the last node of path lost its value. */
  private prune(path: TrieNode<T>[]): void {
    for (let i = path.length - 1; i > 0; i--) {
      const n = path[i]!;
      if (n.val !== null || (n.c0 !== null && n.c1 !== null)) return;
      this.replaceChild(path[i - 1]!, n, n.c0 ?? n.c1);
    }
  }
}

/** Policies sharing one (destination prefix, source prefix) pair, best rank first. */
export class Leaf {
  readonly list: Policy[] = [];
  map: Map<number, Policy> | null = null;
}

/** Lower priority wins; equal priorities go to the older policy (KAME key_insertsp + key_allocsp). */
export function isBetter(a: Policy, b: Policy): boolean {
  return a.priority < b.priority || (a.priority === b.priority && a.seq < b.seq);
}

function ulKey(proto: number, sport: number, dport: number): number {
  return proto * 0x100000000 + sport * 0x10000 + dport;
}

function leafAdd(leaf: Leaf, p: Policy): void {
  const list = leaf.list;
  let i = list.length;
  while (i > 0 && isBetter(p, list[i - 1]!)) i--;
  list.splice(i, 0, p);
  const s = p.selector;
  if (leaf.map !== null) leaf.map.set(ulKey(s.proto, s.sport, s.dport), p);
  else if (list.length > LEAF_MAP_MIN) {
    leaf.map = new Map();
    for (const q of list) leaf.map.set(ulKey(q.selector.proto, q.selector.sport, q.selector.dport), q);
  }
}

function leafRemove(leaf: Leaf, p: Policy): boolean {
  const i = leaf.list.indexOf(p);
  if (i < 0) return false;
  leaf.list.splice(i, 1);
  if (leaf.map !== null) {
    const s = p.selector;
    leaf.map.delete(ulKey(s.proto, s.sport, s.dport));
    if (leaf.list.length <= LEAF_MAP_MIN / 2) leaf.map = null;
  }
  return true;
}

/** The index of one (direction, family): add, remove and the best-match lookup. */
export class SelectorIndex {
  private readonly dst: PrefixTrie<PrefixTrie<Leaf>>;
  private readonly sw: Int32Array;
  private readonly dw: Int32Array;
  size = 0;

  constructor(readonly bits: 32 | 128) {
    this.dst = new PrefixTrie(bits);
    this.sw = new Int32Array(bits >>> 5);
    this.dw = new Int32Array(bits >>> 5);
  }

  add(p: Policy): void {
    const s = p.selector;
    addrWords(s.dst.addr, this.dw);
    addrWords(s.src.addr, this.sw);
    const srcTrie = this.dst.insert(this.dw, s.dst.len, () => new PrefixTrie<Leaf>(this.bits));
    leafAdd(srcTrie.insert(this.sw, s.src.len, () => new Leaf()), p);
    this.size++;
  }

  remove(p: Policy): boolean {
    const s = p.selector;
    addrWords(s.dst.addr, this.dw);
    addrWords(s.src.addr, this.sw);
    const srcTrie = this.dst.find(this.dw, s.dst.len);
    const leaf = srcTrie?.find(this.sw, s.src.len);
    if (!srcTrie || !leaf || !leafRemove(leaf, p)) return false;
    if (leaf.list.length === 0) srcTrie.remove(this.sw, s.src.len);
    if (srcTrie.count === 0) this.dst.remove(this.dw, s.dst.len);
    this.size--;
    return true;
  }

  /** Best policy for the packet; sw/dw are the address words (see addrWords). */
  lookup(sw: Int32Array, dw: Int32Array, proto: number, sport: number, dport: number): Policy | null {
    let best: Policy | null = null;
    let n: TrieNode<PrefixTrie<Leaf>> | null = this.dst.root;
    let from = 0;
    while (n !== null && matchFrom(n.w, dw, from, n.len)) {
      if (n.val !== null) best = this.scanSources(n.val.root, sw, proto, sport, dport, best);
      from = n.len;
      if (from === this.bits) break;
      n = bitAt(dw, from) === 0 ? n.c0 : n.c1;
    }
    return best;
  }

  private scanSources(root: TrieNode<Leaf>, sw: Int32Array, proto: number, sport: number, dport: number,
    best: Policy | null): Policy | null {
    let n: TrieNode<Leaf> | null = root;
    let from = 0;
    while (n !== null && matchFrom(n.w, sw, from, n.len)) {
      if (n.val !== null) best = scanLeaf(n.val, proto, sport, dport, best);
      from = n.len;
      if (from === this.bits) break;
      n = bitAt(sw, from) === 0 ? n.c0 : n.c1;
    }
    return best;
  }
}

function ulMatches(p: Policy, proto: number, sport: number, dport: number): boolean {
  const s = p.selector;
  return (s.proto === IPSEC_ULPROTO_ANY || s.proto === proto)
    && (s.sport === IPSEC_PORT_ANY || s.sport === sport)
    && (s.dport === IPSEC_PORT_ANY || s.dport === dport);
}

function scanLeaf(leaf: Leaf, proto: number, sport: number, dport: number, best: Policy | null): Policy | null {
  const list = leaf.list;
  // The list is ranked: if its head cannot beat `best`, nothing in it can.
  if (best !== null && !isBetter(list[0]!, best)) return best;
  if (leaf.map === null) {
    for (let i = 0; i < list.length; i++) {
      const p = list[i]!;
      if (ulMatches(p, proto, sport, dport)) return best === null || isBetter(p, best) ? p : best;
    }
    return best;
  }
  // Large leaf: at most one policy per (proto, sport, dport), so probe the 8 wildcard combinations.
  const map = leaf.map;
  for (let k = 0; k < 8; k++) {
    const pr = k & 4 ? IPSEC_ULPROTO_ANY : proto;
    const sp = k & 2 ? IPSEC_PORT_ANY : sport;
    const dp = k & 1 ? IPSEC_PORT_ANY : dport;
    const p = map.get(ulKey(pr, sp, dp));
    if (p !== undefined && (best === null || isBetter(p, best))) best = p;
  }
  return best;
}
