// `uipsec status`: what a host holds, read the way setkey reads it (SADB_DUMP and SADB_X_SPDDUMP over
// PF_KEY, RFC 2367 §2.3.2 / KAME X_SPDDUMP) and shown for a person at a glance, or as one JSON object.
// SA counters are the CURRENT lifetime (bytes and packets through each SA). Interfaces, routes and the
// host's espstat/ipsecstat/netstat counters are not carried by PF_KEY: they come from the daemon's STATUS
// frame on its app channel, from the Host itself when it is in this process, or from the daemon's config file.
import * as C from '../pfkey/constants.js';
import type { PfkeyClient } from '../pfkey/client.js';
import type { PfkeyMessage } from '../pfkey/msg.js';
import { ERRNO_NUMBERS } from '../pfkey/errors.js';
import { policyViewFromMessage, saViewFromMessage } from '../setkey/from-pfkey.js';
import { saToJson, policyToJson } from '../setkey/json.js';
import { dumpPolicy, formatInetAddr, DUMP_NAMES } from '../setkey/print.js';
import type { PolicyView, SaView } from '../setkey/view.js';
import { protoName } from '../setkey/netdb.js';
import type { Host } from '../kernel/host/host.js';
import { formatPrefix } from '../common/inet.js';
import { formatTable, section } from './table.js';
import { controlsFromStatus, formatControls, type ControlsReport } from './status-controls.js';

export interface InterfaceStatus {
  name: string;
  addresses: string[];
  mtu?: number;
  link?: string;
}

export interface StatusReport {
  /** Where it came from: a socket path or "in-process host NAME". */
  source: string;
  interfaces?: InterfaceStatus[];
  routes?: { prefix: string; via?: string; iface?: string }[];
  sas: SaView[];
  policies: PolicyView[];
  /** Non-zero espstat/ahstat/ipcompstat/ipsecstat and IP counters, when the host is at hand. */
  counters?: Record<string, number>;
  /** SAD and SPD sizes as the host counts them (larval SAs included). */
  tables?: { sad: number; spd: number };
  /** Set when the daemon could not be asked: why (SAs and policies are then unknown, not empty). */
  offline?: string;
  /** uipsecd --tun: the TUN and the machine routing it installed, as the daemon reports them. */
  tun?: TunReport;
  /** The daemon's kernel controls (extensions' PF_SYSTEM endpoints) with their counters. */
  controls?: ControlsReport;
}

export interface TunReport {
  device: string;
  mtu?: number;
  table?: number;
  mark?: string;
  /** False while a route sync runs. */
  synced?: boolean;
  rules: string[];
  routes: { prefix: string; dev?: string; src?: string; killSwitch: boolean }[];
  routesTotal?: number;
  killSwitch: string[];
  killSwitchTotal?: number;
  counters: Record<string, number>;
}

type HostPart = Pick<StatusReport, 'interfaces' | 'routes' | 'counters' | 'tables' | 'tun' | 'controls'>;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v.slice(0, 256) : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function countersOf(v: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (isObj(v)) for (const [k, x] of Object.entries(v)) if (num(x) !== undefined) out[k.slice(0, 64)] = x as number;
  return out;
}

/** The IKE/app channel's drop counters, non-zero ones, as host counters (issue 11 item 5). */
function channelCounters(v: unknown): Record<string, number> {
  const c = countersOf(v);
  const out: Record<string, number> = {};
  if (c.sendDrops) out.ikechan_send_drops = c.sendDrops;
  if (c.queueDrops) out.ikechan_queue_drops = c.queueDrops;
  return out;
}

const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(str).filter((x): x is string => x !== undefined) : [];

/** The TUN part of STATUS (kernel/daemon/tun-mode.ts status), typed field by field; undefined if absent. */
function tunFromStatus(v: unknown): TunReport | undefined {
  if (!isObj(v) || str(v.device) === undefined) return undefined;
  const routes = (Array.isArray(v.routes) ? v.routes : []).filter(isObj).map((r) => ({
    prefix: str(r.prefix) ?? '?',
    dev: str(r.dev),
    src: str(r.src),
    killSwitch: r.killSwitch === true,
  }));
  return {
    device: str(v.device)!,
    mtu: num(v.mtu),
    table: num(v.table),
    mark: str(v.mark),
    synced: typeof v.synced === 'boolean' ? v.synced : undefined,
    rules: strings(v.rules),
    routes,
    routesTotal: num(v.routesTotal),
    killSwitch: strings(v.killSwitch),
    killSwitchTotal: num(v.killSwitchTotal),
    counters: countersOf(v.counters),
  };
}

