// What uipsecd holds for PF_KEY clients that read slowly or not at all (issue 11 item 4). A PF_KEY socket
// has a small receive buffer; when it is full the kernel drops the message and counts it (FreeBSD keysock.c
// key_sendup0: pfkeystat in_nomem, ENOBUFS). Here every client has a small queue (messages gathered for
// the next write plus what Node still buffers for the socket), all queues share one budget, and a client
// that would go over either is disconnected: a key manager that missed a message must resynchronise anyway,
// and a closed connection tells it so, where a silent drop would not.
import type { Socket } from 'node:net';

/** Bytes one client may have waiting; PF_KEY messages are small and dumps are paced (DUMP_HIGH_WATER). */
export const CLIENT_QUEUE_LIMIT = 512 * 1024;
/** Bytes waiting for a client beyond which its dump pauses until it reads ('drain'). */
export const DUMP_HIGH_WATER = 128 * 1024;
/** Bytes waiting for all clients together; over it, the client holding the most is disconnected. */
export const GLOBAL_QUEUE_BUDGET = 8 * 1024 * 1024;

/** The budget shared by every client of one server, and the figures `uipsec status` shows. */
export class QueueBudget {
  /** Bytes waiting for all clients now. */
  used = 0;
  /** The most that ever waited at once. */
  peak = 0;

  constructor(
    readonly clientLimit = CLIENT_QUEUE_LIMIT,
    readonly globalLimit = GLOBAL_QUEUE_BUDGET,
  ) {}

  /** @internal */
  add(n: number): void {
    this.used += n;
    if (this.used > this.peak) this.peak = this.used;
  }
}

/**
 * The bytes waiting for one client: those gathered for the next write (`out`) and those written but not yet
 * taken by the operating system (a write's callback returns them). Charged to the shared budget.
 */
export class ClientQueue {
  private readonly out: Uint8Array[] = [];
  private outBytes = 0;
  /** Bytes gathered or written but not yet flushed to the socket. */
  queued = 0;
  private scheduled = false;
  private gone = false;

  constructor(
    private readonly conn: Socket,
    private readonly budget: QueueBudget,
    /** Called when a write completes and the queue is below DUMP_HIGH_WATER (a paused dump may go on). */
    private readonly onRoom: () => void,
  ) {}

  /** Would `n` more bytes put this client over its own limit? */
  overLimit(n: number): boolean {
    return this.queued + n > this.budget.clientLimit;
  }

  /** Queues one message for the next write (once per event-loop turn: one syscall for a burst). */
  push(msg: Uint8Array): void {
    this.out.push(msg);
    this.outBytes += msg.length;
    this.charge(msg.length);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Whether a dump may send more now. */
  get hasRoom(): boolean {
    return this.queued < DUMP_HIGH_WATER;
  }

  /** The connection ended: whatever waited for it is given back to the budget. */
  release(): void {
    if (this.gone) return;
    this.gone = true;
    this.budget.used -= this.queued;
    this.queued = 0;
    this.out.length = 0;
    this.outBytes = 0;
  }

  private charge(n: number): void {
    if (this.gone) return;
    this.queued += n;
    this.budget.add(n);
  }

  private flush(): void {
    this.scheduled = false;
    if (this.out.length === 0 || this.gone || this.conn.destroyed) return;
    const buf = this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out, this.outBytes);
    const n = this.outBytes;
    this.out.length = 0;
    this.outBytes = 0;
    this.conn.write(buf, () => {
      this.charge(-n);
      if (!this.gone && this.hasRoom) this.onRoom();
    });
  }
}
