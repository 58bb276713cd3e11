// The wire side of a TUN-mode host (uipsecd --tun): the machine's own network, reached through marked
// sockets. Outgoing packets of the host are sorted by what they carry: UDP from a port we hold (IKE on 500,
// IKE and ESP-in-UDP on 4500, RFC 3948) leaves from that real UDP socket; everything else — ESP (50), AH
// (51), IPComp (108), and any cleartext the SPD lets through — leaves whole through a raw socket with our own
// IP header (IP_HDRINCL / IPV6_HDRINCL). Incoming ESP/AH/IPComp arrive on raw sockets (IPv4 with its header;
// IPv6 without, so its header is rebuilt from the socket's address and the sender's), incoming UDP on the
// real sockets becomes an IP/UDP packet again; all of it goes up the host's input path.
import type { Link } from './link.js';
import { addrEqual, formatAddr } from '../../common/inet.js';
import { receivedUdpPacket } from '../ip/packet.js';
import { allocPacket, copyPacket } from '../ip/packet-pool.js';
import {
  IPPROTO_ESP,
  IPPROTO_AH,
  IPPROTO_IPCOMP,
  IPPROTO_UDP,
  IPV4_MIN_HEADER_BYTES,
  IPV6_HEADER_BYTES,
} from '../ip/constants.js';
import { openRawSocket, openUdpSocket, sendTo, closeFd, sockaddr } from '../os/sockets.js';
import type { IoLoopSource } from '../os/io-loop.js';
import type { TxQueue } from '../os/tx-queue.js';

/** Linux ENOBUFS: what a full send queue counts as. */
const ENOBUFS = 105;

/** The IP protocols a host in TUN mode receives from the wire through raw sockets. */
export const WIRE_PROTOCOLS = [IPPROTO_ESP, IPPROTO_AH, IPPROTO_IPCOMP] as const;
/** UDP ports held on every wire address: IKE (RFC 2409) and NAT-T / ESP-in-UDP (RFC 3947, RFC 3948). */
export const WIRE_UDP_PORTS = [500, 4500] as const;
/** Hop limit put in a rebuilt IPv6 header (the real one is not delivered; AH treats it as mutable). */
const REBUILT_HOP_LIMIT = 64;

export interface OsWireOptions {
  /** The machine's addresses the host answers on (UDP sockets bound to each; IPv6 raw sockets too). */
  addresses: Uint8Array[];
  /** SO_MARK on every socket (policy routing keeps them out of the TUN). */
  mark: number;
  /** Largest packet on the machine's wire (the host fragments ESP beyond it). */
  mtu: number;
  udpPorts?: readonly number[];
  /** The send worker; without it every packet is one sendto(2) from the caller's thread. */
  tx?: TxQueue;
}

interface UdpSock {
  fd: number;
  addr: Uint8Array;
  port: number;
}

export class OsWireLink implements Link {
  readonly mtu: number;
  readonly stats = {
    rawOut: 0,
    udpOut: 0,
    rawIn: 0,
    udpIn: 0,
    sendErrors: 0,
    lastSendErrno: 0,
    malformedOut: 0,
  };
  private rx: (packet: Uint8Array) => void = () => {};
  private readonly raw4: number[] = [];
  private readonly raw6: { fd: number; addr: Uint8Array; proto: number }[] = [];
  private readonly udp: UdpSock[] = [];
  private closed = false;

  private constructor(readonly opts: OsWireOptions) {
    this.mtu = opts.mtu;
  }

  /** Opens every socket; throws (closing what was opened) with a message naming what is missing. */
  static open(opts: OsWireOptions): OsWireLink {
    const w = new OsWireLink(opts);
    try {
      const v4 = opts.addresses.some((a) => a.length === 4);
      if (v4) for (const p of WIRE_PROTOCOLS) w.raw4.push(openRawSocket(4, p, opts.mark));
      for (const a of opts.addresses.filter((x) => x.length === 16))
        for (const p of WIRE_PROTOCOLS) w.raw6.push({ fd: openRawSocket(6, p, opts.mark, a), addr: a, proto: p });
      for (const a of opts.addresses)
        for (const port of opts.udpPorts ?? WIRE_UDP_PORTS)
          w.udp.push({ fd: openUdpSocket(a, port, opts.mark), addr: a, port });
    } catch (e) {
      w.close();
      throw e;
    }
    return w;
  }

  /** The fds the I/O loop reads, with their handlers. */
  sources(): IoLoopSource[] {
    const max = 65535;
    return [
      ...this.raw4.map((fd) => ({ fd, dgram: false, maxLen: max, handler: (p: Uint8Array) => this.rawIn(p) })),
      ...this.raw6.map((s) => ({
        fd: s.fd,
        dgram: true,
        maxLen: max,
        handler: (p: Uint8Array, peer?: { addr: Uint8Array }) => this.raw6In(p, s.addr, s.proto, peer?.addr),
      })),
      ...this.udp.map((s) => ({
        fd: s.fd,
        dgram: true,
        maxLen: max,
        handler: (p: Uint8Array, peer?: { addr: Uint8Array; port: number }) => this.udpIn(p, s, peer),
      })),
    ];
  }

