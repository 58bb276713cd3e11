// A host's network interfaces (BSD `struct ifnet` + `struct in_ifaddr`/`in6_ifaddr`, reduced): a name, the link
// that carries its packets, and its addresses with their prefixes. Source address selection lives here too.
import type { Link } from '../link/link.js';
import { type Prefix, addrEqual, parsePrefix, prefixContains, formatPrefix } from '../../common/inet.js';
import type { IfEvent, IfFilterRef } from '../ext/iface-filter.js';

export type { IfEvent } from '../ext/iface-filter.js';

/** One address on an interface with its on-link prefix (`10.0.0.1/24`). */
export interface IfAddr {
  addr: Uint8Array;
  prefix: Prefix;
}

/** An interface of one Host. */
export class Interface {
  readonly addrs: IfAddr[] = [];
  /** Interface filters (kernel/ext/iface-filter.ts) in calling order; replaced, never changed in place. */
  filters: readonly IfFilterRef[] = [];
  private isUp = true;
  private readonly watchers = new Set<(ev: IfEvent) => void>();
  constructor(
    readonly name: string,
    readonly link: Link,
  ) {}

  get mtu(): number {
    return this.link.mtu;
  }

  /** Adds `addr/len`; throws RangeError on text that is not an address with an optional prefix length. */
  addAddress(text: string): IfAddr {
    const slash = text.indexOf('/');
    const host = parsePrefix(slash >= 0 ? text.slice(0, slash) : text);
    const prefix = parsePrefix(text);
    if (!host || !prefix) throw new RangeError(`bad interface address "${text.slice(0, 64)}"`);
    const a = { addr: host.addr, prefix };
    this.addrs.push(a);
    this.emit({ type: 'address-added', ifname: this.name, address: formatPrefix({ ...prefix, addr: host.addr }) });
    return a;
  }

  /** Removes `addr` (with or without its prefix length); false if the interface does not have it. */
  removeAddress(text: string): boolean {
    const slash = text.indexOf('/');
    const host = parsePrefix(slash >= 0 ? text.slice(0, slash) : text);
    const i = host ? this.addrs.findIndex((a) => addrEqual(a.addr, host.addr)) : -1;
    if (i < 0) return false;
    const [a] = this.addrs.splice(i, 1);
    this.emit({ type: 'address-removed', ifname: this.name, address: formatPrefix({ ...a!.prefix, addr: a!.addr }) });
    return true;
  }

  /** IFF_UP: a down interface sends nothing and drops what its link delivers. */
  get up(): boolean {
    return this.isUp;
  }

  setUp(up: boolean): void {
    if (up === this.isUp) return;
    this.isUp = up;
    this.emit({ type: up ? 'up' : 'down', ifname: this.name });
  }

  /**
   * ifnet_detach: the interface leaves its host. Its addresses go (address-removed each, as in_purgeaddrs), it
   * goes down without a link event, watchers hear 'detached' last, then its interface filters are detached
   * (iff_detached) and the watchers dropped. Packets its link still delivers are dropped (it is down).
   */
  detach(): void {
    while (this.addrs.length) {
      const a = this.addrs[0]!;
      this.removeAddress(formatPrefix({ ...a.prefix, addr: a.addr }));
    }
    this.isUp = false;
    this.emit({ type: 'detached', ifname: this.name });
    for (const f of [...this.filters]) f.detach();
    this.watchers.clear();
  }

  /** Subscribes to up/down and address changes; returns the unsubscribe function. */
  watch(fn: (ev: IfEvent) => void): () => void {
    this.watchers.add(fn);
    return () => {
      this.watchers.delete(fn);
    };
  }

  private emit(ev: IfEvent): void {
    for (const fn of [...this.watchers]) fn(ev);
  }

  has(addr: Uint8Array): boolean {
    return this.addrs.some((a) => addrEqual(a.addr, addr));
  }

  /**
   * Source address for a packet leaving here toward `toward` (the destination or the next hop): an address
   * whose prefix contains it, else the first of the same family (RFC 6724 rule 1/8 reduced to "on-link first").
   */
  sourceFor(toward: Uint8Array): Uint8Array | undefined {
    let first: Uint8Array | undefined;
    for (const a of this.addrs) {
      if (a.addr.length !== toward.length) continue;
      if (prefixContains(a.prefix, toward)) return a.addr;
      first ??= a.addr;
    }
    return first;
  }

  describe(): string {
    return `${this.name} mtu ${this.mtu} ${this.addrs.map((a) => `${formatPrefix({ ...a.prefix, addr: a.addr })}`).join(' ')}`;
  }
}
