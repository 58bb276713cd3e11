// Removing everything held with a peer whose ISAKMP SA is going away for good (ipsec-tools isakmp.c
// purge_remote, used when DPD declares the peer dead): the IPsec SAs negotiated over it are deleted from the
// kernel (PF_KEY DELETE, both directions), and so are the other SAs between the two addresses that no live
// negotiation accounts for; SAs of another established ISAKMP SA with the same peer are kept. No DELETE goes to
// the peer, which is not answering. The next packet a policy covers raises an ACQUIRE: a new negotiation.
import { toHex } from '../../common/bytes.js';
import { addrEqual, formatAddr } from '../../common/inet.js';
import * as P from '../../pfkey/constants.js';
import type { PfkeyMessage } from '../../pfkey/msg.js';
import type { EngineCtx } from '../engine/context.js';
import { sadbSpi, spiNumber } from '../sa/spi.js';
import type { Phase1, Phase2 } from './handles.js';
import type { Ph2Table } from './ph2/table.js';

/** What purging needs from the phase 1 table. */
export interface PurgePh1s {
  find(remote: Uint8Array, established?: boolean): Phase1 | undefined;
  kill(ph1: Phase1, why: string): void;
}

function heldBy(ph2: Phase2, spi: number): boolean {
  return !!ph2.approval?.sas.some((s) => spiNumber(s.mySpi) === spi || spiNumber(s.peerSpi) === spi);
}

/** Deletes the phase 2 SAs of `ph1` (and strays with its peer), then the phase 1 itself. */
export async function purgeRemote(
  ctx: EngineCtx,
  ph1s: PurgePh1s,
  ph2s: Ph2Table,
  ph1: Phase1,
  why: string,
): Promise<void> {
  const peer = ph1.remote.addr;
  const local = ph1.local.addr;
  ctx.log('info', `purging ISAKMP-SA spi=${toHex(ph1.icookie)}:${toHex(ph1.rcookie)} with ${formatAddr(peer)}`);
  ph1s.kill(ph1, why);
  const other = ph1s.find(peer);
  for (const ph2 of [...ph2s.all]) {
    if (!addrEqual(ph2.dst.addr, peer) && !(ph2.ph1 && addrEqual(ph2.ph1.remote.addr, peer))) continue;
    if (other && ph2.ph1 !== ph1 && ph2.ph1?.state === 'established') continue;
    if (ph2.state === 'established') await ph2s.remove(ph2, false);
  }
  let dump: PfkeyMessage[] = [];
  try {
    dump = await ctx.bridge.client.dumpAll(P.SADB_DUMP);
  } catch {
    return;
  }
  for (const m of dump) {
    const s = m.ext.addressSrc?.addr.addr;
    const d = m.ext.addressDst?.addr.addr;
    const spi = sadbSpi(m);
    if (!s || !d || spi === undefined) continue;
    const between = (addrEqual(s, local) && addrEqual(d, peer)) || (addrEqual(s, peer) && addrEqual(d, local));
    if (
      !between ||
      [...ph2s.all].some((p) => heldBy(p, spi) || [...p.mySpis.values()].some((x) => spiNumber(x) === spi))
    )
      continue;
    ctx.log('info', `purging spi=${spi >>> 0} ${formatAddr(s)}->${formatAddr(d)}`);
    await ctx.bridge.deleteSa(m.msg.satype, s, d, spi);
  }
}
