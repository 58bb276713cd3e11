// SPD lookup index: per (direction, family) a path-compressed binary trie on the destination prefix whose
// nodes hold a second trie on the source prefix; a source node heads the ranked list of the policies that
// share both prefixes. A lookup visits only prefixes containing the packet's addresses (RFC 4301 §4.4.1,
// KAME key_allocsp). Everything a lookup reads lives in flat Int32Arrays: main-memory misses, not
// instructions, decide the speed of a 100,000-policy SPD.
import type { Policy } from './policy.js';
import { TriePool } from './spd-trie.js';

// Local copies of ULPROTO_ANY, PORT_ANY (policy.ts) and VAL_MASK (spd-trie.ts): the hot loops
// read these, and under a CommonJS-style loader (tsx) each imported binding is a getter call.
const ULPROTO_ANY = 255;
const PORT_ANY = 0;
const VAL_MASK = 0xffffff;

/** Leaves with more policies than this get a (proto, sport, dport) hash beside their ranked list. */
const LEAF_MAP_MIN = 8;
/** Ints per policy slot: ports (sport << 16 | dport), proto, biased priority, seq, next slot, leaf count. */
const PSTRIDE = 8;
const P_PORTS = 0, P_PROTO = 1, P_PRIO = 2, P_SEQ = 3, P_NEXT = 4, P_COUNT = 5;

/** Writes an address as big-endian 32-bit words (signed int32, compared bitwise only). */
export function addrWords(a: Uint8Array, out: Int32Array): void {
  for (let i = 0, j = 0; j < a.length; i++, j += 4) {
    out[i] = (a[j]! << 24) | (a[j + 1]! << 16) | (a[j + 2]! << 8) | a[j + 3]!;
  }
}

/** True when a's bits [from, len) equal the node's (bits before `from` were checked on the way down). */
function matchFrom(nd: Int32Array, b: number, a: Int32Array, from: number, len: number, words: number): boolean {
  if (words === 1) {
    return len === 0 || ((nd[b]! ^ a[0]!) & (-1 << (32 - len))) === 0;
  }
  const full = len >>> 5;
  let i = from >>> 5;
  for (; i < full; i++) if (nd[b + i] !== a[i]) return false;
  const rem = len & 31;
  return rem === 0 || ((nd[b + i]! ^ a[i]!) & (-1 << (32 - rem))) === 0;
}

/** Lower priority wins; equal priorities go to the older policy (KAME key_insertsp + key_allocsp). */
export function isBetter(a: Policy, b: Policy): boolean {
  return a.priority < b.priority || (a.priority === b.priority && a.seq < b.seq);
}

function ulKey(proto: number, sport: number, dport: number): number {
  return proto * 0x100000000 + sport * 0x10000 + dport;
}

/** The index of one (direction, family): add, remove and the best-match lookup. */
export class SelectorIndex {
  private readonly pool: TriePool;
  private dstRoot: number;
  /** Policy slots (1-based; PSTRIDE ints each) and the policies they stand for. */
  private pol = new Int32Array(PSTRIDE * 64);
  /** Last use (ms) per slot: kept here so a lookup does not have to touch the Policy object. */
  private used = new Float64Array(64);
  private readonly policies: (Policy | undefined)[] = [undefined];
  private readonly freeSlots: number[] = [];
  private readonly slotById = new Map<number, number>();
  /** Hash of the large leaves, by source-trie node. */
  private readonly leafMaps = new Map<number, Map<number, number>>();
  private readonly sw: Int32Array;
  private readonly dw: Int32Array;
  /** The words of the addresses of the current query (setQuery), for lookup() and the flow cache. */
  readonly qs: Int32Array;
  readonly qd: Int32Array;
  readonly words: 1 | 4;
  size = 0;

  constructor(readonly bits: 32 | 128) {
    this.words = bits === 32 ? 1 : 4;
    this.pool = new TriePool(this.words);
    this.dstRoot = this.pool.newRoot();
    this.sw = new Int32Array(this.words);
    this.dw = new Int32Array(this.words);
    this.qs = new Int32Array(this.words);
    this.qd = new Int32Array(this.words);
  }

