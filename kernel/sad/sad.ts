// The Security Association Database (KAME keydb/key.c, RFC 4301 §4.4.2): SAs built from PF_KEY-level
// parameters, inbound lookup by (dst, proto, SPI), outbound lookup by SA index, GETSPI larval SAs, the
// larval -> mature -> dying -> dead life cycle with RFC 2367 §2.3.3 lifetimes, and key wiping on removal.
import type { Clock } from '../../common/clock.js';
import type { Rng } from '../../common/rng.js';
import { ErrnoError } from '../../common/errors.js';
import { addrEqual, addrKey } from '../../common/inet.js';
import { wipe } from '../../common/bytes.js';
import { findAuthAlg, findCompAlg, findEncAlg } from '../../crypto/registry.js';
import { ReplayWindow, REPLAY_MAX_BITS } from './replay.js';
import { ipcompWireCpi, IPCOMP_CPI_NEGOTIATE_MIN } from '../ipsec/ipcomp.js';
import type { IpsecMode, IpsecProto, Lifetime, NatT, SaState, SecAssoc } from './secassoc.js';
import type { Backend } from '../../crypto/types.js';

/** KAME sadb_sa_flags SADB_X_EXT_CYCSEQ: the outbound counter may wrap. */
export const SADB_X_EXT_CYCSEQ = 0x40;
/** KAME SADB_X_EXT_RAWCPI: IPComp sends the SPI as its CPI (not the algorithm's well-known CPI). */
export const SADB_X_EXT_RAWCPI = 0x80;
/** KAME key.c: a larval SA not made mature by UPDATE within this many seconds is removed. */
export const LARVAL_LIFETIME_SEC = 30;
/** KAME key.c defaults for GETSPI without a SPIRANGE (SPIs 0..255 are reserved, RFC 4303 §2.1). */
export const SPI_MIN_DEFAULT = 0x100;
export const SPI_MAX_DEFAULT = 0x0fffffff;
/** RFC 3173 §2.2: CPIs are 16 bits; 0..255 are the well-known (IANA) ones. */
export const IPCOMP_CPI_MAX = 0xffff;
/** KAME key_getspi: random attempts before giving up with EEXIST. */
const SPI_TRY_COUNT = 1000;
const TICK_MS_DEFAULT = 1000;

/** What ADD/UPDATE carry (the SA, SA2, KEY, LIFETIME and NAT-T extensions, already decoded). */
export interface SaParams {
  spi: number;
  proto: IpsecProto;
  mode?: IpsecMode;
  src: Uint8Array;
  dst: Uint8Array;
  reqid?: number;
  /** Algorithm names as setkey writes them (crypto/registry.ts). */
  encAlg?: string;
  encKey?: Uint8Array;
  authAlg?: string;
  authKey?: Uint8Array;
  compAlg?: string;
  replayBits?: number;
  esn?: boolean;
  /** KAME sadb_sa_flags (SADB_X_EXT_*). CYCSEQ sets cyclicSeq. */
  flags?: number;
  cyclicSeq?: boolean;
  tfcPadTo?: number;
  hard?: Partial<Lifetime>;
  soft?: Partial<Lifetime>;
  natt?: NatT;
  /** sadb_msg_pid of the sender (UPDATE must come from the GETSPI caller). */
  pid?: number;
  /** sadb_msg_seq. */
  seq?: number;
  /** Crypto implementation for the contexts (default: the algorithm's first, node:crypto). For tests. */
  backend?: Backend;
}

/** GETSPI: a larval SA for (proto, src, dst[, mode, reqid]) with an SPI picked in [min, max]. */
export interface GetSpiParams {
  proto: IpsecProto;
  src: Uint8Array;
  dst: Uint8Array;
  mode?: IpsecMode;
  reqid?: number;
  min?: number;
  max?: number;
  pid: number;
  seq?: number;
  natt?: NatT;
}

export type ExpireReason = 'addtime' | 'usetime' | 'bytes' | 'allocations';

/** What the SAD tells its owner (the PF_KEY side turns soft/hard into SADB_EXPIRE). */
export type SadEvent =
  | { type: 'soft'; sa: SecAssoc; reason: ExpireReason; used: boolean }
  | { type: 'hard'; sa: SecAssoc; reason: ExpireReason }
  | { type: 'larval-expired'; sa: SecAssoc };

