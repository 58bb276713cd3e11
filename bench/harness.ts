// Shared timing for benchmarks: run a function for a fixed wall-clock budget, report operations per second.
// Figures are printed beside a baseline measured in the same run, since absolute times vary on shared machines.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface Rate {
  opsPerSec: number;
  ops: number;
  ms: number;
}

/** Runs `fn` (which performs `batch` operations per call) for about `budgetMs`, after a short warm-up. */
export function measure(fn: () => void, batch = 1, budgetMs = 1000): Rate {
  const warm = performance.now();
  while (performance.now() - warm < Math.min(200, budgetMs / 5)) fn();
  let ops = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < budgetMs) {
    fn();
    ops += batch;
    t = performance.now();
  }
  const ms = t - t0;
  return { opsPerSec: (ops * 1000) / ms, ops, ms };
}

/** Alternates two measurements a few rounds and keeps each one's best, so drift hits both alike. */
export function compare(a: () => void, b: () => void, batch = 1, rounds = 3, budgetMs = 700): [Rate, Rate] {
  let ra: Rate | undefined, rb: Rate | undefined;
  for (let i = 0; i < rounds; i++) {
    const x = measure(a, batch, budgetMs),
      y = measure(b, batch, budgetMs);
    if (!ra || x.opsPerSec > ra.opsPerSec) ra = x;
    if (!rb || y.opsPerSec > rb.opsPerSec) rb = y;
  }
  return [ra!, rb!];
}

export function fmtRate(r: Rate): string {
  return r.opsPerSec >= 1e6 ? `${(r.opsPerSec / 1e6).toFixed(2)} M/s` : `${(r.opsPerSec / 1e3).toFixed(1)} k/s`;
}

/** Spread of a sample: median, quartiles and extremes. */
export interface Spread {
  median: number;
  p25: number;
  p75: number;
  min: number;
  max: number;
  n: number;
}

export function spreadOf(xs: readonly number[]): Spread {
  const s = [...xs].sort((x, y) => x - y);
  const at = (q: number): number => {
    const i = q * (s.length - 1);
    const lo = Math.floor(i),
      hi = Math.ceil(i);
    return s[lo]! + (s[hi]! - s[lo]!) * (i - lo);
  };
  return { median: at(0.5), p25: at(0.25), p75: at(0.75), min: s[0]!, max: s[s.length - 1]!, n: s.length };
}

export function fmtSpread(s: Spread, digits = 2): string {
  const f = (x: number): string => x.toFixed(digits);
  return `${f(s.median)} (IQR ${f(s.p25)}-${f(s.p75)}, range ${f(s.min)}-${f(s.max)}, ${s.n} rounds)`;
}

/** Result of `interleave`: per-round ratios of b's time over a's (= a's speed over b's), by wall clock and CPU. */
export interface Interleaved {
  wallRatio: Spread;
  cpuRatio: Spread;
  /** The same ratios over the whole run (sum of b's times over sum of a's). */
  wallRatioAll: number;
  cpuRatioAll: number;
  /** Operations per second of each side from wall time and from CPU time, over all rounds. */
  aWallRate: number;
  bWallRate: number;
  aCpuRate: number;
  bCpuRate: number;
  /** Median cost of one `settle` call alone (ms CPU), subtracted from every batch. */
  settleCpuMs: number;
}

export interface InterleaveOptions {
  /** Operations performed by one call of each function. */
  batch: number;
  /** Rounds; each gives one ratio. */
  rounds: number;
  /** A-B-B-A cycles per round (each cycle runs a twice and b twice). */
  cycles: number;
  /** Warm-up calls of each function before measuring (JIT, pools, caches). */
  warmup: number;
  /**
   * Runs inside each batch's timing, after the batch: a young-generation GC (`youngGc()`), so that each
   * side pays for collecting its own garbage instead of whichever side happens to trigger the collection.
   * Its fixed cost, timed alone once per cycle (median over the run), is subtracted from every batch.
   */
  settle?: () => void;
}

/**
 * A function that runs a synchronous young-generation GC (a V8 scavenge). Uses `gc` when node runs with
 * --expose-gc, else exposes it at run time (V8's own flag; the function comes from a fresh context).
 */
export function youngGc(): () => void {
  let gc = (globalThis as { gc?: (o?: object) => void }).gc;
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as (o?: object) => void;
  }
  const f = gc;
  // The second scavenge first finishes the first one's concurrent work (freeing the dead ArrayBuffers'
  // memory), which would otherwise run on a helper thread during whatever is timed next.
  return () => {
    f({ type: 'minor', execution: 'sync' });
    f({ type: 'minor', execution: 'sync' });
  };
}

/**
 * Measures `a` against `b` in small alternating batches over several rounds. Each cycle runs A B B A, so
 * a linear drift and "runs right after the other" hit both sides alike. Each batch is timed by the wall
 * clock and by process CPU time (process.cpuUsage: user + system of every thread, so GC helper threads
 * count too). A round's ratio is b's time over a's; on a shared machine a noisy moment falls inside one
 * round and hits both of its sides, and the median over rounds discards the rounds where it did not.
 */
