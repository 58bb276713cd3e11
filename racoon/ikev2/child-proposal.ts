// Child SA proposals (RFC 7296 §2.7, §3.3.3): what a sainfo offers for ESP or AH — non-AEAD ciphers with the
// integrity algorithms in one proposal, AEADs in another, each with ESN choices and, for PFS in CREATE_CHILD_SA,
// the sainfo's group — the responder's choice, the initiator's check, and the PF_KEY numbers the kernel takes.
import { findDhGroup } from '../../crypto/dh.js';
import * as P from '../../pfkey/constants.js';
import type { SainfoConf } from '../conf/ast.js';
import { ikev2AhTransforms, ikev2EspTransforms, type Ikev2ChildTransform } from '../conf/ikev2.js';
import type { SadbAlgs } from '../sa/sa-pair.js';
import { IKEV2_PROTO_AH, IKEV2_PROTO_ESP } from './constants.js';
import { transform, transformKeyLength, type Ikev2Proposal, type Ikev2Sa, type Ikev2Transform } from './payloads/sa.js';
import type { ChildTransforms } from './records.js';
import * as T from './transforms.js';

/** ESP ciphers the kernel runs: SADB number, key bytes (with the salt) for a key length, whether an AEAD. */
interface EspEncr {
  sadb: number;
  keyBytes: (bits?: number) => number;
  aead: boolean;
}
const ESP_ENCR: ReadonlyMap<number, EspEncr> = new Map<number, EspEncr>([
  [T.IKEV2_ENCR_3DES, { sadb: P.SADB_EALG_3DESCBC, keyBytes: () => 24, aead: false }],
  [T.IKEV2_ENCR_AES_CBC, { sadb: P.SADB_X_EALG_AESCBC, keyBytes: (b = 128) => b / 8, aead: false }],
  [T.IKEV2_ENCR_CAMELLIA_CBC, { sadb: P.SADB_X_EALG_CAMELLIACBC, keyBytes: (b = 128) => b / 8, aead: false }],
  // RFC 5930 §4 / RFC 3686 §5.1, RFC 4106 §8.1, RFC 7634 §2: 4 bytes of nonce or salt after the key.
  [T.IKEV2_ENCR_AES_CTR, { sadb: P.SADB_X_EALG_AESCTR, keyBytes: (b = 128) => b / 8 + 4, aead: false }],
  [T.IKEV2_ENCR_AES_GCM_8, { sadb: P.SADB_X_EALG_AESGCM8, keyBytes: (b = 128) => b / 8 + 4, aead: true }],
  [T.IKEV2_ENCR_AES_GCM_12, { sadb: P.SADB_X_EALG_AESGCM12, keyBytes: (b = 128) => b / 8 + 4, aead: true }],
  [T.IKEV2_ENCR_AES_GCM_16, { sadb: P.SADB_X_EALG_AESGCM16, keyBytes: (b = 128) => b / 8 + 4, aead: true }],
  [T.IKEV2_ENCR_CHACHA20_POLY1305, { sadb: P.SADB_X_EALG_CHACHA20POLY1305, keyBytes: () => 36, aead: true }],
  [T.IKEV2_ENCR_NULL, { sadb: P.SADB_EALG_NULL, keyBytes: () => 0, aead: false }],
]);

/** Integrity algorithms the kernel runs (RFC 2403, 2404, 3566, 4868 key sizes). */
const INTEG: ReadonlyMap<number, { sadb: number; keyBytes: number }> = new Map<
  number,
  { sadb: number; keyBytes: number }
