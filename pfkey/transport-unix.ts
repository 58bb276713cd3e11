// The Unix-domain stream transport to uipsecd: plain PF_KEY v2 messages back to back, each delimited by its
// own sadb_msg_len (RFC 2367 §2.1), no extra framing (stream.ts splits them). Framing only, no semantics.
import { connect, type Socket } from 'node:net';
import { PfkeyClient, type PfkeyClientOptions, type PfkeyTransport } from './client.js';
import { PfkeyStreamSplitter } from './stream.js';
import { assertSafeSocket } from '../common/socket-path.js';

/** Where uipsecd serves PF_KEY unless told otherwise. */
export const DEFAULT_PFKEY_SOCKET = '/var/run/uipsec/pfkey.sock';
/** Environment variable that overrides the socket path for every client. */
export const PFKEY_SOCKET_ENV = 'UIPSEC_PFKEY_SOCKET';

/** The socket path clients use: $UIPSEC_PFKEY_SOCKET if set and non-empty, else the default. */
export function defaultSocketPath(env: Record<string, string | undefined> = process.env): string {
  const p = env[PFKEY_SOCKET_ENV];
  return p !== undefined && p !== '' ? p : DEFAULT_PFKEY_SOCKET;
}

/** A PfkeyTransport over a connected stream socket (also used by the daemon's tests on raw sockets). */
export class UnixTransport implements PfkeyTransport {
  private readonly splitter = new PfkeyStreamSplitter({ maxMessageBytes: 512 * 1024 });
  private rx: (msg: Uint8Array) => void = () => {};
  private closeFns: ((err?: Error) => void)[] = [];
  private ended = false;

  constructor(private readonly sock: Socket) {
    sock.on('data', (chunk: Buffer) => this.data(chunk));
    sock.on('error', (err) => this.finish(err));
    sock.on('close', () => this.finish());
  }

  /**
   * Connects to the daemon's socket (default: defaultSocketPath()). Rejects with the connect error (ENOENT,
   * ECONNREFUSED, EACCES), or with SocketPathError when another user could have put the socket there.
   */
  static connect(path: string = defaultSocketPath()): Promise<UnixTransport> {
    return new Promise((resolve, reject) => {
      assertSafeSocket(path); // a throw here rejects: nothing is sent to a socket someone else controls
      const s = connect(path);
      const fail = (e: Error) => reject(e);
      s.once('error', fail);
      s.once('connect', () => {
        s.off('error', fail);
        resolve(new UnixTransport(s));
      });
    });
  }

  send(msg: Uint8Array): void {
    if (this.ended) throw new Error('PF_KEY socket closed');
    this.sock.write(msg);
  }

  onMessage(fn: (msg: Uint8Array) => void): void {
    this.rx = fn;
  }
  onClose(fn: (err?: Error) => void): void {
    this.closeFns.push(fn);
  }
  pause(): void {
    this.sock.pause();
  }
  resume(): void {
    this.sock.resume();
  }

  /** Bytes written but not yet flushed to the kernel (for pipelining senders). */
  get writableLength(): number {
    return this.sock.writableLength;
  }

  /** Resolves when the socket's write buffer has drained. */
  drained(): Promise<void> {
    if (!this.sock.writableNeedDrain) return Promise.resolve();
    return new Promise((r) => this.sock.once('drain', () => r()));
  }

  close(): void {
    this.sock.end();
    this.sock.destroySoon?.();
  }

  private data(chunk: Buffer): void {
    const r = this.splitter.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
    for (const m of r.messages) this.rx(m);
    if (r.error) {
      this.sock.destroy();
      this.finish(r.error);
    }
  }

  private finish(err?: Error): void {
    if (this.ended) return;
    this.ended = true;
    for (const fn of this.closeFns) fn(err);
  }
}

/** Connects a PfkeyClient to uipsecd (setkey, racoon): path from defaultSocketPath() unless given. */
export async function connectPfkey(
  path: string = defaultSocketPath(),
  opts: PfkeyClientOptions = {},
): Promise<PfkeyClient> {
  return new PfkeyClient(await UnixTransport.connect(path), opts);
}
