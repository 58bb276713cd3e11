// The I/O worker thread: poll(2) on the daemon's wire fds (TUN queues, raw IP sockets, UDP sockets) and an
// eventfd for shutdown, read every ready fd without blocking (up to BATCH packets per fd per round) straight
// into the shared ring (kernel/os/ring.ts), then publish the round at once: one wakeup of the main thread per
// batch, never per packet. Datagram sources (recvfrom) get a 20-byte peer prefix: family, port, address.
import { parentPort, workerData } from 'node:worker_threads';
import { libc, POLLIN, EAGAIN, EINTR } from './libc.js';
import { RingWriter, type RingBuffers } from './ring.js';

/** One fd the worker reads: `tag` comes back with every packet; `dgram` adds the peer prefix. */
export interface IoSource {
  fd: number;
  tag: number;
  dgram: boolean;
  /** Largest packet (the read size). */
  maxLen: number;
}

export interface IoWorkerData {
  ring: RingBuffers;
  sources: IoSource[];
  /** eventfd: a write ends the worker. */
  wakeFd: number;
}

/** Packets read from one fd per poll round before the next fd gets its turn. */
export const IO_BATCH = 64;
/** The peer prefix of a datagram record: u8 family (4/6), u8 0, u16 port (network order), 16 address bytes. */
export const PEER_PREFIX_BYTES = 20;
const POLLFD_BYTES = 8;

function run(d: IoWorkerData): void {
  const c = libc();
  c.nameThread('uipsec-io'); // top -H and the dataplane benches tell the threads apart
  const ring = new RingWriter(d.ring);
  const all = [...d.sources.map((s) => s.fd), d.wakeFd];
  const pfds = new Uint8Array(all.length * POLLFD_BYTES);
  const pdv = new DataView(pfds.buffer);
  all.forEach((fd, i) => {
    pdv.setInt32(i * POLLFD_BYTES, fd, true);
    pdv.setInt16(i * POLLFD_BYTES + 4, POLLIN, true);
  });
  const sa = new Uint8Array(28);
  const salen = new Uint32Array(1);
  const scratch = new Uint8Array(65536 + PEER_PREFIX_BYTES);
  for (;;) {
    const n = c.poll(pfds, all.length, -1);
    if (n < 0 && c.errno() === EINTR) continue;
    if (n < 0) return;
    if (pdv.getInt16(d.sources.length * POLLFD_BYTES + 6, true) !== 0) return; // woken to stop
    d.sources.forEach((s, i) => {
      if (pdv.getInt16(i * POLLFD_BYTES + 6, true) === 0) return;
      for (let k = 0; k < IO_BATCH; k++) {
        const room = ring.reserve(s.maxLen + (s.dgram ? PEER_PREFIX_BYTES : 0));
        const buf = room ?? scratch; // full ring: read anyway (the kernel must not back up) and drop
        let r: number;
        if (s.dgram) {
          salen[0] = sa.length;
          r = c.recvfrom(s.fd, buf.subarray(PEER_PREFIX_BYTES), s.maxLen, 0, sa, salen);
          if (r >= 0) peerPrefix(buf, sa);
        } else r = c.read(s.fd, buf, s.maxLen);
        if (r < 0) {
          const e = c.errno();
          if (e === EAGAIN || e === EINTR) break;
          break; // a transient error (ICMP-reported on a UDP socket...): next round
        }
        if (!room) {
          ring.drop();
          continue;
        }
        ring.commit(r + (s.dgram ? PEER_PREFIX_BYTES : 0), s.tag);
      }
    });
    ring.publish();
  }
}

/** struct sockaddr_in / sockaddr_in6 (Linux) to the record's peer prefix. */
function peerPrefix(buf: Uint8Array, sa: Uint8Array): void {
  const fam = sa[0]! | (sa[1]! << 8);
  buf.fill(0, 0, PEER_PREFIX_BYTES);
  buf[2] = sa[2]!;
  buf[3] = sa[3]!;
  if (fam === 2) {
    buf[0] = 4;
    buf.set(sa.subarray(4, 8), 4);
  } else {
    buf[0] = 6;
    buf.set(sa.subarray(8, 24), 4);
  }
}

if (parentPort && (workerData as { ioWorker?: IoWorkerData } | undefined)?.ioWorker) {
  run((workerData as { ioWorker: IoWorkerData }).ioWorker);
  parentPort.postMessage('stopped');
}