  /** Loads the packet addresses (of this index's family) into qs/qd. */
  setQuery(src: Uint8Array, dst: Uint8Array): void {
    addrWords(src, this.qs);
    addrWords(dst, this.qd);
  }

  add(p: Policy): void {
    const s = p.selector, pool = this.pool;
    addrWords(s.dst.addr, this.dw);
    addrWords(s.src.addr, this.sw);
    const dn = pool.insert(this.dstRoot, this.dw, s.dst.len);
    if (pool.val(dn) === 0) pool.setVal(dn, pool.newRoot());
    const sn = pool.insert(pool.val(dn), this.sw, s.src.len);
    const slot = this.newSlot(p);
    this.leafInsert(sn, slot);
    this.size++;
    this.maybeCompact();
  }

  /**
   * Rewrites the node pool in depth-first order: each destination node, then its source trie, then its
   * children. Runs by itself when the pool has allocated as many nodes as it held at the last compaction
   * (amortised O(1) per add); callers may also run it after a bulk load.
   */
  compact(): void {
    const pool = this.pool;
    const dstNodes: number[] = [];
    const moved = pool.compact((place) => {
      const walkSrc = (n: number): void => {
        if (n === 0) return;
        place(n);
        walkSrc(pool.child(n, 0)); walkSrc(pool.child(n, 1));
      };
      const walkDst = (n: number): void => {
        if (n === 0) return;
        dstNodes.push(place(n));
        walkSrc(pool.val(n));
        walkDst(pool.child(n, 0)); walkDst(pool.child(n, 1));
      };
      walkDst(this.dstRoot);
    });
    // Destination values are source roots (node numbers); source values are policy slots and stay.
    for (const m of dstNodes) if (pool.val(m) !== 0) pool.setVal(m, moved[pool.val(m)]!);
    const maps = [...this.leafMaps];
    this.leafMaps.clear();
    for (const [o, map] of maps) this.leafMaps.set(moved[o]!, map);
    this.dstRoot = moved[this.dstRoot]!;
  }

  private maybeCompact(): void {
    const pool = this.pool;
    if (pool.allocs >= 4096 && pool.allocs >= pool.liveAtCompact) this.compact();
  }

  remove(p: Policy): boolean {
    const slot = this.slotById.get(p.id);
    if (slot === undefined || this.policies[slot] !== p) return false;
    const s = p.selector, pool = this.pool;
    addrWords(s.dst.addr, this.dw);
    addrWords(s.src.addr, this.sw);
    const dn = pool.find(this.dstRoot, this.dw, s.dst.len);
    const srcRoot = dn === 0 ? 0 : pool.val(dn);
    const sn = srcRoot === 0 ? 0 : pool.find(srcRoot, this.sw, s.src.len);
    if (sn === 0 || !this.leafUnlink(sn, slot)) return false;
    if (pool.val(sn) === 0) {
      // The leaf is empty: drop the source node, and the destination node once its trie is empty.
      pool.remove(srcRoot, this.sw, s.src.len);
      if (pool.isEmptyRoot(srcRoot)) {
        pool.remove(this.dstRoot, this.dw, s.dst.len);
        pool.freeNode(srcRoot);
      }
    }
    this.freeSlot(slot, p);
    this.size--;
    return true;
  }

  /** The policy in a slot returned by lookupSlot. */
  policyAt(slot: number): Policy | undefined { return this.policies[slot]; }
  /** Records a use of the policy in slot (KAME key_allocsp sets lastused). */
  touch(slot: number, nowMs: number): void { this.used[slot] = nowMs; }
  /** Last use of an indexed policy, or undefined if it is not in this index. */
  lastUsedOf(p: Policy): number | undefined {
    const slot = this.slotById.get(p.id);
    return slot !== undefined && this.policies[slot] === p ? this.used[slot] : undefined;
  }

