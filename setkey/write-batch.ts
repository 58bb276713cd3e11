// Write coalescing for a stream transport to uipsecd: messages sent in one turn of the event loop go out as
// one write (PF_KEY on a stream is self-delimiting by sadb_msg_len, RFC 2367 §2.1, so the daemon splits them
// again). setkey -f pipelines thousands of statements; one write per message would cost a syscall each.
// Only for stream transports: the in-process transport takes exactly one message per send().
import type { PfkeyTransport } from '../pfkey/client.js';

export class WriteBatchTransport implements PfkeyTransport {
  private queue: Uint8Array[] = [];
  private bytes = 0;
  private scheduled = false;

  constructor(
    private readonly inner: PfkeyTransport,
    private readonly maxBatchBytes = 256 * 1024,
  ) {}

  send(msg: Uint8Array): void {
    this.queue.push(msg);
    this.bytes += msg.length;
    if (this.bytes >= this.maxBatchBytes) {
      this.flush();
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Writes everything queued now. */
  flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const out = this.queue.length === 1 ? this.queue[0]! : Buffer.concat(this.queue, this.bytes);
    this.queue = [];
    this.bytes = 0;
    this.inner.send(out);
  }

  onMessage(fn: (msg: Uint8Array) => void): void {
    this.inner.onMessage(fn);
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
    this.flush();
    this.inner.close();
  }
}
