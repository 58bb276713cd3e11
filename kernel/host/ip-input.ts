// The host's input path (BSD ip_input/ip6_input, udp_input, icmp_input and ip_forward, reduced): header
// checks, reassembly, the IPsec input steps of ipsec/input.ts with the packet fed back to IP input after
// each one, the inbound policy check, and delivery to UDP sockets, ping and the echo responder, or
// forwarding. Every refusal is a counted drop; nothing here throws on bad input. Extension IP filters see each
// packet for this host before its protocol is dispatched (the ESP packet, then what came out of it), and
// extension protocol handlers take the protocols the stack does not know (kernel/ext/, docs/extensions.md).
import type { Clock } from '../../common/clock.js';
import type { Rng } from '../../common/rng.js';
import type { Logger } from '../../common/log.js';
import { ParseError } from '../../common/bytes.js';
import { formatAddr } from '../../common/inet.js';
import type { Spd, SocketPolicy } from '../spd/spd.js';
import type { Sad } from '../sad/sad.js';
import type { Stats, NetCounters, NetStatName } from '../stats.js';
import { packetSelector, type PacketSelector } from '../ipsec/output.js';
import {
  ipsecInputStep,
  ipcompUncompressedStep,
  inboundPolicyCheck,
  IPSEC_MAX_INPUT_DEPTH,
  type InputLayer,
} from '../ipsec/input.js';
import { classifyUdpEncap, stripUdpEncap } from '../ipsec/udp-encap.js';
import type { UdpTable } from './socket.js';
import type { PingTable } from './ping.js';
import type { Reassembler } from '../ip/reassembly.js';
import { decodeIpPacket, type IpSummary } from '../ip/packet.js';
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
import type { IpFilterChains, IpFilterRef } from '../ext/ip-filter.js';
import type { ProtocolTable } from '../ext/protocol.js';
import type { PacketTags } from '../ext/mbuf-tag.js';

/** What the input path needs from its host (Host implements it). */
export interface InputStack {
  readonly name: string;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly log: Logger;
  readonly spd: Spd;
  readonly sad: Sad;
  readonly stats: Stats;
  readonly netstat: NetCounters;
  readonly reassembler: Reassembler;
  readonly udpTable: UdpTable;
  readonly pings: PingTable;
  readonly encapPorts: ReadonlySet<number>;
  readonly forwarding: boolean;
  /** TUN mode: where a packet that came through IPsec goes when this host has no consumer for it. */
  readonly upperDelivery: ((packet: Uint8Array) => boolean) | undefined;
  readonly extensions: { readonly ip: IpFilterChains; readonly protocols: ProtocolTable; readonly tags: PacketTags };
  isLocal(addr: Uint8Array): boolean;
  output(packet: Uint8Array, sock?: SocketPolicy): boolean;
  sendIp(dst: Uint8Array, protocol: number, payload: Uint8Array, sock?: SocketPolicy, src?: Uint8Array): boolean;
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

/** One host's input path. */
export class IpInput {
  constructor(private readonly h: InputStack) {}

  /** One packet up the stack (from a link, looped back, or injected by `injector`). Refusals are counted drops. */
  input(packet: Uint8Array, injector?: IpFilterRef): void {
    this.ipInput(plainView(packet), [], 0, injector);
  }

  private ipInput(pkt: Uint8Array, history: InputLayer[], depth: number, injector?: IpFilterRef): void {
    const v6 = pkt.length > 0 && pkt[0]! >> 4 === 6;
    this.h.netstat.bump(v6 ? 'ip6s_total' : 'ips_total');
    if (depth > IPSEC_MAX_INPUT_DEPTH) {
      this.h.stats.bump('ips_in_inval');
      return;
    }
    const sum = this.decode(pkt);
    if (!sum) return;
    if (sum.isFragment || sum.ipv6?.fragment) {
      const r = this.h.reassembler.input(pkt);
      if (r.kind === 'held') {
        this.h.netstat.bump(v6 ? 'ip6s_fragments' : 'ips_fragments');
        return;
      }
      if (r.kind === 'dropped') {
        this.h.netstat.bump(v6 ? 'ip6s_fragdropped' : 'ips_fragdropped');
        return;
      }
      if (r.kind === 'complete') {
        this.h.netstat.bump(v6 ? 'ip6s_reassembled' : 'ips_reassembled');
        this.ipInput(r.packet, history, depth, injector);
        return;
      }
    }
    this.dispatch(pkt, sum, history, depth, injector);
  }