  /** Best policy for the packet; sw/dw are the address words (see setQuery). */
  lookup(sw: Int32Array, dw: Int32Array, proto: number, sport: number, dport: number): Policy | undefined {
    const slot = this.lookupSlot(sw, dw, proto, sport, dport);
    return slot === 0 ? undefined : this.policies[slot];
  }

  /** The slot of the best policy for the packet, 0 if none. */
  lookupSlot(sw: Int32Array, dw: Int32Array, proto: number, sport: number, dport: number): number {
    const pool = this.pool, nd = pool.nodes, words = this.words, bits = this.bits;
    const st = pool.stride, oc0 = pool.oc0, olv = pool.olv;
    let best = 0;
    let n = this.dstRoot, from = 0, prev = -1;
    while (n !== 0) {
      const b = n * st, lv = nd[b + olv]!, len = lv >>> 24;
      // Lengths grow strictly down a path; the check bounds the walk even if the pool were corrupt.
      if (len <= prev || !matchFrom(nd, b, dw, from, len, words)) break;
      prev = len;
      const v = lv & VAL_MASK;
      if (v !== 0) best = this.scanSources(nd, v, sw, proto, sport, dport, best);
      if (len === bits) break;
      from = len;
      n = nd[b + oc0 + ((dw[from >>> 5]! >>> (31 - (from & 31))) & 1)]!;
    }
    return best;
  }

  private scanSources(nd: Int32Array, root: number, sw: Int32Array, proto: number, sport: number, dport: number,
    best: number): number {
    const words = this.words, bits = this.bits, st = this.pool.stride, oc0 = this.pool.oc0, olv = this.pool.olv;
    let n = root, from = 0, prev = -1;
    while (n !== 0) {
      const b = n * st, lv = nd[b + olv]!, len = lv >>> 24;
      if (len <= prev || !matchFrom(nd, b, sw, from, len, words)) break;
      prev = len;
      const v = lv & VAL_MASK;
      if (v !== 0) best = this.scanLeaf(n, v, proto, sport, dport, best);
      if (len === bits) break;
      from = len;
      n = nd[b + oc0 + ((sw[from >>> 5]! >>> (31 - (from & 31))) & 1)]!;
    }
    return best;
  }

  /** The best of `best` and the leaf headed by slot `head` (source node `node`) for this packet. */
  private scanLeaf(node: number, head: number, proto: number, sport: number, dport: number, best: number): number {
    const pol = this.pol;
    // The list is ranked: if its head cannot beat `best`, nothing in it can.
    if (best !== 0 && !this.slotBetter(head, best)) return best;
    if (pol[head * PSTRIDE + P_COUNT]! <= LEAF_MAP_MIN) {
      for (let s = head; s !== 0; s = pol[s * PSTRIDE + P_NEXT]!) {
        const b = s * PSTRIDE, ports = pol[b + P_PORTS]!, pr = pol[b + P_PROTO]!;
        const sp = ports >>> 16, dp = ports & 0xffff;
        if ((pr === ULPROTO_ANY || pr === proto) && (sp === PORT_ANY || sp === sport)
          && (dp === PORT_ANY || dp === dport)) {
          return best === 0 || this.slotBetter(s, best) ? s : best;
        }
      }
      return best;
    }
    // Large leaf: at most one policy per (proto, sport, dport), so probe the 8 wildcard combinations.
    const map = this.leafMaps.get(node)!;
    for (let k = 0; k < 8; k++) {
      const s = map.get(ulKey(k & 4 ? ULPROTO_ANY : proto, k & 2 ? PORT_ANY : sport, k & 1 ? PORT_ANY : dport));
      if (s !== undefined && (best === 0 || this.slotBetter(s, best))) best = s;
    }
    return best;
  }

  private slotBetter(a: number, b: number): boolean {
    const pol = this.pol, pa = pol[a * PSTRIDE + P_PRIO]!, pb = pol[b * PSTRIDE + P_PRIO]!;
    return pa < pb || (pa === pb && pol[a * PSTRIDE + P_SEQ]! < pol[b * PSTRIDE + P_SEQ]!);
  }

