// IP filters (Darwin kpi_ipfilter.h: ipf_addv4/ipf_addv6, ipf_remove, ipf_inject_input/ipf_inject_output).
// One list per address family, newest filter first (xnu ipf_add inserts at the head), the same list for input
// and output. Where the host calls them (docs/extensions.md, as xnu's ip_output.c/ip_input.c place them):
//   output: before the SPD lookup (the clear packet), and again after IPsec when a bundle was applied (the
//           ESP/AH packet; xnu "Pass to filters again"), then routing and fragmentation;
//   input:  after reassembly, for each protocol dispatch of a packet for this host (xnu ip_proto_dispatch_in):
//           the ESP packet as it arrived, then the packet inside it after decapsulation.
// A packet a filter injects carries the filter (xnu's mbuf tag, ipf_get_inject_filter): the pass it enters
// skips every filter up to and including the injector, so no filter sees its own injection again.
import { ErrnoError } from '../../common/errors.js';
import { parseAddr } from '../../common/inet.js';
import { fault, type FilterVerdict, type GuardSink, type Hooked } from './contain.js';
import type { Attachment, Owner } from './attach.js';

/** What a filter is told about the packet in front of it. */
export interface IpFilterInfo {
  readonly family: 4 | 6;
  readonly dir: 'in' | 'out';
  /**
   * Output: false before the SPD lookup, true for the packet IPsec produced. Input: false for the packet as it
   * arrived, true for a packet that came out of ESP/AH/IPComp (inbound policy not checked yet).
   */
  readonly afterIpsec: boolean;
  /** The packet was injected by a filter before this one in the list. */
  readonly injected: boolean;
}

/** An IP filter (struct ipf_filter): at least one of input and output. */
export interface IpFilter {
  readonly name: string;
  input?(packet: Uint8Array, info: IpFilterInfo): FilterVerdict;
  output?(packet: Uint8Array, info: IpFilterInfo): FilterVerdict;
  /** ipf_detach_func: called once, when the filter is removed. */
  detached?(): void;
}

/** Where an injected output packet goes, instead of the routing table's answer (the custom-routing case). */
export interface RouteDecision {
  /** The neighbour on `ifname` the packet is handed to. */
  nextHop: string | Uint8Array;
  ifname: string;
}

/** What the chain needs from the host to inject (Host implements it). */
export interface IpInjectStack {
  injectIp(packet: Uint8Array, dir: 'in' | 'out', injector: IpFilterRef, route?: ResolvedRoute): boolean;
  hasInterface(name: string): boolean;
}

export interface ResolvedRoute {
  nextHop: Uint8Array;
  ifname: string;
}

/** Verdict of a pass over the chain: the packet to go on with, or what became of it. */
export type ChainResult = Uint8Array | 'drop' | 'swallow';

/** An attached IP filter (ipfilter_t): remove it, or inject packets past it. */
export class IpFilterRef implements Attachment, Hooked {
  readonly kind = 'IP filter';
  faults = 0;
  detachedAlready = false;
  constructor(
    readonly family: 4 | 6,
    readonly filter: IpFilter,
    readonly label: string,
    private readonly chains: IpFilterChains,
    private readonly owner: Owner,
  ) {}

  get name(): string {
    return this.filter.name;
  }

  /** ipf_remove. */
  detach(): void {
    if (this.detachedAlready) return;
    this.detachedAlready = true;
    this.chains.remove(this);
    this.owner.release(this);
    const d = this.filter.detached;
    if (d) {
      try {
        d.call(this.filter);
      } catch (e) {
        fault(this.owner.sink, this, 'detached()', e);
      }
    }
  }

  /** ipf_inject_input: the packet enters IP input; filters up to and including this one do not see it. */
  injectInput(packet: Uint8Array): boolean {
    this.live();
    return this.chains.stack.injectIp(packet, 'in', this);
  }

