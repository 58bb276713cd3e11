// Keeps the machine's policy routing in line with a TUN-mode host's SPD (plan: kernel/os/route-plan.ts),
// as wg-quick does for WireGuard: the daemon's wire sockets carry a firewall mark, and one rule per family
//   pref RULE_PREF: not fwmark MARK lookup TABLE
// sends everything else through the daemon's table first; the table holds only the protected destinations
// (into the TUN, and the prohibit kill-switch behind them), so other traffic falls through to the main
// table. A clean stop removes the rules and the table; a crash leaves the prohibit routes and the rule:
// protected traffic is refused, never sent in clear. Start-up reconciles with whatever a previous run left.
import type { Logger } from '../../common/log.js';
import { formatPrefix, parsePrefix } from '../../common/inet.js';
import { runIp, ipJson } from './ip-command.js';
import { KILL_SWITCH_METRIC, type PlannedRoute } from './route-plan.js';

/** Priority of the daemon's rule: after `local` (0), before `main` (32766). */
export const RULE_PREF = 4500;
/**
 * Just before it, the wire rules: ESP, AH, IPComp and UDP from/to ports 500 and 4500 look up `main`. They
 * matter for the reverse-path check of what arrives from a peer (the kernel swaps the ports and, with such
 * rules present, fills in the protocol): with strict rp_filter, ESP from a protected peer then passes,
 * while cleartext from it fails (its source routes into the TUN) — inbound fail-closed done by the kernel.
 */
export const WIRE_RULE_PREF = RULE_PREF - 1;
const WIRE_RULES: string[][] = [
  ['ipproto', '50'],
  ['ipproto', '51'],
  ['ipproto', '108'],
  ['ipproto', '17', 'sport', '500'],
  ['ipproto', '17', 'sport', '4500'],
];
/** Defaults for the daemon's routing table and firewall mark (`table`, `mark` config statements). */
export const DEFAULT_TABLE = 4500;
export const DEFAULT_MARK = 0x4500;

export interface RouteSyncOptions {
  tun: string;
  table: number;
  mark: number;
  log: Logger;
}

interface IpRouteJson {
  type?: string;
  dst: string;
  dev?: string;
  metric?: number;
  prefsrc?: string;
}
interface IpRuleJson {
  priority: number;
  not?: null;
  fwmark?: string;
  table?: string;
}

/** iproute2's dst ("default", "10.0.0.2", "10.1.0.0/16") as "a/len" in our own formatting. */
export function normalizeDst(dst: string, family: 4 | 6): string | undefined {
  const text = dst === 'default' ? (family === 4 ? '0.0.0.0/0' : '::/0') : dst;
  const p = parsePrefix(text.includes('/') ? text : `${text}/${family === 4 ? 32 : 128}`);
  return p ? formatPrefix(p) : undefined;
}

export class RouteSync {
  /** What the last sync installed, for status and tests. */
  installed: PlannedRoute[] = [];
  /** The policy-routing rules were in place after the last sync (false after removeAll). */
  rulesInstalled = false;

  constructor(private readonly o: RouteSyncOptions) {}

  private tunCmd(r: PlannedRoute, verb: 'replace' | 'del'): string {
    const src = verb === 'replace' && r.src ? ` src ${r.src}` : '';
    return `route ${verb} ${r.prefix} dev ${this.o.tun} table ${this.o.table} metric 0${src}`;
  }

  private killCmd(prefix: string, verb: 'replace' | 'del'): string {
    return `route ${verb} prohibit ${prefix} table ${this.o.table} metric ${KILL_SWITCH_METRIC}`;
  }

  /** The table's current routes that are ours: through our TUN, or prohibit (keys as in `sync`). */
  private async current(): Promise<Map<string, string>> {
    const have = new Map<string, string>();
    for (const family of [4, 6] as const) {
      const rows = await ipJson<IpRouteJson>([`-${family}`, 'route', 'show', 'table', String(this.o.table)]);
      for (const r of rows) {
        const prefix = normalizeDst(r.dst, family);
        if (!prefix) continue;
        if (r.type === 'prohibit') have.set(`kill ${prefix}`, this.killCmd(prefix, 'del'));
        else if (r.dev === this.o.tun)
          have.set(`tun ${prefix}`, `route del ${prefix} dev ${this.o.tun} table ${this.o.table}`);
      }
    }
    return have;
  }

