// The in-process IPsec host (libuinet spirit: one isolated stack per object, the world injected): interfaces,
// longest-prefix routes, the IP input and output paths with the IPsec hooks of ipsec/output.ts and
// ipsec/input.ts, fragmentation and reassembly, ICMP/ICMPv6 echo, UDP sockets, forwarding, and the PF_KEY
// events (ACQUIRE, EXPIRE, SPD expiry) as plain listener callbacks. See docs/architecture.md for the flow.
import type { Clock } from '../../common/clock.js';
import { systemClock } from '../../common/clock.js';
import type { Rng } from '../../common/rng.js';
import { systemRng } from '../../common/rng.js';
import type { Logger } from '../../common/log.js';
import { nullLogger } from '../../common/log.js';
import { ParseError } from '../../common/bytes.js';
import { ErrnoError } from '../../common/errors.js';
import { formatAddr, parseAddr, parsePrefix, type Prefix } from '../../common/inet.js';
import type { Link } from '../link/link.js';
import { Interface } from './iface.js';
import { RouteTable } from './route.js';
import { Spd, type SocketPolicy, type SpdOptions, type ExpireReason as SpdExpireReason } from '../spd/spd.js';
import { Sad, type ExpireReason, type SadEvent } from '../sad/sad.js';
import type { Policy } from '../spd/policy.js';
import type { SecAssoc } from '../sad/secassoc.js';
import { Stats, NetCounters, type NetStatName } from '../stats.js';
import { AcquireTable, type AcquireOptions } from '../sad/acquire.js';
import { ipsecOutput, packetSelector, type AcquireEvent, type PacketSelector } from '../ipsec/output.js';
import {
  ipsecInputStep,
  ipcompUncompressedStep,
  inboundPolicyCheck,
  IPSEC_MAX_INPUT_DEPTH,
  type InputLayer,
} from '../ipsec/input.js';
import { UdpSocket, UdpTable, type UdpStack } from './socket.js';
import { ping, PingTable, type PingOptions, type PingReply, type PingStack } from './ping.js';
import { classifyUdpEncap, stripUdpEncap, NAT_T_PORT } from '../ipsec/udp-encap.js';
import { Reassembler, type ReassemblerOptions } from '../ip/reassembly.js';
import { fragmentIpv4, fragmentIpv6 } from '../ip/frag.js';
import { decodeIpPacket, buildIpPacket, buildUdpPacket, buildEchoRequestPacket, type IpSummary } from '../ip/packet.js';
import { decodeUdp } from '../ip/udp.js';
import { decodeIcmp, decodeIcmpv6, buildEchoReply } from '../ip/icmp.js';
import { setIpv4Checksum } from '../ip/ipv4.js';
import {
  IPPROTO_ESP,
  IPPROTO_AH,
  IPPROTO_IPCOMP,
  IPPROTO_UDP,
  IPPROTO_IPV4,
  IPPROTO_IPV6,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  ICMP_ECHO,
  ICMP_ECHOREPLY,
  ICMP6_ECHO_REQUEST,
  ICMP6_ECHO_REPLY,
  ICMP_HEADER_BYTES,
  UDP_HEADER_BYTES,
} from '../ip/constants.js';

/** Default TTL / hop limit of locally generated packets (BSD net.inet.ip.ttl). */
export const IP_DEFAULT_TTL = 64;

/** What the host tells its PF_KEY side (keysock) and tests. */
export type HostEvent =
  | AcquireEvent
  | { type: 'expire'; kind: 'soft'; sa: SecAssoc; reason: ExpireReason; used: boolean }
  | { type: 'expire'; kind: 'hard'; sa: SecAssoc; reason: ExpireReason }
  | { type: 'larval-expired'; sa: SecAssoc }
  | { type: 'spd-expire'; policy: Policy; reason: SpdExpireReason };

