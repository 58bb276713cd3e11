// Kernel controls (Darwin's PF_SYSTEM/SYSPROTO_CONTROL, sys/kern_control.h): in-process code registers a control
// by a reverse-DNS name unique on the host (ctl_register with a kern_ctl_reg), and clients connect to it by name
// and unit, send it data, set and get its options, and receive what it enqueues (ctl_enqueuedata). The
// registry knows nothing of sockets: a client arrives with a ControlSink (uipsecd's control socket,
// kernel/daemon/ctl-server.ts, or an in-process reader) that says how much room it has. A client without room
// is refused the data (ENOBUFS, counted) and the sink's owner disconnects it: a slow client never makes the
// host buffer without bound. Deregistration is refused while clients are connected (EBUSY, as ctl_deregister).
import { ErrnoError } from '../../common/errors.js';

/** sys/kern_control.h MAX_KCTL_NAME. */
export const MAX_KCTL_NAME = 96;
/** Controls one host may hold, units one control may have, bytes one enqueue may carry (bounds). */
export const MAX_CONTROLS = 256;
export const MAX_UNITS_DEFAULT = 256;
export const CTL_DATA_MAX = 65536;
/** Bytes that may wait for one client of a control by default (kern_ctl_reg ctl_recvsize). */
export const CTL_RECVSIZE_DEFAULT = 64 * 1024;

/** Who is connecting: the peer's credentials (SO_PEERCRED on uipsecd's socket); uid undefined = unknown. */
export interface ControlPeer {
  uid?: number;
  pid?: number;
}

/** The errno names the control API returns. */
export type CtlErrno = 'ENOENT' | 'EPERM' | 'EBUSY' | 'ENOBUFS' | 'ENOTCONN' | 'EMSGSIZE' | 'EINVAL' | 'ENOPROTOOPT';

/**
 * kern_ctl_reg's callbacks. A callback refuses with `throw new ErrnoError(name, why)` (the client gets that
 * errno); anything else thrown is the extension's bug: counted, and the client gets EINVAL.
 */
export interface ControlCallbacks {
  /** ctl_connect_func: a client connected on `unit`; throwing refuses it. */
  connect?(unit: number, peer: ControlPeer): void;
  /** ctl_disconnect_func: the client on `unit` went away (or the host is closing). */
  disconnect?(unit: number): void;
  /** ctl_send_func: data from the client. */
  send?(unit: number, data: Uint8Array): void;
  /** ctl_setopt_func. Without it every option is ENOPROTOOPT. */
  setopt?(unit: number, opt: number, value: Uint8Array): void;
  /** ctl_getopt_func: at most maxLen bytes. Without it every option is ENOPROTOOPT. */
  getopt?(unit: number, opt: number, maxLen: number): Uint8Array;
}

/** kern_ctl_reg. */
export interface ControlRegistration {
  /** Reverse-DNS name ("org.example.counter"), 1..MAX_KCTL_NAME bytes, unique on the host. */
  name: string;
  /** CTL_FLAG_PRIVILEGED: only the daemon's owner (or root) may connect. */
  privileged?: boolean;
  /** ctl_recvsize: bytes that may wait for one client before enqueue says ENOBUFS and the client is dropped. */
  recvSize?: number;
  /** Units at once (bound). */
  maxUnits?: number;
  callbacks: ControlCallbacks;
}

/** The transport side of one connected client. */
export interface ControlSink {
  /** Bytes the client can still take before it counts as slow. */
  room(): number;
  /** Data the control enqueued (the registry has checked room()). */
  deliver(data: Uint8Array): void;
  /** The client is refused data for want of room: its owner should disconnect it (asynchronously). */
  overflow(): void;
  /** The control disconnected this client (host closing). */
  closed(): void;
}

/** What `register` returns: the kern_ctl_ref. */
export interface ControlHandle {
  readonly name: string;
  readonly id: number;
  /** ctl_enqueuedata: undefined on success, else why not (ENOBUFS: the client is slow and is being dropped). */
  enqueue(unit: number, data: Uint8Array): CtlErrno | undefined;
  /** ctl_getenqueuespace: bytes the client on `unit` can take now (0 when not connected). */
  space(unit: number): number;
  /** Connected units, ascending. */
  units(): number[];
  /** ctl_deregister: throws ErrnoError EBUSY while clients are connected. */
  deregister(): void;
}

/** A client's end of a connection: what its requests do. */
export interface ControlConnection {
  readonly unit: number;
  readonly control: string;
  send(data: Uint8Array): void;
  setopt(opt: number, value: Uint8Array): void;
  getopt(opt: number, maxLen: number): Uint8Array;
  /** Disconnects (idempotent); the control's disconnect callback runs. */
  close(): void;
}

