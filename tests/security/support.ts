// Support for the issue-11 attack tests: the shipped commands as processes (bin/<name> when compiled, the same
// module through tsx from source), a process run as the unprivileged user `nobody` (setpriv), and skip reasons.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compiled, daemonArgs, programArgs, repoRoot } from '../e2e/support.js';

export const NOBODY_UID = 65534;

const MODULES: Readonly<Record<string, string>> = {
  setkey: 'setkey/main',
  racoon: 'racoon/main',
  racoonctl: 'racoon/racoonctl',
  uipsec: 'app/uipsec',
};

/** node arguments that run the shipped command `name` (setkey, racoon, racoonctl, uipsec, uipsecd). */
export function commandArgs(name: string, args: readonly string[]): string[] {
  if (name === 'uipsecd') return daemonArgs([...args]);
  if (compiled) return [join(repoRoot(), 'bin', name), ...args];
  return [...programArgs(MODULES[name]!), ...args];
}

export interface Ran {
  code: number | null;
  out: string;
  err: string;
}

/** Runs a command to completion with `stdin` (or none) and collects its output. */
export function runCommand(
  name: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; stdin?: string } = {},
): Promise<Ran> {
  const child = spawn(process.execPath, commandArgs(name, args), {
    cwd: repoRoot(),
    env: opts.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return collect(child, opts.stdin);
}

/** Output and exit status of a child. */
export function collect(child: ChildProcess, stdin?: string): Promise<Ran> {
  let out = '',
    err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  child.stdin?.end(stdin ?? '');
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
}

/** Why the tests that act as `nobody` cannot run here, or undefined when they can. */
export function nobodySkipReason(): string | undefined {
  if (process.geteuid?.() !== 0) return 'needs root (to run an attacker as user nobody)';
  const r = spawnSync('setpriv', ['--version'], { encoding: 'utf8' });
  if (r.status !== 0) return 'setpriv is missing (Debian package util-linux)';
  return undefined;
}

/** Starts `node ARGS` as user nobody (uid/gid 65534, no supplementary groups). */
export function spawnAsNobody(nodeArgs: readonly string[]): ChildProcess {
  return spawn(
    'setpriv',
    [`--reuid=${NOBODY_UID}`, `--regid=${NOBODY_UID}`, '--clear-groups', process.execPath, ...nodeArgs],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
}

/** Prints why a suite or test is skipped and skips it. */
export function skipBecause(ctx: Mocha.Context, why: string): never {
  console.log(`      (skipped: ${why})`);
  ctx.skip();
}

/** A process's resident set size in KiB, from /proc/PID/status (VmRSS); 0 once it is gone. */
export function rssKiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Samples a process's RSS every `everyMs` until stopped; the peak and the samples in KiB. */
export function sampleRss(pid: number, everyMs = 50): { stop(): { peak: number; samples: number } } {
  let peak = rssKiB(pid),
    samples = 1;
  const t = setInterval(() => {
    peak = Math.max(peak, rssKiB(pid));
    samples++;
  }, everyMs);
  return {
    stop() {
      clearInterval(t);
      peak = Math.max(peak, rssKiB(pid));
      return { peak, samples };
    },
  };
}
