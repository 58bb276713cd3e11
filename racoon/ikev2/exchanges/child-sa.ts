// The Child SA part of IKE_AUTH and CREATE_CHILD_SA (RFC 7296 §1.3.1, §2.9, §2.17, §2.22), shared by both:
//
//   initiator: SA(our SPI), [KEi,] TSi, TSr, [N(USE_TRANSPORT_MODE)], [N(IPCOMP_SUPPORTED)]  -->
//   responder: <--  SA(chosen, its SPI), [KEr,] TSi', TSr' (narrowed), [N(USE_TRANSPORT_MODE)], [N(IPCOMP_SUPPORTED)]
//
// The initiator's selectors and mode come from the policy that raised the ACQUIRE; the responder finds its
// inbound policy for the proposed selectors, narrows them to it, picks from the sainfo, and installs the pair
// before it answers (its inbound SA must exist when the initiator's first packet arrives).
import { formatAddr } from '../../../common/inet.js';
import { wipe } from '../../../common/bytes.js';
import { DhKeyPair, findDhGroup } from '../../../crypto/dh.js';
import * as P from '../../../pfkey/constants.js';
import { lookupSainfo } from '../../conf/lookup.js';
import { acceptChild, childOffer, childTransformText, selectChild } from '../child-proposal.js';
import {
  IKEV2_PAYLOAD_KE,
  IKEV2_PAYLOAD_SA,
  IKEV2_PAYLOAD_TSI,
  IKEV2_PAYLOAD_TSR,
  IKEV2_PROTO_AH,
  IKEV2_PROTO_ESP,
} from '../constants.js';
import type { Ikev2Env } from '../env.js';
import { childPairs } from '../keymat.js';
import { encodeGroupData } from '../notify-data.js';
import * as N from '../notify-types.js';
import type { Ikev2Payload } from '../payload-chain.js';
import { ExchangeError, findNotify, firstError, notifyName, notifyPayload, single } from '../payload-util.js';
import type { Ikev2Sa } from '../payloads/sa.js';
import type { ChildSa, GeneratedSp, IkeSa } from '../records.js';
import { allWithin, matchInboundPolicy, phase2IdOfSelector, selectorText, type PolicyMatch } from '../selectors.js';
import { generatedEntry, generateFor, heldGenerated, installGenerated } from '../generate-policy.js';
import type { Ikev2Selector } from '../payloads/ts.js';
import { sharedSecret } from './ike-sa-init.js';
import { narrowToAddress } from '../cfg.js';

/**
 * Children one IKE SA may hold at once (installed or being negotiated): an authenticated peer still gets a
 * bound on the kernel state it makes us keep; beyond it CREATE_CHILD_SA is refused with NO_ADDITIONAL_SAS
 * (§1.3, §3.10.1). A rekey needs a second slot for a while.
 */
export const MAX_CHILDREN_PER_IKE_SA = 128;

/** RFC 7296 §3.10.1 / IANA: IPCOMP_SUPPORTED carries a 2-byte CPI and a 1-byte IPComp transform; 2 is DEFLATE. */
export const IPCOMP_DEFLATE = 2;

function ipcompData(cpi: Uint8Array): Uint8Array {
  return Uint8Array.of(cpi[0]!, cpi[1]!, IPCOMP_DEFLATE);
}

function satypeOf(protocol: number): number {
  return protocol === IKEV2_PROTO_AH ? P.SADB_SATYPE_AH : P.SADB_SATYPE_ESP;
}

/** What the initiator keeps between its request and the answer. */
export interface ChildRequest {
  offer: Ikev2Sa;
  dh?: DhKeyPair;
}

/** Initiator: GETSPI (and a CPI for IPComp), then SA, [KEi,] TSi, TSr and the notifies. */
export async function childRequest(
  env: Ikev2Env,
  sa: IkeSa,
  child: ChildSa,
  pfsGroup?: number,
): Promise<{ payloads: Ikev2Payload[]; state: ChildRequest }> {
  child.mySpi ??= await env.getSpi(sa, child, satypeOf(child.protocol));
  if (child.ipcomp && child.ipcomp.myCpi.length === 0)
    child.ipcomp.myCpi = await env.getSpi(sa, child, P.SADB_X_SATYPE_IPCOMP);
  const offer = childOffer(child.sainfo!, child.protocol, child.mySpi, pfsGroup);
  const state: ChildRequest = { offer };
  const payloads: Ikev2Payload[] = [{ type: IKEV2_PAYLOAD_SA, body: offer }];
  if (pfsGroup !== undefined) {
    state.dh = new DhKeyPair(findDhGroup(pfsGroup)!, env.ctx.rng);
    payloads.push({ type: IKEV2_PAYLOAD_KE, body: { group: pfsGroup, data: state.dh.publicKey } });
  }
  payloads.push({ type: IKEV2_PAYLOAD_TSI, body: { selectors: child.tsi } });
  payloads.push({ type: IKEV2_PAYLOAD_TSR, body: { selectors: child.tsr } });
  if (child.mode === 'transport') payloads.push(notifyPayload(N.IKEV2_N_USE_TRANSPORT_MODE));
  if (child.ipcomp) payloads.push(notifyPayload(N.IKEV2_N_IPCOMP_SUPPORTED, ipcompData(child.ipcomp.myCpi)));
  return { payloads, state };
}

