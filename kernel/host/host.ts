// The in-process IPsec host (libuinet spirit: one isolated stack per object, the world injected): the
// composition of interfaces, longest-prefix routes, SPD, SAD, counters and sockets; the IP output path with
// the IPsec hook of ipsec/output.ts, then routing and fragmentation; the input path (ip-input.ts: reassembly,
// ipsec/input.ts, delivery, forwarding); and the PF_KEY events (ACQUIRE, EXPIRE, SPD expiry) as plain
// listener callbacks. Extensions (kernel/ext/, docs/extensions.md) hook in at a few points, each behind one
// count check. See docs/architecture.md for the flow.
import { systemClock, type Clock } from '../../common/clock.js';
import { systemRng, type Rng } from '../../common/rng.js';
import { nullLogger, type Logger } from '../../common/log.js';
import { ErrnoError } from '../../common/errors.js';
import { parseAddr, parsePrefix, type Prefix } from '../../common/inet.js';
import type { Link } from '../link/link.js';
import { Interface } from './iface.js';
import { RouteTable } from './route.js';
import { Spd, type SocketPolicy } from '../spd/spd.js';
import { Sad, type SadEvent } from '../sad/sad.js';
import { Stats, NetCounters } from '../stats.js';
import { AcquireTable } from '../sad/acquire.js';
import { ipsecOutput, packetSelector, type AcquireEvent } from '../ipsec/output.js';
import { IpInput } from './ip-input.js';
import type { HostEvent, HostOptions } from './host-options.js';
import { UdpSocket, UdpTable, type UdpStack } from './socket.js';
import { ping, PingTable, type PingOptions, type PingReply, type PingStack } from './ping.js';
import { NAT_T_PORT } from '../ipsec/udp-encap.js';
import { Reassembler } from '../ip/reassembly.js';
import { fragmentOut } from './fragment-out.js';
import { buildIpPacket, buildUdpPacket, buildEchoRequestPacket } from '../ip/packet.js';
import { Extensions, type ExtStack } from '../ext/extension.js';
import type { IpFilterRef, ResolvedRoute } from '../ext/ip-filter.js';
import { runIfFilters } from '../ext/iface-filter.js';
import { KernEventBus } from '../ext/events.js';
import { feedInterface, postHostEvent, postPolicyChange, postSaChange } from '../ext/events-feed.js';
import { ControlRegistry } from '../ext/control.js';

/** Default TTL / hop limit of locally generated packets (BSD net.inet.ip.ttl). */
export const IP_DEFAULT_TTL = 64;

export type { HostEvent, HostOptions } from './host-options.js';

function toAddr(a: string | Uint8Array): Uint8Array {
  if (typeof a !== 'string') return a;
  const r = parseAddr(a);
  if (!r) throw new ErrnoError('EINVAL', `bad address "${a.slice(0, 64)}"`);
  return r;
}

/** One isolated IP/IPsec stack (KAME kernel instance). Nothing here is global. */
export class Host implements UdpStack, PingStack, ExtStack {
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
  /** Kernel events (kernel/ext/events.ts): interface, address, SA, policy and ACQUIRE events by class. */
  readonly kernEvents: KernEventBus;
  /** Kernel controls (kernel/ext/control.ts): named endpoints that uipsecd's clients connect to. */
  readonly controls: ControlRegistry;
  /** Loaded extensions (NKE-style filters, protocol handlers) and their counters: kernel/ext/extension.ts. */
  readonly extensions: Extensions;
  /** TUN mode's hand-off to the machine's kernel (HostOptions.upperDelivery), used by the input path. */
  readonly upperDelivery: ((packet: Uint8Array) => boolean) | undefined;
  private readonly ifaces = new Map<string, Interface>();
  private readonly listeners = new Set<(ev: HostEvent) => void>();
  private readonly unsubSpd: () => void;
  private readonly ipInput: IpInput;
  private ipId: number;
  private closed = false;

  constructor(opts: HostOptions) {
    this.name = opts.name;
    this.clock = opts.clock ?? systemClock;
    this.rng = opts.rng ?? systemRng;
    this.log = opts.log ?? nullLogger;
    this.forwarding = opts.forwarding ?? false;
    this.upperDelivery = opts.upperDelivery;
    const kev = (this.kernEvents = new KernEventBus({
      clock: this.clock,
      onSubscriberError: (e) => this.log.log('error', `${this.name}: event subscriber: ${String(e)}`),
    }));
    this.controls = new ControlRegistry({
      onError: (w, e) => this.log.log('error', `${this.name}: ${w}: ${String(e)}`),
    });
    this.spd = new Spd({ ...opts.spd, clock: this.clock });
    this.spd.onPolicyEvent = (kind, p) => kev.active && postPolicyChange(kev, kind, p);
    this.sad = new Sad({
      clock: this.clock,
      rng: this.rng,
      preferOld: opts.preferOldSa,
      listener: (ev) => this.onSad(ev),
      onChange: (kind, sa) => kev.active && postSaChange(kev, kind, sa),
    });
    this.reassembler = new Reassembler({ ...opts.reassembly, clock: this.clock });
    this.acquires = new AcquireTable(opts.acquire);
    this.encapPorts = new Set(opts.nattPorts ?? [NAT_T_PORT]);
    this.unsubSpd = this.spd.onExpire((policy, reason) => this.emit({ type: 'spd-expire', policy, reason }));
    const b = new Uint8Array(2);
    this.rng.fill(b);
    this.ipId = (b[0]! << 8) | b[1]!;
    this.extensions = new Extensions(this, this);
    this.ipInput = new IpInput(this);
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
    link.onReceive((p) => this.linkInput(p, ifc));
    feedInterface(this.kernEvents, ifc);
    return ifc;
  }