  /**
   * ipf_inject_output: the packet enters IP output past this filter (the SPD lookup and IPsec still apply). With
   * `route`, the finished packet leaves on route.ifname toward route.nextHop instead of the routing table's choice.
   */
  injectOutput(packet: Uint8Array, route?: RouteDecision): boolean {
    this.live();
    let r: ResolvedRoute | undefined;
    if (route) {
      const hop = typeof route.nextHop === 'string' ? parseAddr(route.nextHop) : route.nextHop;
      if (!hop) throw new ErrnoError('EINVAL', `bad next hop "${String(route.nextHop).slice(0, 64)}"`);
      if (!this.chains.stack.hasInterface(route.ifname))
        throw new ErrnoError('ENXIO', `no interface ${route.ifname.slice(0, 32)}`);
      r = { nextHop: hop, ifname: route.ifname };
    }
    return this.chains.stack.injectIp(packet, 'out', this, r);
  }

  private live(): void {
    if (this.detachedAlready) throw new ErrnoError('EINVAL', `IP filter ${this.name} is detached`);
  }
}

const INFO: IpFilterInfo[] = [];
for (const family of [4, 6] as const)
  for (const dir of ['in', 'out'] as const)
    for (const afterIpsec of [false, true])
      for (const injected of [false, true]) INFO.push(Object.freeze({ family, dir, afterIpsec, injected }));

function info(family: 4 | 6, dir: 'in' | 'out', afterIpsec: boolean, injected: boolean): IpFilterInfo {
  return INFO[(family === 4 ? 0 : 8) + (dir === 'in' ? 0 : 4) + (afterIpsec ? 2 : 0) + (injected ? 1 : 0)]!;
}

/** The host's two filter lists. `count` is the hot path's one check: zero means no filter is called at all. */
export class IpFilterChains {
  count = 0;
  // Replaced, never changed in place: a pass that is running keeps the list it started with.
  private v4: readonly IpFilterRef[] = [];
  private v6: readonly IpFilterRef[] = [];

  constructor(
    readonly sink: GuardSink,
    readonly stack: IpInjectStack,
  ) {}

  /** ipf_addv4 / ipf_addv6: the new filter runs first. */
  add(family: 4 | 6, filter: IpFilter, owner: Owner): IpFilterRef {
    if (!filter.input && !filter.output) throw new ErrnoError('EINVAL', 'an IP filter needs input or output');
    const ref = new IpFilterRef(family, filter, `${owner.name}/${filter.name}`, this, owner);
    if (family === 4) this.v4 = [ref, ...this.v4];
    else this.v6 = [ref, ...this.v6];
    this.count++;
    owner.adopt(ref);
    return ref;
  }

  remove(ref: IpFilterRef): void {
    const before = this.v4.length + this.v6.length;
    this.v4 = this.v4.filter((r) => r !== ref);
    this.v6 = this.v6.filter((r) => r !== ref);
    this.count -= before - this.v4.length - this.v6.length;
  }

  /** The filters of a family, in calling order. */
  list(family: 4 | 6): readonly IpFilterRef[] {
    return family === 4 ? this.v4 : this.v6;
  }

  /** One pass: every filter's input or output hook in order, after `injector` when the packet was injected. */
  run(packet: Uint8Array, dir: 'in' | 'out', afterIpsec: boolean, injector?: IpFilterRef): ChainResult {
    const family = packet.length > 0 && packet[0]! >> 4 === 6 ? 6 : 4;
    const list = family === 4 ? this.v4 : this.v6;
    const first = injector ? list.indexOf(injector) + 1 : 0;
    const inf = info(family, dir, afterIpsec, injector !== undefined);
    let pkt = packet;
    for (let i = first; i < list.length; i++) {
      const ref = list[i]!;
      const f = ref.filter;
      const fn = dir === 'in' ? f.input : f.output;
      if (!fn) continue;
      let v: FilterVerdict;
      try {
        v = fn.call(f, pkt, inf);
      } catch (e) {
        fault(this.sink, ref, `${dir === 'in' ? 'input' : 'output'}()`, e);
        return 'drop';
      }
      if (v === undefined || v === 'continue') continue;
      if (v instanceof Uint8Array) {
        this.sink.stats.bump('ipf_changed');
        this.sink.tags?.carry(pkt, v);
        pkt = v;
        continue;
      }
      if (v === 'swallow') {
        this.sink.stats.bump(dir === 'in' ? 'ipf_in_swallowed' : 'ipf_out_swallowed');
        return 'swallow';
      }
      if (v !== 'drop') this.sink.stats.bump('ext_bad_verdict');
      this.sink.stats.bump(dir === 'in' ? 'ipf_in_dropped' : 'ipf_out_dropped');
      return 'drop';
    }
    return pkt;
  }
}
