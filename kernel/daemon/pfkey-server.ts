// PF_KEY over a Unix stream socket, daemon side: each connection is one PF_KEY socket of the KeySock.
// Plain PF_KEY v2 messages back to back, delimited by sadb_msg_len (pfkey/stream.ts); a client whose stream
// cannot be framed (garbage header) is disconnected, and affects no other. What waits for a client is
// bounded per client and for all of them (pfkey-queue.ts): a dump pauses until its reader reads, and a
// client that stops reading while messages keep coming is disconnected and counted (issue 11 item 4), so
// that it can cost neither memory nor the daemon's time. In TUN mode a message that changes the SPD is
// answered only once the machine's routes follow it (`settle`): when `setkey` returns, a `require` policy's
// traffic already goes into the TUN (or is refused), and the client's next message — an SA for it — is
// read only then.
import type { Server, Socket } from 'node:net';
import { PfkeyStreamSplitter } from '../../pfkey/stream.js';
import type { Logger } from '../../common/log.js';
import type { KeySock, KeySocket } from '../keysock/keysock.js';
import { closeUnix, listenUnix } from './unix-listener.js';
import { ClientQueue, QueueBudget } from './pfkey-queue.js';
import {
  SADB_X_SPDADD,
  SADB_X_SPDDELETE,
  SADB_X_SPDDELETE2,
  SADB_X_SPDFLUSH,
  SADB_X_SPDUPDATE,
} from '../../pfkey/constants.js';

/** Message types that change the SPD (sadb_msg_type, byte 1): a run of them is settled once. */
const SPD_CHANGES = new Set([SADB_X_SPDADD, SADB_X_SPDUPDATE, SADB_X_SPDDELETE, SADB_X_SPDDELETE2, SADB_X_SPDFLUSH]);

export { CLIENT_QUEUE_LIMIT, DUMP_HIGH_WATER, GLOBAL_QUEUE_BUDGET } from './pfkey-queue.js';

export interface PfkeyServerStats {
  connections: number;
  open: number;
  framingErrors: number;
  /** Messages not queued because the client's queue or the global budget was full (pfkeystat in_nomem). */
  dropped: number;
  /** Clients disconnected for it. */
  overBudget: number;
}

/** One connected client. */
interface Client {
  id: number;
  conn: Socket;
  queue: ClientQueue;
  ksock: KeySocket | undefined;
  /** A dump paused for room. */
  wantResume: boolean;
  /** Messages read and not yet given to the KeySock (waiting for `settle`). */
  pending: Uint8Array[];
  /** While waiting for `settle`: what the KeySock sends this client, delivered after it. */
  held: Uint8Array[] | undefined;
  heldBytes: number;
}

export class PfkeyServer {
  readonly stats: PfkeyServerStats = { connections: 0, open: 0, framingErrors: 0, dropped: 0, overBudget: 0 };
  readonly budget: QueueBudget;
  private readonly clients = new Map<Socket, Client>();
  private server: Server | undefined;
  /**
   * Set in TUN mode: undefined when the SPD's effects outside the daemon (routes) are in place, else a
   * promise resolved when they are. Never rejects.
   */
  settle: (() => Promise<void> | undefined) | undefined;

  constructor(
    private readonly keysock: KeySock,
    readonly path: string,
    private readonly log: Logger,
    budget?: QueueBudget,
  ) {
    this.budget = budget ?? new QueueBudget();
  }

  async start(): Promise<void> {
    this.server = await listenUnix(this.path, (s) => this.accept(s));
    this.log.log('notice', `PF_KEY listening on ${this.path}`);
  }

  async close(): Promise<void> {
    if (this.server) await closeUnix(this.server, this.path, this.clients.keys());
    this.server = undefined;
  }

