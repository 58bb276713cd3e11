// UDP sockets of the in-process host (BSD `inpcb` for UDP, reduced): bind to a port and optionally an address,
// send datagrams, receive them through a callback, and carry a per-socket IPsec policy (IP_IPSEC_POLICY,
// kernel/spd/spd.ts createSocketPolicy) that the output path and the inbound policy check consult.
import { ErrnoError } from '../../common/errors.js';
import { addrEqual, addrKey, parseAddr } from '../../common/inet.js';
import type { SocketPolicy } from '../spd/spd.js';
import {
  closeSocketFilters,
  runSocketFilters,
  type SocketFilter,
  type SocketFilterRef,
  type SocketVerdict,
  type UdpRemote,
} from '../ext/socket-filter.js';

/** BSD net.inet.ip.portrange.hifirst/hilast: where ephemeral ports come from. */
export const EPHEMERAL_PORT_FIRST = 49152;
export const EPHEMERAL_PORT_LAST = 65535;

/** Where a datagram came from (`local`: the address it was sent to), and the IPsec transforms it went through. */
export type { UdpRemote } from '../ext/socket-filter.js';

export type UdpHandler = (data: Uint8Array, from: UdpRemote) => void;

/** What a socket needs from its host. */
export interface UdpStack {
  /** Sends one datagram; returns false when it was dropped (no route, policy, missing SA...). */
  udpSend(sock: UdpSocket, data: Uint8Array, dst: Uint8Array, dport: number): boolean;
  readonly udpTable: UdpTable;
}

function toAddr(a: string | Uint8Array): Uint8Array {
  if (typeof a !== 'string') return new Uint8Array(a);
  const r = parseAddr(a);
  if (!r) throw new ErrnoError('EINVAL', `bad address "${a.slice(0, 64)}"`);
  return r;
}

function checkPort(p: number): number {
  if (!Number.isInteger(p) || p < 0 || p > 0xffff) throw new ErrnoError('EINVAL', `bad port ${String(p).slice(0, 16)}`);
  return p;
}

/** One UDP socket. Not usable after close(). */
export class UdpSocket {
  localPort = 0;
  localAddr: Uint8Array | undefined;
  policy: SocketPolicy | undefined;
  /** The default destination set by connect(). */
  remote: { address: Uint8Array; port: number } | undefined;
  /** Socket filters (kernel/ext/socket-filter.ts) in calling order; replaced, never changed in place. */
  filters: readonly SocketFilterRef[] = [];
  private handler: UdpHandler | undefined;
  private closed = false;

  constructor(private readonly stack: UdpStack) {}

  get isClosed(): boolean {
    return this.closed;
  }

  /** Binds to `port` (0: an ephemeral one) and optionally one local address; EADDRINUSE if taken. */
  bind(port = 0, addr?: string | Uint8Array): number {
    if (this.closed) throw new ErrnoError('EBADF', 'socket is closed');
    if (this.localPort !== 0) throw new ErrnoError('EINVAL', 'socket is already bound');
    const a = addr === undefined ? undefined : toAddr(addr);
    if (this.filters.length !== 0) this.filterCall('bind', (f) => f.bind?.(this, port, a));
    this.localPort = this.stack.udpTable.bind(this, checkPort(port), a);
    this.localAddr = a;
    return this.localPort;
  }

  /**
   * Sets the default destination (UDP connect(2)): send() without an address goes there. Socket filters may
   * refuse it (ErrnoError).
   */
  connect(dst: string | Uint8Array, dport: number): void {
    if (this.closed) throw new ErrnoError('EBADF', 'socket is closed');
    const to = { address: toAddr(dst), port: checkPort(dport) };
    if (this.filters.length !== 0) this.filterCall('connect', (f) => f.connect?.(this, to));
    this.remote = to;
  }

  /**
   * Sends `data` to dst:dport, or to the connected peer (binding an ephemeral port first if needed). False if the
   * packet was dropped; an ErrnoError if a socket filter refused it.
   */
  send(data: Uint8Array, dst?: string | Uint8Array, dport?: number): boolean {
    if (this.closed) throw new ErrnoError('EBADF', 'socket is closed');
    if (this.localPort === 0) this.bind(0);
    const to =
      dst === undefined ? this.remote : { address: toAddr(dst), port: checkPort(dport ?? this.remote?.port ?? 0) };
    if (!to) throw new ErrnoError('EDESTADDRREQ', 'socket is not connected');
    let d = data;
    if (this.filters.length !== 0) {
      const r = runSocketFilters(this, 'dataOut', d, (f, x) => f.dataOut?.(this, x, to));
      if (r === 'swallow') return true;
      if (r === 'drop') {
        this.filters[0]?.sink.stats.bump('sflt_out_dropped');
        return false;
      }
      if (r instanceof ErrnoError) throw r;
      d = r;
    }
    return this.stack.udpSend(this, d, to.address, to.port);
  }