export interface SadOptions {
  clock: Clock;
  rng: Rng;
  listener?: (ev: SadEvent) => void;
  /** KAME net.key.preferred_oldsa: pick the oldest usable SA for output (FreeBSD 9 default) instead of the newest. */
  preferOld?: boolean;
  larvalLifetimeSec?: number;
  /** Lifetime check period (KAME key_timehandler runs every second). */
  tickMs?: number;
}

const ZERO_LIFETIME: Lifetime = { allocations: 0, bytes: 0, addtimeSec: 0, usetimeSec: 0 };
const STATE_ORDER: Record<SaState, number> = { mature: 0, dying: 1, larval: 2, dead: 3 };

/** One SA plus the bookkeeping that PF_KEY does not show. */
interface Entry {
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

function pairKey(proto: string, src: Uint8Array, dst: Uint8Array): string {
  return `${proto}|${addrKey(src)}|${addrKey(dst)}`;
}

const PROTO_NUM: Record<IpsecProto, number> = { esp: 0, ah: 1, ipcomp: 2 };
/** Inbound index key: SPI and protocol in one exact integer (SPI < 2^32, so no overlap). */
function spiKey(proto: IpsecProto, spi: number): number {
  return (spi >>> 0) * 4 + PROTO_NUM[proto];
}

function lifetimeOf(l: Partial<Lifetime> | undefined): Lifetime {
  return { ...ZERO_LIFETIME, ...l };
}

function checkAddrs(src: Uint8Array, dst: Uint8Array): void {
  if ((src.length !== 4 && src.length !== 16) || src.length !== dst.length) {
    throw new ErrnoError('EINVAL', 'src and dst must both be IPv4 or both IPv6');
  }
}

/** The SAD of one host (KAME `sahtree` + `savtree`). Not thread-safe; one per KernelHost. */
export class Sad {
  private readonly byIn = new Map<number, Entry[]>();
  private readonly byPair = new Map<string, Entry[]>();
  /** saidx -> the SA head (KAME secashead): creation serial for the newest-first dump order, SA count. */
  private readonly heads = new Map<string, { serial: number; count: number }>();
  private readonly entries = new Map<SecAssoc, Entry>();
  private serial = 0;
  private cancelTimer: (() => void) | undefined;
  private readonly larvalMs: number;
  private readonly tickMs: number;

  constructor(private readonly opts: SadOptions) {
    this.larvalMs = (opts.larvalLifetimeSec ?? LARVAL_LIFETIME_SEC) * 1000;
    this.tickMs = opts.tickMs ?? TICK_MS_DEFAULT;
  }

  get size(): number {
    return this.entries.size;
  }

  /** SADB_ADD: a new mature SA. EEXIST if (dst, proto, spi) is taken; EINVAL for bad parameters. */
  add(p: SaParams): SecAssoc {
    checkAddrs(p.src, p.dst);
    if (this.findIn(p.dst, p.proto, p.spi, true))
      throw new ErrnoError('EEXIST', `SPI 0x${(p.spi >>> 0).toString(16)} exists`);
    const sa = this.blankSa(p.proto, p.mode ?? 'any', p.src, p.dst, p.reqid ?? 0, p.spi >>> 0, p.pid ?? 0, p.seq ?? 0);
    applyParams(sa, p);
    sa.state = 'mature';
    this.insert(sa);
    return sa;
  }

  /** SADB_GETSPI: a larval SA owned by `pid` with an unused SPI in [min, max] drawn from the RNG. */
  getSpi(p: GetSpiParams): SecAssoc {
    checkAddrs(p.src, p.dst);
    let min = p.min ?? SPI_MIN_DEFAULT;
    let max = p.max ?? SPI_MAX_DEFAULT;
    if (p.proto === 'ipcomp') max = Math.min(max, IPCOMP_CPI_MAX);
    min >>>= 0;
    max >>>= 0;
    if (min > max) throw new ErrnoError('EINVAL', `SPI range ${min}..${max} is empty`);
    const spi = this.pickSpi(p.proto, p.dst, min, max);
    const sa = this.blankSa(p.proto, p.mode ?? 'any', p.src, p.dst, p.reqid ?? 0, spi, p.pid, p.seq ?? 0);
    if (p.natt) sa.natt = { ...p.natt };
    this.insert(sa);
    return sa;
  }

