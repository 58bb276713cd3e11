// uipsecd --tun NAME: the daemon's host becomes the IPsec layer of the machine's own traffic
// (docs/protecting-real-traffic.md). The machine's addresses are the host's (interface wire0, whose link is
// kernel/link/os-wire.ts: marked raw ESP/AH/IPComp sockets and UDP 500/4500); what the machine routes into
// the TUN goes down the host's output path; what arrives protected and passes the inbound check is written
// back to the TUN for the machine to deliver or forward. Routes and rules follow the SPD (kernel/os/): every
// SPD change (add, update, delete, flush, expiry) schedules a sync, and PF_KEY holds the answer to the
// message that made it until the routes are in (pfkey-server.ts), as a kernel's SPD takes effect at once.
import type { Logger } from '../../common/log.js';
import { parseAddr } from '../../common/inet.js';
import type { Host } from '../host/host.js';
import type { DaemonConfig } from './config.js';
import { openTun, configureInterface, closeTun, type TunDevice } from '../os/tun.js';
import { setNonBlocking } from '../os/libc.js';
import { IoLoop } from '../os/io-loop.js';
import { TxQueue } from '../os/tx-queue.js';
import { machineAddresses, type MachineAddress } from '../os/ip-command.js';
import { planRoutes } from '../os/route-plan.js';
import { RouteSync } from '../os/route-sync.js';
import { TunLink } from '../link/tun-link.js';
import { OsWireLink } from '../link/os-wire.js';

/** Name of the host's interface on the machine's network. */
export const WIRE_IFNAME = 'wire0';

/** Opened before the Host exists (its upperDelivery needs the TUN); attached to it afterwards. */
export interface TunPrep {
  readonly tun: TunLink;
  /** The send worker, or undefined with UIPSEC_TX_WORKER=0 (sends from the main thread). */
  readonly tx: TxQueue | undefined;
  readonly wire: OsWireLink;
  readonly addresses: MachineAddress[];
  /** Host option upperDelivery: the machine's kernel takes the packet. */
  upper(packet: Uint8Array): boolean;
  attach(host: Host): TunMode;
  /** Undo before attach (start-up failed). */
  abort(): void;
}

export interface TunMode {
  readonly tun: TunLink;
  readonly tx: TxQueue | undefined;
  readonly wire: OsWireLink;
  readonly io: IoLoop;
  readonly routes: RouteSync;
  /** Routes and kill-switch from the SPD as it is now; resolves with the errors ([] if none). */
  sync(): Promise<string[]>;
  /** Follows SPD changes from now on (each change schedules a sync). */
  follow(): void;
  /**
   * While following: undefined when the routes reflect the SPD as it is now, else a promise resolved once
   * a sync that started after this call's SPD generation has finished (or the mode closed).
   */
  settled(): Promise<void> | undefined;
  /** For `uipsec status` (STATUS frame): the TUN, its counters, the rules, routes and kill-switch installed. */
  status(): Record<string, unknown>;
  /** Clean stop: routes and rules removed, sockets and TUN closed. */
  close(): Promise<void>;
}

/** Opens the TUN and the wire sockets; throws with what is missing (root, /dev/net/tun, a free port 500...). */
export async function prepareTun(config: DaemonConfig, log: Logger): Promise<TunPrep> {
  const name = config.tun!;
  const addresses = await machineAddresses(name);
  if (addresses.length === 0) throw new Error('no global address on an interface that is up: nothing to protect from');
  const dev: TunDevice = openTun({ name });
  let wire: OsWireLink | undefined;
  const tx = process.env['UIPSEC_TX_WORKER'] === '0' ? undefined : new TxQueue();
  try {
    configureInterface(dev.name, config.mtu);
    setNonBlocking(dev.fds[0]!, true);
    const wireMtu = Math.min(...addresses.map((a) => a.mtu));
    const local = addresses.map((a) => parseAddr(a.local)!);
    wire = OsWireLink.open({ addresses: local, mark: config.mark, mtu: wireMtu, tx });
  } catch (e) {
    await tx?.close();
    closeTun(dev);
    throw e;
  }
  if (tx) tx.onFailure = (why) => log.log('error', why);
  const tun = new TunLink(dev.name, dev.fds[0]!, config.mtu, tx);
  const w = wire;
  log.log('info', `TUN ${dev.name} mtu ${config.mtu}; wire: ${w.describe()}`);
  return {
    tun,
    tx,
    wire: w,
    addresses,
    upper: (p) => {
      tun.send(p);
      return true;
    },
    attach: (host) => attach(host, config, log, dev, tun, w, addresses, tx),
    abort: () => {
      void tx?.close(); // nothing was queued: no host was attached
      w.close();
      closeTun(dev);
    },
  };
}

