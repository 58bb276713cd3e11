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
import { closeUnix, listenUnix } from './unix-listener.js';

const BYPASS = createSocketPolicy({ privileged: true, in: { action: 'bypass' }, out: { action: 'bypass' } });
/** errno numbers for bind failures not in the PF_KEY vocabulary (FreeBSD). */
const EXTRA_ERRNO: Record<string, number> = { EADDRINUSE: 48, EBADF: 9, EAGAIN: 35 };

export interface IkeServerStats { connections: number; framingErrors: number; datagramsIn: number; datagramsOut: number; sendDrops: number }

export class IkeServer {
  readonly stats: IkeServerStats = { connections: 0, framingErrors: 0, datagramsIn: 0, datagramsOut: 0, sendDrops: 0 };
  private readonly clients = new Set<Socket>();
  private server: Server | undefined;

  constructor(private readonly host: Host, readonly path: string, private readonly log: Logger) {}

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
