// uipsecd: one Host (interfaces on a UDP underlay, routes, SPD/SAD, ESP-in-UDP ports) served through PF_KEY
// on a Unix stream socket and an IKE/app datagram channel on a second one. `startDaemon` runs it in-process
// (tests, embedding); `cli` (cli.ts) is the program; main.ts is the module the launcher loads.
import type { Clock } from '../../common/clock.js';
import type { Rng } from '../../common/rng.js';
import { makeLogger, type Logger } from '../../common/log.js';
import { Host } from '../host/host.js';
import { KeySock } from '../keysock/keysock.js';
import { UdpUnderlay } from '../link/udp-underlay.js';
import { NattSocket } from '../link/natt-socket.js';
import { ctlSocketPathOf, type DaemonConfig } from './config.js';
import { PfkeyServer } from './pfkey-server.js';
import { IkeServer } from './ike-server.js';
import { CtlServer } from './ctl-server.js';
import { prepareTun, type TunMode, type TunPrep } from './tun-mode.js';
import { loadSetkeyFile } from './load.js';
import { collectAfterShrink } from './memory.js';
import { loadExtensions, stopExtensions } from './extensions.js';

/** At stop, how long the events of the interfaces detaching may take to reach `uipsec events` clients (bound). */
const STOP_EVENTS_DRAIN_MS = 200;

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
  /** Kernel controls and events (ctl.sock). */
  readonly ctl: CtlServer;
  readonly underlay?: UdpUnderlay;
  readonly natt?: NattSocket;
  /** TUN mode (--tun): the machine's traffic through the host. */
  readonly tunMode?: TunMode;
  /**
   * SIGHUP: applies the `--load` files again, in order, through setkey (a file meant for this starts with
   * `flush; spdflush;`, as a BSD /etc/ipsec.conf does). Resolves with the failures, in setkey's words.
   */
  reload(): Promise<string[]>;
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
  const ctl = new CtlServer(host, ctlSocketPathOf(config), log, config.ctlOpen);
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
    // Extensions start on the configured host, before any client can reach it.
    await loadExtensions(host, config.extensions, log);
    const tunStatus = tunMode && (() => tunMode!.status());
    ike = new IkeServer(
      host,
      config.ikeSocketPath,
      log,
      natt,
      () => ({ ...pfkey.counters(), ...ctl.counters() }),
      tunStatus,
    );
    await pfkey.start();
    await ike.start().catch(async (e) => {
      await pfkey.close();
      throw e;
    });
    await ctl.start().catch(async (e) => {
      await Promise.all([pfkey.close(), ike!.close()]);
      throw e;
    });
    for (const f of config.loads) {
      const why = await loadSetkeyFile(f, config.socketPath);
      if (why) {
        await Promise.all([pfkey.close(), ike.close(), ctl.close()]);
        throw new Error(why);
      }
      log.log('notice', `loaded ${f}`);
    }
    if (tunMode) {
      // Routes and the kill-switch only now, from the loaded SPD: until here, whatever a crashed run left
      // (its prohibit routes) keeps protected traffic from leaving in clear.
      for (const e of await tunMode.sync()) log.log('error', `routes: ${e}`);
      tunMode.follow();
      // From now on an SPD change is answered once the routes follow it.
      const t = tunMode;
      pfkey.settle = () => t.settled();
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
    // The interfaces detach first (KEV_DL_IF_DETACHED), so that `uipsec events` hears them before ctl.sock closes.
    const links = host.interfaces().map((i) => host.removeInterface(i.name)!);
    await ctl.drain(STOP_EVENTS_DRAIN_MS);
    await Promise.all([pfkey.close(), ikeServer.close(), ctl.close()]);
    await tunMode?.close();
    await stopExtensions(host, log);
    keysock.close();
    host.close();
    for (const l of links) l.close();
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
  const reload = async () => {
    const failures: string[] = [];
    for (const f of config.loads) {
      const why = await loadSetkeyFile(f, config.socketPath);
      if (why) failures.push(why);
      else log.log('notice', `reloaded ${f}`);
    }
    return failures;
  };
  return { config, host, keysock, pfkey, ike: ikeServer, ctl, underlay, natt, tunMode, reload, close };
}
