// uipsecd: one Host (interfaces on a UDP underlay, routes, SPD/SAD, ESP-in-UDP ports) served through PF_KEY
// on a Unix stream socket and an IKE/app datagram channel on a second one. `startDaemon` runs it in-process
// (tests, embedding); `cli` is the program: parse, start, log to stderr, stop cleanly on SIGINT/SIGTERM.
import type { Clock } from '../../common/clock.js';
import type { Rng } from '../../common/rng.js';
import { makeLogger, type Logger } from '../../common/log.js';
import { ConfigError } from '../../common/errors.js';
import { Host } from '../host/host.js';
import { KeySock } from '../keysock/keysock.js';
import { UdpUnderlay } from '../link/udp-underlay.js';
import { NattSocket } from '../link/natt-socket.js';
import { parseArgs, type DaemonConfig } from './config.js';
import { PfkeyServer } from './pfkey-server.js';
import { IkeServer } from './ike-server.js';
import { ListenError } from './unix-listener.js';
import { prepareTun, type TunMode, type TunPrep } from './tun-mode.js';
import { loadSetkeyFile } from './load.js';
import { checkTunSetup, blocking } from './check.js';
import { collectAfterShrink } from './memory.js';

export { exitAfterFlush } from '../../common/stdio.js';

export interface DaemonOptions {
  log?: Logger;
  clock?: Clock;
  rng?: Rng;
}

/** A running daemon. */
export interface Daemon {
  readonly config: DaemonConfig;
  readonly host: Host;
  readonly keysock: KeySock;
  readonly pfkey: PfkeyServer;
  readonly ike: IkeServer;
  readonly underlay?: UdpUnderlay;
  readonly natt?: NattSocket;
  /** TUN mode (--tun): the machine's traffic through the host. */
  readonly tunMode?: TunMode;
  /** Stops serving, removes both socket files, closes the host. Safe to call twice. */
  close(): Promise<void>;
}

/** Starts a daemon from a checked configuration; rejects with ListenError or ErrnoError, leaving nothing behind. */
export async function startDaemon(config: DaemonConfig, opts: DaemonOptions = {}): Promise<Daemon> {
  const log = opts.log ?? makeLogger(config.logLevel, undefined, 'uipsecd');
  const prep: TunPrep | undefined = config.tun ? await prepareTun(config, log) : undefined;
  const host = new Host({
    upperDelivery: prep?.upper,
    name: config.name,
    clock: opts.clock,
    rng: opts.rng,
    log,
    forwarding: config.forwarding,
    nattPorts: config.nattPorts,
  });
  const keysock = new KeySock(host, { log });
  const pfkey = new PfkeyServer(keysock, config.socketPath, log);
  let underlay: UdpUnderlay | undefined;
  let natt: NattSocket | undefined;
  let ike: IkeServer | undefined;
  let tunMode: TunMode | undefined;
  try {
    if (prep) tunMode = prep.attach(host);
    if (config.underlay) {
      underlay = await UdpUnderlay.open({ bind: config.underlay, neighbours: config.neighbours, mtu: config.mtu });
      host.addInterface('ul0', underlay, config.addresses);
    }
    if (config.natt) {
      natt = await NattSocket.open({ bind: config.natt.bind });
      const bits = config.natt.bind.host.includes(':') ? 128 : 32;
      host.addInterface('natt0', natt, [`${config.natt.bind.host}/${bits}`, ...config.natt.addresses]);
    }
    for (const r of config.routes) host.addRoute(r.prefix, underlay ? 'ul0' : 'natt0', r.gateway);
    ike = new IkeServer(host, config.ikeSocketPath, log, natt, () => pfkey.counters());
    await pfkey.start();
    await ike.start().catch(async (e) => {
      await pfkey.close();
      throw e;
    });
    for (const f of config.loads) {
      const why = await loadSetkeyFile(f, config.socketPath);
      if (why) {
        await Promise.all([pfkey.close(), ike.close()]);
        throw new Error(why);
      }
      log.log('notice', `loaded ${f}`);
    }
    if (tunMode) {
      // Routes and the kill-switch only now, from the loaded SPD: until here, whatever a crashed run left
      // (its prohibit routes) keeps protected traffic from leaving in clear.
      for (const e of await tunMode.sync()) log.log('error', `routes: ${e}`);
      tunMode.follow();
    }
  } catch (e) {
    // A failed start leaves the kill-switch of a previous run in place (routes are removed only by a clean stop).
    if (tunMode) await tunMode.io.close();
    if (tunMode) tunMode.tun.close();
    keysock.close();
    host.close(); // closes the links too
    if (prep) prep.abort();
    throw e;
  }
  const ikeServer = ike;
  const stopCollector = collectAfterShrink(
    () => host.sad.size,
    (n) => log.log('info', `${n} SAs gone: memory collected`),
  );
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    stopCollector();
    await Promise.all([pfkey.close(), ikeServer.close()]);
    await tunMode?.close();
    keysock.close();
    host.close();
    log.log('notice', 'stopped');
  };
  const tunText = tunMode ? `TUN ${tunMode.tun.name} on ${prep!.addresses.map((a) => a.local).join(' ')}` : '';
  log.log(
    'notice',
    `${config.name} up: ${tunText || config.addresses.join(' ') || 'no addresses'}${config.underlay ? ` on underlay ${config.underlay.host}:${config.underlay.port}` : ''}${natt ? `, ESP-in-UDP on ${natt.address().host}:${natt.encapPort}` : ''}`,
  );
  if (!tunMode && !config.underlay && !natt)
    log.log(
      'warn',
      'no link: this host has no way to reach a peer (it serves PF_KEY only). Give it addresses and a link: ' +
        '-a ADDR/LEN -u HOST:PORT --neighbour IP=HOST:PORT, or -f uipsecd.conf, or --tun NAME (see uipsecd --help)',
    );
  return { config, host, keysock, pfkey, ike: ikeServer, underlay, natt, tunMode, close };
}

