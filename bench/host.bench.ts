// Host-to-host transport ESP AES-128-GCM through two in-process hosts on an in-memory wire: UDP datagrams
// per second (socket send -> SPD -> ESP output -> memwire -> input -> SA lookup -> ESP input -> inbound
// policy check -> socket), printed beside the same traffic with no policy, measured in the same run, and the
// ratio of the two. Machines are shared and noisy: read the ratio, not the absolute figures.
import { Host } from '../kernel/host/host.js';
import { MemWire } from '../kernel/link/memwire.js';
import { ManualClock } from '../common/clock.js';
import { PooledRng } from '../common/rng.js';
import { parseAddr } from '../common/inet.js';
import type { Rate } from './harness.js';
import { fmtRate, loadNow, writeBenchJson, type BenchChart } from './harness.js';
import type { Backend } from '../crypto/types.js';
import { evpAvailable } from '../crypto/evp-lib.js';
import { loadavg } from 'node:os';

const A = '192.0.2.1',
  B = '192.0.2.2';
const BATCH = 256;

interface Rig {
  send(): void;
  received(): number;
  close(): void;
}

export function rig(esp: boolean, payload: number, backend?: Backend, prepare?: (a: Host, b: Host) => void): Rig {
  const clock = new ManualClock(1_700_000_000_000);
  const wire = new MemWire({ mtu: 1500 });
  const a = new Host({ name: 'a', clock, rng: new PooledRng() });
  const b = new Host({ name: 'b', clock, rng: new PooledRng() });
  a.addInterface('eth0', wire.attach('a', [parseAddr(A)!]), [`${A}/24`]);
  b.addInterface('eth0', wire.attach('b', [parseAddr(B)!]), [`${B}/24`]);
  if (esp) {
    const key = new Uint8Array(20).fill(0x42); // AES-128 key + 4-byte salt (RFC 4106 §8.1)
    for (const h of [a, b]) {
      h.sad.add({
        spi: 0x1000,
        proto: 'esp',
        mode: 'transport',
        src: parseAddr(A)!,
        dst: parseAddr(B)!,
        encAlg: 'aes-gcm-16',
        encKey: key,
        replayBits: 64,
        backend,
      });
    }
    const req = [{ proto: 'esp' as const, mode: 'transport' as const, level: 'require' as const }];
    a.spd.addPolicy({ src: `${A}/32`, dst: `${B}/32`, dir: 'out', action: 'ipsec', requests: req });
    b.spd.addPolicy({ src: `${A}/32`, dst: `${B}/32`, dir: 'in', action: 'ipsec', requests: req });
  }
  prepare?.(a, b);
  const rx = b.udpSocket();
  rx.bind(9);
  let n = 0;
  rx.onMessage(() => {
    n++;
  });
  const tx = a.udpSocket();
  const data = new Uint8Array(payload).fill(0x61);
  const dst = parseAddr(B)!;
  return {
    send: () => {
      tx.send(data, dst, 9);
    },
    received: () => n,
    close: () => {
      a.close();
      b.close();
    },
  };
}

const drain = () => new Promise<void>((r) => setImmediate(r));

/** Datagrams per second and µs of process CPU per datagram received. */
interface HostRate extends Rate {
  cpuUs: number;
}

/** Sends batches for about `budgetMs` after a warm-up; counts datagrams that arrived. */
export async function measureRig(r: Rig, budgetMs: number): Promise<HostRate> {
  const warm = performance.now();
  while (performance.now() - warm < 150) {
    for (let i = 0; i < BATCH; i++) r.send();
    await drain();
  }
  const start = r.received();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < budgetMs) {
    for (let i = 0; i < BATCH; i++) r.send();
    await drain();
    t = performance.now();
  }
  const c = process.cpuUsage(c0);
  const ops = r.received() - start;
  return { opsPerSec: (ops * 1000) / (t - t0), ops, ms: t - t0, cpuUs: (c.user + c.system) / Math.max(1, ops) };
}

/**
 * The end-to-end figure before and after the evp back-end: the same two hosts with node:crypto contexts
 * (a context per packet, as before) and with evp contexts (one per SA), beside no policy, same run.
 */
export default async function main(): Promise<void> {
  const load0 = loadNow();
  console.log(
    `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  const sides: [string, boolean, Backend | undefined][] = [
    ['no policy', false, undefined],
    ['ESP AES-128-GCM transport, node:crypto', true, 'node'],
  ];
  if (evpAvailable()) sides.push(['ESP AES-128-GCM transport, evp', true, 'evp']);
  const series = sides.map(([name]) => name.replace(' AES-128-GCM transport', ''));
  const title = 'Host to host UDP through two in-process hosts, ESP AES-128-GCM transport (best of 3)';
  const charts: BenchChart[] = [
    { id: 'rate', title, unit: 'thousand datagrams received per second, higher is better', series, rows: [] },
    { id: 'cpu', title, unit: 'µs of CPU per datagram (both hosts), lower is better', series, rows: [] },
  ];
  for (const payload of [64, 1400]) {
    const rigs = sides.map(([, esp, be]) => rig(esp, payload, be));
    const best: (HostRate | undefined)[] = rigs.map(() => undefined);
    for (let round = 0; round < 3; round++) {
      for (const [k, r] of rigs.entries()) {
        const x = await measureRig(r, 700);
        if (!best[k] || x.opsPerSec > best[k].opsPerSec) best[k] = x;
      }
    }
    for (const r of rigs) r.close();
    const base = best[0]!.opsPerSec;
    const cells = sides.map(
      ([name], k) =>
        `${name} ${fmtRate(best[k]!)} (${best[k]!.cpuUs.toFixed(1)} µs CPU per datagram, both hosts; ratio ${(best[k]!.opsPerSec / base).toFixed(2)})`,
    );
    console.log(`host-to-host UDP ${payload} B:\n  ${cells.join('\n  ')}`);
    charts[0]!.rows.push({ label: `${payload} B`, values: best.map((b) => b!.opsPerSec / 1000) });
    charts[1]!.rows.push({ label: `${payload} B`, values: best.map((b) => b!.cpuUs) });
  }
  writeBenchJson('host', charts, { loadStart: load0 });
}
