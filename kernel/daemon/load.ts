// `uipsecd --load FILE` / `load FILE`: setkey files applied at start through the daemon's own PF_KEY socket,
// by the shipped setkey command as a child process (the kernel never parses setkey text itself: the module
// rule keeps setkey/ out of kernel/), so that policies and manual SAs come back after a restart as they do
// after a reboot from a BSD machine's boot scripts (/etc/ipsec.conf).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A setkey run that hangs must not hold the daemon's start-up forever. */
const LOAD_TIMEOUT_MS = 60_000;

/** bin/setkey of this package (found from this file, built or from source). */
export function setkeyBin(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bin', 'setkey')))
      return join(dir, 'bin', 'setkey');
    dir = dirname(dir);
  }
  return 'setkey';
}

/** Runs `setkey -f FILE --socket PATH`; resolves with undefined on success, else the reason (setkey's own words). */
export function loadSetkeyFile(file: string, socketPath: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const bin = setkeyBin();
    const args = bin === 'setkey' ? ['-f', file, '--socket', socketPath] : [bin, '-f', file, '--socket', socketPath];
    const child = spawn(bin === 'setkey' ? 'setkey' : process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      if (err.length < 4096) err += d.toString();
    });
    child.stdout.resume();
    const timer = setTimeout(() => child.kill('SIGKILL'), LOAD_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve(`cannot run setkey: ${e.message}`);
    });
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      if (code === 0) resolve(undefined);
      else
        resolve(
          `setkey -f ${file} failed (${sig ?? `exit ${code}`}): ${err.trim().split('\n').slice(0, 5).join('; ')}`,
        );
    });
  });
}
