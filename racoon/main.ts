// racoon(8): the IKEv1 daemon process. Reads racoon.conf and psk.txt, reaches the kernel (uipsecd) through
// its PF_KEY Unix socket, speaks IKE on its own UDP sockets (500 and the NAT-T port 4500, bound to the
// `listen` addresses), and serves racoonctl on the admin socket.
//   racoon [-F] [-f file] [-d|-dd|-v] [-l logfile] [-p port] [-P natt-port] [-C] [--socket path] [-V] [-h]
//          [--ike-socket path] [--syslog-socket path]
import { SpawnScripts } from './script-hooks.js';
import { routeSource } from './route-source.js';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync } from 'node:fs';
import type { Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatAddr, parseAddr } from '../common/inet.js';
import { exitAfterFlush } from '../common/stdio.js';
import { SocketPathError } from '../common/socket-path.js';
import { makeLogger, type Logger, type LogLevel } from '../common/log.js';
import { systemClock } from '../common/clock.js';
import { systemRng } from '../common/rng.js';
import { checkConfig } from './conf/check.js';
import type { RemoteAuthTable } from './conf/remote-auth.js';
import { ISAKMP_NATT_PORT, ISAKMP_PORT, type RacoonConf } from './conf/ast.js';
import { loadPskFile, type PskFile } from './psk.js';
import { KernelLink } from './kernel-link.js';
import { SyslogLogger } from '../common/syslog.js';
import { pidfilePath, writePidFile, type PidFile } from '../common/pidfile.js';
import { Racoon } from './daemon.js';
import { serveAdmin } from './admin.js';
import { AdminEvents, attachIkev1Events } from './admin-events.js';
import type { Endpoint } from './engine/datagram.js';
import { logFileWriter, prepareLogFile } from '../common/log-file.js';
import { DEFAULT_ADMINSOCK, DEFAULT_PSK, parseRacoonArgs, type RacoonArgs } from './args.js';
import { RACOON_HELP, RACOON_USAGE, adminSocketHint, ikePortsHint, noDaemonHint, versionLine } from './usage.js';

export { exitAfterFlush } from '../common/stdio.js';

export { DEFAULT_ADMINSOCK, DEFAULT_CONF, DEFAULT_PSK, parseRacoonArgs, type RacoonArgs } from './args.js';

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
  /** SIGHUP (racoon reload_conf): racoon.conf and psk.txt read again and the SAs revalidated; false if refused. */
  reload(): Promise<boolean>;
  /** SIGTERM/SIGINT: DELETE to the peers, our SAs out of the kernel, then close(). */
  shutdown(): Promise<void>;
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

