// ESP-in-UDP (RFC 3948) on a REAL UDP socket, port 4500 by default, so that a uipsec host can exchange NAT-T
// traffic with other IPsec implementations. As a Link it carries only ESP-in-UDP: an outgoing IP/UDP/ESP
// packet becomes one datagram (payload = the ESP header onward) to (IP destination, UDP destination port); a
// received ESP datagram becomes an IP/UDP/ESP packet (addresses and ports from the real socket) for the
// host's input. Non-ESP datagrams (four zero bytes, then IKE: §2.2) go to the IKE callback; NAT-keepalives
// (one 0xFF byte, §2.3) are counted and dropped.
import { createSocket, type Socket, type RemoteInfo } from 'node:dgram';
import { formatAddr, parseAddr } from '../../common/inet.js';
import { buildUdpPacket } from '../ip/packet.js';
import { IPPROTO_UDP, IPV4_MIN_HEADER_BYTES } from '../ip/constants.js';
import { IpWalk, walkIp } from '../ip/walk.js';
import { NAT_T_PORT, NON_ESP_MARKER_BYTES, NATT_KEEPALIVE_BYTE } from '../ipsec/udp-encap.js';
import type { Link } from './link.js';

/** RFC 4303 §2: an ESP packet has at least an SPI and a sequence number. */
const ESP_MIN_BYTES = 8;
/** The largest datagram payload over IPv4 (65535 - 20 - 8); the kernel of the real host fragments. */
const UDP_MAX_PAYLOAD = 65507;

export interface NattEndpoint {
  host: string;
  port: number;
}

export interface NattSocketOptions {
  /** Local address (a specific one: it becomes the destination of the packets handed to the host) and port. */
  bind: { host: string; port?: number };
  /** IKE messages, the non-ESP marker removed, with the sender's address. */
  onIke?: (msg: Uint8Array, from: NattEndpoint) => void;
}

export class NattSocket implements Link {
  /** Large: the host must not fragment ESP-in-UDP itself; the real stack does. */
  readonly mtu = UDP_MAX_PAYLOAD + IPV4_MIN_HEADER_BYTES + 8;
  readonly stats = {
    espOut: 0,
    espIn: 0,
    ikeOut: 0,
    ikeIn: 0,
    keepalivesIn: 0,
    notEspInUdp: 0,
    short: 0,
    sendErrors: 0,
  };
  private rx: (packet: Uint8Array) => void = () => {};
  private ike: ((msg: Uint8Array, from: NattEndpoint) => void) | undefined;
  private readonly local: Uint8Array;

  private constructor(
    private readonly sock: Socket,
    opts: NattSocketOptions,
  ) {
    this.ike = opts.onIke;
    const a = parseAddr(opts.bind.host);
    if (!a || a.every((x) => x === 0)) throw new RangeError('NattSocket needs a specific local address');
    this.local = a;
    sock.on('message', (msg, rinfo) => this.receive(new Uint8Array(msg.buffer, msg.byteOffset, msg.length), rinfo));
    sock.on('error', () => {
      this.stats.sendErrors++;
    });
  }

