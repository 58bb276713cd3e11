// PF_KEY over uipsecd's Unix socket, against a real daemon process: (1) SADB_ADD rate with pipelined
// requests (the client does not wait for each reply), (2) a DUMP of 100,000 SAs streamed to a client that
// only counts, with the daemon's resident memory (VmRSS, and the peak VmHWM reset just before the dump)
// read from /proc before, during and after. Run: npx tsx -e "import('./bench/pfkey.bench.ts').then(m => m.default())"
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as C from '../pfkey/constants.js';
import { encodeMessage, makeSadbMsg, makeSockaddr, type PfkeyMessage } from '../pfkey/index.js';
import { PfkeyClient } from '../pfkey/client.js';
import { UnixTransport } from '../pfkey/transport-unix.js';
import { loadNow, writeBenchJson, type BenchChart } from './harness.js';

const N_ADD = Number(process.env.UIPSEC_BENCH_SAS ?? 100_000);
const BATCH = 512;

function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) d = dirname(d);
  return d;
}

export function startDaemon(sock: string, nodeFlags: readonly string[] = []): Promise<ChildProcess> {
  const root = repoRoot();
  const compiled = import.meta.url.endsWith('.js') && existsSync(join(root, 'dist/kernel/daemon/main.js'));
  const argv = compiled
    ? [join(root, 'bin/uipsecd'), '--socket', sock]
    : [
        '--import',
        'tsx',
        '-e',
        `import(${JSON.stringify(pathToFileURL(join(root, 'kernel/daemon/main.ts')).href)}).then(async (m) => { process.exitCode = await m.cli(process.argv.slice(1)); })`,
        '--',
        '--socket',
        sock,
        '-v',
      ];
  argv.unshift(...nodeFlags);
  if (process.env.UIPSEC_BENCH_PROF) argv.unshift('--cpu-prof', `--cpu-prof-dir=${process.env.UIPSEC_BENCH_PROF}`);
  const child = spawn(process.execPath, argv, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
      if (err.includes('PF_KEY listening')) resolve(child);
    });
    child.on('close', () => reject(new Error(`uipsecd exited:\n${err}`)));
  });
}

/** VmRSS and VmHWM of a process, in MiB. */
export function mem(pid: number): { rss: number; hwm: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/** CPU seconds (user + system) the process has used, from /proc/<pid>/stat. */
function cpuSec(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100 on Linux)
}

function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export function addMessage(i: number, pid: number): PfkeyMessage {
  const src = makeSockaddr(Uint8Array.of(10, 1, (i >> 8) & 0xff, i & 0xff));
  const dst = makeSockaddr(Uint8Array.of(10, 2, (i >> 16) & 0xff, 1));
  return {
    msg: makeSadbMsg(C.SADB_ADD, C.SADB_SATYPE_ESP, i + 1, pid),
    ext: {
      sa: {
        spi: 0x10000 + i,
        replay: 4,
        state: 0,
        auth: C.SADB_X_AALG_SHA2_256,
        encrypt: C.SADB_X_EALG_AESCBC,
        flags: 0,
      },
      sa2: { mode: C.IPSEC_MODE_TRANSPORT, sequence: 0, reqid: 0 },
      addressSrc: { proto: 255, prefixlen: 32, addr: src },
      addressDst: { proto: 255, prefixlen: 32, addr: dst },
      keyEncrypt: { bits: 128, key: new Uint8Array(16).fill(i & 0xff) },
      keyAuth: { bits: 256, key: new Uint8Array(32).fill(7) },
    },
  };
}

/** Counts ADD replies straight from the bytes (type and errno), so the client spends little CPU. */
export class ReplyCounter {
  adds = 0;
  errors = 0;
  private target = 0;
  private done: (() => void) | undefined;
  constructor(t: UnixTransport, forward: (raw: Uint8Array) => void) {
    t.onMessage((raw) => {
      if (raw[1] !== C.SADB_ADD) {
        forward(raw);
        return;
      }
      this.adds++;
      if (raw[2] !== 0) this.errors++;
      if (this.adds === this.target) this.done?.();
    });
  }
  until(n: number): Promise<void> {
    this.target = n;
    return this.adds >= n
      ? Promise.resolve()
      : new Promise((r) => {
          this.done = r;
        });
  }
}

export async function addRate(
  t: UnixTransport,
  counter: ReplyCounter,
  msgs: Uint8Array[],
): Promise<{ perSec: number; errors: number }> {
  const errors0 = counter.errors;
  const finished = counter.until(counter.adds + msgs.length);
  const t0 = performance.now();
  for (let i = 0; i < msgs.length; i += BATCH) {
    t.send(Buffer.concat(msgs.slice(i, i + BATCH)));
    if (t.writableLength > 1 << 20) await t.drained();
  }
  await finished;
  const ms = performance.now() - t0;
  return { perSec: (msgs.length * 1000) / ms, errors: counter.errors - errors0 };
}

