// setkey's PF_KEY socket (ipsec-tools setkey.c sendkeymsg/promisc): one connection to a kernel (uipsecd over
// its Unix socket, or an in-process keysock), requests with their replies (a dump runs until seq 0, RFC 2367
// §3.1.10), every raw message shown to an optional tracer (-v, -H), and the promiscuous mode of -x.
import * as C from '../pfkey/constants.js';
import type { PfkeyTransport } from '../pfkey/client.js';
import { HOST_LITTLE_ENDIAN } from '../pfkey/layout.js';
import { decodeMessage, encodeMessage, makeSadbMsg, type PfkeyMessage } from '../pfkey/msg.js';
import { ERRNO_NUMBERS } from '../pfkey/errors.js';

/** Sees every message on the socket: 'send' before it leaves, 'recv' as it arrives (raw bytes). */
export type PfkeyTracer = (dir: 'send' | 'recv', raw: Uint8Array) => void;

/** A transport that shows every message to a tracer on its way through (setkey -v / -H). */
export class TracingTransport implements PfkeyTransport {
  constructor(
    private readonly inner: PfkeyTransport,
    private readonly trace: PfkeyTracer,
  ) {}
  send(msg: Uint8Array): void {
    this.trace('send', msg);
    this.inner.send(msg);
  }
  onMessage(fn: (msg: Uint8Array) => void): void {
    this.inner.onMessage((m) => {
      this.trace('recv', m);
      fn(m);
    });
  }
  onClose(fn: (err?: Error) => void): void {
    this.inner.onClose(fn);
  }
  pause(): void {
    this.inner.pause?.();
  }
  resume(): void {
    this.inner.resume?.();
  }
  close(): void {
    this.inner.close();
  }
}

const DUMPS = new Set([C.SADB_DUMP, C.SADB_X_SPDDUMP]);
/** Replies setkey prints from their body (postproc); the others need only their header. */
const PRINTED = new Set([C.SADB_GET, C.SADB_X_SPDGET]);

export interface SessionOptions {
  /** sadb_msg_pid of every request (setkey sends getpid()). */
  pid: number;
  tracer?: PfkeyTracer;
}

interface Waiter {
  type: number;
  resolve(m: PfkeyMessage[]): void;
  reject(e: Error): void;
}
interface DumpWaiter extends Waiter {
  got: PfkeyMessage[];
}

/** sadb_msg fields read straight from the bytes (host order, RFC 2367 §2.1). */
function header(raw: Uint8Array): { type: number; errno: number; seq: number; pid: number } | undefined {
  if (raw.length < 16) return undefined;
  const dv = new DataView(raw.buffer, raw.byteOffset, 16);
  return {
    type: raw[1]!,
    errno: raw[2]!,
    seq: dv.getUint32(8, HOST_LITTLE_ENDIAN),
    pid: dv.getUint32(12, HOST_LITTLE_ENDIAN),
  };
}

/**
 * One PF_KEY socket as setkey uses it. Requests are numbered (setkey sends seq 0; numbering lets pipelined
 * replies find their request) and matched by (type, seq, pid); a reply that setkey does not print is not
 * decoded beyond its header. A dump collects every message of its type for our pid until seq 0 (§3.1.10).
 * Messages for other sockets (broadcasts, ACQUIRE, EXPIRE) are ignored, as setkey.c's recv loop skips them.
 */
export class SetkeySession {
  readonly transport: PfkeyTransport;
  private seq = 0;
  private readonly waiting = new Map<number, Waiter>();
  private dumpWaiter: DumpWaiter | undefined;
  private closedErr: Error | undefined;
  /** Replies that did not decode (counted, answered as EINVAL to the caller). */
  badReplies = 0;

  constructor(
    transport: PfkeyTransport,
    readonly opts: SessionOptions,
  ) {
    this.transport = opts.tracer ? new TracingTransport(transport, opts.tracer) : transport;
    this.transport.onMessage((raw) => this.receive(raw));
    this.transport.onClose((err) => this.closed(err ?? new Error('PF_KEY socket closed')));
  }

