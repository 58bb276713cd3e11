// Test-only launcher: uipsecd (startDaemon, the same code bin/uipsecd runs) with one extension module loaded into
// its host, as `uipsecd --extension MODULE` will do once that lands. Run as a separate process by the tests:
//   node dist/tests/daemon/ext-host.js MODULE.js [uipsecd options...]
// Prints "extension ready" on stderr once the daemon listens and the module started; stops on SIGTERM.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { makeLogger } from '../../common/log.js';
import { parseArgs } from '../../kernel/daemon/config.js';
import { startDaemon } from '../../kernel/daemon/main.js';
import type { Host } from '../../kernel/host/host.js';

interface ExtModule {
  default: { name: string; start(ctx: { host: Host }): void; stop?(ctx: { host: Host }): void };
}

async function main(): Promise<void> {
  const [mod, ...rest] = process.argv.slice(2);
  const args = parseArgs(rest);
  if (!mod || args.errors.length)
    throw new Error(`usage: ext-host MODULE [uipsecd options]: ${args.errors.join('; ')}`);
  const log = makeLogger(args.config.logLevel, (l) => process.stderr.write(l + '\n'), 'uipsecd');
  const d = await startDaemon(args.config, { log });
  const ext = ((await import(pathToFileURL(resolve(mod)).href)) as ExtModule).default;
  ext.start({ host: d.host });
  process.stderr.write(`extension ${ext.name} ready\n`);
  process.once('SIGTERM', () => {
    try {
      ext.stop?.({ host: d.host });
    } catch (e) {
      process.stderr.write(`stop refused: ${(e as Error).message}\n`);
    }
    void d.close().then(() => process.exit(0));
  });
}

main().catch((e: Error) => {
  process.stderr.write(`ext-host: ${e.message}\n`);
  process.exit(1);
});