function pfkeyCharts(addWall: number, addCpu: number, dumpRows: BenchChart['rows'], idle: number): BenchChart[] {
  return [
    {
      id: 'add',
      title: `SADB_ADD over uipsecd's Unix socket, pipelined, ${N_ADD} SAs`,
      unit: 'thousand SAs added per second, higher is better',
      series: ['wall clock', 'per daemon CPU-second'],
      rows: [{ label: 'SADB_ADD', values: [addWall, addCpu] }],
    },
    {
      id: 'dump',
      title: "The daemon's memory while it streams a DUMP to a client that only counts",
      unit: 'uipsecd resident memory, MiB, lower is better',
      series: ['before the dump', 'peak during the dump'],
      rows: dumpRows,
      note: `idle daemon: ${idle.toFixed(1)} MiB`,
    },
  ];
}

export default async function main(): Promise<void> {
  const load0 = loadNow();
  const sock = join(mkdtempSync(join(tmpdir(), 'uipsecd-bench-')), 'pfkey.sock');
  const daemon = await startDaemon(sock);
  const pid = daemon.pid!;
  try {
    const t = await UnixTransport.connect(sock);
    // The client sees the transport through a wrapper: ADD replies are counted from their bytes first.
    let toClient: (raw: Uint8Array) => void = () => {};
    const c = new PfkeyClient(
      {
        send: (m) => t.send(m),
        onMessage: (fn) => {
          toClient = fn;
        },
        onClose: (fn) => t.onClose(fn),
        pause: () => t.pause(),
        resume: () => t.resume(),
        close: () => t.close(),
      },
      { pid: 777 },
    );
    const counter = new ReplyCounter(t, (raw) => toClient(raw));
    const msgs = Array.from({ length: N_ADD }, (_, i) => encodeMessage(addMessage(i, 777)));
    const idle = mem(pid);
    const dumpRows: BenchChart['rows'] = [];
    console.log(`daemon RSS idle: ${idle.rss.toFixed(1)} MiB`);
    // Four stages: add a quarter of the SAs, then dump the whole table, watching the daemon's memory.
    let addMs = 0,
      cpu = 0,
      errors = 0;
    for (let stage = 1; stage <= 4; stage++) {
      const part = msgs.slice(((stage - 1) * N_ADD) / 4, (stage * N_ADD) / 4);
      const cpu0 = cpuSec(pid);
      const add = await addRate(t, counter, part);
      cpu += cpuSec(pid) - cpu0;
      addMs += (part.length * 1000) / add.perSec;
      errors += add.errors;
      const before = mem(pid);
      const peakReset = resetPeak(pid);
      let n = 0;
      let peak = before.rss;
      const t0 = performance.now();
      for await (const m of c.dump(C.SADB_DUMP)) {
        void m;
        if (++n % 5000 === 0) peak = Math.max(peak, mem(pid).rss);
      }
      const ms = performance.now() - t0;
      const after = mem(pid);
      if (peakReset) peak = Math.max(peak, after.hwm);
      const dumpMiB = (n * (msgs[0]!.length + 48)) / 1048576; // each entry also carries CURRENT lifetime and SA2
      console.log(
        `DUMP of ${n} SAs (~${dumpMiB.toFixed(0)} MiB of messages) streamed in ${ms.toFixed(0)} ms: daemon RSS ${before.rss.toFixed(1)} -> peak ` +
          `${peak.toFixed(1)} MiB (${peakReset ? 'VmHWM reset before the dump' : 'sampled'}), growth ${(peak - before.rss).toFixed(1)} MiB`,
      );
      dumpRows.push({ label: `DUMP of ${n} SAs`, values: [before.rss, peak] });
    }
    console.log(
      `SADB_ADD over the Unix socket, pipelined: ${N_ADD} SAs at ${((N_ADD * 1000) / addMs / 1000).toFixed(1)} k SAs/s wall clock ` +
        `(target >= 20 k/s), ${(N_ADD / cpu / 1000).toFixed(1)} k SAs per daemon CPU-second, ${errors} errors`,
    );
    writeBenchJson('pfkey', pfkeyCharts(N_ADD / addMs, N_ADD / cpu / 1000, dumpRows, idle.rss), { loadStart: load0 });
    c.close();
  } finally {
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('close', r));
  }
}
