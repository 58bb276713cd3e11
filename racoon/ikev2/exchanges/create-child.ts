// CREATE_CHILD_SA for Child SAs (RFC 7296 §1.3.1, §1.3.3): a new child for another policy, or a rekey.
//
//   initiator                                   responder
//   HDR, SK {[N(REKEY_SA),] SA, Ni, [KEi,] TSi, TSr}  -->
//                        <--  HDR, SK {SA, Nr, [KEr,] TSi, TSr}
//   rekey: then HDR, SK {D(old child)} -->  <-- HDR, SK {D(the peer's SPI of the old child)}
//
// KEYMAT comes from this exchange's nonces (and g^ir with PFS, §2.17). A rekey of a child being deleted is
// refused with TEMPORARY_FAILURE, of an unknown one with CHILD_SA_NOT_FOUND (§2.25). When both ends rekey the
// same child at once, the replacement made with the lowest nonce is deleted by its creator (§2.8.1).
import { formatAddr } from '../../../common/inet.js';
import { randomBytes } from '../../../common/rng.js';
import {
  IKEV2_EXCHANGE_CREATE_CHILD_SA,
  IKEV2_PAYLOAD_NONCE,
  IKEV2_PAYLOAD_NOTIFY,
  IKEV2_PAYLOAD_SA,
} from '../constants.js';
import type { Ikev2Env } from '../env.js';
import * as N from '../notify-types.js';
import type { Ikev2Payload } from '../payload-chain.js';
import { ExchangeError, findNotify, single } from '../payload-util.js';
import { holdsLowestNonce, type ChildSa, type Exchange, type IkeSa } from '../records.js';
import { answerChild, childRequest, childResponse, type ChildRequest } from './child-sa.js';
import { DeleteChildrenI } from './informational.js';
import { answerRekeyIke, rekeysIke, REKEY_RETRY_MS } from './rekey-ike.js';

/** Payloads with Ni/Nr placed right after SA, where §1.3 draws it. */
function withNonce(payloads: Ikev2Payload[], nonce: Uint8Array): Ikev2Payload[] {
  const i = payloads.findIndex((p) => p.type === IKEV2_PAYLOAD_SA);
  const out = [...payloads];
  out.splice(i + 1, 0, { type: IKEV2_PAYLOAD_NONCE, body: nonce });
  return out;
}

/** A new child, or the replacement of `rekeys` (strongSwan child_create / child_rekey). */
export class CreateChildI implements Exchange {
  readonly exchangeType = IKEV2_EXCHANGE_CREATE_CHILD_SA;
  readonly what: string;
  private ni: Uint8Array = new Uint8Array(0);
  private req?: ChildRequest;

  constructor(
    private readonly env: Ikev2Env,
    private sa: IkeSa,
    private readonly child: ChildSa,
    private readonly rekeys?: ChildSa,
  ) {
    this.what = rekeys ? `CREATE_CHILD_SA (rekey child ${rekeys.id})` : `CREATE_CHILD_SA (child ${child.id})`;
  }

  /** The IKE SA was rekeyed while this waited: it runs on the new one (§2.18). */
  rebind(sa: IkeSa): void {
    this.sa = sa;
    this.child.ike = sa;
  }

  async request(): Promise<Ikev2Payload[] | undefined> {
    const { env, sa, child, rekeys } = this;
    if (sa.state !== 'established' || child.state !== 'creating') return undefined;
    if (rekeys && rekeys.state !== 'installed') {
      env.childFailed(child, `child ${rekeys.id} went away before its rekey`);
      return undefined;
    }
    if (rekeys) rekeys.state = 'rekeying';
    this.ni = randomBytes(env.ctx.rng, sa.rmconf.nonceSize);
    const r = await childRequest(env, sa, child, child.sainfo?.pfsGroup?.id);
    this.req = r.state;
    const out = withNonce(r.payloads, this.ni);
    if (rekeys)
      out.unshift({
        type: IKEV2_PAYLOAD_NOTIFY,
        body: {
          protocol: rekeys.protocol,
          notifyType: N.IKEV2_N_REKEY_SA,
          spi: rekeys.mySpi!,
          data: new Uint8Array(0),
        },
      });
    return out;
  }

  async response(payloads: Ikev2Payload[]): Promise<'done'> {
    const { env, sa, child, rekeys } = this;
    if (rekeys && findNotify(payloads, N.IKEV2_N_TEMPORARY_FAILURE)) {
      this.later();
      return 'done';
    }
    const nr = single(payloads, IKEV2_PAYLOAD_NONCE);
    const err = findNotify(payloads, N.IKEV2_N_CHILD_SA_NOT_FOUND);
    if (rekeys && err) void env.removeChild(rekeys, 'the peer no longer has it (CHILD_SA_NOT_FOUND)');
    if (!nr && !payloads.some((p) => p.type === IKEV2_PAYLOAD_NOTIFY))
      throw new ExchangeError(N.IKEV2_N_INVALID_SYNTAX, 'Nr missing');
    const ok = await childResponse(env, sa, child, this.req!, payloads, { ni: this.ni, nr: nr ?? new Uint8Array(0) });
    if (rekeys) this.settleRekey(ok);
    return 'done';
  }

