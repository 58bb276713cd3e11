// uipsecd as a child process for the daemon tests: `node bin/uipsecd` when dist/ is built, else cli() from
// source through tsx (support.ts daemonArgv); its stdout and stderr gathered, its exit awaited.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { daemonArgv, repoRoot } from './support.js';

export const BUILT = existsSync(join(repoRoot(), 'dist/kernel/daemon/main.js'));

export interface Run {
  child: ChildProcess;
  stderr: () => string;
  exit: Promise<number | null>;
}

export function run(
  args: string[],
  opts: { uid?: number; gid?: number; env?: Record<string, string | undefined> } = {},
): Run {
  const child = spawn(process.execPath, daemonArgv(args, BUILT), {
    cwd: repoRoot(),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...opts,
  });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => {
    err += b.toString();
  });
  child.stdout!.on('data', (b: Buffer) => {
    err += b.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stderr: () => err, exit };
}

/** Resolves once the process has written `text` (or rejects when it exits first). */
export function waitFor(r: Run, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (r.stderr().includes(text)) {
        cleanup();
        resolve();
      }
    };
    const onExit = () => {
      cleanup();
      if (r.stderr().includes(text)) resolve();
      else reject(new Error(`exited before "${text}":\n${r.stderr()}`));
    };
    const cleanup = () => {
      r.child.stderr!.off('data', check);
      r.child.off('close', onExit);
    };
    r.child.stderr!.on('data', check);
    r.child.on('close', onExit);
    check();
  });
}
