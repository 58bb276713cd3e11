// What became of a datagram a client sent with SEND (channel/frames.ts): the host's output path drops and
// counts, never throws, so the drop's reason is the KAME/netstat counter it raised. Compare the counters around
// the send and name the drop counter that moved (ipsecstat ips_out_nosa, ips_out_polvio; ipstat ips_noroute ...).
import type { Host } from '../host/host.js';
import { SENT_EACCES, SENT_EHOSTUNREACH, SENT_ENOBUFS } from '../../channel/constants.js';

/** Counter names that mean "dropped on output" (host.ts output/transmit/udpSend, ipsec-output.ts, the transforms). */
const DROP_COUNTER =
  /(_polvio|_nosa|_nomem|noroute|_inval|_invalid|odropped|cantfrag|toobig|pdrops|noxform|_wrap|_crypto|qfull|nopf|hdrops)$/;

/** Every non-zero counter of the host (ipsecstat/espstat/ahstat/ipcompstat and netstat names). */
export function counterSnapshot(host: Host): Record<string, number> {
  return { ...host.stats.nonZero(), ...host.netstat.nonZero() };
}

/** The errno and counter of a drop, from the counters before and after it (ENOBUFS with no name if none moved). */
export function dropReason(
  before: Record<string, number>,
  after: Record<string, number>,
): { errno: number; reason: string } {
  const moved = Object.keys(after).filter((k) => DROP_COUNTER.test(k) && (after[k] ?? 0) > (before[k] ?? 0));
  const reason = moved[0] ?? '';
  const errno = /noroute/.test(reason) ? SENT_EHOSTUNREACH : /_polvio|_nosa/.test(reason) ? SENT_EACCES : SENT_ENOBUFS;
  return { errno, reason };
}