export interface HostOptions {
  name: string;
  clock?: Clock;
  rng?: Rng;
  log?: Logger;
  /** Forward packets not addressed to this host (net.inet.ip.forwarding). */
  forwarding?: boolean;
  spd?: Omit<SpdOptions, 'clock'>;
  /** KAME net.key.preferred_oldsa. */
  preferOldSa?: boolean;
  reassembly?: Omit<ReassemblerOptions, 'clock'>;
  acquire?: AcquireOptions;
  /** UDP ports that carry ESP-in-UDP (RFC 3948); default [4500]. */
  nattPorts?: number[];
  /**
   * TUN mode (uipsecd --tun, kernel/daemon/tun-mode.ts): where a packet that arrived through IPsec goes when
   * this host has no consumer for it (TCP, a UDP port no host socket holds, ICMP the host does not answer
   * itself, or a destination beyond the host): the machine's kernel, which delivers or forwards it. Called
   * after the inbound policy check; returns false if it could not take the packet.
   */
  upperDelivery?: (packet: Uint8Array) => boolean;
}

/** The ipstat/ip6stat counter for a header the decoder refused (by the ParseError field). */
function headerDropName(v6: boolean, e: ParseError): NetStatName {
  const f = e.field;
  if (!v6 && f.endsWith('checksum')) return 'ips_badsum'; // IPv6 has no header checksum
  if (f.endsWith('.header') || e.message.startsWith('truncated') || e.message === 'empty packet')
    return v6 ? 'ip6s_tooshort' : 'ips_tooshort';
  if (f.endsWith('version')) return v6 ? 'ip6s_badvers' : 'ips_badvers';
  if (!v6 && f.endsWith('ihl')) return 'ips_badhlen';
  if (f.endsWith('Length')) return v6 ? 'ip6s_badlen' : 'ips_badlen';
  return v6 ? 'ip6s_badoptions' : 'ips_badoptions';
}

/**
 * A plain Uint8Array over the same bytes. Node Buffers (zlib and ESP output make them) have a `slice` that
 * returns a view, not a copy; decoders and transforms that copy with `slice` and then write must never write
 * into the packet by accident. No bytes are copied here.
 */
function plainView(p: Uint8Array): Uint8Array {
  return Buffer.isBuffer(p) ? new Uint8Array(p.buffer, p.byteOffset, p.length) : p;
}

function toAddr(a: string | Uint8Array): Uint8Array {
  if (typeof a !== 'string') return a;
  const r = parseAddr(a);
  if (!r) throw new ErrnoError('EINVAL', `bad address "${a.slice(0, 64)}"`);
  return r;
}

/** One isolated IP/IPsec stack (KAME kernel instance). Nothing here is global. */
export class Host implements UdpStack, PingStack {
  readonly name: string;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly log: Logger;
  readonly spd: Spd;
  readonly sad: Sad;
  /** IPsec counters (espstat, ahstat, ipcompstat, ipsecstat). */
  readonly stats = new Stats();
  /** IP, UDP and ICMP counters. */
  readonly netstat = new NetCounters();
  readonly routes = new RouteTable();
  readonly reassembler: Reassembler;
  readonly acquires: AcquireTable;
  readonly udpTable = new UdpTable();
  readonly pings = new PingTable();
  readonly encapPorts: Set<number>;
  forwarding: boolean;
  private readonly upper: ((packet: Uint8Array) => boolean) | undefined;
  private readonly ifaces = new Map<string, Interface>();
  private readonly listeners = new Set<(ev: HostEvent) => void>();
  private readonly unsubSpd: () => void;
  private ipId: number;
  private closed = false;

  constructor(opts: HostOptions) {
    this.name = opts.name;
    this.clock = opts.clock ?? systemClock;
    this.rng = opts.rng ?? systemRng;
    this.log = opts.log ?? nullLogger;
    this.forwarding = opts.forwarding ?? false;
    this.upper = opts.upperDelivery;
    this.spd = new Spd({ ...opts.spd, clock: this.clock });
    this.sad = new Sad({
      clock: this.clock,
      rng: this.rng,
      preferOld: opts.preferOldSa,
      listener: (ev) => this.onSad(ev),
    });
    this.reassembler = new Reassembler({ ...opts.reassembly, clock: this.clock });
    this.acquires = new AcquireTable(opts.acquire);
    this.encapPorts = new Set(opts.nattPorts ?? [NAT_T_PORT]);
    this.unsubSpd = this.spd.onExpire((policy, reason) => this.emit({ type: 'spd-expire', policy, reason }));
    const b = new Uint8Array(2);
    this.rng.fill(b);
    this.ipId = (b[0]! << 8) | b[1]!;
  }

