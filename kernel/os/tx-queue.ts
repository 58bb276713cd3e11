// The main-thread side of the send worker (kernel/os/tx-worker.ts): packets to send are copied into a shared
// ring and the worker makes the system calls, so the kernel's per-packet transmit work runs on another core
// than the host's ESP processing. Order is kept (one ring, one worker). A full ring drops and counts, as a
// full socket buffer would. UIPSEC_TX_WORKER=0 makes the daemon send from the main thread instead (the
// plain path, kept for comparison and as the fallback).
import { Worker } from 'node:worker_threads';
import { createRing, RingWriter } from './ring.js';
import { LINUX_AF_INET, LINUX_AF_INET6 } from './libc.js';
import {
  TX_PREFIX_BYTES,
  TX_SOCKADDR_OFF,
  TX_SENT,
  TX_ERRORS,
  TX_LAST_ERRNO,
  TX_COUNTER_WORDS,
  type TxWorkerData,
} from './tx-worker.js';

/** 4 MiB: ~2,800 full-size packets queued between two turns of the worker. */
const TX_RING_BYTES = 4 << 20;
/** How long close() waits for the worker to send what is queued. */
const CLOSE_DRAIN_MS = 2000;

export class TxQueue {
  private readonly worker: Worker;
  private readonly writer: RingWriter;
  private readonly counters: Int32Array;
  private closed = false;
  /**
   * Records are published once per turn of the event loop (a microtask after the batch the host is
   * processing), not per packet: each publish that finds the worker asleep is a futex wake-up, and per
   * packet those were ~10% of uipsecd's main thread under iperf3 (docs/performance.md).
   */
  private publishPending = false;
  private readonly publishNow = (): void => {
    this.publishPending = false;
    this.writer.publish();
  };
  /** Packets refused because the ring was full. */
  full = 0;

  /** `mmsg`: sendmmsg(2) batches in the worker; default on unless UIPSEC_TX_MMSG=0. */
  constructor(o: { mmsg?: boolean } = {}) {
    const ring = createRing(TX_RING_BYTES);
    const counters = new SharedArrayBuffer(TX_COUNTER_WORDS * 4);
    this.counters = new Int32Array(counters);
    this.writer = new RingWriter(ring);
    const mmsg = o.mmsg ?? process.env['UIPSEC_TX_MMSG'] !== '0';
    const data: TxWorkerData = { ring, counters, mmsg };
    const entry = import.meta.url.endsWith('.ts') ? './tx-worker.ts' : './tx-worker.js';
    this.worker = new Worker(new URL(entry, import.meta.url), { workerData: { txWorker: data } });
    this.worker.unref();
  }

  /** Called when the worker fails (the daemon logs it as an error). */
  set onFailure(fn: (why: string) => void) {
    this.worker.on('error', (e) => fn(`send worker failed: ${e.message}`));
  }

  get sent(): number {
    return Atomics.load(this.counters, TX_SENT);
  }

  get errors(): number {
    return Atomics.load(this.counters, TX_ERRORS);
  }

  get lastErrno(): number {
    return Atomics.load(this.counters, TX_LAST_ERRNO);
  }

  /** Queues write(fd, packet) (the TUN). False when dropped (ring full or closed). */
  write(fd: number, packet: Uint8Array): boolean {
    const rec = this.reserve(packet.length);
    if (!rec) return false;
    rec[0] = 0;
    rec[1] = 0;
    return this.finish(rec, fd, packet);
  }

  /** Queues sendto(fd, packet) to addr (4 or 16 bytes) and port; the sockaddr is built in the ring. */
  sendTo(fd: number, packet: Uint8Array, addr: Uint8Array, port = 0): boolean {
    const rec = this.reserve(packet.length);
    if (!rec) return false;
    const v6 = addr.length === 16;
    const o = TX_SOCKADDR_OFF;
    rec.fill(0, o, o + 28);
    rec[0] = v6 ? 28 : 16;
    rec[1] = 0;
    rec[o] = v6 ? LINUX_AF_INET6 : LINUX_AF_INET; // sa_family, little-endian u16
    rec[o + 2] = port >> 8;
    rec[o + 3] = port & 0xff;
    rec.set(addr, o + (v6 ? 8 : 4));
    return this.finish(rec, fd, packet);
  }

  private reserve(len: number): Uint8Array | undefined {
    if (this.closed) return undefined;
    const rec = this.writer.reserve(TX_PREFIX_BYTES + len);
    if (!rec) this.full++;
    return rec;
  }

  private finish(rec: Uint8Array, fd: number, packet: Uint8Array): boolean {
    rec.set(packet, TX_PREFIX_BYTES);
    this.writer.commit(TX_PREFIX_BYTES + packet.length, fd);
    if (!this.publishPending) {
      this.publishPending = true;
      queueMicrotask(this.publishNow);
    }
    return true;
  }

  /** Lets the worker send what is queued (bounded wait), then stops it. The fds stay the caller's. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.publishPending) this.publishNow();
    this.writer.close();
    const deadline = Date.now() + CLOSE_DRAIN_MS;
    while (!this.writer.empty && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await this.worker.terminate();
  }
}