  /**
   * SADB_UPDATE: completes a larval SA (only its GETSPI owner may), or on a mature/dying SA changes
   * lifetimes and NAT-T ports only. ENOENT if there is no such SA, EINVAL on a pid or field mismatch.
   */
  update(p: SaParams): SecAssoc {
    checkAddrs(p.src, p.dst);
    const e = this.findIn(p.dst, p.proto, p.spi, true);
    if (!e || !addrEqual(e.sa.src, p.src))
      throw new ErrnoError('ENOENT', `no SA with SPI 0x${(p.spi >>> 0).toString(16)}`);
    const sa = e.sa;
    if (sa.ownerPid !== (p.pid ?? 0))
      throw new ErrnoError('EINVAL', 'UPDATE from a process other than the GETSPI caller');
    if (sa.state !== 'larval') {
      if (p.encKey || p.authKey || p.encAlg || p.authAlg || p.compAlg)
        throw new ErrnoError('EINVAL', 'keys of a mature SA cannot change');
      if (p.hard) sa.hard = lifetimeOf(p.hard);
      if (p.soft) sa.soft = lifetimeOf(p.soft);
      if (p.natt) sa.natt = { ...p.natt };
      return sa;
    }
    applyParams(sa, p); // throws before anything else changes
    const mode = p.mode ?? sa.mode;
    const reqid = p.reqid ?? sa.reqid;
    if (mode !== sa.mode || reqid !== sa.reqid) this.rehead(e, mode, reqid);
    if (p.seq !== undefined) sa.seq = p.seq;
    this.setState(e, 'mature');
    return sa;
  }

  /** The usable (mature or dying) SA for an inbound packet; the source address is not compared (RFC 4301 §4.1). */
  lookupIn(dst: Uint8Array, proto: IpsecProto, spi: number): SecAssoc | undefined {
    return this.findIn(dst, proto, spi, false)?.sa;
  }

  /**
   * The SA for an inbound IPComp CPI (KAME ipcomp_input): a negotiated CPI (>= 256) is looked up like an
   * SPI; a well-known one (an algorithm number, sent by SAs without SADB_X_EXT_RAWCPI) matches the newest
   * usable IPComp SA to `dst` that puts that CPI on the wire.
   */
  lookupIpcompIn(dst: Uint8Array, cpi: number): SecAssoc | undefined {
    const direct = this.lookupIn(dst, 'ipcomp', cpi);
    if (direct || cpi >= IPCOMP_CPI_NEGOTIATE_MIN) return direct;
    let best: Entry | undefined;
    for (const e of this.entries.values()) {
      const sa = e.sa;
      if (sa.proto !== 'ipcomp' || (sa.state !== 'mature' && sa.state !== 'dying') || !addrEqual(sa.dst, dst)) continue;
      if (ipcompWireCpi(sa) === cpi && (!best || better(e, best, false))) best = e;
    }
    return best?.sa;
  }

  /** SADB_GET: any SA in a live state (larval included), matched on src too. */
  get(src: Uint8Array, dst: Uint8Array, proto: IpsecProto, spi: number): SecAssoc | undefined {
    const e = this.findIn(dst, proto, spi, true);
    return e && addrEqual(e.sa.src, src) ? e.sa : undefined;
  }

  /**
   * The SA for an outbound request (KAME key_allocsa_policy): same proto/src/dst, mode equal unless
   * either side is 'any', reqid equal unless the request's is 0. Mature before dying; within a state the
   * newest (or the oldest with preferOld, which also puts dying first).
   */
  lookupOut(src: Uint8Array, dst: Uint8Array, proto: IpsecProto, mode: IpsecMode, reqid: number): SecAssoc | undefined {
    const list = this.byPair.get(pairKey(proto, src, dst));
    if (!list) return undefined;
    const old = this.opts.preferOld === true;
    let best: Entry | undefined;
    for (const e of list) {
      const sa = e.sa;
      if (sa.state !== 'mature' && sa.state !== 'dying') continue;
      if (mode !== 'any' && sa.mode !== 'any' && sa.mode !== mode) continue;
      if (reqid !== 0 && sa.reqid !== reqid) continue;
      if (!best || better(e, best, old)) best = e;
    }
    return best?.sa;
  }

  /**
   * True if a larval SA of `proto` exists between `a` and `b` in either direction (GETSPI creates the
   * inbound one): the key manager is already negotiating, so an ACQUIRE is pending. O(1) per direction.
   */
  hasLarvalBetween(a: Uint8Array, b: Uint8Array, proto: IpsecProto): boolean {
    for (const key of [pairKey(proto, a, b), pairKey(proto, b, a)]) {
      for (const e of this.byPair.get(key) ?? []) if (e.sa.state === 'larval') return true;
    }
    return false;
  }

