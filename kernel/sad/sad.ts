// The Security Association Database (KAME keydb/key.c, RFC 4301 §4.4.2): SAs built from PF_KEY-level
// parameters, inbound lookup by (dst, proto, SPI), outbound lookup by SA index, GETSPI larval SAs, the
// larval -> mature -> dying -> dead life cycle with RFC 2367 §2.3.3 lifetimes, and key wiping on removal.
import type { Clock } from '../../common/clock.js';
import type { Rng } from '../../common/rng.js';
import { ErrnoError } from '../../common/errors.js';
import { addrEqual } from '../../common/inet.js';
import { wipe } from '../../common/bytes.js';
import { ipcompWireCpi, IPCOMP_CPI_NEGOTIATE_MIN } from '../ipsec/ipcomp.js';
import { SaRecord, type IpsecMode, type IpsecProto, type Lifetime, type SaState, type SecAssoc } from './secassoc.js';
import {
  applyParams,
  checkAddrs,
  larvalSa,
  lifetimeOf,
  IPCOMP_CPI_MAX,
  type SaParams,
  type GetSpiParams,
} from './params.js';
import { SadTables, better, entriesOf, type Entry } from './tables.js';

export { IPCOMP_CPI_MAX, type SaParams, type GetSpiParams } from './params.js';

/** KAME key.c: a larval SA not made mature by UPDATE within this many seconds is removed. */
export const LARVAL_LIFETIME_SEC = 30;
/** KAME key.c defaults for GETSPI without a SPIRANGE (SPIs 0..255 are reserved, RFC 4303 §2.1). */
export const SPI_MIN_DEFAULT = 0x100;
export const SPI_MAX_DEFAULT = 0x0fffffff;
const TICK_MS_DEFAULT = 1000;

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
  /** SAs becoming usable (ADD, UPDATE of a larval SA) and removed by DELETE/FLUSH: the kernel events' feed. */
  onChange?: (kind: 'added' | 'deleted', sa: SecAssoc) => void;
  /** KAME net.key.preferred_oldsa: pick the oldest usable SA for output (FreeBSD 9 default) instead of the newest. */
  preferOld?: boolean;
  larvalLifetimeSec?: number;
  /** Lifetime check period (KAME key_timehandler runs every second). */
  tickMs?: number;
}

const STATE_ORDER: Record<SaState, number> = { mature: 0, dying: 1, larval: 2, dead: 3 };

/** KAME key_allocsa_policy's test: usable, mode equal unless either is 'any', reqid equal unless 0 asked. */
function fitsOut(e: Entry, mode: IpsecMode, reqid: number): boolean {
  const sa = e.sa;
  if (sa.state !== 'mature' && sa.state !== 'dying') return false;
  if (mode !== 'any' && sa.mode !== 'any' && sa.mode !== mode) return false;
  return reqid === 0 || sa.reqid === reqid;
}

