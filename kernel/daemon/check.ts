// `uipsecd -n` with `tun`: what the machine lets a TUN-mode daemon do, one line per finding, each saying
// what is missing and how to get it (docs/protecting-real-traffic.md): the TUN device, raw sockets and
// SO_MARK, the IKE ports, the daemon's rule and table (free, or left by a previous run), reverse-path filtering.
import { readFileSync } from 'node:fs';
import { parseAddr } from '../../common/inet.js';
import type { DaemonConfig } from './config.js';
import { openTun, closeTun } from '../os/tun.js';
import { openRawSocket, openUdpSocket, closeFd } from '../os/sockets.js';
import { libc } from '../os/libc.js';
import { ipJson, machineAddresses, runIp } from '../os/ip-command.js';
import { RULE_PREF } from '../os/route-sync.js';
import { IPPROTO_ESP } from '../ip/constants.js';
import { WIRE_UDP_PORTS } from '../link/os-wire.js';

export type FindingLevel = 'ok' | 'missing' | 'conflict' | 'warning' | 'note';

export interface Finding {
  level: FindingLevel;
  text: string;
}

/** Findings that stop the daemon from starting (the others are advice). */
export function blocking(f: Finding): boolean {
  return f.level === 'missing' || f.level === 'conflict';
}

function attempt(what: string, fn: () => void, hint: string): Finding {
  try {
    fn();
    return { level: 'ok', text: what };
  } catch (e) {
    return { level: 'missing', text: `${what}: ${(e as Error).message}${hint ? ` (${hint})` : ''}` };
  }
}

function rpFilter(ifname: string): number {
  const read = (n: string) => {
    try {
      return Number(readFileSync(`/proc/sys/net/ipv4/conf/${n}/rp_filter`, 'utf8').trim());
    } catch {
      return 0;
    }
  };
  return Math.max(read('all'), read(ifname));
}

/** Every finding for `config` (which has `tun`); never throws. */
export async function checkTunSetup(config: DaemonConfig): Promise<Finding[]> {
  const out: Finding[] = [];
  try {
    libc();
  } catch (e) {
    return [{ level: 'missing', text: (e as Error).message }];
  }
  if ((await runIp(['-V'])).code !== 0)
    out.push({ level: 'missing', text: 'the ip command (iproute2) is not installed' });
  const name = config.tun!;
  out.push(
    attempt(
      `TUN device ${name} can be created`,
      () => closeTun(openTun({ name })),
      'needs /dev/net/tun and CAP_NET_ADMIN',
    ),
  );
  out.push(
    attempt(
      'raw IP sockets (ESP/AH/IPComp) with SO_MARK',
      () => closeFd(openRawSocket(4, IPPROTO_ESP, config.mark)),
      '',
    ),
  );
  const addrs = await machineAddresses(name);
  if (addrs.length === 0) out.push({ level: 'missing', text: 'no global address on an interface that is up' });
  for (const a of addrs) {
    for (const port of WIRE_UDP_PORTS)
      out.push(
        attempt(`UDP ${a.local} port ${port} is free`, () => closeFd(openUdpSocket(parseAddr(a.local)!, port, 0)), ''),
      );
    if (a.family === 4 && rpFilter(a.ifname) !== 1)
      out.push({
        level: 'note',
        text: `rp_filter is not strict on ${a.ifname}: cleartext from a protected peer reaches the machine's applications; net.ipv4.conf.all.rp_filter=1 and net.ipv4.conf.${a.ifname}.rp_filter=1 make the kernel drop it`,
      });
  }
  out.push(...(await routingFindings(config, name)));
  return out;
}

async function routingFindings(config: DaemonConfig, tun: string): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const family of [4, 6] as const) {
    const rules = await ipJson<{ priority: number; fwmark?: string; table?: string }>([`-${family}`, 'rule', 'show']);
    for (const r of rules.filter((x) => x.priority === RULE_PREF)) {
      if (r.table === String(config.table) && Number(r.fwmark) === config.mark)
        out.push({
          level: 'note',
          text: `IPv${family} rule ${RULE_PREF} of a previous run is in place (kept; reconciled at start)`,
        });
      else
        out.push({
          level: 'conflict',
          text: `IPv${family} rule priority ${RULE_PREF} belongs to someone else (table ${r.table ?? '?'})`,
        });
    }
    const routes = await ipJson<{ type?: string; dst: string; dev?: string }>([
      `-${family}`,
      'route',
      'show',
      'table',
      String(config.table),
    ]);
    const foreign = routes.filter((r) => r.type !== 'prohibit' && r.dev !== tun);
    const kills = routes.filter((r) => r.type === 'prohibit');
    if (foreign.length)
      out.push({
        level: 'conflict',
        text: `IPv${family} table ${config.table} holds routes that are not uipsecd's (${foreign
          .map((r) => `${r.dst} dev ${r.dev ?? '?'}`)
          .slice(0, 3)
          .join(', ')}): choose another with "table N"`,
      });
    if (kills.length)
      out.push({
        level: 'note',
        text: `IPv${family} kill-switch of a previous run: ${kills.length} prohibit route(s) in table ${config.table}, reconciled at start`,
      });
  }
  return out;
}
