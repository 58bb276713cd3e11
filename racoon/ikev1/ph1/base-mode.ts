// Phase 1 base mode (RFC 2408 §4.8 Base Exchange, keyed as draft-ietf-ipsec-ike-base-mode says) as ipsec-tools'
// isakmp_base.c runs it: identities and nonces first, so the responder needs no state for the Diffie-Hellman
// exchange until the initiator has answered; the keys and the proofs in messages 3 and 4, all in clear. The
// hashes are racoon's (oakley.c oakley_ph1hash_base_i/_base_r), the only implementation there is to meet:
//
//   HASH_I             = prf(SKEYID, g^xi | CKY-I | CKY-R | SAi_b | IDii_b)          pre-shared keys
//   HASH_I             = prf(hash(Nr_b | Ni_b), g^xi | CKY-I | CKY-R | SAi_b | IDii_b)  signatures
//   HASH_R             = RFC 2409 §5 HASH_R                                          pre-shared keys
//   HASH_R             = prf(hash(Ni_b | Nr_b), g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b)  signatures
//
//      Initiator                                        Responder
//     -----------                                      -----------
//  i1  HDR, SA, IDii, Ni [, VID]                   -->
//                                                  <--  HDR, SA, IDir, Nr [, VID]                       r1
//  i2  HDR, KE, HASH_I | [CERT,] SIG_I [, NAT-D x2] -->
//                                                  <--  HDR, KE, HASH_R | [CERT,] SIG_R [, NAT-D x2]   r2
//  (established)                                                                    (established)
// Neither side sends CR or INITIAL-CONTACT here: racoon's base mode refuses any payload it does not list.
import { randomBytes } from '../../../common/rng.js';
import { hash, prf } from '../../../crypto/prf.js';
import { DhError, DhKeyPair } from '../../../crypto/dh.js';
import * as C from '../../isakmp/constants.js';
import type { IsakmpMessage, IsakmpPayload } from '../../isakmp/message.js';
import { encodeId } from '../../isakmp/payloads/id.js';
import { encodeSa } from '../../isakmp/payloads/sa.js';
import { floatToNattPort, followPeer } from '../../engine/natt.js';
import type { Phase1 } from '../handles.js';
import { buildMessage, findPayload, rawChain } from '../message.js';
import * as O from '../oakley.js';
import { checkPeerProof, collectProof, proofPayloads } from './auth.js';
import { baseAuthMethod } from './auth-method.js';
import { capabilityVids, noteCapabilities } from './capabilities.js';
import { myPh1Id, takePeerId } from './identity.js';
import { deriveKeys, pskOf } from './keying.js';
import { checkNatd, natdPayloads, noteVids, vids } from './nat-detection.js';
import { acceptPh1Reply, buildPh1Sa, chosenPh1Sa, selectPh1Proposal } from './proposal.js';
import { narrowByProposal } from './remote-choice.js';
import { fail, type Ph1Ctx, type Ph1Step } from './step.js';

function clear(ph1: Phase1, payloads: IsakmpPayload[]): Uint8Array {
  return buildMessage(ph1, C.ISAKMP_ETYPE_BASE, 0, payloads).bytes;
}

/** The body of a payload in a clear message exactly as the peer encoded it (SAi_b, IDii_b, IDir_b). */
function rawBody(raw: Uint8Array, np: number, type: number): Uint8Array {
  const p = rawChain(raw, np, C.ISAKMP_HEADER_LEN).find((x) => x.type === type)!;
  return raw.slice(p.start + 4, p.end);
}

const signatures = (ph1: Phase1) => baseAuthMethod(ph1.approval!.authMethod) === C.OAKLEY_ATTR_AUTH_METHOD_RSASIG;

/** SKEYID for pre-shared keys needs no Diffie-Hellman secret: racoon computes it before sending message 3. */
function skeyidPsk(ph1: Phase1, psk: Uint8Array): Uint8Array {
  return O.skeyidPsk(ph1.approval!.hash, psk, ph1.ni!, ph1.nr!);
}

/** oakley_ph1hash_base_i: HASH_I over the initiator's KE and ID; `idiiB` as the initiator encoded it. */
export function baseHashI(ph1: Phase1, idiiB: Uint8Array, skeyid: Uint8Array | undefined): Uint8Array {
  const h = ph1.approval!.hash;
  const key = signatures(ph1) ? hash(h, [ph1.nr!, ph1.ni!]) : skeyid!;
  return prf(h, key, [ph1.gxi!, ph1.icookie, ph1.rcookie, ph1.saiB!, idiiB]);
}

/** HASH_R: RFC 2409's with pre-shared keys (over IDir_b); oakley_ph1hash_base_r (over IDii_b) with signatures. */
export function baseHashR(ph1: Phase1, idB: Uint8Array, skeyid: Uint8Array | undefined): Uint8Array {
  const h = ph1.approval!.hash;
  if (!signatures(ph1)) return O.hashR(h, skeyid!, ph1.gxi!, ph1.gxr!, ph1.icookie, ph1.rcookie, ph1.saiB!, idB);
  const key = hash(h, [ph1.ni!, ph1.nr!]);
  return prf(h, key, [ph1.gxi!, ph1.gxr!, ph1.icookie, ph1.rcookie, ph1.saiB!, idB]);
}

