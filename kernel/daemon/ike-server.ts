// The IKE/app datagram channel, daemon side (frames in channel/frames.ts, design in docs/uipsecd.md):
// each client binds UDP ports of the daemon's host stack (racoon: 500 and 4500 with IPsec bypass; tools:
// any port, subject to the SPD) and exchanges datagrams through them. A client's sockets close with it; a
// client sending a malformed frame is disconnected alone. PING runs ICMP echo from the host (through its
// SPD/SAD, as ping(8) on a KAME host would) and STATUS reports its interfaces, routes and counters.
import type { Server, Socket } from 'node:net';
import { ErrnoError } from '../../common/errors.js';
import { EBUSY } from '../os/libc.js';
import type { Logger } from '../../common/log.js';
import { ERRNO_NUMBERS, type PfkeyErrno } from '../../pfkey/errors.js';
import {
  IkeFrameError,
  IkeFrameSplitter,
  decodeIkeFrame,
  encodeIkeFrame,
  type IkeFrame,
} from '../../channel/frames.js';
import type { Host } from '../host/host.js';
import { createSocketPolicy } from '../spd/spd.js';
import type { UdpSocket } from '../host/socket.js';
import { formatAddr, formatPrefix, parseAddr } from '../../common/inet.js';
import type { Link } from '../link/link.js';
import { UdpUnderlay } from '../link/udp-underlay.js';
import { NattSocket } from '../link/natt-socket.js';
import { OsWireLink } from '../link/os-wire.js';

/** RFC 3948 §2.2: IKE on the NAT-T port carries four zero bytes in front. */
const NON_ESP_MARKER = 4;
import { closeUnix, listenUnix } from './unix-listener.js';
import { counterSnapshot, dropReason } from './send-report.js';
import { SENT_EBADF } from '../../channel/constants.js';

const BYPASS = createSocketPolicy({ privileged: true, in: { action: 'bypass' }, out: { action: 'bypass' } });
/** errno numbers for bind failures not in the PF_KEY vocabulary (FreeBSD). */
const EXTRA_ERRNO: Record<string, number> = { EADDRINUSE: 48, EBADF: 9, EAGAIN: 35 };
/** PINGDONE errnos (FreeBSD): another PING of this client still runs; no route to the destination. */
const EHOSTUNREACH = 65;
/** STATUS bounds: the JSON must fit one frame (IKE_FRAME_MAX, 64 KiB); the totals say what was left out. */
const STATUS_MAX_INTERFACES = 32;
const STATUS_MAX_ADDRESSES = 16;
const STATUS_MAX_ROUTES = 256;
const STATUS_MAX_CONTROLS = 64;
/**
 * Bytes of datagrams that may wait for one client (issue 11 item 5): a stalled racoon must not make the daemon
 * buffer a flood. Past it datagrams are dropped and counted (`queueDrops`), as a full UDP receive buffer drops
 * them (udpstat udps_fullsock); IKE retransmits. About 700 full-size datagrams, five times Linux's default
 * UDP receive buffer (net.core.rmem_default, 208 KiB).
 */
export const IKE_CLIENT_QUEUE_LIMIT = 1024 * 1024;

/** What one client connection holds: its bound sockets and its running PING, if any. */
interface ClientState {
  socks: Map<number, UdpSocket>;
  pinging: boolean;
  stopPing?: () => void;
}

function linkText(link: Link): string {
  if (link instanceof UdpUnderlay) {
    const a = link.address();
    return `udp underlay ${a.host}:${a.port}`;
  }
  if (link instanceof NattSocket) {
    const a = link.address();
    return `ESP-in-UDP socket ${a.host}:${a.port}`;
  }
  if (link instanceof OsWireLink) return link.describe();
  return link.constructor.name;
}

/**
 * The host's status as the STATUS frame carries it: interfaces (addresses, MTU, link), routes, the non-zero
 * KAME IPsec counters (espstat, ahstat, ipcompstat, ipsecstat) and netstat counters, and the SAD/SPD sizes.
 */
