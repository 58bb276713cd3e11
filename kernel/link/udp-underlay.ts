// A real UDP underlay: each IP packet of a host travels as the payload of one UDP datagram between processes
// or machines. Neighbours are static (peer IP address -> UDP endpoint), like a point-to-multipoint tunnel.
import { createSocket, type Socket } from 'node:dgram';
import { formatAddr } from '../../common/inet.js';
import type { Link } from './link.js';

export interface UnderlayEndpoint {
  host: string;
  port: number;
}

export interface UnderlayOptions {
  /** Local UDP address and port to bind (port 0 picks one). */
  bind: UnderlayEndpoint;
  /** Static neighbour table: IP address of a peer host (text) -> its underlay endpoint. */
  neighbours?: Record<string, UnderlayEndpoint>;
  /** Largest IP packet carried; default 1400 so that the datagram fits a 1500-byte path. */
  mtu?: number;
}

export class UdpUnderlay implements Link {
  readonly mtu: number;
  private sock: Socket;
  private neigh = new Map<string, UnderlayEndpoint>();
  private rx: (packet: Uint8Array) => void = () => {};
  stats = { sent: 0, received: 0, noNeighbour: 0, tooBig: 0, sendErrors: 0 };

  private constructor(sock: Socket, opts: UnderlayOptions) {
    this.sock = sock;
    this.mtu = opts.mtu ?? 1400;
    sock.on('message', (msg) => {
      this.stats.received++;
      this.rx(new Uint8Array(msg.buffer, msg.byteOffset, msg.length));
    });
    sock.on('error', () => {
      this.stats.sendErrors++;
    });
  }

  /** Binds the UDP socket and resolves when it is listening. */
  static async open(opts: UnderlayOptions): Promise<UdpUnderlay> {
    const type = opts.bind.host.includes(':') ? 'udp6' : 'udp4';
    const sock = createSocket({ type, reuseAddr: false });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(opts.bind.port, opts.bind.host, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    const u = new UdpUnderlay(sock, opts);
    for (const [ip, ep] of Object.entries(opts.neighbours ?? {})) u.setNeighbour(ip, ep);
    return u;
  }

  address(): UnderlayEndpoint {
    const a = this.sock.address();
    return { host: a.address, port: a.port };
  }

  setNeighbour(ip: string | Uint8Array, ep: UnderlayEndpoint): void {
    const key = typeof ip === 'string' ? ip : formatAddr(ip);
    this.neigh.set(key, ep);
  }

  send(packet: Uint8Array, nextHop: Uint8Array): void {
    if (packet.length > this.mtu) {
      this.stats.tooBig++;
      return;
    }
    const ep = this.neigh.get(formatAddr(nextHop));
    if (!ep) {
      this.stats.noNeighbour++;
      return;
    }
    this.stats.sent++;
    this.sock.send(packet, ep.port, ep.host, (err) => {
      if (err) this.stats.sendErrors++;
    });
  }

  onReceive(fn: (packet: Uint8Array) => void): void {
    this.rx = fn;
  }

  close(): void {
    try {
      this.sock.close();
    } catch {
      /* already closed */
    }
  }
}
