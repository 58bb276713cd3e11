// IKE_AUTH (RFC 7296 §1.2, §2.15): both ends prove their identity over the IKE_SA_INIT messages, and the first
// Child SA is negotiated with the nonces of IKE_SA_INIT (§2.17).
//
//   initiator                                   responder
//   HDR, SK {IDi, [N(INITIAL_CONTACT),] [IDr,] [CERT+,] [CERTREQ,] AUTH, SA, TSi, TSr, [N(USE_TRANSPORT_MODE)]} -->
//                       <--  HDR, SK {IDr, [CERT+,] AUTH, SA, TSi, TSr, [N(USE_TRANSPORT_MODE)]}
//                       <--  HDR, SK {IDr, AUTH, N(NO_PROPOSAL_CHOSEN | TS_UNACCEPTABLE ...)}  (IKE SA up, no child)
//                       <--  HDR, SK {N(AUTHENTICATION_FAILED)}
// A roadwarrior's CP(CFG_REQUEST) goes before SA and the server's CP(CFG_REPLY) answers it (§2.19, cfg.ts).
//
// Authentication goes through auth.ts's Authenticator: a shared key, or certificates (cert-auth.ts), whose
// CERT and CERTREQ payloads go before AUTH.
import { formatAddr } from '../../../common/inet.js';
import {
  IKEV2_EXCHANGE_IKE_AUTH,
  IKEV2_PAYLOAD_AUTH,
  IKEV2_PAYLOAD_IDI,
  IKEV2_PAYLOAD_IDR,
  IKEV2_PAYLOAD_SA,
} from '../constants.js';
import { authenticatorFor, ownOctets, peerOctets, usesCertificates } from '../auth.js';
import { CertAuthError } from '../cert-auth.js';
import { clientRequest, serveRequest, takeReply } from '../cfg.js';
import type { Ikev2Auth } from '../payloads/auth.js';
import type { Ikev2Env } from '../env.js';
import { idOfSpec, myIdentity, peerIdentityAccepted } from '../identity.js';
import * as N from '../notify-types.js';
import type { Ikev2Payload } from '../payload-chain.js';
import { ExchangeError, findNotify, firstError, notifyPayload, single } from '../payload-util.js';
import { formatIkev2Id } from '../payloads/id.js';
import type { ChildSa, Exchange, IkeSa } from '../records.js';
import { answerChild, childRequest, childResponse, type ChildRequest } from './child-sa.js';
import { AuthFailedI } from './informational.js';

/** The initiator's IKE_AUTH, with the first child when one waits (strongSwan ike_auth + child_create). */
export class IkeAuthI implements Exchange {
  readonly exchangeType = IKEV2_EXCHANGE_IKE_AUTH;
  readonly what = 'IKE_AUTH';
  private child?: ChildRequest;
  /** We refused the responder (its identity or AUTH): §2.21.2 says so in an INFORMATIONAL of our own. */
  private refusedHere = false;

  constructor(
    private readonly env: Ikev2Env,
    private readonly sa: IkeSa,
    private readonly firstChild: ChildSa | undefined,
    private readonly initialContact: boolean,
  ) {}

  async request(): Promise<Ikev2Payload[] | undefined> {
    const { sa, env } = this;
    if (sa.state !== 'auth') return undefined;
    const rm = sa.rmconf;
    sa.myId = myIdentity(rm, sa.local, env.ctx.auth.get(rm).myId);
    const out: Ikev2Payload[] = [{ type: IKEV2_PAYLOAD_IDI, body: sa.myId }];
    if (this.initialContact) out.push(notifyPayload(N.IKEV2_N_INITIAL_CONTACT));
    const wanted = rm.peersIdentifiers[0] && idOfSpec(rm.peersIdentifiers[0], sa.remote);
    if (wanted && rm.verifyIdentifier) out.push({ type: IKEV2_PAYLOAD_IDR, body: wanted });
    const auth = authenticatorFor(sa, env.ctx);
    out.push(...auth.payloads());
    const a = auth.sign(ownOctets(sa));
    if (!a)
      throw new ExchangeError(
        N.IKEV2_N_AUTHENTICATION_FAILED,
        `no ${credential(sa)} for ${formatAddr(sa.remote.addr)}`,
      );
    out.push({ type: IKEV2_PAYLOAD_AUTH, body: a });
    if (rm.modeCfg) out.push(clientRequest());
    const c = this.firstChild;
    if (c && c.state === 'creating') {
      const r = await childRequest(env, sa, c);
      this.child = r.state;
      out.push(...r.payloads);
    }
    return out;
  }

