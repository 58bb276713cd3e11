// What extensions cost on the packet path (docs/extensions.md): host-to-host transport ESP AES-128-GCM (the
// host bench's rig) with no extension, and with three pass-through IP filters on each host (each packet meets
// them four times: before and after ESP on output, the ESP packet and the inner one on input), same run,
// interleaved rounds, best of each. Read the ratio: a host with no filters pays one count check per hook.
import { loadavg } from 'node:os';
import { rig, measureRig } from './host.bench.js';
import { fmtRate, loadNow, writeBenchJson, type BenchChart } from './harness.js';
import type { Host } from '../kernel/host/host.js';

function passThrough(n: number): (a: Host, b: Host) => void {
  return (a, b) => {
    for (const h of [a, b])
      void h.extensions.load({
        name: `bench.pass${n}`,
        start: (ctx) => {
          for (let i = 0; i < n; i++)
            ctx.ipFilter(4, { name: `pass${i}`, input: () => 'continue', output: () => 'continue' });
        },
      });
  };
}

export default async function main(): Promise<void> {
  const load0 = loadNow();
  const rows: BenchChart['rows'] = [];
  console.log(
    `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  for (const payload of [64, 1400]) {
    const sides = [
      { name: 'no extension', rig: rig(true, payload) },
      { name: '3 pass-through IP filters', rig: rig(true, payload, undefined, passThrough(3)) },
    ];
    const best = sides.map(() => 0);
    const rates: (Awaited<ReturnType<typeof measureRig>> | undefined)[] = sides.map(() => undefined);
    for (let round = 0; round < 4; round++)
      for (const [k, s] of sides.entries()) {
        const x = await measureRig(s.rig, 600);
        if (x.opsPerSec > best[k]!) [best[k], rates[k]] = [x.opsPerSec, x];
      }
    for (const s of sides) s.rig.close();
    console.log(
      `ESP AES-128-GCM transport, UDP ${payload} B:\n  ${sides
        .map((s, k) => `${s.name} ${fmtRate(rates[k]!)} (ratio ${(best[k]! / best[0]!).toFixed(3)})`)
        .join('\n  ')}`,
    );
    rows.push({ label: `UDP ${payload} B`, values: best.map((x) => x / 1000) });
  }
  const title = 'Extensions on the packet path: ESP AES-128-GCM transport between two hosts (best of 4)';
  const unit = 'thousand datagrams received per second, higher is better';
  const series = ['no extension', '3 pass-through IP filters per host'];
  writeBenchJson('ext', [{ title, unit, series, rows }], { loadStart: load0 });
}