  /** ifnet_detach (see Interface.detach) with its routes; returns its link, which the caller now closes. */
  removeInterface(name: string): Link | undefined {
    const ifc = this.ifaces.get(name);
    if (!ifc || !this.ifaces.delete(name)) return undefined;
    this.routes.remove((r) => r.ifname === name);
    ifc.detach();
    return ifc.link;
  }

  interface(name: string): Interface | undefined {
    return this.ifaces.get(name);
  }
  interfaces(): Interface[] {
    return [...this.ifaces.values()];
  }
  hasInterface(name: string): boolean {
    return this.ifaces.has(name);
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
    if (this.kernEvents.active) postHostEvent(this.kernEvents, ev);
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
  output(packet: Uint8Array, sock?: SocketPolicy, injector?: IpFilterRef, route?: ResolvedRoute): boolean {
    if (this.closed) return false;
    const ipf = this.extensions.ip;
    if (ipf.count !== 0) {
      const r = ipf.run(packet, 'out', false, injector);
      if (typeof r === 'string') return r === 'swallow';
      packet = r;
    }
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
      // The packet IPsec made meets the filters again (xnu ip_output.c "Pass to filters again"), its tags kept.
      if (ipf.count !== 0) {
        this.extensions.tags.carry(packet, pkt);
        const r = ipf.run(pkt, 'out', true);
        if (typeof r === 'string') return r === 'swallow';
        pkt = r;
      }
    }
    return this.transmit(pkt, route);
  }

  /** @internal IpInjectStack: ipf_inject_input / ipf_inject_output. */
  injectIp(packet: Uint8Array, dir: 'in' | 'out', injector: IpFilterRef, route?: ResolvedRoute): boolean {
    if (this.closed) return false;
    this.extensions.stats.bump(dir === 'in' ? 'ipf_inject_in' : 'ipf_inject_out');
    if (dir === 'out') return this.output(packet, undefined, injector, route);
    this.ipInput.input(packet, injector);
    return true;
  }

  /** @internal IfInjectStack: a packet into IP input from `ifc` (its interface filters already run). */
  ifDeliver(packet: Uint8Array, ifc: Interface): void {
    if (!this.closed && ifc.up) this.ipInput.input(packet);
  }

  /** A packet from an interface's link: dropped while the interface is down, then its interface filters. */
  private linkInput(packet: Uint8Array, ifc: Interface): void {
    if (!ifc.up) {
      this.extensions.stats.bump('iflt_ifdown');
      return;
    }
    if (ifc.filters.length !== 0) {
      const r = runIfFilters(this.extensions, ifc, packet, 'in', undefined);
      if (typeof r === 'string') return;
      packet = r;
    }
    this.input(packet, ifc.name);
  }

  /** Onto the interface's link: nothing leaves a down interface; its interface filters see the packet last. */
  private linkSend(ifc: Interface, packet: Uint8Array, nextHop: Uint8Array): boolean {
    if (!ifc.up) {
      this.extensions.stats.bump('iflt_ifdown');
      return false;
    }
    if (ifc.filters.length !== 0) {
      const r = runIfFilters(this.extensions, ifc, packet, 'out', nextHop);
      if (typeof r === 'string') return r === 'swallow';
      packet = r;
    }
    ifc.link.send(packet, nextHop);
    return true;
  }

  /** emitAcquire for ipsec/output.ts. */
  emitAcquire(ev: AcquireEvent): void {
    this.emit(ev);
  }

  /** Routes and fragments one finished packet onto its interface, or loops it back when it is for us. */
  private transmit(pkt: Uint8Array, forced?: ResolvedRoute): boolean {
    const v6 = pkt[0]! >> 4 === 6;
    const dst = v6 ? pkt.subarray(24, 40) : pkt.subarray(16, 20);
    if (!forced && this.isLocal(dst)) {
      const copy = pkt.slice();
      queueMicrotask(() => this.ipInput.input(copy));
      return true;
    }
    // An extension's route decision (ipf_inject_output with a next hop) replaces the table's answer.
    const route = forced ? { ifname: forced.ifname, gateway: forced.nextHop } : this.routes.lookup(dst);
    const ifc = route && this.ifaces.get(route.ifname);
    if (!route || !ifc) {
      this.netstat.bump(v6 ? 'ip6s_noroute' : 'ips_noroute');
      return false;
    }
    const nextHop = route.gateway ?? new Uint8Array(dst);
    const mtu = ifc.mtu;
    if (pkt.length <= mtu) return this.linkSend(ifc, pkt, nextHop);
    const frags = fragmentOut(pkt, mtu, this.rng, this.netstat);
    if (!frags) return false;
    for (const f of frags) this.linkSend(ifc, f, nextHop);
    return true;
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
    this.ipInput.input(packet);
  }

  // --- sockets and ping ---

  udpSocket(): UdpSocket {
    const s = new UdpSocket(this);
    if (this.extensions.sockets.global.length !== 0) this.extensions.sockets.initSocket(s);
    return s;
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
    this.extensions.closeAll();
    this.sad.close();
    this.unsubSpd();
    for (const i of this.ifaces.values()) i.link.close();
    this.listeners.clear();
    this.controls.close();
    this.kernEvents.close();
  }
}
