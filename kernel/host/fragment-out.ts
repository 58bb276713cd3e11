// IP output's last step for a packet larger than its interface's MTU (BSD ip_fragment, RFC 8200 §4.5):
// the fragments, or undefined after counting why there are none (DF set, IPv6 beyond the minimum, bad header).
import { ParseError } from '../../common/bytes.js';
import type { Rng } from '../../common/rng.js';
import { fragmentIpv4, fragmentIpv6 } from '../ip/frag.js';
import type { NetCounters } from '../stats.js';

/** A random IPv6 fragment identification (RFC 7739: unpredictable). */
function fragId(rng: Rng): number {
  const b = new Uint8Array(4);
  rng.fill(b);
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

/** Fragments `pkt` for `mtu`, counting the outcome in `netstat`. */
export function fragmentOut(pkt: Uint8Array, mtu: number, rng: Rng, netstat: NetCounters): Uint8Array[] | undefined {
  const v6 = pkt[0]! >> 4 === 6;
  let frags;
  try {
    frags = v6 ? fragmentIpv6(pkt, mtu, fragId(rng)) : fragmentIpv4(pkt, mtu);
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    netstat.bump(v6 ? 'ip6s_odropped' : 'ips_odropped');
    return undefined;
  }
  if (!frags.ok) {
    netstat.bump(v6 ? 'ip6s_cantfrag' : 'ips_cantfrag');
    return undefined;
  }
  netstat.bump(v6 ? 'ip6s_fragmented' : 'ips_fragmented');
  netstat.bump(v6 ? 'ip6s_ofragments' : 'ips_ofragments', frags.fragments.length);
  return frags.fragments;
}