  // --- configuration ---

  /** Adds an interface on `link` with addresses `addr/len`; their connected routes are added too. */
  addInterface(name: string, link: Link, addrs: readonly string[] = []): Interface {
    if (this.ifaces.has(name)) throw new ErrnoError('EEXIST', `interface ${name} exists`);
    const ifc = new Interface(name, link);
    for (const a of addrs) {
      const ia = ifc.addAddress(a);
      this.routes.add({ prefix: ia.prefix, ifname: name, metric: 0 });
    }
    this.ifaces.set(name, ifc);
    // A NAT-T socket link (link/natt-socket.ts) names the UDP port whose datagrams are ESP-in-UDP.
    const encap = (link as { encapPort?: unknown }).encapPort;
    if (typeof encap === 'number') this.encapPorts.add(encap);
    link.onReceive((p) => this.input(p, name));
    return ifc;
  }

  interface(name: string): Interface | undefined {
    return this.ifaces.get(name);
  }
  interfaces(): Interface[] {
    return [...this.ifaces.values()];
  }

  /** `route add prefix [gateway] -interface ifname`. */
  addRoute(prefix: string | Prefix, ifname: string, gateway?: string | Uint8Array, metric = 1): void {
    const p = typeof prefix === 'string' ? parsePrefix(prefix) : prefix;
    if (!p) throw new ErrnoError('EINVAL', `bad prefix "${String(prefix).slice(0, 64)}"`);
    if (!this.ifaces.has(ifname)) throw new ErrnoError('ENXIO', `no interface ${ifname}`);
    const gw = gateway === undefined ? undefined : toAddr(gateway);
    if (gw && gw.length !== p.addr.length) throw new ErrnoError('EINVAL', 'gateway family differs from the prefix');
    this.routes.add({ prefix: p, ifname, gateway: gw, metric });
  }

  /** A UDP port that carries ESP-in-UDP (the UDP_ENCAP socket option's effect). */
  addEncapPort(port: number): void {
    this.encapPorts.add(port);
  }

  isLocal(addr: Uint8Array): boolean {
    for (const i of this.ifaces.values()) if (i.has(addr)) return true;
    return false;
  }

  /** Source address for traffic to `dst`: the one on the outgoing interface. */
  sourceFor(dst: Uint8Array): Uint8Array | undefined {
    if (this.isLocal(dst)) return dst;
    const r = this.routes.lookup(dst);
    if (!r) return undefined;
    return this.ifaces.get(r.ifname)?.sourceFor(r.gateway ?? dst);
  }

  // --- events ---

