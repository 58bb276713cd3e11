// The send worker thread: takes the packets the main thread queued in a shared ring (kernel/os/tx-queue.ts)
// and hands each to the kernel — sendto(2) on a wire socket or write(2) on the TUN. On Linux a send does the
// kernel's whole transmit path in the caller (routing, the device, and on a veth or the TUN the receiving
// side's processing too): about half of the main thread's time per packet before this worker existed
// (docs/performance.md). Here it runs beside the host's own work, on another core. Datagrams for one
// socket that are queued together leave in one sendmmsg(2) (kernel/os/tx-batch.ts; UIPSEC_TX_MMSG=0: one
// sendto(2) each); TUN writes stay one write(2) per packet (a TUN takes one packet per call). Errors are counted in
// shared words the main thread reads for its stats; nothing is thrown.
import { parentPort, workerData } from 'node:worker_threads';
import { libc, MSG_DONTWAIT } from './libc.js';
import { RingReader, type RingBuffers } from './ring.js';
import { MmsgBatch } from './tx-batch.js';

/** Record layout: u32 sockaddr length (0: write(2)), the sockaddr (room for sockaddr_in6), then the packet. */
export const TX_PREFIX_BYTES = 32;
export const TX_SOCKADDR_OFF = 4;

/** Int32 words of the shared counters. */
export const TX_SENT = 0;
export const TX_ERRORS = 1;
export const TX_LAST_ERRNO = 2;
export const TX_COUNTER_WORDS = 4;

export interface TxWorkerData {
  ring: RingBuffers;
  counters: SharedArrayBuffer;
  /** Datagrams for one socket leave in sendmmsg(2) batches (kernel/os/tx-batch.ts); else one sendto(2) each. */
  mmsg: boolean;
}

function run(d: TxWorkerData): void {
  const c = libc();
  c.nameThread('uipsec-tx');
  const reader = new RingReader(d.ring);
  const counters = new Int32Array(d.counters);
  const batch = d.mmsg ? new MmsgBatch(c) : undefined;
  const count = (sent: number, failed: number, errno: number): void => {
    if (sent) Atomics.add(counters, TX_SENT, sent);
    if (!failed) return;
    Atomics.store(counters, TX_LAST_ERRNO, errno);
    Atomics.add(counters, TX_ERRORS, failed);
  };
  const flush = (): void => {
    if (!batch?.pending) return;
    const r = batch.flush();
    count(r.sent, r.failed, r.errno);
  };
  const sendOne = (rec: Uint8Array, fd: number, alen: number): void => {
    const len = rec.length - TX_PREFIX_BYTES;
    const data = rec.subarray(TX_PREFIX_BYTES);
    const r =
      alen === 0
        ? c.write(fd, data, len)
        : c.sendto(fd, data, len, MSG_DONTWAIT, rec.subarray(TX_SOCKADDR_OFF, TX_SOCKADDR_OFF + alen), alen);
    if (r >= 0) count(1, 0, 0);
    else count(0, 1, c.errno());
  };
  // With a batch: consecutive datagrams for one socket gather (order kept: anything else flushes first).
  const send = (rec: Uint8Array, fd: number): void => {
    const alen = rec[0]! | (rec[1]! << 8);
    if (!batch || alen === 0) {
      flush();
      sendOne(rec, fd, alen);
      return;
    }
    const name = rec.subarray(TX_SOCKADDR_OFF, TX_SOCKADDR_OFF + alen);
    if (batch.add(fd, rec.subarray(TX_PREFIX_BYTES), name)) {
      if (batch.full) flush();
      return;
    }
    flush();
    if (!batch.add(fd, rec.subarray(TX_PREFIX_BYTES), name)) sendOne(rec, fd, alen); // larger than a slot
  };
  do reader.drain(send, Infinity, flush);
  while (reader.waitSync());
  flush();
  batch?.free();
}

if (parentPort && (workerData as { txWorker?: TxWorkerData } | undefined)?.txWorker) {
  run((workerData as { txWorker: TxWorkerData }).txWorker);
  parentPort.postMessage('stopped');
}