export function interleave(a: () => void, b: () => void, o: InterleaveOptions): Interleaved {
  const settle = o.settle ?? ((): void => {});
  for (let i = 0; i < o.warmup; i++) {
    a();
    settle();
    b();
    settle();
  }
  const t = { w: 0, c: 0 };
  const timed = (fn: () => void): void => {
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    fn();
    settle();
    t.w = performance.now() - w0;
    const c = process.cpuUsage(c0);
    t.c = (c.user + c.system) / 1000;
  };
  const nop = (): void => {};
  // Per round, per side: [wall, cpu] sums of its 2 * cycles batches.
  const sums: { aw: number; bw: number; ac: number; bc: number }[] = [];
  const settleWall: number[] = [],
    settleCpu: number[] = [];
  for (let r = 0; r < o.rounds; r++) {
    const x = { aw: 0, bw: 0, ac: 0, bc: 0 };
    for (let k = 0; k < o.cycles; k++) {
      timed(a);
      x.aw += t.w;
      x.ac += t.c;
      timed(b);
      x.bw += t.w;
      x.bc += t.c;
      timed(b);
      x.bw += t.w;
      x.bc += t.c;
      timed(a);
      x.aw += t.w;
      x.ac += t.c;
      if (o.settle) {
        timed(nop);
        settleWall.push(t.w);
        settleCpu.push(t.c);
      }
    }
    sums.push(x);
  }
  // Every batch carried one settle: take its typical (median) cost alone off each batch of both sides.
  const perSide = 2 * o.cycles;
  const sw = o.settle ? perSide * spreadOf(settleWall).median : 0;
  const scpu = o.settle ? perSide * spreadOf(settleCpu).median : 0;
  const wall: number[] = [],
    cpu: number[] = [];
  let aw = 0,
    bw = 0,
    ac = 0,
    bc = 0;
  for (const x of sums) {
    const xa = Math.max(1e-3, x.aw - sw),
      xb = Math.max(1e-3, x.bw - sw);
    const ya = Math.max(1e-3, x.ac - scpu),
      yb = Math.max(1e-3, x.bc - scpu);
    wall.push(xb / xa);
    cpu.push(yb / ya);
    aw += xa;
    bw += xb;
    ac += ya;
    bc += yb;
  }
  const ops = o.rounds * perSide * o.batch;
  return {
    wallRatio: spreadOf(wall),
    cpuRatio: spreadOf(cpu),
    wallRatioAll: bw / aw,
    cpuRatioAll: bc / ac,
    aWallRate: (ops * 1000) / aw,
    bWallRate: (ops * 1000) / bw,
    aCpuRate: (ops * 1000) / ac,
    bCpuRate: (ops * 1000) / bc,
    settleCpuMs: scpu / perSide,
  };
}

export function fmtOps(opsPerSec: number): string {
  return opsPerSec >= 1e6 ? `${(opsPerSec / 1e6).toFixed(2)} M/s` : `${(opsPerSec / 1e3).toFixed(1)} k/s`;
}

/** One bar chart of a bench's JSON (bench/chart.ts draws it): a row of bars per label, one bar per series. */
export interface BenchChart {
  /** docs/figures/BENCH.svg for a bench's only chart, BENCH-ID.svg for each of several. */
  id?: string;
  title: string;
  /** What the bars measure, with "higher is better" or "lower is better". */
  unit: string;
  series: string[];
  /** One value per series; null: not measured in this run. */
  rows: { label: string; values: (number | null)[] }[];
  /** A line under the bars (what was left out, how to read the ratio). */
  note?: string;
}

/** A bench's medians as written to bench-out/BENCH.json, with the machine and load they were measured on. */
export interface BenchJson {
  bench: string;
  date: string;
  machine: string;
  node: string;
  /** 1/5/15-minute load averages when the bench ended, and the 1-minute one when it started. */
  loadavg: number[];
  loadStart?: number;
  charts: BenchChart[];
}

/** The 1-minute load average now: pass it to `writeBenchJson` as the start of a bench. */
export function loadNow(): number {
  return loadavg()[0]!;
}

/**
 * Writes a bench's charts (and any extra fields) to UIPSEC_BENCH_OUT (default bench-out)/BENCH.json;
 * `npm run bench:charts` copies them to docs/figures and draws them. Returns the file written.
 */
export function writeBenchJson(
  bench: string,
  charts: BenchChart[],
  o: { loadStart?: number; extra?: Record<string, unknown>; file?: string } = {},
): string {
  const file = o.file ?? join(process.env['UIPSEC_BENCH_OUT'] ?? 'bench-out', `${bench}.json`);
  const out: BenchJson & Record<string, unknown> = {
    bench,
    date: new Date().toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}`,
    node: process.version,
    loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
    ...(o.loadStart === undefined ? {} : { loadStart: Math.round(o.loadStart * 100) / 100 }),
    ...o.extra,
    charts,
  };
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, `${JSON.stringify(out, null, 1)}\n`);
  console.log(`medians written to ${file}`);
  return file;
}
