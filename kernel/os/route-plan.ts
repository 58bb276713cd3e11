// What the machine's routing must look like for a TUN-mode host, computed from the SPD alone (so that
// `setkey -f` decides what is protected, as with a kernel): every destination of an outbound policy that
// applies IPsec or discards is routed into the TUN in the daemon's own table, and those a `require`/`unique`
// request or a discard covers also get a kill-switch: a `prohibit` route in the same table at a worse metric,
// which outlives the daemon (the TUN route vanishes with the device; the prohibit route stays until a clean
// stop). Pure: the plan is compared with what `ip -j` shows by kernel/os/route-sync.ts.
import { formatAddr, formatPrefix, addrEqual } from '../../common/inet.js';
import type { Policy } from '../spd/policy.js';

/** Metric of the kill-switch routes (the TUN routes use 0, so they win while the daemon runs). */
export const KILL_SWITCH_METRIC = 4500;

export interface PlannedRoute {
  family: 4 | 6;
  /** "a/len" as iproute2 prints it with the length always written. */
  prefix: string;
  /** Also a prohibit route (fail closed beyond the process). */
  killSwitch: boolean;
  /** Preferred source for locally generated traffic (transport mode: the policy's own local address). */
  src?: string;
}

/** The routes the SPD asks for, merged by prefix, sorted (stable output for logs and tests). */
export function planRoutes(policies: readonly Policy[], local: readonly Uint8Array[]): PlannedRoute[] {
  const byPrefix = new Map<string, PlannedRoute & { srcs: Set<string> }>();
  for (const p of policies) {
    if (p.dir !== 'out' || (p.action !== 'ipsec' && p.action !== 'discard')) continue;
    const sel = p.selector;
    const prefix = formatPrefix(sel.dst);
    const strict = p.action === 'discard' || p.requests.some((r) => r.level === 'require' || r.level === 'unique');
    const fullLen = sel.src.addr.length * 8;
    const src =
      sel.src.len === fullLen && local.some((a) => addrEqual(a, sel.src.addr)) ? formatAddr(sel.src.addr) : '';
    const e = byPrefix.get(prefix);
    if (e) {
      e.killSwitch ||= strict;
      e.srcs.add(src);
    } else byPrefix.set(prefix, { family: sel.family, prefix, killSwitch: strict, srcs: new Set([src]) });
  }
  return [...byPrefix.values()]
    .map(({ srcs, ...r }) => {
      const only = srcs.size === 1 ? [...srcs][0] : '';
      return only ? { ...r, src: only } : r;
    })
    .sort((a, b) => a.family - b.family || (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
}
