// Socket filters (Darwin kpi_socketfilter.h: sflt_register / sflt_unregister, sflt_attach / sflt_detach and the
// SO_NKE socket option, sock_inject_data_in / sock_inject_data_out) for the host's UDP sockets. A filter is
// global (SFLT_GLOBAL: attached to every UDP socket created after it registered) or attached to one socket
// programmatically, at the end of the socket's list or before/after another filter (NFF_BEFORE/NFF_AFTER). It
// sees data in and out, bind, connect and close; each hook returns continue (nothing), swallow (the filter
// keeps the data and may inject it later: EJUSTRETURN), an error (the call fails with that errno; incoming
// data is dropped) or changed data. Injected data bypasses every socket filter, as Darwin's does.
import { ErrnoError } from '../../common/errors.js';
import { fault, notify, type GuardSink, type Hooked } from './contain.js';
import type { Attachment, Owner } from './attach.js';
import type { InputLayer } from '../ipsec/input.js';

/** Where a datagram came from (kernel/host/socket.ts UdpRemote). */
export interface UdpRemote {
  address: Uint8Array;
  port: number;
  local: Uint8Array;
  layers: readonly InputLayer[];
}

/** The socket as its filters need it (kernel/host/socket.ts UdpSocket). */
export interface UdpSocket {
  readonly localPort: number;
  readonly isClosed: boolean;
  filters: readonly SocketFilterRef[];
  deliverUnfiltered(data: Uint8Array, from: UdpRemote): void;
  sendUnfiltered(data: Uint8Array, dst: Uint8Array, dport: number): boolean;
}

/** What a socket filter hook returns. */
export type SocketVerdict = 'continue' | 'swallow' | { error: string } | Uint8Array | undefined | void;

/** The remote end of an outgoing datagram. */
export interface SocketPeer {
  readonly address: Uint8Array;
  readonly port: number;
}

/** A socket filter (struct sflt_filter): any of the hooks. */
export interface SocketFilter {
  readonly name: string;
  dataIn?(sock: UdpSocket, data: Uint8Array, from: UdpRemote): SocketVerdict;
  dataOut?(sock: UdpSocket, data: Uint8Array, to: SocketPeer): SocketVerdict;
  bind?(sock: UdpSocket, port: number, addr: Uint8Array | undefined): SocketVerdict;
  connect?(sock: UdpSocket, to: SocketPeer): SocketVerdict;
  /** The socket is closing (sf_notify sock_evt_closing); the filter is detached from it right after. */
  closed?(sock: UdpSocket): void;
  attached?(sock: UdpSocket): void;
  detached?(sock: UdpSocket): void;
}

/** Where SO_NKE puts a filter on a socket's list. */
export interface SocketFilterPlace {
  before?: SocketFilterRef;
  after?: SocketFilterRef;
}

/** The host's global socket filters (for new UDP sockets). */
export class SocketFilterRegistry {
  global: readonly SocketFilterRef[] = [];
  constructor(readonly sink: GuardSink) {}

  /** sflt_register. */
  register(filter: SocketFilter, global: boolean, owner: Owner): SocketFilterRef {
    const ref = new SocketFilterRef(filter, `${owner.name}/${filter.name}`, this, owner);
    if (global) this.global = [...this.global, ref];
    owner.adopt(ref);
    return ref;
  }

  /** A new UDP socket: the global filters, in registration order (sflt_initsock). */
  initSocket(sock: UdpSocket): void {
    for (const ref of this.global) ref.attach(sock);
  }
}

/** A registered socket filter (its sflt_handle). */
export class SocketFilterRef implements Attachment, Hooked {
  readonly kind = 'socket filter';
  faults = 0;
  private gone = false;
  private readonly sockets = new Set<UdpSocket>();

  constructor(
    readonly filter: SocketFilter,
    readonly label: string,
    private readonly reg: SocketFilterRegistry,
    private readonly owner: Owner,
  ) {}

  get name(): string {
    return this.filter.name;
  }

  get sink(): GuardSink {
    return this.reg.sink;
  }