  /** The rule for each family, added when missing (never removed and re-added: no window without it). */
  private async ensureRules(): Promise<string[]> {
    const errors: string[] = [];
    for (const family of [4, 6] as const) {
      const rules = await ipJson<IpRuleJson>([`-${family}`, 'rule', 'show']);
      errors.push(...(await this.ensureWireRules(family, rules)));
      const ours = rules.filter((r) => r.priority === RULE_PREF);
      const good = ours.some((r) => 'not' in r && r.table === String(this.o.table) && Number(r.fwmark) === this.o.mark);
      if (good) continue;
      for (let i = 0; i < ours.length; i++) await runIp([`-${family}`, 'rule', 'del', 'pref', String(RULE_PREF)]);
      const r = await runIp([
        `-${family}`,
        'rule',
        'add',
        'pref',
        String(RULE_PREF),
        'not',
        'fwmark',
        `0x${this.o.mark.toString(16)}`,
        'table',
        String(this.o.table),
      ]);
      if (r.code !== 0) errors.push(`ip -${family} rule add: ${r.err.trim()}`);
    }
    return errors;
  }

  /** The wire rules (WIRE_RULE_PREF): re-added together when their number is not right (harmless meanwhile). */
  private async ensureWireRules(family: 4 | 6, rules: IpRuleJson[]): Promise<string[]> {
    const have = rules.filter((r) => r.priority === WIRE_RULE_PREF).length;
    if (have === WIRE_RULES.length) return [];
    for (let i = 0; i < have; i++) await runIp([`-${family}`, 'rule', 'del', 'pref', String(WIRE_RULE_PREF)]);
    const errors: string[] = [];
    for (const sel of WIRE_RULES) {
      const r = await runIp([`-${family}`, 'rule', 'add', 'pref', String(WIRE_RULE_PREF), ...sel, 'lookup', 'main']);
      if (r.code !== 0) errors.push(`ip -${family} rule add ${sel.join(' ')}: ${r.err.trim()}`);
    }
    return errors;
  }

  /**
   * Makes the table match `plan`: new protection first (replace is atomic per route), then what is no longer
   * asked for is removed. Resolves with the errors (each one line), [] when all went through.
   */
  async sync(plan: PlannedRoute[]): Promise<string[]> {
    const errors = await this.ensureRules();
    this.rulesInstalled = errors.length === 0;
    const want = new Map<string, string>();
    for (const r of plan) {
      if (r.killSwitch) want.set(`kill ${r.prefix}`, this.killCmd(r.prefix, 'replace'));
      want.set(`tun ${r.prefix}`, this.tunCmd(r, 'replace'));
    }
    const have = await this.current();
    const lines = [...want.values(), ...[...have].filter(([k]) => !want.has(k)).map(([, del]) => del)];
    if (lines.length) {
      const r = await runIp(['-force', '-batch', '-'], lines.join('\n') + '\n');
      if (r.code !== 0) errors.push(...r.err.trim().split('\n').filter(Boolean).slice(0, 8));
    }
    this.installed = plan;
    const kills = plan.filter((r) => r.killSwitch).length;
    this.o.log.log(
      'info',
      `routes: ${plan.length} destination(s) into ${this.o.tun}, ${kills} with a kill-switch (table ${this.o.table})`,
    );
    return errors;
  }

  /** Clean stop: the table and the rules go; protected destinations then follow the main table again. */
  async removeAll(): Promise<void> {
    for (const family of [4, 6] as const) {
      await runIp([`-${family}`, 'route', 'flush', 'table', String(this.o.table)]);
      for (const pref of [RULE_PREF, WIRE_RULE_PREF])
        for (let i = 0; i < 8; i++) {
          const r = await runIp([`-${family}`, 'rule', 'del', 'pref', String(pref)]);
          if (r.code !== 0) break;
        }
    }
    this.installed = [];
    this.rulesInstalled = false;
  }

  /**
   * What `uipsec status` shows of the machine's routing: what this daemon installed, not a guess; at most
   * `max` routes listed (the STATUS frame is bounded), the totals always.
   */
  status(max = 256): Record<string, unknown> {
    const kills = this.installed.filter((r) => r.killSwitch);
    return {
      table: this.o.table,
      mark: `0x${this.o.mark.toString(16)}`,
      rules: this.rulesInstalled
        ? [
            `${RULE_PREF}: not fwmark 0x${this.o.mark.toString(16)} lookup ${this.o.table}`,
            `${WIRE_RULE_PREF}: ESP, AH, IPComp, UDP 500/4500 lookup main`,
          ]
        : [],
      routes: this.installed
        .slice(0, max)
        .map((r) => ({ prefix: r.prefix, dev: this.o.tun, src: r.src, killSwitch: r.killSwitch })),
      routesTotal: this.installed.length,
      killSwitch: kills.slice(0, max).map((r) => `prohibit ${r.prefix} metric ${KILL_SWITCH_METRIC}`),
      killSwitchTotal: kills.length,
    };
  }
}
