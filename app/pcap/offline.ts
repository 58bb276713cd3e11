// `uipsec pcap`: the SAs and policies of a setkey file applied to captured packets, offline. A kernel Host
// with no interfaces holds the SAD/SPD (loaded by the real setkey over in-process PF_KEY); each packet is
// put through the same code as the host's paths: encap = SPD lookup (RFC 4301 §5.1) + ipsecOutput; decap
// = ESP/AH/IPComp/ESP-in-UDP input steps (RFC 4301 §5.2, RFC 3948 §3) + the inbound policy check. Nothing
// is sent anywhere and nothing throws on a bad packet: each one is changed, passed or dropped with a reason.
import { ParseError } from '../../common/bytes.js';
import type { Rng } from '../../common/rng.js';
import type { Clock } from '../../common/clock.js';
import { Host } from '../../kernel/host/host.js';
import { KeySock } from '../../kernel/keysock/keysock.js';
import { decodeIpPacket } from '../../kernel/ip/packet.js';
import { IPPROTO_UDP, IPPROTO_ESP, IPPROTO_AH, IPPROTO_IPCOMP } from '../../pfkey/constants.js';
import { ipsecOutput, packetSelector } from '../../kernel/ipsec/output.js';
import {
  ipsecInputStep,
  inboundPolicyCheck,
  IPSEC_MAX_INPUT_DEPTH,
  type InputLayer,
} from '../../kernel/ipsec/input.js';
import { classifyUdpEncap, stripUdpEncap } from '../../kernel/ipsec/udp-encap.js';
import { runSetkeyInproc, type SetkeyRun } from '../setkey-inproc.js';
import { splitFrame, joinFrame } from './link-frame.js';
import type { PcapFile, PcapRecord } from './pcap-file.js';

export type Direction = 'encap' | 'decap';

export type PacketVerdict =
  | { kind: 'changed'; ip: Uint8Array; layers: number }
  | { kind: 'passed'; ip: Uint8Array }
  | { kind: 'dropped'; reason: string };

export interface OfflineOptions {
  rng?: Rng;
  clock?: Clock;
  /** Decap: refuse packets the inbound policy check refuses (default true, as the kernel does). */
  policyCheck?: boolean;
}

/** The offline kernel: a Host without interfaces and its PF_KEY socket layer. */
export class OfflineIpsec {
  readonly host: Host;
  readonly keysock: KeySock;
  private readonly policyCheck: boolean;

  constructor(o: OfflineOptions = {}) {
    this.host = new Host({ name: 'pcap', rng: o.rng, clock: o.clock });
    this.keysock = new KeySock(this.host);
    this.policyCheck = o.policyCheck ?? true;
  }

  /** Loads a setkey script (`setkey -f NAME`) into this kernel. */
  load(name: string, text: string | Uint8Array): Promise<SetkeyRun> {
    return runSetkeyInproc(this.keysock, ['-f', name], { files: { [name]: text } });
  }

  /** The outbound path for one IP packet (the caller's copy is not modified). */
  encap(ip: Uint8Array): PacketVerdict {
    const pkt = ip.slice();
    const sel = packetSelector(pkt);
    if (!sel) return { kind: 'dropped', reason: 'ips_odropped (malformed IP header)' };
    const res = this.host.spd.resolvePolicy(undefined, 'out', sel.src, sel.dst, sel.proto, sel.sport, sel.dport);
    if (res.action === 'discard') return { kind: 'dropped', reason: 'ips_out_polvio' };
    if (res.action === 'none') return { kind: 'passed', ip: pkt };
    const v = ipsecOutput(this.host, pkt, sel, res);
    if (!v.ok) return { kind: 'dropped', reason: v.reason };
    return { kind: 'changed', ip: new Uint8Array(v.packet), layers: res.requests.length };
  }

