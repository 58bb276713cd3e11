// The policy side of the SPD index (tuple-index.ts): every indexed policy's match data in a slot of one
// Int32Array (ports, protocol, priority, seq, list link), and per (destination, source) prefix pair the
// ranked list of its policies, whose head is copied inline into the pair's TupleTable entry. Large lists
// get a (protocol, ports) hash beside them. SelectorIndex extends this class, so the hot lookup reads the
// same fields as before the split, with no indirection.
import type { Policy } from './policy.js';
import type { TupleTable } from './tuple.js';

// Local copies, as literals, of the E_* entry offsets (tuple.ts) and of the wildcards IPSEC_ULPROTO_ANY and
// IPSEC_PORT_ANY (pfkey/constants.ts): the hot loops read them on every probe, and neither an imported binding
// nor a local const copied from one at load time is folded to a constant (measured: about 10% of an uncached
// lookup; under tsx each imported read is a getter call as well).
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

function ulKey(proto: number, sport: number, dport: number): number {
  return proto * 0x100000000 + sport * 0x10000 + dport;
}

/** Policy slots and their ranked lists; the tuple tables and the lookup are SelectorIndex's. */
export class PolicyLists {
  /** Policy slots (1-based; PSTRIDE ints each) and the policies they stand for. */
  protected pol = new Int32Array(PSTRIDE * 64);
  /** Last use (ms) per slot: kept here so a lookup does not have to touch the Policy object. */
  protected used = new Float64Array(64);
  protected readonly policies: (Policy | undefined)[] = [undefined];
  private readonly freeSlots: number[] = [];
  protected readonly slotById = new Map<number, number>();
  /** Hash of the large leaves, by the slot heading the leaf. */
  private readonly leafMaps = new Map<number, Map<number, number>>();
  /** Where the last lookup's winner keeps its last use when it heads its list (touch writes there). */
  protected hitSlot = 0;
  protected hitF64: Float64Array = new Float64Array(1);
  protected hitIdx = 0;

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
  /** The first policy of the ranked list at entry field offset eb that matches proto/ports, 0 if none. */
  protected leafMatch(ents: Int32Array, eb: number, proto: number, sport: number, dport: number): number {
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

  private slotBetter(a: number, b: number): boolean {
    const pol = this.pol,
      pa = pol[a * PSTRIDE + P_PRIO]!,
      pb = pol[b * PSTRIDE + P_PRIO]!;
    return pa < pb || (pa === pb && pol[a * PSTRIDE + P_SEQ]! < pol[b * PSTRIDE + P_SEQ]!);
  }

  protected newSlot(p: Policy): number {
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

  protected freeSlot(slot: number, p: Policy): void {
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
  protected leafInsert(t: TupleTable, eb: number, slot: number): void {
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
  protected leafUnlink(t: TupleTable, eb: number, slot: number): boolean {
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
