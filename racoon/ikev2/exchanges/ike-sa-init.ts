// IKE_SA_INIT (RFC 7296 §1.2): the initiator's exchange and the responder's steps, chosen up front.
//
//   initiator                                   responder
//   HDR, [N(COOKIE),] SAi1, KEi, Ni,
//        N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP),
//        [N(SIGNATURE_HASH_ALGORITHMS),] [N(IKEV2_FRAGMENTATION_SUPPORTED)]  -->
//                             <--  HDR, SAr1, KEr, Nr, N(NAT_DETECTION_*), [CERTREQ,] [N(...) as above]
//                             <--  HDR, N(COOKIE)                 (under load, §2.6: retry with it)
//                             <--  HDR, N(INVALID_KE_PAYLOAD)     (another group, §1.3: retry with it)
//
// The responder keeps no state for the last two answers; the initiator retries with message ID 0 and the
// same nonce. Both ends then derive SKEYSEED (§2.14) and, behind a NAT, move to port 4500 (§2.23).
import { wipe } from '../../../common/bytes.js';
import { formatAddr } from '../../../common/inet.js';
import { DhError, DhKeyPair, findDhGroup } from '../../../crypto/dh.js';
import { randomBytes } from '../../../common/rng.js';
import type { RemoteConf } from '../../conf/ast.js';
import { floatToNattPort } from '../../engine/natt.js';
import { IKEV2_EXCHANGE_IKE_SA_INIT, IKEV2_PAYLOAD_KE, IKEV2_PAYLOAD_NONCE, IKEV2_PAYLOAD_SA } from '../constants.js';
import type { Ikev2Env } from '../env.js';
import type { Ikev2Header } from '../header.js';
import { acceptIke, ikeOffer, offeredGroups, selectIke, type IkeChoice } from '../ike-proposal.js';
import { deriveIkeKeys } from '../keymat.js';
import { detectNat, natdPayloads } from '../nat.js';
import { decodeGroupData, encodeGroupData, isValidCookie } from '../notify-data.js';
import * as N from '../notify-types.js';
import type { Ikev2Payload } from '../payload-chain.js';
import {
  ExchangeError,
  findNotify,
  firstError,
  notifiesOf,
  notifyName,
  notifyPayload,
  single,
} from '../payload-util.js';
import type { Ikev2Ke } from '../payloads/ke.js';
import { initExtras, takePeerExtras } from '../init-notifies.js';
import type { Exchange, IkeSa } from '../records.js';

/** Retries an initiator makes after COOKIE or INVALID_KE_PAYLOAD answers before it gives up. */
const MAX_INIT_RETRIES = 3;

/**
 * The NAT detection result and, when there is a NAT (or `nat_traversal force`), the move to port 4500. The
 * hashes cover the SPIs as the message's header carried them (§2.23): a request's SPIr is still zero.
 */
export function applyNat(sa: IkeSa, payloads: readonly Ikev2Payload[], nattPort: number, request = false): void {
  const spiR = request ? new Uint8Array(sa.spiR.length) : sa.spiR;
  const nat = detectNat(notifiesOf(payloads), sa.spiI, spiR, sa.local, sa.remote);
  sa.natLocal = nat?.local ?? false;
  sa.natRemote = nat?.remote ?? false;
  const force = sa.rmconf.natTraversal === 'force' && nat !== undefined;
  sa.natDetected = sa.natLocal || sa.natRemote || force;
  if (sa.natDetected && sa.initiator && !sa.floated) floatToNattPort(sa, nattPort);
}

/** g^ir for the peer's KE, as an exchange failure when the value is bad (§3.4: INVALID_SYNTAX). */
export function sharedSecret(dh: DhKeyPair, ke: Ikev2Ke): Uint8Array {
  try {
    return dh.computeSecret(ke.data);
  } catch (e) {
    if (e instanceof DhError) throw new ExchangeError(N.IKEV2_N_INVALID_SYNTAX, e.message);
    throw e;
  }
}