  /** sflt_attach / SO_NKE: at the end of the socket's filters, or before/after another one already there. */
  attach(sock: UdpSocket, place: SocketFilterPlace = {}): void {
    this.live();
    if (this.sockets.has(sock)) throw new ErrnoError('EEXIST', `socket filter ${this.name} is already attached`);
    if (sock.isClosed) throw new ErrnoError('EBADF', 'socket is closed');
    const list = [...sock.filters];
    const other = place.before ?? place.after;
    let at = list.length;
    if (other) {
      const i = list.indexOf(other);
      if (i < 0) throw new ErrnoError('ENOENT', `socket filter ${other.name} is not on this socket`);
      at = place.before ? i : i + 1;
    }
    list.splice(at, 0, this);
    sock.filters = list;
    this.sockets.add(sock);
    const a = this.filter.attached;
    if (a) notify(this.reg.sink, this, 'attached()', () => a.call(this.filter, sock));
  }

  /** sflt_detach: from one socket. */
  detachFrom(sock: UdpSocket): void {
    if (!this.sockets.delete(sock)) return;
    sock.filters = sock.filters.filter((r) => r !== this);
    const d = this.filter.detached;
    if (d) notify(this.reg.sink, this, 'detached()', () => d.call(this.filter, sock));
  }

  /** sflt_unregister: from every socket, and no longer global. */
  detach(): void {
    if (this.gone) return;
    this.gone = true;
    this.reg.global = this.reg.global.filter((r) => r !== this);
    for (const s of [...this.sockets]) this.detachFrom(s);
    this.owner.release(this);
  }

  /** sock_inject_data_in: into the socket's receive callback, past every filter. */
  injectDataIn(sock: UdpSocket, data: Uint8Array, from: UdpRemote): void {
    this.live();
    this.reg.sink.stats.bump('sflt_inject_in');
    sock.deliverUnfiltered(data, from);
  }

  /** sock_inject_data_out: sent from the socket, past every filter. */
  injectDataOut(sock: UdpSocket, data: Uint8Array, to: SocketPeer): boolean {
    this.live();
    this.reg.sink.stats.bump('sflt_inject_out');
    return sock.sendUnfiltered(data, to.address, to.port);
  }

  private live(): void {
    if (this.gone) throw new ErrnoError('EINVAL', `socket filter ${this.name} is unregistered`);
  }
}

type Hook = 'dataIn' | 'dataOut' | 'bind' | 'connect';

/**
 * Runs one hook over a socket's filters: the (possibly changed) data to go on with, 'swallow', 'drop' (a filter
 * threw: counted and logged), or the ErrnoError a filter returned, for the caller to throw (outgoing calls) or to
 * count as a drop (incoming data).
 */
export function runSocketFilters(
  sock: UdpSocket,
  hook: Hook,
  data: Uint8Array,
  call: (f: SocketFilter, data: Uint8Array) => SocketVerdict,
): Uint8Array | 'swallow' | 'drop' | ErrnoError {
  let d = data;
  for (const ref of sock.filters) {
    const f = ref.filter;
    if (!f[hook]) continue;
    let v: SocketVerdict;
    try {
      v = call(f, d);
    } catch (e) {
      fault(ref.sink, ref, `${hook}()`, e);
      return 'drop';
    }
    if (v === undefined || v === 'continue') continue;
    if (v instanceof Uint8Array) {
      d = v;
      continue;
    }
    if (v === 'swallow') {
      ref.sink.stats.bump('sflt_swallowed');
      return 'swallow';
    }
    const errno = typeof v === 'object' && typeof v.error === 'string' ? v.error : 'EINVAL';
    if (typeof v !== 'object') ref.sink.stats.bump('ext_bad_verdict');
    ref.sink.stats.bump('sflt_errors_returned');
    return new ErrnoError(errno, `refused by socket filter ${ref.label}`);
  }
  return d;
}

/** The socket is closing: every filter is told, then detached from it. */
export function closeSocketFilters(sock: UdpSocket): void {
  for (const ref of sock.filters) {
    const c = ref.filter.closed;
    if (c) notify(ref.sink, ref, 'closed()', () => c.call(ref.filter, sock));
    ref.detachFrom(sock);
  }
}
