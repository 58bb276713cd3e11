// Client side of uipsecd's IKE/app channel (frames in channel/frames.ts, design in docs/uipsecd.md): racoon
// binds UDP 500/4500 of the daemon's host stack through it, the `uipsec` tools bind ports, send and receive
// datagrams, ping and read the host's status.
import { connect, type Socket } from 'node:net';
import { assertSafeSocket } from '../common/socket-path.js';
import { channelErrnoName, defaultIkeSocketPath } from './constants.js';
import { IkeFrameSplitter, decodeIkeFrame, encodeIkeFrame, type IkeFrame } from './frames.js';

/** A datagram received through the channel. */
export interface IkeDatagram {
  localPort: number;
  remotePort: number;
  local: Uint8Array;
  remote: Uint8Array;
  payload: Uint8Array;
}

/** One echo reply as the daemon reports it. */
export type IkePingReply = Omit<Extract<IkeFrame, { type: 'pingreply' }>, 'type' | 'tag'>;
/** The end of a PING: what was sent and answered, or an errno (EHOSTUNREACH 65, EBUSY 16) when nothing was sent. */
export type IkePingDone = Omit<Extract<IkeFrame, { type: 'pingdone' }>, 'type' | 'tag'>;

export interface IkePingRequest {
  count: number;
  size: number;
  intervalMs: number;
  timeoutMs: number;
}

/** What became of a datagram sent with `sendChecked`: errno 0 when it left the host, else the KAME counter that dropped it. */
export type IkeSendResult = Omit<Extract<IkeFrame, { type: 'sent' }>, 'type' | 'tag'>;

/** Errno for a request the channel closed under (EPIPE). */
const EPIPE = 32;
const closedError = () => Object.assign(new Error('the app channel closed'), { errno: EPIPE, code: 'EPIPE' });

/** Client side of the channel (racoon, uipsec tools). */
export class IkeChannel {
  private readonly splitter = new IkeFrameSplitter();
  private readonly waiting = new Map<number, ((f: Extract<IkeFrame, { type: 'bound' }>) => void)[]>();
  private readonly pingsOut = new Map<
    number,
    { reply: (r: IkePingReply) => void; done: (d: IkePingDone) => void; fail: (e: Error) => void }
  >();
  private statusWait: { ok: (r: Record<string, unknown>) => void; fail: (e: Error) => void }[] = [];
  private readonly sentWait = new Map<number, { ok: (r: IkeSendResult) => void; fail: (e: Error) => void }>();
  private nextTag = 1;
  private rx: (d: IkeDatagram) => void = () => {};
  private closeFns: ((err?: Error) => void)[] = [];

  private constructor(private readonly sock: Socket) {
    sock.on('data', (c: Buffer) => this.data(c));
    sock.on('error', (e) => this.end(e));
    sock.on('close', () => this.end());
  }

