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
import { equalCT } from '../../../common/bytes.js';
import { formatAddr } from '../../../common/inet.js';
import type { Rng } from '../../../common/rng.js';
import { randomBytes } from '../../../common/rng.js';
import { DhError, DhKeyPair } from '../../../crypto/dh.js';
import { ikeCipher } from '../../../crypto/ike-cipher.js';
import * as C from '../../isakmp/constants.js';
import { IsakmpError } from '../../isakmp/codec.js';
import type { IsakmpMessage, IsakmpPayload } from '../../isakmp/message.js';
import { encodeId, type IsakmpId } from '../../isakmp/payloads/id.js';
import { encodeSa } from '../../isakmp/payloads/sa.js';
import type { IdSpec } from '../../conf/ast.js';
import * as O from '../oakley.js';
import { capabilityVids, noteCapabilities } from './capabilities.js';
import { acceptPh1Reply, buildPh1Sa, selectPh1Proposal } from './proposal.js';
import { baseAuthMethod } from './auth-method.js';
import type { IkePath } from '../../engine/datagram.js';
import { floatToNattPort, followPeer } from '../../engine/natt.js';
import type { Phase1 } from '../handles.js';
import { allPayloads, buildMessage, findPayload, openMessage, rawChain } from '../message.js';
import { isakmpNotify } from '../notify.js';
import {
  checkPeerProof,
  checkPeersIdentifier,
  collectProof,
  crPayloads,
  proofPayloads,
  usesSignatures,
  peerSigns,
  type AuthCtx,
} from './auth.js';
import { narrowByCr, narrowById, narrowByProposal } from './remote-choice.js';

/** RFC 3947 §3.1: the NAT-T vendor ID is MD5("RFC 3947"). */
export const VID_RFC3947 = new Uint8Array(Buffer.from('4a131c81070358455c5728f20e95452f', 'hex'));
/** draft-ietf-ipsec-nat-t-ike-02\n, still sent by many peers. */
export const VID_NATT_DRAFT02N = new Uint8Array(Buffer.from('90cb80913ebb696e086381b5ec427b1f', 'hex'));

/** What phase 1 exchanges need from their daemon. */
export interface Ph1Ctx extends AuthCtx {
  rng: Rng;
  /** The pre-shared key for a peer (main mode: by address, racoon getpskbyaddr; aggressive: by ID first). */
  psk(ph1: Phase1): Uint8Array | undefined;
  /** Whether to send INITIAL-CONTACT in message 5 (no other phase 1 with this peer exists). */
  initialContact(ph1: Phase1): boolean;
  /** The NAT-T port (racoon -P), where messages 5 and 6 move when a NAT was detected. */
  nattPort: number;
}

export function fail(notify: number, msg: string): never {
  throw new IsakmpError(notify, msg);
}

function nattWanted(ph1: Phase1): boolean {
  return ph1.rmconf.natTraversal !== 'off';
}

/**
 * Our phase 1 identity from `my_identifier` (default: the local address, RFC 2407 §4.6.2); asn1dn and keyid
 * values come loaded with the remote's certificates (an asn1dn without a value is our certificate's subject).
 */
export function myPh1Id(ph1: Phase1, ctx: AuthCtx): IsakmpId {
  const spec: IdSpec | undefined = ph1.rmconf.myIdentifier;
  const loaded = ctx.auth(ph1.rmconf).myId;
  if (spec && spec.type !== 'address' && loaded) return { ...loaded, protocol: 0, port: 0 };
  switch (spec?.type) {
    case 'asn1dn':
    case 'keyid':
      throw new IsakmpError(
        C.ISAKMP_NTYPE_INVALID_ID_INFORMATION,
        `remote ${ph1.rmconf.name}: my_identifier ${spec.type} has no value`,
      );
    default: {
      const a = spec?.addr ?? ph1.local.addr;
      return {
        idType: a.length === 4 ? C.IPSECDOI_ID_IPV4_ADDR : C.IPSECDOI_ID_IPV6_ADDR,
        protocol: 0,
        port: 0,
        data: a,
      };
    }
  }
}

export function vids(ph1: Phase1): IsakmpPayload[] {
  return nattWanted(ph1) ? [{ type: C.ISAKMP_NPTYPE_VID, body: VID_RFC3947 }] : [];
}

export function noteVids(ph1: Phase1, msg: Pick<IsakmpMessage, 'payloads'>): void {
  if (!nattWanted(ph1)) return;
  for (const v of allPayloads(msg.payloads, C.ISAKMP_NPTYPE_VID)) {
    if (equalCT(v.body, VID_RFC3947)) ph1.nattPeer = true;
  }
}