function takeNonce(ph1: Phase1, msg: IsakmpMessage, initiator: boolean): void {
  const nonce = findPayload(msg.payloads, C.ISAKMP_NPTYPE_NONCE)!;
  if (nonce.body.length < C.ISAKMP_NONCE_MIN || nonce.body.length > C.ISAKMP_NONCE_MAX)
    fail(C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, `nonce of ${nonce.body.length} bytes`);
  if (initiator) ph1.nr = nonce.body;
  else ph1.ni = nonce.body;
}

/** The peer's KE: our own pair in the approved group, then g^xy (oakley_dh_compute). */
function takeKe(ph1: Phase1, msg: IsakmpMessage): void {
  const ke = findPayload(msg.payloads, C.ISAKMP_NPTYPE_KE);
  if (!ke) fail(C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, 'few isakmp message received.');
  try {
    ph1.gxy = ph1.dh!.computeSecret(ke.body);
  } catch (e) {
    if (e instanceof DhError) fail(C.ISAKMP_NTYPE_INVALID_KEY_INFORMATION, e.message);
    throw e;
  }
  if (ph1.side === 'initiator') ph1.gxr = ke.body;
  else ph1.gxi = ke.body;
}

/** Our Diffie-Hellman pair in the approved group (generated once the proposal is known, as racoon does). */
function newDh(ph1: Phase1, ctx: Ph1Ctx): Uint8Array {
  ph1.dh = new DhKeyPair(ph1.approval!.group, ctx.rng);
  return ph1.dh.publicKey;
}

/**
 * Hybrid authentication in base mode is left out: racoon keys its HASH_I as for signatures but has the client
 * send a HASH, a combination no document describes and no test of racoon's covers.
 */
function refuseHybrid(ph1: Phase1): void {
  const m = ph1.approval!.authMethod;
  if (m === C.OAKLEY_ATTR_AUTH_METHOD_HYBRID_RSA_I || m === C.OAKLEY_ATTR_AUTH_METHOD_HYBRID_RSA_R)
    fail(C.ISAKMP_NTYPE_NO_PROPOSAL_CHOSEN, 'hybrid authentication is not supported in base mode');
}

/** i1: HDR, SA, IDii, Ni [, VID] --> */
export function i1Send(ph1: Phase1, ctx: Ph1Ctx): Uint8Array {
  const sa = buildPh1Sa(ph1.rmconf);
  ph1.offered = sa;
  ph1.saiB = encodeSa(sa);
  ph1.ni = randomBytes(ctx.rng, ph1.rmconf.nonceSize);
  ph1.myId = myPh1Id(ph1, ctx);
  ph1.state = 'msg1-sent';
  return clear(ph1, [
    { type: C.ISAKMP_NPTYPE_SA, body: sa },
    { type: C.ISAKMP_NPTYPE_ID, body: ph1.myId },
    { type: C.ISAKMP_NPTYPE_NONCE, body: ph1.ni },
    ...capabilityVids(ph1),
    ...vids(ph1),
  ]);
}

/** r1: receives HDR, SA, IDii, Ni [, VID]; answers HDR, SA, IDir, Nr [, VID] with the one chosen transform. */
export function r1Step(ph1: Phase1, msg: IsakmpMessage, raw: Uint8Array, ctx: Ph1Ctx): Uint8Array {
  const sa = findPayload(msg.payloads, C.ISAKMP_NPTYPE_SA);
  const id = findPayload(msg.payloads, C.ISAKMP_NPTYPE_ID);
  if (!sa || !id || !findPayload(msg.payloads, C.ISAKMP_NPTYPE_NONCE))
    fail(C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, 'few isakmp message received.');
  const approval = selectPh1Proposal(sa.body, ph1.rmconf);
  if (!approval) fail(C.ISAKMP_NTYPE_NO_PROPOSAL_CHOSEN, 'no acceptable phase 1 proposal');
  narrowByProposal(ph1, (rm) => selectPh1Proposal(sa.body, rm)?.authMethod === approval.authMethod, ctx);
  ph1.approval = approval;
  refuseHybrid(ph1);
  ph1.saiB = rawBody(raw, msg.header.np, C.ISAKMP_NPTYPE_SA);
  ph1.peerIdB = rawBody(raw, msg.header.np, C.ISAKMP_NPTYPE_ID);
  noteVids(ph1, msg);
  noteCapabilities(ph1, msg.payloads);
  takePeerId(ph1, id.body, ctx);
  takeNonce(ph1, msg, false);
  ph1.nr = randomBytes(ctx.rng, ph1.rmconf.nonceSize);
  ph1.myId = myPh1Id(ph1, ctx);
  const chosen = chosenPh1Sa(sa.body, approval);
  ph1.state = 'msg2-sent';
  return clear(ph1, [
    { type: C.ISAKMP_NPTYPE_SA, body: chosen },
    { type: C.ISAKMP_NPTYPE_ID, body: ph1.myId },
    { type: C.ISAKMP_NPTYPE_NONCE, body: ph1.nr },
    ...(ph1.nattPeer ? vids(ph1) : []),
    ...capabilityVids(ph1),
  ]);
}

