// Shared timing for benchmarks: run a function for a fixed wall-clock budget, report operations per second.
// Figures are printed beside a baseline measured in the same run, since absolute times vary on shared machines.

export interface Rate { opsPerSec: number; ops: number; ms: number }

/** Runs `fn` (which performs `batch` operations per call) for about `budgetMs`, after a short warm-up. */
export function measure(fn: () => void, batch = 1, budgetMs = 1000): Rate {
  const warm = performance.now();
  while (performance.now() - warm < Math.min(200, budgetMs / 5)) fn();
  let ops = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < budgetMs) { fn(); ops += batch; t = performance.now(); }
  const ms = t - t0;
  return { opsPerSec: (ops * 1000) / ms, ops, ms };
}

/** Alternates two measurements a few rounds and keeps each one's best, so drift hits both alike. */
export function compare(a: () => void, b: () => void, batch = 1, rounds = 3, budgetMs = 700): [Rate, Rate] {
  let ra: Rate | undefined, rb: Rate | undefined;
  for (let i = 0; i < rounds; i++) {
    const x = measure(a, batch, budgetMs), y = measure(b, batch, budgetMs);
    if (!ra || x.opsPerSec > ra.opsPerSec) ra = x;
    if (!rb || y.opsPerSec > rb.opsPerSec) rb = y;
  }
  return [ra!, rb!];
}

export function fmtRate(r: Rate): string {
  return r.opsPerSec >= 1e6 ? `${(r.opsPerSec / 1e6).toFixed(2)} M/s` : `${(r.opsPerSec / 1e3).toFixed(1)} k/s`;
}
