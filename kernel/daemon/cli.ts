// The uipsecd program: parse, check (-n) or start, log where the config says (logging.ts), write the pid file,
// and live by the signals of a system daemon — SIGINT/SIGTERM stop cleanly, SIGHUP re-applies the --load
// files and never kills it (a closed terminal or a service manager's reload must not drop every SA),
// SIGUSR1 logs one line of counters.
import { ConfigError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { versionLine } from '../../common/version.js';
import { writePidFile, type PidFile } from '../../common/pidfile.js';
import { parseArgs, type DaemonConfig } from './config.js';
import { ListenError } from './unix-listener.js';
import { checkTunSetup, blocking } from './check.js';
import { daemonLog, type DaemonLog } from './logging.js';
import { startDaemon, type Daemon } from './daemon.js';

export interface CliIo {
  err(s: string): void;
  out(s: string): void;
  env: Record<string, string | undefined>;
  /** Installs the stop handler for SIGINT/SIGTERM; returns its remover. */
  onSignal(fn: (sig: string) => void): () => void;
  /** Installs the statistics handler for SIGUSR1 (optional); returns its remover. */
  onStatsSignal?(fn: () => void): () => void;
  /** Installs the reload handler for SIGHUP (optional); returns its remover. */
  onReloadSignal?(fn: () => void): () => void;
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
    `ike in ${i.datagramsIn} out ${i.datagramsOut} drops ${i.sendDrops} not read ${i.queueDrops}; ${ctlStats(d)}${tunStats(d)}rss ${(mem.rss / 1048576).toFixed(1)} MiB heap ${(mem.heapUsed / 1048576).toFixed(1)} MiB`
  );
}

/** Controls named in one SIGUSR1 line at most (the rest summed up as "+N more"). */
const STATS_MAX_CONTROLS = 8;