  /** Where the sockets are, for status and logs. */
  describe(): string {
    const addrs = this.opts.addresses.map(formatAddr).join(' ');
    return `raw ESP/AH/IPComp and UDP ${(this.opts.udpPorts ?? WIRE_UDP_PORTS).join('/')} on ${addrs} (mark 0x${this.opts.mark.toString(16)})`;
  }

  onReceive(fn: (packet: Uint8Array) => void): void {
    this.rx = fn;
  }

  send(packet: Uint8Array, nextHop: Uint8Array): void {
    void nextHop;
    if (this.closed) return;
    const h = headerOf(packet);
    if (!h) {
      this.stats.malformedOut++;
      return;
    }
    if (h.proto === IPPROTO_UDP && this.sendUdp(packet, h)) return;
    const fd = h.v6 ? this.raw6[0]?.fd : this.raw4[0];
    if (fd === undefined) {
      this.stats.sendErrors++;
      return;
    }
    this.sendOne(fd, packet, h.dst, 0, 'raw');
  }

  /** UDP from a port we hold leaves from that socket (payload only); false when it is not ours. */
  private sendUdp(p: Uint8Array, h: Header): boolean {
    if (p.length < h.off + 8 || h.fragment) return false;
    const sport = (p[h.off]! << 8) | p[h.off + 1]!;
    const dport = (p[h.off + 2]! << 8) | p[h.off + 3]!;
    const ulen = (p[h.off + 4]! << 8) | p[h.off + 5]!;
    if (ulen < 8 || h.off + ulen > p.length) return false;
    const s =
      this.udp.find((u) => u.port === sport && addrEqual(u.addr, h.src)) ??
      this.udp.find((u) => u.port === sport && u.addr.length === h.src.length);
    if (!s) return false;
    this.sendOne(s.fd, p.subarray(h.off + 8, h.off + ulen), h.dst, dport, 'udp');
    return true;
  }

  /** Through the send worker when there is one (a refusal is a full queue), else one sendto(2) here. */
  private sendOne(fd: number, data: Uint8Array, addr: Uint8Array, port: number, kind: 'raw' | 'udp'): void {
    const tx = this.opts.tx;
    if (!tx) this.count(sendTo(fd, data, sockaddr(addr, port)), kind);
    else this.count(tx.sendTo(fd, data, addr, port) ? 0 : ENOBUFS, kind);
  }

  private count(errno: number, kind: 'raw' | 'udp'): void {
    if (errno === 0) {
      if (kind === 'raw') this.stats.rawOut++;
      else this.stats.udpOut++;
      return;
    }
    this.stats.sendErrors++;
    this.stats.lastSendErrno = errno;
  }

  private rawIn(view: Uint8Array): void {
    if (this.closed || view.length < IPV4_MIN_HEADER_BYTES) return;
    this.stats.rawIn++;
    this.rx(copyPacket(view));
  }

  /** RFC 8200 §3: the IPv6 header the raw socket did not deliver, rebuilt (no extension headers). */
  private raw6In(payload: Uint8Array, dst: Uint8Array, proto: number, src: Uint8Array | undefined): void {
    if (this.closed || !src || src.length !== 16 || payload.length > 0xffff) return;
    const p = allocPacket(IPV6_HEADER_BYTES + payload.length);
    p[0] = 0x60;
    p[4] = payload.length >> 8;
    p[5] = payload.length & 0xff;
    p[6] = proto;
    p[7] = REBUILT_HOP_LIMIT;
    p.set(src, 8);
    p.set(dst, 24);
    p.set(payload, IPV6_HEADER_BYTES);
    this.stats.rawIn++;
    this.rx(p);
  }

  private udpIn(payload: Uint8Array, s: UdpSock, peer: { addr: Uint8Array; port: number } | undefined): void {
    if (this.closed || !peer || peer.addr.length !== s.addr.length) return;
    const p = receivedUdpPacket({ src: peer.addr, dst: s.addr }, peer.port, s.port, payload);
    if (!p) return;
    this.stats.udpIn++;
    this.rx(p);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const fd of this.raw4) closeFd(fd);
    for (const s of this.raw6) closeFd(s.fd);
    for (const s of this.udp) closeFd(s.fd);
  }
}

interface Header {
  v6: boolean;
  src: Uint8Array;
  dst: Uint8Array;
  proto: number;
  off: number;
  fragment: boolean;
}

/** The fields the sorting needs (an IPv6 header with extension headers is sent raw, as it is). */
function headerOf(p: Uint8Array): Header | undefined {
  if (p.length < IPV4_MIN_HEADER_BYTES) return undefined;
  const v = p[0]! >> 4;
  if (v === 4) {
    const hl = (p[0]! & 0x0f) << 2;
    if (hl < IPV4_MIN_HEADER_BYTES || p.length < hl) return undefined;
    const frag = (((p[6]! << 8) | p[7]!) & 0x3fff) !== 0;
    return { v6: false, src: p.subarray(12, 16), dst: p.subarray(16, 20), proto: p[9]!, off: hl, fragment: frag };
  }
  if (v === 6 && p.length >= IPV6_HEADER_BYTES)
    return {
      v6: true,
      src: p.subarray(8, 24),
      dst: p.subarray(24, 40),
      proto: p[6]!,
      off: IPV6_HEADER_BYTES,
      fragment: false,
    };
  return undefined;
}
