// racoonctl(8): sends one command to racoon's admin socket and prints the reply.
//   racoonctl [-s socket] show-sa [isakmp|ike|esp|ah|ipsec] | flush-sa [...] | delete-sa isakmp inet SRC DST
//             | establish-sa isakmp inet SRC DST | vpn-connect GATEWAY | vpn-disconnect GATEWAY | reload-config | show-stats
import { connect } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { AdminReply } from './admin.js';
import { SocketPathError, assertSafeSocket } from '../common/socket-path.js';
import { exitAfterFlush } from '../common/stdio.js';

import { RACOONCTL_HELP, RACOONCTL_USAGE, noRacoonHint, versionLine } from './usage.js';

export { exitAfterFlush } from '../common/stdio.js';

export const DEFAULT_ADMIN_SOCKET = '/var/racoon/racoon.sock';
const USAGE = `${RACOONCTL_USAGE}(racoonctl --help for the commands and examples)\n`;
/** The commands racoon's admin socket knows (admin.ts), long and short names. */
export const RACOONCTL_COMMANDS: readonly string[] = [
  'show-sa',
  'ss',
  'flush-sa',
  'fs',
  'delete-sa',
  'ds',
  'establish-sa',
  'es',
  'vpn-connect',
  'vc',
  'vpn-disconnect',
  'vd',
  'reload-config',
  'rc',
  'show-stats',
];

export async function runRacoonctl(
  argv: readonly string[],
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<number> {
  const args = [...argv];
  let socket = DEFAULT_ADMIN_SOCKET;
  while (args[0]?.startsWith('-')) {
    const f = args.shift()!;
    if (f === '-h' || f === '--help') {
      out(RACOONCTL_HELP);
      return 0;
    }
    if (f === '-V' || f === '--version') {
      out(versionLine('racoonctl'));
      return 0;
    }
    if (f === '-s' && args.length) socket = args.shift()!;
    else if (f === '-d' || f === '-l') continue;
    else {
      err(`racoonctl: ${f === '-s' ? 'option -s needs a socket path' : `unknown option '${f}'`}\n${USAGE}`);
      return 1;
    }
  }
  const cmd = args.shift();
  if (!cmd) {
    err(`racoonctl: no command given\n${USAGE}`);
    return 1;
  }
  if (!RACOONCTL_COMMANDS.includes(cmd)) {
    err(`racoonctl: unknown command '${cmd}'\n${USAGE}`);
    return 1;
  }
  try {
    const rep = await new Promise<AdminReply>((resolve, reject) => {
      assertSafeSocket(socket); // rejects when another user could own the socket (issue 11 item 3)
      const s = connect(socket);
      let buf = '';
      s.setEncoding('utf8');
      s.on('connect', () => s.write(JSON.stringify({ cmd, args }) + '\n'));
      s.on('data', (c: string) => {
        buf += c;
        const nl = buf.indexOf('\n');
        if (nl >= 0) {
          s.end();
          try {
            resolve(JSON.parse(buf.slice(0, nl)) as AdminReply);
          } catch {
            reject(Object.assign(new Error('not a racoon admin socket'), { code: 'EPROTO' }));
          }
        }
      });
      s.on('error', reject);
    });
    for (const l of rep.lines) out(l + '\n');
    if (!rep.ok) {
      err(`racoonctl: ${rep.error ?? 'failed'}\n`);
      return 1;
    }
    return 0;
  } catch (e) {
    err(`racoonctl: ${e instanceof SocketPathError ? (e as Error).message : noRacoonHint(socket, e)}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runRacoonctl(
    process.argv.slice(2),
    (s) => process.stdout.write(s),
    (s) => process.stderr.write(s),
  ).then(exitAfterFlush);
}
