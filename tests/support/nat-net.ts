// A real NAT between the two machines of an interop test: three namespaces in a line, the NAT in the middle
// masquerading (nftables, RFC 3022 NAPT) what the private side sends out of its public interface, and a client
// namespace behind each machine as in tests/support/interop-net.ts. Either machine can be the one behind the NAT:
//
//   natted 'u':  cu ── u 192.168.77.2 ══ 192.168.77.1 n 203.0.113.1 ══ 203.0.113.2 s ── cs
//   natted 's':  cu ── u 203.0.113.2 ══ 203.0.113.1 n 192.168.77.1 ══ 192.168.77.2 s ── cs
//
// The public side never learns the private network (no route to it): it sees the NAT's public address and the
// ports the NAT chose, and can reach the private machine only through a mapping the private side opened.
// Namespaces are `uipsec-<tag>-<pid>-{u,n,s,cu,cs}`; destroy() deletes them (also at process exit).
import { spawnSync } from 'node:child_process';
import { ip, link, onExitCleanup, sysctl, type InteropNet } from './interop-net.js';

export const PRIVATE_NET = '192.168.77';
export const PUBLIC_NET = '203.0.113';

export interface NatNet extends InteropNet {
  /** The NAT's namespace. */
  n: string;
  /** The machine behind the NAT. */
  natted: 'u' | 's';
  /** The NAT's public address: what the public machine sees as the private one's address. */
  natPublic: string;
  /** The address each machine sees its peer at (u's view of s, and s's view of u). */
  seenByU: string;
  seenByS: string;
}

/** Why the NAT topology cannot be made here, or undefined. */
export function natSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, nftables)';
  if (spawnSync('nft', ['--version']).error) return 'nft not installed (apt: nftables)';
  return undefined;
}

/** The NAT's ruleset: masquerade whatever leaves by the public interface (connection tracking maps replies). */
function nftRules(publicIf: string): string {
  return `table ip uipsec_nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "${publicIf}" masquerade
  }
}
`;
}

/** Makes the five namespaces, the veths, routes and the masquerade; destroys them on failure. */
export function makeNatNet(tag: string, natted: 'u' | 's'): NatNet {
  const id = String(process.pid);
  const base = `uipsec-${tag}-${id}`;
  const short = `u${tag.slice(0, 4)}${id.slice(-5)}`;
  const made: string[] = [];
  const destroy = () => {
    for (const ns of made.splice(0)) spawnSync('ip', ['netns', 'del', ns], { timeout: 10_000 });
    forget();
  };
  const forget = onExitCleanup(destroy);
  try {
    for (const x of ['u', 'n', 's', 'cu', 'cs']) {
      ip(['netns', 'add', `${base}-${x}`]);
      made.push(`${base}-${x}`);
      ip(['-n', `${base}-${x}`, 'link', 'set', 'lo', 'up']);
    }
    const ns = (x: string) => `${base}-${x}`;
    const [priv, pub] = natted === 'u' ? ['u', 's'] : ['s', 'u'];
    const addr = { [priv]: `${PRIVATE_NET}.2`, [pub]: `${PUBLIC_NET}.2` } as Record<string, string>;
    // The private machine's veth to the NAT, and the public machine's; `<short>u` / `<short>s` on the machines.
    link(ns(priv), `${short}${priv}`, `${addr[priv]}/24`, ns('n'), `${short}ni`, `${PRIVATE_NET}.1/24`);
    link(ns(pub), `${short}${pub}`, `${addr[pub]}/24`, ns('n'), `${short}np`, `${PUBLIC_NET}.1/24`);
    ip(['-n', ns(priv), 'route', 'add', 'default', 'via', `${PRIVATE_NET}.1`]);
    sysctl(ns('n'), 'net.ipv4.ip_forward', '1');
    const r = spawnSync('ip', ['netns', 'exec', ns('n'), 'nft', '-f', '-'], {
      input: nftRules(`${short}np`),
      encoding: 'utf8',
      timeout: 10_000,
    });
    if (r.status !== 0) throw new Error(`nft in ${ns('n')}: ${r.stderr}`);
    for (const [gw, inner] of [
      ['u', '10.91.1'],
      ['s', '10.91.2'],
    ] as const) {
      link(ns(gw), `${short}c${gw}g`, `${inner}.1/24`, ns(`c${gw}`), `${short}c${gw}`, `${inner}.2/24`);
      ip(['-n', ns(`c${gw}`), 'route', 'add', 'default', 'via', `${inner}.1`]);
      sysctl(ns(gw), 'net.ipv4.ip_forward', '1');
    }
    const natPublic = `${PUBLIC_NET}.1`;
    return {
      u: ns('u'),
      s: ns('s'),
      n: ns('n'),
      natted,
      natPublic,
      ifU: `${short}u`,
      ifS: `${short}s`,
      addrU: addr['u']!,
      addrS: addr['s']!,
      seenByU: natted === 's' ? natPublic : addr['s']!,
      seenByS: natted === 'u' ? natPublic : addr['u']!,
      innerNetU: '10.91.1.0/24',
      innerNetS: '10.91.2.0/24',
      innerU: '10.91.1.2',
      innerS: '10.91.2.2',
      hostU: ns('cu'),
      hostS: ns('cs'),
      destroy,
    };
  } catch (e) {
    destroy();
    throw e;
  }
}
