// The IKE/app datagram channel, daemon side (frames in pfkey/ike-channel.ts, design in docs/uipsecd.md):
// each client binds UDP ports of the daemon's host stack (racoon: 500 and 4500 with IPsec bypass; tools:
// any port, subject to the SPD) and exchanges datagrams through them. A client's sockets close with it; a
// client sending a malformed frame is disconnected alone.
import type { Server, Socket } from 'node:net';
import { ErrnoError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { ERRNO_NUMBERS, type PfkeyErrno } from '../../pfkey/errors.js';
import { IkeFrameSplitter, decodeIkeFrame, encodeIkeFrame, type IkeFrame } from '../../pfkey/ike-channel.js';
import type { Host } from '../host.js';
import { createSocketPolicy } from '../spd.js';
import type { UdpSocket } from '../socket.js';
import type { NattSocket } from '../link/natt-socket.js';
import { formatAddr, parseAddr } from '../../common/inet.js';

/** RFC 3948 §2.2: IKE on the NAT-T port carries four zero bytes in front. */
const NON_ESP_MARKER = 4;
import { closeUnix, listenUnix } from './unix-listener.js';

const BYPASS = createSocketPolicy({ privileged: true, in: { action: 'bypass' }, out: { action: 'bypass' } });
/** errno numbers for bind failures not in the PF_KEY vocabulary (FreeBSD). */
const EXTRA_ERRNO: Record<string, number> = { EADDRINUSE: 48, EBADF: 9, EAGAIN: 35 };

export interface IkeServerStats { connections: number; framingErrors: number; datagramsIn: number; datagramsOut: number; sendDrops: number }

export class IkeServer {
  readonly stats: IkeServerStats = { connections: 0, framingErrors: 0, datagramsIn: 0, datagramsOut: 0, sendDrops: 0 };
  private readonly clients = new Set<Socket>();
  private server: Server | undefined;

  constructor(private readonly host: Host, readonly path: string, private readonly log: Logger, private readonly natt?: NattSocket) {
    natt?.onIke((msg, from) => this.ikeFromNatt(msg, from));
  }

  /** IKE that arrived on the real NAT-T socket goes to whoever bound its port, marker in front (as on 4500). */
  private ikeFromNatt(msg: Uint8Array, from: { host: string; port: number }): void {
    const natt = this.natt!;
    const local = parseAddr(natt.address().host);
    const remote = parseAddr(from.host);
    const sock = local && this.host.udpTable.lookup(local, natt.encapPort);
    if (!sock || !remote || remote.length !== local.length) { this.stats.sendDrops++; return; }
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
    const socks = new Map<number, UdpSocket>();
    const splitter = new IkeFrameSplitter();
    conn.on('data', (chunk: Buffer) => {
      try {
        for (const b of splitter.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length))) this.frame(conn, socks, decodeIkeFrame(b));
      } catch (e) {
        this.stats.framingErrors++;
        this.log.log('info', `ike client ${id}: ${(e as Error).message}; disconnecting it`);
        conn.destroy();
      }
    });
    const done = () => {
      if (!this.clients.delete(conn)) return;
      for (const s of socks.values()) s.close();
      socks.clear();
    };
    conn.on('error', done);
    conn.on('close', done);
  }

  private frame(conn: Socket, socks: Map<number, UdpSocket>, f: IkeFrame): void {
    if (f.type === 'bind') this.bind(conn, socks, f);
    else if (f.type === 'unbind') { socks.get(f.port)?.close(); socks.delete(f.port); }
    else if (f.type === 'dgram') {
      const s = socks.get(f.localPort);
      if (!s) { this.stats.sendDrops++; return; }
      if (this.viaNatt(f)) { this.stats.datagramsOut++; return; }
      if (s.send(f.payload, f.remote, f.remotePort)) this.stats.datagramsOut++;
      else this.stats.sendDrops++;
    }
    // 'bound' from a client is meaningless and ignored.
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
        if (!conn.destroyed) conn.write(encodeIkeFrame({ type: 'dgram', localPort: port, remotePort: from.port, local: from.local, remote: from.address, payload }));
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