  /** Binds (default port 4500) and resolves when listening. */
  static async open(opts: NattSocketOptions): Promise<NattSocket> {
    const sock = createSocket({ type: opts.bind.host.includes(':') ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(opts.bind.port ?? NAT_T_PORT, opts.bind.host, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    try {
      return new NattSocket(sock, opts);
    } catch (e) {
      sock.close();
      throw e;
    }
  }

  /** The UDP port the host must treat as ESP-in-UDP (Host.addInterface picks this up). */
  get encapPort(): number {
    return this.sock.address().port;
  }

  address(): NattEndpoint {
    const a = this.sock.address();
    return { host: a.address, port: a.port };
  }

  onReceive(fn: (packet: Uint8Array) => void): void {
    this.rx = fn;
  }

  onIke(fn: (msg: Uint8Array, from: NattEndpoint) => void): void {
    this.ike = fn;
  }

  /**
   * Link.send: an ESP-in-UDP packet from the host (UDP source port = this socket's, payload = ESP with a
   * non-zero SPI); its UDP payload goes to (IP dst, UDP dport). Anything else cannot travel here: dropped.
   */
  send(packet: Uint8Array, nextHop: Uint8Array): void {
    void nextHop;
    const u = udpOf(packet);
    const esp =
      u !== undefined &&
      u.sport === this.encapPort &&
      u.end - u.dataOff >= ESP_MIN_BYTES &&
      (packet[u.dataOff]! | packet[u.dataOff + 1]! | packet[u.dataOff + 2]! | packet[u.dataOff + 3]!) !== 0;
    if (!esp) {
      this.stats.notEspInUdp++;
      return;
    }
    this.stats.espOut++;
    this.sock.send(packet.subarray(u.dataOff, u.end), u.dport, formatAddr(u.dst), (err) => {
      if (err) this.stats.sendErrors++;
    });
  }

  /** Sends an IKE message with the non-ESP marker in front (RFC 3948 §2.2). */
  sendIke(msg: Uint8Array, to: NattEndpoint): void {
    const d = new Uint8Array(NON_ESP_MARKER_BYTES + msg.length);
    d.set(msg, NON_ESP_MARKER_BYTES);
    this.stats.ikeOut++;
    this.sock.send(d, to.port, to.host, (err) => {
      if (err) this.stats.sendErrors++;
    });
  }

  /** Sends a NAT-keepalive (RFC 3948 §2.3). */
  sendKeepalive(to: NattEndpoint): void {
    this.sock.send(Uint8Array.of(NATT_KEEPALIVE_BYTE), to.port, to.host, (err) => {
      if (err) this.stats.sendErrors++;
    });
  }

  close(): void {
    try {
      this.sock.close();
    } catch {
      /* already closed */
    }
  }

  private receive(d: Uint8Array, rinfo: RemoteInfo): void {
    if (d.length === 1 && d[0] === NATT_KEEPALIVE_BYTE) {
      this.stats.keepalivesIn++;
      return;
    }
    if (d.length >= NON_ESP_MARKER_BYTES && (d[0]! | d[1]! | d[2]! | d[3]!) === 0) {
      this.stats.ikeIn++;
      this.ike?.(d.slice(NON_ESP_MARKER_BYTES), { host: rinfo.address, port: rinfo.port });
      return;
    }
    const src = parseAddr(rinfo.address);
    if (d.length < ESP_MIN_BYTES || !src || src.length !== this.local.length) {
      this.stats.short++;
      return;
    }
    this.stats.espIn++;
    this.rx(buildUdpPacket({ src, dst: this.local }, rinfo.port, this.encapPort, d));
  }
}

/** The header walk of the packet at hand (kernel/ip/walk.ts), reused: read right after walking, nothing kept. */
const walk = new IpWalk();

/** The UDP header of a whole IPv4/IPv6 packet, or undefined. */
function udpOf(
  p: Uint8Array,
): { dst: Uint8Array; sport: number; dport: number; dataOff: number; end: number } | undefined {
  if (!walkIp(p, walk) || walk.fragment || walk.proto !== IPPROTO_UDP) return undefined;
  const hl = walk.protoOff;
  if (hl + 8 > walk.end) return undefined;
  const ulen = (p[hl + 4]! << 8) | p[hl + 5]!;
  if (ulen < 8 || hl + ulen > walk.end) return undefined;
  const v6 = walk.version === 6;
  return {
    dst: v6 ? p.subarray(24, 40) : p.subarray(16, 20),
    sport: (p[hl]! << 8) | p[hl + 1]!,
    dport: (p[hl + 2]! << 8) | p[hl + 3]!,
    dataOff: hl + 8,
    end: hl + ulen,
  };
}