export function hostStatus(
  host: Host,
  channel?: IkeServerStats,
  pfkeyCounters?: Record<string, number>,
  tun?: Record<string, unknown>,
): Record<string, unknown> {
  const ifs = host.interfaces();
  const routes = host.routes.list();
  return {
    name: host.name,
    interfaces: ifs.slice(0, STATUS_MAX_INTERFACES).map((i) => ({
      name: i.name,
      addresses: i.addrs.slice(0, STATUS_MAX_ADDRESSES).map((a) => `${formatAddr(a.addr)}/${a.prefix.len}`),
      addressesTotal: i.addrs.length,
      mtu: i.mtu,
      link: linkText(i.link),
    })),
    interfacesTotal: ifs.length,
    routes: routes.slice(0, STATUS_MAX_ROUTES).map((r) => ({
      prefix: formatPrefix(r.prefix),
      via: r.gateway ? formatAddr(r.gateway) : undefined,
      iface: r.ifname,
    })),
    routesTotal: routes.length,
    ipsecCounters: host.stats.nonZero(),
    netCounters: host.netstat.nonZero(),
    extCounters: host.extensions.stats.snapshot(),
    controls: controlsStatus(host).slice(0, STATUS_MAX_CONTROLS),
    controlsTotal: host.controls.list().length,
    pfkeyCounters,
    sadSize: host.sad.size,
    spdSize: host.spd.size,
    channel: channel ? { ...channel } : undefined,
    tun,
  };
}

/**
 * Each kernel control (kernel/ext/control.ts) with its clients and counters: `queued` the messages it enqueued
 * to clients (ctl_enqueuedata), `dropped` those refused for want of room (ENOBUFS: the client was dropped).
 */
export function controlsStatus(host: Host): Record<string, string | number | boolean>[] {
  return host.controls.list().map((c) => ({
    name: c.name,
    privileged: c.privileged,
    units: c.units,
    connects: c.stats.connects,
    refused: c.stats.refused,
    queued: c.stats.enqueued,
    dropped: c.stats.enqueueNoRoom,
    errors: c.stats.callbackErrors,
  }));
}

export interface IkeServerStats {
  connections: number;
  framingErrors: number;
  datagramsIn: number;
  datagramsOut: number;
  sendDrops: number;
  /** Datagrams for a client that was not reading, dropped at IKE_CLIENT_QUEUE_LIMIT. */
  queueDrops: number;
}

export class IkeServer {
  readonly stats: IkeServerStats = {
    connections: 0,
    framingErrors: 0,
    datagramsIn: 0,
    datagramsOut: 0,
    sendDrops: 0,
    queueDrops: 0,
  };
  private readonly clients = new Set<Socket>();
  private readonly stalledClients = new Set<Socket>();
  private server: Server | undefined;

  constructor(
    private readonly host: Host,
    readonly path: string,
    private readonly log: Logger,
    private readonly natt?: NattSocket,
    /** PF_KEY's and the control socket's counters for STATUS (PfkeyServer.counters, CtlServer.counters). */
    private readonly pfkeyCounters?: () => Record<string, number>,
    /** TUN mode's part of STATUS (TunMode.status). */
    private readonly tunStatus?: () => Record<string, unknown>,
  ) {
    natt?.onIke((msg, from) => this.ikeFromNatt(msg, from));
  }

  /** IKE that arrived on the real NAT-T socket goes to whoever bound its port, marker in front (as on 4500). */
  private ikeFromNatt(msg: Uint8Array, from: { host: string; port: number }): void {
    const natt = this.natt!;
    const local = parseAddr(natt.address().host);
    const remote = parseAddr(from.host);
    const sock = local && this.host.udpTable.lookup(local, natt.encapPort);
    if (!sock || !remote || remote.length !== local.length) {
      this.stats.sendDrops++;
      return;
    }
    const payload = new Uint8Array(NON_ESP_MARKER + msg.length);
    payload.set(msg, NON_ESP_MARKER);
    sock.deliver(payload, { address: remote, port: from.port, local, layers: [] });
  }