  private newSlot(p: Policy): number {
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      slot = this.policies.length;
      this.policies.push(undefined);
      if ((slot + 1) * PSTRIDE > this.pol.length) {
        const grown = new Int32Array(this.pol.length * 2);
        grown.set(this.pol);
        this.pol = grown;
        const used = new Float64Array(this.used.length * 2);
        used.set(this.used);
        this.used = used;
      }
    }
    const s = p.selector, b = slot * PSTRIDE, pol = this.pol;
    pol[b + P_PORTS] = (s.sport << 16) | s.dport;
    pol[b + P_PROTO] = s.proto;
    pol[b + P_PRIO] = (p.priority ^ 0x80000000) | 0; // unsigned order as signed int32
    pol[b + P_SEQ] = p.seq;
    pol[b + P_NEXT] = 0;
    pol[b + P_COUNT] = 0;
    this.policies[slot] = p;
    this.used[slot] = p.createdMs;
    this.slotById.set(p.id, slot);
    return slot;
  }

  private freeSlot(slot: number, p: Policy): void {
    this.pol.fill(0, slot * PSTRIDE, slot * PSTRIDE + PSTRIDE);
    this.policies[slot] = undefined;
    this.slotById.delete(p.id);
    this.freeSlots.push(slot);
  }

  private slotKey(s: number): number {
    const b = s * PSTRIDE, ports = this.pol[b + P_PORTS]!;
    return ulKey(this.pol[b + P_PROTO]!, ports >>> 16, ports & 0xffff);
  }

  /** Links slot into the ranked list of source node sn (behind equal priorities: KAME key_insertsp). */
  private leafInsert(sn: number, slot: number): void {
    const pool = this.pool, pol = this.pol;
    const head = pool.val(sn);
    const count = head === 0 ? 1 : pol[head * PSTRIDE + P_COUNT]! + 1;
    if (head === 0 || this.slotBetter(slot, head)) {
      pol[slot * PSTRIDE + P_NEXT] = head;
      pool.setVal(sn, slot);
    } else {
      let prev = head;
      for (let next = pol[prev * PSTRIDE + P_NEXT]!; next !== 0 && !this.slotBetter(slot, next); next = pol[next * PSTRIDE + P_NEXT]!) prev = next;
      pol[slot * PSTRIDE + P_NEXT] = pol[prev * PSTRIDE + P_NEXT]!;
      pol[prev * PSTRIDE + P_NEXT] = slot;
    }
    pol[pool.val(sn) * PSTRIDE + P_COUNT] = count;
    let map = this.leafMaps.get(sn);
    if (map) map.set(this.slotKey(slot), slot);
    else if (count > LEAF_MAP_MIN) {
      map = new Map();
      for (let s = pool.val(sn); s !== 0; s = pol[s * PSTRIDE + P_NEXT]!) map.set(this.slotKey(s), s);
      this.leafMaps.set(sn, map);
    }
  }

  /** Unlinks slot from the list of source node sn; the node's value becomes 0 when the list empties. */
  private leafUnlink(sn: number, slot: number): boolean {
    const pool = this.pool, pol = this.pol;
    const head = pool.val(sn);
    const count = pol[head * PSTRIDE + P_COUNT]! - 1;
    if (head === slot) {
      pool.setVal(sn, pol[slot * PSTRIDE + P_NEXT]!);
    } else {
      let prev = head;
      while (prev !== 0 && pol[prev * PSTRIDE + P_NEXT] !== slot) prev = pol[prev * PSTRIDE + P_NEXT]!;
      if (prev === 0) return false;
      pol[prev * PSTRIDE + P_NEXT] = pol[slot * PSTRIDE + P_NEXT]!;
    }
    const newHead = pool.val(sn);
    if (newHead !== 0) pol[newHead * PSTRIDE + P_COUNT] = count;
    const map = this.leafMaps.get(sn);
    if (map) {
      map.delete(this.slotKey(slot));
      if (count <= LEAF_MAP_MIN / 2) this.leafMaps.delete(sn);
    }
    return true;
  }
}