>([
  [T.IKEV2_AUTH_HMAC_MD5_96, { sadb: P.SADB_AALG_MD5HMAC, keyBytes: 16 }],
  [T.IKEV2_AUTH_HMAC_SHA1_96, { sadb: P.SADB_AALG_SHA1HMAC, keyBytes: 20 }],
  [T.IKEV2_AUTH_AES_XCBC_96, { sadb: P.SADB_X_AALG_AES_XCBC_MAC, keyBytes: 16 }],
  [T.IKEV2_AUTH_HMAC_SHA2_256_128, { sadb: P.SADB_X_AALG_SHA2_256, keyBytes: 32 }],
  [T.IKEV2_AUTH_HMAC_SHA2_384_192, { sadb: P.SADB_X_AALG_SHA2_384, keyBytes: 48 }],
  [T.IKEV2_AUTH_HMAC_SHA2_512_256, { sadb: P.SADB_X_AALG_SHA2_512, keyBytes: 64 }],
  [T.IKEV2_AUTH_NONE, { sadb: P.SADB_AALG_NONE, keyBytes: 0 }],
]);

/** The transform sets of a sainfo for a protocol that the kernel can run. */
export function childTransformSets(sa: SainfoConf, protocol: number): Ikev2ChildTransform[] {
  const sets = protocol === IKEV2_PROTO_AH ? ikev2AhTransforms(sa) : ikev2EspTransforms(sa);
  return sets.filter(
    (s) => (s.encr === undefined || ESP_ENCR.has(s.encr)) && (s.integ === undefined || INTEG.has(s.integ)),
  );
}

function esnTransforms(esn: boolean | undefined): Ikev2Transform[] {
  // §3.3.2: ESN is mandatory for AH and ESP; `esn on` prefers it and still allows its absence.
  return esn
    ? [transform(T.IKEV2_TRANSFORM_ESN, T.IKEV2_ESN_ENABLED), transform(T.IKEV2_TRANSFORM_ESN, T.IKEV2_ESN_NONE)]
    : [transform(T.IKEV2_TRANSFORM_ESN, T.IKEV2_ESN_NONE)];
}