/** The SAD of one host (KAME `sahtree` + `savtree`). Not thread-safe; one per KernelHost. */
export class Sad {
  private readonly tables = new SadTables();
  private readonly entries = this.tables.entries;
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
    if (this.tables.findIn(p.dst, p.proto, p.spi, true))
      throw new ErrnoError('EEXIST', `SPI 0x${(p.spi >>> 0).toString(16)} exists`);
    const sa = larvalSa(
      p.proto,
      p.mode ?? 'any',
      this.tables.address(p.src),
      this.tables.address(p.dst),
      p.reqid ?? 0,
      p.spi >>> 0,
      p.pid ?? 0,
      p.seq ?? 0,
      this.nowSec(),
    );
    applyParams(sa, p);
    sa.state = 'mature';
    this.insert(sa);
    this.opts.onChange?.('added', sa);
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
    const spi = this.tables.pickSpi(this.opts.rng, p.proto, p.dst, min, max);
    const [src, dst] = [this.tables.address(p.src), this.tables.address(p.dst)];
    const sa = larvalSa(p.proto, p.mode ?? 'any', src, dst, p.reqid ?? 0, spi, p.pid, p.seq ?? 0, this.nowSec());
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
    const e = this.tables.findIn(p.dst, p.proto, p.spi, true);
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
    applyParams(sa as SaRecord, p); // throws before anything else changes (every SA here came from larvalSa)
    const mode = p.mode ?? sa.mode;
    const reqid = p.reqid ?? sa.reqid;
    if (mode !== sa.mode || reqid !== sa.reqid) this.tables.rehead(e, mode, reqid);
    if (p.seq !== undefined) sa.seq = p.seq;
    this.setState(e, 'mature');
    this.opts.onChange?.('added', sa);
    return sa;
  }

  /** The usable (mature or dying) SA for an inbound packet; the source address is not compared (RFC 4301 §4.1). */
  lookupIn(dst: Uint8Array, proto: IpsecProto, spi: number): SecAssoc | undefined {
    return this.tables.findIn(dst, proto, spi, false)?.sa;
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
    const e = this.tables.findIn(dst, proto, spi, true);
    return e && addrEqual(e.sa.src, src) ? e.sa : undefined;
  }

  /**
   * The SA for an outbound request (KAME key_allocsa_policy): same proto/src/dst, mode equal unless
   * either side is 'any', reqid equal unless the request's is 0. Mature before dying; within a state the
   * newest (or the oldest with preferOld, which also puts dying first).
   */
  lookupOut(src: Uint8Array, dst: Uint8Array, proto: IpsecProto, mode: IpsecMode, reqid: number): SecAssoc | undefined {
    const found = this.tables.between(proto, src, dst);
    if (found === undefined) return undefined;
    // One SA per pair is the common case: no list, no loop.
    if (!Array.isArray(found)) return fitsOut(found as Entry, mode, reqid) ? (found as Entry).sa : undefined;
    const old = this.opts.preferOld === true;
    let best: Entry | undefined;
    for (const e of found as readonly Entry[]) if (fitsOut(e, mode, reqid) && (!best || better(e, best, old))) best = e;
    return best?.sa;
  }

  /**
   * True if a larval SA of `proto` exists between `a` and `b` in either direction (GETSPI creates the
   * inbound one): the key manager is already negotiating, so an ACQUIRE is pending. O(1) per direction.
   */
  hasLarvalBetween(a: Uint8Array, b: Uint8Array, proto: IpsecProto): boolean {
    const larval = (e: Entry) => e.sa.state === 'larval';
    return (
      entriesOf(this.tables.between(proto, a, b)).some(larval) ||
      entriesOf(this.tables.between(proto, b, a)).some(larval)
    );
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
    const e = this.tables.findIn(dst, proto, spi, true);
    if (!e || !addrEqual(e.sa.src, src)) return undefined;
    this.kill(e);
    this.opts.onChange?.('deleted', e.sa);
    return e.sa;
  }

  /** SADB_DELETE without an SPI (setkey deleteall): every live SA of proto from src to dst. */
  deleteAll(src: Uint8Array, dst: Uint8Array, proto: IpsecProto): SecAssoc[] {
    const list = [...entriesOf(this.tables.between(proto, src, dst))];
    for (const e of list) this.kill(e);
    for (const e of list) this.opts.onChange?.('deleted', e.sa);
    return list.map((e) => e.sa);
  }

  /** SADB_FLUSH: every SA, or every SA of one protocol. Returns how many went. */
  flush(proto?: IpsecProto): number {
    let n = 0;
    for (const e of [...this.entries.values()]) {
      if (proto && e.sa.proto !== proto) continue;
      this.kill(e);
      this.opts.onChange?.('deleted', e.sa);
      n++;
    }
    return n;
  }

  /** SADB_DUMP order: SA heads newest first; within a head mature, dying, larval, each oldest first. */
  dump(proto?: IpsecProto): SecAssoc[] {
    const list = [...this.entries.values()].filter((e) => !proto || e.sa.proto === proto);
    list.sort(
      (a, b) =>
        b.headSerial - a.headSerial ||
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

  private nowSec(): number {
    return Math.floor(this.opts.clock.now() / 1000);
  }

  private insert(sa: SecAssoc): void {
    const now = this.opts.clock.now();
    this.tables.insert(sa, now, now + this.larvalMs);
    this.armTimer();
  }

  private setState(e: Entry, st: SaState): void {
    e.sa.state = st;
    e.stateSerial = this.tables.nextSerial();
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
    this.tables.remove(e);
    if (sa instanceof SaRecord) sa.wipeKeys();
    else wipe(sa.encKey, sa.authKey);
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
