// Phase 2 quick mode (RFC 2409 §5.5) with optional PFS and client identities, over an established phase 1.
// The daemon gets SPIs from the kernel (GETSPI) before qi1Send / qr1Send and installs the SAs after
// qi2Step / qr2Step with the KEYMAT computed here.
//
//      Initiator                                   Responder
//  qi1  HDR*, HASH(1), SA, Ni [, KE] [, IDci, IDcr] -->
//                                               <--  HDR*, HASH(2), SA, Nr [, KE] [, IDci, IDcr]   qr1
//  qi2  HDR*, HASH(3)                           -->
//                                                    (SAs installed)                            qr2
import { equalCT } from '../../../common/bytes.js';
import type { Rng } from '../../../common/rng.js';
import { randomBytes } from '../../../common/rng.js';
import { DhError, DhKeyPair, findDhGroup } from '../../../crypto/dh.js';
import * as C from '../../isakmp/constants.js';
import { IsakmpError } from '../../isakmp/codec.js';
import { encodePayloadChain, type IsakmpMessage, type IsakmpPayload } from '../../isakmp/message.js';
import type { IsakmpId } from '../../isakmp/payloads/id.js';
import type { IsakmpSa } from '../../isakmp/payloads/sa.js';
import { attrNumber, attrTV, decodeAttributes, encodeAttributes, findAttr } from '../../isakmp/payloads/attributes.js';
import type { SaPairKeys } from '../../sa/sa-pair.js';
import { lifeAttr } from '../ph1/proposal.js';
import * as O from '../oakley.js';
import type { Phase1, Phase2 } from '../handles.js';
import { buildMessage, exchangeIv, findPayload, newMsgid, openMessage, rawChain } from '../message.js';
import { notifyPayload } from '../notify.js';
import { acceptPh2Reply, buildPh2Sa, sadbAlgsOf, selectPh2Proposal } from './proposal.js';

function fail(notify: number, msg: string): never {
  throw new IsakmpError(notify, msg);
}

function bodies(ph2: Phase2, sa: IsakmpSa, nonce: Uint8Array): IsakmpPayload[] {
  const list: IsakmpPayload[] = [
    { type: C.ISAKMP_NPTYPE_SA, body: sa },
    { type: C.ISAKMP_NPTYPE_NONCE, body: nonce },
  ];
  if (ph2.dh) list.push({ type: C.ISAKMP_NPTYPE_KE, body: ph2.dh.publicKey });
  if (ph2.idci && ph2.idcr)
    list.push({ type: C.ISAKMP_NPTYPE_ID, body: ph2.idci }, { type: C.ISAKMP_NPTYPE_ID, body: ph2.idcr });
  return list;
}

function send(ph1: Phase1, ph2: Phase2, payloads: IsakmpPayload[]): Uint8Array {
  const m = buildMessage(ph1, C.ISAKMP_ETYPE_QUICK, ph2.msgid, payloads, { iv: ph2.iv! });
  ph2.iv = m.ivOut;
  return m.bytes;
}

/** Decrypts a quick mode message and returns its payloads and the raw bytes after the HASH payload. */
function open(
  ph1: Phase1,
  ph2: Phase2,
  msg: IsakmpMessage,
): { payloads: IsakmpPayload[]; hash: Uint8Array; rest: Uint8Array } {
  if (!msg.encrypted) fail(C.ISAKMP_NTYPE_INVALID_FLAGS, 'quick mode message not encrypted');
  const o = openMessage(ph1, msg.header.np, msg.encrypted, ph2.iv!);
  ph2.iv = o.ivOut;
  const raw = rawChain(o.plain, msg.header.np);
  // RFC 2409 §5.5: HASH must be the first payload.
  if (raw[0]?.type !== C.ISAKMP_NPTYPE_HASH)
    fail(C.ISAKMP_NTYPE_INVALID_HASH_INFORMATION, 'quick mode message does not start with HASH');
  const hash = o.payloads[0]!.body as Uint8Array;
  return { payloads: o.payloads, hash, rest: o.plain.slice(raw[0]!.end) };
}

function takePeer(ph2: Phase2, payloads: IsakmpPayload[], initiator: boolean): void {
  const nonce = findPayload(payloads, C.ISAKMP_NPTYPE_NONCE);
  if (!nonce || nonce.body.length < C.ISAKMP_NONCE_MIN || nonce.body.length > C.ISAKMP_NONCE_MAX)
    fail(C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, 'bad or missing nonce');
  if (initiator) ph2.nr = nonce.body;
  else ph2.ni = nonce.body;
  const ke = findPayload(payloads, C.ISAKMP_NPTYPE_KE);
  if (ph2.dh || ke) {
    if (!ph2.dh || !ke) fail(C.ISAKMP_NTYPE_NO_PROPOSAL_CHOSEN, 'PFS mismatch: KE present on one side only');
    try {
      ph2.gqmxy = ph2.dh.computeSecret(ke.body);
    } catch (e) {
      if (e instanceof DhError) fail(C.ISAKMP_NTYPE_INVALID_KEY_INFORMATION, e.message);
      throw e;
    }
  }
}

