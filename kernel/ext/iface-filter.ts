// Interface filters (Darwin kpi_interfacefilter.h: iflt_attach, iflt_detach; kpi_interface.h
// ifnet_input / ifnet_output's filter pass): per interface, in attach order, the packets its link delivers
// (before IP input) and the packets it sends (after routing and fragmentation, the next hop known), and the
// interface's events (up/down, address added/removed). uipsec links carry IP packets, so the "frame" a filter
// sees is the IP packet. Injection (iflt_inject_input / iflt_inject_output) skips the injector and the
// filters before it.
import { ErrnoError } from '../../common/errors.js';
import { fault, notify, type FilterVerdict, type GuardSink, type Hooked } from './contain.js';
import type { Attachment, Owner } from './attach.js';
import type { ChainResult } from './ip-filter.js';
import type { Link } from '../link/link.js';

/** What an interface tells its watchers (KEV_DL_* / KEV_INET_* in Darwin). */
export type IfEvent =
  | { type: 'up' | 'down'; ifname: string }
  /** The interface is leaving the host (ifnet_detach): the last event; its filters are detached right after. */
  | { type: 'detached'; ifname: string }
  | { type: 'address-added' | 'address-removed'; ifname: string; address: string };

/** The interface as its filters need it (kernel/host/iface.ts Interface). */
export interface Interface {
  readonly name: string;
  readonly up: boolean;
  readonly link: Link;
  filters: readonly IfFilterRef[];
  watch(fn: (ev: IfEvent) => void): () => void;
}

/** An interface filter (struct iff_filter): any of the hooks. */
export interface IfFilter {
  readonly name: string;
  input?(packet: Uint8Array, ifname: string): FilterVerdict;
  output?(packet: Uint8Array, ifname: string, nextHop: Uint8Array): FilterVerdict;
  event?(ev: IfEvent): void;
  detached?(): void;
}

/** What injection needs from the host. */
export interface IfInjectStack {
  /** The packet into IP input as if `ifc` had received it (interface filters already run). */
  ifDeliver(packet: Uint8Array, ifc: Interface): void;
}

/** An attached interface filter (interface_filter_t). */
export class IfFilterRef implements Attachment, Hooked {
  readonly kind = 'interface filter';
  faults = 0;
  private gone = false;
  private readonly unwatch: () => void;

  constructor(
    readonly ifc: Interface,
    readonly filter: IfFilter,
    readonly label: string,
    private readonly sink: GuardSink,
    private readonly stack: IfInjectStack,
    private readonly owner: Owner,
  ) {
    const ev = filter.event;
    this.unwatch = ev ? ifc.watch((e) => notify(sink, this, 'event()', () => ev.call(filter, e))) : () => {};
  }

  get name(): string {
    return this.filter.name;
  }

  /** iflt_detach. */
  detach(): void {
    if (this.gone) return;
    this.gone = true;
    this.unwatch();
    this.ifc.filters = this.ifc.filters.filter((r) => r !== this);
    this.owner.release(this);
    const d = this.filter.detached;
    if (d) notify(this.sink, this, 'detached()', () => d.call(this.filter));
  }

  /** iflt_inject_input: as if the link had delivered it, past this filter. */
  injectInput(packet: Uint8Array): boolean {
    this.live();
    this.sink.stats.bump('iflt_inject_in');
    const r = runIfFilters(this.sink, this.ifc, packet, 'in', undefined, this);
    if (typeof r === 'string') return false;
    this.stack.ifDeliver(r, this.ifc);
    return true;
  }

  /** iflt_inject_output: onto the link toward nextHop, past this filter. */
  injectOutput(packet: Uint8Array, nextHop: Uint8Array): boolean {
    this.live();
    this.sink.stats.bump('iflt_inject_out');
    if (!this.ifc.up) return false;
    const r = runIfFilters(this.sink, this.ifc, packet, 'out', nextHop, this);
    if (typeof r === 'string') return false;
    this.ifc.link.send(r, nextHop);
    return true;
  }

  private live(): void {
    if (this.gone) throw new ErrnoError('EINVAL', `interface filter ${this.name} is detached`);
  }
}

/** iflt_attach: after the interface's other filters. */
export function attachIfFilter(
  ifc: Interface,
  filter: IfFilter,
  sink: GuardSink,
  stack: IfInjectStack,
  owner: Owner,
): IfFilterRef {
  if (!filter.input && !filter.output && !filter.event)
    throw new ErrnoError('EINVAL', 'an interface filter needs input, output or event');
  const ref = new IfFilterRef(ifc, filter, `${owner.name}/${filter.name}`, sink, stack, owner);
  ifc.filters = [...ifc.filters, ref];
  owner.adopt(ref);
  return ref;
}

/** One pass over an interface's filters (after `injector` for an injected packet). */
export function runIfFilters(
  sink: GuardSink,
  ifc: Interface,
  packet: Uint8Array,
  dir: 'in' | 'out',
  nextHop: Uint8Array | undefined,
  injector?: IfFilterRef,
): ChainResult {
  const list = ifc.filters;
  let pkt = packet;
  for (let i = injector ? list.indexOf(injector) + 1 : 0; i < list.length; i++) {
    const ref = list[i]!;
    const f = ref.filter;
    let v: FilterVerdict;
    try {
      if (dir === 'in') v = f.input ? f.input(pkt, ifc.name) : undefined;
      else v = f.output ? f.output(pkt, ifc.name, nextHop!) : undefined;
    } catch (e) {
      fault(sink, ref, dir === 'in' ? 'input()' : 'output()', e);
      return 'drop';
    }
    if (v === undefined || v === 'continue') continue;
    if (v instanceof Uint8Array) {
      sink.tags?.carry(pkt, v);
      pkt = v;
      continue;
    }
    if (v === 'swallow') {
      sink.stats.bump('iflt_swallowed');
      return 'swallow';
    }
    if (v !== 'drop') sink.stats.bump('ext_bad_verdict');
    sink.stats.bump(dir === 'in' ? 'iflt_in_dropped' : 'iflt_out_dropped');
    return 'drop';
  }
  return pkt;
}
