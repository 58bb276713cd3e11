// Rekeying the IKE SA with CREATE_CHILD_SA (RFC 7296 §1.3.2, §2.18):
//
//   initiator                                   responder
//   HDR, SK {SA(new SPIi), Ni, KEi}   -->
//                        <--  HDR, SK {SA(new SPIr), Nr, KEr}
//   then, on the old IKE SA: HDR, SK {D(IKE)} -->   <-- HDR, SK {}
//
// The new SA's SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr); its children are the old one's; message IDs
// start again at 0. When both ends rekey at once (§2.8.1), the new SA made with the lowest of the four nonces is
// redundant: its creator deletes it, and the other creator deletes the old SA.
import { formatAddr } from '../../../common/inet.js';
import { randomBytes } from '../../../common/rng.js';
import { wipe } from '../../../common/bytes.js';
import { DhKeyPair, findDhGroup } from '../../../crypto/dh.js';
import {
  IKEV2_EXCHANGE_CREATE_CHILD_SA,
  IKEV2_PAYLOAD_KE,
  IKEV2_PAYLOAD_NONCE,
  IKEV2_PAYLOAD_SA,
  IKEV2_PROTO_IKE,
  IKEV2_SPI_LEN,
} from '../constants.js';
import type { Ikev2Env } from '../env.js';
import { acceptIke, ikeOffer, offeredGroups, selectIke, suiteText, type IkeChoice } from '../ike-proposal.js';
import { deriveIkeKeys } from '../keymat.js';
import { decodeGroupData, encodeGroupData } from '../notify-data.js';
import * as N from '../notify-types.js';
import type { Ikev2Payload } from '../payload-chain.js';
import { ExchangeError, findNotify, firstError, single } from '../payload-util.js';
import type { Ikev2Ke } from '../payloads/ke.js';
import { holdsLowestNonce, makeIkeSa, type Exchange, type IkeSa } from '../records.js';
import { sharedSecret } from './ike-sa-init.js';
import { DeleteIkeI } from './informational.js';

/** A rekey refused with TEMPORARY_FAILURE is tried again after this long (§2.25). */
export const REKEY_RETRY_MS = 10_000;

/** The new IKE SA from a completed rekey exchange, keyed from the old one (§2.18). */
function newIkeSa(
  env: Ikev2Env,
  old: IkeSa,
  o: { initiator: boolean; spiI: Uint8Array; spiR: Uint8Array; ni: Uint8Array; nr: Uint8Array; choice: IkeChoice },
  dh: DhKeyPair,
  ke: Ikev2Ke,
): IkeSa {
  const sa = makeIkeSa({
    id: env.ctx.newId(),
    initiator: o.initiator,
    state: 'established',
    spiI: o.spiI,
    spiR: o.spiR,
    local: old.local,
    remote: old.remote,
    rmconf: old.rmconf,
    nowMs: env.ctx.clock.now(),
  });
  Object.assign(sa, {
    natLocal: old.natLocal,
    natRemote: old.natRemote,
    natDetected: old.natDetected,
    floated: old.floated,
    myId: old.myId,
    peerId: old.peerId,
    ni: o.ni,
    nr: o.nr,
    suite: o.choice.suite,
    rekeyNonces: [o.ni, o.nr],
  });
  const gir = sharedSecret(dh, ke);
  deriveIkeKeys(sa, gir, { suite: old.suite!, skD: old.keys!.d });
  wipe(gir);
  dh.wipe();
  return sa;
}

/** Initiator side of an IKE SA rekey (strongSwan ike_rekey). */
export class RekeyIkeI implements Exchange {
  readonly exchangeType = IKEV2_EXCHANGE_CREATE_CHILD_SA;
  readonly what = 'CREATE_CHILD_SA (rekey IKE SA)';
  private spi: Uint8Array = new Uint8Array(0);
  private ni: Uint8Array = new Uint8Array(0);
  private dh?: DhKeyPair;

  constructor(
    private readonly env: Ikev2Env,
    private readonly old: IkeSa,
    private readonly group = old.suite!.dhGroup,
  ) {}

  async request(): Promise<Ikev2Payload[] | undefined> {
    const { old, env } = this;
    if (old.state !== 'established' || old.rekeyedTo) return undefined;
    this.spi = env.newIkeSpi();
    this.ni = randomBytes(env.ctx.rng, old.rmconf.nonceSize);
    this.dh = new DhKeyPair(findDhGroup(this.group)!, env.ctx.rng);
    return [
      { type: IKEV2_PAYLOAD_SA, body: ikeOffer(old.rmconf, this.spi) },
      { type: IKEV2_PAYLOAD_NONCE, body: this.ni },
      { type: IKEV2_PAYLOAD_KE, body: { group: this.group, data: this.dh.publicKey } },
    ];
  }