/** qi1: HDR*, HASH(1), SA, Ni [, KE] [, IDci, IDcr] --> (SPIs in ph2.mySpis already). */
export function qi1Send(ph1: Phase1, ph2: Phase2, rng: Rng, udpEncap: boolean): Uint8Array {
  const sainfo = ph2.sainfo!;
  ph2.msgid = newMsgid(ph1, rng);
  ph2.iv = exchangeIv(ph1, ph2.msgid);
  ph2.offered = buildPh2Sa(ph2.reqs, sainfo, ph2.mySpis, udpEncap);
  ph2.ni = randomBytes(rng, ph1.rmconf.nonceSize);
  if (sainfo.pfsGroup) ph2.dh = new DhKeyPair(findDhGroup(sainfo.pfsGroup.id)!, rng);
  const rest = bodies(ph2, ph2.offered, ph2.ni);
  const k = ph1.keys!;
  const h = O.qmHash1(k.hash, k.a, ph2.msgid, encodePayloadChain(rest));
  ph2.state = 'msg1-sent';
  return send(ph1, ph2, [{ type: C.ISAKMP_NPTYPE_HASH, body: h }, ...rest]);
}

/** qr1 (receive): checks HASH(1), reads the peer's ids and SA; the daemon then finds sainfo/policy. */
export function qr1Recv(ph1: Phase1, ph2: Phase2, msg: IsakmpMessage): void {
  ph2.msgid = msg.header.msgid;
  ph2.iv = exchangeIv(ph1, ph2.msgid);
  const o = open(ph1, ph2, msg);
  const k = ph1.keys!;
  if (!equalCT(O.qmHash1(k.hash, k.a, ph2.msgid, o.rest), o.hash))
    fail(C.ISAKMP_NTYPE_INVALID_HASH_INFORMATION, 'HASH(1) mismatch');
  const sa = findPayload(o.payloads, C.ISAKMP_NPTYPE_SA);
  if (!sa) fail(C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, 'SA missing');
  ph2.peerSa = sa.body;
  const ids = o.payloads.filter((p) => p.type === C.ISAKMP_NPTYPE_ID).map((p) => p.body as IsakmpId);
  if (ids.length === 1) fail(C.ISAKMP_NTYPE_INVALID_ID_INFORMATION, 'only one client identity');
  if (ids.length === 2) {
    ph2.idci = ids[0];
    ph2.idcr = ids[1];
  }
  ph2.ni = findPayload(o.payloads, C.ISAKMP_NPTYPE_NONCE)?.body;
  ph2.lastRecvPayloads = o.payloads;
}

/** Responder: chooses the proposal for its policy requests and sainfo; undefined = NO-PROPOSAL-CHOSEN. */
export function qrSelect(ph1: Phase1, ph2: Phase2): boolean {
  const sel = selectPh2Proposal(ph2.peerSa!, ph2.reqs, ph2.sainfo!, ph1.rmconf.proposalCheck);
  if (!sel) return false;
  ph2.approval = sel.approval;
  ph2.chosen = sel.chosen;
  return true;
}

/** qr1 (send): <-- HDR*, HASH(2), SA, Nr [, KE] [, IDci, IDcr], with our SPIs (from GETSPI) in the SA. */
export function qr1Send(ph1: Phase1, ph2: Phase2, rng: Rng): Uint8Array {
  const a = ph2.approval!;
  for (const sa of a.sas) sa.mySpi = ph2.mySpis.get(sa.protoId)!;
  const reply: IsakmpSa = {
    ...ph2.chosen!,
    proposals: ph2.chosen!.proposals.map((p) => ({ ...p, spi: ph2.mySpis.get(p.protoId)! })),
  };
  if (a.pfsGroup !== undefined) {
    const g = findDhGroup(a.pfsGroup);
    if (!g) fail(C.ISAKMP_NTYPE_NO_PROPOSAL_CHOSEN, `PFS group ${a.pfsGroup} not supported`);
    ph2.dh = new DhKeyPair(g, rng);
  }
  takePeer(ph2, ph2.lastRecvPayloads!, false);
  ph2.lastRecvPayloads = undefined;
  ph2.nr = randomBytes(rng, ph1.rmconf.nonceSize);
  const rest = bodies(ph2, reply, ph2.nr);
  if (a.responderLifetime) {
    // RFC 2407 §4.6.3.1 RESPONDER-LIFETIME: our shorter lifetime, as SA attributes, for the first protocol.
    const p = ph2.peerSa!.proposals[0]!;
    const data = encodeAttributes([
      attrTV(C.IPSECDOI_ATTR_SA_LD_TYPE, C.IPSECDOI_ATTR_SA_LD_TYPE_SEC),
      lifeAttr(C.IPSECDOI_ATTR_SA_LD, a.lifetimeSec),
    ]);
    rest.push(notifyPayload(p.protoId, C.IPSECDOI_NTYPE_RESPONDER_LIFETIME, p.spi, data));
  }
  const k = ph1.keys!;
  const h = O.qmHash2(k.hash, k.a, ph2.msgid, ph2.ni!, encodePayloadChain(rest));
  ph2.state = 'msg2-sent';
  return send(ph1, ph2, [{ type: C.ISAKMP_NPTYPE_HASH, body: h }, ...rest]);
}

