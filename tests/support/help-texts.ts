// The --help text of every shipped command, taken from the commands themselves (in-process), and the options
// they name: what the man pages and the shell completions must cover.
import { HELP as SETKEY_HELP } from '../../setkey/options.js';
import { RACOON_HELP, RACOONCTL_HELP } from '../../racoon/usage.js';
import { parseArgs as parseDaemonArgs } from '../../kernel/daemon/config.js';
import { main as uipsecMain } from '../../app/uipsec.js';
import type { CliIo } from '../../app/cli-io.js';

/** uipsec's subcommands with options of their own (pcap's are those of encap/decap). */
export const UIPSEC_COMMANDS = [
  'demo',
  'status',
  'send',
  'listen',
  'ping',
  'pcap encap',
  'pcap decap',
  'ctl',
  'events',
] as const;

async function uipsecHelp(args: string[]): Promise<string> {
  let out = '';
  const io: CliIo = {
    out: (s) => (out += s),
    err: (s) => (out += s),
    readFile: () => new Uint8Array(),
    writeFile: () => {},
    env: {},
    readStdin: async () => '',
  };
  await uipsecMain([...args, '--help'], io);
  return out;
}

/** command (or `uipsec SUB`) -> its --help text. */
export async function helpTexts(): Promise<Record<string, string>> {
  const t: Record<string, string> = {
    setkey: SETKEY_HELP,
    racoon: RACOON_HELP,
    racoonctl: RACOONCTL_HELP,
    uipsecd: parseDaemonArgs(['--help'], {}).help ?? '',
    uipsec: await uipsecHelp([]),
  };
  for (const sub of UIPSEC_COMMANDS) t[`uipsec ${sub}`] = await uipsecHelp(sub.split(' '));
  return t;
}

/**
 * The options a help text lists: `-x` and `--long` at the start of its indented option lines (`  -f FILE`,
 * `  -H, -h`, `  -s, --socket <path>`), without their arguments.
 */
export function optionsOf(help: string): string[] {
  const found = new Set<string>();
  for (const line of help.split('\n')) {
    const m = /^ {1,4}(-[-\w]+(?:[ ,/]+(?:-[-\w]+|<[^>]+>|\[[^\]]+\]|[A-Z][A-Z_]*))*)/.exec(line);
    if (!m) continue;
    for (const o of m[1]!.matchAll(/(?<![\w-])(--?[A-Za-z0-9][\w-]*)/g)) found.add(o[1]!);
  }
  return [...found].sort();
}
