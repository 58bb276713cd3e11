// The main-thread side of the send worker (kernel/os/tx-worker.ts): packets to send are copied into a shared
// ring and the worker makes the system calls, so the kernel's per-packet transmit work runs on another core
// than the host's ESP processing. Order is kept (one ring, one worker). A full ring drops and counts, as a
// full socket buffer would. UIPSEC_TX_WORKER=0 makes the daemon send from the main thread instead (the
// plain path, kept for comparison and as the fallback).
import { Worker } from 'node:worker_threads';
import { createRing, RingWriter } from './ring.js';
import { libc, LINUX_AF_INET, LINUX_AF_INET6, MSG_DONTWAIT } from './libc.js';
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
  /**
   * Direct sends: when nothing is queued and the host is not in a large batch (`busy`, set by the I/O loop
   * for the rest of a turn past a few packets), the system call is made here, on the caller's thread. At a
   * moderate rate every packet is a batch of its own, and waking the worker for it (a futex wake, then the
   * worker's own wake-up and sleep) cost the main thread more than the send (docs/performance.md) and added
   * a thread hop to every packet's latency. Under load the worker takes the kernel's transmit work to the
   * other core, as before. Order is kept: a direct send happens only when the ring is empty (every record
   * sent) and nothing waits to be published. UIPSEC_TX_DIRECT=0: always through the worker.
   */
  private readonly direct: boolean;
  busy = false;
  private directSent = 0;
  private directErrors = 0;
  private directErrno = 0;
  private readonly sa = new Uint8Array(28);

  /** `mmsg`: sendmmsg(2) batches in the worker (default on unless UIPSEC_TX_MMSG=0); `direct`: see above. */
  constructor(o: { mmsg?: boolean; direct?: boolean } = {}) {
    this.direct = o.direct ?? process.env['UIPSEC_TX_DIRECT'] !== '0';
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

  /** Packets sent, by the worker or directly. */
  get sent(): number {
    return Atomics.load(this.counters, TX_SENT) + this.directSent;
  }

  get errors(): number {
    return Atomics.load(this.counters, TX_ERRORS) + this.directErrors;
  }

  get lastErrno(): number {
    return this.directErrno || Atomics.load(this.counters, TX_LAST_ERRNO);
  }

  /** Sent on the caller's thread (a part of `sent`). */
  get sentDirect(): number {
    return this.directSent;
  }

  /** True when this packet may leave on the caller's thread now (see `direct`). */
  private canSendNow(): boolean {
    return this.direct && !this.busy && !this.closed && !this.publishPending && this.writer.empty;
  }

  /** The result of a direct call, counted as the worker counts its own. */
  private directResult(r: number): boolean {
    if (r >= 0) {
      this.directSent++;
      return true;
    }
    this.directErrors++;
    this.directErrno = libc().errno();
    return false;
  }

  /** write(fd, packet) (the TUN), now or through the worker. False when dropped (ring full, closed, error). */
  write(fd: number, packet: Uint8Array): boolean {
    if (this.canSendNow()) return this.directResult(libc().write(fd, packet, packet.length));
    const rec = this.reserve(packet.length);
    if (!rec) return false;
    rec[0] = 0;
    rec[1] = 0;
    return this.finish(rec, fd, packet);
  }

  /** sendto(fd, packet) to addr (4 or 16 bytes) and port, now or through the worker (sockaddr built in the ring). */
  sendTo(fd: number, packet: Uint8Array, addr: Uint8Array, port = 0): boolean {
    if (this.canSendNow()) {
      const n = putSockaddr(this.sa, 0, addr, port);
      return this.directResult(libc().sendto(fd, packet, packet.length, MSG_DONTWAIT, this.sa, n));
    }
    const rec = this.reserve(packet.length);
    if (!rec) return false;
    const n = putSockaddr(rec, TX_SOCKADDR_OFF, addr, port);
    rec[0] = n;
    rec[1] = 0;
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

/** struct sockaddr_in / sockaddr_in6 (Linux) at buf[o]; returns its length. */
function putSockaddr(buf: Uint8Array, o: number, addr: Uint8Array, port: number): number {
  const v6 = addr.length === 16;
  buf.fill(0, o, o + 28);
  buf[o] = v6 ? LINUX_AF_INET6 : LINUX_AF_INET; // sa_family, little-endian u16
  buf[o + 2] = port >> 8;
  buf[o + 3] = port & 0xff;
  buf.set(addr, o + (v6 ? 8 : 4));
  return v6 ? 28 : 16;
}