/** The peer's CPI from IPCOMP_SUPPORTED, when it names DEFLATE (§2.22). */
function peerCpi(payloads: readonly Ikev2Payload[]): Uint8Array | undefined {
  const n = findNotify(payloads, N.IKEV2_N_IPCOMP_SUPPORTED);
  return n && n.data.length === 3 && n.data[2] === IPCOMP_DEFLATE ? n.data.slice(0, 2) : undefined;
}

/**
 * Initiator: checks the answer (one of our proposals, selectors within ours, the mode we asked for) and
 * installs the child. Failures end the child only; the IKE SA stays (§1.2, §2.21.3).
 */
export async function childResponse(
  env: Ikev2Env,
  sa: IkeSa,
  child: ChildSa,
  req: ChildRequest,
  payloads: readonly Ikev2Payload[],
  nonces: { ni: Uint8Array; nr: Uint8Array },
): Promise<boolean> {
  try {
    const err = firstError(payloads);
    if (err) throw new ExchangeError(err.notifyType, 'refused by the responder');
    const sap = single(payloads, IKEV2_PAYLOAD_SA);
    const tsi = single(payloads, IKEV2_PAYLOAD_TSI);
    const tsr = single(payloads, IKEV2_PAYLOAD_TSR);
    if (!sap || !tsi || !tsr) throw new ExchangeError(N.IKEV2_N_INVALID_SYNTAX, 'SA, TSi or TSr missing');
    const choice = acceptChild(sap, req.offer, child.protocol);
    if (!choice) throw new ExchangeError(N.IKEV2_N_NO_PROPOSAL_CHOSEN, 'the answer is not one of our proposals');
    if (!allWithin(tsi.selectors, child.tsi) || !allWithin(tsr.selectors, child.tsr))
      throw new ExchangeError(N.IKEV2_N_TS_UNACCEPTABLE, 'traffic selectors outside those proposed');
    const transport = findNotify(payloads, N.IKEV2_N_USE_TRANSPORT_MODE) !== undefined;
    if (transport !== (child.mode === 'transport'))
      throw new ExchangeError(N.IKEV2_N_NO_PROPOSAL_CHOSEN, `the responder did not agree to ${child.mode} mode`);
    let gir: Uint8Array | undefined;
    if (choice.transforms.dh !== undefined) {
      const ke = single(payloads, IKEV2_PAYLOAD_KE);
      if (!req.dh || !ke || ke.group !== choice.transforms.dh)
        throw new ExchangeError(N.IKEV2_N_INVALID_KE_PAYLOAD, 'KEr missing or of another group');
      gir = sharedSecret(req.dh, ke);
    }
    narrowedNotice(env, sa, child, tsi.selectors, tsr.selectors);
    child.peerSpi = choice.chosen.spi.slice();
    child.transforms = choice.transforms;
    child.tsi = tsi.selectors;
    child.tsr = tsr.selectors;
    if (child.ipcomp) {
      const cpi = peerCpi(payloads);
      if (cpi) child.ipcomp.peerCpi = cpi;
      else
        env.ctx.log(
          'notice',
          `child ${child.id}: the peer declined IPComp; ${childTransformText(child.protocol, choice.transforms)} alone`,
        );
    }
    child.nonces = [nonces.ni, nonces.nr];
    const pairs = childPairs(sa, child, nonces.ni, nonces.nr, gir);
    if (gir) wipe(gir);
    return await env.installChild(child, pairs);
  } catch (e) {
    env.childFailed(child, e instanceof ExchangeError ? e.message : `${(e as Error).message}`);
    return false;
  } finally {
    req.dh?.wipe();
  }
}

function narrowedNotice(env: Ikev2Env, sa: IkeSa, child: ChildSa, tsi: ChildSa['tsi'], tsr: ChildSa['tsr']): void {
  const before = `${child.tsi.map(selectorText).join(',')} === ${child.tsr.map(selectorText).join(',')}`;
  const after = `${tsi.map(selectorText).join(',')} === ${tsr.map(selectorText).join(',')}`;
  if (before !== after)
    env.ctx.log(
      'notice',
      `child ${child.id} with ${formatAddr(sa.remote.addr)} narrowed by the peer (RFC 7296 §2.9): ${before} -> ${after}`,
    );
}

