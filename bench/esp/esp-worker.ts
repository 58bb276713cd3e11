// One worker thread of bench/esp-workers.bench.ts: owns the SAs it is given (their crypto contexts are made
// here, in this thread, as a per-SA worker would own them) and encapsulates 1400-byte packets round-robin
// over them while its pool's flag says "run", counting packets in a shared word. It stays alive between
// phases (parked in Atomics.wait), so that every phase measures warm, JIT-compiled code.
import { parentPort, workerData } from 'node:worker_threads';
import { espOutput } from '../../kernel/ipsec/esp.js';
import { PooledRng } from '../../common/rng.js';
import { benchPacket, benchSa, type SaSpec } from './bench-sa.js';

/** Int32 words between two workers' counters: 64 bytes, one cache line each. */
export const ESP_WORKER_STRIDE = 16;
export const ESP_PARK = 0;
export const ESP_RUN = 1;
export const ESP_EXIT = 2;

export interface EspWorkerData {
  /** Int32 words: [0] the pool's flag (ESP_PARK, ESP_RUN, ESP_EXIT), [STRIDE × (1 + index)] packets done. */
  control: SharedArrayBuffer;
  index: number;
  spec: SaSpec;
  /** One key per SA this worker owns (the SPI is 0x1000 + the SA's number). */
  sas: { n: number; encKey: Uint8Array; authKey?: Uint8Array }[];
}

function run(d: EspWorkerData): void {
  const words = new Int32Array(d.control);
  const env = { rng: new PooledRng(), now: 0 };
  const sas = d.sas.map((k) => benchSa({ ...d.spec, spi: 0x1000 + k.n }, k.encKey, k.authKey, undefined));
  const pkt = benchPacket();
  const at = ESP_WORKER_STRIDE * (1 + d.index);
  parentPort!.postMessage('ready');
  // Counted locally and published per 64 packets, each worker's word on its own cache line (no false sharing).
  let n = 0;
  for (;;) {
    const flag = Atomics.load(words, 0);
    if (flag === ESP_EXIT) return;
    if (flag === ESP_PARK) {
      Atomics.wait(words, 0, ESP_PARK, 100);
      continue;
    }
    for (let i = 0; i < 64; i++) if (espOutput(sas[(n + i) % sas.length]!, pkt, env).ok) n++;
    Atomics.store(words, at, n);
  }
}

if (parentPort && (workerData as { espWorker?: EspWorkerData } | undefined)?.espWorker) {
  run((workerData as { espWorker: EspWorkerData }).espWorker);
  parentPort.postMessage('done');
}
