// uipsecd configuration: the command line (commander) and a small line-oriented config file, merged into
// one DaemonConfig. File errors are ConfigErrors with file:line; every bad line is reported, not just the
// first. See docs/uipsecd.md for the syntax.
import { FileReadError, readConfigText } from '../../common/bounded-file.js';
import { dirname, join, resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../../common/errors.js';
import { isLogLevel, type LogLevel } from '../../common/log.js';
import { parseAddr, parsePrefix } from '../../common/inet.js';
import { DEFAULT_PFKEY_SOCKET, PFKEY_SOCKET_ENV } from '../../pfkey/transport-unix.js';
import { IKE_SOCKET_ENV, defaultCtlSocket } from '../../channel/constants.js';
import { CTL_SOCKET_ENV } from '../../channel/ctl-frames.js';
import { DEFAULT_MARK, DEFAULT_TABLE } from '../os/route-sync.js';

/** Examples and signals after the option list of `uipsecd --help`. */
const HELP_AFTER = `
Examples:
  uipsecd -s /tmp/ua/pfkey.sock -a 10.7.0.1/24 -u 127.0.0.1:7001 --neighbour 10.7.0.2=127.0.0.1:7002
  uipsecd -f /etc/uipsec/uipsecd.conf -n         check a config file
  uipsecd --tun utun0 --load /etc/uipsec/policies.conf --pidfile /run/uipsecd.pid
                                                 protect this machine's traffic (as root)

Signals: SIGINT/SIGTERM stop cleanly; SIGHUP re-applies the --load files (addresses, links and sockets
stay as started); SIGUSR1 logs one line of counters. Manual: uipsecd(8), uipsecd.conf(5).
`;

/** Linux IFNAMSIZ - 1, and the characters iproute2 accepts without quoting. */
const TUN_NAME = /^[A-Za-z0-9_.-]{1,15}$/;
/** Tables the kernel reserves (unspec, default, main, local). */
const RESERVED_TABLES = new Set([0, 253, 254, 255]);

export interface Endpoint {
  host: string;
  port: number;
}

export interface DaemonConfig {
  socketPath: string;
  ikeSocketPath: string;
  /**
   * Kernel controls and events (kernel/daemon/ctl-server.ts); unset: ctl.sock next to the PF_KEY socket
   * (ctlSocketPathOf). `ctlOpen`: mode 0666, other users may connect.
   */
  ctlSocketPath?: string;
  ctlOpen: boolean;
  name: string;
  /** Interface addresses with prefix length, e.g. 10.0.0.1/24. */
  addresses: string[];
  underlay?: Endpoint;
  /** A real ESP-in-UDP (RFC 3948) socket: where it binds (port 4500 by default) and extra interface addresses. */
  natt?: { bind: Endpoint; addresses: string[] };
  /** Peer IP address (text) -> its underlay endpoint. */
  neighbours: Record<string, Endpoint>;
  routes: { prefix: string; gateway?: string }[];
  /** UDP ports of the host stack that carry ESP-in-UDP (RFC 3948); default [4500]. */
  nattPorts: number[];
  forwarding: boolean;
  logLevel: LogLevel;
  mtu: number;
  /** TUN mode (docs/protecting-real-traffic.md): the TUN device's name; the host runs on the machine's addresses. */
  tun?: string;
  /** setkey files loaded through the daemon's own PF_KEY at start (`load`, `--load`), in order. */
  loads: string[];
  /** Extension modules started in the host (`extension`, `--extension`; docs/extensions.md), in order. */
  extensions: string[];
  /** SO_MARK of the wire sockets and the table of the daemon's routes (TUN mode). */
  mark: number;
  table: number;
  /** `--pidfile`, `pidfile`: our pid, mode 0644, removed at a clean stop (common/pidfile.ts). */
  pidfile?: string;
  /** `--log-file`, `log-file`: log lines appended there, the file kept mode 0600 (common/log-file.ts). */
  logFile?: string;
  /** `--syslog`, `syslog on`: log to syslog, facility daemon, through logger(1) (common/syslog.ts). */
  syslog: boolean;
  /** `--syslog-socket`: logger's socket other than /dev/log (tests). */
  syslogSocket?: string;
}

export function defaultConfig(env: Record<string, string | undefined> = process.env): DaemonConfig {
  const socketPath = env[PFKEY_SOCKET_ENV] || DEFAULT_PFKEY_SOCKET;
  return {
    socketPath,
    ikeSocketPath: env[IKE_SOCKET_ENV] || join(dirname(socketPath), 'ike.sock'),
    ctlSocketPath: env[CTL_SOCKET_ENV] || undefined,
    ctlOpen: false,
    name: 'uipsecd',
    addresses: [],
    neighbours: {},
    routes: [],
    nattPorts: [4500],
    forwarding: false,
    logLevel: 'notice',
    mtu: 1400,
    loads: [],
    extensions: [],
    mark: DEFAULT_MARK,
    table: DEFAULT_TABLE,
    syslog: false,
  };
}

/** Where the control socket is: as configured, else beside the PF_KEY socket (defaultCtlSocket). */
export function ctlSocketPathOf(c: Pick<DaemonConfig, 'socketPath' | 'ctlSocketPath'>): string {
  return c.ctlSocketPath ?? defaultCtlSocket(c.socketPath);
}

/** "host:port" or "[v6]:port". */
export function parseEndpoint(s: string): Endpoint | undefined {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || !parseAddr(m[1]!)) return undefined;
  return { host: m[1]!, port };
}

