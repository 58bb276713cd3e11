// The in-process PF_KEY transport: a client socket joined to a kernel-side socket object in the same
// process (embedded use and tests). pfkey/ imports only common/, so the kernel side is described here as an
// interface (PfkeyEndpoint) that kernel/keysock/keysock.ts implements. Messages are copied both ways and delivered
// on a later microtask, as a socket would: the sender never runs inside the receiver's handler.
import type { PfkeyTransport } from './client.js';

/** Where the kernel puts messages for one socket; false asks the kernel to pause a dump (backpressure). */
export interface PfkeySink {
  deliver(msg: Uint8Array): boolean;
}

/** The kernel side of one open PF_KEY socket. */
export interface PfkeyKernelSocket {
  /** One user message (RFC 2367 §1.1: one send() = one message). */
  send(msg: Uint8Array): void;
  /** The sink has room again: continue a paused dump. */
  resume(): void;
  close(): void;
}

/** What a PF_KEY kernel offers its transports: socket(PF_KEY, SOCK_RAW, PF_KEY_V2). */
export interface PfkeyEndpoint {
  openSocket(sink: PfkeySink): PfkeyKernelSocket;
}

/** Messages queued for the client before the kernel is asked to pause a dump. */
export const INPROC_HIGH_WATER = 256;

/** A PfkeyTransport over a PfkeyEndpoint in the same process. */
export class InprocTransport implements PfkeyTransport {
  private readonly queue: Uint8Array[] = [];
  private readonly ksock: PfkeyKernelSocket;
  private rx: (msg: Uint8Array) => void = () => {};
  private closeFns: ((err?: Error) => void)[] = [];
  private scheduled = false;
  private paused = false;
  private blocked = false; // the kernel was told "full"
  private closed = false;

  constructor(endpoint: PfkeyEndpoint) {
    this.ksock = endpoint.openSocket({ deliver: (m) => this.enqueue(m) });
  }

  send(msg: Uint8Array): void {
    if (this.closed) throw new Error('PF_KEY socket closed');
    this.ksock.send(new Uint8Array(msg));
  }

  onMessage(fn: (msg: Uint8Array) => void): void {
    this.rx = fn;
  }
  onClose(fn: (err?: Error) => void): void {
    this.closeFns.push(fn);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.schedule();
  }

  /** Messages waiting to be read. */
  get queued(): number {
    return this.queue.length;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.ksock.close();
    for (const fn of this.closeFns) fn();
  }

  private enqueue(m: Uint8Array): boolean {
    if (this.closed) return true;
    this.queue.push(new Uint8Array(m));
    this.schedule();
    if (this.queue.length >= INPROC_HIGH_WATER) this.blocked = true;
    return !this.blocked;
  }

  private schedule(): void {
    if (this.scheduled || this.paused) return;
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0 && !this.paused && !this.closed) {
      this.rx(this.queue.shift()!);
      if (this.blocked && this.queue.length < INPROC_HIGH_WATER / 2) {
        this.blocked = false;
        this.ksock.resume();
      }
    }
  }
}
