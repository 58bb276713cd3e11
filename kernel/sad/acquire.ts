// ACQUIRE rate limiting (KAME key.c `secacq`, key_acquire/key_getacq): one ACQUIRE per SA index, then the
// next `blockacq_count` triggers are suppressed; an entry lives `blockacq_lifetime` seconds. A GETSPI whose
// sequence number names the ACQUIRE (a larval SA being negotiated; RFC 2367 §3.1.1 makes its sadb_msg_seq
// the ACQUIRE's) refreshes the entry, so the kernel stays quiet while the key manager works (KAME key.c
// key_getspi finds the secacq by that sequence number and resets its created time and count).
import { addrKey } from '../../common/inet.js';
import type { IpsecMode, IpsecProto } from './secassoc.js';

/** KAME net.key.blockacq_count: triggers suppressed after an ACQUIRE before another one is sent. */
export const BLOCKACQ_COUNT = 10;
/** KAME net.key.blockacq_lifetime: seconds an ACQUIRE entry lives. */
export const BLOCKACQ_LIFETIME_SEC = 20;

/** KAME `secasindex`: what an outbound request needs an SA for. */
export interface SaIndex {
  proto: IpsecProto;
  mode: Exclude<IpsecMode, 'any'>;
  reqid: number;
  src: Uint8Array;
  dst: Uint8Array;
}

interface AcqEntry {
  seq: number;
  createdMs: number;
  count: number;
}

export function saIndexKey(x: SaIndex): string {
  return `${x.proto}|${x.mode}|${x.reqid}|${addrKey(x.src)}|${addrKey(x.dst)}`;
}

export interface AcquireOptions {
  blockCount?: number;
  lifetimeSec?: number;
}

/** The pending-ACQUIRE table of one host (KAME `acqtree`). */
export class AcquireTable {
  private readonly entries = new Map<string, AcqEntry>();
  private readonly bySeq = new Map<number, string>();
  private nextSeq = 1;
  private readonly blockCount: number;
  private readonly lifetimeMs: number;
  /** ACQUIREs sent and triggers suppressed, for tests and `netstat`-style output. */
  readonly stats = { sent: 0, suppressed: 0 };

  constructor(opts: AcquireOptions = {}) {
    this.blockCount = opts.blockCount ?? BLOCKACQ_COUNT;
    this.lifetimeMs = (opts.lifetimeSec ?? BLOCKACQ_LIFETIME_SEC) * 1000;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * A packet needs an SA for `idx` and none is usable. Returns the ACQUIRE sequence number to send, or
   * undefined when this trigger is suppressed (KAME key_acquire: count up to blockacq_count, then send again).
   * `larval` says whether a larval SA for the index exists: it holds the state, so nothing is re-sent.
   */
  trigger(idx: SaIndex, nowMs: number, larval: () => boolean): number | undefined {
    const key = saIndexKey(idx);
    let e = this.entries.get(key);
    if (e && nowMs - e.createdMs >= this.lifetimeMs) {
      this.forget(key, e);
      e = undefined;
    }
    if (e) {
      if (e.count < this.blockCount) {
        e.count++;
        this.stats.suppressed++;
        return undefined;
      }
      if (larval()) {
        e.count = 0;
        e.createdMs = nowMs;
        this.stats.suppressed++;
        return undefined;
      }
      e.count = 0;
      this.stats.sent++;
      return e.seq;
    }
    const seq = this.nextSeq;
    this.nextSeq = this.nextSeq >= 0xffffffff ? 1 : this.nextSeq + 1;
    this.entries.set(key, { seq, createdMs: nowMs, count: 0 });
    this.bySeq.set(seq, key);
    this.stats.sent++;
    return seq;
  }

  /**
   * GETSPI with sadb_msg_seq = an ACQUIRE's seq (KAME key_getspi), or the key manager's failure report
   * (ACQUIRE with errno): restart the entry's lifetime and counter. Returns false for an unknown seq.
   */
  refresh(seq: number, nowMs: number): boolean {
    const key = this.bySeq.get(seq);
    const e = key === undefined ? undefined : this.entries.get(key);
    if (!e) return false;
    e.createdMs = nowMs;
    e.count = 0;
    return true;
  }

  /** Drops entries older than the lifetime (KAME key_timehandler); returns how many went. */
  expire(nowMs: number): number {
    let n = 0;
    for (const [k, e] of this.entries) {
      if (nowMs - e.createdMs >= this.lifetimeMs) {
        this.forget(k, e);
        n++;
      }
    }
    return n;
  }

  /** An SA for the index became usable: the entry is no longer needed (KAME key_update deletes the acq). */
  resolved(idx: SaIndex): void {
    const key = saIndexKey(idx);
    const e = this.entries.get(key);
    if (e) this.forget(key, e);
  }

  clear(): void {
    this.entries.clear();
    this.bySeq.clear();
  }

  private forget(key: string, e: AcqEntry): void {
    this.entries.delete(key);
    this.bySeq.delete(e.seq);
  }
}