/** The initiator's IKE_SA_INIT (strongSwan ike_init build_i / process_i). */
export class IkeSaInitI implements Exchange {
  readonly exchangeType = IKEV2_EXCHANGE_IKE_SA_INIT;
  readonly what = 'IKE_SA_INIT';
  private group: number;
  private cookie?: Uint8Array;
  private retries = 0;

  constructor(
    private readonly env: Ikev2Env,
    private readonly sa: IkeSa,
  ) {
    this.group = offeredGroups(sa.rmconf)[0]!;
  }

  async request(): Promise<Ikev2Payload[]> {
    const { sa, env } = this;
    const rm = sa.rmconf;
    if (sa.dh?.group.id !== this.group) {
      sa.dh?.wipe();
      sa.dh = new DhKeyPair(findDhGroup(this.group)!, env.ctx.rng);
    }
    sa.ni ??= randomBytes(env.ctx.rng, rm.nonceSize);
    const out: Ikev2Payload[] = [];
    if (this.cookie) out.push(notifyPayload(N.IKEV2_N_COOKIE, this.cookie)); // §2.6: the first payload
    out.push(
      { type: IKEV2_PAYLOAD_SA, body: ikeOffer(rm) },
      { type: IKEV2_PAYLOAD_KE, body: { group: this.group, data: sa.dh.publicKey } },
      { type: IKEV2_PAYLOAD_NONCE, body: sa.ni },
      ...natdPayloads(sa.spiI, sa.spiR, sa.local, sa.remote, rm.natTraversal === 'force'),
      ...initExtras(env.ctx, sa),
    );
    return out;
  }

  sent(bytes: Uint8Array): void {
    this.sa.initRequest = bytes;
  }

  async response(payloads: Ikev2Payload[], header: Ikev2Header): Promise<'done' | 'again'> {
    const cookie = findNotify(payloads, N.IKEV2_N_COOKIE);
    if (cookie && isValidCookie(cookie.data)) return this.retry(() => (this.cookie = cookie.data), 'COOKIE');
    const ike = findNotify(payloads, N.IKEV2_N_INVALID_KE_PAYLOAD);
    if (ike) {
      const g = decodeGroupData(ike.data);
      // Asking for the group our KE already used (strongSwan does when it lacks that group's implementation)
      // would loop: §1.2 lets the initiator retry only with another group it offered.
      if (g !== undefined && g === this.group)
        throw new ExchangeError(N.IKEV2_N_INVALID_KE_PAYLOAD, `responder refuses group ${g}, the one our KE used`);
      if (g === undefined || !offeredGroups(this.sa.rmconf).includes(g))
        throw new ExchangeError(N.IKEV2_N_INVALID_KE_PAYLOAD, `responder wants group ${g}, which we did not offer`);
      return this.retry(() => (this.group = g), `INVALID_KE_PAYLOAD (group ${g})`);
    }
    const err = firstError(payloads);
    if (err) throw new ExchangeError(err.notifyType, `refused by the responder`);
    this.accept(payloads, header);
    return 'done';
  }

  private retry(apply: () => void, why: string): 'again' {
    if (++this.retries > MAX_INIT_RETRIES)
      throw new ExchangeError(N.IKEV2_N_NO_PROPOSAL_CHOSEN, `too many ${why} answers`);
    apply();
    this.env.ctx.log('info', `IKE_SA_INIT to ${formatAddr(this.sa.remote.addr)}: retrying after ${why}`);
    return 'again';
  }