/** RFC 3947 §3.2: NAT-D for the peer's address, then ours; `force` spoils ours so both sides see a NAT. */
export function natdPayloads(ph1: Phase1): IsakmpPayload[] {
  if (!ph1.nattPeer) return [];
  const h = ph1.approval!.hash;
  const remote = O.natdHash(h, ph1.icookie, ph1.rcookie, ph1.remote.addr, ph1.remote.port);
  const localAddr = ph1.rmconf.natTraversal === 'force' ? new Uint8Array(ph1.local.addr.length) : ph1.local.addr;
  const local = O.natdHash(h, ph1.icookie, ph1.rcookie, localAddr, ph1.local.port);
  return [
    { type: C.ISAKMP_NPTYPE_NATD_RFC, body: remote },
    { type: C.ISAKMP_NPTYPE_NATD_RFC, body: local },
  ];
}

/** Compares the peer's NAT-D payloads with what the addresses hash to (RFC 3947 §3.2). */
export function checkNatd(ph1: Phase1, msg: Pick<IsakmpMessage, 'payloads'>): void {
  if (!ph1.nattPeer) return;
  const list = msg.payloads.filter((p) => p.type === C.ISAKMP_NPTYPE_NATD_RFC).map((p) => p.body as Uint8Array);
  if (list.length < 2) {
    ph1.nattPeer = false;
    return;
  }
  const h = ph1.approval!.hash;
  const meAsSeen = O.natdHash(h, ph1.icookie, ph1.rcookie, ph1.local.addr, ph1.local.port);
  const peer = O.natdHash(h, ph1.icookie, ph1.rcookie, ph1.remote.addr, ph1.remote.port);
  const iAmNatted = !equalCT(list[0]!, meAsSeen);
  const peerNatted = !list.slice(1).some((d) => equalCT(d, peer));
  ph1.natDetected = iAmNatted || peerNatted || ph1.rmconf.natTraversal === 'force';
}

/** Receives KE and the nonce, then derives SKEYID.. and the phase 1 IV (both sides, after msg 3/4). */
export function takeKeNonce(ph1: Phase1, msg: IsakmpMessage, isInitiator: boolean): void {
  const ke = findPayload(msg.payloads, C.ISAKMP_NPTYPE_KE);
  const nonce = findPayload(msg.payloads, C.ISAKMP_NPTYPE_NONCE);
  if (!ke || !nonce) fail(C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, 'KE or NONCE missing');
  if (nonce.body.length < C.ISAKMP_NONCE_MIN || nonce.body.length > C.ISAKMP_NONCE_MAX)
    fail(C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, `nonce of ${nonce.body.length} bytes`);
  try {
    ph1.gxy = ph1.dh!.computeSecret(ke.body);
  } catch (e) {
    if (e instanceof DhError) fail(C.ISAKMP_NTYPE_INVALID_KEY_INFORMATION, e.message);
    throw e;
  }
  if (isInitiator) {
    ph1.gxr = ke.body;
    ph1.nr = nonce.body;
  } else {
    ph1.gxi = ke.body;
    ph1.ni = nonce.body;
  }
}

/** SKEYID (RFC 2409 §5: prf(PSK, Ni_b | Nr_b), or prf(Ni_b | Nr_b, g^xy) for signatures), SKEYID_d/a/e, IV. */
export function deriveKeys(ph1: Phase1, psk: Uint8Array | undefined): void {
  const a = ph1.approval!;
  const skeyid = psk ? O.skeyidPsk(a.hash, psk, ph1.ni!, ph1.nr!) : O.skeyidSig(a.hash, ph1.ni!, ph1.nr!, ph1.gxy!);
  const dae = O.skeyidDae(a.hash, skeyid, ph1.gxy!, ph1.icookie, ph1.rcookie);
  const cipher = ikeCipher(a.enc, a.keyBits);
  ph1.keys = { skeyid, ...dae, encKey: O.encryptionKey(a.hash, dae.e, cipher.keyLen), cipher, hash: a.hash };
  ph1.iv = O.phase1Iv(a.hash, ph1.gxi!, ph1.gxr!, cipher.blockSize);
}

