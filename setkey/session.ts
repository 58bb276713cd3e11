// setkey's PF_KEY socket (ipsec-tools setkey.c sendkeymsg/promisc): one connection to a kernel (uipsecd over
// its Unix socket, or an in-process keysock), requests with their replies (a dump runs until seq 0, RFC 2367
// §3.1.10), every raw message shown to an optional tracer (-v, -H), and the promiscuous mode of -x.
import * as C from '../pfkey/constants.js';
import { PfkeyClient, type PfkeyTransport } from '../pfkey/client.js';
import { PfkeyError } from '../pfkey/errors.js';
import { encodeMessage, makeSadbMsg, type PfkeyMessage } from '../pfkey/msg.js';

/** Sees every message on the socket: 'send' before it leaves, 'recv' as it arrives (raw bytes). */
export type PfkeyTracer = (dir: 'send' | 'recv', raw: Uint8Array) => void;

/** A transport that shows every message to a tracer on its way through (setkey -v / -H). */
export class TracingTransport implements PfkeyTransport {
  constructor(private readonly inner: PfkeyTransport, private readonly trace: PfkeyTracer) {}
  send(msg: Uint8Array): void { this.trace('send', msg); this.inner.send(msg); }
  onMessage(fn: (msg: Uint8Array) => void): void {
    this.inner.onMessage((m) => { this.trace('recv', m); fn(m); });
  }
  onClose(fn: (err?: Error) => void): void { this.inner.onClose(fn); }
  pause(): void { this.inner.pause?.(); }
  resume(): void { this.inner.resume?.(); }
  close(): void { this.inner.close(); }
}

const DUMPS = new Set([C.SADB_DUMP, C.SADB_X_SPDDUMP]);

/** The reply setkey prints for a refused request: the request's header with sadb_msg_errno (key_senderror). */
function errorReply(m: PfkeyMessage, e: unknown): PfkeyMessage {
  if (!(e instanceof PfkeyError)) throw e;
  return { msg: { ...m.msg, errno: e.errnoNumber }, ext: {} };
}

export interface SessionOptions {
  /** sadb_msg_pid of every request (setkey sends getpid()). */
  pid: number;
  tracer?: PfkeyTracer;
}

/** One PF_KEY socket as setkey uses it. */
export class SetkeySession {
  private readonly client: PfkeyClient;
  readonly transport: PfkeyTransport;

  constructor(transport: PfkeyTransport, readonly opts: SessionOptions) {
    this.transport = opts.tracer ? new TracingTransport(transport, opts.tracer) : transport;
    this.client = new PfkeyClient(this.transport, { pid: opts.pid, firstSeq: 0 });
  }

  /**
   * Sends one message and resolves with every reply: one for most requests, the whole table for
   * SADB_DUMP / SADB_X_SPDDUMP (an empty table is the single ENOENT reply, as the kernel sends it).
   * A kernel error resolves as a reply with sadb_msg_errno set; only a lost connection rejects.
   * Requests may be issued without waiting (pipelined): replies come back in order on one socket.
   */
  async request(m: PfkeyMessage): Promise<PfkeyMessage[]> {
    if (DUMPS.has(m.msg.type)) return this.dump(m);
    // setkey sends seq 0; we number requests so that pipelined replies are matched to their request.
    const req: PfkeyMessage = { ...m, msg: { ...m.msg, seq: this.client.nextSeq(), pid: this.opts.pid } };
    try {
      return [await this.client.request(req)];
    } catch (e) {
      return [errorReply(req, e)];
    }
  }

  private async dump(m: PfkeyMessage): Promise<PfkeyMessage[]> {
    const out: PfkeyMessage[] = [];
    try {
      for await (const r of this.client.dump(m.msg.type, m.msg.satype)) out.push(r);
    } catch (e) {
      return [...out, errorReply(m, e)];
    }
    if (out.length === 0) return [{ msg: { ...m.msg, pid: this.opts.pid, errno: 2 }, ext: {} }];
    return out;
  }

  /** Messages nobody asked for (other processes' broadcasts, ACQUIRE, EXPIRE). */
  onUnsolicited(fn: (m: PfkeyMessage, raw: Uint8Array) => void): () => void {
    return this.client.onMessage(fn);
  }

  close(): void { this.client.close(); }
}

/**
 * setkey -x: SADB_X_PROMISC with satype 1, then every raw message read from the socket goes to `fn` until
 * the signal aborts or the socket closes. Resolves with the close error, if any.
 */
export function runPromisc(
  transport: PfkeyTransport, pid: number, fn: (raw: Uint8Array) => void, signal?: AbortSignal,
): Promise<Error | undefined> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (err?: Error): void => {
      if (done) return;
      done = true;
      signal?.removeEventListener('abort', onAbort);
      resolve(err);
    };
    const onAbort = (): void => { transport.close(); finish(); };
    transport.onMessage((raw) => { if (!done) fn(raw); });
    transport.onClose((err) => finish(err));
    if (signal?.aborted) { onAbort(); return; }
    signal?.addEventListener('abort', onAbort);
    try {
      transport.send(encodeMessage({ msg: makeSadbMsg(C.SADB_X_PROMISC, C.SADB_X_PROMISC_ON, 0, pid), ext: {} }));
    } catch (e) {
      finish(e as Error);
    }
  });
}
