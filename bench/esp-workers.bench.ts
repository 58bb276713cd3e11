// Worker scaling of ESP (issue 15): four AES-128-GCM SAs encapsulated by one worker thread, then spread over
// two (SAs 0 and 2 on one, 1 and 3 on the other); each worker owns its SAs' crypto contexts (the evp
// back-end when available). Both pools are started and warmed first and stay alive; phases alternate the
// pools. Printed: packets/s of each (all its workers together, wall clock), process CPU µs per packet, and
// the 2/1 ratio per round pair, median. A ratio near 2 means the per-SA work scales over cores; on a shared
// machine the other load caps it, so the load average is printed beside it.
import { randomFillSync } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { spreadOf, writeBenchJson } from './harness.js';
import { ESP_EXIT, ESP_PARK, ESP_RUN, ESP_WORKER_STRIDE, type EspWorkerData } from './esp/esp-worker.js';
import type { SaSpec } from './esp/bench-sa.js';

const SAS = 4;
const ROUNDS = Number(process.env['UIPSEC_BENCH_ROUNDS'] ?? 6);
const PHASE_MS = 800;

interface Key {
  n: number;
  encKey: Uint8Array;
}

interface Phase {
  pps: number;
  cpuUsPerPacket: number;
}

class Pool {
  private readonly words: Int32Array;
  private readonly workers: Worker[];
  private readonly exited: Promise<unknown>[];

  constructor(spec: SaSpec, groups: Key[][]) {
    const control = new SharedArrayBuffer(4 * ESP_WORKER_STRIDE * (1 + groups.length));
    this.words = new Int32Array(control);
    const entry = import.meta.url.endsWith('.ts') ? './esp/esp-worker.ts' : './esp/esp-worker.js';
    this.workers = groups.map((sas, index) => {
      const data: EspWorkerData = { control, index, spec, sas };
      return new Worker(new URL(entry, import.meta.url), { workerData: { espWorker: data } });
    });
    this.exited = this.workers.map((w) => new Promise((res, rej) => w.on('exit', res).on('error', rej)));
  }

  async ready(): Promise<void> {
    await Promise.all(this.workers.map((w) => new Promise((res) => w.once('message', res))));
  }

  private count(): number {
    let n = 0;
    for (let i = 0; i < this.workers.length; i++) n += Atomics.load(this.words, ESP_WORKER_STRIDE * (1 + i));
    return n;
  }

  async phase(ms: number): Promise<Phase> {
    const n0 = this.count();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    Atomics.store(this.words, 0, ESP_RUN);
    Atomics.notify(this.words, 0);
    await new Promise((r) => setTimeout(r, ms));
    Atomics.store(this.words, 0, ESP_PARK);
    const wall = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 20)); // the last batch of 64 ends and is published
    const c = process.cpuUsage(c0);
    const packets = this.count() - n0;
    return { pps: (packets * 1000) / wall, cpuUsPerPacket: (c.user + c.system) / Math.max(1, packets) };
  }

  async close(): Promise<void> {
    Atomics.store(this.words, 0, ESP_EXIT);
    Atomics.notify(this.words, 0);
    await Promise.all(this.exited);
  }
}

export default async function main(): Promise<void> {
  const spec: SaSpec = { enc: 'aes-gcm-16' };
  const keys: Key[] = Array.from({ length: SAS }, (_, n) => ({ n, encKey: randomFillSync(new Uint8Array(20)) }));
  const one = new Pool(spec, [keys]);
  const two = new Pool(spec, [keys.filter((k) => k.n % 2 === 0), keys.filter((k) => k.n % 2 === 1)]);
  const load0 = loadavg();
  try {
    await Promise.all([one.ready(), two.ready()]);
    await one.phase(PHASE_MS); // warm-up: the JIT compiles each worker's loop
    await two.phase(PHASE_MS);
    const r1: Phase[] = [],
      r2: Phase[] = [],
      ratio: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const [a, b] = r % 2 ? [two, one] : [one, two];
      const x = await a.phase(PHASE_MS);
      const y = await b.phase(PHASE_MS);
      const [p1, p2] = r % 2 ? [y, x] : [x, y];
      r1.push(p1);
      r2.push(p2);
      ratio.push(p2.pps / p1.pps);
    }
    report(load0, r1, r2, ratio);
  } finally {
    await one.close();
    await two.close();
  }
}

function report(load0: number[], r1: Phase[], r2: Phase[], ratio: number[]): void {
  const med = (xs: number[]) => spreadOf(xs).median;
  const row = (label: string, rs: Phase[]) =>
    console.log(
      `${label.padEnd(24)} ${(med(rs.map((p) => p.pps)) / 1000).toFixed(1).padStart(7)} kpkt/s ` +
        `${med(rs.map((p) => p.cpuUsPerPacket))
          .toFixed(2)
          .padStart(7)} µs CPU/packet`,
    );
  const la = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}; load average ${la(load0)} at start`);
  console.log(`ESP encap, ${SAS} AES-128-GCM SAs, 1400-byte packets, ${ROUNDS} rounds × ${PHASE_MS} ms (medians)`);
  row('1 worker (4 SAs)', r1);
  row('2 workers (2 SAs each)', r2);
  const s = spreadOf(ratio);
  console.log(
    `2 workers / 1 worker: ${s.median.toFixed(2)}x (per-round range ${s.min.toFixed(2)}-${s.max.toFixed(2)}); ` +
      `load average ${la(loadavg())} at end`,
  );
  const title = `ESP encap on worker threads: ${SAS} AES-128-GCM SAs, 1400-byte packets (medians of ${ROUNDS} rounds)`;
  const rows = [r1, r2].map((rs, i) => ({
    label: `${i + 1} worker${i ? 's' : ''}`,
    values: [med(rs.map((p) => p.pps)) / 1000],
  }));
  const note = `2 workers / 1 worker: ${s.median.toFixed(2)}× (per-round range ${s.min.toFixed(2)}-${s.max.toFixed(2)})`;
  const unit = 'thousand packets per second, higher is better';
  writeBenchJson('esp-workers', [{ title, unit, series: ['packets/s'], rows, note }], { loadStart: load0[0] });
}
