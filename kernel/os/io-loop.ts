// The main-thread side of the I/O worker: starts kernel/os/io-worker.ts on a set of fds, drains the shared
// ring in batches without blocking the event loop, and hands each packet to the handler of its source.
// Chosen by measurement over koffi async reads, a worker posting each packet, a libuv-polled pipe handle
// and fs.read (bench/tun-read.bench.ts, docs/os-integration.md).
import { Worker } from 'node:worker_threads';
import { libc, check, EFD_CLOEXEC } from './libc.js';
import { createRing, RingReader } from './ring.js';
import { PEER_PREFIX_BYTES, type IoSource, type IoWorkerData } from './io-worker.js';

export { PEER_PREFIX_BYTES };

/** A packet handler: the views (packet, peer.addr) are valid only during the call. `peer`: datagram sources. */
export type IoHandler = (packet: Uint8Array, peer?: { addr: Uint8Array; port: number }) => void;

export interface IoLoopSource {
  fd: number;
  /** recvfrom with the peer's address (UDP, IPv6 raw) instead of read. */
  dgram: boolean;
  maxLen: number;
  handler: IoHandler;
}

/** Ring size: 8 MiB holds ~5,000 full-size packets between two turns of the main thread. */
const RING_BYTES = 8 << 20;
/** Records handled per turn before the event loop gets a turn (timers, PF_KEY clients). */
const TURN_BATCH = 512;
/**
 * Packets of a turn after which the send worker takes the rest of it (TxQueue.busy): a turn this large
 * means the main thread is the bottleneck, and the kernel's transmit work is better on the other core.
 * Measured against 1 and 16 (docs/performance.md, bench/dataplane-gw.bench.ts).
 */
const DIRECT_MAX = 4;

export class IoLoop {
  private readonly worker: Worker;
  private readonly reader: RingReader;
  private readonly wakeFd: number;
  private readonly handlers: IoHandler[];
  private readonly dgram: boolean[];
  private closed = false;
  readonly stats = { packets: 0, batches: 0 };
  /** Called when the worker fails (the daemon logs it as an error). */
  onFailure: ((why: string) => void) | undefined;

  /** `tx`: told when a turn is large (`busy`), so that it stops sending on this thread until the turn ends. */
  constructor(
    sources: IoLoopSource[],
    private readonly tx?: { busy: boolean },
  ) {
    const ring = createRing(RING_BYTES);
    this.wakeFd = check(libc().eventfd(0, EFD_CLOEXEC), 'eventfd');
    this.handlers = sources.map((s) => s.handler);
    this.dgram = sources.map((s) => s.dgram);
    const ioSources: IoSource[] = sources.map((s, tag) => ({ fd: s.fd, tag, dgram: s.dgram, maxLen: s.maxLen }));
    const data: IoWorkerData = { ring, sources: ioSources, wakeFd: this.wakeFd };
    // Built: io-worker.js beside this file; from source (tsx, whose loader the worker inherits): io-worker.ts.
    const entry = import.meta.url.endsWith('.ts') ? './io-worker.ts' : './io-worker.js';
    this.worker = new Worker(new URL(entry, import.meta.url), { workerData: { ioWorker: data } });
    this.worker.unref();
    // A worker that dies would leave the daemon deaf: say so loudly (the caller logs it).
    this.worker.on('error', (e) => this.onFailure?.(`I/O worker failed: ${e.message}`));
    this.reader = new RingReader(ring);
    void this.reader.run((r) => this.turn(r), TURN_BATCH);
  }

  /** Packets the worker dropped because the main thread fell behind (ring full). */
  get drops(): number {
    return this.reader.drops;
  }

  private turn(r: RingReader): void {
    let k = 0;
    const n = r.drain((rec, tag) => {
      if (++k > DIRECT_MAX && this.tx) this.tx.busy = true;
      this.dispatch(rec, tag);
    }, TURN_BATCH);
    if (this.tx) this.tx.busy = false;
    if (n > 0) {
      this.stats.packets += n;
      this.stats.batches++;
    }
  }

  private dispatch(rec: Uint8Array, tag: number): void {
    const h = this.handlers[tag];
    if (!h) return;
    if (!this.dgram[tag]) {
      h(rec);
      return;
    }
    const v6 = rec[0] === 6;
    // A view, like the packet: valid during the call (the handlers copy what they keep).
    const peer = { addr: rec.subarray(4, v6 ? 20 : 8), port: (rec[2]! << 8) | rec[3]! };
    h(rec.subarray(PEER_PREFIX_BYTES), peer);
  }

  /** Stops the worker (it leaves poll through the eventfd) and the reader; the fds stay the caller's. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.reader.stop();
    const one = new Uint8Array(8);
    one[0] = 1;
    libc().write(this.wakeFd, one, 8);
    await this.worker.terminate();
    libc().close(this.wakeFd);
  }
}