  /** The inbound path for one IP packet: every IPsec header removed, then the inbound policy check. */
  decap(ip: Uint8Array): PacketVerdict {
    let pkt = ip.slice();
    const history: InputLayer[] = [];
    for (let depth = 0; ; depth++) {
      if (depth > IPSEC_MAX_INPUT_DEPTH) return { kind: 'dropped', reason: 'ips_in_inval (nesting too deep)' };
      let sum;
      try {
        sum = decodeIpPacket(pkt);
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
        return { kind: 'dropped', reason: `malformed IP packet: ${e.message}` };
      }
      if (sum.isFragment) {
        if (history.length === 0) return { kind: 'passed', ip: pkt }; // reassembly is not done offline
        return { kind: 'dropped', reason: 'fragment inside IPsec (reassembly is not done offline)' };
      }
      const step = this.inputStep(pkt, sum.protocol, sum.payloadOffset, sum.dst);
      if (step === undefined) break;
      if (!step.ok) return { kind: 'dropped', reason: step.reason };
      pkt = new Uint8Array(step.packet);
      history.push(step.layer);
    }
    if (this.policyCheck) {
      const sel = packetSelector(pkt);
      if (!sel) return { kind: 'dropped', reason: 'ips_in_inval (malformed inner packet)' };
      const why = inboundPolicyCheck(this.host.spd, undefined, 'in', sel, history);
      if (why) return { kind: 'dropped', reason: why };
    }
    return history.length > 0 ? { kind: 'changed', ip: pkt, layers: history.length } : { kind: 'passed', ip: pkt };
  }

  /** One ESP/AH/IPComp (or ESP-in-UDP) header, or undefined when the packet has none. */
  private inputStep(pkt: Uint8Array, proto: number, off: number, dst: Uint8Array) {
    if (proto === IPPROTO_ESP || proto === IPPROTO_AH || proto === IPPROTO_IPCOMP)
      return ipsecInputStep(this.host, pkt, proto, off, dst);
    if (proto !== IPPROTO_UDP || pkt.length < off + 4) return undefined;
    const dport = (pkt[off + 2]! << 8) | pkt[off + 3]!;
    if (!this.host.encapPorts.has(dport)) return undefined;
    const k = classifyUdpEncap(pkt);
    if (k.kind === 'drop') return { ok: false as const, reason: k.reason };
    if (k.kind !== 'esp') return undefined; // IKE or a keepalive: not ours to decapsulate
    const s = stripUdpEncap(pkt);
    if (!s) return { ok: false as const, reason: 'esps_hdrops' };
    return ipsecInputStep(this.host, s.packet, IPPROTO_ESP, s.espOffset, dst, true);
  }

  close(): void {
    this.keysock.close();
    this.host.close();
  }
}

export interface PcapRunStats {
  packets: number;
  changed: number;
  passed: number;
  dropped: number;
  /** Frames that are not IP (ARP, ...) or of an unknown link type: copied unchanged. */
  notIp: number;
  /** Drop reasons and how often each occurred. */
  reasons: Record<string, number>;
}

/** Applies `dir` to every record; dropped packets are left out of the result. */
export function transformCapture(
  file: PcapFile,
  engine: OfflineIpsec,
  dir: Direction,
): { file: PcapFile; stats: PcapRunStats } {
  const stats: PcapRunStats = { packets: 0, changed: 0, passed: 0, dropped: 0, notIp: 0, reasons: {} };
  const records: PcapRecord[] = [];
  for (const r of file.records) {
    stats.packets++;
    const f = splitFrame(file.linktype, r.data);
    if (f.kind === 'other' || r.origLen > r.data.length) {
      // Truncated records cannot be transformed (the ICV and padding are missing); they are copied as they are.
      stats.notIp++;
      records.push(r);
      continue;
    }
    const v = dir === 'encap' ? engine.encap(f.ip) : engine.decap(f.ip);
    if (v.kind === 'dropped') {
      stats.dropped++;
      stats.reasons[v.reason] = (stats.reasons[v.reason] ?? 0) + 1;
      continue;
    }
    if (v.kind === 'passed') {
      stats.passed++;
      records.push(r);
      continue;
    }
    stats.changed++;
    const data = joinFrame(file.linktype, f.link, v.ip);
    records.push({ tsSec: r.tsSec, tsFrac: r.tsFrac, data, origLen: data.length });
  }
  return { file: { ...file, records }, stats };
}