  async response(payloads: Ikev2Payload[]): Promise<'done'> {
    const { sa, env } = this;
    const idr = single(payloads, IKEV2_PAYLOAD_IDR);
    const auth = single(payloads, IKEV2_PAYLOAD_AUTH);
    if (!idr || !auth) {
      const err = firstError(payloads);
      throw new ExchangeError(
        err?.notifyType ?? N.IKEV2_N_INVALID_SYNTAX,
        err ? 'refused by the responder' : 'IDr or AUTH missing',
      );
    }
    this.refusedHere = true;
    if (!peerIdentityAccepted(sa.rmconf, idr, sa.remote, env.ctx.auth.get(sa.rmconf).peerIds))
      throw new ExchangeError(
        N.IKEV2_N_AUTHENTICATION_FAILED,
        `peer identity ${formatIkev2Id(idr)} not in peers_identifier`,
      );
    sa.peerId = idr;
    const why = checkPeerAuth(env, sa, auth, peerOctets(sa, idr), payloads);
    if (why) throw new ExchangeError(N.IKEV2_N_AUTHENTICATION_FAILED, `${why} (${formatIkev2Id(idr)})`);
    this.refusedHere = false;
    if (sa.rmconf.modeCfg) takeReply(env.ctx, sa, payloads);
    env.ikeEstablished(sa);
    const c = this.firstChild;
    if (c && this.child) await childResponse(env, sa, c, this.child, payloads, { ni: sa.ni!, nr: sa.nr! });
    return 'done';
  }

  failed(why: string): void {
    const { sa, env } = this;
    if (this.firstChild?.state === 'creating') env.childFailed(this.firstChild, why);
    if (sa.state === 'dead') return; // IKE_SA_INIT failed first and said so
    if (/AUTHENTICATION_FAILED/.test(why)) env.ctx.stats.authFailed++;
    env.stats.ikeFailed++;
    // §2.21.2: an error found by the initiator goes back in a separate INFORMATIONAL (sent once), then the SA goes.
    if (this.refusedHere && /AUTHENTICATION_FAILED/.test(why)) env.queue(sa, new AuthFailedI(env, sa, why));
    else env.killIke(sa, `IKE_AUTH failed: ${why}`);
  }
}

/** What the responder's IKE_AUTH step returns: the answer, and what to do once it is sent. */
export interface AuthAnswer {
  payloads: Ikev2Payload[];
  after?: () => void;
}

