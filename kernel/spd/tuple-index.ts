// SPD lookup index by tuple space search: per (direction, family), one hash table per (destination prefix
// length, source prefix length) pair present, keyed on the masked prefixes (spd/tuple.ts); an entry heads
// the ranked list of the policies sharing both prefixes. A lookup probes each table once with the packet's
// masked addresses — independent probes, not a chain of dependent trie loads — in order of the best priority
// each table holds, and stops when no later table can win (RFC 4301 §4.4.1, KAME key_allocsp order).
import type { Policy } from './policy.js';
import { TupleTable } from './tuple.js';

// Local copies of ULPROTO_ANY, PORT_ANY (policy.ts) and the E_* offsets (spd/tuple.ts): the hot loops read
// these, and under a CommonJS-style loader (tsx) each imported binding is a getter call.
const ULPROTO_ANY = 255;
const PORT_ANY = 0;
const E_HP = 0,
  E_PORTS = 1,
  E_PRIO = 2,
  E_SEQ = 3,
  E_USED = 4;
/** Slot bits of E_HP (the proto is in the top 8): at most 2^24 - 1 policy slots per index. */
const HEAD_MASK = 0xffffff;

/** Leaves with more policies than this get a (proto, sport, dport) hash beside their ranked list. */
const LEAF_MAP_MIN = 8;
/** Ints per policy slot: ports (sport << 16 | dport), proto, biased priority, seq, next slot, leaf count. */
const PSTRIDE = 8;
const P_PORTS = 0,
  P_PROTO = 1,
  P_PRIO = 2,
  P_SEQ = 3,
  P_NEXT = 4,
  P_COUNT = 5;