function attach(
  host: Host,
  config: DaemonConfig,
  log: Logger,
  dev: TunDevice,
  tun: TunLink,
  wire: OsWireLink,
  addresses: MachineAddress[],
  tx: TxQueue | undefined,
): TunMode {
  host.addInterface(
    WIRE_IFNAME,
    wire,
    addresses.map((a) => `${a.local}/${a.prefixlen}`),
  );
  if (addresses.some((a) => a.family === 4)) host.addRoute('0.0.0.0/0', WIRE_IFNAME);
  if (addresses.some((a) => a.family === 6)) host.addRoute('::/0', WIRE_IFNAME);
  // What the machine routes into the TUN is, for the host, traffic to send: the output path (SPD, SAs).
  tun.onReceive((p) => {
    host.output(p);
  });
  const io = new IoLoop([tun.source(), ...wire.sources()], tx);
  io.onFailure = (why) => log.log('error', why);
  const routes = new RouteSync({ tun: dev.name, table: config.table, mark: config.mark, log });
  const local = addresses.map((a) => parseAddr(a.local)!);
  const spd = host.spd;
  /** The SPD generation the installed routes were planned from. */
  let synced = -1;
  let running: Promise<void> | undefined;
  let waiters: { gen: number; resolve: () => void }[] = [];
  let scheduled = false;
  let off: (() => void) | undefined;
  let closed = false;
  const release = (): void => {
    waiters = waiters.filter((w) => {
      if (!closed && w.gen > synced) return true;
      w.resolve();
      return false;
    });
  };
  const syncOnce = async (): Promise<string[]> => {
    const gen = spd.generation;
    const errors = await routes.sync(planRoutes(spd.dump(), local));
    synced = gen;
    release();
    return errors;
  };
  // One sync at a time; changes made while one runs are picked up by the next round.
  const pump = (): Promise<void> =>
    (running ??= (async () => {
      while (!closed && synced !== spd.generation) for (const e of await syncOnce()) log.log('error', `routes: ${e}`);
    })().finally(() => {
      running = undefined;
      release();
    }));
  return {
    tun,
    tx,
    wire,
    io,
    routes,
    sync: async () => {
      await running;
      return syncOnce();
    },
    follow: () => {
      // Deferred: the listener runs inside the change (an update is a delete then an add), and a burst of
      // messages from one read makes one sync.
      off = spd.onChange(() => {
        if (scheduled || closed) return;
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          void pump();
        });
      });
      void pump();
    },
    settled: () => {
      if (!off || closed || synced === spd.generation) return undefined;
      const gen = spd.generation;
      const done = new Promise<void>((resolve) => waiters.push({ gen, resolve }));
      void pump();
      return done;
    },
    status: () => ({
      device: tun.name,
      mtu: config.mtu,
      // Routes lag the SPD only while a sync runs (PF_KEY answers wait for it).
      synced: synced === spd.generation,
      counters: { ...tun.stats },
      ...routes.status(),
    }),
    close: async () => {
      closed = true;
      off?.();
      await running;
      release();
      await routes.removeAll();
      await io.close();
      await tx?.close(); // before the fds it sends on are closed
      tun.close();
      wire.close();
      closeTun(dev);
    },
  };
}
