// Phase 1 proposals (RFC 2409 App. A attributes in an ISAKMP SA payload, RFC 2408 §3.4–§3.6): the SA an
// initiator offers from its `remote { proposal { } }` list, and the responder's choice with racoon's
// proposal_check rules (obey / strict / claim / exact) on lifetime and key length.
import * as C from '../../isakmp/constants.js';
import { attrNumber, attrTLVNumber, attrTV, findAttr, type IsakmpAttribute } from '../../isakmp/payloads/attributes.js';
import type { IsakmpSa, IsakmpTransform } from '../../isakmp/payloads/sa.js';
import type { ProposalCheck, ProposalConf, RemoteConf } from '../../conf/ast.js';
import { findDhGroup, type DhGroup } from '../../../crypto/dh.js';
import type { PrfHash } from '../../../crypto/prf.js';
import type { IkeCipherName } from '../../../crypto/ike-cipher.js';
import { authMethodMatches } from './auth-method.js';

/** The negotiated phase 1 parameters (racoon `struct isakmpsa` of ph1handle->approval). */
export interface Ph1Approval {
  enc: IkeCipherName;
  encId: number;
  keyBits: number;
  hash: PrfHash;
  hashId: number;
  authMethod: number;
  group: DhGroup;
  lifetimeSec: number;
  /** The transform as the responder echoes it (RFC 2409 §5: the chosen transform, unmodified). */
  transform: IsakmpTransform;
}

const ENC_BY_ID: Readonly<Record<number, IkeCipherName>> = {
  [C.OAKLEY_ATTR_ENC_ALG_DES]: 'des',
  [C.OAKLEY_ATTR_ENC_ALG_3DES]: '3des',
  [C.OAKLEY_ATTR_ENC_ALG_AES]: 'aes',
};
const HASH_BY_ID: Readonly<Record<number, PrfHash>> = {
  [C.OAKLEY_ATTR_HASH_ALG_MD5]: 'md5',
  [C.OAKLEY_ATTR_HASH_ALG_SHA]: 'sha1',
  [C.OAKLEY_ATTR_HASH_ALG_SHA2_256]: 'sha256',
  [C.OAKLEY_ATTR_HASH_ALG_SHA2_384]: 'sha384',
  [C.OAKLEY_ATTR_HASH_ALG_SHA2_512]: 'sha512',
};
const FIXED_KEY_BITS: Readonly<Record<IkeCipherName, number>> = { des: 64, '3des': 192, aes: 128 };

/** A life duration attribute: basic (TV) when it fits 16 bits, else variable (RFC 2408 §3.3). */
export function lifeAttr(type: number, value: number): IsakmpAttribute {
  return value <= 0xffff ? attrTV(type, value) : attrTLVNumber(type, value);
}

function transformOf(p: ProposalConf, num: number, defaultLifetime: number): IsakmpTransform {
  const attrs: IsakmpAttribute[] = [attrTV(C.OAKLEY_ATTR_ENC_ALG, p.enc!.id)];
  if (p.enc!.keyLen) attrs.push(attrTV(C.OAKLEY_ATTR_KEY_LEN, p.enc!.keyLen));
  attrs.push(attrTV(C.OAKLEY_ATTR_HASH_ALG, p.hash!.id), attrTV(C.OAKLEY_ATTR_AUTH_METHOD, p.authMethod!.id));
  attrs.push(attrTV(C.OAKLEY_ATTR_GRP_DESC, p.dhGroup!.id));
  attrs.push(
    attrTV(C.OAKLEY_ATTR_SA_LD_TYPE, C.OAKLEY_ATTR_SA_LD_TYPE_SEC),
    lifeAttr(C.OAKLEY_ATTR_SA_LD, p.lifetimeSec ?? defaultLifetime),
  );
  return { num, id: C.IPSECDOI_KEY_IKE, attrs };
}

/** The initiator's SA payload: one ISAKMP proposal with one transform per configured proposal (RFC 2409 §5). */
export function buildPh1Sa(rm: RemoteConf): IsakmpSa {
  const transforms = rm.proposals.map((p, i) => transformOf(p, i + 1, rm.lifetimeSec));
  return {
    doi: C.IPSEC_DOI,
    situation: C.IPSECDOI_SIT_IDENTITY_ONLY,
    proposals: [{ num: 1, protoId: C.IPSECDOI_PROTO_ISAKMP, spi: new Uint8Array(0), transforms }],
  };
}

interface PeerTransform {
  encId: number;
  keyBits?: number;
  hashId: number;
  authMethod: number;
  groupId: number;
  lifetimeSec?: number;
}

/** racoon check_attr_isakmp: a transform with an attribute type outside RFC 2409 App. A (and GSS_ID) is invalid. */
const isKnownAttr = (type: number) =>
  (type >= C.OAKLEY_ATTR_ENC_ALG && type <= C.OAKLEY_ATTR_GRP_ORDER) || type === C.OAKLEY_ATTR_GSS_ID;

