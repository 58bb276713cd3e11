// Phase 1 aggressive mode (RFC 2409 §5.4 with pre-shared keys, §5.1 with RSA signatures) as racoon's
// isakmp_agg.c runs it: three messages, the identities in clear, the DH group fixed by the remote's
// proposals (racoon.conf(5): one group in every proposal), NAT-D in messages 2 and 3. The third message is
// sent in clear as racoon sends it; a received one may be encrypted (agg_r2recv decrypts when flagged).
// With pre-shared keys the key is looked up by the peer's ID first, then by its address (oakley_skeyid).
//
//      Initiator                                        Responder
//     -----------                                      -----------
//  i1  HDR, SA, KE, Ni, IDii [, CR] [, VID]       -->
//                             <--  HDR, SA, KE, Nr, IDir, HASH_R [, VID] [, NAT-D x2]            r1
//                                  (sig: ... IDir, [CERT,] SIG_R [, CR] ...)
//  i2  HDR, HASH_I | [CERT,] SIG_I [, NAT-D x2]   -->
//                                                                    (established)               r2
import { randomBytes } from '../../../common/rng.js';
import { DhKeyPair, findDhGroup } from '../../../crypto/dh.js';
import * as C from '../../isakmp/constants.js';
import type { IsakmpMessage, IsakmpPayload } from '../../isakmp/message.js';
import { encodeId } from '../../isakmp/payloads/id.js';
import { encodeSa } from '../../isakmp/payloads/sa.js';
import { floatToNattPort, followPeer } from '../../engine/natt.js';
import type { Phase1 } from '../handles.js';
import { buildMessage, findPayload, openMessage, rawChain } from '../message.js';
import * as O from '../oakley.js';
import { checkPeerProof, collectProof, crPayloads, peerSigns, proofPayloads } from './auth.js';
import { baseAuthMethod } from './auth-method.js';
import { myPh1Id, takePeerId } from './identity.js';
import { deriveKeys, keNonce, pskOf, takeKeNonce } from './keying.js';
import { checkNatd, natdPayloads, noteVids, vids } from './nat-detection.js';
import { acceptPh1Reply, buildPh1Sa, chosenPh1Sa, selectPh1Proposal } from './proposal.js';
import { narrowByCr, narrowByProposal } from './remote-choice.js';
import { fail, type Ph1Ctx, type Ph1Step } from './step.js';

function clear(ph1: Phase1, payloads: IsakmpPayload[]): Uint8Array {
  return buildMessage(ph1, C.ISAKMP_ETYPE_AGG, 0, payloads).bytes;
}

/** The raw body of the ID payload in a clear message (IDii_b / IDir_b as the peer encoded it). */
function rawIdBody(raw: Uint8Array, np: number): Uint8Array {
  const p = rawChain(raw, np, C.ISAKMP_HEADER_LEN).find((x) => x.type === C.ISAKMP_NPTYPE_ID)!;
  return raw.slice(p.start + 4, p.end);
}

function hashFor(ph1: Phase1, initiator: boolean, idB: Uint8Array): Uint8Array {
  const k = ph1.keys!;
  const args = [k.hash, k.skeyid, ph1.gxi!, ph1.gxr!, ph1.icookie, ph1.rcookie, ph1.saiB!, idB] as const;
  return initiator ? O.hashI(...args) : O.hashR(...args);
}

/** i1: HDR, SA, KE, Ni, IDii [, CR] [, VID] --> (KE in the group every proposal names). */
export function i1Send(ph1: Phase1, ctx: Ph1Ctx): Uint8Array {
  const rm = ph1.rmconf;
  const group = findDhGroup(rm.proposals[0]?.dhGroup?.id ?? 0);
  if (!group) fail(C.ISAKMP_NTYPE_NO_PROPOSAL_CHOSEN, `remote ${rm.name}: no DH group for aggressive mode`);
  const sa = buildPh1Sa(rm);
  ph1.offered = sa;
  ph1.saiB = encodeSa(sa);
  ph1.dh = new DhKeyPair(group, ctx.rng);
  ph1.gxi = ph1.dh.publicKey;
  ph1.ni = randomBytes(ctx.rng, rm.nonceSize);
  ph1.myId = myPh1Id(ph1, ctx);
  const sig = baseAuthMethod(rm.proposals[0]?.authMethod?.id ?? 0) === C.OAKLEY_ATTR_AUTH_METHOD_RSASIG;
  ph1.state = 'msg1-sent';
  return clear(ph1, [
    { type: C.ISAKMP_NPTYPE_SA, body: sa },
    { type: C.ISAKMP_NPTYPE_KE, body: ph1.gxi },
    { type: C.ISAKMP_NPTYPE_NONCE, body: ph1.ni },
    { type: C.ISAKMP_NPTYPE_ID, body: ph1.myId },
    ...(sig ? crPayloads([rm], ctx) : []),
    ...vids(ph1),
  ]);
}