  /**
   * Sends one message and resolves with every reply: one for most requests, the whole table for
   * SADB_DUMP / SADB_X_SPDDUMP (an empty table is the single ENOENT reply). A kernel error resolves as a
   * reply with sadb_msg_errno set; a lost connection rejects. Requests may be issued without waiting.
   */
  request(m: PfkeyMessage): Promise<PfkeyMessage[]> {
    if (this.closedErr) return Promise.reject(this.closedErr);
    this.seq = this.seq >= 0xffffffff ? 1 : this.seq + 1;
    const req: PfkeyMessage = { ...m, msg: { ...m.msg, seq: this.seq, pid: this.opts.pid } };
    let bytes: Uint8Array;
    try {
      bytes = encodeMessage(req);
    } catch (e) {
      return Promise.reject(e);
    }
    const p = new Promise<PfkeyMessage[]>((resolve, reject) => {
      if (DUMPS.has(m.msg.type)) this.dumpWaiter = { type: m.msg.type, got: [], resolve, reject };
      else this.waiting.set(this.seq, { type: m.msg.type, resolve, reject });
    });
    try {
      this.transport.send(bytes);
    } catch (e) {
      // the socket went away under us (the close notice may come later): fail this request now
      if (DUMPS.has(m.msg.type)) this.dumpWaiter = undefined;
      else this.waiting.delete(this.seq);
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    return p;
  }

  private receive(raw: Uint8Array): void {
    const h = header(raw);
    if (!h || h.pid !== this.opts.pid) return;
    const d = this.dumpWaiter;
    if (d && h.type === d.type) {
      this.dumpReply(d, raw, h.errno, h.seq);
      return;
    }
    const w = this.waiting.get(h.seq);
    if (!w || w.type !== h.type) return;
    this.waiting.delete(h.seq);
    const r = this.reply(raw, h, PRINTED.has(h.type) && h.errno === 0);
    // The kernel echoes our request number; setkey sends 0 and so prints sadb_seq=0 for a `get`.
    w.resolve([{ ...r, msg: { ...r.msg, seq: 0 } }]);
  }

  private dumpReply(d: DumpWaiter, raw: Uint8Array, errno: number, seq: number): void {
    if (errno !== 0) {
      this.dumpWaiter = undefined;
      d.resolve(
        errno === ERRNO_NUMBERS.ENOENT && d.got.length === 0
          ? [this.reply(raw, header(raw)!, false)]
          : [...d.got, this.reply(raw, header(raw)!, false)],
      );
      return;
    }
    d.got.push(this.reply(raw, header(raw)!, true));
    if (seq === 0) {
      this.dumpWaiter = undefined;
      d.resolve(d.got);
    }
  }

  /** The reply decoded (or only its header); a reply that does not decode reads as an EINVAL answer. */
  private reply(
    raw: Uint8Array,
    h: { type: number; errno: number; seq: number; pid: number },
    full: boolean,
  ): PfkeyMessage {
    const msg = {
      version: raw[0]!,
      type: h.type,
      errno: h.errno,
      satype: raw[3]!,
      reserved: 0,
      seq: h.seq,
      pid: h.pid,
    };
    if (!full) return { msg, ext: {} };
    try {
      return decodeMessage(raw);
    } catch {
      this.badReplies++;
      return { msg: { ...msg, errno: 22 }, ext: {} };
    }
  }

  private closed(err: Error): void {
    if (this.closedErr) return;
    this.closedErr = err;
    const ws = [...this.waiting.values()];
    this.waiting.clear();
    const d = this.dumpWaiter;
    this.dumpWaiter = undefined;
    // every request still waiting fails with the reason, so no caller hangs
    for (const w of ws) w.reject(err);
    d?.reject(err);
  }

  close(): void {
    this.transport.close();
    this.closed(new Error('PF_KEY socket closed'));
  }
}

/**
 * setkey -x: SADB_X_PROMISC with satype 1, then every raw message read from the socket goes to `fn` until
 * the signal aborts or the socket closes. Resolves with the close error, if any.
 */
export function runPromisc(
  transport: PfkeyTransport,
  pid: number,
  fn: (raw: Uint8Array) => void,
  signal?: AbortSignal,
): Promise<Error | undefined> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (err?: Error): void => {
      if (done) return;
      done = true;
      signal?.removeEventListener('abort', onAbort);
      resolve(err);
    };
    const onAbort = (): void => {
      transport.close();
      finish();
    };
    transport.onMessage((raw) => {
      if (!done) fn(raw);
    });
    transport.onClose((err) => finish(err));
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort);
    try {
      transport.send(encodeMessage({ msg: makeSadbMsg(C.SADB_X_PROMISC, C.SADB_X_PROMISC_ON, 0, pid), ext: {} }));
    } catch (e) {
      finish(e as Error);
    }
  });
}