  /** A datagram from the encap port to a peer behind the NAT-T interface leaves through the real socket. */
  private viaNatt(f: { localPort: number; remote: Uint8Array; remotePort: number; payload: Uint8Array }): boolean {
    const natt = this.natt;
    if (!natt || f.localPort !== natt.encapPort || this.host.routes.lookup(f.remote)?.ifname !== 'natt0') return false;
    const p = f.payload;
    const marked = p.length >= NON_ESP_MARKER && (p[0]! | p[1]! | p[2]! | p[3]!) === 0;
    natt.sendIke(marked ? p.subarray(NON_ESP_MARKER) : p, { host: formatAddr(f.remote), port: f.remotePort });
    return true;
  }

  async start(): Promise<void> {
    this.server = await listenUnix(this.path, (s) => this.accept(s));
    this.log.log('notice', `IKE channel listening on ${this.path}`);
  }

  async close(): Promise<void> {
    if (this.server) await closeUnix(this.server, this.path, this.clients);
    this.server = undefined;
  }

  private accept(conn: Socket): void {
    this.stats.connections++;
    this.clients.add(conn);
    const id = this.stats.connections;
    const state: ClientState = { socks: new Map(), pinging: false };
    const socks = state.socks;
    const splitter = new IkeFrameSplitter();
    conn.on('data', (chunk: Buffer) => {
      try {
        for (const b of splitter.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)))
          this.frame(conn, state, decodeIkeFrame(b));
      } catch (e) {
        this.stats.framingErrors++;
        this.log.log('info', `ike client ${id}: ${(e as Error).message}; disconnecting it`);
        conn.destroy();
      }
    });
    const done = () => {
      if (!this.clients.delete(conn)) return;
      this.stalledClients.delete(conn);
      for (const s of socks.values()) s.close();
      socks.clear();
      state.stopPing?.();
    };
    conn.on('error', done);
    conn.on('close', done);
  }

  private frame(conn: Socket, state: ClientState, f: IkeFrame): void {
    const socks = state.socks;
    if (f.type === 'ping') this.ping(conn, state, f);
    else if (f.type === 'statusreq') conn.write(this.statusFrame());
    else if (f.type === 'bind') this.bind(conn, socks, f);
    else if (f.type === 'unbind') {
      socks.get(f.port)?.close();
      socks.delete(f.port);
    } else if (f.type === 'send') this.sendReported(conn, socks, f);
    else if (f.type === 'dgram') {
      const s = socks.get(f.localPort);
      if (!s) {
        this.stats.sendDrops++;
        return;
      }
      if (this.viaNatt(f)) {
        this.stats.datagramsOut++;
        return;
      }
      if (s.send(f.payload, f.remote, f.remotePort)) this.stats.datagramsOut++;
      else this.stats.sendDrops++;
    }
    // 'bound', 'pingreply', 'pingdone' and 'status' from a client are meaningless and ignored.
  }

  /** DGRAM, then a SENT frame saying whether the datagram left the host, or which counter dropped it. */
  private sendReported(conn: Socket, socks: Map<number, UdpSocket>, f: Extract<IkeFrame, { type: 'send' }>): void {
    const s = socks.get(f.localPort);
    let r = { errno: SENT_EBADF, reason: '' };
    if (s) {
      const before = counterSnapshot(this.host);
      if (this.viaNatt(f) || s.send(f.payload, f.remote, f.remotePort)) r = { errno: 0, reason: '' };
      else r = dropReason(before, counterSnapshot(this.host));
    }
    if (r.errno === 0) this.stats.datagramsOut++;
    else this.stats.sendDrops++;
    conn.write(encodeIkeFrame({ type: 'sent', tag: f.tag, ...r }));
  }

  /** A datagram for a client that is not reading is dropped; the log says so once per stall. */
  private stalled(conn: Socket): void {
    this.stats.queueDrops++;
    if (this.stalledClients.has(conn)) return;
    this.stalledClients.add(conn);
    this.log.log('warn', `ike client is not reading: dropping its datagrams (${IKE_CLIENT_QUEUE_LIMIT} bytes waiting)`);
    conn.once('drain', () => {
      this.stalledClients.delete(conn);
      this.log.log('notice', `ike client reads again; ${this.stats.queueDrops} datagrams dropped in all`);
    });
  }

  /** The STATUS frame; should the lists still not fit (very long interface names), they go and counters stay. */
  private statusFrame(): Uint8Array {
    const report = hostStatus(this.host, this.stats, this.pfkeyCounters?.(), this.tunStatus?.());
    try {
      return encodeIkeFrame({ type: 'status', report });
    } catch (e) {
      if (!(e instanceof IkeFrameError)) throw e;
      const tun = report.tun as { routes?: unknown[] } | undefined;
      const small = { ...report, interfaces: [], routes: [], tun: tun && { ...tun, routes: [] }, truncated: true };
      return encodeIkeFrame({ type: 'status', report: small });
    }
  }

  /**
   * ping(8) inside the host: request i goes out i intervals after the first, each as its own Host.ping so that
   * its reply is reported the moment it arrives; request i waits for its reply until `timeoutMs` after the last.
   */
  private ping(conn: Socket, state: ClientState, f: Extract<IkeFrame, { type: 'ping' }>): void {
    const done = (transmitted: number, received: number, errno: number) => {
      if (!conn.destroyed) conn.write(encodeIkeFrame({ type: 'pingdone', tag: f.tag, transmitted, received, errno }));
    };
    if (state.pinging) {
      done(0, 0, EBUSY);
      return;
    }
    if (!this.host.sourceFor(f.dst)) {
      done(0, 0, EHOSTUNREACH);
      return;
    }
    state.pinging = true;
    const clock = this.host.clock;
    const pending: Promise<void>[] = [];
    let sent = 0,
      received = 0,
      stopped = false;
    let cancelTimer: (() => void) | undefined;
    state.stopPing = () => {
      stopped = true;
      cancelTimer?.();
    };
    const finish = () => {
      void Promise.all(pending).then(() => {
        state.pinging = false;
        state.stopPing = undefined;
        done(sent, received, 0);
      });
    };
    const sendOne = () => {
      cancelTimer = undefined;
      if (stopped) return;
      const seq = sent++;
      const waitMs = (f.count - 1 - seq) * f.intervalMs + f.timeoutMs;
      // The host clock counts whole milliseconds (Date.now); ping(8) prints microseconds, so the daemon times
      // the round trip itself with the monotonic clock (the request leaves synchronously inside Host.ping).
      const t0 = performance.now();
      pending.push(
        this.host.ping(f.dst, { count: 1, size: f.size, intervalMs: 0, timeoutMs: waitMs }).then((replies) => {
          const rttUs = (performance.now() - t0) * 1000;
          for (const r of replies) {
            received++;
            if (!conn.destroyed)
              conn.write(
                encodeIkeFrame({ type: 'pingreply', tag: f.tag, seq, rttUs, bytes: r.bytes, ttl: r.ttl, from: r.from }),
              );
          }
        }),
      );
      if (sent < f.count) cancelTimer = clock.setTimer(f.intervalMs, sendOne);
      else finish();
    };
    sendOne();
  }

  private bind(conn: Socket, socks: Map<number, UdpSocket>, f: Extract<IkeFrame, { type: 'bind' }>): void {
    const s = this.host.udpSocket();
    let port = 0;
    let errno = 0;
    try {
      port = s.bind(f.port, f.addr);
      if (f.bypass) s.setPolicy(BYPASS);
      s.onMessage((payload, from) => {
        this.stats.datagramsIn++;
        if (conn.destroyed) return;
        if (conn.writableLength + payload.length > IKE_CLIENT_QUEUE_LIMIT) {
          this.stalled(conn);
          return;
        }
        conn.write(
          encodeIkeFrame({
            type: 'dgram',
            localPort: port,
            remotePort: from.port,
            local: from.local,
            remote: from.address,
            payload,
          }),
        );
      });
      socks.set(port, s);
    } catch (e) {
      s.close();
      const name = e instanceof ErrnoError ? e.errno : 'EINVAL';
      errno = ERRNO_NUMBERS[name as PfkeyErrno] ?? EXTRA_ERRNO[name] ?? ERRNO_NUMBERS.EINVAL;
    }
    conn.write(encodeIkeFrame({ type: 'bound', requested: f.port, port, errno }));
  }
}