function readTransform(t: IsakmpTransform): PeerTransform | undefined {
  if (!t.attrs.every((a) => isKnownAttr(a.type))) return undefined;
  const n = (type: number) => {
    const a = findAttr(t.attrs, type);
    return a ? attrNumber(a) : undefined;
  };
  const encId = n(C.OAKLEY_ATTR_ENC_ALG);
  const hashId = n(C.OAKLEY_ATTR_HASH_ALG);
  const authMethod = n(C.OAKLEY_ATTR_AUTH_METHOD);
  const groupId = n(C.OAKLEY_ATTR_GRP_DESC);
  if (encId === undefined || hashId === undefined || authMethod === undefined || groupId === undefined)
    return undefined;
  const ldType = n(C.OAKLEY_ATTR_SA_LD_TYPE);
  const ld = n(C.OAKLEY_ATTR_SA_LD);
  return {
    encId,
    keyBits: n(C.OAKLEY_ATTR_KEY_LEN),
    hashId,
    authMethod,
    groupId,
    lifetimeSec: ldType === C.OAKLEY_ATTR_SA_LD_TYPE_SEC ? ld : undefined,
  };
}

/** racoon proposal_check on one value pair; returns the value to use, or undefined to refuse. */
export function checkLifetime(check: ProposalCheck, mine: number, peer: number | undefined): number | undefined {
  const p = peer ?? mine;
  switch (check) {
    case 'obey':
      return p;
    case 'strict':
      return p <= mine ? p : undefined;
    case 'claim':
      return Math.min(p, mine);
    case 'exact':
      return p === mine ? p : undefined;
  }
}

/** The approval for a proposal and the matching transform, or undefined. */
function approve(pt: PeerTransform, t: IsakmpTransform, mine: ProposalConf, rm: RemoteConf): Ph1Approval | undefined {
  const enc = ENC_BY_ID[pt.encId];
  const hash = HASH_BY_ID[pt.hashId];
  const group = findDhGroup(pt.groupId);
  if (!enc || !hash || !group) return undefined;
  if (
    mine.enc?.id !== pt.encId ||
    mine.hash?.id !== pt.hashId ||
    mine.authMethod === undefined ||
    !authMethodMatches(mine.authMethod.id, pt.authMethod) ||
    mine.dhGroup?.id !== pt.groupId
  )
    return undefined;
  const myBits = mine.enc.keyLen ?? FIXED_KEY_BITS[enc];
  const peerBits = pt.keyBits ?? FIXED_KEY_BITS[enc];
  // Key length: equal, except obey takes the initiator's (RFC 2409 App. A: KEY_LEN must be sent for AES).
  if (rm.proposalCheck !== 'obey' && peerBits !== myBits) return undefined;
  if (enc === 'aes' && ![128, 192, 256].includes(peerBits)) return undefined;
  const lifetimeSec = checkLifetime(rm.proposalCheck, mine.lifetimeSec ?? rm.lifetimeSec, pt.lifetimeSec);
  if (lifetimeSec === undefined) return undefined;
  return {
    enc,
    encId: pt.encId,
    keyBits: peerBits,
    hash,
    hashId: pt.hashId,
    authMethod: pt.authMethod,
    group,
    lifetimeSec,
    transform: t,
  };
}

/** Responder side: the first peer transform (in the peer's order) that one of our proposals accepts. */
export function selectPh1Proposal(peer: IsakmpSa, rm: RemoteConf): Ph1Approval | undefined {
  for (const prop of peer.proposals) {
    if (prop.protoId !== C.IPSECDOI_PROTO_ISAKMP) continue;
    for (const t of prop.transforms) {
      if (t.id !== C.IPSECDOI_KEY_IKE) continue;
      const pt = readTransform(t);
      if (!pt) continue;
      for (const mine of rm.proposals) {
        const a = approve(pt, t, mine, rm);
        if (a) return a;
      }
    }
  }
  return undefined;
}

/** The responder's SA payload: the peer's proposal that holds the chosen transform, with that one alone. */
export function chosenPh1Sa(peer: IsakmpSa, approval: Ph1Approval): IsakmpSa {
  const prop = peer.proposals.find((p) => p.transforms.includes(approval.transform))!;
  return { doi: peer.doi, situation: peer.situation, proposals: [{ ...prop, transforms: [approval.transform] }] };
}

/** Initiator side: the responder's reply must carry exactly one of the transforms we offered. */
export function acceptPh1Reply(reply: IsakmpSa, offered: IsakmpSa, rm: RemoteConf): Ph1Approval | undefined {
  const t =
    reply.proposals.length === 1 && reply.proposals[0]!.transforms.length === 1
      ? reply.proposals[0]!.transforms[0]!
      : undefined;
  if (!t) return undefined;
  const pt = readTransform(t);
  if (!pt) return undefined;
  const idx = offered.proposals[0]!.transforms.findIndex((o) => o.num === t.num);
  const mine = rm.proposals[idx];
  if (!mine) return undefined;
  // The responder may shorten the lifetime (claim); it may not change anything else.
  return approve(pt, t, mine, { ...rm, proposalCheck: 'claim' });
}
