// `npm run bench dataplane-gw`: the CPU one packet costs each TUN gateway, by thread. The dataplane topology
// (bench/dataplane.bench.ts: two clients, each behind a gateway, ESP-in-UDP tunnel, AES-128-CBC +
// HMAC-SHA-256) carries a UDP stream at a FIXED rate that the gateways sustain (no flood: a flood charges
// the CPU of packets read and then dropped to the ones delivered), and the gateways' threads are read from
// /proc/PID/task/*/stat before and after: µs of CPU per datagram delivered, user and system, on the
// encapsulating gateway (u: TUN read, ESP, UDP send) and on the decapsulating one (s: UDP receive, ESP, TUN
// write), split into uipsecd's main thread, its I/O worker (`uipsec-io`), its send worker (`uipsec-tx`) and
// the rest (V8's GC helpers, libuv). strongSwan's charon (kernel-libipsec) is measured the same way.
// Rows alternate round after round. UIPSEC_BENCH_PPS (default 4000), UIPSEC_BENCH_SECONDS (default 4),
// UIPSEC_BENCH_ROUNDS (default 3); UIPSEC_BENCH_VARIANTS=`name:K=V,K=V;name2@PATH:` makes the uipsecd rows: started
// with those environment variables, or another build's bin/uipsecd (A/B in the same run); UIPSEC_BENCH_ROWS keeps the rows named.
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { iperfSkipReason, runIperf } from '../tests/support/iperf.js';
import { strongswanSkipReason } from '../tests/support/strongswan.js';
import { strongswanSetup, uipsecSetup, type Setup } from './dataplane.bench.js';
import { spreadOf } from './harness.js';

/** The dataplane bench's UDP size: with the tunnel's overhead the outer packet stays under the veth's 1500. */
const PAYLOAD = 1200;
const CLASSES = ['main', 'io', 'tx', 'other'] as const;
type ThreadClass = (typeof CLASSES)[number];
/** CPU seconds by thread class, user and system apart. */
type Cpu = Record<ThreadClass, { user: number; sys: number }>;

let clkTck = 100;

/** The threads of one process, summed by class (a thread that ended since is lost: none do here). */
function threadCpu(pid: number): Cpu {
  const out = Object.fromEntries(CLASSES.map((c) => [c, { user: 0, sys: 0 }])) as Cpu;
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cls: ThreadClass =
      Number(tid) === pid ? 'main' : comm === 'uipsec-io' ? 'io' : comm === 'uipsec-tx' ? 'tx' : 'other';
    out[cls].user += Number(f[11]) / clkTck;
    out[cls].sys += Number(f[12]) / clkTck;
  }
  return out;
}

/** µs per packet by class for one gateway, from two snapshots. */
function perPacket(a: Cpu, b: Cpu, packets: number): Cpu {
  const us = (x: number, y: number) => ((y - x) * 1e6) / Math.max(packets, 1);
  return Object.fromEntries(
    CLASSES.map((c) => [c, { user: us(a[c].user, b[c].user), sys: us(a[c].sys, b[c].sys) }]),
  ) as Cpu;
}

interface Sample {
  /** [u, s]: the encapsulating and the decapsulating gateway. */
  gw: [Cpu, Cpu];
  pps: number;
  loss: number;
}

async function sample(s: Setup, seconds: number, pps: number): Promise<Sample> {
  const before = s.pids.map(threadCpu);
  const r = await runIperf({
    serverNs: s.net.hostS,
    serverAddr: s.net.innerS,
    clientNs: s.net.hostU,
    clientAddr: s.net.innerU,
    seconds,
    udp: true,
    len: PAYLOAD,
    bitrate: String(pps * PAYLOAD * 8),
  });
  const after = s.pids.map(threadCpu);
  const got = (r.packets ?? 0) - (r.lostPackets ?? 0);
  const gw = [0, 1].map((i) => perPacket(before[i]!, after[i]!, got)) as [Cpu, Cpu];
  return { gw, pps: got / (r.seconds || seconds), loss: r.packets ? (r.lostPackets ?? 0) / r.packets : 0 };
}

const total = (c: Cpu) => CLASSES.reduce((a, k) => a + c[k].user + c[k].sys, 0);
const med = (xs: number[]) => spreadOf(xs).median;

