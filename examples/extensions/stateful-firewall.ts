// A stateful firewall as an IP filter (docs/extensions.md): traffic this host starts creates a flow; incoming
// packets of a known flow pass, everything else is dropped and counted. Flows idle for `idleMs` expire; the
// table holds at most `maxFlows` (the oldest goes first). IPsec and IKE packets themselves pass (IPsec
// authenticates them; the packet inside is checked after decapsulation, when the filter sees it again).
// Load it into uipsecd with `uipsecd --extension dist/examples/extensions/stateful-firewall.js`.
import { ipFlow, formatAddr, type Extension, type ExtensionContext, type IpFilterInfo, type IpFilterRef } from 'uipsec';
import type { IpFlow } from 'uipsec';

const IPPROTO_ICMP = 1,
  IPPROTO_ICMPV6 = 58,
  IPPROTO_UDP = 17,
  IPPROTO_ESP = 50,
  IPPROTO_AH = 51,
  IPPROTO_IPCOMP = 108;
const ECHO_REQUEST = new Set([8, 128]);
const ECHO_REPLY = new Set([0, 129]);
const IKE_PORTS = new Set([500, 4500]);

export interface FirewallOptions {
  idleMs?: number;
  maxFlows?: number;
}

export interface FirewallCounters {
  /** Outgoing packets (each refreshes or creates its flow). */
  out: number;
  /** Flows created. */
  flows: number;
  /** Incoming packets of a known flow. */
  passed: number;
  /** Incoming packets of no known flow. */
  dropped: number;
  /** IPsec/IKE packets let through to IPsec. */
  ipsec: number;
  expired: number;
  evicted: number;
}

/** The flow key from this host's point of view: protocol, local end, remote end. */
function key(proto: number, local: Uint8Array, lport: number, remote: Uint8Array, rport: number): string {
  return `${proto} ${formatAddr(local)} ${lport} ${formatAddr(remote)} ${rport}`;
}

export class StatefulFirewall implements Extension {
  readonly name = 'org.uipsec.example.firewall';
  readonly counters: FirewallCounters = { out: 0, flows: 0, passed: 0, dropped: 0, ipsec: 0, expired: 0, evicted: 0 };
  private readonly flows = new Map<string, number>(); // key -> last used (ms); insertion order = age
  private readonly refs: IpFilterRef[] = [];
  private now: () => number = () => Date.now();
  private readonly idleMs: number;
  private readonly maxFlows: number;

  constructor(opts: FirewallOptions = {}) {
    this.idleMs = opts.idleMs ?? 60_000;
    this.maxFlows = opts.maxFlows ?? 10_000;
  }

  start(ctx: ExtensionContext): void {
    const clock = ctx.host.clock;
    this.now = () => clock.now();
    for (const family of [4, 6] as const)
      this.refs.push(
        ctx.ipFilter(family, {
          name: 'stateful',
          output: (p, i) => this.output(p, i),
          input: (p, i) => this.input(p, i),
        }),
      );
  }

  stop(ctx: ExtensionContext): void {
    for (const r of this.refs.splice(0)) r.detach();
    ctx.log.log('notice', `firewall: ${this.summary()}`);
  }

  summary(): string {
    return Object.entries(this.counters)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  }

  private output(p: Uint8Array, info: IpFilterInfo): 'continue' {
    if (info.afterIpsec) return 'continue'; // the ESP packet of a flow already recorded
    const f = ipFlow(p);
    if (!f || (f.protocol === IPPROTO_ICMP || f.protocol === IPPROTO_ICMPV6 ? !ECHO_REQUEST.has(f.icmpType) : false))
      return 'continue';
    this.counters.out++;
    const k = key(f.protocol, f.src, f.sport, f.dst, f.dport);
    if (!this.flows.delete(k)) {
      this.counters.flows++;
      if (this.flows.size >= this.maxFlows) this.evictOldest();
    }
    this.flows.set(k, this.now());
    return 'continue';
  }

  private input(p: Uint8Array, info: IpFilterInfo): 'continue' | 'drop' {
    const f = ipFlow(p);
    if (!f) return this.drop();
    if (!info.afterIpsec && isIpsec(f)) {
      this.counters.ipsec++;
      return 'continue';
    }
    const icmp = f.protocol === IPPROTO_ICMP || f.protocol === IPPROTO_ICMPV6;
    if (icmp && !ECHO_REPLY.has(f.icmpType)) return this.drop();
    const k = key(f.protocol, f.dst, f.dport, f.src, f.sport);
    const seen = this.flows.get(k);
    if (seen === undefined) return this.drop();
    if (this.now() - seen > this.idleMs) {
      this.flows.delete(k);
      this.counters.expired++;
      return this.drop();
    }
    this.counters.passed++;
    return 'continue';
  }

  private drop(): 'drop' {
    this.counters.dropped++;
    return 'drop';
  }

  private evictOldest(): void {
    const oldest = this.flows.keys().next();
    if (!oldest.done) {
      this.flows.delete(oldest.value);
      this.counters.evicted++;
    }
  }
}

function isIpsec(f: IpFlow): boolean {
  const p = f.protocol;
  return p === IPPROTO_ESP || p === IPPROTO_AH || p === IPPROTO_IPCOMP || (p === IPPROTO_UDP && IKE_PORTS.has(f.dport));
}

/** What `uipsecd --extension` loads: a firewall with the default limits. */
export default function create(): Extension {
  return new StatefulFirewall();
}
