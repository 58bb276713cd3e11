// Longest-prefix-match routing table (one per host). Routes name an interface and an optional next hop.
import { type Prefix, prefixContains } from '../../common/inet.js';

export interface Route {
  prefix: Prefix;
  ifname: string;
  /** Next hop; absent for on-link destinations. */
  gateway?: Uint8Array;
  metric: number;
}

/** Routes kept per family, sorted by prefix length (longest first), then metric. */
export class RouteTable {
  private v4: Route[] = [];
  private v6: Route[] = [];

  add(r: Route): void {
    const list = r.prefix.family === 4 ? this.v4 : this.v6;
    list.push(r);
    list.sort((a, b) => b.prefix.len - a.prefix.len || a.metric - b.metric);
  }

  remove(pred: (r: Route) => boolean): number {
    const n = this.v4.length + this.v6.length;
    this.v4 = this.v4.filter((r) => !pred(r));
    this.v6 = this.v6.filter((r) => !pred(r));
    return n - this.v4.length - this.v6.length;
  }

  /** The most specific route covering `dst`, or undefined (no route to host). */
  lookup(dst: Uint8Array): Route | undefined {
    const list = dst.length === 4 ? this.v4 : this.v6;
    for (const r of list) if (prefixContains(r.prefix, dst)) return r;
    return undefined;
  }

  list(): Route[] {
    return [...this.v4, ...this.v6];
  }
}