/** i2: receives HDR, SA, IDir, Nr [, VID]; sends HDR, KE, HASH_I | [CERT,] SIG_I [, NAT-D x2]. */
export function i2Step(ph1: Phase1, msg: IsakmpMessage, raw: Uint8Array, ctx: Ph1Ctx): Uint8Array {
  const sa = findPayload(msg.payloads, C.ISAKMP_NPTYPE_SA);
  const id = findPayload(msg.payloads, C.ISAKMP_NPTYPE_ID);
  if (!sa || !id || !findPayload(msg.payloads, C.ISAKMP_NPTYPE_NONCE))
    fail(C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, 'few isakmp message received.');
  const approval = acceptPh1Reply(sa.body, ph1.offered!, ph1.rmconf);
  if (!approval) fail(C.ISAKMP_NTYPE_NO_PROPOSAL_CHOSEN, 'responder chose a transform we did not offer');
  ph1.approval = approval;
  refuseHybrid(ph1);
  ph1.gxi = newDh(ph1, ctx);
  noteVids(ph1, msg);
  noteCapabilities(ph1, msg.payloads);
  takePeerId(ph1, id.body, ctx);
  ph1.peerIdB = rawBody(raw, msg.header.np, C.ISAKMP_NPTYPE_ID);
  takeNonce(ph1, msg, true);
  const psk = pskOf(ph1, ctx);
  const hashI = baseHashI(ph1, encodeId(ph1.myId!), psk && skeyidPsk(ph1, psk));
  ph1.state = 'msg3-sent';
  return clear(ph1, [
    { type: C.ISAKMP_NPTYPE_KE, body: ph1.gxi },
    ...proofPayloads(ph1, hashI, ctx),
    ...natdPayloads(ph1),
  ]);
}

/** r2: receives HDR, KE, HASH_I | [CERT,] SIG_I [, NAT-D]; checks it, answers HDR, KE, HASH_R | SIG_R; established. */
export function r2Step(ph1: Phase1, msg: IsakmpMessage, ctx: Ph1Ctx): { reply: Uint8Array; payloads: IsakmpPayload[] } {
  ph1.gxr = newDh(ph1, ctx);
  takeKe(ph1, msg);
  checkNatd(ph1, msg);
  const psk = pskOf(ph1, ctx);
  deriveKeys(ph1, psk);
  const proof = collectProof(ph1, ph1.peerId!, msg.payloads, ctx);
  checkPeerProof(ph1, proof, baseHashI(ph1, ph1.peerIdB!, ph1.keys!.skeyid), ctx);
  const idB = signatures(ph1) ? ph1.peerIdB! : encodeId(ph1.myId!);
  const hashR = baseHashR(ph1, idB, ph1.keys!.skeyid);
  const reply = clear(ph1, [
    { type: C.ISAKMP_NPTYPE_KE, body: ph1.gxr },
    ...proofPayloads(ph1, hashR, ctx),
    ...natdPayloads(ph1),
  ]);
  ph1.state = 'established';
  return { reply, payloads: msg.payloads };
}

/** i3: receives HDR, KE, HASH_R | [CERT,] SIG_R [, NAT-D]; the SA is established. */
export function i3Step(ph1: Phase1, msg: IsakmpMessage, ctx: Ph1Ctx): IsakmpPayload[] {
  takeKe(ph1, msg);
  checkNatd(ph1, msg);
  deriveKeys(ph1, pskOf(ph1, ctx));
  const proof = collectProof(ph1, ph1.peerId!, msg.payloads, ctx);
  const idB = signatures(ph1) ? encodeId(ph1.myId!) : ph1.peerIdB!;
  checkPeerProof(ph1, proof, baseHashR(ph1, idB, ph1.keys!.skeyid), ctx);
  ph1.state = 'established';
  return msg.payloads;
}

/** The base mode steps by side and state (racoon's ph1exchange[][][], base column). */
export const BASE_STEPS: Readonly<Record<Phase1['side'], Partial<Record<Phase1['state'], Ph1Step>>>> = {
  initiator: {
    'msg1-sent': (p, m, r, c) => {
      p.rcookie = m.header.rcookie.slice();
      return { reply: i2Step(p, m, r, c) };
    },
    'msg3-sent': (p, m, _r, c, at) => {
      followPeer(p, at.local, at.remote, c.nattPort);
      const payloads = i3Step(p, m, c);
      // racoon base_i3recv: natt_float_ports once message 4 showed a NAT; quick mode goes to the NAT-T port.
      if (p.natDetected && !p.floated) floatToNattPort(p, c.nattPort);
      return { established: true, payloads };
    },
  },
  responder: {
    'msg2-sent': (p, m, _r, c, at) => {
      followPeer(p, at.local, at.remote, c.nattPort);
      return { ...r2Step(p, m, c), established: true };
    },
  },
};
