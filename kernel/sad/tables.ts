// The SAD's lookup tables (KAME keydb: `sahtree` of SA heads, `savtree` of SAs, and the SPI hash): one Entry
// per SA, indexed by (SPI, protocol) for input and by (protocol, src, dst) for output and deleteall. The SA
// head (KAME secasindex: protocol, mode, reqid, src, dst) is not an object of its own: its SAs all share a
// (protocol, src, dst) slot, so a new SA finds its head's serial among them (issue 11 item 14: no string and
// no object per head). Keys are 32-bit integers (small integers in V8, never boxed), and a slot that holds one
// SA holds the Entry itself, not a list: the per-SA cost is the Entry and two map slots.
import { addrEqual } from '../../common/inet.js';
import { ErrnoError } from '../../common/errors.js';
import type { Rng } from '../../common/rng.js';
import type { IpsecMode, IpsecProto, SecAssoc } from './secassoc.js';

/** One SA plus the bookkeeping that PF_KEY does not show. */
export interface Entry {
  sa: SecAssoc;
  serial: number; // creation order: larger = newer
  stateSerial: number; // order of entering the current state (dump order within a state)
  createdMs: number;
  usedMs: number; // 0 = never used
  larvalDeadlineMs: number;
  /** Creation serial of its SA head (dump order: newest head first), shared by the head's SAs. */
  headSerial: number;
}

const PROTO_NUM: Record<IpsecProto, number> = { esp: 0, ah: 1, ipcomp: 2 };

/**
 * Output index key, looked up for every packet sent: a 32-bit FNV-1a hash of protocol, source and
 * destination, so that no string is built per packet. Different pairs may share a hash; the lookups
 * filter them out. Exported for the tests that force such a collision.
 */
export function pairHash(proto: IpsecProto, src: Uint8Array, dst: Uint8Array): number {
  let h = Math.imul(0x811c9dc5 ^ PROTO_NUM[proto], 0x01000193);
  for (let i = 0; i < src.length; i++) h = Math.imul(h ^ src[i]!, 0x01000193);
  h = Math.imul(h ^ 0x100, 0x01000193); // a separator: a 4-byte src never reads as part of a 16-byte one
  for (let i = 0; i < dst.length; i++) h = Math.imul(h ^ dst[i]!, 0x01000193);
  return h | 0;
}

function samePair(sa: SecAssoc, proto: IpsecProto, src: Uint8Array, dst: Uint8Array): boolean {
  return sa.proto === proto && addrEqual(sa.src, src) && addrEqual(sa.dst, dst);
}

/** A map slot: the one Entry with this key, or several in creation order. */
type Slot = Entry | Entry[];

