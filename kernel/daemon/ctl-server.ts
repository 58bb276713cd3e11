// uipsecd's control socket (ctl.sock), daemon side: clients connect to the host's kernel controls by name and unit
// (kernel/ext/control.ts), send data, set and get options, receive what a control enqueues, and subscribe to
// kernel events (kernel/ext/events.ts); frames in channel/ctl-frames.ts. Who the client is comes from
// SO_PEERCRED (kernel/os/peercred.ts). Without it, the rule is the socket's mode: a 0600 socket admits only its
// owner (and root), so its peers are the owner; an open socket (--ctl-open, 0666) admits anyone, so an
// unknown peer is nobody in particular and privileged controls and events are refused to it (fail closed).
// Everything waiting for one client is bounded (pfkey-queue.ts): a client that stops reading is disconnected
// and counted when a control's data or an event finds no room; the daemon and other clients go on.
import type { Server, Socket } from 'node:net';
import { chmodSync } from 'node:fs';
import { ErrnoError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import * as F from '../../channel/ctl-frames.js';
import type { Host } from '../host/host.js';
import type { ControlConnection, ControlPeer, ControlSink } from '../ext/control.js';
import type { KernEvent } from '../ext/events.js';
import { peerCred } from '../os/peercred.js';
import { ClientQueue, QueueBudget } from './pfkey-queue.js';
import { closeUnix, listenUnix } from './unix-listener.js';

/** Bytes that may wait for one client; its controls' recvSize is capped by what is left of it. */
export const CTL_CLIENT_QUEUE_LIMIT = 256 * 1024;
/** Bytes that may wait for all clients together. */
export const CTL_GLOBAL_QUEUE_BUDGET = 4 * 1024 * 1024;
/** Control connections and event filters one client may hold. */
export const CTL_MAX_REFS = 64;
export const CTL_MAX_FILTERS = 16;
/** DATA frame overhead: header and ref. */
const DATA_OVERHEAD = F.CTL_HEADER + 4;

export interface CtlServerStats {
  connections: number;
  open: number;
  framingErrors: number;
  /** Clients disconnected because they did not read (a control's data or an event found no room). */
  slowDropped: number;
  /** Requests refused for want of privilege (privileged control, events to a non-owner). */
  refusedPrivilege: number;
  eventsSent: number;
}

interface Client {
  id: number;
  conn: Socket;
  queue: ClientQueue;
  peer: ControlPeer;
  refs: Map<number, ControlConnection>;
  nextRef: number;
  unsubs: (() => void)[];
  dropping: boolean;
}

export class CtlServer {
  readonly stats: CtlServerStats = {
    connections: 0,
    open: 0,
    framingErrors: 0,
    slowDropped: 0,
    refusedPrivilege: 0,
    eventsSent: 0,
  };
  readonly budget: QueueBudget;
  private readonly clients = new Map<Socket, Client>();
  private server: Server | undefined;

  constructor(
    private readonly host: Host,
    readonly path: string,
    private readonly log: Logger,
    private readonly open = false,
    budget?: QueueBudget,
  ) {
    this.budget = budget ?? new QueueBudget(CTL_CLIENT_QUEUE_LIMIT, CTL_GLOBAL_QUEUE_BUDGET);
  }

  async start(): Promise<void> {
    this.server = await listenUnix(this.path, (s) => this.accept(s));
    if (this.open) chmodSync(this.path, 0o666);
    this.log.log('notice', `kernel controls and events on ${this.path}${this.open ? ' (open to all users)' : ''}`);
  }

  /**
   * Waits until every client's queue is written (what the host posted last, e.g. the interfaces detaching at
   * stop, reaches `uipsec events`), at most `boundMs`: a client that does not read is not waited for longer.
   */
  async drain(boundMs: number): Promise<void> {
    const end = Date.now() + boundMs;
    const busy = () => [...this.clients.values()].some((c) => !c.dropping && c.queue.queued > 0);
    do await new Promise((r) => setTimeout(r, 5));
    while (busy() && Date.now() < end);
  }

  async close(): Promise<void> {
    for (const c of [...this.clients.values()]) this.gone(c);
    if (this.server) await closeUnix(this.server, this.path, []);
    this.server = undefined;
  }

  /** Non-zero counters for `uipsec status`. */
  counters(): Record<string, number> {
    const all: Record<string, number> = {
      ctl_clients: this.stats.open,
      ctl_slow_dropped: this.stats.slowDropped,
      ctl_refused_privilege: this.stats.refusedPrivilege,
      ctl_events_sent: this.stats.eventsSent,
      ctl_queued_peak: this.budget.peak,
    };
    return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== 0));
  }

  private peerOf(conn: Socket): ControlPeer {
    const cred = peerCred(conn);
    if (cred) return { uid: cred.uid, pid: cred.pid };
    return this.open ? {} : { uid: this.host.controls.ownerUid };
  }

  private accept(conn: Socket): void {
    this.stats.connections++;
    this.stats.open++;
    const c: Client = {
      id: this.stats.connections,
      conn,
      queue: undefined!,
      peer: this.peerOf(conn),
      refs: new Map(),
      nextRef: 1,
      unsubs: [],
      dropping: false,
    };
    c.queue = new ClientQueue(conn, this.budget, () => {
      if (conn.isPaused()) conn.resume();
    });
    this.clients.set(conn, c);
    const splitter = new F.CtlFrameSplitter();
    conn.on('data', (chunk: Buffer) => {
      const r = splitter.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
      for (const b of r.frames) if (!this.request(c, b)) return;
      if (r.error) this.bad(c, r.error.message);
    });
    conn.on('error', (e) => {
      this.log.log('debug', `ctl client ${c.id}: ${e.message}`);
      this.gone(c);
    });
    conn.on('close', () => this.gone(c));
    this.log.log('debug', `ctl client ${c.id} connected (uid ${c.peer.uid ?? 'unknown'})`);
  }

  /** One frame from a client; false when the client was disconnected for it. */
  private request(c: Client, bytes: Uint8Array): boolean {
    if (!this.clients.has(c.conn)) return false;
    let f: F.CtlFrame;
    try {
      f = F.decodeCtlFrame(bytes);
    } catch (e) {
      this.bad(c, (e as Error).message);
      return false;
    }
    let data: Uint8Array = new Uint8Array(0);
    let errno = 0;
    try {
      data = this.handle(c, f) ?? data;
    } catch (e) {
      errno = this.errnoOf(c, e);
    }
    this.send(c, { type: F.CTL_REPLY, seq: f.seq, errno, data });
    // Replies back up: read no more requests until the client reads (paced, not dropped).
    if (!c.queue.hasRoom) c.conn.pause();
    return true;
  }

  private handle(c: Client, f: F.CtlFrame): Uint8Array | undefined {
    switch (f.type) {
      case F.CTL_CONNECT:
        return this.connect(c, f.name, f.unit);
      case F.CTL_SEND:
        this.ref(c, f.ref).send(f.data);
        return undefined;
      case F.CTL_SETOPT:
        this.ref(c, f.ref).setopt(f.opt, f.value);
        return undefined;
      case F.CTL_GETOPT:
        return this.ref(c, f.ref).getopt(f.opt, Math.min(f.maxLen, 65536));
      case F.CTL_DISCONNECT:
        this.ref(c, f.ref).close();
        c.refs.delete(f.ref);
        return undefined;
      case F.CTL_SUBSCRIBE:
        this.subscribe(c, f);
        return undefined;
      case F.CTL_UNSUBSCRIBE:
        for (const u of c.unsubs.splice(0)) u();
        return undefined;
      case F.CTL_LIST:
        return new TextEncoder().encode(JSON.stringify(this.host.controls.list()));
      default:
        throw new ErrnoError('EINVAL', `frame type ${f.type} is not a request`);
    }
  }

  private connect(c: Client, name: string, unit: number): Uint8Array {
    if (c.refs.size >= CTL_MAX_REFS) throw new ErrnoError('ENOBUFS', `${CTL_MAX_REFS} controls open`);
    const ref = c.nextRef++;
    let conn: ControlConnection;
    try {
      conn = this.host.controls.connect(name, unit, c.peer, this.sink(c, ref));
    } catch (e) {
      if (e instanceof ErrnoError && e.errno === 'EPERM') this.stats.refusedPrivilege++;
      throw e;
    }
    c.refs.set(ref, conn);
    this.log.log('info', `ctl client ${c.id} (uid ${c.peer.uid ?? 'unknown'}) connected to ${name} unit ${conn.unit}`);
    const out = new Uint8Array(8);
    new DataView(out.buffer).setUint32(0, ref);
    new DataView(out.buffer).setUint32(4, conn.unit);
    return out;
  }

  private sink(c: Client, ref: number): ControlSink {
    return {
      room: () => {
        const left = Math.min(this.budget.clientLimit - c.queue.queued, this.budget.globalLimit - this.budget.used);
        return c.dropping ? 0 : Math.max(0, left - DATA_OVERHEAD);
      },
      deliver: (data) => this.send(c, { type: F.CTL_DATA, seq: 0, ref, data }),
      overflow: () => this.slow(c, 'a control'),
      closed: () => {
        c.refs.delete(ref);
        this.send(c, { type: F.CTL_CLOSED, seq: 0, ref });
      },
    };
  }

  private ref(c: Client, ref: number): ControlConnection {
    const conn = c.refs.get(ref);
    if (!conn) throw new ErrnoError('ENOTCONN', `no control connection ${ref}`);
    return conn;
  }

  private subscribe(c: Client, f: { vendor: number; class: number; subclass: number }): void {
    if (!this.host.controls.isOwner(c.peer)) {
      this.stats.refusedPrivilege++;
      throw new ErrnoError('EPERM', "kernel events are for the daemon's owner");
    }
    if (c.unsubs.length >= CTL_MAX_FILTERS) throw new ErrnoError('ENOBUFS', `${CTL_MAX_FILTERS} filters`);
    let off: () => void;
    try {
      off = this.host.kernEvents.subscribe(f, (ev) => this.event(c, ev));
    } catch (e) {
      throw new ErrnoError('EINVAL', (e as Error).message);
    }
    c.unsubs.push(off);
  }

  private event(c: Client, ev: KernEvent): void {
    if (c.dropping) return;
    const frame = F.encodeCtlFrame({ type: F.CTL_EVENT, seq: 0, json: JSON.stringify(ev) });
    if (c.queue.overLimit(frame.length) || this.budget.used + frame.length > this.budget.globalLimit) {
      this.slow(c, 'kernel events');
      return;
    }
    this.stats.eventsSent++;
    c.queue.push(frame);
  }

  private send(c: Client, f: F.CtlFrame): void {
    if (c.dropping || c.conn.destroyed) return;
    c.queue.push(F.encodeCtlFrame(f));
  }

  /** A client without room for what is addressed to it: disconnected after the current call returns. */
  private slow(c: Client, what: string): void {
    if (c.dropping) return;
    c.dropping = true;
    this.stats.slowDropped++;
    this.log.log('warn', `ctl client ${c.id} is not reading (${what} had no room); disconnecting it`);
    setImmediate(() => {
      c.conn.destroy();
      this.gone(c);
    });
  }

  private errnoOf(c: Client, e: unknown): number {
    const name = e instanceof ErrnoError ? e.errno : 'EINVAL';
    if (!(e instanceof ErrnoError)) this.log.log('error', `ctl client ${c.id}: ${String(e)}`);
    return F.CTL_ERRNO[name] ?? F.CTL_ERRNO.EINVAL!;
  }

  private bad(c: Client, why: string): void {
    this.stats.framingErrors++;
    this.log.log('info', `ctl client ${c.id}: ${why}; disconnecting it`);
    c.conn.destroy();
    this.gone(c);
  }

  private gone(c: Client): void {
    if (!this.clients.delete(c.conn)) return;
    this.stats.open--;
    c.dropping = true;
    for (const u of c.unsubs.splice(0)) u();
    for (const conn of c.refs.values()) conn.close();
    c.refs.clear();
    c.queue.release();
    if (!c.conn.destroyed) c.conn.destroy();
    this.log.log('debug', `ctl client ${c.id} gone`);
  }
}
