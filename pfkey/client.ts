// The user side of a PF_KEY socket (RFC 2367 §1.1, §3): send messages, match replies by (type, seq, pid),
// collect multi-message DUMP replies (sequence counting down to 0), hand every other message (ACQUIRE,
// EXPIRE, other processes' broadcasts) to listeners, and turn sadb_msg_errno into a typed PfkeyError.
import * as C from './constants.js';
import { SADB_MSG_NAMES, nameOf } from './names.js';
import { PfkeyError, errnoName } from './errors.js';
import { type PfkeyMessage, decodeMessage, encodeMessage, makeSadbMsg } from './msg.js';

/** A message pipe to a PF_KEY "kernel": whole messages in, whole messages out (framing is the transport's job). */
export interface PfkeyTransport {
  send(msg: Uint8Array): void;
  onMessage(fn: (msg: Uint8Array) => void): void;
  onClose(fn: (err?: Error) => void): void;
  /** Flow control for long dumps: stop / restart delivering messages (optional). */
  pause?(): void;
  resume?(): void;
  close(): void;
}

export interface PfkeyClientOptions {
  /** sadb_msg_pid of our requests; default process.pid (as libipsec sends getpid()). */
  pid?: number;
  /** First sadb_msg_seq; default a random value so that two clients in one process rarely collide. */
  firstSeq?: number;
  /** Messages buffered by a dump iterator before the transport is paused. */
  dumpHighWater?: number;
}

interface Pending {
  resolve(m: PfkeyMessage): void;
  reject(e: Error): void;
}

interface DumpState {
  queue: (PfkeyMessage | Error | null)[];
  wake: (() => void) | undefined;
}

const DUMP_TYPES = new Set([C.SADB_DUMP, C.SADB_X_SPDDUMP]);

/** The message an error reply carries, as a PfkeyError (errno numbers outside our vocabulary read as EINVAL). */
export function errorOfReply(m: PfkeyMessage): PfkeyError {
  const name = errnoName(m.msg.errno) ?? 'EINVAL';
  return new PfkeyError(name, `${nameOf(SADB_MSG_NAMES, m.msg.type)} failed with errno ${m.msg.errno}`);
}

/** One PF_KEY socket, user side. */
export class PfkeyClient {
  readonly pid: number;
  private seq: number;
  private readonly pending = new Map<string, Pending>();
  private readonly dumps = new Map<number, DumpState>();
  private readonly listeners = new Set<(m: PfkeyMessage, raw: Uint8Array) => void>();
  private readonly highWater: number;
  private closedErr: Error | undefined;
  /** Messages that did not decode (a broken kernel), counted and dropped. */
  badMessages = 0;

  constructor(
    private readonly transport: PfkeyTransport,
    opts: PfkeyClientOptions = {},
  ) {
    this.pid = (opts.pid ?? process.pid) >>> 0;
    this.seq = (opts.firstSeq ?? Math.floor(Math.random() * 0x7fffffff)) >>> 0;
    this.highWater = opts.dumpHighWater ?? 1024;
    transport.onMessage((raw) => this.receive(raw));
    transport.onClose((err) => this.closed(err ?? new Error('PF_KEY socket closed')));
  }

  /** The next sadb_msg_seq (never 0, which KAME reads as "no sequence"). */
  nextSeq(): number {
    this.seq = this.seq >= 0xffffffff ? 1 : this.seq + 1;
    return this.seq;
  }

  /** A header for a new request from this client. */
  header(type: number, satype: number, seq = this.nextSeq()): PfkeyMessage['msg'] {
    return makeSadbMsg(type, satype, seq, this.pid);
  }