/** qi2: receives HASH(2), SA, Nr [, KE] [, IDs]; sends HDR*, HASH(3); the SAs can be installed. */
export function qi2Step(ph1: Phase1, ph2: Phase2, msg: IsakmpMessage): Uint8Array {
  const o = open(ph1, ph2, msg);
  const k = ph1.keys!;
  if (!equalCT(O.qmHash2(k.hash, k.a, ph2.msgid, ph2.ni!, o.rest), o.hash))
    fail(C.ISAKMP_NTYPE_INVALID_HASH_INFORMATION, 'HASH(2) mismatch');
  const sa = findPayload(o.payloads, C.ISAKMP_NPTYPE_SA);
  if (!sa) fail(C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, 'SA missing');
  const approval = acceptPh2Reply(sa.body, ph2.offered!, ph2.reqs, ph2.sainfo!, ph2.mySpis);
  if (!approval) fail(C.ISAKMP_NTYPE_NO_PROPOSAL_CHOSEN, 'responder chose a transform we did not offer');
  ph2.approval = approval;
  for (const n of o.payloads) {
    if (n.type !== C.ISAKMP_NPTYPE_N || n.body.notifyType !== C.IPSECDOI_NTYPE_RESPONDER_LIFETIME) continue;
    // The responder's shorter lifetime wins (RFC 2407 §4.6.3.1); malformed data is ignored.
    try {
      const attrs = decodeAttributes(n.body.data).value;
      const ld = findAttr(attrs, C.IPSECDOI_ATTR_SA_LD);
      const type = findAttr(attrs, C.IPSECDOI_ATTR_SA_LD_TYPE);
      const sec = ld && (!type || attrNumber(type) === C.IPSECDOI_ATTR_SA_LD_TYPE_SEC) ? attrNumber(ld) : undefined;
      if (sec !== undefined && sec > 0) approval.lifetimeSec = Math.min(approval.lifetimeSec, sec);
    } catch {
      // not a valid attribute list: keep the negotiated lifetime
    }
  }
  takePeer(ph2, o.payloads, true);
  const reply = send(ph1, ph2, [
    { type: C.ISAKMP_NPTYPE_HASH, body: O.qmHash3(k.hash, k.a, ph2.msgid, ph2.ni!, ph2.nr!) },
  ]);
  ph2.state = 'established';
  return reply;
}

/** qr2: receives HDR*, HASH(3); the SAs can be installed. */
export function qr2Step(ph1: Phase1, ph2: Phase2, msg: IsakmpMessage): void {
  const o = open(ph1, ph2, msg);
  const k = ph1.keys!;
  if (!equalCT(O.qmHash3(k.hash, k.a, ph2.msgid, ph2.ni!, ph2.nr!), o.hash))
    fail(C.ISAKMP_NTYPE_INVALID_HASH_INFORMATION, 'HASH(3) mismatch');
  ph2.state = 'established';
}

/** KEYMAT for both directions of every negotiated SA (RFC 2409 §5.5; the SPI is the receiver's), in PF_KEY terms. */
export function ph2Keys(ph1: Phase1, ph2: Phase2): SaPairKeys[] {
  const k = ph1.keys!;
  return ph2.approval!.sas.map((sa) => {
    const algs = sadbAlgsOf(sa);
    if (!algs) fail(C.ISAKMP_NTYPE_NO_PROPOSAL_CHOSEN, `no kernel algorithm for transform ${sa.transformId}`);
    const len = algs.encKeyBytes + algs.authKeyBytes;
    const km = (spi: Uint8Array) => O.keymat(k.hash, k.d, ph2.gqmxy, sa.protoId, spi, ph2.ni!, ph2.nr!, len);
    const split = (spi: Uint8Array) => {
      const m = km(spi);
      return { spi, encKey: m.slice(0, algs.encKeyBytes), authKey: m.slice(algs.encKeyBytes) };
    };
    return { algs, mode: sa.mode, reqid: sa.reqid, inbound: split(sa.mySpi), outbound: split(sa.peerSpi) };
  });
}

/** What a quick mode step returns: our next message, or undefined when the exchange ends without one. */
export type QmStep = (ph1: Phase1, ph2: Phase2, msg: IsakmpMessage) => Uint8Array | undefined;

/**
 * The step for a peer message, by side and by the state we are in (racoon's ph2exchange[][][], quick mode
 * column). A state with no entry expects nothing more: the message is late or a duplicate. The responder's
 * first message (no record yet) is qr1Recv; after either last step the SAs can be installed.
 */
export const QM_STEPS: Readonly<Record<Phase2['side'], Partial<Record<Phase2['state'], QmStep>>>> = {
  initiator: { 'msg1-sent': qi2Step },
  responder: {
    'msg2-sent': (ph1, ph2, msg) => {
      qr2Step(ph1, ph2, msg);
      return undefined;
    },
  },
};
