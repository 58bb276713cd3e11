// racoon's words for one IPsec SA in its log lines, as ipsec-tools' pfkey.c sadbsecas2str() prints them:
// `ESP/Transport 10.0.0.2[500]->10.0.0.1[500] spi=3362457871(0xc86b1e0f)`. Log watchers grep these
// (`IPsec-SA established: ...`, `IPsec-SA expired: ...`), so the shape is kept exactly.
import { formatAddr } from '../../common/inet.js';
import * as P from '../../pfkey/constants.js';

const SATYPE: Readonly<Record<number, string>> = {
  [P.SADB_SATYPE_AH]: 'AH',
  [P.SADB_SATYPE_ESP]: 'ESP',
  [P.SADB_X_SATYPE_IPCOMP]: 'IPCOMP',
};

/** `Transport`, `Tunnel` or `Any` from a PF_KEY mode or a negotiated mode name. */
function modeText(mode: number | string | undefined): string {
  if (mode === P.IPSEC_MODE_TRANSPORT || mode === 'transport') return 'Transport';
  if (mode === P.IPSEC_MODE_TUNNEL || mode === 'tunnel') return 'Tunnel';
  return 'Any';
}

/** One end of an SA: its address and port (0 when the kernel message names none). */
export interface SaEnd {
  addr: Uint8Array;
  port: number;
}

/** `PROTO/Mode SRC[PORT]->DST[PORT] spi=N(0xHEX)` for an SA of PF_KEY type `satype`. */
export function saText(satype: number, mode: number | string | undefined, src: SaEnd, dst: SaEnd, spi: number): string {
  const u = spi >>> 0;
  const proto = SATYPE[satype] ?? `satype${satype}`;
  return `${proto}/${modeText(mode)} ${formatAddr(src.addr)}[${src.port}]->${formatAddr(dst.addr)}[${dst.port}] spi=${u}(0x${u.toString(16)})`;
}