export interface ControlStats {
  connects: number;
  refused: number;
  enqueued: number;
  enqueueNoRoom: number;
  callbackErrors: number;
}

interface Unit {
  unit: number;
  peer: ControlPeer;
  sink: ControlSink;
}

interface Control {
  id: number;
  reg: Required<Omit<ControlRegistration, 'privileged'>> & { privileged: boolean };
  units: Map<number, Unit>;
  stats: ControlStats;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)+$/;

/** Why `name` is not a control name, or undefined. */
export function checkControlName(name: string): string | undefined {
  if (Buffer.byteLength(name) > MAX_KCTL_NAME || name.length === 0)
    return `a control name has 1..${MAX_KCTL_NAME} bytes`;
  if (!NAME_RE.test(name)) return 'a control name is a reverse-DNS name such as org.example.counter';
  return undefined;
}

export interface ControlRegistryOptions {
  /** The uid privileged controls admit besides root: the daemon's owner (default: this process's uid). */
  ownerUid?: number;
  /** Where the registry reports extension bugs (a callback that threw). */
  onError?: (what: string, e: unknown) => void;
}

/** One host's controls (Darwin's kctl list). */
export class ControlRegistry {
  readonly ownerUid: number;
  private readonly byName = new Map<string, Control>();
  private readonly byId = new Map<number, Control>();
  private nextId = 1;

  constructor(private readonly opts: ControlRegistryOptions = {}) {
    this.ownerUid = opts.ownerUid ?? process.getuid?.() ?? 0;
  }

  /** ctl_register. EINVAL for a bad name or size, EEXIST for a taken name, ENOBUFS past MAX_CONTROLS. */
  register(reg: ControlRegistration): ControlHandle {
    const bad = checkControlName(reg.name);
    if (bad) throw new ErrnoError('EINVAL', bad);
    if (this.byName.has(reg.name)) throw new ErrnoError('EEXIST', `control ${reg.name} is registered`);
    if (this.byName.size >= MAX_CONTROLS) throw new ErrnoError('ENOBUFS', `${MAX_CONTROLS} controls registered`);
    const recvSize = reg.recvSize ?? CTL_RECVSIZE_DEFAULT;
    const maxUnits = reg.maxUnits ?? MAX_UNITS_DEFAULT;
    if (!Number.isInteger(recvSize) || recvSize < 1 || recvSize > 16 * 1024 * 1024)
      throw new ErrnoError('EINVAL', 'recvSize is 1..16 MiB');
    if (!Number.isInteger(maxUnits) || maxUnits < 1 || maxUnits > 65535)
      throw new ErrnoError('EINVAL', 'maxUnits is 1..65535');
    const c: Control = {
      id: this.nextId++,
      reg: { name: reg.name, privileged: reg.privileged ?? false, recvSize, maxUnits, callbacks: reg.callbacks },
      units: new Map(),
      stats: { connects: 0, refused: 0, enqueued: 0, enqueueNoRoom: 0, callbackErrors: 0 },
    };
    this.byName.set(reg.name, c);
    this.byId.set(c.id, c);
    return this.handle(c);
  }

  /** The registered controls (CTLIOCGINFO for all; `uipsec ctl list`). */
  list(): { name: string; id: number; privileged: boolean; units: number; stats: ControlStats }[] {
    return [...this.byName.values()].map((c) => ({
      name: c.reg.name,
      id: c.id,
      privileged: c.reg.privileged,
      units: c.units.size,
      stats: { ...c.stats },
    }));
  }

  /** Whether `peer` may use what is privileged: the daemon's owner or root, known by its credentials. */
  isOwner(peer: ControlPeer): boolean {
    return peer.uid !== undefined && (peer.uid === this.ownerUid || peer.uid === 0);
  }