/** The control socket's part of the SIGUSR1 line, then each kernel control: clients, messages queued, dropped. */
function ctlStats(d: Daemon): string {
  const c = d.ctl.stats;
  const list = d.host.controls.list();
  const each = list
    .slice(0, STATS_MAX_CONTROLS)
    .map((x) => `${x.name} units ${x.units} queued ${x.stats.enqueued} dropped ${x.stats.enqueueNoRoom}`);
  if (list.length > STATS_MAX_CONTROLS) each.push(`+${list.length - STATS_MAX_CONTROLS} more`);
  return (
    `ctl clients ${c.open} slow dropped ${c.slowDropped} events sent ${c.eventsSent}; ` +
    (each.length ? `controls ${each.join(', ')}; ` : '')
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

function onProcessSignals(sigs: NodeJS.Signals[], fn: (sig: string) => void): () => void {
  const h = (sig: NodeJS.Signals) => fn(sig);
  for (const s of sigs) process.on(s, h);
  return () => {
    for (const s of sigs) process.off(s, h);
  };
}

const processIo: CliIo = {
  err: (s) => process.stderr.write(s),
  out: (s) => process.stdout.write(s),
  env: process.env,
  onSignal: (fn) => onProcessSignals(['SIGINT', 'SIGTERM'], fn),
  onStatsSignal: (fn) => onProcessSignals(['SIGUSR1'], fn),
  onReloadSignal: (fn) => onProcessSignals(['SIGHUP'], fn),
};

/** -n: the configuration, and in TUN mode the machine; the exit status. */
async function check(cfg: DaemonConfig, io: CliIo): Promise<number> {
  if (cfg.tun) {
    const findings = await checkTunSetup(cfg);
    for (const f of findings) io.out(`${f.level}: ${f.text}\n`);
    if (findings.some(blocking)) {
      io.err('uipsecd: the machine is not ready for --tun (see the lines above)\n');
      return 1;
    }
  }
  io.out('configuration OK\n');
  return 0;
}

/** Logging and the pid file, or the reason they cannot be had (exit 1). */
function prepare(cfg: DaemonConfig, io: CliIo): { dlog: DaemonLog; pid?: PidFile } | string {
  let dlog: DaemonLog;
  try {
    dlog = daemonLog(cfg, io.env, (l) => io.err(l + '\n'));
  } catch (e) {
    return (e as Error).message;
  }
  if (!cfg.pidfile) return { dlog };
  try {
    return { dlog, pid: writePidFile(cfg.pidfile, 'uipsecd') };
  } catch (e) {
    dlog.close();
    return `pid file: ${(e as Error).message}`;
  }
}

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
  if (args.version) {
    io.out(versionLine('uipsecd'));
    return 0;
  }
  for (const e of args.errors) io.err(`uipsecd: ${e.line > 0 ? e.message : e.message.replace(/:0: /, ': ')}\n`);
  if (args.errors.length) return 2;
  if (args.checkOnly) return check(args.config, io);
  const prep = prepare(args.config, io);
  if (typeof prep === 'string') {
    io.err(`uipsecd: ${prep}\n`);
    return 1;
  }
  const { dlog, pid } = prep;
  const log = dlog.log;
  for (const n of dlog.notes) log.log('warn', n);
  // The handlers go in before the start, so that a SIGTERM or SIGHUP during it is answered once it is done
  // (never Node's default: death without removing the sockets, the pid file or the TUN's routes).
  const signals = new DaemonSignals(io, log);
  let d: Daemon;
  try {
    d = await startDaemon(args.config, { log });
  } catch (e) {
    const why =
      e instanceof ListenError || e instanceof ConfigError ? e.message : `cannot start: ${(e as Error).message}`;
    io.err(`uipsecd: ${why}\n`);
    signals.off();
    pid?.remove();
    dlog.close();
    return 1;
  }
  await signals.serve(d);
  pid?.remove();
  dlog.close();
  return 0;
}

/** SIGINT/SIGTERM stop, SIGHUP reloads (one at a time), SIGUSR1 logs counters; queued until the daemon runs. */
class DaemonSignals {
  private daemon: Daemon | undefined;
  private stopSig: string | undefined;
  private stopped: (() => void) | undefined;
  private reloading: Promise<void> = Promise.resolve();
  private readonly offs: (() => void)[] = [];

  constructor(
    io: CliIo,
    private readonly log: Logger,
  ) {
    this.offs.push(io.onSignal((sig) => this.stop(sig)));
    const stats = io.onStatsSignal?.(() => this.daemon && log.log('notice', statsLine(this.daemon)));
    const reload = io.onReloadSignal?.(() => (this.reloading = this.reloading.then(() => this.reload())));
    if (stats) this.offs.push(stats);
    if (reload) this.offs.push(reload);
  }

  off(): void {
    for (const f of this.offs) f();
  }

  /** Resolves once the daemon has stopped on a signal (at once if one came during the start). */
  serve(d: Daemon): Promise<void> {
    this.daemon = d;
    return new Promise((resolve) => {
      this.stopped = resolve;
      if (this.stopSig) this.stop(this.stopSig);
    });
  }

  private stop(sig: string): void {
    this.stopSig ??= sig;
    const d = this.daemon;
    if (!d || !this.stopped) return;
    const done = this.stopped;
    this.stopped = undefined;
    this.off();
    this.log.log('notice', `${this.stopSig}: shutting down`);
    void this.reloading.then(() => d.close()).then(done);
  }

  private async reload(): Promise<void> {
    await Promise.resolve();
    const d = this.daemon;
    if (!d || this.stopSig) return;
    if (d.config.loads.length === 0) {
      this.log.log('notice', 'SIGHUP: nothing to reload (no --load files); addresses and links stay as started');
      return;
    }
    this.log.log('notice', `SIGHUP: re-applying ${d.config.loads.length} --load file(s)`);
    for (const why of await d.reload()) this.log.log('error', `reload: ${why}`);
  }
}