  async response(payloads: Ikev2Payload[]): Promise<'done'> {
    const { old, env } = this;
    if (this.retryLater(payloads)) return 'done';
    const sap = single(payloads, IKEV2_PAYLOAD_SA);
    const ke = single(payloads, IKEV2_PAYLOAD_KE);
    const nr = single(payloads, IKEV2_PAYLOAD_NONCE);
    if (!sap || !ke || !nr) throw new ExchangeError(N.IKEV2_N_INVALID_SYNTAX, 'SA, KE or Nr missing');
    const choice = acceptIke(sap, old.rmconf);
    if (!choice || choice.chosen.spi.length !== IKEV2_SPI_LEN || ke.group !== this.group)
      throw new ExchangeError(N.IKEV2_N_NO_PROPOSAL_CHOSEN, 'the answer is not one of our proposals');
    const sa = newIkeSa(
      env,
      old,
      { initiator: true, spiI: this.spi, spiR: choice.chosen.spi.slice(), ni: this.ni, nr, choice },
      this.dh!,
      ke,
    );
    env.addIke(sa);
    env.stats.ikeRekeyed++;
    env.ctx.log(
      'notice',
      `IKE SA ${old.id} with ${formatAddr(old.remote.addr)} rekeyed as ${sa.id} (${suiteText(sa.suite!)})`,
    );
    const theirs = old.peerRekey;
    if (theirs && holdsLowestNonce(sa.rekeyNonces!, theirs.rekeyNonces!)) {
      // Ours is redundant (§2.8.1): we delete it; the peer, whose SA survives, deletes the old one.
      env.retireIke(old, theirs);
      env.ctx.log('info', `simultaneous IKE SA rekey: deleting our redundant IKE SA ${sa.id}`);
      env.queue(sa, new DeleteIkeI(env, sa, 'redundant after a simultaneous rekey'));
      return 'done';
    }
    env.retireIke(old, sa);
    env.ikeEstablished(sa);
    env.queue(old, new DeleteIkeI(env, old, 'rekeyed'));
    return 'done';
  }

  /** INVALID_KE_PAYLOAD: again with the group asked for; TEMPORARY_FAILURE: again later (§2.25). */
  private retryLater(payloads: Ikev2Payload[]): boolean {
    const { old, env } = this;
    const ike = findNotify(payloads, N.IKEV2_N_INVALID_KE_PAYLOAD);
    if (ike) {
      const g = decodeGroupData(ike.data);
      if (g === undefined || g === this.group || !offeredGroups(old.rmconf).includes(g))
        throw new ExchangeError(N.IKEV2_N_INVALID_KE_PAYLOAD, `the peer wants group ${g}`);
      env.queue(old, new RekeyIkeI(env, old, g));
      return true;
    }
    if (findNotify(payloads, N.IKEV2_N_TEMPORARY_FAILURE)) {
      env.ctx.log('info', `IKE SA ${old.id} rekey: TEMPORARY_FAILURE; trying again in ${REKEY_RETRY_MS / 1000} s`);
      old.cancelTimers.push(env.ctx.clock.setTimer(REKEY_RETRY_MS, () => env.queue(old, new RekeyIkeI(env, old))));
      return true;
    }
    const err = firstError(payloads);
    if (err) throw new ExchangeError(err.notifyType, 'refused by the peer');
    return false;
  }

  failed(why: string): void {
    this.dh?.wipe();
    this.env.ctx.log('warn', `IKE SA ${this.old.id} rekey failed: ${why}`);
  }
}

/** Responder: a CREATE_CHILD_SA whose SA proposes protocol IKE (§1.3.2). */
export function answerRekeyIke(env: Ikev2Env, old: IkeSa, req: readonly Ikev2Payload[]): Ikev2Payload[] {
  if (old.state !== 'established' || old.rekeyedTo)
    throw new ExchangeError(N.IKEV2_N_TEMPORARY_FAILURE, 'this IKE SA is going away');
  const sap = single(req, IKEV2_PAYLOAD_SA);
  const ke = single(req, IKEV2_PAYLOAD_KE);
  const ni = single(req, IKEV2_PAYLOAD_NONCE);
  if (!sap || !ke || !ni) throw new ExchangeError(N.IKEV2_N_INVALID_SYNTAX, 'SA, KE or Ni missing');
  const spi = env.newIkeSpi();
  const choice = selectIke(sap, old.rmconf, spi);
  const peerSpi = choice && sap.proposals.find((p) => p.num === choice.chosen.num)?.spi;
  if (!choice || peerSpi?.length !== IKEV2_SPI_LEN)
    throw new ExchangeError(N.IKEV2_N_NO_PROPOSAL_CHOSEN, 'no acceptable IKE proposal');
  const group = choice.suite.dhGroup;
  if (ke.group !== group)
    throw new ExchangeError(N.IKEV2_N_INVALID_KE_PAYLOAD, `KEi of group ${ke.group}`, encodeGroupData(group));
  const nr = randomBytes(env.ctx.rng, old.rmconf.nonceSize);
  const dh = new DhKeyPair(findDhGroup(group)!, env.ctx.rng);
  const kePayload: Ikev2Payload = { type: IKEV2_PAYLOAD_KE, body: { group, data: dh.publicKey } };
  const sa = newIkeSa(env, old, { initiator: false, spiI: peerSpi.slice(), spiR: spi, ni, nr, choice }, dh, ke);
  env.addIke(sa);
  env.stats.ikeRekeyed++;
  env.ikeEstablished(sa);
  env.ctx.log('notice', `IKE SA ${old.id} with ${formatAddr(old.remote.addr)} rekeyed as ${sa.id} by the peer`);
  if (old.active?.exchange instanceof RekeyIkeI)
    old.peerRekey = sa; // a collision: settled when ours completes
  else env.retireIke(old, sa);
  return [
    { type: IKEV2_PAYLOAD_SA, body: { proposals: [choice.chosen] } },
    { type: IKEV2_PAYLOAD_NONCE, body: nr },
    kePayload,
  ];
}

/** True when a CREATE_CHILD_SA request rekeys the IKE SA (its SA payload proposes protocol IKE). */
export function rekeysIke(req: readonly Ikev2Payload[]): boolean {
  return single(req, IKEV2_PAYLOAD_SA)?.proposals.some((p) => p.protocol === IKEV2_PROTO_IKE) ?? false;
}
