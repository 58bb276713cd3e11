// racoon(8): the IKEv1 daemon process. Reads racoon.conf and psk.txt, reaches the kernel (uipsecd) through
// its PF_KEY Unix socket, speaks IKE on its own UDP sockets (500 and the NAT-T port 4500, bound to the
// `listen` addresses), and serves racoonctl on the admin socket.
//   racoon [-F] [-f file] [-d|-dd|-v] [-l logfile] [-p port] [-P natt-port] [-C] [--socket path] [-V] [-h]
import { createSocket, type Socket } from 'node:dgram';
import { existsSync } from 'node:fs';
import type { Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatAddr, parseAddr } from '../common/inet.js';
import { SocketPathError } from '../common/socket-path.js';
import { exitAfterFlush } from '../common/stdio.js';
import { makeLogger, type LogLevel } from '../common/log.js';
import { systemClock } from '../common/clock.js';
import { systemRng } from '../common/rng.js';
import { PfkeyClient } from '../pfkey/client.js';
import { UnixTransport, defaultSocketPath } from '../pfkey/transport-unix.js';
import { IkeChannel } from '../channel/client.js';
import { checkConfig } from './conf/check.js';
import { ISAKMP_NATT_PORT, ISAKMP_PORT, type RacoonConf } from './conf/ast.js';
import { loadPskFile } from './psk.js';
import { Racoon } from './daemon.js';
import { serveAdmin } from './admin.js';
import type { Endpoint } from './engine/datagram.js';
import { logFileWriter, prepareLogFile } from './logfile.js';
import { RACOON_HELP, RACOON_USAGE, adminSocketHint, noDaemonHint, versionLine } from './usage.js';

export { exitAfterFlush } from '../common/stdio.js';

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
    if (f === '--ike-socket') {
      const v = argv[++i];
      if (!v) return 'option --ike-socket needs a path';
      a.ikeSocket = v;
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

function logLevelOf(a: RacoonArgs, conf: RacoonConf): LogLevel {
  if (a.debug >= 1) return 'debug';
  if (a.verbose) return 'info';
  switch (conf.log?.level) {
    case 'error':
      return 'error';
    case 'warning':
      return 'warn';
    case 'notify':
      return 'notice';
    case 'debug':
    case 'debug2':
      return 'debug';
    default:
      return 'info';
  }
}

/** A running daemon (for tests and signal handling). */
export interface RacoonProcess {
  racoon: Racoon;
  close(): void;
}

/** Binds the IKE sockets: each `listen isakmp` address on its port and on the NAT-T port (or the wildcard). */
function bindIke(
  conf: RacoonConf,
  port: number,
  nattPort: number,
  onMsg: (d: Uint8Array, local: Endpoint, remote: Endpoint) => void,
): Promise<Map<string, Socket>> {
  const socks = new Map<string, Socket>();
  const wanted: { addr: string; port: number }[] = [];
  const listens = conf.listen.isakmp;
  if (listens.length === 0) wanted.push({ addr: '0.0.0.0', port }, { addr: '0.0.0.0', port: nattPort });
  for (const l of listens) {
    const addr = formatAddr(l.addr);
    wanted.push({ addr, port: l.natt ? nattPort : port });
    if (!l.natt) wanted.push({ addr, port: nattPort });
  }
  const firstLocal =
    Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal)?.address ?? '127.0.0.1';
  return Promise.all(
    wanted
      .filter((w, i) => wanted.findIndex((x) => x.addr === w.addr && x.port === w.port) === i)
      .map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const s = createSocket({ type: w.addr.includes(':') ? 'udp6' : 'udp4', reuseAddr: false });
            s.on('error', reject);
            s.on('message', (msg, rinfo) => {
              const local = parseAddr(w.addr === '0.0.0.0' ? firstLocal : w.addr)!;
              const remote = parseAddr(rinfo.address);
              if (remote) onMsg(new Uint8Array(msg), { addr: local, port: w.port }, { addr: remote, port: rinfo.port });
            });
            s.bind(w.port, w.addr, () => {
              s.off('error', reject);
              s.on('error', () => {});
              socks.set(`${w.addr}:${w.port}`, s);
              resolve();
            });
          }),
      ),
  ).then(() => socks);
}

/** Resolves once `srv` listens; rejects with its listen error (ENOENT, EACCES, EADDRINUSE). */
function listening(srv: Server): Promise<void> {
  if (srv.listening) return Promise.resolve();
  return new Promise((resolve, reject) => {
    srv.once('listening', () => {
      srv.off('error', reject);
      srv.on('error', () => {});
      resolve();
    });
    srv.once('error', reject);
  });
}