function report(results: Map<string, Sample[]>): void {
  console.log('µs of CPU per datagram delivered (medians); u encapsulates (TUN -> ESP -> UDP), s decapsulates');
  console.log('row              side   total    main(u+s)      io(u+s)      tx(u+s)   other   kpkt/s   loss');
  for (const [name, xs] of results)
    for (const side of [0, 1] as const) {
      const m = (f: (c: Cpu) => number) => med(xs.map((x) => f(x.gw[side])));
      const cls = (k: ThreadClass) => `${m((c) => c[k].user).toFixed(1)}+${m((c) => c[k].sys).toFixed(1)}`;
      const cols = [
        m(total).toFixed(1).padStart(7),
        cls('main').padStart(12),
        cls('io').padStart(12),
        cls('tx').padStart(12),
        m((c) => c.other.user + c.other.sys)
          .toFixed(1)
          .padStart(7),
        (med(xs.map((x) => x.pps)) / 1000).toFixed(2).padStart(8),
        `${(med(xs.map((x) => x.loss)) * 100).toFixed(1)}%`.padStart(6),
      ];
      console.log(`${name.padEnd(16)} ${side ? 's' : 'u'}   ${cols.join(' ')}`);
    }
  const base = results.get('strongswan') ?? results.get([...results.keys()][0]!);
  if (!base) return;
  for (const [name, xs] of results) {
    if (xs === base) continue;
    const r = (side: 0 | 1) =>
      (med(xs.map((x) => total(x.gw[side]))) / med(base.map((x) => total(x.gw[side])))).toFixed(2);
    const b = results.get('strongswan') === base ? 'strongswan' : [...results.keys()][0];
    console.log(`${name}/${b} CPU per packet: u ${r(0)}x, s ${r(1)}x`);
  }
}

interface Variant {
  name: string;
  env: Record<string, string>;
  /** Another build's bin/uipsecd (`name@PATH:...`): a before/after of two builds in one run. */
  uipsecd?: string;
}

/** `name:K=V,K=V;name2@/other/tree/bin/uipsecd:` as rows of uipsecd started with those variables. */
function variants(): Variant[] {
  const spec = process.env['UIPSEC_BENCH_VARIANTS'];
  if (!spec) return [{ name: 'uipsec', env: {} }];
  return spec.split(';').map((v) => {
    const [head = '', kv = ''] = v.split(':');
    const [name = '', uipsecd] = head.split('@');
    const env = Object.fromEntries(
      kv
        .split(',')
        .filter(Boolean)
        .map((p) => p.split('=') as [string, string]),
    );
    return { name, env, uipsecd };
  });
}

export default async function main(): Promise<void> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    console.log('skipped: needs root on Linux (network namespaces, TUN devices)');
    return;
  }
  const noIperf = iperfSkipReason();
  if (noIperf) return void console.log(`skipped: ${noIperf}`);
  clkTck = Number(process.env['CLK_TCK'] ?? 100);
  const rounds = Number(process.env['UIPSEC_BENCH_ROUNDS'] ?? 3);
  const seconds = Number(process.env['UIPSEC_BENCH_SECONDS'] ?? 4);
  const pps = Number(process.env['UIPSEC_BENCH_PPS'] ?? 4000);
  const only = process.env['UIPSEC_BENCH_ROWS']?.split(',');
  const noSwan = strongswanSkipReason();
  if (noSwan) console.log(`strongswan row skipped: ${noSwan}`);
  const dir = mkdtempSync(join(tmpdir(), 'uipsec-bench-gw-'));
  const rows: [string, Setup][] = [];
  try {
    if (!noSwan && (!only || only.includes('strongswan'))) rows.push(['strongswan', await strongswanSetup(dir)]);
    for (const [i, v] of variants().entries())
      if (!only || only.includes(v.name))
        rows.push([v.name, await uipsecSetup(dir, false, { env: v.env, tag: `gw${i}`, uipsecd: v.uipsecd })]);
    const results = new Map<string, Sample[]>(rows.map(([n]) => [n, []]));
    console.log(
      `UDP ${PAYLOAD} B at ${pps} pkt/s, ${seconds} s per run, ${rounds} rounds, load ${loadavg()[0]!.toFixed(2)}`,
    );
    for (let r = 0; r < rounds; r++)
      for (const [name, s] of rows)
        await sample(s, seconds, pps).then(
          (x) => results.get(name)!.push(x),
          (e: unknown) => console.log(`${name} round ${r + 1} failed: ${String(e).slice(0, 300)}`),
        );
    for (const [n, xs] of results) if (!xs.length) results.delete(n);
    report(results);
    console.log(
      `load average after: ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    for (const [, s] of rows) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