/** Responder options: in IKE_AUTH there is no KE (DH transforms are ignored); the exchange's nonces. */
export interface AnswerChildOptions {
  inAuth: boolean;
  ni: Uint8Array;
  nr: Uint8Array;
  /** The child a REKEY_SA names (§1.3.3): the new one takes its policy. */
  rekeys?: ChildSa;
}

/**
 * The inbound policy the proposal falls under (§2.9 narrowing), or under generate_policy one made from the
 * proposal itself; a policy generated for an earlier child (its rekey, or a new one) is shared.
 */
function policyFor(
  env: Ikev2Env,
  sa: IkeSa,
  offer: Ikev2Sa,
  tsi: readonly Ikev2Selector[],
  tsr: readonly Ikev2Selector[],
  transport: boolean,
): { match: PolicyMatch; generated?: GeneratedSp } {
  const match = matchInboundPolicy(env.ctx.bridge.spd.values(), tsi, tsr);
  if (match) {
    const held = match.sp.requests.length ? heldGenerated(env.children.all, match.sp) : undefined;
    return held ? { match, generated: held } : { match };
  }
  const g = generateFor(env.ctx, sa.rmconf.generatePolicy, tsi, tsr, offer, transport);
  if (typeof g === 'string') throw new ExchangeError(N.IKEV2_N_TS_UNACCEPTABLE, g);
  env.ctx.log('info', `no policy found, generating the policy: ${g.key} (${g.mode})`);
  return {
    match: { sp: generatedEntry(g), tsi: tsi[0] as PolicyMatch['tsi'], tsr: tsr[0] as PolicyMatch['tsr'] },
    generated: g,
  };
}

/** The protocol of the peer's proposals that the policy asks for (ESP, else AH). */
function protocolFor(offer: Ikev2Sa, sp: { requests: { proto: number }[] }): number | undefined {
  for (const p of offer.proposals) {
    if (p.protocol === IKEV2_PROTO_ESP && sp.requests.some((r) => r.proto === P.IPPROTO_ESP)) return p.protocol;
    if (p.protocol === IKEV2_PROTO_AH && sp.requests.some((r) => r.proto === P.IPPROTO_AH)) return p.protocol;
  }
  return undefined;
}

/**
 * Responder: policy (§2.9 narrowing), sainfo, proposal, [KE,] GETSPI, installation; the answer's payloads
 * (without Nr, which CREATE_CHILD_SA adds). ExchangeError carries the notification that refuses it.
 */