/** Starts the daemon from parsed arguments; resolves once PF_KEY is registered and the sockets are bound. */
export async function startRacoon(
  a: RacoonArgs,
  conf: RacoonConf,
  write: (line: string) => void,
): Promise<RacoonProcess> {
  const log = makeLogger(logLevelOf(a, conf), write, 'racoon');
  const pskPath = conf.paths.pre_shared_key?.value ?? DEFAULT_PSK;
  const psk = loadPskFile(isAbsolute(pskPath) ? pskPath : join(dirname(a.file), pskPath));
  for (const e of psk.errors) log.log('error', e.message);
  // racoon refuses a key file others can read (safefile.c); so do we, rather than run without keys.
  if (psk.entries.length === 0 && psk.errors.length > 0)
    throw new Error(
      `refusing to start: ${psk.errors[0]!.message}.\n` +
        `The key file (racoon.conf: path pre_shared_key "${pskPath}";) holds one \`PEER-ADDRESS KEY\` line per peer ` +
        'and must not be readable by group or others: chmod 600 it.',
    );
  let transport: UnixTransport;
  try {
    transport = await UnixTransport.connect(a.socket);
  } catch (e) {
    throw new Error(noDaemonHint(a.socket, e));
  }
  const client = new PfkeyClient(transport);
  const port = a.port ?? conf.listen.isakmp.find((l) => !l.natt)?.port ?? ISAKMP_PORT;
  const nattPort = a.nattPort ?? ISAKMP_NATT_PORT;
  let socks = new Map<string, Socket>();
  // IKE goes through uipsecd's channel when the daemon offers one (its host stack owns the wire), else
  // through our own UDP sockets.
  let channel: IkeChannel | undefined;
  try {
    channel = await IkeChannel.connect(a.ikeSocket ?? join(dirname(a.socket), 'ike.sock'));
  } catch (e) {
    if (e instanceof SocketPathError) throw e; // someone else's socket: refuse rather than fall back quietly
    channel = undefined;
  }
  const racoon = new Racoon({
    conf,
    psk,
    pfkey: client,
    clock: systemClock,
    rng: systemRng,
    log,
    port,
    nattPort,
    ike: {
      send(data, from, to) {
        if (channel) {
          channel.send(from.port, to.addr, to.port, data);
          return;
        }
        const s =
          socks.get(`${formatAddr(from.addr)}:${from.port}`) ??
          socks.get(`0.0.0.0:${from.port}`) ??
          [...socks.values()][0];
        s?.send(data, to.port, formatAddr(to.addr));
      },
    },
  });
  if (channel) {
    channel.onDatagram((d) =>
      racoon.input(d.payload, { addr: d.local, port: d.localPort }, { addr: d.remote, port: d.remotePort }),
    );
    for (const p of [port, nattPort]) await channel.bind(p, { bypass: true });
  } else {
    socks = await bindIke(conf, port, nattPort, (d, l, r) => racoon.input(d, l, r));
  }
  await racoon.start();
  const as = conf.listen.adminsock;
  let admin: Server | undefined;
  if (!as?.disabled) {
    const path = as?.path ?? DEFAULT_ADMINSOCK;
    admin = serveAdmin(racoon, path, as?.mode ?? 0o600);
    try {
      await listening(admin);
    } catch (e) {
      racoon.close();
      client.close();
      channel?.close();
      for (const s of socks.values()) s.close();
      throw new Error(adminSocketHint(path, e));
    }
  }
  log.log(
    'notice',
    `racoon started: IKE on ${channel ? `uipsecd's channel, ports ${port}/${nattPort}` : [...socks.keys()].join(', ')}; PF_KEY ${a.socket}`,
  );
  return {
    racoon,
    close() {
      racoon.close();
      client.close();
      admin?.close();
      channel?.close();
      for (const s of socks.values()) s.close();
    },
  };
}

/** The process entry: exit status as racoon's. */
export async function main(argv: readonly string[]): Promise<number> {
  const a = parseRacoonArgs(argv);
  if (typeof a === 'string') {
    process.stderr.write(`racoon: ${a}\n${RACOON_USAGE}(racoon --help for the options and examples)\n`);
    return 1;
  }
  if (a.show) {
    process.stdout.write(a.show === 'help' ? RACOON_HELP : versionLine('racoon'));
    return 0;
  }
  if (!existsSync(a.file)) {
    process.stderr.write(
      `racoon: no configuration file ${a.file}.\n` +
        `Pass one with -f FILE (racoon.conf(5); examples/racoon-psk/ has a complete one), and check it with racoon -C -f FILE.\n`,
    );
    return 1;
  }
  const checked = checkConfig(a.file);
  if (a.check || !checked.ok) {
    (checked.ok ? process.stdout : process.stderr).write(checked.text + '\n');
    return checked.ok ? 0 : 1;
  }
  const toStderr = (l: string): void => {
    process.stderr.write(l + '\n');
  };
  let write = toStderr;
  if (a.logfile) {
    try {
      const check = prepareLogFile(a.logfile);
      write = logFileWriter(a.logfile, toStderr);
      if (check.narrowedFrom !== undefined)
        write(`racoon: log file ${a.logfile} was mode 0${check.narrowedFrom.toString(8)}; now 0600`);
    } catch (e) {
      toStderr(`racoon: ${(e as Error).message}`);
      return 1;
    }
  }
  // Directives accepted without effect are said at every start, not only under -C.
  for (const w of checked.warnings) write(`racoon: ${w.message}`);
  // Node cannot fork(2): without -F racoon still runs attached; run it under a service manager.
  let proc: RacoonProcess;
  try {
    proc = await startRacoon(a, checked.conf, write);
  } catch (e) {
    write(`racoon: ${(e as Error).message}`);
    if (a.logfile) process.stderr.write(`racoon: ${(e as Error).message}\n`);
    return 1;
  }
  await new Promise<void>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve());
  });
  proc.close();
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main(process.argv.slice(2)).then(exitAfterFlush);
}