  /** TEMPORARY_FAILURE (§2.25): the peer is busy with this child; a new attempt after a pause. */
  private later(): void {
    const { env, sa, child, rekeys } = this;
    rekeys!.state = 'installed';
    child.state = 'dead';
    env.childFailed(child, 'TEMPORARY_FAILURE: the peer is busy with this child; retrying');
    sa.cancelTimers.push(
      env.ctx.clock.setTimer(REKEY_RETRY_MS, () => {
        if (rekeys!.state === 'installed' && sa.state === 'established') env.queue(sa, rekeyChild(env, sa, rekeys!));
      }),
    );
  }

  /** After our rekey: keep ours and delete the old child, unless a simultaneous rekey by the peer wins (§2.8.1). */
  private settleRekey(ok: boolean): void {
    const { env, sa, child } = this;
    const old = this.rekeys!;
    if (!ok) {
      if (old.state === 'rekeying') old.state = 'installed';
      return;
    }
    env.stats.childRekeyed++;
    old.state = 'rekeyed';
    const theirs = old.rekeyedByPeer;
    if (theirs && theirs.state === 'installed' && holdsLowestNonce(child.nonces!, theirs.nonces!)) {
      old.rekeyedBy = theirs;
      env.ctx.log('info', `simultaneous rekey of child ${old.id}: deleting our redundant child ${child.id}`);
      env.queue(sa, new DeleteChildrenI(env, sa, [child], 'redundant after a simultaneous rekey'));
      return;
    }
    old.rekeyedBy = child;
    env.ctx.log('info', `child ${old.id} with ${formatAddr(sa.remote.addr)} rekeyed as child ${child.id}`);
    env.queue(sa, new DeleteChildrenI(env, sa, [old], 'rekeyed'));
  }

  failed(why: string): void {
    if (this.rekeys?.state === 'rekeying') this.rekeys.state = 'installed';
    this.env.childFailed(this.child, why);
  }
}

/** A rekey exchange for an installed child: the replacement inherits its policy, selectors and mode. */
export function rekeyChild(env: Ikev2Env, sa: IkeSa, old: ChildSa): CreateChildI {
  const child = env.newChild(sa, {
    state: 'creating',
    initiator: true,
    protocol: old.protocol,
    mode: old.mode,
    spid: old.spid,
    reqid: old.reqid,
    seq: 0,
    ...(old.sainfo ? { sainfo: old.sainfo } : {}),
    tsi: old.initiator ? old.tsi : old.tsr,
    tsr: old.initiator ? old.tsr : old.tsi,
    lifetimeSec: old.lifetimeSec,
    rekeys: old,
    ...(old.generated ? { generated: old.generated } : {}),
    ...(old.ipcomp ? { ipcomp: { myCpi: new Uint8Array(0), transform: old.ipcomp.transform } } : {}),
  });
  return new CreateChildI(env, sa, child, old);
}

/** Responder: an IKE SA rekey, a child rekey (REKEY_SA), or a new child. */
export async function answerCreateChild(
  env: Ikev2Env,
  sa: IkeSa,
  req: readonly Ikev2Payload[],
): Promise<Ikev2Payload[]> {
  if (rekeysIke(req)) return answerRekeyIke(env, sa, req);
  const ni = single(req, IKEV2_PAYLOAD_NONCE);
  if (!ni) throw new ExchangeError(N.IKEV2_N_INVALID_SYNTAX, 'Ni missing');
  const n = findNotify(req, N.IKEV2_N_REKEY_SA);
  let old: ChildSa | undefined;
  if (n) {
    old = env.childBySpi(sa, n.protocol, n.spi, false);
    if (!old || old.state === 'dead') throw new ExchangeError(N.IKEV2_N_CHILD_SA_NOT_FOUND, 'no such child to rekey');
    if (old.state === 'deleting' || old.state === 'rekeyed')
      throw new ExchangeError(N.IKEV2_N_TEMPORARY_FAILURE, `child ${old.id} is going away`);
  }
  const nr = randomBytes(env.ctx.rng, sa.rmconf.nonceSize);
  const { payloads, child } = await answerChild(env, sa, req, {
    inAuth: false,
    ni,
    nr,
    ...(old ? { rekeys: old } : {}),
  });
  if (old) {
    env.stats.childRekeyed++;
    env.ctx.log('info', `child ${old.id} with ${formatAddr(sa.remote.addr)} rekeyed as child ${child.id} by the peer`);
    if (old.state === 'rekeying')
      old.rekeyedByPeer = child; // ours is under way: settled when it completes
    else {
      old.state = 'rekeyed';
      old.rekeyedBy = child;
    }
  }
  return withNonce(payloads, nr);
}