  private decode(pkt: Uint8Array): IpSummary | undefined {
    try {
      return decodeIpPacket(pkt);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      this.h.netstat.bump(headerDropName(pkt.length > 0 && pkt[0]! >> 4 === 6, e));
      return undefined;
    }
  }

  /** Local delivery, TUN-mode delivery up, or forwarding; the IP filters' input pass before the first two. */
  private dispatch(pkt: Uint8Array, sum: IpSummary, history: InputLayer[], depth: number, injector?: IpFilterRef) {
    const up = this.h.upperDelivery !== undefined && history.length > 0;
    let local = this.h.isLocal(sum.dst);
    if (!local && !up) {
      this.forward(pkt, sum, history);
      return;
    }
    const ipf = this.h.extensions.ip;
    if (ipf.count !== 0) {
      const r = ipf.run(pkt, 'in', history.length > 0, injector);
      if (typeof r === 'string') return;
      if (r !== pkt) {
        const s2 = this.decode(r);
        if (!s2) return;
        [pkt, sum, local] = [plainView(r), s2, this.h.isLocal(s2.dst)];
        this.h.extensions.tags.carry(r, pkt);
        if (!local && !up) {
          this.forward(pkt, sum, history);
          return;
        }
      }
    }
    if (local) this.localInput(pkt, sum, history, depth);
    else this.forwardUp(pkt, sum, history);
  }