  /**
   * connect(2) on a PF_SYSTEM socket to (name, unit); unit 0 picks the lowest free one. Throws ErrnoError:
   * ENOENT no such control, EPERM privileged and not the owner, EBUSY unit taken, ENOBUFS no unit left,
   * or what the control's connect callback refused with.
   */
  connect(name: string, unit: number, peer: ControlPeer, sink: ControlSink): ControlConnection {
    const c = this.byName.get(name);
    if (!c) throw new ErrnoError('ENOENT', `no control ${name.slice(0, MAX_KCTL_NAME)}`);
    const refuse = (errno: CtlErrno, why: string): never => {
      c.stats.refused++;
      throw new ErrnoError(errno, why);
    };
    if (c.reg.privileged && !this.isOwner(peer)) refuse('EPERM', `${name} is privileged: only its owner may connect`);
    if (!Number.isInteger(unit) || unit < 0 || unit > 0xffffffff) refuse('EINVAL', 'unit is a u32');
    if (c.units.size >= c.reg.maxUnits) refuse('ENOBUFS', `${name} has ${c.reg.maxUnits} clients`);
    if (unit === 0) while (c.units.has(++unit));
    else if (c.units.has(unit)) refuse('EBUSY', `unit ${unit} of ${name} is in use`);
    const u: Unit = { unit, peer: { ...peer }, sink };
    c.units.set(unit, u);
    try {
      c.reg.callbacks.connect?.(unit, u.peer);
    } catch (e) {
      c.units.delete(unit);
      c.stats.refused++;
      throw this.callbackError(c, 'connect', e);
    }
    c.stats.connects++;
    return this.connection(c, u);
  }

  /** The host is closing: every client is told and every control's disconnect runs; registrations go. */
  close(): void {
    for (const c of this.byName.values()) for (const u of [...c.units.values()]) this.drop(c, u, true);
    this.byName.clear();
    this.byId.clear();
  }

  private handle(c: Control): ControlHandle {
    return {
      name: c.reg.name,
      id: c.id,
      enqueue: (unit, data) => this.enqueue(c, unit, data),
      space: (unit) => {
        const u = c.units.get(unit);
        return u ? Math.max(0, Math.min(u.sink.room(), c.reg.recvSize)) : 0;
      },
      units: () => [...c.units.keys()].sort((a, b) => a - b),
      deregister: () => {
        if (this.byName.get(c.reg.name) !== c) return;
        if (c.units.size > 0) throw new ErrnoError('EBUSY', `${c.reg.name} has ${c.units.size} connected client(s)`);
        this.byName.delete(c.reg.name);
        this.byId.delete(c.id);
      },
    };
  }

  private enqueue(c: Control, unit: number, data: Uint8Array): CtlErrno | undefined {
    const u = c.units.get(unit);
    if (!u) return 'ENOTCONN';
    if (data.length > CTL_DATA_MAX) return 'EMSGSIZE';
    if (data.length > Math.min(u.sink.room(), c.reg.recvSize)) {
      c.stats.enqueueNoRoom++;
      u.sink.overflow();
      return 'ENOBUFS';
    }
    c.stats.enqueued++;
    u.sink.deliver(data);
    return undefined;
  }

  private connection(c: Control, u: Unit): ControlConnection {
    const cb = c.reg.callbacks;
    const live = () => {
      if (c.units.get(u.unit) !== u) throw new ErrnoError('ENOTCONN', `unit ${u.unit} of ${c.reg.name} is closed`);
    };
    const call = <T>(what: string, f: () => T): T => {
      live();
      try {
        return f();
      } catch (e) {
        throw this.callbackError(c, what, e);
      }
    };
    return {
      unit: u.unit,
      control: c.reg.name,
      send: (data) => call('send', () => cb.send?.(u.unit, data)),
      setopt: (opt, value) =>
        call('setopt', () => {
          if (!cb.setopt) throw new ErrnoError('ENOPROTOOPT', 'the control has no options');
          cb.setopt(u.unit, opt, value);
        }),
      getopt: (opt, maxLen) =>
        call('getopt', () => {
          if (!cb.getopt) throw new ErrnoError('ENOPROTOOPT', 'the control has no options');
          const v = cb.getopt(u.unit, opt, maxLen);
          return v.length > maxLen ? v.subarray(0, maxLen) : v;
        }),
      close: () => {
        if (c.units.get(u.unit) === u) this.drop(c, u, false);
      },
    };
  }

  private drop(c: Control, u: Unit, tellSink: boolean): void {
    c.units.delete(u.unit);
    try {
      c.reg.callbacks.disconnect?.(u.unit);
    } catch (e) {
      this.callbackError(c, 'disconnect', e);
    }
    if (tellSink) u.sink.closed();
  }

  /** An ErrnoError from a callback passes through; anything else is an extension bug, counted: EINVAL. */
  private callbackError(c: Control, what: string, e: unknown): ErrnoError {
    if (e instanceof ErrnoError) return e;
    c.stats.callbackErrors++;
    this.opts.onError?.(`control ${c.reg.name} ${what}`, e);
    return new ErrnoError('EINVAL', `control ${c.reg.name} failed in ${what}`);
  }
}
