// Client side of uipsecd's control socket (frames in channel/ctl-frames.ts): connect to a kernel control by name
// and unit, send it data, set and get its options, receive what it enqueues; subscribe to kernel events. Used by
// `uipsec ctl`, `uipsec events` and the examples. Requests are answered in order with their seq; at most
// MAX_PENDING wait at once (a caller that floods gets EAGAIN-like rejections, not unbounded memory).
import { connect, type Socket } from 'node:net';
import { assertSafeSocket } from '../common/socket-path.js';
import * as F from './ctl-frames.js';

const MAX_PENDING = 1024;

/** A refused request: `errno` is the BSD number, `code` its name (EPERM, ENOENT, EBUSY...). */
export class CtlError extends Error {
  readonly code: string;
  constructor(
    readonly errno: number,
    what: string,
  ) {
    super(`${what}: ${F.ctlErrnoName(errno)}`);
    this.code = F.ctlErrnoName(errno);
    this.name = 'CtlError';
  }
}

/** A control connection: `ref` names it in this client, `unit` is the unit the control gave it. */
export interface CtlConnection {
  ref: number;
  unit: number;
}

/** One registered control as LIST reports it. */
export interface CtlInfo {
  name: string;
  id: number;
  privileged: boolean;
  units: number;
}

/** A kernel event as the daemon sends it (kernel/ext/events.ts KernEvent, as JSON). */
export type CtlEvent = {
  vendor: number;
  class: number;
  subclass: number;
  code: number;
  id: number;
  name: string;
} & Record<string, unknown>;

interface Pending {
  what: string;
  ok: (data: Uint8Array) => void;
  fail: (e: Error) => void;
}

export class CtlClient {
  private readonly splitter = new F.CtlFrameSplitter();
  private readonly pending = new Map<number, Pending>();
  private seq = 1;
  private dataFns: ((ref: number, data: Uint8Array) => void)[] = [];
  private eventFns: ((ev: CtlEvent) => void)[] = [];
  private closedFns: ((ref: number) => void)[] = [];
  private endFns: ((err?: Error) => void)[] = [];
  private ended = false;

  private constructor(private readonly sock: Socket) {
    sock.on('data', (c: Buffer) => this.input(new Uint8Array(c.buffer, c.byteOffset, c.length)));
    sock.on('error', (e) => this.end(e));
    sock.on('close', () => this.end());
  }

  /** Connects to uipsecd's control socket (checked like every daemon socket: owned by root or us). */
  static connect(path: string): Promise<CtlClient> {
    return new Promise((resolve, reject) => {
      try {
        assertSafeSocket(path);
      } catch (e) {
        reject(e as Error);
        return;
      }
      const s = connect(path);
      s.once('error', reject);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new CtlClient(s));
      });
    });
  }

  /** connect(2) to control `name`, `unit` (0: the control picks). */
  async connectControl(name: string, unit = 0): Promise<CtlConnection> {
    const d = await this.request({ type: F.CTL_CONNECT, seq: 0, unit, name }, `connect ${name}`);
    if (d.length !== 8) throw new CtlError(F.CTL_ERRNO.EINVAL!, `connect ${name}: bad reply`);
    const dv = new DataView(d.buffer, d.byteOffset, 8);
    return { ref: dv.getUint32(0), unit: dv.getUint32(4) };
  }

  async send(ref: number, data: Uint8Array): Promise<void> {
    await this.request({ type: F.CTL_SEND, seq: 0, ref, data }, 'send');
  }

  async setopt(ref: number, opt: number, value: Uint8Array): Promise<void> {
    await this.request({ type: F.CTL_SETOPT, seq: 0, ref, opt, value }, `setopt ${opt}`);
  }

  getopt(ref: number, opt: number, maxLen = 4096): Promise<Uint8Array> {
    return this.request({ type: F.CTL_GETOPT, seq: 0, ref, opt, maxLen }, `getopt ${opt}`);
  }

  async disconnect(ref: number): Promise<void> {
    await this.request({ type: F.CTL_DISCONNECT, seq: 0, ref }, 'disconnect');
  }

  /** Adds an event filter (SIOCSKEVFILT; 0 = any); events arrive through onEvent. */
  async subscribe(f: { vendor?: number; class?: number; subclass?: number } = {}): Promise<void> {
    const frame = {
      type: F.CTL_SUBSCRIBE,
      seq: 0,
      vendor: f.vendor ?? 0,
      class: f.class ?? 0,
      subclass: f.subclass ?? 0,
    };
    await this.request(frame as F.CtlFrame, 'subscribe');
  }

  async list(): Promise<CtlInfo[]> {
    const d = await this.request({ type: F.CTL_LIST, seq: 0 }, 'list');
    return JSON.parse(new TextDecoder().decode(d)) as CtlInfo[];
  }

  onData(fn: (ref: number, data: Uint8Array) => void): void {
    this.dataFns.push(fn);
  }
  onEvent(fn: (ev: CtlEvent) => void): void {
    this.eventFns.push(fn);
  }
  /** The control went away under a connection (the daemon is closing). */
  onClosed(fn: (ref: number) => void): void {
    this.closedFns.push(fn);
  }
  /** The socket ended (daemon gone, or we were disconnected for not reading). */
  onEnd(fn: (err?: Error) => void): void {
    if (this.ended) fn();
    else this.endFns.push(fn);
  }

  /** Stops reading without closing (tests: a slow client). */
  pause(): void {
    this.sock.pause();
  }

  close(): void {
    this.sock.destroy();
  }

  private request(f: F.CtlFrame, what: string): Promise<Uint8Array> {
    return new Promise((ok, fail) => {
      if (this.ended) return fail(new CtlError(32, `${what}: the control socket closed`));
      if (this.pending.size >= MAX_PENDING) return fail(new CtlError(F.CTL_ERRNO.ENOBUFS!, what));
      const seq = this.seq;
      this.seq = seq >= 0xffffffff ? 1 : seq + 1;
      this.pending.set(seq, { what, ok, fail });
      this.sock.write(F.encodeCtlFrame({ ...f, seq } as F.CtlFrame));
    });
  }

  private input(chunk: Uint8Array): void {
    const r = this.splitter.push(chunk);
    for (const b of r.frames) {
      let f: F.CtlFrame;
      try {
        f = F.decodeCtlFrame(b);
      } catch (e) {
        this.sock.destroy(e as Error);
        return;
      }
      this.frame(f);
    }
    if (r.error) this.sock.destroy(r.error);
  }

  private frame(f: F.CtlFrame): void {
    if (f.type === F.CTL_REPLY) {
      const p = this.pending.get(f.seq);
      if (!p) return;
      this.pending.delete(f.seq);
      if (f.errno === 0) p.ok(f.data);
      else p.fail(new CtlError(f.errno, p.what));
    } else if (f.type === F.CTL_DATA) {
      for (const fn of this.dataFns) fn(f.ref, f.data);
    } else if (f.type === F.CTL_CLOSED) {
      for (const fn of this.closedFns) fn(f.ref);
    } else if (f.type === F.CTL_EVENT) {
      let ev: CtlEvent;
      try {
        ev = JSON.parse(f.json) as CtlEvent;
      } catch {
        return;
      }
      for (const fn of this.eventFns) fn(ev);
    }
  }

  private end(err?: Error): void {
    if (this.ended) return;
    this.ended = true;
    for (const p of this.pending.values()) p.fail(new CtlError(32, `${p.what}: the control socket closed`));
    this.pending.clear();
    for (const fn of this.endFns.splice(0)) fn(err);
  }
}
