// SPD lookup index by tuple space search: per (direction, family), one hash table per (destination prefix
// length, source prefix length) pair present, keyed on the masked prefixes (spd/tuple.ts); an entry heads
// the ranked list of the policies sharing both prefixes. A lookup probes each table once with the packet's
// masked addresses — independent probes, not a chain of dependent trie loads — in order of the best priority
// each table holds, and stops when no later table can win (RFC 4301 §4.4.1, KAME key_allocsp order).
import type { Policy } from './policy.js';
import { TupleTable } from './tuple.js';
import { PolicyLists } from './policy-lists.js';

// Local copies, as literals, of the E_* entry offsets (tuple.ts) and the slot layout (policy-lists.ts): the
// hot loops read them on every probe, and an imported binding is not folded to a constant (policy-lists.ts).
const E_HP = 0,
  E_PRIO = 2,
  E_SEQ = 3,
  E_USED = 4;
/** Slot bits of E_HP (the proto is in the top 8). */
const HEAD_MASK = 0xffffff;
const PSTRIDE = 8;
const P_PRIO = 2,
  P_SEQ = 3;

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

/** The index of one (direction, family): add, remove and the best-match lookup. */
export class SelectorIndex extends PolicyLists {
  /** Tables by dlen << 8 | slen, and the same tables sorted by their priority bound (lookup order). */
  private readonly tuples = new Map<number, TupleTable>();
  private order: TupleTable[] = [];
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
    super();
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
}
