// Phase 1 main mode (RFC 2409 §5, §5.1, §5.4) with pre-shared keys or RSA signatures, with the RFC 3947
// NAT-T vendor ID and NAT-D payloads. Each step consumes one peer message and builds our next one; the
// dispatch tables below pick the step from the side and the state, as racoon's ph1exchange[][][] does.
// Where racoon (isakmp_ident.c) puts the CR payloads: the responder in message 4, the initiator in 5.
//
//      Initiator                          Responder
//     -----------                        -----------
//  i1  HDR, SA [, VID]             -->
//                                  <--   HDR, SA [, VID]                 r1
//  i2  HDR, KE, Ni [, NAT-D x2]    -->
//                                  <--   HDR, KE, Nr [, CR] [, NAT-D x2] r2
//  i3  HDR*, IDii, HASH_I [, N]    -->       (sig: IDii, [CERT,] SIG_I [, CR])
//                                  <--   HDR*, IDir, HASH_R              r3   (sig: IDir, [CERT,] SIG_R)
//  i4  (established)
import * as C from '../../isakmp/constants.js';
import { IsakmpError } from '../../isakmp/codec.js';
import type { IsakmpMessage, IsakmpPayload } from '../../isakmp/message.js';
import { encodeId } from '../../isakmp/payloads/id.js';
import { encodeSa } from '../../isakmp/payloads/sa.js';
import * as O from '../oakley.js';
import { capabilityVids, noteCapabilities } from './capabilities.js';
import { acceptPh1Reply, buildPh1Sa, chosenPh1Sa, selectPh1Proposal } from './proposal.js';
import { logProposals, proposalSummary } from '../proposal-log.js';
import { logAbout } from '../../engine/log-limit.js';
import { floatToNattPort, followPeer } from '../../engine/natt.js';
import type { Phase1 } from '../handles.js';
import { buildMessage, findPayload, openMessage, rawChain } from '../message.js';
import { isakmpNotify } from '../notify.js';
import { checkPeerProof, collectProof, crPayloads, peerSigns, proofPayloads } from './auth.js';
import { myPh1Id, takePeerId } from './identity.js';
import { deriveKeys, keNonce, pskOf, takeKeNonce } from './keying.js';
import { checkNatd, natdPayloads, noteVids, vids } from './nat-detection.js';
import { narrowByCr, narrowByProposal } from './remote-choice.js';
import { fail, type Ph1Ctx, type Ph1Step } from './step.js';

/** Decrypts msg 5/6 and checks the peer's ID and HASH_I / HASH_R or SIG_I / SIG_R. */
function checkAuth(ph1: Phase1, msg: IsakmpMessage, peerIsInitiator: boolean, ctx: Ph1Ctx): IsakmpPayload[] {
  if (!msg.encrypted) fail(C.ISAKMP_NTYPE_INVALID_FLAGS, 'message 5/6 must be encrypted');
  let opened: ReturnType<typeof openMessage>;
  try {
    opened = openMessage(ph1, msg.header.np, msg.encrypted, ph1.iv!);
  } catch (e) {
    // A body that does not parse after decryption almost always means different keys (pre-shared keys).
    if (e instanceof IsakmpError)
      fail(
        C.ISAKMP_NTYPE_AUTHENTICATION_FAILED,
        `message ${peerIsInitiator ? 5 : 6} does not decrypt to valid payloads (wrong pre-shared key?): ${e.message}`,
      );
    throw e;
  }
  ph1.iv = opened.ivOut;
  const id = findPayload(opened.payloads, C.ISAKMP_NPTYPE_ID);
  if (!id) fail(C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, 'ID missing');
  // The responder learns which remote it is from the initiator's CR and ID (oakley_savecr, resolveph1rmconf).
  narrowByCr(ph1, opened.payloads, ctx);
  takePeerId(ph1, id.body, ctx);
  const proof = collectProof(ph1, id.body, opened.payloads, ctx);
  const k = ph1.keys!;
  const idB = encodeIdBody(opened.plain, msg.header.np);
  const want = peerIsInitiator
    ? O.hashI(k.hash, k.skeyid, ph1.gxi!, ph1.gxr!, ph1.icookie, ph1.rcookie, ph1.saiB!, idB)
    : O.hashR(k.hash, k.skeyid, ph1.gxi!, ph1.gxr!, ph1.icookie, ph1.rcookie, ph1.saiB!, idB);
  checkPeerProof(ph1, proof, want, ctx);
  return opened.payloads;
}

/** The ID payload body exactly as received (IDii_b / IDir_b). */
export function encodeIdBody(plain: Uint8Array, np: number, start = 0): Uint8Array {
  const raw = rawChain(plain, np, start).find((p) => p.type === C.ISAKMP_NPTYPE_ID)!;
  return plain.slice(raw.start + 4, raw.end);
}