/** "10.0.0.2=127.0.0.1:7002". */
export function parseNeighbour(s: string): [string, Endpoint] | undefined {
  const i = s.indexOf('=');
  if (i < 0) return undefined;
  const ip = s.slice(0, i);
  const ep = parseEndpoint(s.slice(i + 1));
  return parseAddr(ip) && ep ? [ip, ep] : undefined;
}

type Apply = (cfg: DaemonConfig, args: string[]) => string | undefined; // error text or undefined

const onOff = (v: string | undefined): boolean | undefined =>
  v === 'on' || v === 'yes' ? true : v === 'off' || v === 'no' ? false : undefined;

/** Keyword -> how to apply it (sorted). */
const KEYWORDS: Record<string, Apply> = {
  'ctl-open': (c, a) => {
    const v = onOff(a[0]);
    if (v === undefined || a.length !== 1) return 'ctl-open needs on or off';
    c.ctlOpen = v;
    return undefined;
  },
  'ctl-socket': (c, a) => {
    if (a.length !== 1) return 'ctl-socket needs a path';
    c.ctlSocketPath = a[0]!;
    return undefined;
  },
  address: (c, a) => {
    if (a.length !== 1 || !a[0]!.includes('/')) return 'address needs ADDR/PREFIXLEN';
    if (!parsePrefix(a[0]!)) return `"${a[0]!.slice(0, 64)}" is not an IPv4 or IPv6 address with a prefix length`;
    c.addresses.push(a[0]!);
    return undefined;
  },
  extension: (c, a) => {
    if (a.length !== 1) return 'extension needs a module path';
    c.extensions.push(a[0]!);
    return undefined;
  },
  forwarding: (c, a) => {
    const v = onOff(a[0]);
    if (v === undefined || a.length !== 1) return 'forwarding needs on or off';
    c.forwarding = v;
    return undefined;
  },
  'ike-socket': (c, a) => {
    if (a.length !== 1) return 'ike-socket needs a path';
    c.ikeSocketPath = a[0]!;
    return undefined;
  },
  load: (c, a) => {
    if (a.length !== 1) return 'load needs a setkey file';
    c.loads.push(a[0]!);
    return undefined;
  },
  'log-file': (c, a) => {
    if (a.length !== 1) return 'log-file needs a path';
    c.logFile = a[0]!;
    return undefined;
  },
  log: (c, a) => {
    if (a.length !== 1 || !isLogLevel(a[0]!)) return 'log needs error, warn, notice, info or debug';
    c.logLevel = a[0] as LogLevel;
    return undefined;
  },
  mark: (c, a) => {
    const n = Number(a[0]);
    if (a.length !== 1 || !Number.isInteger(n) || n < 1 || n > 0xffffffff)
      return 'mark needs a firewall mark 1..0xffffffff';
    c.mark = n;
    return undefined;
  },
  mtu: (c, a) => {
    const n = Number(a[0]);
    if (a.length !== 1 || !Number.isInteger(n) || n < 576 || n > 65000) return 'mtu needs a number in 576..65000';
    c.mtu = n;
    return undefined;
  },
  name: (c, a) => {
    if (a.length !== 1) return 'name needs one word';
    c.name = a[0]!;
    return undefined;
  },
  'natt-port': (c, a) => {
    const n = Number(a[0]);
    if (a.length !== 1 || !Number.isInteger(n) || n < 1 || n > 65535) return 'natt-port needs a port';
    if (!c.nattPorts.includes(n)) c.nattPorts.push(n);
    return undefined;
  },
  natt: (c, a) => {
    const e =
      a.length >= 1
        ? (parseEndpoint(a[0]!) ?? (parseAddr(a[0]!) ? { host: a[0]!, port: 4500 } : undefined))
        : undefined;
    if (!e || e.host === '0.0.0.0' || e.host === '::' || a.slice(1).some((x) => !x.includes('/') || !parsePrefix(x)))
      return 'natt needs HOST[:PORT] (a specific address) [ADDR/LEN...]';
    c.natt = { bind: e, addresses: a.slice(1) };
    return undefined;
  },
  neighbour: (c, a) => {
    const n = a.length === 1 ? parseNeighbour(a[0]!) : undefined;
    if (!n) return 'neighbour needs IP=HOST:PORT';
    c.neighbours[n[0]] = n[1];
    return undefined;
  },
  pidfile: (c, a) => {
    if (a.length !== 1) return 'pidfile needs a path';
    c.pidfile = a[0]!;
    return undefined;
  },
  route: (c, a) => {
    if (a.length < 1 || a.length > 2 || !parsePrefix(a[0]!) || (a[1] !== undefined && !parseAddr(a[1])))
      return 'route needs PREFIX [GATEWAY]';
    c.routes.push({ prefix: a[0]!, gateway: a[1] });
    return undefined;
  },
  socket: (c, a) => {
    if (a.length !== 1) return 'socket needs a path';
    // The IKE channel's default is ike.sock beside the PF_KEY socket: it follows a `socket` statement as it
    // follows --socket, unless `ike-socket` (or $UIPSEC_IKE_SOCKET) named it already.
    if (c.ikeSocketPath === join(dirname(c.socketPath), 'ike.sock')) c.ikeSocketPath = join(dirname(a[0]!), 'ike.sock');
    c.socketPath = a[0]!;
    return undefined;
  },
  syslog: (c, a) => {
    const v = onOff(a[0]);
    if (v === undefined || a.length !== 1) return 'syslog needs on or off';
    c.syslog = v;
    return undefined;
  },
  table: (c, a) => {
    const n = Number(a[0]);
    if (a.length !== 1 || !Number.isInteger(n) || n < 1 || n > 0xfffffffe || RESERVED_TABLES.has(n))
      return 'table needs a routing table number (not 253, 254 or 255)';
    c.table = n;
    return undefined;
  },
  tun: (c, a) => {
    if (a.length !== 1 || !TUN_NAME.test(a[0]!)) return 'tun needs an interface name (1..15 of A-Z a-z 0-9 _ . -)';
    c.tun = a[0]!;
    return undefined;
  },
  underlay: (c, a) => {
    const e = a.length === 1 ? parseEndpoint(a[0]!) : undefined;
    if (!e) return 'underlay needs HOST:PORT';
    c.underlay = e;
    return undefined;
  },
};

