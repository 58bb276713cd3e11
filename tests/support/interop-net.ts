// The network of an interop test or bench: a uipsec machine and a peer machine (strongSwan, or a second
// uipsec) in network namespaces `uipsec-<tag>-<pid>-u` and `-s`, joined by a veth pair with the outer (IKE)
// addresses, and the protected networks behind each side: either one inner address on the machine's `lo`
// (traffic from the gateway itself, `iperf3 -B INNER`), or a client namespace behind each gateway
// (`-cu`/`-cs`, forwarding on: real gateway routing). Everything made here is deleted by destroy(), and at
// process exit if a test never got there (with the processes registered through onExitCleanup()).
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const exitHooks = new Set<() => void>();
let exitHooked = false;

/** Runs `fn` at process exit unless the returned function was called first (cleanup of a test that died). */
export function onExitCleanup(fn: () => void): () => void {
  if (!exitHooked) {
    exitHooked = true;
    process.once('exit', () => {
      for (const f of [...exitHooks]) {
        try {
          f();
        } catch {
          /* best effort at exit */
        }
      }
    });
  }
  exitHooks.add(fn);
  return () => exitHooks.delete(fn);
}

let clkTck = 0;

/** User + system CPU seconds of a process, all its threads (/proc/<pid>/stat fields 14 and 15, proc(5)). */
export function procCpuSeconds(pid: number): number {
  if (!clkTck) clkTck = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return NaN;
  }
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / clkTck;
}

export function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
}

/** A sysctl of the namespace, written to /proc/sys (per network namespace) so that procps is not needed. */
export function sysctl(ns: string, key: string, value: string): void {
  const path = `/proc/sys/${key.replace(/\./g, '/')}`;
  const r = spawnSync('ip', ['netns', 'exec', ns, 'sh', '-c', `echo ${value} > ${path}`], { timeout: 10_000 });
  if (r.status !== 0) throw new Error(`writing ${value} to ${path} in ${ns} failed: ${String(r.stderr)}`);
}

export interface InteropNetOptions {
  /** First three octets of the veth /24: `.1` is the uipsec machine, `.2` the peer. Default 198.51.100. */
  outer?: string;
  /** First three octets of the network behind the uipsec machine (/24). Default 10.91.1. */
  innerU?: string;
  /** ... behind the peer. Default 10.91.2. */
  innerS?: string;
  /** A client namespace behind each gateway instead of an address on the gateway's `lo`. */
  clients?: boolean;
}

export interface InteropNet {
  /** The uipsec machine's namespace (`uipsec-<tag>-<pid>-u`) and the peer's (`-s`). */
  u: string;
  s: string;
  /** The veth ends in u and s. */
  ifU: string;
  ifS: string;
  /** Outer (IKE, ESP) addresses on the veth. */
  addrU: string;
  addrS: string;
  /** The protected networks behind each side (`10.91.1.0/24`). */
  innerNetU: string;
  innerNetS: string;
  /**
   * The protected address of each side that traffic runs between: on the gateway's `lo` (`.1`), or the
   * client's (`.2`, the gateway being `.1` on the client veth) with `clients`.
   */
  innerU: string;
  innerS: string;
  /** Where to run a program that uses innerU/innerS: the gateway's namespace, or the client's. */
  hostU: string;
  hostS: string;
  /** Deletes every namespace (their veths and processes' sockets go with them). Idempotent. */
  destroy(): void;
}

/** Makes the namespaces, the veth and the inner addresses (bounded `ip` calls); destroys them on failure. */
export function makeInteropNet(tag: string, o: InteropNetOptions = {}): InteropNet {
  const id = String(process.pid);
  const base = `uipsec-${tag}-${id}`;
  const short = `u${tag.slice(0, 4)}${id.slice(-5)}`;
  const [outer, iu, is] = [o.outer ?? '198.51.100', o.innerU ?? '10.91.1', o.innerS ?? '10.91.2'];
  const names = o.clients ? ['u', 's', 'cu', 'cs'] : ['u', 's'];
  const made: string[] = [];
  const destroy = () => {
    for (const n of made.splice(0)) spawnSync('ip', ['netns', 'del', n], { timeout: 10_000 });
    forget();
  };
  const forget = onExitCleanup(destroy);
  try {
    for (const n of names) {
      ip(['netns', 'add', `${base}-${n}`]);
      made.push(`${base}-${n}`);
      ip(['-n', `${base}-${n}`, 'link', 'set', 'lo', 'up']);
    }
    const [u, s] = [`${base}-u`, `${base}-s`];
    const net: InteropNet = {
      u,
      s,
      ifU: `${short}u`,
      ifS: `${short}s`,
      addrU: `${outer}.1`,
      addrS: `${outer}.2`,
      innerNetU: `${iu}.0/24`,
      innerNetS: `${is}.0/24`,
      innerU: o.clients ? `${iu}.2` : `${iu}.1`,
      innerS: o.clients ? `${is}.2` : `${is}.1`,
      hostU: o.clients ? `${base}-cu` : u,
      hostS: o.clients ? `${base}-cs` : s,
      destroy,
    };
    link(u, net.ifU, `${net.addrU}/24`, s, net.ifS, `${net.addrS}/24`);
    for (const [gw, inner, client, ifc] of [
      [u, iu, `${base}-cu`, `${short}cu`],
      [s, is, `${base}-cs`, `${short}cs`],
    ] as const) {
      if (!o.clients) {
        ip(['-n', gw, 'addr', 'add', `${inner}.1/32`, 'dev', 'lo']);
        continue;
      }
      link(gw, `${ifc}g`, `${inner}.1/24`, client, ifc, `${inner}.2/24`);
      ip(['-n', client, 'route', 'add', 'default', 'via', `${inner}.1`]);
      sysctl(gw, 'net.ipv4.ip_forward', '1');
    }
    return net;
  } catch (e) {
    destroy();
    throw e;
  }
}

/** A veth pair between two namespaces, an IPv4 address on each end, both up. */
export function link(nsA: string, ifA: string, addrA: string, nsB: string, ifB: string, addrB: string): void {
  ip(['link', 'add', ifA, 'netns', nsA, 'type', 'veth', 'peer', 'name', ifB, 'netns', nsB]);
  for (const [ns, dev, addr] of [
    [nsA, ifA, addrA],
    [nsB, ifB, addrB],
  ] as const) {
    ip(['-n', ns, 'addr', 'add', addr, 'dev', dev]);
    ip(['-n', ns, 'link', 'set', dev, 'up']);
  }
}

/** Runs a command inside a namespace without blocking the event loop (other processes' output keeps flowing). */
export function nsExec(
  ns: string,
  cmd: string[],
  timeoutMs = 60_000,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', ns, ...cmd], { timeout: timeoutMs, maxBuffer: 32 << 20 }, (e, out, err) => {
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, out, err });
    });
  });
}