/** Entries of what `between` returns, as a list (for the paths that are not per packet). */
export function entriesOf(x: Entry | readonly Entry[] | undefined): readonly Entry[] {
  return x === undefined ? [] : Array.isArray(x) ? x : [x as Entry];
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** KAME key_getspi: random attempts before giving up with EEXIST. */
const SPI_TRY_COUNT = 1000;

/** The indexes of one SAD. Entries are created and removed only through insert/remove. */
export class SadTables {
  /** Per protocol (PROTO_NUM), by SPI as a signed 32-bit integer. */
  private readonly byIn: Map<number, Slot>[] = [new Map(), new Map(), new Map()];
  private readonly byPair = new Map<number, Slot>();
  readonly entries = new Map<SecAssoc, Entry>();
  private serial = 0;
  /** Shared address arrays (IPv4 by value, IPv6 by hex): many SAs name the same peers and local address. */
  private readonly v4 = new Map<number, Uint8Array>();
  private readonly v6 = new Map<string, Uint8Array>();

  /**
   * The SAD's own array for this address, shared by every SA that names it (never written to). The pool
   * is not reference-counted: when it holds more than twice the addresses the SAs can use (after adds or
   * removals: a FLUSH empties it), it is rebuilt from the SAs — amortised O(1), bounded by the SAD's size.
   */
  address(a: Uint8Array): Uint8Array {
    if (this.poolTooBig()) this.rebuildPool();
    return this.pooled(a);
  }

  /** After a rebuild the pool holds at most two addresses per SA: rebuilding at four is amortised O(1). */
  private poolTooBig(): boolean {
    return this.v4.size + this.v6.size > 4 * this.entries.size + 64;
  }

  private pooled(a: Uint8Array): Uint8Array {
    if (a.length === 4) {
      const k = (a[0]! << 24) | (a[1]! << 16) | (a[2]! << 8) | a[3]!;
      let v = this.v4.get(k);
      if (!v) this.v4.set(k, (v = Uint8Array.of(a[0]!, a[1]!, a[2]!, a[3]!)));
      return v;
    }
    let k = '';
    for (let i = 0; i < a.length; i++) k += HEX[a[i]!];
    let v = this.v6.get(k);
    if (!v) this.v6.set(k, (v = new Uint8Array(a)));
    return v;
  }

  private rebuildPool(): void {
    this.v4.clear();
    this.v6.clear();
    for (const sa of this.entries.keys()) {
      // Re-pooling an SA's own arrays keeps them shared with the SAs already re-pooled.
      sa.src = this.pooled(sa.src);
      sa.dst = this.pooled(sa.dst);
    }
  }

  /** A new value of the one serial counter that orders SAs, heads and state changes. */
  nextSerial(): number {
    return ++this.serial;
  }

  insert(sa: SecAssoc, nowMs: number, larvalDeadlineMs: number): Entry {
    const headSerial = this.headOf(sa, sa.mode, sa.reqid, undefined);
    const serial = this.nextSerial();
    const e: Entry = { sa, serial, stateSerial: serial, createdMs: nowMs, usedMs: 0, larvalDeadlineMs, headSerial };
    addTo(this.byIn[PROTO_NUM[sa.proto]]!, sa.spi | 0, e);
    addTo(this.byPair, pairHash(sa.proto, sa.src, sa.dst), e);
    this.entries.set(sa, e);
    return e;
  }

  remove(e: Entry): void {
    const sa = e.sa;
    removeFrom(this.byIn[PROTO_NUM[sa.proto]]!, sa.spi | 0, e);
    removeFrom(this.byPair, pairHash(sa.proto, sa.src, sa.dst), e);
    this.entries.delete(sa);
    if (this.poolTooBig()) this.rebuildPool();
  }

  /** Moves an entry to another SA head (UPDATE may set mode/reqid that GETSPI did not know). */
  rehead(e: Entry, mode: IpsecMode, reqid: number): void {
    e.headSerial = this.headOf(e.sa, mode, reqid, e);
    e.sa.mode = mode;
    e.sa.reqid = reqid;
  }

  /** The serial of the live SA head (proto, mode, reqid, src, dst) of `sa` other than `self`, or a new one. */
  private headOf(sa: SecAssoc, mode: IpsecMode, reqid: number, self: Entry | undefined): number {
    const same = (x: Entry) => x !== self && x.sa.mode === mode && x.sa.reqid === reqid;
    for (const x of entriesOf(this.between(sa.proto, sa.src, sa.dst))) if (same(x)) return x.headSerial;
    return this.nextSerial();
  }

  /** The SA with this SPI to `dst`: usable ones (mature, dying), and larval ones too when `anyLive`. */
  findIn(dst: Uint8Array, proto: IpsecProto, spi: number, anyLive: boolean): Entry | undefined {
    const slot = this.byIn[PROTO_NUM[proto]]!.get(spi | 0);
    if (slot === undefined) return undefined;
    if (!Array.isArray(slot)) return usableIn(slot, dst, spi, anyLive) ? slot : undefined;
    for (const e of slot) if (usableIn(e, dst, spi, anyLive)) return e;
    return undefined;
  }

  /** KAME key_do_getnewspi: an SPI in [min, max] unused towards `dst`, drawn from `rng`; EEXIST if none is found. */
  pickSpi(rng: Rng, proto: IpsecProto, dst: Uint8Array, min: number, max: number): number {
    if (min === max) {
      if (this.findIn(dst, proto, min, true)) throw new ErrnoError('EEXIST', `SPI 0x${min.toString(16)} is in use`);
      return min;
    }
    const span = max - min + 1;
    const r = new Uint8Array(6);
    for (let i = 0; i < SPI_TRY_COUNT; i++) {
      rng.fill(r);
      // 48 random bits modulo a span of at most 2^32: the bias is below 2^-16.
      const v =
        (r[0]! * 2 ** 40 + r[1]! * 2 ** 32 + ((r[2]! << 24) >>> 0) + (r[3]! << 16) + (r[4]! << 8) + r[5]!) % span;
      const spi = min + v;
      if (!this.findIn(dst, proto, spi, true)) return spi;
    }
    throw new ErrnoError(
      'EEXIST',
      `no free SPI in 0x${min.toString(16)}..0x${max.toString(16)} after ${SPI_TRY_COUNT} tries`,
    );
  }

  /**
   * Every SA of `proto` from `src` to `dst`, in creation order: one Entry, a list, or undefined. The list
   * is the table's own: read it at once, never keep or change it (entriesOf() for a copy-free loop).
   */
  between(proto: IpsecProto, src: Uint8Array, dst: Uint8Array): Entry | readonly Entry[] | undefined {
    const slot = this.byPair.get(pairHash(proto, src, dst));
    if (slot === undefined) return undefined;
    if (!Array.isArray(slot)) return samePair(slot.sa, proto, src, dst) ? slot : undefined;
    for (const e of slot)
      if (!samePair(e.sa, proto, src, dst)) return slot.filter((x) => samePair(x.sa, proto, src, dst));
    return slot;
  }
}

/** findIn's test: same SPI (the slot is keyed by its low 32 bits) and destination, and a state that counts. */
function usableIn(e: Entry, dst: Uint8Array, spi: number, anyLive: boolean): boolean {
  if (e.sa.spi !== spi >>> 0 || !addrEqual(e.sa.dst, dst)) return false;
  const st = e.sa.state;
  return st === 'mature' || st === 'dying' || (anyLive && st === 'larval');
}

/** Prefer-new: mature over dying, then newer. Prefer-old (KAME preferred_oldsa): dying over mature, then older. */
export function better(a: Entry, b: Entry, preferOld: boolean): boolean {
  const ra = a.sa.state === 'mature' ? 0 : 1;
  const rb = b.sa.state === 'mature' ? 0 : 1;
  if (ra !== rb) return preferOld ? ra > rb : ra < rb;
  return preferOld ? a.serial < b.serial : a.serial > b.serial;
}

function addTo(m: Map<number, Slot>, k: number, e: Entry): void {
  const slot = m.get(k);
  if (slot === undefined) m.set(k, e);
  else if (Array.isArray(slot)) slot.push(e);
  else m.set(k, [slot, e]);
}

function removeFrom(m: Map<number, Slot>, k: number, e: Entry): void {
  const slot = m.get(k);
  if (slot === undefined) return;
  if (!Array.isArray(slot)) {
    if (slot === e) m.delete(k);
    return;
  }
  const i = slot.indexOf(e);
  if (i >= 0) slot.splice(i, 1);
  if (slot.length === 1) m.set(k, slot[0]!);
  else if (slot.length === 0) m.delete(k);
}