/** Writes an address as big-endian 32-bit words (signed int32, compared bitwise only). */
export function addrWords(a: Uint8Array, out: Int32Array): void {
  for (let i = 0, j = 0; j < a.length; i++, j += 4) {
    out[i] = (a[j]! << 24) | (a[j + 1]! << 16) | (a[j + 2]! << 8) | a[j + 3]!;
  }
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
  /** Tables by dlen << 8 | slen, and the same tables sorted by their priority bound (lookup order). */
  private readonly tuples = new Map<number, TupleTable>();
  private order: TupleTable[] = [];
  /** Policy slots (1-based; PSTRIDE ints each) and the policies they stand for. */
  private pol = new Int32Array(PSTRIDE * 64);
  /** Last use (ms) per slot: kept here so a lookup does not have to touch the Policy object. */
  private used = new Float64Array(64);
  private readonly policies: (Policy | undefined)[] = [undefined];
  private readonly freeSlots: number[] = [];
  private readonly slotById = new Map<number, number>();
  /** Hash of the large leaves, by the slot heading the leaf. */
  private readonly leafMaps = new Map<number, Map<number, number>>();
  /** Where the last lookup's winner keeps its last use when it heads its list (touch writes there). */
  private hitSlot = 0;
  private hitF64: Float64Array = new Float64Array(1);
  private hitIdx = 0;
  private readonly sw: Int32Array;
  private readonly dw: Int32Array;
  /** Masked address words of the current probe. */
  private readonly ms: Int32Array;
  private readonly md: Int32Array;
  /** The words of the addresses of the current query (setQuery), for lookup() and the flow cache. */
  readonly qs: Int32Array;
  readonly qd: Int32Array;
  readonly words: 1 | 4;
  size = 0;

  constructor(readonly bits: 32 | 128) {
    this.words = bits === 32 ? 1 : 4;
    this.sw = new Int32Array(this.words);
    this.dw = new Int32Array(this.words);
    this.ms = new Int32Array(this.words);
    this.md = new Int32Array(this.words);
    this.qs = new Int32Array(this.words);
    this.qd = new Int32Array(this.words);
  }

  /** Loads the packet addresses (of this index's family) into qs/qd. */
  setQuery(src: Uint8Array, dst: Uint8Array): void {
    addrWords(src, this.qs);
    addrWords(dst, this.qd);
  }

  /** Number of (destination length, source length) tables: what a lookup may probe. */
  get tupleCount(): number {
    return this.order.length;
  }

  add(p: Policy): void {
    const s = p.selector;
    let t = this.tuples.get((s.dst.len << 8) | s.src.len);
    if (t === undefined) {
      t = new TupleTable(s.dst.len, s.src.len, this.words);
      this.tuples.set((s.dst.len << 8) | s.src.len, t);
      this.order.push(t);
    }
    this.maskedKey(t, s.dst.addr, s.src.addr);
    // A growth re-computes the bound exactly, which may raise it (after removals); an insert may lower it.
    const bp = t.boundPrio,
      bs = t.boundSeq;
    let e = t.find(this.md, this.ms);
    if (e < 0) e = t.insert(this.md, this.ms);
    this.hitSlot = 0;
    const slot = this.newSlot(p);
    this.leafInsert(t, e + t.base, slot);
    t.lowerBound(this.pol[slot * PSTRIDE + P_PRIO]!, p.seq);
    if (t.boundPrio !== bp || t.boundSeq !== bs) this.sortOrder();
    this.size++;
  }

  /** Right-sizes every table and makes the priority bounds exact again (they only loosen on removal). */
  compact(): void {
    this.hitSlot = 0;
    for (const t of this.order) t.rebuild();
    this.sortOrder();
  }

  remove(p: Policy): boolean {
    const slot = this.slotById.get(p.id);
    if (slot === undefined || this.policies[slot] !== p) return false;
    const s = p.selector,
      key = (s.dst.len << 8) | s.src.len;
    const t = this.tuples.get(key);
    if (t === undefined) return false;
    this.maskedKey(t, s.dst.addr, s.src.addr);
    const e = t.find(this.md, this.ms);
    if (e < 0 || !this.leafUnlink(t, e + t.base, slot)) return false;
    this.hitSlot = 0;
    if ((t.ents[e + t.base + E_HP]! & HEAD_MASK) === 0) {
      // The pair has no policy left: drop its entry, and the table once it is empty.
      const bp = t.boundPrio,
        bs = t.boundSeq;
      t.delete(e);
      if (t.count === 0) {
        this.tuples.delete(key);
        this.order = this.order.filter((x) => x !== t);
      } else if (t.boundPrio !== bp || t.boundSeq !== bs) this.sortOrder(); // a shrink made the bound exact
    }
    this.freeSlot(slot, p);
    this.size--;
    return true;
  }

  /** The policy in a slot returned by lookupSlot. */
  policyAt(slot: number): Policy | undefined {
    return this.policies[slot];
  }
  /** Records a use of the policy in slot (KAME key_allocsp sets lastused). A list head's use goes to its
   * entry, which the lookup that found it has just read; the last use is the later of the two places. */
  touch(slot: number, nowMs: number): void {
    if (slot === this.hitSlot) this.hitF64[this.hitIdx] = nowMs;
    else this.used[slot] = nowMs;
  }
  /** Last use of an indexed policy, or undefined if it is not in this index. */
  lastUsedOf(p: Policy): number | undefined {
    const slot = this.slotById.get(p.id);
    if (slot === undefined || this.policies[slot] !== p) return undefined;
    const s = p.selector,
      t = this.tuples.get((s.dst.len << 8) | s.src.len);
    let u = this.used[slot]!;
    if (t !== undefined) {
      this.maskedKey(t, s.dst.addr, s.src.addr);
      const e = t.find(this.md, this.ms);
      if (e >= 0 && (t.ents[e + t.base + E_HP]! & HEAD_MASK) === slot)
        u = Math.max(u, t.f64[(e + t.base + E_USED) >> 1]!);
    }
    return u;
  }

  /** Best policy for the packet; sw/dw are the address words (see setQuery). */
  lookup(sw: Int32Array, dw: Int32Array, proto: number, sport: number, dport: number): Policy | undefined {
    const slot = this.lookupSlot(sw, dw, proto, sport, dport);
    return slot === 0 ? undefined : this.policies[slot];
  }

  /** The slot of the best policy for the packet, 0 if none. */
  lookupSlot(sw: Int32Array, dw: Int32Array, proto: number, sport: number, dport: number): number {
    const order = this.order,
      pol = this.pol,
      v4 = this.words === 1,
      md = this.md,
      ms = this.ms;
    let best = 0,
      bp = 0,
      bs = 0,
      hitF64 = this.hitF64,
      hitIdx = -1;
    for (let k = 0; k < order.length; k++) {
      const t = order[k]!;
      // Tables are sorted by bound: once the best so far beats this one's, it beats all that follow.
      if (best !== 0 && (bp < t.boundPrio || (bp === t.boundPrio && bs < t.boundSeq))) break;
      let e: number;
      if (v4) e = t.find4(dw[0]! & t.dm0, sw[0]! & t.sm0);
      else {
        const dm = t.dmask,
          sm = t.smask;
        for (let i = 0; i < 4; i++) {
          md[i] = dw[i]! & dm[i]!;
          ms[i] = sw[i]! & sm[i]!;
        }
        e = t.find(md, ms);
      }
      if (e < 0) continue;
      const ents = t.ents,
        eb = e + t.base,
        hp = ents[eb + E_PRIO]!;
      // The list is ranked: if its head cannot beat `best`, nothing in it can.
      if (best !== 0 && (bp < hp || (bp === hp && bs < ents[eb + E_SEQ]!))) continue;
      const s = this.leafMatch(ents, eb, proto, sport, dport);
      if (s === 0) continue;
      // The head's rank is inline too; only a later list entry costs a load from the policy slots.
      const head = s === (ents[eb + E_HP]! & HEAD_MASK);
      const sp = head ? hp : pol[s * PSTRIDE + P_PRIO]!,
        ss = head ? ents[eb + E_SEQ]! : pol[s * PSTRIDE + P_SEQ]!;
      if (best === 0 || sp < bp || (sp === bp && ss < bs)) {
        best = s;
        bp = sp;
        bs = ss;
        if (head) {
          hitF64 = t.f64;
          hitIdx = (eb + E_USED) >> 1;
        } else hitIdx = -1;
      }
    }
    this.hitSlot = hitIdx < 0 ? 0 : best;
    this.hitF64 = hitF64;
    this.hitIdx = hitIdx;
    return best;
  }

  /** The first policy of the ranked list at entry field offset eb that matches proto/ports, 0 if none. */
  private leafMatch(ents: Int32Array, eb: number, proto: number, sport: number, dport: number): number {
    const hp = ents[eb + E_HP]!,
      head = hp & HEAD_MASK,
      hpr = hp >>> 24,
      hports = ents[eb + E_PORTS]!;
    // The head's match data is inline in the entry: the usual one-policy pair needs no other load.
    if (
      (hpr === ULPROTO_ANY || hpr === proto) &&
      (hports >>> 16 === PORT_ANY || hports >>> 16 === sport) &&
      ((hports & 0xffff) === PORT_ANY || (hports & 0xffff) === dport)
    )
      return head;
    const pol = this.pol;
    if (pol[head * PSTRIDE + P_COUNT]! <= LEAF_MAP_MIN) {
      for (let s = pol[head * PSTRIDE + P_NEXT]!; s !== 0; s = pol[s * PSTRIDE + P_NEXT]!) {
        const b = s * PSTRIDE,
          ports = pol[b + P_PORTS]!,
          pr = pol[b + P_PROTO]!;
        const sp = ports >>> 16,
          dp = ports & 0xffff;
        if (
          (pr === ULPROTO_ANY || pr === proto) &&
          (sp === PORT_ANY || sp === sport) &&
          (dp === PORT_ANY || dp === dport)
        )
          return s;
      }
      return 0;
    }
    // Large leaf: at most one policy per (proto, sport, dport), so probe the 8 wildcard combinations.
    const map = this.leafMaps.get(head)!;
    let best = 0;
    for (let k = 0; k < 8; k++) {
      const s = map.get(ulKey(k & 4 ? ULPROTO_ANY : proto, k & 2 ? PORT_ANY : sport, k & 1 ? PORT_ANY : dport));
      if (s !== undefined && (best === 0 || this.slotBetter(s, best))) best = s;
    }
    return best;
  }

  /** Loads md/ms with the selector's prefixes masked to the table's lengths. */
  private maskedKey(t: TupleTable, dst: Uint8Array, src: Uint8Array): void {
    addrWords(dst, this.dw);
    addrWords(src, this.sw);
    for (let i = 0; i < this.words; i++) {
      this.md[i] = this.dw[i]! & t.dmask[i]!;
      this.ms[i] = this.sw[i]! & t.smask[i]!;
    }
  }

  private sortOrder(): void {
    this.order.sort((a, b) => a.boundPrio - b.boundPrio || a.boundSeq - b.boundSeq);
  }

  private slotBetter(a: number, b: number): boolean {
    const pol = this.pol,
      pa = pol[a * PSTRIDE + P_PRIO]!,
      pb = pol[b * PSTRIDE + P_PRIO]!;
    return pa < pb || (pa === pb && pol[a * PSTRIDE + P_SEQ]! < pol[b * PSTRIDE + P_SEQ]!);
  }

  private newSlot(p: Policy): number {
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      slot = this.policies.length;
      if (slot > HEAD_MASK) throw new RangeError('SPD index full');
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
    const s = p.selector,
      b = slot * PSTRIDE,
      pol = this.pol;
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
    const b = s * PSTRIDE,
      ports = this.pol[b + P_PORTS]!;
    return ulKey(this.pol[b + P_PROTO]!, ports >>> 16, ports & 0xffff);
  }

  /** Makes slot the head of the list at entry field offset eb, copying its match data inline; the old
   * head's last use moves back to `used`, and a large leaf's hash moves to the new head. */
  private setHead(t: TupleTable, eb: number, slot: number): void {
    const e = t.ents,
      b = slot * PSTRIDE,
      pol = this.pol,
      old = e[eb + E_HP]! & HEAD_MASK;
    if (old !== 0) {
      this.used[old] = Math.max(this.used[old]!, t.f64[(eb + E_USED) >> 1]!);
      const map = this.leafMaps.get(old);
      if (map) {
        this.leafMaps.delete(old);
        if (slot !== 0) this.leafMaps.set(slot, map);
      }
    }
    e[eb + E_HP] = slot === 0 ? 0 : slot | (pol[b + P_PROTO]! << 24);
    e[eb + E_PORTS] = slot === 0 ? 0 : pol[b + P_PORTS]!;
    e[eb + E_PRIO] = slot === 0 ? 0 : pol[b + P_PRIO]!;
    e[eb + E_SEQ] = slot === 0 ? 0 : pol[b + P_SEQ]!;
    t.f64[(eb + E_USED) >> 1] = -Infinity;
    this.hitSlot = 0;
  }

  /** Links slot into the ranked list at entry field offset eb (behind equal priorities: KAME key_insertsp). */
  private leafInsert(t: TupleTable, eb: number, slot: number): void {
    const pol = this.pol,
      head = t.ents[eb + E_HP]! & HEAD_MASK;
    const count = head === 0 ? 1 : pol[head * PSTRIDE + P_COUNT]! + 1;
    if (head === 0 || this.slotBetter(slot, head)) {
      pol[slot * PSTRIDE + P_NEXT] = head;
      this.setHead(t, eb, slot);
    } else {
      let prev = head;
      for (
        let next = pol[prev * PSTRIDE + P_NEXT]!;
        next !== 0 && !this.slotBetter(slot, next);
        next = pol[next * PSTRIDE + P_NEXT]!
      )
        prev = next;
      pol[slot * PSTRIDE + P_NEXT] = pol[prev * PSTRIDE + P_NEXT]!;
      pol[prev * PSTRIDE + P_NEXT] = slot;
    }
    const newHead = t.ents[eb + E_HP]! & HEAD_MASK;
    pol[newHead * PSTRIDE + P_COUNT] = count;
    let map = this.leafMaps.get(newHead);
    if (map) map.set(this.slotKey(slot), slot);
    else if (count > LEAF_MAP_MIN) {
      map = new Map();
      for (let s = newHead; s !== 0; s = pol[s * PSTRIDE + P_NEXT]!) map.set(this.slotKey(s), s);
      this.leafMaps.set(newHead, map);
    }
  }

  /** Unlinks slot from the list at entry field offset eb; the head becomes 0 when the list empties. */
  private leafUnlink(t: TupleTable, eb: number, slot: number): boolean {
    const pol = this.pol,
      head = t.ents[eb + E_HP]! & HEAD_MASK;
    const count = pol[head * PSTRIDE + P_COUNT]! - 1;
    if (head === slot) {
      this.setHead(t, eb, pol[slot * PSTRIDE + P_NEXT]!);
    } else {
      let prev = head;
      while (prev !== 0 && pol[prev * PSTRIDE + P_NEXT] !== slot) prev = pol[prev * PSTRIDE + P_NEXT]!;
      if (prev === 0) return false;
      pol[prev * PSTRIDE + P_NEXT] = pol[slot * PSTRIDE + P_NEXT]!;
    }
    const newHead = t.ents[eb + E_HP]! & HEAD_MASK;
    if (newHead !== 0) pol[newHead * PSTRIDE + P_COUNT] = count;
    const map = this.leafMaps.get(newHead);
    if (map) {
      map.delete(this.slotKey(slot));
      if (count <= LEAF_MAP_MIN / 2) this.leafMaps.delete(newHead);
    }
    return true;
  }
}
