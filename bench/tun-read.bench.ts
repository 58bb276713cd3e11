// TUN bindings compared (docs/os-integration.md): each read strategy of bench/os/tun-read-child.ts in its
// own network namespace, twice, with a Python UDP flood routed into the TUN; packets/s and CPU µs per packet
// of the reading process, as ratios to the worker+ring design uipsecd uses. Then the write side (koffi
// write(2) against fs.writeSync). Needs root (network namespaces, TUN); skipped otherwise.
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNow, writeBenchJson } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const READS = ['worker-ring', 'pipe-wrap', 'worker-port', 'koffi-async', 'fs-read'];
const WRITES = ['write-koffi', 'write-fs'];

interface Run {
  mode: string;
  packets: number;
  cpuUs: number;
  wallMs: number;
}

function runChild(ns: string, mode: string, seconds: number): Run | undefined {
  const r = spawnSync(
    'ip',
    ['netns', 'exec', ns, process.execPath, join(here, 'os', 'tun-read-child.js'), mode, String(seconds)],
    { encoding: 'utf8', timeout: (seconds + 20) * 1000 },
  );
  const line = r.stdout?.split('\n').find((l) => l.startsWith('{'));
  return line ? (JSON.parse(line) as Run) : undefined;
}

export default function main(): void {
  if (process.getuid?.() !== 0) {
    console.log('skipped: needs root (network namespaces and a TUN device)');
    return;
  }
  const load0 = loadNow();
  const ns = `uipsec-bench-${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    const rows: { mode: string; pps: number; usPerPkt: number }[] = [];
    for (const mode of [...READS, ...WRITES]) {
      const runs = [0, 1].map(() => runChild(ns, mode, 3)).filter((x): x is Run => x !== undefined);
      if (!runs.length) {
        console.log(`${mode}: failed to run`);
        continue;
      }
      const pk = runs.reduce((a, r) => a + r.packets, 0);
      const cpu = runs.reduce((a, r) => a + r.cpuUs, 0);
      const wall = runs.reduce((a, r) => a + r.wallMs, 0);
      rows.push({ mode, pps: (pk / wall) * 1000, usPerPkt: cpu / pk });
    }
    const base = rows.find((r) => r.mode === 'worker-ring');
    console.log('strategy          packets/s   CPU µs/pkt   pps ratio   CPU ratio   (ratios to worker-ring)');
    for (const r of rows) {
      const ratio = (a: number, b: number | undefined) => (b ? (a / b).toFixed(2) : '-');
      console.log(
        `${r.mode.padEnd(16)} ${r.pps.toFixed(0).padStart(10)} ${r.usPerPkt.toFixed(2).padStart(12)} ` +
          `${(r.mode.startsWith('write') ? '-' : ratio(r.pps, base?.pps)).padStart(11)} ${(r.mode.startsWith('write') ? '-' : ratio(r.usPerPkt, base?.usPerPkt)).padStart(11)}`,
      );
    }
    const reads = rows.filter((r) => !r.mode.startsWith('write'));
    writeBenchJson(
      'tun-read',
      [
        {
          title: 'Reading a TUN device under a UDP flood: each strategy in its own namespace, 2 × 3 s',
          unit: 'thousand packets per second read, higher is better',
          series: ['packets/s'],
          rows: reads.map((r) => ({ label: r.mode, values: [r.pps / 1000] })),
          note: `CPU µs per packet: ${reads.map((r) => `${r.mode} ${r.usPerPkt.toFixed(1)}`).join(', ')}`,
        },
      ],
      { loadStart: load0 },
    );
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}
