// Naive reference SPD for differential tests: one list in insertion order, every lookup a
// full scan. It shares nothing with kernel/spd/tuple-index.ts except common/inet's prefixContains.
import { prefixContains } from '../../common/inet.js';
import type { Prefix } from '../../common/inet.js';

export interface OracleEntry {
  id: number; // the id the real SPD gave the policy, to compare answers
  dir: string;
  src: Prefix;
  dst: Prefix;
  proto: number; // 255 = any
  sport: number; // 0 = any
  dport: number; // 0 = any
  priority: number; // lower wins
}

function sameSelector(a: OracleEntry, b: OracleEntry): boolean {
  const eq = (x: Prefix, y: Prefix) =>
    x.len === y.len && x.addr.length === y.addr.length && x.addr.every((v, i) => v === y.addr[i]);
  return (
    a.dir === b.dir &&
    eq(a.src, b.src) &&
    eq(a.dst, b.dst) &&
    a.proto === b.proto &&
    a.sport === b.sport &&
    a.dport === b.dport
  );
}

export class LinearSpd {
  /** Oldest first: KAME appends new and replacing policies at the tail of their priority. */
  entries: OracleEntry[] = [];

  add(e: OracleEntry): void {
    if (this.entries.some((x) => sameSelector(x, e))) throw new Error('oracle: duplicate selector');
    this.entries.push(e);
  }

  /** Update: drop the same selector if present, then append. */
  update(e: OracleEntry): void {
    this.entries = this.entries.filter((x) => !sameSelector(x, e));
    this.entries.push(e);
  }

  removeById(id: number): boolean {
    const n = this.entries.length;
    this.entries = this.entries.filter((x) => x.id !== id);
    return this.entries.length !== n;
  }

  /** Every entry that matches, then the lowest priority; on a tie the first in list order. */
  lookup(
    dir: string,
    src: Uint8Array,
    dst: Uint8Array,
    proto: number,
    sport: number,
    dport: number,
  ): OracleEntry | undefined {
    let best: OracleEntry | undefined;
    for (const e of this.entries) {
      if (e.dir !== dir) continue;
      if (e.src.addr.length !== src.length || e.dst.addr.length !== dst.length) continue;
      if (!prefixContains(e.src, src) || !prefixContains(e.dst, dst)) continue;
      if (e.proto !== 255 && e.proto !== proto) continue;
      if (e.sport !== 0 && e.sport !== sport) continue;
      if (e.dport !== 0 && e.dport !== dport) continue;
      if (best === undefined || e.priority < best.priority) best = e;
    }
    return best;
  }
}
