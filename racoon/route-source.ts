// The source address the machine's routing picks toward a destination (ipsec-tools sockmisc.c getlocaladdr,
// which connects a UDP socket and reads its name): `ip -j route get DST`'s prefsrc. Used by racoonctl vc when
// no policy names the gateway yet; synchronous (an operator's command, bounded by a short timeout). With
// uipsecd --tun the machine's addresses are the ones IKE uses; with uipsecd's own stack they are not, and vc
// then needs a policy toward the gateway (or establish-sa with both addresses).
import { execFileSync } from 'node:child_process';
import { formatAddr, parseAddr } from '../common/inet.js';

/** The routing source toward `dst`, or undefined (no route, no `ip` command, or an answer without one). */
export function routeSource(dst: Uint8Array): Uint8Array | undefined {
  let out: string;
  try {
    out = execFileSync('ip', ['-j', 'route', 'get', formatAddr(dst)], {
      encoding: 'utf8',
      timeout: 2000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return undefined;
  }
  return prefsrcOf(out, dst.length);
}

/** The `prefsrc` of `ip -j route get`'s first route, when it is an address of the destination's family. */
export function prefsrcOf(json: string, family: number): Uint8Array | undefined {
  try {
    const routes = JSON.parse(json) as unknown;
    const first = Array.isArray(routes) ? (routes[0] as { prefsrc?: unknown } | undefined) : undefined;
    if (typeof first?.prefsrc !== 'string') return undefined;
    const a = parseAddr(first.prefsrc);
    return a?.length === family ? a : undefined;
  } catch {
    return undefined;
  }
}
