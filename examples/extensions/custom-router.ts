// A custom router as an IP filter: the darwin-kernel question "can an IP filter make custom routing decisions?"
// answered. The filter looks at each packet before the host's routing table does, picks a next hop and an
// interface by its own rules (here: destination prefix, protocol and destination port — anything in the packet
// would do), swallows the packet (EJUSTRETURN) and re-injects it with that route decision (ipf_inject_output
// with a next hop). The injected packet skips this filter, so it is not routed twice; IPsec still applies to it
// (the route decision is for the packet that finally leaves). Packets no rule matches follow the routing table.
import { ipFlow, parsePrefix, prefixContains, type Extension, type ExtensionContext, type Prefix } from 'uipsec';
import type { IpFilterInfo, IpFilterRef } from 'uipsec';

export interface RouteRule {
  /** Destination prefix, e.g. "203.0.113.0/24". */
  to: string;
  /** IP protocol number (17 UDP, 6 TCP...); any if absent. */
  proto?: number;
  /** Destination port; any if absent. */
  dport?: number;
  /** Where matching packets go: the neighbour and the interface it is on. */
  via: string;
  dev: string;
}

interface Compiled extends RouteRule {
  prefix: Prefix;
  hits: number;
}

export class CustomRouter implements Extension {
  readonly name = 'org.uipsec.example.router';
  private readonly rules: Compiled[];
  private refs: IpFilterRef[] = [];
  /** Packets no rule matched (left to the routing table). */
  unmatched = 0;
  /** Injections the host refused (no such interface, link down...). */
  failed = 0;

  constructor(rules: RouteRule[]) {
    this.rules = rules.map((r) => {
      const prefix = parsePrefix(r.to);
      if (!prefix) throw new RangeError(`bad prefix ${r.to}`);
      return { ...r, prefix, hits: 0 };
    });
  }

  /** Packets routed by each rule, in rule order. */
  hits(): number[] {
    return this.rules.map((r) => r.hits);
  }

  start(ctx: ExtensionContext): void {
    for (const family of [4, 6] as const) {
      const ref: IpFilterRef = ctx.ipFilter(family, {
        name: 'policy-routing',
        output: (p, info) => this.route(ref, p, info),
      });
      this.refs.push(ref);
    }
  }

  stop(): void {
    for (const r of this.refs.splice(0)) r.detach();
  }

  private route(ref: IpFilterRef, p: Uint8Array, info: IpFilterInfo): 'continue' | 'swallow' {
    if (info.afterIpsec) return 'continue';
    const f = ipFlow(p);
    const rule =
      f &&
      this.rules.find(
        (r) =>
          prefixContains(r.prefix, f.dst) &&
          (r.proto === undefined || r.proto === f.protocol) &&
          (r.dport === undefined || r.dport === f.dport),
      );
    if (!rule) {
      this.unmatched++;
      return 'continue';
    }
    rule.hits++;
    if (!ref.injectOutput(p, { nextHop: rule.via, ifname: rule.dev })) this.failed++;
    return 'swallow';
  }
}