export async function answerChild(
  env: Ikev2Env,
  sa: IkeSa,
  req: readonly Ikev2Payload[],
  o: AnswerChildOptions,
): Promise<{ payloads: Ikev2Payload[]; child: ChildSa }> {
  const { ctx } = env;
  const sap = single(req, IKEV2_PAYLOAD_SA);
  const tsi = single(req, IKEV2_PAYLOAD_TSI);
  const tsr = single(req, IKEV2_PAYLOAD_TSR);
  if (!sap || !tsi || !tsr) throw new ExchangeError(N.IKEV2_N_INVALID_SYNTAX, 'SA, TSi or TSr missing');
  if (sa.children.size >= MAX_CHILDREN_PER_IKE_SA)
    throw new ExchangeError(N.IKEV2_N_NO_ADDITIONAL_SAS, `${sa.children.size} children on this IKE SA already`);
  // A client we leased an address to (§2.19) gets children for that address only: its TSi narrows to it.
  const leased = sa.cfg && !sa.cfg.client ? sa.cfg.result.addr4 : undefined;
  const ownTs = leased ? narrowToAddress(tsi.selectors, leased) : tsi.selectors;
  if (ownTs.length === 0) throw new ExchangeError(N.IKEV2_N_TS_UNACCEPTABLE, 'TSi does not cover the leased address');
  const transport = findNotify(req, N.IKEV2_N_USE_TRANSPORT_MODE) !== undefined;
  const { match, generated } = policyFor(env, sa, sap, ownTs, tsr.selectors, transport);
  const protocol = protocolFor(sap, match.sp);
  if (protocol === undefined) throw new ExchangeError(N.IKEV2_N_NO_PROPOSAL_CHOSEN, 'no protocol the policy asks for');
  const request = match.sp.requests.find(
    (r) => r.proto === (protocol === IKEV2_PROTO_AH ? P.IPPROTO_AH : P.IPPROTO_ESP),
  )!;
  const mode = request.mode === P.IPSEC_MODE_TUNNEL ? 'tunnel' : 'transport';
  if (transport !== (mode === 'transport'))
    throw new ExchangeError(N.IKEV2_N_NO_PROPOSAL_CHOSEN, `the policy asks for ${mode} mode`);
  const sainfo = lookupSainfo(ctx.conf, {
    local: phase2IdOfSelector(match.tsr),
    remote: phase2IdOfSelector(match.tsi),
  });
  if (!sainfo) throw new ExchangeError(N.IKEV2_N_NO_PROPOSAL_CHOSEN, 'no matching sainfo');
  const pfs = o.inAuth ? undefined : sainfo.pfsGroup?.id;
  const choice = selectChild(sap, sainfo, protocol, new Uint8Array(4), { pfs, dhAllowed: !o.inAuth });
  if (!choice) throw new ExchangeError(N.IKEV2_N_NO_PROPOSAL_CHOSEN, 'no acceptable child proposal');
  const ke = single(req, IKEV2_PAYLOAD_KE);
  const group = choice.transforms.dh;
  if (group !== undefined && ke?.group !== group)
    throw new ExchangeError(N.IKEV2_N_INVALID_KE_PAYLOAD, `KEi of group ${ke?.group}`, encodeGroupData(group));
  const peerProposal = sap.proposals.find((p) => p.num === choice.chosen.num && p.protocol === protocol)!;
  if (peerProposal.spi.length !== 4) throw new ExchangeError(N.IKEV2_N_INVALID_SYNTAX, 'child SPI not 4 bytes');
  const child = env.newChild(sa, {
    state: 'creating',
    initiator: false,
    protocol,
    mode,
    spid: match.sp.id,
    reqid: request.reqid,
    seq: 0,
    sainfo,
    tsi: [match.tsi],
    tsr: [match.tsr],
    transforms: choice.transforms,
    lifetimeSec: sainfo.lifetimeSec,
    peerSpi: peerProposal.spi.slice(),
    ...(o.rekeys ? { rekeys: o.rekeys } : {}),
    ...(generated ? { generated } : {}),
  });
  try {
    return { payloads: await finishAnswer(env, sa, child, choice.chosen, req, o, match.sp.requests), child };
  } catch (e) {
    env.childFailed(child, (e as Error).message);
    throw e;
  }
}

async function finishAnswer(
  env: Ikev2Env,
  sa: IkeSa,
  child: ChildSa,
  chosen: Ikev2Sa['proposals'][number],
  req: readonly Ikev2Payload[],
  o: AnswerChildOptions,
  requests: { proto: number }[],
): Promise<Ikev2Payload[]> {
  child.mySpi = await env.getSpi(sa, child, satypeOf(child.protocol));
  const cpi = requests.some((r) => r.proto === P.IPPROTO_IPCOMP) ? peerCpi(req) : undefined;
  if (cpi)
    child.ipcomp = {
      myCpi: await env.getSpi(sa, child, P.SADB_X_SATYPE_IPCOMP),
      peerCpi: cpi,
      transform: IPCOMP_DEFLATE,
    };
  const out: Ikev2Payload[] = [{ type: IKEV2_PAYLOAD_SA, body: { proposals: [{ ...chosen, spi: child.mySpi }] } }];
  let gir: Uint8Array | undefined;
  const group = child.transforms!.dh;
  if (group !== undefined) {
    const dh = new DhKeyPair(findDhGroup(group)!, env.ctx.rng);
    gir = sharedSecret(dh, single(req, IKEV2_PAYLOAD_KE)!);
    out.push({ type: IKEV2_PAYLOAD_KE, body: { group, data: dh.publicKey } });
    dh.wipe();
  }
  out.push({ type: IKEV2_PAYLOAD_TSI, body: { selectors: child.tsi } });
  out.push({ type: IKEV2_PAYLOAD_TSR, body: { selectors: child.tsr } });
  if (child.mode === 'transport') out.push(notifyPayload(N.IKEV2_N_USE_TRANSPORT_MODE));
  if (child.ipcomp) out.push(notifyPayload(N.IKEV2_N_IPCOMP_SUPPORTED, ipcompData(child.ipcomp.myCpi)));
  child.nonces = [o.ni, o.nr];
  const pairs = childPairs(sa, child, o.ni, o.nr, gir);
  if (gir) wipe(gir);
  if (!(await env.installChild(child, pairs)))
    throw new ExchangeError(N.IKEV2_N_NO_PROPOSAL_CHOSEN, 'the kernel refused the SAs');
  if (
    child.generated &&
    !heldGenerated(
      [...env.children.all].filter((c) => c !== child),
      generatedEntry(child.generated),
    )
  )
    await installGenerated(env.ctx, child);
  return out;
}

/** For the log: a refused child. */
export function childRefusal(e: ExchangeError): string {
  return `${notifyName(e.notifyType)}: ${e.message}`;
}
