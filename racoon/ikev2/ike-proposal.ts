// IKE SA proposals (RFC 7296 §2.7, §3.3): the offer a v2 remote's `proposal { }` blocks make (one proposal
// each), the responder's choice — the first of the initiator's proposals, in its order, that holds one transform
// of each type of one of our proposals — and the initiator's check that the answer is something it offered.
import { findDhGroup } from '../../crypto/dh.js';
import type { RemoteConf } from '../conf/ast.js';
import { ikev2ProposalOf, type Ikev2IkeProposal } from '../conf/ikev2.js';
import { IKEV2_PROTO_IKE, nameOf } from './constants.js';
import { transform, transformKeyLength, type Ikev2Proposal, type Ikev2Sa, type Ikev2Transform } from './payloads/sa.js';
import type { IkeSuite } from './records.js';
import { ikeEncr, ikeInteg, ikePrf } from './suite.js';
import * as T from './transforms.js';

/** The IKE proposals of a v2 remote that this implementation can run, in the configuration's order. */
export function ikeProposals(rm: RemoteConf): Ikev2IkeProposal[] {
  const out: Ikev2IkeProposal[] = [];
  for (const p of rm.proposals) {
    const v = ikev2ProposalOf(p);
    if (typeof v !== 'string' && suiteOf(v)) out.push(v);
  }
  return out;
}

function transformsOf(p: Ikev2IkeProposal): Ikev2Transform[] {
  const t = [transform(T.IKEV2_TRANSFORM_ENCR, p.encr, p.keyBits), transform(T.IKEV2_TRANSFORM_PRF, p.prf)];
  if (p.integ !== undefined) t.push(transform(T.IKEV2_TRANSFORM_INTEG, p.integ));
  t.push(transform(T.IKEV2_TRANSFORM_DH, p.dh));
  return t;
}

/** The SA payload an initiator sends: one proposal per `proposal { }`; `spi` is empty (IKE_SA_INIT) or 8 bytes (rekey). */
export function ikeOffer(rm: RemoteConf, spi: Uint8Array = new Uint8Array(0)): Ikev2Sa {
  return {
    proposals: ikeProposals(rm).map((p, i) => ({
      num: i + 1,
      protocol: IKEV2_PROTO_IKE,
      spi,
      transforms: transformsOf(p),
    })),
  };
}

/** What crypto/ needs to run a proposal, or undefined when a transform is not implemented. */
export function suiteOf(p: Ikev2IkeProposal): IkeSuite | undefined {
  const encr = ikeEncr(p.encr, p.keyBits);
  const prf = ikePrf(p.prf);
  const integ = p.integ !== undefined ? ikeInteg(p.integ) : undefined;
  if (!encr || !prf || !findDhGroup(p.dh)) return undefined;
  if (encr.aead ? p.integ !== undefined : !integ) return undefined;
  return { encr, prf, prfId: p.prf, dhGroup: p.dh, ...(integ ? { integ } : {}) };
}

function has(p: Ikev2Proposal, type: number, id: number, keyBits?: number): boolean {
  return p.transforms.some((t) => t.type === type && t.id === id && transformKeyLength(t) === keyBits);
}

/**
 * §3.3.6: a proposal with a transform type we do not know cannot be accepted, unless one of its transforms of
 * that type is NONE (an optional type, e.g. RFC 9370's additional key exchanges).
 */
function unknownTypesAcceptable(p: Ikev2Proposal, known: readonly number[]): boolean {
  const types = new Set(p.transforms.map((t) => t.type));
  for (const type of types)
    if (!known.includes(type) && !p.transforms.some((t) => t.type === type && t.id === 0)) return false;
  return true;
}

const IKE_TYPES = [T.IKEV2_TRANSFORM_ENCR, T.IKEV2_TRANSFORM_PRF, T.IKEV2_TRANSFORM_INTEG, T.IKEV2_TRANSFORM_DH];

/** Whether a peer proposal offers every transform of one of ours (INTEG absent or NONE with an AEAD). */
function matches(peer: Ikev2Proposal, ours: Ikev2IkeProposal): boolean {
  if (peer.protocol !== IKEV2_PROTO_IKE || !unknownTypesAcceptable(peer, IKE_TYPES)) return false;
  if (!has(peer, T.IKEV2_TRANSFORM_ENCR, ours.encr, ours.keyBits)) return false;
  if (!has(peer, T.IKEV2_TRANSFORM_PRF, ours.prf) || !has(peer, T.IKEV2_TRANSFORM_DH, ours.dh)) return false;
  if (ours.integ !== undefined) return has(peer, T.IKEV2_TRANSFORM_INTEG, ours.integ);
  return peer.transforms.every((t) => t.type !== T.IKEV2_TRANSFORM_INTEG || t.id === T.IKEV2_AUTH_NONE);
}

export interface IkeChoice {
  /** The chosen proposal as the SA payload of the answer (the peer's number, one transform per type). */
  chosen: Ikev2Proposal;
  config: Ikev2IkeProposal;
  suite: IkeSuite;
}

/** Responder: the first acceptable proposal in the initiator's order, answered with `spi`; undefined: none. */
export function selectIke(offer: Ikev2Sa, rm: RemoteConf, spi: Uint8Array = new Uint8Array(0)): IkeChoice | undefined {
  const ours = ikeProposals(rm);
  for (const peer of offer.proposals) {
    for (const o of ours) {
      if (!matches(peer, o)) continue;
      const suite = suiteOf(o)!;
      return {
        chosen: { num: peer.num, protocol: IKEV2_PROTO_IKE, spi, transforms: transformsOf(o) },
        config: o,
        suite,
      };
    }
  }
  return undefined;
}

/**
 * Initiator: the responder's SA payload must hold one proposal with exactly one transform of each type we
 * need, all from one proposal we offered (§2.7: "the responder MUST NOT ... modify it").
 */
export function acceptIke(answer: Ikev2Sa, rm: RemoteConf): IkeChoice | undefined {
  if (answer.proposals.length !== 1) return undefined;
  const p = answer.proposals[0]!;
  const types = p.transforms.map((t) => t.type);
  if (new Set(types).size !== types.length) return undefined;
  for (const o of ikeProposals(rm)) {
    if (p.transforms.length !== transformsOf(o).length || !matches(p, o)) continue;
    return { chosen: p, config: o, suite: suiteOf(o)! };
  }
  return undefined;
}

/** The DH groups of our proposals, in order (INVALID_KE_PAYLOAD must name one we offered, §1.3). */
export function offeredGroups(rm: RemoteConf): number[] {
  return [...new Set(ikeProposals(rm).map((p) => p.dh))];
}

/** A proposal for the log: `AES_CBC_256/PRF_HMAC_SHA2_256/AUTH_HMAC_SHA2_256_128/MODP_2048`. */
export function suiteText(s: IkeSuite): string {
  const parts = [
    `${nameOf(T.IKEV2_ENCR_NAMES, s.encr.id)}${s.encr.keyBits ? `_${s.encr.keyBits}` : ''}`,
    nameOf(T.IKEV2_PRF_NAMES, s.prfId),
  ];
  if (s.integ) parts.push(nameOf(T.IKEV2_INTEG_NAMES, s.integ.id));
  parts.push(nameOf(T.IKEV2_DH_NAMES, s.dhGroup));
  return parts.join('/');
}