  /**
   * Lifetime accounting for one packet through the SA (KAME key_sa_recordxfer: allocations count
   * packets). Crossing a soft limit makes the SA dying, a hard one kills it. Returns false if the SA is
   * no longer usable afterwards.
   */
  recordUse(sa: SecAssoc, bytes: number): boolean {
    const e = this.entries.get(sa);
    if (!e) return false;
    const now = this.opts.clock.now();
    if (e.usedMs === 0) {
      e.usedMs = now;
      sa.current.usetimeSec = Math.floor(now / 1000);
    }
    sa.current.allocations++;
    sa.current.bytes += bytes;
    this.checkCounts(e);
    return sa.state === 'mature' || sa.state === 'dying';
  }

  /** SADB_DELETE with an SPI: the SA becomes dead, its keys are wiped, and it is removed. */
  delete(src: Uint8Array, dst: Uint8Array, proto: IpsecProto, spi: number): SecAssoc | undefined {
    const e = this.findIn(dst, proto, spi, true);
    if (!e || !addrEqual(e.sa.src, src)) return undefined;
    this.kill(e);
    return e.sa;
  }

  /** SADB_DELETE without an SPI (setkey deleteall): every live SA of proto from src to dst. */
  deleteAll(src: Uint8Array, dst: Uint8Array, proto: IpsecProto): SecAssoc[] {
    const list = [...(this.byPair.get(pairKey(proto, src, dst)) ?? [])];
    for (const e of list) this.kill(e);
    return list.map((e) => e.sa);
  }

  /** SADB_FLUSH: every SA, or every SA of one protocol. Returns how many went. */
  flush(proto?: IpsecProto): number {
    let n = 0;
    for (const e of [...this.entries.values()]) {
      if (proto && e.sa.proto !== proto) continue;
      this.kill(e);
      n++;
    }
    return n;
  }

  /** SADB_DUMP order: SA heads newest first; within a head mature, dying, larval, each oldest first. */
  dump(proto?: IpsecProto): SecAssoc[] {
    const list = [...this.entries.values()].filter((e) => !proto || e.sa.proto === proto);
    list.sort(
      (a, b) =>
        this.heads.get(b.headKey)!.serial - this.heads.get(a.headKey)!.serial ||
        STATE_ORDER[a.sa.state] - STATE_ORDER[b.sa.state] ||
        a.stateSerial - b.stateSerial,
    );
    return list.map((e) => e.sa);
  }

  /** Runs the lifetime checks now (the timer calls this every tickMs). */
  tick(): void {
    const now = this.opts.clock.now();
    for (const e of [...this.entries.values()]) {
      if (e.sa.state === 'larval') {
        if (now >= e.larvalDeadlineMs) this.expireLarval(e);
        continue;
      }
      const hard = this.timeReason(e, e.sa.hard, now);
      if (hard) {
        this.expireHard(e, hard);
        continue;
      }
      if (e.sa.state === 'mature') {
        const soft = this.timeReason(e, e.sa.soft, now);
        if (soft) this.expireSoft(e, soft);
      }
    }
  }

