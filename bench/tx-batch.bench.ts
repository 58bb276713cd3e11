// The send worker's system calls (kernel/os/tx-worker.ts): the same 1400-byte datagrams queued through a
// TxQueue to a loopback UDP socket, leaving in sendmmsg(2) batches or one sendto(2) each, rounds
// alternating. Printed: datagrams/s through the worker and process CPU µs per datagram, with the ratio of
// the two in the same run. The receiving socket is never read (its buffer fills and the kernel drops on
// arrival), so the figure is the sender's cost: system call entry, UDP output, loopback. Linux (koffi).
import { loadavg } from 'node:os';
import { spreadOf, writeBenchJson } from './harness.js';

const DATAGRAMS = 20_000;
const IN_FLIGHT = 1000;
const ROUNDS = Number(process.env['UIPSEC_BENCH_ROUNDS'] ?? 6);

interface Run {
  pps: number;
  cpuUs: number;
}

async function once(mmsg: boolean, fd: number, port: number): Promise<Run> {
  const { TxQueue } = await import('../kernel/os/tx-queue.js');
  const tx = new TxQueue({ mmsg });
  const pkt = new Uint8Array(1400).fill(0x5a);
  const lo = Uint8Array.of(127, 0, 0, 1);
  // The worker's first datagram (it starts and loads koffi) is outside the timing.
  tx.sendTo(fd, pkt, lo, port);
  while (tx.sent + tx.errors < 1) await new Promise((r) => setTimeout(r, 1));
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let queued = 0;
  while (tx.sent + tx.errors < DATAGRAMS + 1) {
    while (queued < DATAGRAMS && queued - (tx.sent + tx.errors) < IN_FLIGHT && tx.sendTo(fd, pkt, lo, port)) queued++;
    await new Promise((r) => setImmediate(r));
  }
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  await tx.close();
  return { pps: (DATAGRAMS * 1000) / ms, cpuUs: (c.user + c.system) / DATAGRAMS };
}

export default async function main(): Promise<void> {
  if (process.platform !== 'linux') {
    console.log('skipped: the send worker is Linux-only (koffi to libc)');
    return;
  }
  const { openUdpSocket, closeFd } = await import('../kernel/os/sockets.js');
  const { libc } = await import('../kernel/os/libc.js');
  const lo = Uint8Array.of(127, 0, 0, 1);
  const sink = openUdpSocket(lo, 0, 0);
  const fd = openUdpSocket(lo, 0, 0);
  const sa = new Uint8Array(16);
  libc().getsockname(sink, sa, Uint32Array.of(16));
  const port = (sa[2]! << 8) | sa[3]!;
  const load0 = loadavg();
  try {
    await once(true, fd, port);
    const runs: Record<'mmsg' | 'sendto', Run[]> = { mmsg: [], sendto: [] };
    const ratio: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 ? [false, true] : [true, false];
      const got: Run[] = [];
      for (const m of order) got[m ? 0 : 1] = await once(m, fd, port);
      runs.mmsg.push(got[0]!);
      runs.sendto.push(got[1]!);
      ratio.push(got[0]!.pps / got[1]!.pps);
    }
    const med = (xs: number[]) => spreadOf(xs).median;
    console.log(
      `${DATAGRAMS} × 1400-byte datagrams to loopback per run, ${ROUNDS} rounds (medians); load ${la(load0)}`,
    );
    for (const [name, xs] of Object.entries(runs))
      console.log(
        `${name.padEnd(8)} ${(med(xs.map((x) => x.pps)) / 1000).toFixed(1).padStart(7)} k/s ` +
          `${med(xs.map((x) => x.cpuUs))
            .toFixed(2)
            .padStart(6)} µs CPU/datagram`,
      );
    const cpuRatio = med(runs.mmsg.map((x) => x.cpuUs)) / med(runs.sendto.map((x) => x.cpuUs));
    console.log(
      `sendmmsg/sendto: rate ${med(ratio).toFixed(2)}x, CPU per datagram ${cpuRatio.toFixed(2)}x; load ${la(loadavg())} at end`,
    );
    const rows = Object.entries(runs).map(([k, xs]) => ({
      label: k === 'mmsg' ? 'sendmmsg' : k,
      values: [med(xs.map((x) => x.pps)) / 1000],
    }));
    const title = `The send worker: ${DATAGRAMS} × 1400-byte datagrams to loopback (medians of ${ROUNDS} rounds)`;
    const note = `sendmmsg/sendto: rate ${med(ratio).toFixed(2)}×, CPU per datagram ${cpuRatio.toFixed(2)}×`;
    const unit = 'thousand datagrams per second, higher is better';
    writeBenchJson('tx-batch', [{ title, unit, series: ['rate'], rows, note }], { loadStart: load0[0] });
  } finally {
    closeFd(fd);
    closeFd(sink);
  }
}

const la = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
