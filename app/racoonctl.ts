// The racoonctl program: racoon/racoonctl.ts with setkey's SA printer for `show-sa esp|ah|ipsec` (ipsec-tools
// racoonctl prints the SAs racoon relays with libipsec's pfkey_sadump, setkey -D's format). racoon strips the
// keys before relaying (admin-commands.ts sadbDump): the E:/A: lines name the algorithm only.
import { runRacoonctl, exitAfterFlush, type RacoonctlOptions } from '../racoon/racoonctl.js';
import type { PfkeyMessage } from '../pfkey/msg.js';
import { saViewFromMessage } from '../setkey/from-pfkey.js';
import { printSa } from '../setkey/print.js';
import { saToJson } from '../setkey/json.js';
import { isMainModule } from './main-module.js';

export { exitAfterFlush } from '../racoon/racoonctl.js';

/** setkey -D's text (or --json) for the SAs in a relayed dump. */
export function formatSadb(ms: readonly PfkeyMessage[], json: boolean): string {
  const o = { nowSec: Date.now() / 1000, utcOffsetSec: -new Date().getTimezoneOffset() * 60 };
  const views = ms.map(saViewFromMessage);
  if (json) return JSON.stringify(views.map((v) => (typeof v === 'string' ? v : saToJson(v, { keys: false })))) + '\n';
  return views
    .map((v) => {
      if (typeof v === 'string') return `${v}\n`;
      // The algorithm lines without the key bytes racoon withheld.
      const named = {
        ...v,
        encKey: v.encAlg ? new Uint8Array(0) : undefined,
        authKey: v.authAlg ? new Uint8Array(0) : undefined,
      };
      return printSa(named, o);
    })
    .join('');
}

export const racoonctlOptions: RacoonctlOptions = { formatSadb };

export function racoonctlMain(argv: readonly string[]): Promise<number> {
  return runRacoonctl(
    argv,
    (s) => process.stdout.write(s),
    (s) => process.stderr.write(s),
    racoonctlOptions,
  );
}

if (isMainModule(import.meta.url)) void racoonctlMain(process.argv.slice(2)).then(exitAfterFlush);