/** The pre-shared key, or undefined under signatures (racoon: "couldn't find the pskey for ..."). */
export function pskOf(ph1: Phase1, ctx: Ph1Ctx): Uint8Array | undefined {
  const m = baseAuthMethod(ph1.approval!.authMethod);
  if (m === C.OAKLEY_ATTR_AUTH_METHOD_RSASIG) return undefined;
  if (m !== C.OAKLEY_ATTR_AUTH_METHOD_PSKEY)
    fail(C.ISAKMP_NTYPE_NO_PROPOSAL_CHOSEN, 'only pre-shared keys and RSA signatures are supported');
  const k = ctx.psk(ph1);
  if (!k) fail(C.ISAKMP_NTYPE_AUTHENTICATION_FAILED, `couldn't find the pskey for ${formatAddr(ph1.remote.addr)}.`);
  return k;
}

export function keNonce(ph1: Phase1, ctx: Ph1Ctx, isInitiator: boolean): IsakmpPayload[] {
  ph1.dh = new DhKeyPair(ph1.approval!.group, ctx.rng);
  const nonce = randomBytes(ctx.rng, ph1.rmconf.nonceSize);
  if (isInitiator) {
    ph1.gxi = ph1.dh.publicKey;
    ph1.ni = nonce;
  } else {
    ph1.gxr = ph1.dh.publicKey;
    ph1.nr = nonce;
  }
  return [
    { type: C.ISAKMP_NPTYPE_KE, body: ph1.dh.publicKey },
    { type: C.ISAKMP_NPTYPE_NONCE, body: nonce },
  ];
}

/**
 * ipsecdoi_checkid1 and the identity checks of the peer's phase 1 ID: in main mode with pre-shared keys only
 * address IDs (the key was found by address), then peers_identifier; the responder first narrows its remote.
 */
export function takePeerId(ph1: Phase1, id: IsakmpId, ctx: Ph1Ctx): void {
  const isAddr = id.idType === C.IPSECDOI_ID_IPV4_ADDR || id.idType === C.IPSECDOI_ID_IPV6_ADDR;
  if (ph1.etype === C.ISAKMP_ETYPE_IDENT && !usesSignatures(ph1) && !isAddr)
    fail(
      C.ISAKMP_NTYPE_INVALID_ID_INFORMATION,
      `Expecting IP address type in main mode, but ${C.nameOf(C.IPSECDOI_ID_NAMES, id.idType)}.`,
    );
  if (ph1.side === 'responder') narrowById(ph1, id, ctx);
  checkPeersIdentifier(ph1, id, ctx);
  ph1.peerId = id;
}

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
  const approval = selectPh1Proposal(sa.body, ph1.rmconf);
  if (!approval) fail(C.ISAKMP_NTYPE_NO_PROPOSAL_CHOSEN, 'no acceptable phase 1 proposal');
  narrowByProposal(ph1, (rm) => selectPh1Proposal(sa.body, rm)?.authMethod === approval.authMethod, ctx);
  ph1.approval = approval;
  const rawSa = rawChain(raw, msg.header.np, C.ISAKMP_HEADER_LEN).find((p) => p.type === C.ISAKMP_NPTYPE_SA)!;
  ph1.saiB = raw.slice(rawSa.start + 4, rawSa.end);
  noteVids(ph1, msg);
  noteCapabilities(ph1, msg.payloads);
  const prop = sa.body.proposals.find((p) => p.transforms.includes(approval.transform))!;
  const reply = {
    doi: sa.body.doi,
    situation: sa.body.situation,
    proposals: [{ ...prop, transforms: [approval.transform] }],
  };
  ph1.state = 'msg2-sent';
  const answer = [...(ph1.nattPeer ? vids(ph1) : []), ...capabilityVids(ph1)];
  return clear(ph1, [{ type: C.ISAKMP_NPTYPE_SA, body: reply }, ...answer]);
}

/** i2: receives HDR, SA [, VID]; sends HDR, KE, Ni [, NAT-D, NAT-D]. */
export function i2Step(ph1: Phase1, msg: IsakmpMessage, _raw: Uint8Array, ctx: Ph1Ctx): Uint8Array {
  const sa = findPayload(msg.payloads, C.ISAKMP_NPTYPE_SA);
  if (!sa) fail(C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, 'SA missing');
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

/** What a step produced: our next message, and whether the ISAKMP SA is now established. */
export interface Ph1StepResult {
  reply?: Uint8Array;
  established?: boolean;
  /** The decrypted payloads of message 5/6 (INITIAL-CONTACT and other notifications). */
  payloads?: IsakmpPayload[];
}

/** A step gets the peer's message, its raw bytes, the daemon context and the path the message came on. */
export type Ph1Step = (ph1: Phase1, msg: IsakmpMessage, raw: Uint8Array, ctx: Ph1Ctx, at: IkePath) => Ph1StepResult;

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
