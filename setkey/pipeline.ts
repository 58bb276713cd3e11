// Pipelined statement execution (ipsec-tools sends a script's messages back to back when it can): requests
// go out without waiting, up to a window, and each statement's replies are printed as soon as it and every
// statement before it have been answered, so output keeps statement order and an interactive `-c` user sees
// each answer at once. Kernel errors are printed with the statement's file:line (setkey.c postproc texts).
import * as C from '../pfkey/constants.js';
import type { PfkeyMessage } from '../pfkey/msg.js';
import { formatReply, type ReplyOptions } from './from-pfkey.js';
import type { Statement } from './ast.js';

/** Requests kept in flight before the sender waits for the oldest answer. */
export const PIPELINE_WINDOW = 256;

type Outcome = { replies: PfkeyMessage[] } | { error: Error };

interface InFlight {
  st: Statement;
  outcome?: Outcome;
}

export interface PipelineOut {
  out(text: string): void;
  err(text: string): void;
}

/** `No SAD entries.` / `No SPD entries.` are answers, not failures. */
export function isEmptyDump(m: PfkeyMessage): boolean {
  return m.msg.errno === 2 && (m.msg.type === C.SADB_DUMP || m.msg.type === C.SADB_X_SPDDUMP);
}

export class Pipeline {
  private readonly queue: InFlight[] = [];
  private wake: (() => void) | undefined;
  /** 1 once anything failed (a kernel error, a lost connection, a statement that could not be sent). */
  status = 0;
  /** The connection is gone: nothing more will be answered. */
  lost = false;

  constructor(
    private readonly io: PipelineOut,
    private readonly o: ReplyOptions,
    private readonly where: (st: Statement) => string,
  ) {}

  /** Queues one request of `st`; its replies are printed in order when they arrive. */
  push(st: Statement, reply: Promise<PfkeyMessage[]>): void {
    const x: InFlight = { st };
    this.queue.push(x);
    reply
      .then(
        (replies) => ({ replies }),
        (error: Error) => ({ error }),
      )
      .then((o) => {
        x.outcome = o;
        this.printReady();
      });
  }

  /** A failure of a statement that never reached the kernel, printed in its place in the order. */
  fail(st: Statement, reason: string): void {
    this.queue.push({ st, outcome: { error: Object.assign(new Error(reason), { local: true }) } });
    this.printReady();
  }

  get inFlight(): number {
    return this.queue.length;
  }

  /** Resolves once fewer than `n` requests are waiting for their answers. */
  async waitBelow(n: number): Promise<void> {
    while (this.queue.length >= n)
      await new Promise<void>((r) => {
        this.wake = r;
      });
  }

  /** Resolves when every queued request has been answered and printed. */
  drain(): Promise<void> {
    return this.waitBelow(1);
  }

  private printReady(): void {
    while (this.queue.length > 0 && this.queue[0]!.outcome) this.print(this.queue.shift()!);
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private print(x: InFlight): void {
    const r = x.outcome!;
    if ('error' in r) {
      this.status = 1;
      if ((r.error as { local?: boolean }).local) {
        this.io.err(`${this.where(x.st)}: ${r.error.message}\n`);
        return;
      }
      if (!this.lost) this.io.err(`setkey: ${this.where(x.st)}: PF_KEY connection lost: ${r.error.message}\n`);
      this.lost = true;
      return;
    }
    for (const reply of r.replies) {
      const text = formatReply(reply, this.o);
      if (reply.msg.errno !== 0 && !isEmptyDump(reply)) {
        this.io.err(`${this.where(x.st)}: ${x.st.kind}: ${text}`);
        this.status = 1;
      } else if (text) this.io.out(text);
    }
  }
}