  /** Stops the lifetime timer (the SAs stay). */
  close(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  // --- internals ---

  private blankSa(
    proto: IpsecProto,
    mode: IpsecMode,
    src: Uint8Array,
    dst: Uint8Array,
    reqid: number,
    spi: number,
    pid: number,
    seq: number,
  ): SecAssoc {
    const nowSec = Math.floor(this.opts.clock.now() / 1000);
    return {
      spi,
      proto,
      mode,
      src: new Uint8Array(src),
      dst: new Uint8Array(dst),
      reqid,
      state: 'larval',
      esn: false,
      replayBits: 0,
      replay: new ReplayWindow(0, false),
      seqOutHi: 0,
      seqOutLo: 0,
      cyclicSeq: false,
      tfcPadTo: 0,
      hard: lifetimeOf(undefined),
      soft: lifetimeOf(undefined),
      current: { allocations: 0, bytes: 0, addtimeSec: nowSec, usetimeSec: 0 },
      ownerPid: pid,
      seq,
    };
  }

  private insert(sa: SecAssoc): void {
    const now = this.opts.clock.now();
    const headKey = saidxKey(sa.proto, sa.mode, sa.reqid, sa.src, sa.dst);
    const e: Entry = {
      sa,
      serial: ++this.serial,
      stateSerial: this.serial,
      createdMs: now,
      usedMs: 0,
      larvalDeadlineMs: now + this.larvalMs,
      headKey,
    };
    this.addHead(headKey);
    pushTo(this.byIn, spiKey(sa.proto, sa.spi), e);
    pushTo(this.byPair, pairKey(sa.proto, sa.src, sa.dst), e);
    this.entries.set(sa, e);
    this.armTimer();
  }

  private addHead(key: string): void {
    const h = this.heads.get(key);
    if (h) h.count++;
    else this.heads.set(key, { serial: ++this.serial, count: 1 });
  }

  /** Moves an entry to another SA head (UPDATE may set mode/reqid that GETSPI did not know). */
  private rehead(e: Entry, mode: IpsecMode, reqid: number): void {
    const old = e.headKey;
    e.sa.mode = mode;
    e.sa.reqid = reqid;
    e.headKey = saidxKey(e.sa.proto, mode, reqid, e.sa.src, e.sa.dst);
    this.addHead(e.headKey);
    this.releaseHead(old);
  }

  /** KAME frees an SA head once it holds no SA (key_timehandler); we do it at once. */
  private releaseHead(key: string): void {
    const h = this.heads.get(key);
    if (h && --h.count === 0) this.heads.delete(key);
  }

  private findIn(dst: Uint8Array, proto: IpsecProto, spi: number, anyLive: boolean): Entry | undefined {
    const list = this.byIn.get(spiKey(proto, spi));
    if (!list) return undefined;
    for (const e of list) {
      if (!addrEqual(e.sa.dst, dst)) continue;
      const st = e.sa.state;
      if (st === 'mature' || st === 'dying' || (anyLive && st === 'larval')) return e;
    }
    return undefined;
  }

  private pickSpi(proto: IpsecProto, dst: Uint8Array, min: number, max: number): number {
    if (min === max) {
      if (this.findIn(dst, proto, min, true)) throw new ErrnoError('EEXIST', `SPI 0x${min.toString(16)} is in use`);
      return min;
    }
    const span = max - min + 1;
    const r = new Uint8Array(6);
    for (let i = 0; i < SPI_TRY_COUNT; i++) {
      this.opts.rng.fill(r);
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

  private setState(e: Entry, st: SaState): void {
    e.sa.state = st;
    e.stateSerial = ++this.serial;
    if (st === 'mature') {
      e.createdMs = this.opts.clock.now(); // KAME key_mature: lifetimes count from maturity
      e.sa.current.addtimeSec = Math.floor(e.createdMs / 1000);
    }
  }

  /** Which time limit of `l` the entry has reached, if any. usetime counts from the first use only. */
  private timeReason(e: Entry, l: Lifetime, now: number): ExpireReason | undefined {
    if (l.addtimeSec > 0 && now - e.createdMs >= l.addtimeSec * 1000) return 'addtime';
    if (l.usetimeSec > 0 && e.usedMs !== 0 && now - e.usedMs >= l.usetimeSec * 1000) return 'usetime';
    return undefined;
  }

  private countReason(c: Lifetime, l: Lifetime): ExpireReason | undefined {
    if (l.bytes > 0 && c.bytes >= l.bytes) return 'bytes';
    if (l.allocations > 0 && c.allocations >= l.allocations) return 'allocations';
    return undefined;
  }

  private checkCounts(e: Entry): void {
    const hard = this.countReason(e.sa.current, e.sa.hard);
    if (hard) {
      this.expireHard(e, hard);
      return;
    }
    if (e.sa.state !== 'mature') return;
    const soft = this.countReason(e.sa.current, e.sa.soft);
    if (soft) this.expireSoft(e, soft);
  }

  private expireSoft(e: Entry, reason: ExpireReason): void {
    this.setState(e, 'dying');
    this.opts.listener?.({ type: 'soft', sa: e.sa, reason, used: e.usedMs !== 0 });
  }

  private expireHard(e: Entry, reason: ExpireReason): void {
    this.kill(e);
    this.opts.listener?.({ type: 'hard', sa: e.sa, reason });
  }

  private expireLarval(e: Entry): void {
    this.kill(e);
    this.opts.listener?.({ type: 'larval-expired', sa: e.sa });
  }

  /** Dead: unlink, zero-fill keys and contexts (key material does not outlive its SA). */
  private kill(e: Entry): void {
    const sa = e.sa;
    sa.state = 'dead';
    removeFrom(this.byIn, spiKey(sa.proto, sa.spi), e);
    removeFrom(this.byPair, pairKey(sa.proto, sa.src, sa.dst), e);
    this.entries.delete(sa);
    this.releaseHead(e.headKey);
    wipe(sa.encKey, sa.authKey);
    sa.cipher?.wipe();
    sa.aead?.wipe();
    sa.auth?.wipe();
    if (this.entries.size === 0) this.close();
  }

  private armTimer(): void {
    if (this.cancelTimer) return;
    this.cancelTimer = this.opts.clock.setTimer(this.tickMs, () => {
      this.cancelTimer = undefined;
      this.tick();
      if (this.entries.size > 0) this.armTimer();
    });
  }
}

/** Prefer-new: mature over dying, then newer. Prefer-old (KAME preferred_oldsa): dying over mature, then older. */
function better(a: Entry, b: Entry, preferOld: boolean): boolean {
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

/**
 * Validates and copies ADD/UPDATE parameters into a larval SA and creates its crypto contexts once
 * (KAME key_setsaval + key_mature). Throws ErrnoError EINVAL on anything KAME refuses.
 */
function applyParams(sa: SecAssoc, p: SaParams): void {
  if (sa.proto !== 'ipcomp' && sa.spi <= 0xff)
    throw new ErrnoError('EINVAL', 'SPIs 0..255 are reserved (RFC 4303 §2.1)');
  const flags = p.flags ?? 0;
  if (sa.proto === 'ipcomp' && !(flags & SADB_X_EXT_RAWCPI) && sa.spi > IPCOMP_CPI_MAX) {
    throw new ErrnoError('EINVAL', 'IPComp CPI must fit in 16 bits (RFC 3173 §2.2)');
  }
  const replayBits = p.replayBits ?? 0;
  if (!Number.isInteger(replayBits) || replayBits < 0 || replayBits > REPLAY_MAX_BITS)
    throw new ErrnoError('EINVAL', `replay window ${replayBits}`);
  setAlgorithms(sa, p);
  sa.esn = p.esn === true;
  sa.replayBits = replayBits;
  sa.replay = new ReplayWindow(replayBits, sa.esn);
  sa.flags = flags;
  sa.cyclicSeq = p.cyclicSeq ?? (flags & SADB_X_EXT_CYCSEQ) !== 0;
  sa.tfcPadTo = p.tfcPadTo ?? 0;
  sa.hard = lifetimeOf(p.hard);
  sa.soft = lifetimeOf(p.soft);
  if (p.natt) sa.natt = { ...p.natt };
}

function setAlgorithms(sa: SecAssoc, p: SaParams): void {
  try {
    if (sa.proto === 'ipcomp') {
      if (p.encAlg || p.authAlg || p.encKey?.length || p.authKey?.length)
        throw new ErrnoError('EINVAL', 'IPComp takes no keys');
      if (!p.compAlg) throw new ErrnoError('EINVAL', 'IPComp needs a compression algorithm');
      sa.compAlg = findCompAlg(p.compAlg);
      return;
    }
    if (p.compAlg) throw new ErrnoError('EINVAL', `${sa.proto.toUpperCase()} takes no compression algorithm`);
    if (sa.proto === 'ah') {
      if (p.encAlg || p.encKey?.length) throw new ErrnoError('EINVAL', 'AH takes no encryption algorithm');
      if (!p.authAlg) throw new ErrnoError('EINVAL', 'AH needs an authentication algorithm');
    } else if (!p.encAlg) {
      throw new ErrnoError('EINVAL', 'ESP needs an encryption algorithm (null for none)');
    }
    if (p.encAlg) {
      const alg = findEncAlg(p.encAlg);
      if (alg.kind === 'aead' && p.authAlg && p.authAlg !== 'null')
        throw new ErrnoError('EINVAL', `${alg.name} is combined mode: no -A`);
      sa.encAlg = alg;
      sa.encKey = new Uint8Array(p.encKey ?? []);
      if (alg.kind === 'aead') sa.aead = alg.create(sa.encKey, p.backend);
      else sa.cipher = alg.create(sa.encKey, p.backend);
    }
    if (p.authAlg) {
      sa.authAlg = findAuthAlg(p.authAlg);
      sa.authKey = new Uint8Array(p.authKey ?? []);
      sa.auth = sa.authAlg.create(sa.authKey, p.backend);
    }
  } catch (err) {
    wipe(sa.encKey, sa.authKey);
    if (err instanceof ErrnoError) throw err;
    throw new ErrnoError('EINVAL', (err as Error).message);
  }
}