function uniq(ts: Ikev2Transform[]): Ikev2Transform[] {
  const seen = new Set<string>();
  return ts.filter((t) => {
    const k = `${t.type}:${t.id}:${transformKeyLength(t) ?? ''}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * The SA payload offering a child: proposal 1 with the non-AEAD ciphers and the integrity algorithms, proposal
 * 2 with the AEADs (an AEAD with an INTEG transform is not a valid combination, RFC 5282 §8), both with our
 * SPI; `pfsGroup` adds the DH transform (CREATE_CHILD_SA with PFS, §1.3.1; never in IKE_AUTH).
 */
export function childOffer(sa: SainfoConf, protocol: number, spi: Uint8Array, pfsGroup?: number): Ikev2Sa {
  const sets = childTransformSets(sa, protocol);
  const tail = [
    ...(pfsGroup !== undefined ? [transform(T.IKEV2_TRANSFORM_DH, pfsGroup)] : []),
    ...esnTransforms(sa.esn),
  ];
  const groups = [sets.filter((s) => !isAead(s.encr)), sets.filter((s) => isAead(s.encr))];
  const proposals: Ikev2Proposal[] = [];
  for (const g of groups) {
    if (g.length === 0) continue;
    const ts = uniq([
      ...g.filter((s) => s.encr !== undefined).map((s) => transform(T.IKEV2_TRANSFORM_ENCR, s.encr!, s.keyBits)),
      ...g.filter((s) => s.integ !== undefined).map((s) => transform(T.IKEV2_TRANSFORM_INTEG, s.integ!)),
      ...tail,
    ]);
    proposals.push({ num: proposals.length + 1, protocol, spi, transforms: ts });
  }
  return { proposals };
}

function isAead(encr: number | undefined): boolean {
  return encr !== undefined && (ESP_ENCR.get(encr)?.aead ?? false);
}

export interface ChildChoice {
  chosen: Ikev2Proposal;
  transforms: ChildTransforms;
}

function ofType(p: Ikev2Proposal, type: number): Ikev2Transform[] {
  return p.transforms.filter((t) => t.type === type);
}

/**
 * The ESN choice: `esn on` takes ESN when offered, otherwise no-ESN; `esn off` only no-ESN. No ESN transform
 * at all counts as no-ESN (§3.3.2 makes it mandatory, and some peers leave it out).
 */
function chooseEsn(p: Ikev2Proposal, want: boolean | undefined): boolean | undefined {
  const ids = ofType(p, T.IKEV2_TRANSFORM_ESN).map((t) => t.id);
  if (ids.length === 0) return false;
  if (want && ids.includes(T.IKEV2_ESN_ENABLED)) return true;
  return ids.includes(T.IKEV2_ESN_NONE) ? false : undefined;
}

/**
 * The DH choice (§1.3.1): `pfs` is the group we require (or undefined); `allowed` false in IKE_AUTH, where
 * DH transforms are ignored. Without our own requirement, the peer's first group we implement is accepted.
 */
function chooseDh(p: Ikev2Proposal, pfs: number | undefined, allowed: boolean): number | undefined | false {
  const ids = ofType(p, T.IKEV2_TRANSFORM_DH).map((t) => t.id);
  if (!allowed) return undefined;
  if (pfs !== undefined) return ids.includes(pfs) ? pfs : false;
  if (ids.length === 0 || ids.includes(T.IKEV2_DH_NONE)) return undefined;
  return ids.find((g) => findDhGroup(g) !== undefined) ?? false;
}

const CHILD_TYPES = [T.IKEV2_TRANSFORM_ENCR, T.IKEV2_TRANSFORM_INTEG, T.IKEV2_TRANSFORM_DH, T.IKEV2_TRANSFORM_ESN];

/** The first of our transform sets the peer proposal holds, in our order. */
function chooseSet(p: Ikev2Proposal, sets: Ikev2ChildTransform[]): Ikev2ChildTransform | undefined {
  const hasT = (type: number, id: number, bits?: number) =>
    p.transforms.some((t) => t.type === type && t.id === id && transformKeyLength(t) === bits);
  const integs = ofType(p, T.IKEV2_TRANSFORM_INTEG);
  return sets.find((s) => {
    if (s.encr !== undefined && !hasT(T.IKEV2_TRANSFORM_ENCR, s.encr, s.keyBits)) return false;
    if (s.integ !== undefined) return hasT(T.IKEV2_TRANSFORM_INTEG, s.integ);
    return integs.every((t) => t.id === T.IKEV2_AUTH_NONE);
  });
}

/**
 * Responder: the first peer proposal for `protocol` holding one of our transform sets, an ESN choice and an
 * acceptable DH choice; answered with our SPI and one transform of each type.
 */
export function selectChild(
  offer: Ikev2Sa,
  sa: SainfoConf,
  protocol: number,
  spi: Uint8Array,
  opts: { pfs?: number; dhAllowed: boolean },
): ChildChoice | undefined {
  const sets = childTransformSets(sa, protocol);
  for (const p of offer.proposals) {
    if (p.protocol !== protocol) continue;
    if (p.transforms.some((t) => !CHILD_TYPES.includes(t.type) && t.id !== 0)) continue;
    const set = chooseSet(p, sets);
    const esn = chooseEsn(p, sa.esn);
    const dh = chooseDh(p, opts.pfs, opts.dhAllowed);
    if (!set || esn === undefined || dh === false) continue;
    const transforms: Ikev2Transform[] = [];
    if (set.encr !== undefined) transforms.push(transform(T.IKEV2_TRANSFORM_ENCR, set.encr, set.keyBits));
    if (set.integ !== undefined) transforms.push(transform(T.IKEV2_TRANSFORM_INTEG, set.integ));
    if (dh !== undefined) transforms.push(transform(T.IKEV2_TRANSFORM_DH, dh));
    transforms.push(transform(T.IKEV2_TRANSFORM_ESN, esn ? T.IKEV2_ESN_ENABLED : T.IKEV2_ESN_NONE));
    const chosen = { num: p.num, protocol, spi, transforms };
    return { chosen, transforms: { ...set, esn, ...(dh !== undefined ? { dh } : {}) } };
  }
  return undefined;
}

/**
 * Initiator: the answer must be one proposal for our protocol with a 4-byte SPI and one transform per type,
 * each of which we offered in the proposal it names.
 */
export function acceptChild(answer: Ikev2Sa, offer: Ikev2Sa, protocol: number): ChildChoice | undefined {
  if (answer.proposals.length !== 1) return undefined;
  const p = answer.proposals[0]!;
  const mine = offer.proposals.find((o) => o.num === p.num);
  if (!mine || p.protocol !== protocol || p.spi.length !== 4) return undefined;
  const types = p.transforms.map((t) => t.type);
  if (new Set(types).size !== types.length) return undefined;
  const offered = (t: Ikev2Transform) =>
    mine.transforms.some((m) => m.type === t.type && m.id === t.id && transformKeyLength(m) === transformKeyLength(t));
  if (!p.transforms.every(offered)) return undefined;
  const one = (type: number) => p.transforms.find((t) => t.type === type);
  const encr = one(T.IKEV2_TRANSFORM_ENCR);
  const integ = one(T.IKEV2_TRANSFORM_INTEG);
  const dh = one(T.IKEV2_TRANSFORM_DH);
  if (protocol === IKEV2_PROTO_ESP && !encr) return undefined;
  if (encr && !isAead(encr.id) && (!integ || integ.id === T.IKEV2_AUTH_NONE) && encr.id !== T.IKEV2_ENCR_NULL)
    return undefined;
  const transforms: ChildTransforms = { esn: one(T.IKEV2_TRANSFORM_ESN)?.id === T.IKEV2_ESN_ENABLED };
  if (encr) {
    transforms.encr = encr.id;
    const bits = transformKeyLength(encr);
    if (bits !== undefined) transforms.keyBits = bits;
  }
  if (integ && integ.id !== T.IKEV2_AUTH_NONE) transforms.integ = integ.id;
  if (dh && dh.id !== T.IKEV2_DH_NONE) transforms.dh = dh.id;
  return { chosen: p, transforms };
}

/** The PF_KEY algorithm numbers and KEYMAT split of a negotiated child (undefined: the kernel lacks one). */
export function sadbAlgsOfChild(protocol: number, t: ChildTransforms): SadbAlgs | undefined {
  const integ = t.integ !== undefined ? INTEG.get(t.integ) : INTEG.get(T.IKEV2_AUTH_NONE);
  if (!integ) return undefined;
  if (protocol === IKEV2_PROTO_AH)
    return t.integ === undefined
      ? undefined
      : { satype: P.SADB_SATYPE_AH, encrypt: 0, auth: integ.sadb, encKeyBytes: 0, authKeyBytes: integ.keyBytes };
  const e = t.encr !== undefined ? ESP_ENCR.get(t.encr) : undefined;
  if (!e) return undefined;
  return {
    satype: P.SADB_SATYPE_ESP,
    encrypt: e.sadb,
    auth: e.aead ? P.SADB_AALG_NONE : integ.sadb,
    encKeyBytes: e.keyBytes(t.keyBits),
    authKeyBytes: e.aead ? 0 : integ.keyBytes,
  };
}

/** A child's transforms for the log: `ESP AES_GCM_16_256 ESN`. */
export function childTransformText(protocol: number, t: ChildTransforms): string {
  const parts = [protocol === IKEV2_PROTO_AH ? 'AH' : 'ESP'];
  if (t.encr !== undefined)
    parts.push(`${T.IKEV2_ENCR_NAMES[t.encr] ?? t.encr}${t.keyBits !== undefined ? `_${t.keyBits}` : ''}`);
  if (t.integ !== undefined) parts.push(T.IKEV2_INTEG_NAMES[t.integ] ?? String(t.integ));
  if (t.dh !== undefined) parts.push(T.IKEV2_DH_NAMES[t.dh] ?? String(t.dh));
  if (t.esn) parts.push('ESN');
  return parts.join(' ');
}
