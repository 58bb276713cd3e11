// iproute2 as uipsecd drives it: `ip -j` to read addresses, rules and routes as JSON, `ip -batch -` to apply
// a set of changes in one process. Chosen over rtnetlink through the FFI: route and rule changes happen
// only when the SPD changes (not per packet), iproute2 is on every Linux machine that has policy routing,
// and its JSON output makes reconciliation a comparison of plain objects (docs/os-integration.md).
import { execFile } from 'node:child_process';

/** Bounded: a hung `ip` must not hang the daemon. */
const IP_TIMEOUT_MS = 10_000;

export interface IpResult {
  code: number;
  out: string;
  err: string;
}

/** Runs `ip ARGS` with `stdin` (for -batch); never rejects. */
export function runIp(args: string[], stdin?: string): Promise<IpResult> {
  return new Promise((resolve) => {
    const child = execFile('ip', args, { timeout: IP_TIMEOUT_MS, maxBuffer: 16 << 20 }, (err, out, errText) => {
      const code = err
        ? typeof (err as { code?: unknown }).code === 'number'
          ? (err as { code: number }).code
          : 127
        : 0;
      resolve({ code, out: String(out), err: String(errText) || (err && !errText ? err.message : '') });
    });
    if (stdin !== undefined) child.stdin?.end(stdin);
    else child.stdin?.end();
  });
}

/** `ip -j ARGS` parsed; [] when the command fails or prints nothing. */
export async function ipJson<T>(args: string[]): Promise<T[]> {
  const r = await runIp(['-j', ...args]);
  if (r.code !== 0 || r.out.trim() === '') return [];
  try {
    const v = JSON.parse(r.out) as unknown;
    return Array.isArray(v) ? (v as T[]) : [];
  } catch {
    return [];
  }
}

/** One address of the machine as `ip -j addr` shows it. */
export interface MachineAddress {
  ifname: string;
  family: 4 | 6;
  local: string;
  prefixlen: number;
  mtu: number;
}

interface IpAddrJson {
  ifname: string;
  mtu: number;
  flags?: string[];
  addr_info?: { family: string; local: string; prefixlen: number; scope: string; tentative?: boolean }[];
}

/**
 * The machine's global-scope addresses on interfaces that are up, except loopback and `exclude` (the
 * TUN): where the host in TUN mode answers IKE and receives ESP.
 */
export async function machineAddresses(exclude: string): Promise<MachineAddress[]> {
  const links = await ipJson<IpAddrJson>(['addr', 'show']);
  const out: MachineAddress[] = [];
  for (const l of links) {
    if (l.ifname === exclude || l.ifname === 'lo' || !(l.flags ?? []).includes('UP')) continue;
    for (const a of l.addr_info ?? []) {
      if (a.scope !== 'global' || a.tentative) continue;
      const family = a.family === 'inet6' ? 6 : a.family === 'inet' ? 4 : undefined;
      if (family) out.push({ ifname: l.ifname, family, local: a.local, prefixlen: a.prefixlen, mtu: l.mtu });
    }
  }
  return out;
}