/** psk.txt as racoon.conf names it (relative to racoon.conf's directory). */
function loadPsk(a: RacoonArgs, conf: RacoonConf): PskFile {
  const pskPath = conf.paths.pre_shared_key?.value ?? DEFAULT_PSK;
  return loadPskFile(isAbsolute(pskPath) ? pskPath : join(dirname(a.file), pskPath));
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
  out: ((line: string) => void) | Logger,
  auth?: RemoteAuthTable,
): Promise<RacoonProcess> {
  const log = typeof out === 'function' ? makeLogger(logLevelOf(a, conf), out, 'racoon') : out;
  log.level = logLevelOf(a, conf);
  const psk = loadPsk(a, conf);
  for (const e of psk.errors) log.log('error', e.message);
  // racoon refuses a key file others can read (safefile.c); so do we, rather than run without keys.
  if (psk.entries.length === 0 && psk.errors.length > 0)
    throw new Error(
      `refusing to start: ${psk.errors[0]!.message}.\n` +
        `The key file (racoon.conf: path pre_shared_key "${conf.paths.pre_shared_key?.value ?? DEFAULT_PSK}";) holds ` +
        'one `PEER-ADDRESS KEY` line per peer and must not be readable by group or others: chmod 600 it.',
    );
  let link: KernelLink;
  try {
    link = await KernelLink.open({
      pfkeySocket: a.socket,
      ikeSocket: a.ikeSocket ?? join(dirname(a.socket), 'ike.sock'),
      log,
    });
  } catch (e) {
    if (e instanceof SocketPathError) throw e; // someone else's socket: its own message
    throw new Error(noDaemonHint(a.socket, e));
  }
  const port = a.port ?? conf.listen.isakmp.find((l) => !l.natt)?.port ?? ISAKMP_PORT;
  const nattPort = a.nattPort ?? ISAKMP_NATT_PORT;
  let socks = new Map<string, Socket>();
  // IKE goes through uipsecd's channel when the daemon offers one (its host stack owns the wire), else
  // through our own UDP sockets.
  const racoon = new Racoon({
    conf,
    psk,
    pfkey: link.pfkey,
    clock: systemClock,
    rng: systemRng,
    log,
    port,
    nattPort,
    auth,
    scripts: new SpawnScripts((level, msg) => log.log(level, msg)),
    routeSource,
    ike: {
      send(data, from, to) {
        if (link.usesChannel) {
          link.send(from.port, to.addr, to.port, data);
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
  try {
    await link.serve(racoon, [port, nattPort], (d) =>
      racoon.input(d.payload, { addr: d.local, port: d.localPort }, { addr: d.remote, port: d.remotePort }),
    );
  } catch (e) {
    link.close();
    throw new Error(ikePortsHint(a.socket, e));
  }
  if (!link.usesChannel) socks = await bindIke(conf, port, nattPort, (d, l, r) => racoon.input(d, l, r));
  await racoon.start();
  // One reload at a time (SIGHUP, racoonctl reload-config); one asked during another runs after it.
  let reloading: Promise<boolean> = Promise.resolve(true);
  const reload = () =>
    (reloading = reloading.then(() =>
      reloadRacoon(a, racoon, log).catch((e) => {
        log.log('error', `reload: ${(e as Error).message}`);
        return false;
      }),
    ));
  const as = conf.listen.adminsock;
  let admin: Server | undefined;
  if (!as?.disabled) {
    const path = as?.path ?? DEFAULT_ADMINSOCK;
    try {
      // serveAdmin throws at once when the directory cannot be made or is unsafe; listen fails later.
      const events = new AdminEvents();
      attachIkev1Events(racoon.ikev1, events);
      admin = serveAdmin(racoon, path, {
        mode: as?.mode ?? 0o600,
        owner: as?.owner,
        group: as?.group,
        proc: { reload },
        events,
        log: (level, msg) => log.log(level, msg),
      });
      await listening(admin);
    } catch (e) {
      racoon.close();
      link.close();
      for (const s of socks.values()) s.close();
      throw new Error(adminSocketHint(path, e));
    }
  }
  log.log(
    'notice',
    `racoon started: IKE on ${link.usesChannel ? `uipsecd's channel, ports ${port}/${nattPort}` : [...socks.keys()].join(', ')}; PF_KEY ${a.socket}`,
  );
  const close = () => {
    racoon.close();
    link.close();
    admin?.close();
    for (const s of socks.values()) s.close();
  };
  return {
    racoon,
    reload,
    async shutdown() {
      try {
        await reloading;
        await racoon.shutdown();
      } catch (e) {
        log.log('warn', `stopping: ${(e as Error).message}`);
      }
      close();
    },
    close,
  };
}

/**
 * racoon reload_conf: a configuration that does not check keeps the running one (said in the log, as `racoon -C`
 * would say it); listen addresses, ports and the admin socket stay as they were started.
 */
async function reloadRacoon(a: RacoonArgs, racoon: Racoon, log: Logger): Promise<boolean> {
  const checked = checkConfig(a.file);
  if (!checked.ok) {
    for (const e of checked.errors) log.log('error', e.message);
    log.log(
      'error',
      `reload refused: ${a.file} has ${checked.errors.length} error(s); the running configuration stays`,
    );
    return false;
  }
  const psk = loadPsk(a, checked.conf);
  for (const e of psk.errors) log.log('error', e.message);
  if (psk.entries.length === 0 && psk.errors.length > 0) {
    log.log('error', 'reload refused: the pre-shared key file is unusable; the running configuration stays');
    return false;
  }
  log.level = logLevelOf(a, checked.conf);
  const s = await racoon.reload(checked.conf, psk);
  log.log(
    'notice',
    `configuration reloaded from ${a.file}: ISAKMP-SAs kept ${s.ph1Kept}, deleted ${s.ph1Deleted}; IPsec-SAs kept ${s.ph2Kept}, deleted ${s.ph2Deleted}`,
  );
  return true;
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
  // SIGHUP before we are up must not kill us (Node's default), nor a closed terminal.
  let onHup: () => void = () => {};
  process.on('SIGHUP', () => onHup());
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
  // As racoon: syslog (facility daemon) when it runs as a daemon, stderr under -F, the -l file when given.
  const syslog =
    !a.foreground && !a.logfile
      ? new SyslogLogger({ level: 'info', tag: 'racoon', socket: a.syslogSocket, fallback: toStderr })
      : undefined;
  if (syslog) write = (l: string) => syslog.log('notice', l.replace(/^racoon: /, ''));
  // Directives accepted without effect are said at every start, not only under -C.
  for (const w of checked.warnings) write(`racoon: ${w.message}`);
  // Node cannot fork(2): without -F racoon still runs attached; run it under a service manager.
  const configured = checked.conf.paths.pidfile?.value;
  let pid: PidFile | undefined;
  let proc: RacoonProcess;
  try {
    if (!a.foreground || configured !== undefined) pid = writePidFile(pidfilePath(configured));
    proc = await startRacoon(a, checked.conf, syslog ?? write, checked.auth);
  } catch (e) {
    pid?.remove();
    write(`racoon: ${(e as Error).message}`);
    if (a.logfile || syslog) process.stderr.write(`racoon: ${(e as Error).message}\n`);
    syslog?.close();
    return 1;
  }
  onHup = () => {
    write(`racoon: SIGHUP: reloading ${a.file}`);
    void proc.reload();
  };
  const sig = await new Promise<string>((resolve) => {
    for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => resolve(s));
  });
  write(`racoon: ${sig}: stopping`);
  await proc.shutdown();
  pid?.remove();
  syslog?.close();
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main(process.argv.slice(2)).then(exitAfterFlush);
}