/** Responder: identity and AUTH of the initiator, our IDr and AUTH, then the first child (if proposed). */
export async function answerIkeAuth(env: Ikev2Env, sa: IkeSa, req: readonly Ikev2Payload[]): Promise<AuthAnswer> {
  const idi = single(req, IKEV2_PAYLOAD_IDI);
  const auth = single(req, IKEV2_PAYLOAD_AUTH);
  if (!idi) throw new ExchangeError(N.IKEV2_N_INVALID_SYNTAX, 'IDi missing');
  const refuse = (why: string): AuthAnswer => {
    env.ctx.stats.authFailed++;
    env.stats.ikeFailed++;
    env.ctx.log('warn', `IKE_AUTH from ${formatAddr(sa.remote.addr)} (${formatIkev2Id(idi)}): ${why}`);
    return {
      payloads: [notifyPayload(N.IKEV2_N_AUTHENTICATION_FAILED)],
      after: () => env.killIke(sa, 'authentication failed'),
    };
  };
  // §2.16: an initiator that leaves AUTH out asks for EAP; a later step here, so the answer is a refusal.
  if (!auth) return refuse('no AUTH payload: the peer asks for EAP (RFC 7296 §2.16), which racoon does not do yet');
  const loaded = env.ctx.auth.get(sa.rmconf);
  if (!peerIdentityAccepted(sa.rmconf, idi, sa.remote, loaded.peerIds))
    return refuse('identity not in peers_identifier');
  sa.peerId = idi;
  const why = checkPeerAuth(env, sa, auth, peerOctets(sa, idi), req);
  if (why) return refuse(why);
  const authn = authenticatorFor(sa, env.ctx);
  sa.myId = myIdentity(sa.rmconf, sa.local, loaded.myId);
  const mine = authn.sign(ownOctets(sa));
  if (!mine) return refuse(`no ${credential(sa)} for this peer`);
  const out: Ikev2Payload[] = [{ type: IKEV2_PAYLOAD_IDR, body: sa.myId }, ...authn.payloads()];
  out.push({ type: IKEV2_PAYLOAD_AUTH, body: mine });
  // INITIAL_CONTACT first: a roadwarrior that restarted gets back the address its old IKE SA held.
  if (findNotify(req, N.IKEV2_N_INITIAL_CONTACT)) env.initialContact(sa);
  const cfg = serveRequest(env.ctx, sa, req);
  if (cfg.payload) out.push(cfg.payload);
  env.ikeEstablished(sa);
  // §3.10.1: no address to give: the IKE SA stands, the child is refused with INTERNAL_ADDRESS_FAILURE.
  if (cfg.exhausted) out.push(notifyPayload(N.IKEV2_N_INTERNAL_ADDRESS_FAILURE));
  else if (single(req, IKEV2_PAYLOAD_SA)) out.push(...(await childInAuth(env, sa, req)));
  return { payloads: out };
}

/** What a remote authenticates with, for log lines. */
function credential(sa: IkeSa): string {
  return usesCertificates(sa.rmconf) ? 'certificate and key (certificate_type x509)' : 'pre-shared key';
}

/** The peer's AUTH: undefined when good, else why not (a certificate problem or a bad signature / MAC). */
function checkPeerAuth(
  env: Ikev2Env,
  sa: IkeSa,
  auth: Ikev2Auth,
  octets: Uint8Array,
  payloads: readonly Ikev2Payload[],
): string | undefined {
  try {
    if (authenticatorFor(sa, env.ctx).verify(auth, octets, payloads)) return undefined;
  } catch (e) {
    if (e instanceof CertAuthError) return e.message;
    throw e;
  }
  return usesCertificates(sa.rmconf)
    ? 'AUTH signature does not verify'
    : 'AUTH does not verify (wrong pre-shared key?)';
}

/** The first child; a refusal goes in the same message and the IKE SA stays (§1.2). */
async function childInAuth(env: Ikev2Env, sa: IkeSa, req: readonly Ikev2Payload[]): Promise<Ikev2Payload[]> {
  try {
    return (await answerChild(env, sa, req, { inAuth: true, ni: sa.ni!, nr: sa.nr! })).payloads;
  } catch (e) {
    if (!(e instanceof ExchangeError)) throw e;
    env.ctx.log('warn', `first child with ${formatAddr(sa.remote.addr)} refused: ${e.message}`);
    if (e.notifyType === N.IKEV2_N_NO_PROPOSAL_CHOSEN) env.ctx.stats.noProposal++;
    return [notifyPayload(e.notifyType === N.IKEV2_N_INVALID_KE_PAYLOAD ? N.IKEV2_N_NO_PROPOSAL_CHOSEN : e.notifyType)];
  }
}
