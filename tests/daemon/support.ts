// Daemon test support: temporary socket directories, the repository root (tests also run from dist/),
// waiting for a message that satisfies a predicate, and PF_KEY message builders shared with keysock tests.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PfkeyClient } from '../../pfkey/client.js';
import type { PfkeyMessage } from '../../pfkey/index.js';
import { defaultConfig, type DaemonConfig } from '../../kernel/daemon/config.js';

export { repoRoot } from '../support/root.js';

/** A fresh directory for socket files (Unix socket paths must stay short). */
export function sockDir(): string {
  return mkdtempSync(join(tmpdir(), 'uipsecd-'));
}

/** A config for an in-process daemon in `dir`. */
export function testConfig(dir: string, over: Partial<DaemonConfig> = {}): DaemonConfig {
  return { ...defaultConfig({}), socketPath: join(dir, 'pfkey.sock'), ikeSocketPath: join(dir, 'ike.sock'), logLevel: 'error', ...over };
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
