// The text of `setkey -x` (ipsec-tools setkey.c promisc + printdate): a time stamp line per message, the -H
// hex lines, then kdebug_sadb of the message with the outer SADB_X_PROMISC header of a promiscuous copy removed.
import * as C from '../pfkey/constants.js';
import { decodeSadbMsg } from '../pfkey/msg.js';
import { hexLines, kdebugSadb } from './kdebug.js';
import type { Flags } from './options.js';

/** setkey.c printdate: `HH:MM:SS.uuuuuu ` (local) for -x, `sec.usec ` for -xx, then a newline. */
export function promiscStamp(ms: number, level: number, utcOffsetSec = 0): string {
  const sec = Math.floor(ms / 1000),
    usec = String(Math.floor((ms % 1000) * 1000)).padStart(6, '0');
  if (level > 1) return `${sec >>> 0}.${usec} \n`;
  const s = (((sec + utcOffsetSec) % 86400) + 86400) % 86400;
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${p2(Math.floor(s / 3600))}:${p2(Math.floor((s % 3600) / 60))}:${p2(s % 60)}.${usec} \n`;
}

/** One message of the -x monitor: stamp, -H hex, then kdebug_sadb of the inner message of a promisc copy. */
export function formatPromisc(
  raw: Uint8Array,
  ms: number,
  f: Pick<Flags, 'promisc' | 'hex'>,
  utcOffsetSec = 0,
): string {
  let s = promiscStamp(ms, f.promisc, utcOffsetSec);
  if (f.hex) s += hexLines(raw);
  let inner: Uint8Array | undefined = raw;
  if (raw.length >= 16 && decodeSadbMsg(raw).value.type === C.SADB_X_PROMISC)
    inner = raw.length > 16 ? raw.subarray(16) : undefined;
  return inner ? `${s}${kdebugSadb(inner)}\n` : s;
}
