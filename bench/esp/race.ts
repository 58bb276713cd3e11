// Timing helpers shared by the ESP crypto benches: loops raced in alternating rounds on process CPU time,
// and `openssl speed -evp` (the CPU's own ceiling for a cipher) for the same block size.
import { spawnSync } from 'node:child_process';
import { spreadOf } from '../harness.js';

export interface Raced {
  /** Median µs of CPU per item of each loop. */
  us: number[];
  /** Median over rounds of each loop's time over the first loop's, same round. */
  ratio: number[];
}

/** µs of CPU per item of each loop (`batch` items a call), rounds alternating the order; medians. */
export function race(loops: (() => void)[], settle: () => void, batch: number, rounds: number): Raced {
  for (let w = 0; w < 3; w++) for (const f of loops) f();
  const per: number[][] = loops.map(() => []);
  const ratios: number[][] = loops.map(() => []);
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [...loops.keys()].reverse() : [...loops.keys()];
    const t: number[] = [];
    for (const k of order) {
      settle();
      const c0 = process.cpuUsage();
      loops[k]!();
      settle();
      const c = process.cpuUsage(c0);
      t[k] = (c.user + c.system) / batch;
    }
    for (const k of loops.keys()) {
      per[k]!.push(t[k]!);
      ratios[k]!.push(t[k]! / t[0]!);
    }
  }
  return { us: per.map((x) => spreadOf(x).median), ratio: ratios.map((x) => spreadOf(x).median) };
}

/** µs per `bytes`-byte block from `openssl speed -evp NAME -bytes N` (its last line: 1000s of bytes/s). */
export function opensslSpeed(name: string, bytes: number): number | undefined {
  const r = spawnSync('openssl', ['speed', '-evp', name, '-bytes', String(bytes), '-seconds', '1'], {
    encoding: 'utf8',
  });
  if (r.status !== 0) return undefined;
  const last = r.stdout.trim().split('\n').pop() ?? '';
  const m = /([\d.]+)k\s*$/.exec(last);
  return m ? (bytes / (Number(m[1]) * 1000)) * 1e6 : undefined;
}

export const f2 = (x: number | undefined): string => (x === undefined ? 'n/a' : x.toFixed(2));