  private localInput(pkt: Uint8Array, sum: IpSummary, history: InputLayer[], depth: number): void {
    const p = sum.protocol;
    if (p === IPPROTO_ESP || p === IPPROTO_AH || p === IPPROTO_IPCOMP) {
      const step = ipsecInputStep(this.h, pkt, p, sum.payloadOffset, sum.dst);
      if (!step.ok) {
        this.h.stats.bump(step.reason);
        return;
      }
      // The packet inside keeps the tags of the one it came in (xnu decapsulates in the same mbuf chain).
      const inner = plainView(step.packet);
      this.h.extensions.tags.carry(pkt, inner);
      this.ipInput(inner, [...history, step.layer], depth + 1);
      return;
    }
    if (p === IPPROTO_IPV4 || p === IPPROTO_IPV6) {
      const step = ipcompUncompressedStep(this.h, pkt, p, sum.payloadOffset, sum.end, sum.src, sum.dst);
      if (step?.ok) {
        this.ipInput(step.packet, [...history, step.layer], depth + 1);
        return;
      }
      if (step) {
        this.h.stats.bump(step.reason);
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
    if (this.h.extensions.protocols.count !== 0 && this.protocolInput(pkt, sum, history)) return;
    if (this.deliverUp(pkt, sum, history)) return;
    this.h.netstat.bump(sum.family === 6 ? 'ip6s_noproto' : 'ips_noproto');
  }

  /** An extension's protocol handler (net_add_proto), after the inbound policy check. */
  private protocolInput(pkt: Uint8Array, sum: IpSummary, history: InputLayer[]): boolean {
    return this.h.extensions.protocols.dispatch({
      family: sum.family,
      protocol: sum.protocol,
      src: sum.src,
      dst: sum.dst,
      packet: pkt.subarray(0, sum.end),
      payload: pkt.subarray(sum.payloadOffset, sum.end),
      ipsecLayers: history.length,
    });
  }

  /** TUN mode: hands a packet that came through IPsec (policy already checked) to the machine's kernel. */
  private deliverUp(pkt: Uint8Array, sum: IpSummary, history: InputLayer[]): boolean {
    const upper = this.h.upperDelivery;
    if (!upper || history.length === 0) return false;
    if (!upper(pkt.subarray(0, sum.end))) {
      this.h.netstat.bump(sum.family === 6 ? 'ip6s_upper_drop' : 'ips_upper_drop');
      return true;
    }
    this.h.netstat.bump(sum.family === 6 ? 'ip6s_upper' : 'ips_upper');
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
    const why = inboundPolicyCheck(this.h.spd, sock, dir, sel, history);
    if (why === undefined) {
      if (history.length) this.h.stats.bump('ips_in_success');
      return false;
    }
    this.h.stats.bump(why);
    this.h.log.log(
      'debug',
      `${this.h.name}: inbound policy violation ${formatAddr(sel.src)} -> ${formatAddr(sel.dst)} proto ${sel.proto}`,
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
      this.h.netstat.bump(
        e.field === 'udp.checksum' ? 'udps_badsum' : e.field === 'udp.length' ? 'udps_badlen' : 'udps_hdrops',
      );
      return;
    }
    if (this.h.encapPorts.has(dport)) {
      const k = classifyUdpEncap(pkt);
      if (k.kind === 'keepalive') {
        this.h.netstat.bump('udps_natt_keepalive');
        return;
      }
      if (k.kind === 'drop') {
        if (k.reason === 'esps_hdrops') this.h.stats.bump(k.reason);
        else this.h.netstat.bump(k.reason);
        return;
      }
      if (k.kind === 'esp') {
        const s = stripUdpEncap(pkt);
        if (!s) {
          this.h.stats.bump('esps_hdrops');
          return;
        }
        const step = ipsecInputStep(this.h, s.packet, IPPROTO_ESP, s.espOffset, sum.dst, true);
        if (!step.ok) {
          this.h.stats.bump(step.reason);
          return;
        }
        this.ipInput(plainView(step.packet), [...history, step.layer], depth + 1);
        return;
      }
      // Non-ESP marker: IKE, delivered to the socket bound on the port, marker included (as racoon reads it).
    }
    const sock = this.h.udpTable.lookup(sum.dst, dport);
    const sel: PacketSelector = { src: sum.src, dst: sum.dst, proto: IPPROTO_UDP, sport, dport };
    if (!sock) {
      if (
        this.h.upperDelivery &&
        history.length > 0 &&
        !this.policyReject(sel, history) &&
        this.deliverUp(pkt, sum, history)
      )
        return;
      this.h.netstat.bump('udps_noport');
      return;
    }
    if (this.policyReject(sel, history, sock.policy)) return;
    this.h.netstat.bump('udps_ipackets');
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
      this.h.netstat.bump(v6 ? 'icp6s_badsum' : 'icps_checksum');
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
      if (!this.h.pings.dispatch(id, seq, sum.src, ttl, sum.end - sum.payloadOffset, data))
        if (!this.deliverUp(pkt, sum, history)) this.h.netstat.bump('icps_noping');
      return;
    }
    if (this.deliverUp(pkt, sum, history)) return;
    this.h.netstat.bump(v6 ? 'icp6s_unhandled' : 'icps_unhandled');
  }

  /** RFC 792 / RFC 4443 §4.2: reply from the address the request was sent to. */
  private answerEcho(pkt: Uint8Array, sum: IpSummary): void {
    const v6 = sum.family === 6;
    const ip = { src: sum.dst, dst: sum.src };
    const reply = buildEchoReply(pkt, sum.payloadOffset, sum.end, v6 ? ip : undefined);
    this.h.netstat.bump(v6 ? 'icp6s_reflect' : 'icps_reflect');
    this.h.sendIp(sum.src, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP, reply, undefined, new Uint8Array(sum.dst));
  }

  /** ip_forward: TTL, the inbound (fwd) policy check, then the output path with the outbound policy. */
  private forward(pkt: Uint8Array, sum: IpSummary, history: InputLayer[]): void {
    const v6 = sum.family === 6;
    if (!this.h.forwarding) {
      this.h.netstat.bump(v6 ? 'ip6s_cantforward' : 'ips_cantforward');
      return;
    }
    const ttlAt = v6 ? 7 : 8;
    if (pkt[ttlAt]! <= 1) {
      this.h.netstat.bump(v6 ? 'ip6s_timeexceed' : 'ips_timeexceed');
      return;
    }
    const sel = packetSelector(pkt);
    if (!sel || this.policyReject(sel, history, undefined, 'fwd')) return;
    const out = pkt.slice(0, sum.end);
    out[ttlAt] = out[ttlAt]! - 1;
    if (!v6) setIpv4Checksum(out, 0);
    this.h.netstat.bump(v6 ? 'ip6s_forward' : 'ips_forward');
    this.h.output(out);
  }
}