/** Our ID and our proof over it (HASH_I/R, or [CERT,] SIG_I/R), for message 5/6 or aggressive 2/3. */
export function idProofPayloads(ph1: Phase1, isInitiator: boolean, ctx: Ph1Ctx): IsakmpPayload[] {
  const id = myPh1Id(ph1, ctx);
  ph1.myId = id;
  const k = ph1.keys!;
  const idB = encodeId(id);
  const h = isInitiator
    ? O.hashI(k.hash, k.skeyid, ph1.gxi!, ph1.gxr!, ph1.icookie, ph1.rcookie, ph1.saiB!, idB)
    : O.hashR(k.hash, k.skeyid, ph1.gxi!, ph1.gxr!, ph1.icookie, ph1.rcookie, ph1.saiB!, idB);
  return [{ type: C.ISAKMP_NPTYPE_ID, body: id }, ...proofPayloads(ph1, h, ctx)];
}

function encrypted(ph1: Phase1, payloads: IsakmpPayload[]): Uint8Array {
  const m = buildMessage(ph1, C.ISAKMP_ETYPE_IDENT, 0, payloads, { iv: ph1.iv! });
  ph1.iv = m.ivOut;
  return m.bytes;
}

function clear(ph1: Phase1, payloads: IsakmpPayload[]): Uint8Array {
  return buildMessage(ph1, C.ISAKMP_ETYPE_IDENT, 0, payloads).bytes;
}

/** i1: HDR, SA [, VID] --> */
export function i1Send(ph1: Phase1): Uint8Array {
  const sa = buildPh1Sa(ph1.rmconf);
  ph1.offered = sa;
  ph1.saiB = encodeSa(sa);
  ph1.state = 'msg1-sent';
  return clear(ph1, [{ type: C.ISAKMP_NPTYPE_SA, body: sa }, ...vids(ph1), ...capabilityVids(ph1)]);
}

/** r1: receives HDR, SA [, VID]; replies HDR, SA [, VID] with the one chosen transform. */
export function r1Step(ph1: Phase1, msg: IsakmpMessage, raw: Uint8Array, ctx: Ph1Ctx): Uint8Array {
  const sa = findPayload(msg.payloads, C.ISAKMP_NPTYPE_SA);
  if (!sa) fail(C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, 'SA missing');
  // Message 1 is unauthenticated: its proposals are one debug line, counted against the sender's log budget as
  // the other lines about first messages are, so a flood of forged proposals cannot fill the log at `racoon -d`.
  logAbout(ctx, 'debug', ph1.remote.addr, `phase 1 proposals received: ${proposalSummary(sa.body)}`);
  const approval = selectPh1Proposal(sa.body, ph1.rmconf);
  if (!approval) fail(C.ISAKMP_NTYPE_NO_PROPOSAL_CHOSEN, 'no acceptable phase 1 proposal');
  narrowByProposal(ph1, (rm) => selectPh1Proposal(sa.body, rm)?.authMethod === approval.authMethod, ctx);
  ph1.approval = approval;
  logAbout(ctx, 'debug', ph1.remote.addr, `an acceptable proposal found: trns#=${approval.transform.num}`);
  const rawSa = rawChain(raw, msg.header.np, C.ISAKMP_HEADER_LEN).find((p) => p.type === C.ISAKMP_NPTYPE_SA)!;
  ph1.saiB = raw.slice(rawSa.start + 4, rawSa.end);
  noteVids(ph1, msg);
  noteCapabilities(ph1, msg.payloads);
  const reply = chosenPh1Sa(sa.body, approval);
  ph1.state = 'msg2-sent';
  const answer = [...(ph1.nattPeer ? vids(ph1) : []), ...capabilityVids(ph1)];
  return clear(ph1, [{ type: C.ISAKMP_NPTYPE_SA, body: reply }, ...answer]);
}

/** i2: receives HDR, SA [, VID]; sends HDR, KE, Ni [, NAT-D, NAT-D]. */
export function i2Step(ph1: Phase1, msg: IsakmpMessage, _raw: Uint8Array, ctx: Ph1Ctx): Uint8Array {
  const sa = findPayload(msg.payloads, C.ISAKMP_NPTYPE_SA);
  if (!sa) fail(C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, 'SA missing');
  logProposals(ctx.log, 'phase 1 proposal chosen by the responder:', sa.body);
  const approval = acceptPh1Reply(sa.body, ph1.offered!, ph1.rmconf);
  if (!approval) fail(C.ISAKMP_NTYPE_NO_PROPOSAL_CHOSEN, 'responder chose a transform we did not offer');
  ph1.approval = approval;
  noteVids(ph1, msg);
  noteCapabilities(ph1, msg.payloads);
  ph1.state = 'msg3-sent';
  return clear(ph1, [...keNonce(ph1, ctx, true), ...natdPayloads(ph1)]);
}