  /**
   * Receives every message not consumed as a reply to one of our requests (ACQUIRE, EXPIRE, broadcasts),
   * and, on a promiscuous socket, the inner message of each X_PROMISC copy (then raw[1] is SADB_X_PROMISC).
   * Messages that never get a reply (a header-only ACQUIRE) should be sent with send(), not request().
   */
  onMessage(fn: (m: PfkeyMessage, raw: Uint8Array) => void): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }

  /** Sends without waiting (pipelining); the reply, if any, reaches onMessage listeners. */
  send(m: PfkeyMessage | Uint8Array): void {
    if (this.closedErr) throw this.closedErr;
    this.transport.send(m instanceof Uint8Array ? m : encodeMessage(m));
  }

  /**
   * Sends one message and resolves with the reply carrying the same type, seq and pid; rejects with a
   * PfkeyError when the kernel answers with sadb_msg_errno set.
   */
  request(m: PfkeyMessage): Promise<PfkeyMessage> {
    if (this.closedErr) return Promise.reject(this.closedErr);
    const key = replyKey(m.msg.type, m.msg.seq, m.msg.pid);
    if (this.pending.has(key))
      return Promise.reject(new PfkeyError('EBUSY', `a request with seq ${m.msg.seq} is outstanding`));
    const p = new Promise<PfkeyMessage>((resolve, reject) => this.pending.set(key, { resolve, reject }));
    try {
      this.transport.send(encodeMessage(m));
    } catch (e) {
      this.pending.delete(key);
      return Promise.reject(e);
    }
    return p;
  }

  /**
   * SADB_DUMP / SADB_X_SPDDUMP as a stream: yields each entry until the one with seq 0. An empty table
   * (ENOENT) yields nothing; other errors are thrown. The transport is paused while the consumer lags.
   */
  async *dump(type: number, satype = C.SADB_SATYPE_UNSPEC): AsyncGenerator<PfkeyMessage> {
    if (!DUMP_TYPES.has(type)) throw new PfkeyError('EINVAL', `${nameOf(SADB_MSG_NAMES, type)} is not a dump`);
    if (this.dumps.has(type)) throw new PfkeyError('EBUSY', 'a dump of this type is already running');
    const st: DumpState = { queue: [], wake: undefined };
    this.dumps.set(type, st);
    try {
      this.send({ msg: this.header(type, satype), ext: {} });
      for (;;) {
        while (st.queue.length === 0)
          await new Promise<void>((r) => {
            st.wake = r;
          });
        const item = st.queue.shift()!;
        if (st.queue.length < this.highWater / 2) this.transport.resume?.();
        if (item === null) return;
        if (item instanceof Error) throw item;
        yield item;
      }
    } finally {
      this.dumps.delete(type);
      this.transport.resume?.();
    }
  }

  /** A whole dump as an array (small tables; use dump() for large ones). */
  async dumpAll(type: number, satype = C.SADB_SATYPE_UNSPEC): Promise<PfkeyMessage[]> {
    const out: PfkeyMessage[] = [];
    for await (const m of this.dump(type, satype)) out.push(m);
    return out;
  }

  close(): void {
    this.transport.close();
    this.closed(new Error('PF_KEY socket closed'));
  }

  private receive(raw: Uint8Array): void {
    if (raw.length > 16 && raw[1] === C.SADB_X_PROMISC && raw[16] === C.PF_KEY_V2) {
      this.promiscCopy(raw);
      return;
    }
    let m: PfkeyMessage;
    try {
      m = decodeMessage(raw);
    } catch {
      this.badMessages++;
      return;
    }
    if (m.msg.pid === this.pid && this.routeDump(m)) return;
    const key = replyKey(m.msg.type, m.msg.seq, m.msg.pid);
    const p = m.msg.pid === this.pid ? this.pending.get(key) : undefined;
    if (p) {
      this.pending.delete(key);
      if (m.msg.errno !== 0) p.reject(errorOfReply(m));
      else p.resolve(m);
      return;
    }
    for (const fn of [...this.listeners]) fn(m, raw);
  }

  /** A promiscuous copy (X_PROMISC header + a whole message): the inner message goes to listeners, with the wrapper as raw. */
  private promiscCopy(raw: Uint8Array): void {
    let inner: PfkeyMessage;
    try {
      inner = decodeMessage(raw.subarray(16));
    } catch {
      this.badMessages++;
      return;
    }
    for (const fn of [...this.listeners]) fn(inner, raw);
  }

  /** Dump replies: entries until seq 0; an error reply ends the dump (ENOENT = empty). */
  private routeDump(m: PfkeyMessage): boolean {
    const st = this.dumps.get(m.msg.type);
    if (!st) return false;
    if (m.msg.errno !== 0) {
      const err = errorOfReply(m);
      st.queue.push(err.errno === 'ENOENT' ? null : err);
    } else {
      st.queue.push(m);
      if (m.msg.seq === 0) st.queue.push(null);
    }
    if (st.queue.length >= this.highWater) this.transport.pause?.();
    const w = st.wake;
    st.wake = undefined;
    w?.();
    return true;
  }

  private closed(err: Error): void {
    if (this.closedErr) return;
    this.closedErr = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const st of this.dumps.values()) {
      st.queue.push(err);
      const w = st.wake;
      st.wake = undefined;
      w?.();
    }
  }
}

function replyKey(type: number, seq: number, pid: number): string {
  return `${type}:${seq >>> 0}:${pid >>> 0}`;
}