/** Applies a config file's text; returns every error (file:line), the config changed by the good lines. */
export function applyConfigText(cfg: DaemonConfig, text: string, file: string): ConfigError[] {
  const errors: ConfigError[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const [word, ...args] = line.split(/\s+/);
    const apply = Object.hasOwn(KEYWORDS, word!) ? KEYWORDS[word!] : undefined;
    const err = apply ? apply(cfg, args) : `unknown keyword "${word!.slice(0, 32)}"`;
    if (err) errors.push(new ConfigError(err, file, i + 1, raw.indexOf(word!) + 1));
    // A file named by `load` in a config file is relative to that file, as include paths are.
    if (!err && word === 'load') cfg.loads[cfg.loads.length - 1] = resolve(dirname(file), args[0]!);
    if (!err && word === 'extension') cfg.extensions[cfg.extensions.length - 1] = resolve(dirname(file), args[0]!);
  });
  return errors;
}

/** What the command line asked for. `config` errors carry file:line; usage errors carry line 0. */
export interface ParsedArgs {
  config: DaemonConfig;
  errors: ConfigError[];
  checkOnly: boolean;
  help?: string;
  version?: boolean;
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** Parses argv (without node and script) and the optional -f file into a DaemonConfig. */
export function parseArgs(argv: string[], env: Record<string, string | undefined> = process.env): ParsedArgs {
  const cfg = defaultConfig(env);
  const prog = new Command('uipsecd')
    .description('uipsec kernel daemon: an in-process IPsec host serving PF_KEY on a Unix socket')
    .option('-f, --config <file>', 'configuration file')
    .option('-s, --socket <path>', `PF_KEY socket path (default ${DEFAULT_PFKEY_SOCKET}, or $${PFKEY_SOCKET_ENV})`)
    .option('--ike-socket <path>', 'IKE/app datagram channel socket (default: ike.sock next to the PF_KEY socket)')
    .option('--ctl-socket <path>', 'kernel control and event socket (default: ctl.sock next to the PF_KEY socket)')
    .option('--ctl-open', 'let other users connect to the control socket (unprivileged controls only)')
    .option('-n, --check', 'check the configuration and exit')
    .option('--name <name>', 'host name in logs')
    .option('-a, --address <addr/len>', 'interface address (repeatable)', collect, [])
    .option('-u, --underlay <host:port>', 'UDP underlay endpoint to bind')
    .option('--neighbour <ip=host:port>', 'underlay neighbour (repeatable)', collect, [])
    .option('--natt <host[:port]>', 'real ESP-in-UDP socket (RFC 3948; port 4500 by default)')
    .option('--route <prefix[,gateway]>', 'static route (repeatable)', collect, [])
    .option('--forwarding', 'forward packets not addressed to this host')
    .option('--tun <name>', "TUN mode: protect the machine's own traffic through TUN device NAME")
    .option('--load <file>', 'setkey file to load at start (repeatable)', collect, [])
    .option('--extension <module>', 'extension module to start in the host (repeatable)', collect, [])
    .option('--pidfile <path>', 'write the pid there (mode 0644), removed at a clean stop')
    .option('--log-file <path>', 'append log lines to this file (kept mode 0600) instead of stderr')
    .option('--syslog', 'log to syslog (facility daemon) instead of stderr')
    .option('--syslog-socket <path>', "logger(1)'s socket instead of /dev/log")
    .option('-d, --debug', 'log at debug level')
    .option('-v, --verbose', 'log at info level')
    .option('-V, --version', 'print the version and exit')
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {} });
  const errors: ConfigError[] = [];
  try {
    prog.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError && (e.code === 'commander.helpDisplayed' || e.code === 'commander.help')) {
      return { config: cfg, errors, checkOnly: true, help: prog.helpInformation() + HELP_AFTER };
    }
    return { config: cfg, errors: [new ConfigError((e as Error).message, 'command line', 0)], checkOnly: false };
  }
  const o = prog.opts<Record<string, unknown>>();
  if (o.version === true) return { config: cfg, errors, checkOnly: true, version: true };
  if (typeof o.config === 'string') {
    let text: string | undefined;
    try {
      text = readConfigText(o.config); // regular file, at most 4 MiB (issue 11 item 13)
    } catch (e) {
      errors.push(new ConfigError(`cannot read: ${(e as FileReadError).reason ?? (e as Error).message}`, o.config, 0));
    }
    if (text !== undefined) errors.push(...applyConfigText(cfg, text, o.config));
  }
  const cli = (word: string, args: string[]) => {
    const err = KEYWORDS[word]!(cfg, args);
    if (err) errors.push(new ConfigError(err, 'command line', 0));
  };
  if (typeof o.socket === 'string') {
    cfg.socketPath = o.socket;
    if (typeof o.ikeSocket !== 'string' && !env[IKE_SOCKET_ENV])
      cfg.ikeSocketPath = join(dirname(o.socket), 'ike.sock');
  }
  if (typeof o.ikeSocket === 'string') cfg.ikeSocketPath = o.ikeSocket;
  if (typeof o.ctlSocket === 'string') cfg.ctlSocketPath = o.ctlSocket;
  if (o.ctlOpen === true) cfg.ctlOpen = true;
  if (typeof o.name === 'string') cli('name', [o.name]);
  for (const a of o.address as string[]) cli('address', [a]);
  if (typeof o.underlay === 'string') cli('underlay', [o.underlay]);
  for (const n of o.neighbour as string[]) cli('neighbour', [n]);
  if (typeof o.natt === 'string') cli('natt', [o.natt]);
  for (const r of o.route as string[]) cli('route', r.split(','));
  if (o.forwarding === true) cfg.forwarding = true;
  if (typeof o.tun === 'string') cli('tun', [o.tun]);
  for (const f of o.load as string[]) cli('load', [resolve(f)]);
  for (const m of o.extension as string[]) cli('extension', [resolve(m)]);
  if (typeof o.pidfile === 'string') cli('pidfile', [resolve(o.pidfile)]);
  if (typeof o.logFile === 'string') cli('log-file', [resolve(o.logFile)]);
  if (o.syslog === true) cfg.syslog = true;
  if (typeof o.syslogSocket === 'string') cfg.syslogSocket = o.syslogSocket;
  if (o.verbose === true) cfg.logLevel = 'info';
  if (o.debug === true) cfg.logLevel = 'debug';
  if (cfg.tun && (cfg.underlay || cfg.natt || cfg.addresses.length > 0))
    errors.push(
      new ConfigError(
        "tun runs the host on the machine's own addresses: it cannot be combined with underlay, natt or address",
        'command line',
        0,
      ),
    );
  else if (cfg.addresses.length > 0 && !cfg.underlay)
    errors.push(
      new ConfigError('addresses need an underlay (where the interface sends its packets)', 'command line', 0),
    );
  return { config: cfg, errors, checkOnly: o.check === true };
}