  static connect(path: string = defaultIkeSocketPath()): Promise<IkeChannel> {
    return new Promise((resolve, reject) => {
      assertSafeSocket(path); // rejects (SocketPathError) when another user could own the socket
      const s = connect(path);
      s.once('error', reject);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new IkeChannel(s));
      });
    });
  }

  /** Binds a UDP port of the daemon's host stack; resolves with the port, rejects with the errno number (EPIPE 32 if the channel closes first). */
  bind(port: number, opts: { bypass?: boolean; addr?: Uint8Array } = {}): Promise<number> {
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(port) ?? [];
      list.push((f) =>
        f.errno === 0
          ? resolve(f.port)
          : reject(
              Object.assign(new Error(`bind ${port}: ${channelErrnoName(f.errno)}`), {
                errno: f.errno,
                code: channelErrnoName(f.errno),
              }),
            ),
      );
      this.waiting.set(port, list);
      this.sock.write(encodeIkeFrame({ type: 'bind', port, bypass: opts.bypass ?? false, addr: opts.addr }));
    });
  }

  send(localPort: number, remote: Uint8Array, remotePort: number, payload: Uint8Array): void {
    const local = new Uint8Array(remote.length); // the daemon picks the source address
    this.sock.write(encodeIkeFrame({ type: 'dgram', localPort, remotePort, local, remote, payload }));
  }

  /**
   * As `send`, and resolves with what the host did with the datagram (SEND/SENT frames): `{errno: 0}` when it
   * left, else the errno and the KAME counter of the drop (`ips_out_nosa`, `ips_out_polvio`, `udps_noroute` ...).
   * Rejects with errno EPIPE if the channel closes first (an older uipsecd without SEND closes it).
   */
  sendChecked(localPort: number, remote: Uint8Array, remotePort: number, payload: Uint8Array): Promise<IkeSendResult> {
    const tag = this.takeTag();
    const local = new Uint8Array(remote.length);
    const frame = encodeIkeFrame({ type: 'send', tag, localPort, remotePort, local, remote, payload });
    return new Promise((ok, fail) => {
      this.sentWait.set(tag, { ok, fail });
      this.sock.write(frame);
    });
  }

  private takeTag(): number {
    const tag = this.nextTag;
    this.nextTag = (this.nextTag % 0xffffffff) + 1;
    return tag;
  }

  /**
   * ICMP/ICMPv6 echo from the daemon's host to `dst` (its SPD and SAD apply); `onReply` sees each answer as it
   * arrives. Resolves with the summary; rejects with errno EPIPE if the channel closes first.
   */
  ping(dst: Uint8Array, req: IkePingRequest, onReply: (r: IkePingReply) => void = () => {}): Promise<IkePingDone> {
    const tag = this.takeTag();
    const frame = encodeIkeFrame({ type: 'ping', tag, dst, ...req }); // throws IkeFrameError outside the bounds
    return new Promise((resolve, reject) => {
      this.pingsOut.set(tag, {
        reply: onReply,
        done: (d) => {
          this.pingsOut.delete(tag);
          resolve(d);
        },
        fail: reject,
      });
      this.sock.write(frame);
    });
  }

  /** The daemon's host status (interfaces, routes, counters, table sizes) as a JSON object. */
  status(): Promise<Record<string, unknown>> {
    return new Promise((ok, fail) => {
      this.statusWait.push({ ok, fail });
      this.sock.write(encodeIkeFrame({ type: 'statusreq' }));
    });
  }

  unbind(port: number): void {
    this.sock.write(encodeIkeFrame({ type: 'unbind', port }));
  }
  onDatagram(fn: (d: IkeDatagram) => void): void {
    this.rx = fn;
  }
  onClose(fn: (err?: Error) => void): void {
    this.closeFns.push(fn);
  }
  close(): void {
    this.sock.end();
  }

  private data(c: Buffer): void {
    let frames: Uint8Array[];
    try {
      frames = this.splitter.push(new Uint8Array(c.buffer, c.byteOffset, c.length));
      for (const b of frames) this.frame(decodeIkeFrame(b));
    } catch (e) {
      this.sock.destroy();
      this.end(e as Error);
    }
  }

  private frame(f: IkeFrame): void {
    if (f.type === 'dgram') {
      this.rx(f);
      return;
    }
    if (f.type === 'pingreply') {
      const { type: _t, tag, ...r } = f;
      this.pingsOut.get(tag)?.reply(r);
      return;
    }
    if (f.type === 'pingdone') {
      const { type: _t, tag, ...d } = f;
      this.pingsOut.get(tag)?.done(d);
      return;
    }
    if (f.type === 'status') {
      this.statusWait.shift()?.ok(f.report);
      return;
    }
    if (f.type === 'sent') {
      const w = this.sentWait.get(f.tag);
      this.sentWait.delete(f.tag);
      w?.ok({ errno: f.errno, reason: f.reason });
      return;
    }
    if (f.type !== 'bound') return;
    const list = this.waiting.get(f.requested);
    const fn = list?.shift();
    if (list && list.length === 0) this.waiting.delete(f.requested);
    fn?.(f);
  }

  private end(err?: Error): void {
    for (const list of this.waiting.values())
      for (const fn of list) fn({ type: 'bound', requested: 0, port: 0, errno: 32 }); // EPIPE
    this.waiting.clear();
    for (const p of this.pingsOut.values()) p.fail(closedError());
    this.pingsOut.clear();
    for (const w of this.statusWait) w.fail(closedError());
    this.statusWait = [];
    for (const w of this.sentWait.values()) w.fail(closedError());
    this.sentWait.clear();
    const fns = this.closeFns;
    this.closeFns = [];
    for (const fn of fns) fn(err);
  }
}