export interface CliIo {
  err(s: string): void;
  out(s: string): void;
  env: Record<string, string | undefined>;
  /** Installs the stop handler for SIGINT/SIGTERM; returns its remover. */
  onSignal(fn: (sig: string) => void): () => void;
  /** Installs the statistics handler for SIGUSR1 (optional); returns its remover. */
  onStatsSignal?(fn: () => void): () => void;
}

/** One line of counters for the log (SIGUSR1), like racoon's and netstat's summaries. */
export function statsLine(d: Daemon): string {
  const k = d.keysock.stats,
    p = d.pfkey.stats,
    i = d.ike.stats;
  // Under `node --expose-gc` (benchmarks, tests) collect first, so the figures are live memory, not garbage.
  (globalThis as { gc?: () => void }).gc?.();
  const mem = process.memoryUsage();
  return (
    `SAs ${d.host.sad.size} SPs ${d.host.spd.size}; pfkey clients ${p.open} (total ${p.connections}), messages ${k.received}, ` +
    `errors ${k.errors}, delivered ${k.delivered}, dropped ${k.dropped + p.dropped}, closed for not reading ${p.overBudget}, framing errors ${p.framingErrors}, internal ${k.internalErrors}; ` +
    `ike in ${i.datagramsIn} out ${i.datagramsOut} drops ${i.sendDrops} not read ${i.queueDrops}; ${tunStats(d)}rss ${(mem.rss / 1048576).toFixed(1)} MiB heap ${(mem.heapUsed / 1048576).toFixed(1)} MiB`
  );
}

/** TUN mode's part of the SIGUSR1 line: the TUN, the wire sockets and the I/O ring. */
function tunStats(d: Daemon): string {
  const t = d.tunMode;
  if (!t) return '';
  const u = t.tun.stats,
    w = t.wire.stats;
  return (
    `tun ${t.tun.name} in ${u.packetsIn} out ${u.packetsOut} filtered ${u.filtered} write errors ${u.writeErrors}; ` +
    `wire raw in ${w.rawIn} out ${w.rawOut} udp in ${w.udpIn} out ${w.udpOut} send errors ${w.sendErrors}; ` +
    `ring batches ${t.io.stats.batches} drops ${t.io.drops}; ` +
    (t.tx ? `send worker sent ${t.tx.sent} errors ${t.tx.errors} full ${t.tx.full}; ` : '') +
    `routes ${t.routes.installed.length}; `
  );
}

const processIo: CliIo = {
  err: (s) => process.stderr.write(s),
  out: (s) => process.stdout.write(s),
  env: process.env,
  onSignal(fn) {
    const h = (sig: NodeJS.Signals) => fn(sig);
    process.on('SIGINT', h);
    process.on('SIGTERM', h);
    return () => {
      process.off('SIGINT', h);
      process.off('SIGTERM', h);
    };
  },
  onStatsSignal(fn) {
    process.on('SIGUSR1', fn);
    return () => {
      process.off('SIGUSR1', fn);
    };
  },
};

/**
 * The uipsecd program. Resolves with the exit status once the daemon has stopped (or failed to start).
 * Exit codes: 0 clean stop or check OK, 1 cannot start (socket in use, permission), 2 bad configuration.
 */
export async function cli(argv: string[], io: CliIo = processIo): Promise<number> {
  const args = parseArgs(argv, io.env);
  if (args.help) {
    io.out(args.help);
    return 0;
  }
  for (const e of args.errors) io.err(`uipsecd: ${e.line > 0 ? e.message : e.message.replace(/:0: /, ': ')}\n`);
  if (args.errors.length) return 2;
  if (args.checkOnly) {
    if (args.config.tun) {
      const findings = await checkTunSetup(args.config);
      for (const f of findings) io.out(`${f.level}: ${f.text}\n`);
      if (findings.some(blocking)) {
        io.err('uipsecd: the machine is not ready for --tun (see the lines above)\n');
        return 1;
      }
    }
    io.out('configuration OK\n');
    return 0;
  }
  const log = makeLogger(args.config.logLevel, (l) => io.err(l + '\n'), 'uipsecd');
  let d: Daemon;
  try {
    d = await startDaemon(args.config, { log });
  } catch (e) {
    const why =
      e instanceof ListenError || e instanceof ConfigError ? e.message : `cannot start: ${(e as Error).message}`;
    io.err(`uipsecd: ${why}\n`);
    return 1;
  }
  const offStats = io.onStatsSignal?.(() => log.log('notice', statsLine(d)));
  return new Promise<number>((resolve) => {
    const off = io.onSignal((sig) => {
      off();
      offStats?.();
      log.log('notice', `${sig}: shutting down`);
      void d.close().then(() => resolve(0));
    });
  });
}
