// The world the phase 1 exchange steps see (Ph1Ctx), built from the engine context: pre-shared keys found
// as racoon's oakley_skeyid finds them, the remotes' certificates, INITIAL-CONTACT once per peer.
import { formatAddr } from '../../../common/inet.js';
import type { EngineCtx } from '../../engine/context.js';
import * as C from '../../isakmp/constants.js';
import { lookupPsk } from '../../psk.js';
import type { Phase1 } from '../handles.js';
import type { Ph1Ctx } from './step.js';

const NAMED_IDS = new Set([C.IPSECDOI_ID_FQDN, C.IPSECDOI_ID_USER_FQDN, C.IPSECDOI_ID_KEY_ID]);

/**
 * oakley_skeyid: main mode finds the key by the peer's address (getpskbyaddr); the other modes by the
 * peer's ID first (getpskbyname: the ID data as text), then, unless verify_identifier is on, by address.
 */
export function pskFor(ctx: EngineCtx, ph1: Phase1): Uint8Array | undefined {
  const id = ph1.peerId;
  if (ph1.etype !== C.ISAKMP_ETYPE_IDENT && id) {
    const byName = NAMED_IDS.has(id.idType) ? lookupPsk(ctx.psk, Buffer.from(id.data).toString('latin1')) : undefined;
    if (byName) return byName;
    if (ph1.rmconf.verifyIdentifier) {
      ctx.log('error', "couldn't find the pskey.");
      return undefined;
    }
    ctx.log('notice', "couldn't find the proper pskey, try to get one by the peer's address.");
  }
  return lookupPsk(ctx.psk, formatAddr(ph1.remote.addr));
}

/** A Ph1Ctx over the engine; `contacted` is the daemon's list of peers sent INITIAL-CONTACT. */
export function makePh1Ctx(ctx: EngineCtx, contacted: Set<string>): Ph1Ctx {
  return {
    rng: ctx.rng,
    nattPort: ctx.nattPort,
    psk: (ph1) => pskFor(ctx, ph1),
    initialContact: (ph1) => {
      const k = formatAddr(ph1.remote.addr);
      if (contacted.has(k)) return false;
      contacted.add(k);
      return true;
    },
    auth: (rm) => ctx.auth.get(rm),
    now: () => ctx.clock.now(),
    log: (level, msg) => ctx.log(level, msg),
    sourceLog: ctx.sourceLog,
  };
}