/** The TUN section of the text report. */
function formatTun(t: TunReport): string {
  let s = section(`TUN ${t.device}${t.mtu ? ` (mtu ${t.mtu})` : ''}`);
  s += `  policy routing: table ${t.table ?? '?'}, firewall mark ${t.mark ?? '?'} on the daemon's own sockets`;
  s += t.synced === false ? ' (a route sync is running)\n' : '\n';
  s += t.rules.length ? t.rules.map((r) => `  rule ${r}\n`).join('') : '  rules: none installed\n';
  const more = (shown: number, total: number | undefined) =>
    total !== undefined && total > shown ? `  ... ${total - shown} more\n` : '';
  if (t.routes.length)
    s += formatTable(
      ['route (table ' + (t.table ?? '?') + ')', 'into', 'src', 'kill-switch'],
      t.routes.map((r) => [r.prefix, r.dev ?? t.device, r.src ?? '-', r.killSwitch ? 'prohibit' : '-']),
    );
  else s += '  routes: none (no outbound IPsec policy)\n';
  s += more(t.routes.length, t.routesTotal);
  const armed = t.killSwitchTotal ?? t.killSwitch.length;
  s += `  kill-switch: ${armed ? `armed for ${armed} destination${armed === 1 ? '' : 's'} (prohibit routes stay if uipsecd dies; a clean stop removes them)` : 'none (no require/unique policy)'}\n`;
  const c = Object.entries(t.counters);
  if (c.length) s += `  counters: ${c.map(([k, v]) => `${k} ${v}`).join(', ')}\n`;
  return s;
}

/**
 * The host part of a report from the daemon's STATUS JSON (kernel/daemon/ike-server.ts hostStatus). Fields of
 * the wrong type are left out rather than trusted; throws TypeError if it is not a host status at all.
 */
export function hostPartFromStatus(j: Record<string, unknown>): HostPart {
  if (!Array.isArray(j.interfaces) || !Array.isArray(j.routes))
    throw new TypeError('STATUS without interfaces and routes');
  const interfaces = j.interfaces.filter(isObj).map((i) => ({
    name: str(i.name) ?? '?',
    addresses: Array.isArray(i.addresses) ? i.addresses.map(str).filter((a): a is string => a !== undefined) : [],
    mtu: num(i.mtu),
    link: str(i.link),
  }));
  const routes = j.routes
    .filter(isObj)
    .map((r) => ({ prefix: str(r.prefix) ?? '?', via: str(r.via), iface: str(r.iface) }));
  const sad = num(j.sadSize),
    spd = num(j.spdSize);
  return {
    interfaces,
    routes,
    counters: {
      ...countersOf(j.ipsecCounters),
      ...countersOf(j.netCounters),
      ...countersOf(j.pfkeyCounters),
      ...countersOf(j.extCounters),
      ...channelCounters(j.channel),
    },
    tables: sad !== undefined && spd !== undefined ? { sad, spd } : undefined,
    tun: tunFromStatus(j.tun),
    controls: controlsFromStatus(j.controls, j.controlsTotal),
  };
}

/** SAs and policies from a PF_KEY dump (an empty table is ENOENT, not an error). */
export async function dumpTables(client: PfkeyClient): Promise<{ sas: SaView[]; policies: PolicyView[] }> {
  const views = async <T>(type: number, conv: (m: PfkeyMessage) => T | string): Promise<T[]> => {
    const out: T[] = [];
    for (const m of await client.dumpAll(type)) {
      if (m.msg.errno === ERRNO_NUMBERS.ENOENT) continue;
      if (m.msg.errno !== 0) throw new Error(`PF_KEY dump failed: errno ${m.msg.errno}`);
      const v = conv(m);
      if (typeof v !== 'string') out.push(v);
    }
    return out;
  };
  return {
    sas: await views(C.SADB_DUMP, saViewFromMessage),
    policies: await views(C.SADB_X_SPDDUMP, policyViewFromMessage),
  };
}

/** Interfaces, routes and counters of a Host in this process (what uipsecd does not export). */
export function hostExtras(host: Host): HostPart {
  const interfaces = host.interfaces().map((i) => ({
    name: i.name,
    addresses: i.addrs.map((a) => `${formatInetAddr(a.addr)}/${a.prefix.len}`),
    mtu: i.mtu,
  }));
  const routes = host.routes.list().map((r) => ({
    prefix: formatPrefix(r.prefix),
    via: r.gateway ? formatInetAddr(r.gateway) : undefined,
    iface: r.ifname,
  }));
  return {
    interfaces,
    routes,
    counters: { ...host.stats.nonZero(), ...host.netstat.nonZero(), ...host.extensions.stats.snapshot() },
    tables: { sad: host.sad.size, spd: host.spd.size },
  };
}

const name = (t: Readonly<Record<number, string>> | readonly string[], v: number) =>
  (t as Record<number, string>)[v] ?? String(v);
const spiText = (spi: number) => `0x${(spi >>> 0).toString(16).padStart(8, '0')}`;