  /**
   * Non-zero PF_KEY counters for `uipsec status`, named after FreeBSD's pfkeystat (netstat -s -p pfkey):
   * out_total messages from clients, in_total copies to them, in_nomem copies not delivered for want of room;
   * and ours: in_closed clients disconnected for not reading, queued/queued_peak bytes waiting.
   */
  counters(): Record<string, number> {
    const k = this.keysock.stats;
    const all: Record<string, number> = {
      pfkey_out_total: k.received,
      pfkey_in_total: k.delivered,
      pfkey_in_nomem: k.dropped + this.stats.dropped,
      pfkey_in_closed: this.stats.overBudget,
      pfkey_queued_bytes: this.budget.used,
      pfkey_queued_peak: this.budget.peak,
    };
    return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== 0));
  }

  private accept(conn: Socket): void {
    this.stats.connections++;
    this.stats.open++;
    const c: Client = {
      id: this.stats.connections,
      conn,
      queue: undefined!,
      ksock: undefined,
      wantResume: false,
      pending: [],
      held: undefined,
      heldBytes: 0,
    };
    c.queue = new ClientQueue(conn, this.budget, () => this.resume(c));
    this.clients.set(conn, c);
    const splitter = new PfkeyStreamSplitter({ maxMessageBytes: 65536 });
    c.ksock = this.keysock.openSocket({ deliver: (msg) => this.deliver(c, msg) });
    conn.on('data', (chunk: Buffer) => {
      const r = splitter.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
      c.pending.push(...r.messages);
      if (!c.held) this.pump(c);
      if (r.error) {
        this.stats.framingErrors++;
        this.log.log('info', `pfkey client ${c.id}: ${r.error.message}; disconnecting it`);
        this.drop(c);
      }
    });
    conn.on('error', (e) => {
      this.log.log('debug', `pfkey client ${c.id}: ${e.message}`);
      this.gone(c);
    });
    conn.on('close', () => this.gone(c));
    this.log.log('debug', `pfkey client ${c.id} connected`);
  }

  /**
   * Gives c's messages to the KeySock in order. After a run of SPD changes whose routes are not in yet, the
   * client is paused and its answers held until they are.
   */
  private pump(c: Client): void {
    while (c.pending.length && c.ksock) {
      const m = c.pending.shift()!;
      // Held from before the message: its answer is delivered while it is handled.
      if (this.settle && SPD_CHANGES.has(m[1] ?? 0)) c.held ??= [];
      c.ksock.send(m);
      if (!c.held || SPD_CHANGES.has(c.pending[0]?.[1] ?? 0)) continue;
      const wait = this.settle?.();
      if (wait) {
        c.conn.pause();
        void wait.then(() => this.release(c));
        return;
      }
      this.flushHeld(c);
    }
  }

  /** The routes are in: c's held answers go out, and its reading continues. */
  private release(c: Client): void {
    if (!this.clients.has(c.conn)) return;
    this.flushHeld(c);
    if (!this.clients.has(c.conn)) return;
    this.pump(c);
    if (!c.held && !c.wantResume && c.queue.hasRoom) c.conn.resume();
  }

  private flushHeld(c: Client): void {
    const held = c.held ?? [];
    c.held = undefined;
    c.heldBytes = 0;
    for (const m of held) this.deliver(c, m);
  }

  /** A message for client c; false asks a dump to pause (KeySocket.resume continues it). */
  private deliver(c: Client, msg: Uint8Array): boolean {
    if (c.conn.destroyed || !this.clients.has(c.conn)) return true;
    if (c.held) {
      c.heldBytes += msg.length;
      if (c.heldBytes > this.budget.clientLimit) this.overBudget(c, `more than ${this.budget.clientLimit} bytes held`);
      else c.held.push(msg);
      return true;
    }
    if (c.queue.overLimit(msg.length)) {
      this.overBudget(c, `more than ${this.budget.clientLimit} bytes waiting`);
      return true;
    }
    while (this.budget.used + msg.length > this.budget.globalLimit) {
      const big = this.largest();
      if (!big) break;
      this.overBudget(big, `the largest queue (${big.queue.queued} bytes) when all clients had ${this.budget.used}`);
      if (big === c) return true;
    }
    c.queue.push(msg);
    if (c.queue.hasRoom) return true;
    // Its replies back up: read no more of its requests until it reads (a pipelining client is paced,
    // not disconnected; only what others cause can take it over its limit), and pause its dump.
    c.conn.pause();
    c.wantResume = true;
    return false;
  }

  private resume(c: Client): void {
    if (c.conn.isPaused() && !c.held) c.conn.resume();
    if (!c.wantResume) return;
    c.wantResume = false;
    c.ksock?.resume();
  }

  private largest(): Client | undefined {
    let big: Client | undefined;
    for (const x of this.clients.values()) if (x.queue.queued > (big?.queue.queued ?? 0)) big = x;
    return big;
  }

  /** A client that does not read: the message is dropped, the client disconnected, both counted. */
  private overBudget(c: Client, why: string): void {
    this.stats.dropped++;
    this.stats.overBudget++;
    this.log.log('warn', `pfkey client ${c.id} is not reading (${why}); disconnecting it`);
    this.drop(c);
  }

  private drop(c: Client): void {
    c.conn.destroy();
    this.gone(c);
  }

  private gone(c: Client): void {
    if (!this.clients.delete(c.conn)) return;
    this.stats.open--;
    c.queue.release();
    c.ksock?.close();
    c.ksock = undefined;
    this.log.log('debug', `pfkey client ${c.id} gone`);
  }
}
