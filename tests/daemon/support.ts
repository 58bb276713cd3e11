// Daemon test support: temporary socket directories, the repository root (tests also run from dist/), argv
// for uipsecd as a process, waiting for a message that satisfies a predicate, and PF_KEY message builders
// shared with keysock tests.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PfkeyClient } from '../../pfkey/client.js';
import type { PfkeyMessage } from '../../pfkey/index.js';
import { defaultConfig, type DaemonConfig } from '../../kernel/daemon/config.js';
import { repoRoot } from '../support/root.js';

export { repoRoot };

/** argv for running uipsecd with `args`: the real launcher bin/uipsecd when `built` (dist/ present), else
 * the same cli() from source through tsx. */
export function daemonArgv(args: string[], built: boolean): string[] {
  const root = repoRoot();
  if (built) return [join(root, 'bin/uipsecd'), ...args];
  const main = pathToFileURL(join(root, 'kernel/daemon/main.ts')).href;
  return [
    '--import',
    'tsx',
    '-e',
    `import(${JSON.stringify(main)}).then(async (m) => { process.exitCode = await m.cli(process.argv.slice(1)); })`,
    '--',
    ...args,
  ];
}

/** A fresh directory for socket files (Unix socket paths must stay short). */
export function sockDir(): string {
  return mkdtempSync(join(tmpdir(), 'uipsecd-'));
}

/** A config for an in-process daemon in `dir`. */
export function testConfig(dir: string, over: Partial<DaemonConfig> = {}): DaemonConfig {
  return {
    ...defaultConfig({}),
    socketPath: join(dir, 'pfkey.sock'),
    ikeSocketPath: join(dir, 'ike.sock'),
    logLevel: 'error',
    ...over,
  };
}

/** Resolves with the first message (from now on) that satisfies `pred`. */
export function nextMessage(c: PfkeyClient, pred: (m: PfkeyMessage) => boolean): Promise<PfkeyMessage> {
  return new Promise((resolve) => {
    const off = c.onMessage((m) => {
      if (!pred(m)) return;
      off();
      resolve(m);
    });
  });
}

/** Resolves after the event loop has run pending I/O callbacks a few times. */
export async function settle(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}
