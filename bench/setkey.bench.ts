// setkey end to end: a real uipsecd process, and `setkey -f` (a real process) loading a script of 100,000
// spdadd and 100,000 add statements through the daemon's Unix socket, pipelined (PIPELINE_WINDOW requests in
// flight). Reports statements per second over the whole run (process start to exit, parse included), and
// the parse-only rate (`setkey -n -f`) beside it. Counts: UIPSEC_BENCH_STATEMENTS (default 100000 of each).
// Run: npx tsx -e "import('./bench/setkey.bench.ts').then(m => m.default())"
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadNow, writeBenchJson } from './harness.js';

const N = Number(process.env.UIPSEC_BENCH_STATEMENTS ?? 100_000);

function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) d = dirname(d);
  return d;
}

const ROOT = repoRoot();
const COMPILED = import.meta.url.endsWith('.js') && existsSync(join(ROOT, 'dist/setkey/main.js'));

function daemonArgv(sock: string): string[] {
  if (COMPILED) return [join(ROOT, 'bin/uipsecd'), '--socket', sock, '--ike-socket', `${sock}.ike`];
  const main = pathToFileURL(join(ROOT, 'kernel/daemon/main.ts')).href;
  return [
    '--import',
    'tsx',
    '-e',
    `import(${JSON.stringify(main)}).then(async (m) => { process.exitCode = await m.cli(process.argv.slice(1)); })`,
    '--',
    '--socket',
    sock,
    '--ike-socket',
    `${sock}.ike`,
  ];
}

function setkeyArgv(args: string[]): string[] {
  return COMPILED ? [join(ROOT, 'bin/setkey'), ...args] : ['--import', 'tsx', join(ROOT, 'setkey/main.ts'), ...args];
}

function startDaemon(sock: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, daemonArgv(sock), { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
      if (err.includes(' up: ')) resolve(child);
    });
    child.on('close', () => reject(new Error(`uipsecd exited:\n${err}`)));
  });
}

const TIME = '/usr/bin/time';
const HAS_TIME = existsSync(TIME);

interface SetkeyRun {
  ms: number;
  cpuSec?: number;
  code: number | null;
  out: string;
  err: string;
}

/** Runs setkey; resolves with its wall time in ms, its CPU seconds (user + system, via /usr/bin/time) and output. */
function runSetkey(args: string[]): Promise<SetkeyRun> {
  const t0 = performance.now();
  const argv = setkeyArgv(args);
  const child = HAS_TIME
    ? spawn(TIME, ['-f', 'SETKEY-CPU %U %S', process.execPath, ...argv], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '',
    err = '';
  child.stdout!.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr!.on('data', (b: Buffer) => {
    err += b.toString();
  });
  return new Promise((resolve) =>
    child.on('close', (code) => {
      const m = /SETKEY-CPU ([\d.]+) ([\d.]+)\n?$/.exec(err);
      resolve({
        ms: performance.now() - t0,
        cpuSec: m ? Number(m[1]) + Number(m[2]) : undefined,
        code,
        out,
        err: m ? err.slice(0, m.index) : err,
      });
    }),
  );
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); undefined elsewhere. */
function procCpuSec(pid: number): number | undefined {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return undefined;
  }
}

const ip = (net: number, i: number) => `10.${net}.${(i >> 8) & 255}.${i & 255}`;
const hex = (i: number, bytes: number) =>
  (i >>> 0)
    .toString(16)
    .padStart(8, '0')
    .repeat(Math.ceil(bytes / 4))
    .slice(0, bytes * 2);

/** n spdadd and n add statements, every selector and SPI distinct. */
export function benchScript(n: number): string {
  const lines: string[] = ['flush;', 'spdflush;'];
  for (let i = 0; i < n; i++) {
    lines.push(
      `spdadd ${ip(1 + (i >> 16), i & 0xffff)} ${ip(100 + (i >> 16), i & 0xffff)} any -P out ipsec esp/transport//require;`,
    );
  }
  for (let i = 0; i < n; i++) {
    lines.push(
      `add ${ip(1 + (i >> 16), i & 0xffff)} ${ip(100 + (i >> 16), i & 0xffff)} esp ${0x10000 + i} -m transport -E aes-cbc 0x${hex(i, 16)} -A hmac-sha1 0x${hex(~i, 20)};`,
    );
  }
  return lines.join('\n') + '\n';
}

export default async function main(): Promise<void> {
  const load0 = loadNow();
  const dir = mkdtempSync(join(tmpdir(), 'setkey-bench-'));
  const sock = join(dir, 'pfkey.sock');
  const script = join(dir, 'load.conf');
  writeFileSync(script, benchScript(N));
  const daemon = await startDaemon(sock);
  try {
    const parse = await runSetkey(['-n', '-f', script]);
    if (parse.code !== 0) throw new Error(`setkey -n failed: ${parse.err.slice(0, 500)}`);
    const d0 = procCpuSec(daemon.pid!);
    const load = await runSetkey(['--socket', sock, '-f', script]);
    const d1 = procCpuSec(daemon.pid!);
    if (load.code !== 0) throw new Error(`setkey -f failed (${load.code}): ${load.err.slice(0, 500)}`);
    const dump = await runSetkey(['--socket', sock, '-D']);
    const sas = (dump.out.match(/^\tsadb_seq=/gm) ?? []).length;
    const total = 2 * N + 2;
    console.log(`setkey -f, ${N} spdadd + ${N} add through uipsecd (${COMPILED ? 'compiled' : 'source via tsx'}):`);
    const rate = (sec: number | undefined) => (sec ? `${(total / sec).toFixed(0)}/s` : 'n/a');
    console.log(
      `  end to end ${(total / (load.ms / 1000)).toFixed(0)} statements/s wall (${(load.ms / 1000).toFixed(2)} s, process start to exit; load avg ${loadavg()[0]!.toFixed(1)})`,
    );
    console.log(
      `  per CPU-second: setkey ${rate(load.cpuSec)} (${load.cpuSec?.toFixed(2)} s CPU), uipsecd ${rate(d0 !== undefined && d1 !== undefined ? d1 - d0 : undefined)} (${d0 !== undefined && d1 !== undefined ? (d1 - d0).toFixed(2) : '?'} s CPU)`,
    );
    console.log(
      `  parse and check only (-n) ${(total / (parse.ms / 1000)).toFixed(0)} statements/s wall, ${rate(parse.cpuSec)} per CPU-second`,
    );
    console.log(`  setkey -D afterwards: ${sas} SAs in ${(dump.ms / 1000).toFixed(2)} s`);
    const k = (sec: number | undefined) => (sec ? total / sec / 1000 : null);
    const rows = [
      { label: 'setkey -f through uipsecd', values: [k(load.ms / 1000), k(load.cpuSec), k(d1! - d0!)] },
      { label: 'setkey -n -f (parse, check)', values: [k(parse.ms / 1000), k(parse.cpuSec), null] },
    ];
    const title = `setkey -f of ${N} spdadd + ${N} add statements, process start to exit`;
    const unit = 'thousand statements per second, higher is better';
    const series = ['wall clock', 'per setkey CPU-second', 'per uipsecd CPU-second'];
    writeBenchJson('setkey', [{ title, unit, series, rows }], { loadStart: load0 });
  } finally {
    daemon.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}