  /** @internal sock_inject_data_out: past the socket filters. */
  sendUnfiltered(data: Uint8Array, dst: Uint8Array, dport: number): boolean {
    if (this.closed) return false;
    if (this.localPort === 0) this.bind(0);
    return this.stack.udpSend(this, data, dst, checkPort(dport));
  }

  onMessage(fn: UdpHandler): void {
    this.handler = fn;
  }

  /** IP_IPSEC_POLICY: the socket's own in/out policy (build it with createSocketPolicy). */
  setPolicy(p: SocketPolicy | undefined): void {
    this.policy = p;
  }

  /** @internal called by the host for a datagram that passed the inbound policy check. */
  deliver(data: Uint8Array, from: UdpRemote): void {
    if (this.closed) return;
    let d = data;
    if (this.filters.length !== 0) {
      const r = runSocketFilters(this, 'dataIn', d, (f, x) => f.dataIn?.(this, x, from));
      if (r === 'swallow') return;
      if (!(r instanceof Uint8Array)) {
        this.filters[0]?.sink.stats.bump('sflt_in_dropped');
        return;
      }
      d = r;
    }
    this.handler?.(d, from);
  }

  /** @internal sock_inject_data_in: past the socket filters. */
  deliverUnfiltered(data: Uint8Array, from: UdpRemote): void {
    if (!this.closed) this.handler?.(data, from);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stack.udpTable.unbind(this);
    if (this.filters.length !== 0) closeSocketFilters(this);
  }

  /** bind/connect through the socket filters: a refusal (or a filter that threw) fails the call. */
  private filterCall(hook: 'bind' | 'connect', call: (f: SocketFilter) => SocketVerdict): void {
    const r = runSocketFilters(this, hook, new Uint8Array(0), (f) => call(f));
    if (r instanceof ErrnoError) throw r;
    if (r === 'drop') throw new ErrnoError('EIO', `${hook} failed in a socket filter`);
  }
}

/** The host's UDP port table (BSD `udbinfo`): exact local address first, then the wildcard. */
export class UdpTable {
  private readonly byPort = new Map<number, UdpSocket[]>();
  private nextEphemeral = EPHEMERAL_PORT_FIRST;

  bind(sock: UdpSocket, port: number, addr: Uint8Array | undefined): number {
    const p = port === 0 ? this.ephemeral() : port;
    const list = this.byPort.get(p) ?? [];
    const clash = list.some((s) => s.localAddr === undefined || addr === undefined || addrEqual(s.localAddr, addr));
    if (clash) throw new ErrnoError('EADDRINUSE', `UDP port ${p}${addr ? ' on ' + addrKey(addr) : ''} is in use`);
    list.push(sock);
    this.byPort.set(p, list);
    return p;
  }

  unbind(sock: UdpSocket): void {
    const list = this.byPort.get(sock.localPort);
    if (!list) return;
    const i = list.indexOf(sock);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byPort.delete(sock.localPort);
  }

  /** The socket for a datagram to dst:port, or undefined (udps_noport). */
  lookup(dst: Uint8Array, port: number): UdpSocket | undefined {
    const list = this.byPort.get(port);
    if (!list) return undefined;
    let wild: UdpSocket | undefined;
    for (const s of list) {
      if (s.localAddr === undefined) wild ??= s;
      else if (addrEqual(s.localAddr, dst)) return s;
    }
    return wild;
  }

  private ephemeral(): number {
    const span = EPHEMERAL_PORT_LAST - EPHEMERAL_PORT_FIRST + 1;
    for (let i = 0; i < span; i++) {
      const p = this.nextEphemeral;
      this.nextEphemeral = p >= EPHEMERAL_PORT_LAST ? EPHEMERAL_PORT_FIRST : p + 1;
      if (!this.byPort.has(p)) return p;
    }
    throw new ErrnoError('EAGAIN', 'no free ephemeral UDP port');
  }
}