function algText(sa: SaView): string {
  if (sa.satype === C.SADB_X_SATYPE_IPCOMP) return name(DUMP_NAMES.comp, sa.encAlg);
  const parts: string[] = [];
  if (sa.satype === C.SADB_SATYPE_ESP) parts.push(name(DUMP_NAMES.enc, sa.encAlg));
  if (sa.authAlg !== 0) parts.push(name(DUMP_NAMES.auth, sa.authAlg));
  return parts.join(' + ');
}

function selector(pv: PolicyView): string {
  if (!pv.src || !pv.dst) return '(socket)';
  const one = (s: NonNullable<PolicyView['src']>) =>
    `${formatInetAddr(s.addr)}/${s.prefixLen}${s.port ? `[${s.port}]` : ''}`;
  return `${one(pv.src)} > ${one(pv.dst)}`;
}

/** The report for a person: short sections with aligned columns. */
export function formatStatus(r: StatusReport, nowSec = Math.floor(Date.now() / 1000)): string {
  let s = `uipsec status of ${r.source}\n`;
  if (r.interfaces) {
    s += section('Interfaces');
    s += formatTable(
      ['interface', 'addresses', 'mtu', 'link'],
      r.interfaces.map((i) => [i.name, i.addresses.join(' ') || '-', i.mtu ?? '', i.link ?? '']),
    );
  }
  if (r.routes?.length)
    s +=
      '\n' +
      formatTable(
        ['route', 'via', 'interface'],
        r.routes.map((x) => [x.prefix, x.via ?? '-', x.iface ?? '']),
      );
  if (r.offline !== undefined)
    return (
      s +
      `\nuipsecd not reachable (${r.offline}): interfaces and routes above are from its config file; SAs, policies and counters unknown\n`
    );
  if (r.tun) s += formatTun(r.tun);
  if (r.controls?.total) s += formatControls(r.controls);
  if (r.tables)
    s += `\nSAD ${r.tables.sad} SA${r.tables.sad === 1 ? '' : 's'}, SPD ${r.tables.spd} polic${r.tables.spd === 1 ? 'y' : 'ies'}\n`;
  if (r.counters) {
    // KAME espstat/ahstat/ipcompstat/ipsecstat and netstat names, sorted so that families stay together.
    s += section('Host counters (non-zero)');
    const rows = Object.entries(r.counters).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    s += rows.length
      ? formatTable(
          ['counter', 'value'],
          rows.map(([k, v]) => [k, v]),
        )
      : '  all zero\n';
  }
  s += section(`Security associations (${r.sas.length})`);
  if (r.sas.length === 0) s += '  none\n';
  else {
    s += formatTable(
      ['src > dst', 'proto', 'mode', 'SPI', 'state', 'algorithms', 'packets', 'bytes', 'age'],
      r.sas.map((sa) => {
        const age = sa.current ? `${Math.max(0, nowSec - Number(sa.current.addtime))}s` : '';
        return [
          `${formatInetAddr(sa.src.addr)} > ${formatInetAddr(sa.dst.addr)}`,
          name(DUMP_NAMES.satype, sa.satype),
          name(DUMP_NAMES.mode, sa.mode),
          spiText(sa.spi),
          name(DUMP_NAMES.state, sa.state),
          algText(sa),
          sa.current?.allocations ?? 0,
          Number(sa.current?.bytes ?? 0),
          age,
        ];
      }),
    );
  }
  s += section(`Policies (${r.policies.length})`);
  if (r.policies.length === 0) s += '  none\n';
  else
    s += formatTable(
      ['selector', 'upper', 'policy'],
      r.policies.map((p) => [
        selector(p),
        p.upperProto === 255 ? 'any' : (protoName(p.upperProto) ?? String(p.upperProto)),
        dumpPolicy(p, ' '),
      ]),
    );
  if (!r.counters)
    s +=
      '\n(host counters: this uipsecd does not answer STATUS on its app channel; per-SA packets/bytes above are the SA lifetimes)\n';
  return s;
}

/**
 * The report for scripts: SAs and policies as `setkey -D/-DP --json` print them, plus the rest. SA keys only
 * when `keys` is set (`uipsec status --json --keys`): status output goes to logs, tickets and dashboards.
 */
export function statusJson(r: StatusReport, opts: { keys: boolean } = { keys: false }): string {
  return `${JSON.stringify(
    {
      source: r.source,
      offline: r.offline ?? null,
      interfaces: r.interfaces ?? null,
      routes: r.routes ?? null,
      tables: r.tables ?? null,
      counters: r.counters ?? null,
      tun: r.tun ?? null,
      controls: r.controls?.controls ?? null,
      sas: r.offline !== undefined ? null : r.sas.map((sa) => saToJson(sa, opts)),
      policies: r.offline !== undefined ? null : r.policies.map(policyToJson),
    },
    null,
    2,
  )}\n`;
}