/** r1: receives HDR, SA, KE, Ni, IDii [, CR]; answers HDR, SA, KE, Nr, IDir, proof [, CR] [, VID, NAT-D]. */
export function r1Step(ph1: Phase1, msg: IsakmpMessage, raw: Uint8Array, ctx: Ph1Ctx): Uint8Array {
  const sa = findPayload(msg.payloads, C.ISAKMP_NPTYPE_SA);
  const id = findPayload(msg.payloads, C.ISAKMP_NPTYPE_ID);
  if (!sa || !id) fail(C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, 'few isakmp message received.');
  const approval = selectPh1Proposal(sa.body, ph1.rmconf);
  if (!approval) fail(C.ISAKMP_NTYPE_NO_PROPOSAL_CHOSEN, 'no acceptable phase 1 proposal');
  narrowByProposal(ph1, (rm) => selectPh1Proposal(sa.body, rm)?.authMethod === approval.authMethod, ctx);
  narrowByCr(ph1, msg.payloads, ctx);
  ph1.approval = approval;
  const rawSa = rawChain(raw, msg.header.np, C.ISAKMP_HEADER_LEN).find((p) => p.type === C.ISAKMP_NPTYPE_SA)!;
  ph1.saiB = raw.slice(rawSa.start + 4, rawSa.end);
  noteVids(ph1, msg);
  takePeerId(ph1, id.body, ctx);
  const ke = keNonce(ph1, ctx, false);
  takeKeNonce(ph1, msg, false);
  deriveKeys(ph1, pskOf(ph1, ctx));
  ph1.myId = myPh1Id(ph1, ctx);
  const proof = proofPayloads(ph1, hashFor(ph1, false, encodeId(ph1.myId)), ctx);
  const chosen = chosenPh1Sa(sa.body, approval);
  ph1.state = 'msg2-sent';
  return clear(ph1, [
    { type: C.ISAKMP_NPTYPE_SA, body: chosen },
    ...ke,
    { type: C.ISAKMP_NPTYPE_ID, body: ph1.myId },
    ...proof,
    ...(peerSigns(ph1) ? crPayloads(ph1.candidates ?? [ph1.rmconf], ctx) : []),
    ...(ph1.nattPeer ? vids(ph1) : []),
    ...natdPayloads(ph1),
  ]);
}

/** i2: receives HDR, SA, KE, Nr, IDir, proof [, CR, VID, NAT-D]; checks it, sends HDR, proof [, NAT-D]. */
export function i2Step(ph1: Phase1, msg: IsakmpMessage, raw: Uint8Array, ctx: Ph1Ctx): Uint8Array {
  const sa = findPayload(msg.payloads, C.ISAKMP_NPTYPE_SA);
  const id = findPayload(msg.payloads, C.ISAKMP_NPTYPE_ID);
  if (!sa || !id) fail(C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, 'few isakmp message received.');
  const approval = acceptPh1Reply(sa.body, ph1.offered!, ph1.rmconf);
  if (!approval) fail(C.ISAKMP_NTYPE_NO_PROPOSAL_CHOSEN, 'responder chose a transform we did not offer');
  if (approval.group.id !== ph1.dh!.group.id)
    fail(C.ISAKMP_NTYPE_NO_PROPOSAL_CHOSEN, 'responder chose another DH group');
  ph1.approval = approval;
  noteVids(ph1, msg);
  takePeerId(ph1, id.body, ctx);
  takeKeNonce(ph1, msg, true);
  checkNatd(ph1, msg);
  deriveKeys(ph1, pskOf(ph1, ctx));
  const proof = collectProof(ph1, id.body, msg.payloads, ctx);
  checkPeerProof(ph1, proof, hashFor(ph1, false, rawIdBody(raw, msg.header.np)), ctx);
  const mine = proofPayloads(ph1, hashFor(ph1, true, encodeId(ph1.myId!)), ctx);
  ph1.state = 'established';
  return clear(ph1, [...mine, ...natdPayloads(ph1)]);
}

/** r2: receives HDR[*], HASH_I | [CERT,] SIG_I [, NAT-D]; the SA is established. */
export function r2Step(ph1: Phase1, msg: IsakmpMessage, ctx: Ph1Ctx): IsakmpPayload[] {
  let payloads = msg.payloads;
  if (msg.encrypted) {
    const o = openMessage(ph1, msg.header.np, msg.encrypted, ph1.iv!);
    ph1.iv = o.ivOut;
    payloads = o.payloads;
  }
  checkNatd(ph1, { payloads });
  const proof = collectProof(ph1, ph1.peerId!, payloads, ctx);
  checkPeerProof(ph1, proof, hashFor(ph1, true, encodeId(ph1.peerId!)), ctx);
  ph1.state = 'established';
  return payloads;
}

/** The aggressive mode steps by side and state (racoon's ph1exchange[][][], aggressive column). */
export const AGG_STEPS: Readonly<Record<Phase1['side'], Partial<Record<Phase1['state'], Ph1Step>>>> = {
  initiator: {
    'msg1-sent': (p, m, r, c) => {
      p.rcookie = m.header.rcookie.slice();
      const reply = i2Step(p, m, r, c);
      // racoon natt_float_ports after message 2: message 3 already goes to the NAT-T port.
      if (p.natDetected && !p.floated) floatToNattPort(p, c.nattPort);
      return { reply, established: true };
    },
  },
  responder: {
    'msg2-sent': (p, m, _r, c, at) => {
      followPeer(p, at.local, at.remote, c.nattPort);
      return { established: true, payloads: r2Step(p, m, c) };
    },
  },
};
