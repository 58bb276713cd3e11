// racoon's command line as racoon(8) gives it (-F -f -d -v -l -p -P -C -V -h; -4 -6 -B accepted and ignored), with
// the options uipsec adds: --socket, --ike-socket, --syslog-socket, --help, --version.
import { defaultSocketPath } from '../pfkey/transport-unix.js';

export const DEFAULT_CONF = '/etc/racoon/racoon.conf';
export const DEFAULT_PSK = '/etc/racoon/psk.txt';
export const DEFAULT_ADMINSOCK = '/var/racoon/racoon.sock';

export interface RacoonArgs {
  foreground: boolean;
  file: string;
  debug: number;
  verbose: boolean;
  logfile?: string;
  port?: number;
  nattPort?: number;
  check: boolean;
  socket: string;
  /** uipsecd's IKE datagram channel; default ike.sock next to the PF_KEY socket. */
  ikeSocket?: string;
  /** The syslog socket when not /dev/log (logger -u). */
  syslogSocket?: string;
  /** -h/--help or -V/--version: print that and exit 0. */
  show?: 'help' | 'version';
}

/** racoon's command line; a message (what is wrong) when malformed. */
export function parseRacoonArgs(
  argv: readonly string[],
  env: Record<string, string | undefined> = process.env,
): RacoonArgs | string {
  const a: RacoonArgs = {
    foreground: false,
    file: DEFAULT_CONF,
    debug: 0,
    verbose: false,
    check: false,
    socket: defaultSocketPath(env),
  };
  const num = (s: string | undefined, what: string): number | string => {
    const n = Number(s);
    return Number.isInteger(n) && n > 0 && n < 65536 ? n : `bad ${what} '${s}'`;
  };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i]!;
    if (f === '--help' || f === '--version') {
      a.show ??= f === '--help' ? 'help' : 'version';
      continue;
    }
    if (f === '--socket') {
      const v = argv[++i];
      if (!v) return 'option --socket needs a path';
      a.socket = v;
      continue;
    }
    if (f === '--ike-socket' || f === '--syslog-socket') {
      const v = argv[++i];
      if (!v) return `option ${f} needs a path`;
      if (f === '--ike-socket') a.ikeSocket = v;
      else a.syslogSocket = v;
      continue;
    }
    if (!/^-[A-Za-z0-9]+$/.test(f)) return f.startsWith('-') ? `unknown option '${f}'` : `unexpected argument '${f}'`;
    for (const c of f.slice(1)) {
      switch (c) {
        case 'F':
          a.foreground = true;
          break;
        case 'd':
          a.debug++;
          break;
        case 'v':
          a.verbose = true;
          break;
        case 'C':
          a.check = true;
          break;
        case 'h':
          a.show ??= 'help';
          break;
        case 'V':
          a.show ??= 'version';
          break;
        case '4':
        case '6':
        case 'B':
          break;
        case 'f':
        case 'l':
        case 'p':
        case 'P': {
          const v = argv[++i];
          if (v === undefined) return `option -${c} needs an argument`;
          if (c === 'f') a.file = v;
          else if (c === 'l') a.logfile = v;
          else {
            const n = num(v, c === 'p' ? 'port' : 'NAT-T port');
            if (typeof n === 'string') return n;
            if (c === 'p') a.port = n;
            else a.nattPort = n;
          }
          break;
        }
        default:
          return `unknown option -${c}`;
      }
    }
  }
  return a;
}