  private accept(payloads: Ikev2Payload[], header: Ikev2Header): void {
    const { sa } = this;
    const sap = single(payloads, IKEV2_PAYLOAD_SA);
    const ke = single(payloads, IKEV2_PAYLOAD_KE);
    const nr = single(payloads, IKEV2_PAYLOAD_NONCE);
    if (!sap || !ke || !nr) throw new ExchangeError(N.IKEV2_N_INVALID_SYNTAX, 'SA, KE or Nr missing');
    const choice = acceptIke(sap, sa.rmconf);
    if (!choice) throw new ExchangeError(N.IKEV2_N_NO_PROPOSAL_CHOSEN, 'the answer is not one of our proposals');
    if (ke.group !== choice.suite.dhGroup || ke.group !== this.group)
      throw new ExchangeError(N.IKEV2_N_INVALID_KE_PAYLOAD, `KE of group ${ke.group}`);
    sa.spiR = header.spiR.slice();
    sa.nr = nr;
    sa.suite = choice.suite;
    const gir = sharedSecret(sa.dh!, ke);
    deriveIkeKeys(sa, gir);
    wipe(gir);
    applyNat(sa, payloads, this.env.ctx.nattPort);
    takePeerExtras(sa, payloads);
    sa.state = 'auth';
  }

  failed(why: string): void {
    this.env.stats.ikeFailed++;
    this.env.killIke(this.sa, `IKE_SA_INIT failed: ${why}`);
  }
}

/** What the responder takes from a request before it keeps any state. */
export interface InitOffer {
  choice: IkeChoice;
  ke: Ikev2Ke;
  ni: Uint8Array;
}

/**
 * Responder, stateless part: the proposal, and the KE group it must carry. Throws ExchangeError with
 * NO_PROPOSAL_CHOSEN or INVALID_KE_PAYLOAD (its data the group we want, §1.3), answered without an SA.
 */
export function chooseInitOffer(rm: RemoteConf, payloads: readonly Ikev2Payload[]): InitOffer {
  const sap = single(payloads, IKEV2_PAYLOAD_SA);
  const ke = single(payloads, IKEV2_PAYLOAD_KE);
  const ni = single(payloads, IKEV2_PAYLOAD_NONCE);
  if (!sap || !ke || !ni) throw new ExchangeError(N.IKEV2_N_INVALID_SYNTAX, 'SA, KE or Ni missing');
  const choice = selectIke(sap, rm);
  if (!choice) throw new ExchangeError(N.IKEV2_N_NO_PROPOSAL_CHOSEN, 'no acceptable IKE proposal');
  if (ke.group !== choice.suite.dhGroup)
    throw new ExchangeError(
      N.IKEV2_N_INVALID_KE_PAYLOAD,
      `KE of group ${ke.group}, we chose ${choice.suite.dhGroup}`,
      encodeGroupData(choice.suite.dhGroup),
    );
  return { choice, ke, ni };
}

/** Responder, once the IKE SA exists: DH, Nr, keys, NAT detection; the answer's payloads. */
export function answerIkeSaInit(
  env: Ikev2Env,
  sa: IkeSa,
  offer: InitOffer,
  req: readonly Ikev2Payload[],
): Ikev2Payload[] {
  const rm = sa.rmconf;
  sa.suite = offer.choice.suite;
  sa.ni = offer.ni;
  sa.nr = randomBytes(env.ctx.rng, rm.nonceSize);
  sa.dh = new DhKeyPair(findDhGroup(offer.choice.suite.dhGroup)!, env.ctx.rng);
  const gir = sharedSecret(sa.dh, offer.ke);
  deriveIkeKeys(sa, gir);
  wipe(gir);
  applyNat(sa, req, env.ctx.nattPort, true);
  takePeerExtras(sa, req);
  return [
    { type: IKEV2_PAYLOAD_SA, body: { proposals: [offer.choice.chosen] } },
    { type: IKEV2_PAYLOAD_KE, body: { group: sa.suite.dhGroup, data: sa.dh.publicKey } },
    { type: IKEV2_PAYLOAD_NONCE, body: sa.nr },
    ...natdPayloads(sa.spiI, sa.spiR, sa.local, sa.remote, rm.natTraversal === 'force'),
    ...initExtras(env.ctx, sa, req),
  ];
}

/** For the log: why an IKE_SA_INIT was answered with a notification only. */
export function initRefusal(e: ExchangeError): string {
  return `${notifyName(e.notifyType)} (${e.message})`;
}
