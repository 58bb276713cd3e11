// PF_KEY over a Unix stream socket, daemon side: each connection is one PF_KEY socket of the KeySock.
// Plain PF_KEY v2 messages back to back, delimited by sadb_msg_len (pfkey/stream.ts); a client whose stream
// cannot be framed (garbage header) is disconnected, and affects no other. Writes respect backpressure for
// dumps (the dump pauses until 'drain'); broadcasts to a client that stopped reading are dropped past a
// limit and counted, as a full PF_KEY receive buffer drops them (ENOBUFS).
import type { Server, Socket } from 'node:net';
import { PfkeyStreamSplitter } from '../../pfkey/stream.js';
import type { Logger } from '../../common/log.js';
import type { KeySock, KeySocket } from '../keysock/keysock.js';
import { closeUnix, listenUnix } from './unix-listener.js';

/** Bytes queued to one client beyond which further messages are dropped (KAME: socket buffer full). */
export const CLIENT_QUEUE_LIMIT = 64 * 1024 * 1024;
/** Bytes queued beyond which a dump pauses until the client reads. */
export const DUMP_HIGH_WATER = 256 * 1024;

export interface PfkeyServerStats {
  connections: number;
  open: number;
  framingErrors: number;
  dropped: number;
}

export class PfkeyServer {
  readonly stats: PfkeyServerStats = { connections: 0, open: 0, framingErrors: 0, dropped: 0 };
  private readonly clients = new Set<Socket>();
  private server: Server | undefined;

  constructor(
    private readonly keysock: KeySock,
    readonly path: string,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.server = await listenUnix(this.path, (s) => this.accept(s));
    this.log.log('notice', `PF_KEY listening on ${this.path}`);
  }

  async close(): Promise<void> {
    if (this.server) await closeUnix(this.server, this.path, this.clients);
    this.server = undefined;
  }

  private accept(conn: Socket): void {
    this.stats.connections++;
    this.stats.open++;
    this.clients.add(conn);
    const id = this.stats.connections;
    const splitter = new PfkeyStreamSplitter({ maxMessageBytes: 65536 });
    // Messages for this client are gathered and written once per event-loop turn (one syscall for a
    // burst of replies); `wantResume` remembers a dump paused for room.
    const out: Uint8Array[] = [];
    let outBytes = 0;
    let scheduled = false;
    let wantResume = false;
    const flush = () => {
      scheduled = false;
      if (out.length === 0 || conn.destroyed) return;
      const ok = conn.write(out.length === 1 ? out[0]! : Buffer.concat(out, outBytes));
      out.length = 0;
      outBytes = 0;
      if (ok && wantResume) {
        wantResume = false;
        ksock?.resume();
      }
    };
    let ksock: KeySocket | undefined = this.keysock.openSocket({
      deliver: (msg) => {
        if (conn.destroyed) return true;
        if (conn.writableLength + outBytes > CLIENT_QUEUE_LIMIT) {
          this.stats.dropped++;
          wantResume = true;
          return false;
        }
        out.push(msg);
        outBytes += msg.length;
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
        const room = conn.writableLength + outBytes < DUMP_HIGH_WATER;
        if (!room) wantResume = true;
        return room;
      },
    });
    conn.on('drain', () => {
      if (wantResume) {
        wantResume = false;
        ksock?.resume();
      }
    });
    conn.on('data', (chunk: Buffer) => {
      const r = splitter.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
      for (const m of r.messages) ksock?.send(m);
      if (r.error) {
        this.stats.framingErrors++;
        this.log.log('info', `pfkey client ${id}: ${r.error.message}; disconnecting it`);
        conn.destroy();
      }
    });
    const done = () => {
      if (!this.clients.delete(conn)) return;
      this.stats.open--;
      ksock?.close();
      ksock = undefined;
      this.log.log('debug', `pfkey client ${id} gone`);
    };
    conn.on('error', (e) => {
      this.log.log('debug', `pfkey client ${id}: ${e.message}`);
      done();
    });
    conn.on('close', done);
    this.log.log('debug', `pfkey client ${id} connected`);
  }
}
