// A host's network interfaces (BSD `struct ifnet` + `struct in_ifaddr`/`in6_ifaddr`, reduced): a name, the link
// that carries its packets, and its addresses with their prefixes. Source address selection lives here too.
import type { Link } from '../link/link.js';
import { type Prefix, addrEqual, parsePrefix, prefixContains, formatPrefix } from '../../common/inet.js';

/** One address on an interface with its on-link prefix (`10.0.0.1/24`). */
export interface IfAddr {
  addr: Uint8Array;
  prefix: Prefix;
}

/** An interface of one Host. */
export class Interface {
  readonly addrs: IfAddr[] = [];
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
    return a;
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
