// `npm run bench:charts`: copies each bench's medians (bench-out/BENCH.json, written by `npm run bench NAME`)
// to docs/figures/ and draws every docs/figures/*.json that holds charts as SVG beside it (bench/chart.ts).
// Only the benches run since the last time change: the others' JSON and SVG stay as committed.
//
//   node dist/bench/charts.js [FROM_DIR [TO_DIR]]     (defaults: bench-out docs/figures)
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chartFiles, renderChart } from './chart.js';
import type { BenchJson } from './harness.js';

function main(argv: string[]): void {
  const from = argv[0] ?? 'bench-out';
  const to = argv[1] ?? join('docs', 'figures');
  if (existsSync(from) && resolve(from) !== resolve(to))
    for (const f of readdirSync(from).filter((f) => f.endsWith('.json'))) {
      copyFileSync(join(from, f), join(to, f));
      console.log(`${join(from, f)} -> ${join(to, f)}`);
    }
  for (const f of readdirSync(to).filter((f) => f.endsWith('.json'))) {
    const j = JSON.parse(readFileSync(join(to, f), 'utf8')) as Partial<BenchJson>;
    if (!Array.isArray(j.charts) || !j.bench) continue;
    const full = j as BenchJson;
    chartFiles(full).forEach((name, i) => {
      writeFileSync(join(to, name), renderChart(full.charts[i]!, full));
      console.log(`drew ${join(to, name)}`);
    });
  }
}

main(process.argv.slice(2));