/** r2: receives HDR, KE, Ni [, NAT-D]; sends HDR, KE, Nr [, CR] [, NAT-D] and derives the keys. */
export function r2Step(ph1: Phase1, msg: IsakmpMessage, _raw: Uint8Array, ctx: Ph1Ctx): Uint8Array {
  const psk = pskOf(ph1, ctx);
  const out = keNonce(ph1, ctx, false);
  if (findPayload(msg.payloads, C.ISAKMP_NPTYPE_CR))
    ctx.log('warn', 'CR received, ignore it. It should be in other exchange.');
  // With the remote not yet known, a CR for each candidate (racoon enumrmconf + oakley_append_rmconf_cr).
  const crs = peerSigns(ph1) ? crPayloads(ph1.candidates ?? [ph1.rmconf], ctx) : [];
  takeKeNonce(ph1, msg, false);
  checkNatd(ph1, msg);
  deriveKeys(ph1, psk);
  ph1.state = 'msg4-sent';
  return clear(ph1, [...out, ...crs, ...natdPayloads(ph1)]);
}

/** i3: receives HDR, KE, Nr [, CR] [, NAT-D]; sends HDR*, IDii, HASH_I | [CERT,] SIG_I [, CR] [, N]. */
export function i3Step(ph1: Phase1, msg: IsakmpMessage, _raw: Uint8Array, ctx: Ph1Ctx): Uint8Array {
  const psk = pskOf(ph1, ctx);
  takeKeNonce(ph1, msg, true);
  checkNatd(ph1, msg);
  deriveKeys(ph1, psk);
  const payloads = idProofPayloads(ph1, true, ctx);
  if (peerSigns(ph1)) payloads.push(...crPayloads([ph1.rmconf], ctx));
  if (ph1.rmconf.initialContact && ctx.initialContact(ph1)) {
    payloads.push(isakmpNotify(ph1, C.IPSECDOI_NTYPE_INITIAL_CONTACT));
    ph1.initialContactSent = true;
  }
  ph1.state = 'msg5-sent';
  return encrypted(ph1, payloads);
}

/** r3: receives HDR*, IDii, HASH_I | SIG_I [, N]; sends HDR*, IDir, HASH_R | SIG_R; established. */
export function r3Step(ph1: Phase1, msg: IsakmpMessage, ctx: Ph1Ctx): { reply: Uint8Array; payloads: IsakmpPayload[] } {
  const payloads = checkAuth(ph1, msg, true, ctx);
  const reply = encrypted(ph1, idProofPayloads(ph1, false, ctx));
  ph1.state = 'established';
  return { reply, payloads };
}

/** i4: receives HDR*, IDir, HASH_R | [CERT,] SIG_R; the SA is established. */
export function i4Step(ph1: Phase1, msg: IsakmpMessage, ctx: Ph1Ctx): IsakmpPayload[] {
  const payloads = checkAuth(ph1, msg, false, ctx);
  ph1.state = 'established';
  return payloads;
}
/**
 * The step for a peer message, by side and by the state we are in (racoon's ph1exchange[][][], main mode
 * column). A state with no entry expects nothing more: the message is late or a duplicate. The responder's
 * first message (no state yet) is r1Step. The initiator learns the responder cookie from message 2 and, when
 * a NAT was detected, sends message 5 from the NAT-T port (RFC 3947 §4).
 */
export const PH1_STEPS: Readonly<Record<Phase1['side'], Partial<Record<Phase1['state'], Ph1Step>>>> = {
  initiator: {
    'msg1-sent': (p, m, r, c) => {
      p.rcookie = m.header.rcookie.slice();
      return { reply: i2Step(p, m, r, c) };
    },
    'msg3-sent': (p, m, r, c) => {
      const reply = i3Step(p, m, r, c);
      if (p.natDetected && !p.floated) floatToNattPort(p, c.nattPort);
      return { reply };
    },
    'msg5-sent': (p, m, _r, c, at) => {
      followPeer(p, at.local, at.remote, c.nattPort);
      return { established: true, payloads: i4Step(p, m, c) };
    },
  },
  responder: {
    'msg2-sent': (p, m, r, c) => ({ reply: r2Step(p, m, r, c) }),
    'msg4-sent': (p, m, _r, c, at) => {
      followPeer(p, at.local, at.remote, c.nattPort);
      return { ...r3Step(p, m, c), established: true };
    },
  },
};