  /** Subscribes to ACQUIRE/EXPIRE/SPD-expiry events; returns the unsubscribe function. */
  onEvent(fn: (ev: HostEvent) => void): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }

  /** GETSPI with seq = an ACQUIRE's seq, or the key manager's ACQUIRE failure: hold off re-ACQUIRE (KAME). */
  acquireRefresh(seq: number): boolean {
    return this.acquires.refresh(seq, this.clock.now());
  }

  private emit(ev: HostEvent): void {
    for (const fn of [...this.listeners]) fn(ev);
  }

  private onSad(ev: SadEvent): void {
    if (ev.type === 'larval-expired') this.emit({ type: 'larval-expired', sa: ev.sa });
    else if (ev.type === 'soft')
      this.emit({ type: 'expire', kind: 'soft', sa: ev.sa, reason: ev.reason, used: ev.used });
    else this.emit({ type: 'expire', kind: 'hard', sa: ev.sa, reason: ev.reason });
  }

  // --- output ---

  /**
   * Sends a locally built IP packet (or a forwarded one): SPD lookup with the socket's policy first, then
   * discard / bypass / the IPsec bundle, then routing and fragmentation. False if it was dropped (counted).
   */
  output(packet: Uint8Array, sock?: SocketPolicy): boolean {
    if (this.closed) return false;
    const sel = packetSelector(packet);
    if (!sel) {
      this.netstat.bump('ips_odropped');
      return false;
    }
    const res = this.spd.resolvePolicy(sock, 'out', sel.src, sel.dst, sel.proto, sel.sport, sel.dport);
    if (res.action === 'discard') {
      this.stats.bump('ips_out_polvio');
      return false;
    }
    let pkt = packet;
    if (res.action === 'ipsec') {
      const v = ipsecOutput(this, packet, sel, res);
      if (!v.ok) {
        this.stats.bump(v.reason);
        this.log.log('debug', `${this.name}: output drop ${v.reason} ${v.detail ?? ''}`);
        return false;
      }
      pkt = v.packet;
    }
    return this.transmit(pkt);
  }

  /** emitAcquire for ipsec/output.ts. */
  emitAcquire(ev: AcquireEvent): void {
    this.emit(ev);
  }

  /** Routes and fragments one finished packet onto its interface, or loops it back when it is for us. */
  private transmit(pkt: Uint8Array): boolean {
    const v6 = pkt[0]! >> 4 === 6;
    const dst = v6 ? pkt.subarray(24, 40) : pkt.subarray(16, 20);
    if (this.isLocal(dst)) {
      const copy = pkt.slice();
      queueMicrotask(() => this.ipInput(copy, [], 0));
      return true;
    }
    const route = this.routes.lookup(dst);
    const ifc = route && this.ifaces.get(route.ifname);
    if (!route || !ifc) {
      this.netstat.bump(v6 ? 'ip6s_noroute' : 'ips_noroute');
      return false;
    }
    const nextHop = route.gateway ?? new Uint8Array(dst);
    const mtu = ifc.mtu;
    if (pkt.length <= mtu) {
      ifc.link.send(pkt, nextHop);
      return true;
    }
    let frags;
    try {
      frags = v6 ? fragmentIpv6(pkt, mtu, this.fragId()) : fragmentIpv4(pkt, mtu);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      this.netstat.bump(v6 ? 'ip6s_odropped' : 'ips_odropped');
      return false;
    }
    if (!frags.ok) {
      this.netstat.bump(v6 ? 'ip6s_cantfrag' : 'ips_cantfrag');
      return false;
    }
    this.netstat.bump(v6 ? 'ip6s_fragmented' : 'ips_fragmented');
    this.netstat.bump(v6 ? 'ip6s_ofragments' : 'ips_ofragments', frags.fragments.length);
    for (const f of frags.fragments) ifc.link.send(f, nextHop);
    return true;
  }

  private fragId(): number {
    const b = new Uint8Array(4);
    this.rng.fill(b);
    return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  }

  private nextIpId(): number {
    this.ipId = (this.ipId + 1) & 0xffff;
    return this.ipId;
  }

  /** Builds and sends an IP packet from this host; `src` defaults to the outgoing interface's address. */
  sendIp(dst: Uint8Array, protocol: number, payload: Uint8Array, sock?: SocketPolicy, src?: Uint8Array): boolean {
    const s = src ?? this.sourceFor(dst);
    if (!s) {
      this.netstat.bump(dst.length === 16 ? 'ip6s_noroute' : 'ips_noroute');
      return false;
    }
    this.netstat.bump(dst.length === 16 ? 'ip6s_localout' : 'ips_localout');
    return this.output(
      buildIpPacket({ src: s, dst, ttl: IP_DEFAULT_TTL, id: this.nextIpId() }, protocol, payload),
      sock,
    );
  }

  // --- input ---

  /** A packet from a link (or a test). Never throws on bad input: every refusal is a counted drop. */
  input(packet: Uint8Array, ifname = ''): void {
    if (this.closed) return;
    void ifname;
    this.ipInput(plainView(packet), [], 0);
  }

  private ipInput(pkt: Uint8Array, history: InputLayer[], depth: number): void {
    const v6 = pkt.length > 0 && pkt[0]! >> 4 === 6;
    this.netstat.bump(v6 ? 'ip6s_total' : 'ips_total');
    if (depth > IPSEC_MAX_INPUT_DEPTH) {
      this.stats.bump('ips_in_inval');
      return;
    }
    let sum: IpSummary;
    try {
      sum = decodeIpPacket(pkt);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      this.netstat.bump(headerDropName(v6, e));
      return;
    }
    if (sum.isFragment || sum.ipv6?.fragment) {
      const r = this.reassembler.input(pkt);
      if (r.kind === 'held') {
        this.netstat.bump(v6 ? 'ip6s_fragments' : 'ips_fragments');
        return;
      }
      if (r.kind === 'dropped') {
        this.netstat.bump(v6 ? 'ip6s_fragdropped' : 'ips_fragdropped');
        return;
      }
      if (r.kind === 'complete') {
        this.netstat.bump(v6 ? 'ip6s_reassembled' : 'ips_reassembled');
        this.ipInput(r.packet, history, depth);
        return;
      }
    }
    if (!this.isLocal(sum.dst)) {
      if (this.upper && history.length > 0) this.forwardUp(pkt, sum, history);
      else this.forward(pkt, sum, history);
      return;
    }
    this.localInput(pkt, sum, history, depth);
  }

  private localInput(pkt: Uint8Array, sum: IpSummary, history: InputLayer[], depth: number): void {
    const p = sum.protocol;
    if (p === IPPROTO_ESP || p === IPPROTO_AH || p === IPPROTO_IPCOMP) {
      const step = ipsecInputStep(this, pkt, p, sum.payloadOffset, sum.dst);
      if (!step.ok) {
        this.stats.bump(step.reason);
        return;
      }
      this.ipInput(plainView(step.packet), [...history, step.layer], depth + 1);
      return;
    }
    if (p === IPPROTO_IPV4 || p === IPPROTO_IPV6) {
      const step = ipcompUncompressedStep(this, pkt, p, sum.payloadOffset, sum.end, sum.src, sum.dst);
      if (step?.ok) {
        this.ipInput(step.packet, [...history, step.layer], depth + 1);
        return;
      }
      if (step) {
        this.stats.bump(step.reason);
        return;
      }
    }
    if (p === IPPROTO_UDP) {
      this.udpInput(pkt, sum, history, depth);
      return;
    }
    if (p === IPPROTO_ICMP || p === IPPROTO_ICMPV6) {
      this.icmpInput(pkt, sum, history);
      return;
    }
    const sel = packetSelector(pkt);
    if (sel && this.policyReject(sel, history)) return;
    if (this.deliverUp(pkt, sum, history)) return;
    this.netstat.bump(sum.family === 6 ? 'ip6s_noproto' : 'ips_noproto');
  }

  /** TUN mode: hands a packet that came through IPsec (policy already checked) to the machine's kernel. */
  private deliverUp(pkt: Uint8Array, sum: IpSummary, history: InputLayer[]): boolean {
    if (!this.upper || history.length === 0) return false;
    if (!this.upper(pkt.subarray(0, sum.end))) {
      this.netstat.bump(sum.family === 6 ? 'ip6s_upper_drop' : 'ips_upper_drop');
      return true;
    }
    this.netstat.bump(sum.family === 6 ? 'ip6s_upper' : 'ips_upper');
    return true;
  }

  /** TUN mode: a decapsulated packet for beyond this host (gateway): the fwd policy check, then the kernel forwards. */
  private forwardUp(pkt: Uint8Array, sum: IpSummary, history: InputLayer[]): void {
    const sel = packetSelector(pkt);
    if (!sel || this.policyReject(sel, history, undefined, 'fwd')) return;
    this.deliverUp(pkt, sum, history);
  }

  /** The inbound policy check; true (and counted) when the packet must be dropped. */
  private policyReject(
    sel: PacketSelector,
    history: InputLayer[],
    sock?: SocketPolicy,
    dir: 'in' | 'fwd' = 'in',
  ): boolean {
    const why = inboundPolicyCheck(this.spd, sock, dir, sel, history);
    if (why === undefined) {
      if (history.length) this.stats.bump('ips_in_success');
      return false;
    }
    this.stats.bump(why);
    this.log.log(
      'debug',
      `${this.name}: inbound policy violation ${formatAddr(sel.src)} -> ${formatAddr(sel.dst)} proto ${sel.proto}`,
    );
    return true;
  }

  private udpInput(pkt: Uint8Array, sum: IpSummary, history: InputLayer[], depth: number): void {
    let sport: number, dport: number, len: number;
    try {
      const { value } = decodeUdp(pkt, sum.payloadOffset, sum.end, { src: sum.src, dst: sum.dst });
      sport = value.srcPort;
      dport = value.dstPort;
      len = value.length;
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      this.netstat.bump(
        e.field === 'udp.checksum' ? 'udps_badsum' : e.field === 'udp.length' ? 'udps_badlen' : 'udps_hdrops',
      );
      return;
    }
    if (this.encapPorts.has(dport)) {
      const k = classifyUdpEncap(pkt);
      if (k.kind === 'keepalive') {
        this.netstat.bump('udps_natt_keepalive');
        return;
      }
      if (k.kind === 'drop') {
        if (k.reason === 'esps_hdrops') this.stats.bump(k.reason);
        else this.netstat.bump(k.reason);
        return;
      }
      if (k.kind === 'esp') {
        const s = stripUdpEncap(pkt);
        if (!s) {
          this.stats.bump('esps_hdrops');
          return;
        }
        const step = ipsecInputStep(this, s.packet, IPPROTO_ESP, s.espOffset, sum.dst, true);
        if (!step.ok) {
          this.stats.bump(step.reason);
          return;
        }
        this.ipInput(plainView(step.packet), [...history, step.layer], depth + 1);
        return;
      }
      // Non-ESP marker: IKE, delivered to the socket bound on the port, marker included (as racoon reads it).
    }
    const sock = this.udpTable.lookup(sum.dst, dport);
    const sel: PacketSelector = { src: sum.src, dst: sum.dst, proto: IPPROTO_UDP, sport, dport };
    if (!sock) {
      if (this.upper && history.length > 0 && !this.policyReject(sel, history) && this.deliverUp(pkt, sum, history))
        return;
      this.netstat.bump('udps_noport');
      return;
    }
    if (this.policyReject(sel, history, sock.policy)) return;
    this.netstat.bump('udps_ipackets');
    // A plain Uint8Array copy: transforms may hand us a Node Buffer, and the socket owns what it gets.
    const data = new Uint8Array(len - UDP_HEADER_BYTES);
    data.set(pkt.subarray(sum.payloadOffset + UDP_HEADER_BYTES, sum.payloadOffset + len));
    sock.deliver(data, { address: sum.src, port: sport, local: sum.dst, layers: history });
  }

  private icmpInput(pkt: Uint8Array, sum: IpSummary, history: InputLayer[]): void {
    const v6 = sum.family === 6;
    let type: number, id: number, seq: number;
    try {
      const h = v6
        ? decodeIcmpv6(pkt, sum.payloadOffset, sum.end, { src: sum.src, dst: sum.dst }).value
        : decodeIcmp(pkt, sum.payloadOffset, sum.end).value;
      ({ type, id, seq } = h);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      this.netstat.bump(v6 ? 'icp6s_badsum' : 'icps_checksum');
      return;
    }
    const sel = packetSelector(pkt);
    if (!sel || this.policyReject(sel, history)) return;
    if (type === (v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO)) {
      // TUN mode: the machine answers its own echo requests (the reply comes back through the TUN).
      if (!this.deliverUp(pkt, sum, history)) this.answerEcho(pkt, sum);
      return;
    }
    if (type === (v6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY)) {
      const ttl = v6 ? pkt[7]! : pkt[8]!;
      const data = pkt.subarray(sum.payloadOffset + ICMP_HEADER_BYTES, sum.end);
      if (!this.pings.dispatch(id, seq, sum.src, ttl, sum.end - sum.payloadOffset, data))
        if (!this.deliverUp(pkt, sum, history)) this.netstat.bump('icps_noping');
      return;
    }
    if (this.deliverUp(pkt, sum, history)) return;
    this.netstat.bump(v6 ? 'icp6s_unhandled' : 'icps_unhandled');
  }

  /** RFC 792 / RFC 4443 §4.2: reply from the address the request was sent to. */
  private answerEcho(pkt: Uint8Array, sum: IpSummary): void {
    const v6 = sum.family === 6;
    const ip = { src: sum.dst, dst: sum.src };
    const reply = buildEchoReply(pkt, sum.payloadOffset, sum.end, v6 ? ip : undefined);
    this.netstat.bump(v6 ? 'icp6s_reflect' : 'icps_reflect');
    this.sendIp(sum.src, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP, reply, undefined, new Uint8Array(sum.dst));
  }

  /** ip_forward: TTL, the inbound (fwd) policy check, then the output path with the outbound policy. */
  private forward(pkt: Uint8Array, sum: IpSummary, history: InputLayer[]): void {
    const v6 = sum.family === 6;
    if (!this.forwarding) {
      this.netstat.bump(v6 ? 'ip6s_cantforward' : 'ips_cantforward');
      return;
    }
    const ttlAt = v6 ? 7 : 8;
    if (pkt[ttlAt]! <= 1) {
      this.netstat.bump(v6 ? 'ip6s_timeexceed' : 'ips_timeexceed');
      return;
    }
    const sel = packetSelector(pkt);
    if (!sel || this.policyReject(sel, history, undefined, 'fwd')) return;
    const out = pkt.slice(0, sum.end);
    out[ttlAt] = out[ttlAt]! - 1;
    if (!v6) setIpv4Checksum(out, 0);
    this.netstat.bump(v6 ? 'ip6s_forward' : 'ips_forward');
    this.output(out);
  }

  // --- sockets and ping ---

  udpSocket(): UdpSocket {
    return new UdpSocket(this);
  }

  /** UdpStack: builds the datagram from the socket's address (or the route's) and sends it. */
  udpSend(sock: UdpSocket, data: Uint8Array, dst: Uint8Array, dport: number): boolean {
    const src = sock.localAddr ?? this.sourceFor(dst);
    if (!src || src.length !== dst.length) {
      this.netstat.bump('udps_noroute');
      return false;
    }
    this.netstat.bump('udps_opackets');
    const pkt = buildUdpPacket({ src, dst, ttl: IP_DEFAULT_TTL, id: this.nextIpId() }, sock.localPort, dport, data);
    return this.output(pkt, sock.policy);
  }

  /** PingStack: one echo request to dst. */
  sendEchoRequest(dst: Uint8Array, id: number, seq: number, data: Uint8Array): boolean {
    const src = this.sourceFor(dst);
    if (!src) {
      this.netstat.bump(dst.length === 16 ? 'ip6s_noroute' : 'ips_noroute');
      return false;
    }
    return this.output(buildEchoRequestPacket({ src, dst, ttl: IP_DEFAULT_TTL, id: this.nextIpId() }, id, seq, data));
  }

  /** ping(8): resolves with the replies (see kernel/host/ping.ts). */
  ping(dst: string | Uint8Array, opts?: PingOptions): Promise<PingReply[]> {
    return ping(this, toAddr(dst), opts);
  }

  /** Stops timers and links; the host drops everything afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sad.close();
    this.unsubSpd();
    for (const i of this.ifaces.values()) i.link.close();
    this.listeners.clear();
  }
}
