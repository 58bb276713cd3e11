// The send worker thread: takes the packets the main thread queued in a shared ring (kernel/os/tx-queue.ts)
// and hands each to the kernel — sendto(2) on a wire socket or write(2) on the TUN. On Linux a send does the
// kernel's whole transmit path in the caller (routing, the device, and on a veth or the TUN the receiving
// side's processing too): about half of the main thread's time per packet before this worker existed
// (docs/performance.md). Here it runs beside the host's own work, on another core. Errors are counted in
// shared words the main thread reads for its stats; nothing is thrown.
import { parentPort, workerData } from 'node:worker_threads';
import { libc, MSG_DONTWAIT } from './libc.js';
import { RingReader, type RingBuffers } from './ring.js';

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
}

function run(d: TxWorkerData): void {
  const c = libc();
  const reader = new RingReader(d.ring);
  const counters = new Int32Array(d.counters);
  const send = (rec: Uint8Array, fd: number): void => {
    const alen = rec[0]! | (rec[1]! << 8);
    const len = rec.length - TX_PREFIX_BYTES;
    const data = rec.subarray(TX_PREFIX_BYTES);
    const r =
      alen === 0
        ? c.write(fd, data, len)
        : c.sendto(fd, data, len, MSG_DONTWAIT, rec.subarray(TX_SOCKADDR_OFF, TX_SOCKADDR_OFF + alen), alen);
    if (r >= 0) {
      Atomics.add(counters, TX_SENT, 1);
      return;
    }
    Atomics.store(counters, TX_LAST_ERRNO, c.errno());
    Atomics.add(counters, TX_ERRORS, 1);
  };
  do reader.drain(send);
  while (reader.waitSync());
}

if (parentPort && (workerData as { txWorker?: TxWorkerData } | undefined)?.txWorker) {
  run((workerData as { txWorker: TxWorkerData }).txWorker);
  parentPort.postMessage('stopped');
}
