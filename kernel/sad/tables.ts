// The SAD's lookup tables (KAME keydb: `sahtree` of SA heads, `savtree` of SAs, and the SPI hash): one Entry
// per SA, indexed by (SPI, protocol) for input, by (protocol, src, dst) for output and deleteall, and grouped
// under its SA head (the KAME secasindex: protocol, mode, reqid, src, dst) for the dump order.
import { addrEqual, addrKey } from '../../common/inet.js';
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
  headKey: string;
}

/** The SA index (KAME secasindex) that groups SAs under one SA head. */
function saidxKey(proto: string, mode: string, reqid: number, src: Uint8Array, dst: Uint8Array): string {
  return `${proto}|${mode}|${reqid}|${addrKey(src)}|${addrKey(dst)}`;
}

const PROTO_NUM: Record<IpsecProto, number> = { esp: 0, ah: 1, ipcomp: 2 };

/**
 * Output index key, looked up for every packet sent: a 32-bit FNV-1a hash of protocol, source and
 * destination, so that no string is built per packet. Different pairs may share a hash; between()
 * filters them out. Exported for the test that forces such a collision.
 */
export function pairHash(proto: IpsecProto, src: Uint8Array, dst: Uint8Array): number {
  let h = Math.imul(0x811c9dc5 ^ PROTO_NUM[proto], 0x01000193);
  for (let i = 0; i < src.length; i++) h = Math.imul(h ^ src[i]!, 0x01000193);
  h = Math.imul(h ^ 0x100, 0x01000193); // a separator: a 4-byte src never reads as part of a 16-byte one
  for (let i = 0; i < dst.length; i++) h = Math.imul(h ^ dst[i]!, 0x01000193);
  return h >>> 0;
}

function samePair(sa: SecAssoc, proto: IpsecProto, src: Uint8Array, dst: Uint8Array): boolean {
  return sa.proto === proto && addrEqual(sa.src, src) && addrEqual(sa.dst, dst);
}
/** Inbound index key: SPI and protocol in one exact integer (SPI < 2^32, so no overlap). */
function spiKey(proto: IpsecProto, spi: number): number {
  return (spi >>> 0) * 4 + PROTO_NUM[proto];
}

const NONE: readonly Entry[] = [];
/** KAME key_getspi: random attempts before giving up with EEXIST. */
const SPI_TRY_COUNT = 1000;

/** The indexes of one SAD. Entries are created and removed only through insert/remove. */
export class SadTables {
  private readonly byIn = new Map<number, Entry[]>();
  private readonly byPair = new Map<number, Entry[]>();
  /** saidx -> the SA head (KAME secashead): creation serial for the newest-first dump order, SA count. */
  private readonly heads = new Map<string, { serial: number; count: number }>();
  readonly entries = new Map<SecAssoc, Entry>();
  private serial = 0;

  /** A new value of the one serial counter that orders SAs, heads and state changes. */
  nextSerial(): number {
    return ++this.serial;
  }

  insert(sa: SecAssoc, nowMs: number, larvalDeadlineMs: number): Entry {
    const headKey = saidxKey(sa.proto, sa.mode, sa.reqid, sa.src, sa.dst);
    const serial = this.nextSerial();
    const e: Entry = { sa, serial, stateSerial: serial, createdMs: nowMs, usedMs: 0, larvalDeadlineMs, headKey };
    this.addHead(headKey);
    pushTo(this.byIn, spiKey(sa.proto, sa.spi), e);
    pushTo(this.byPair, pairHash(sa.proto, sa.src, sa.dst), e);
    this.entries.set(sa, e);
    return e;
  }

  remove(e: Entry): void {
    const sa = e.sa;
    removeFrom(this.byIn, spiKey(sa.proto, sa.spi), e);
    removeFrom(this.byPair, pairHash(sa.proto, sa.src, sa.dst), e);
    this.entries.delete(sa);
    this.releaseHead(e.headKey);
  }

  /** Moves an entry to another SA head (UPDATE may set mode/reqid that GETSPI did not know). */
  rehead(e: Entry, mode: IpsecMode, reqid: number): void {
    const old = e.headKey;
    e.sa.mode = mode;
    e.sa.reqid = reqid;
    e.headKey = saidxKey(e.sa.proto, mode, reqid, e.sa.src, e.sa.dst);
    this.addHead(e.headKey);
    this.releaseHead(old);
  }

  /** The SA with this SPI to `dst`: usable ones (mature, dying), and larval ones too when `anyLive`. */
  findIn(dst: Uint8Array, proto: IpsecProto, spi: number, anyLive: boolean): Entry | undefined {
    const list = this.byIn.get(spiKey(proto, spi));
    if (!list) return undefined;
    for (const e of list) {
      if (!addrEqual(e.sa.dst, dst)) continue;
      const st = e.sa.state;
      if (st === 'mature' || st === 'dying' || (anyLive && st === 'larval')) return e;
    }
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

  /** Every SA of `proto` from `src` to `dst`, in creation order. */
  between(proto: IpsecProto, src: Uint8Array, dst: Uint8Array): readonly Entry[] {
    const list = this.byPair.get(pairHash(proto, src, dst));
    if (!list) return NONE;
    for (const e of list)
      if (!samePair(e.sa, proto, src, dst)) return list.filter((x) => samePair(x.sa, proto, src, dst));
    return list;
  }

  /** The creation serial of the entry's SA head (dump order: newest head first). */
  headSerial(e: Entry): number {
    return this.heads.get(e.headKey)!.serial;
  }

  private addHead(key: string): void {
    const h = this.heads.get(key);
    if (h) h.count++;
    else this.heads.set(key, { serial: this.nextSerial(), count: 1 });
  }

  /** KAME frees an SA head once it holds no SA (key_timehandler); we do it at once. */
  private releaseHead(key: string): void {
    const h = this.heads.get(key);
    if (h && --h.count === 0) this.heads.delete(key);
  }
}

/** Prefer-new: mature over dying, then newer. Prefer-old (KAME preferred_oldsa): dying over mature, then older. */
export function better(a: Entry, b: Entry, preferOld: boolean): boolean {
  const ra = a.sa.state === 'mature' ? 0 : 1;
  const rb = b.sa.state === 'mature' ? 0 : 1;
  if (ra !== rb) return preferOld ? ra > rb : ra < rb;
  return preferOld ? a.serial < b.serial : a.serial > b.serial;
}

function pushTo<K>(m: Map<K, Entry[]>, k: K, e: Entry): void {
  const l = m.get(k);
  if (l) l.push(e);
  else m.set(k, [e]);
}

function removeFrom<K>(m: Map<K, Entry[]>, k: K, e: Entry): void {
  const l = m.get(k);
  if (!l) return;
  const i = l.indexOf(e);
  if (i >= 0) l.splice(i, 1);
  if (l.length === 0) m.delete(k);
}
