// Phase 2 proposals (RFC 2407 §4.4–§4.5, RFC 2408 §4.2): the bundle the initiator offers from its sainfo and
// the protocols its policy requires (ESP, AH, IPComp, one proposal payload each under one proposal number),
// the responder's choice under proposal_check, and the wire ids mapped to PF_KEY algorithm numbers.
import * as C from '../../isakmp/constants.js';
import * as P from '../../../pfkey/constants.js';
import { attrNumber, attrTV, findAttr, type IsakmpAttribute } from '../../isakmp/payloads/attributes.js';
import type { IsakmpProposal, IsakmpSa, IsakmpTransform } from '../../isakmp/payloads/sa.js';
import type { ProposalCheck, SainfoConf } from '../../conf/ast.js';
import { lifeAttr, checkLifetime } from '../ph1/proposal.js';
import type { SadbAlgs } from '../../sa/sa-pair.js';

/** One protocol the policy requires (from the SP's ipsecrequest list). */
export interface Ph2Request {
  protoId: number; // IPSECDOI_PROTO_IPSEC_ESP / _AH / IPCOMP
  mode: 'transport' | 'tunnel';
  reqid: number;
}

/** The chosen transform of one protocol, with both SPIs (racoon `struct saproto`). */
export interface Ph2Sa {
  protoId: number;
  transformId: number;
  /** IPSECDOI_ATTR_AUTH_* (ESP's integrity or AH's algorithm); undefined for AEAD/IPComp. */
  authAttr?: number;
  keyBits?: number;
  mode: 'transport' | 'tunnel';
  udpEncap: boolean;
  mySpi: Uint8Array;
  peerSpi: Uint8Array;
  reqid: number;
}

export interface Ph2Approval {
  sas: Ph2Sa[];
  lifetimeSec: number;
  pfsGroup?: number;
  /** Responder under `claim`: our lifetime is shorter than the initiator's, so we tell it (RFC 2407 §4.6.3.1). */
  responderLifetime?: boolean;
}

const AEAD_IDS = new Set([C.IPSECDOI_ESP_AES_GCM_8, C.IPSECDOI_ESP_AES_GCM_12, C.IPSECDOI_ESP_AES_GCM_16]);
export function isAeadTransform(id: number): boolean {
  return AEAD_IDS.has(id);
}

/** AH transform id for an authentication attribute (RFC 2407 §4.4.3). */
const AH_BY_AUTH: Readonly<Record<number, number>> = {
  [C.IPSECDOI_ATTR_AUTH_HMAC_MD5]: C.IPSECDOI_AH_MD5,
  [C.IPSECDOI_ATTR_AUTH_HMAC_SHA1]: C.IPSECDOI_AH_SHA,
  [C.IPSECDOI_ATTR_AUTH_HMAC_SHA2_256]: C.IPSECDOI_AH_SHA2_256,
  [C.IPSECDOI_ATTR_AUTH_HMAC_SHA2_384]: C.IPSECDOI_AH_SHA2_384,
  [C.IPSECDOI_ATTR_AUTH_HMAC_SHA2_512]: C.IPSECDOI_AH_SHA2_512,
};

/** PF_KEY numbers and key sizes (bytes) for the negotiated algorithms. */
const EALG: Readonly<Record<number, { sadb: number; keyBytes?: number; salt?: number }>> = {
  [C.IPSECDOI_ESP_DES]: { sadb: P.SADB_EALG_DESCBC, keyBytes: 8 },
  [C.IPSECDOI_ESP_3DES]: { sadb: P.SADB_EALG_3DESCBC, keyBytes: 24 },
  [C.IPSECDOI_ESP_NULL]: { sadb: P.SADB_EALG_NULL, keyBytes: 0 },
  [C.IPSECDOI_ESP_AES]: { sadb: P.SADB_X_EALG_AESCBC },
  [C.IPSECDOI_ESP_AES_GCM_8]: { sadb: P.SADB_X_EALG_AESGCM8, salt: 4 },
  [C.IPSECDOI_ESP_AES_GCM_12]: { sadb: P.SADB_X_EALG_AESGCM12, salt: 4 },
  [C.IPSECDOI_ESP_AES_GCM_16]: { sadb: P.SADB_X_EALG_AESGCM16, salt: 4 },
};
const AALG: Readonly<Record<number, { sadb: number; keyBytes: number }>> = {
  [C.IPSECDOI_ATTR_AUTH_HMAC_MD5]: { sadb: P.SADB_AALG_MD5HMAC, keyBytes: 16 },
  [C.IPSECDOI_ATTR_AUTH_HMAC_SHA1]: { sadb: P.SADB_AALG_SHA1HMAC, keyBytes: 20 },
  [C.IPSECDOI_ATTR_AUTH_HMAC_SHA2_256]: { sadb: P.SADB_X_AALG_SHA2_256, keyBytes: 32 },
  [C.IPSECDOI_ATTR_AUTH_HMAC_SHA2_384]: { sadb: P.SADB_X_AALG_SHA2_384, keyBytes: 48 },
  [C.IPSECDOI_ATTR_AUTH_HMAC_SHA2_512]: { sadb: P.SADB_X_AALG_SHA2_512, keyBytes: 64 },
  [C.IPSECDOI_ATTR_AUTH_NONE]: { sadb: P.SADB_AALG_NONE, keyBytes: 0 },
};

/** The PF_KEY algorithm numbers and KEYMAT split sizes for a negotiated transform (undefined: none). */
export function sadbAlgsOf(sa: Ph2Sa): SadbAlgs | undefined {
  if (sa.protoId === C.IPSECDOI_PROTO_IPCOMP) {
    return sa.transformId === C.IPSECDOI_IPCOMP_DEFLATE
      ? { satype: P.SADB_X_SATYPE_IPCOMP, encrypt: P.SADB_X_CALG_DEFLATE, auth: 0, encKeyBytes: 0, authKeyBytes: 0 }
      : undefined;
  }
  const auth = sa.authAttr !== undefined ? AALG[sa.authAttr] : undefined;
  if (sa.protoId === C.IPSECDOI_PROTO_IPSEC_AH) {
    return auth
      ? { satype: P.SADB_SATYPE_AH, encrypt: 0, auth: auth.sadb, encKeyBytes: 0, authKeyBytes: auth.keyBytes }
      : undefined;
  }
  const e = EALG[sa.transformId];
  if (!e) return undefined;
  const encKeyBytes = (e.keyBytes ?? (sa.keyBits ?? 128) / 8) + (e.salt ?? 0);
  if (isAeadTransform(sa.transformId))
    return { satype: P.SADB_SATYPE_ESP, encrypt: e.sadb, auth: P.SADB_AALG_NONE, encKeyBytes, authKeyBytes: 0 };
  if (!auth) return undefined;
  return { satype: P.SADB_SATYPE_ESP, encrypt: e.sadb, auth: auth.sadb, encKeyBytes, authKeyBytes: auth.keyBytes };
}

function encModeAttr(mode: 'transport' | 'tunnel', udp: boolean): number {
  if (mode === 'tunnel') return udp ? C.IPSECDOI_ATTR_ENC_MODE_UDPTUNNEL_RFC : C.IPSECDOI_ATTR_ENC_MODE_TUNNEL;
  return udp ? C.IPSECDOI_ATTR_ENC_MODE_UDPTRNS_RFC : C.IPSECDOI_ATTR_ENC_MODE_TRNS;
}

function commonAttrs(sainfo: SainfoConf, mode: 'transport' | 'tunnel', udp: boolean): IsakmpAttribute[] {
  const a = [
    attrTV(C.IPSECDOI_ATTR_SA_LD_TYPE, C.IPSECDOI_ATTR_SA_LD_TYPE_SEC),
    lifeAttr(C.IPSECDOI_ATTR_SA_LD, sainfo.lifetimeSec),
    attrTV(C.IPSECDOI_ATTR_ENC_MODE, encModeAttr(mode, udp)),
  ];
  if (sainfo.pfsGroup) a.push(attrTV(C.IPSECDOI_ATTR_GRP_DESC, sainfo.pfsGroup.id));
  return a;
}

function transformsFor(req: Ph2Request, sainfo: SainfoConf, udp: boolean): IsakmpTransform[] {
  const out: IsakmpTransform[] = [];
  const base = commonAttrs(sainfo, req.mode, udp);
  if (req.protoId === C.IPSECDOI_PROTO_IPSEC_ESP) {
    for (const enc of sainfo.encryption) {
      const keyAttr = enc.keyLen
        ? [attrTV(C.IPSECDOI_ATTR_KEY_LENGTH, enc.keyLen)]
        : enc.id === C.IPSECDOI_ESP_AES || isAeadTransform(enc.id)
          ? [attrTV(C.IPSECDOI_ATTR_KEY_LENGTH, 128)]
          : [];
      if (isAeadTransform(enc.id)) {
        out.push({ num: out.length + 1, id: enc.id, attrs: [...base, ...keyAttr] });
        continue;
      }
      for (const auth of sainfo.authentication)
        out.push({
          num: out.length + 1,
          id: enc.id,
          attrs: [...base, attrTV(C.IPSECDOI_ATTR_AUTH, auth.id), ...keyAttr],
        });
    }
  } else if (req.protoId === C.IPSECDOI_PROTO_IPSEC_AH) {
    for (const auth of sainfo.authentication) {
      const id = AH_BY_AUTH[auth.id];
      if (id !== undefined)
        out.push({ num: out.length + 1, id, attrs: [...base, attrTV(C.IPSECDOI_ATTR_AUTH, auth.id)] });
    }
  } else {
    for (const comp of sainfo.compression)
      out.push({ num: out.length + 1, id: comp.id, attrs: base.filter((a) => a.type !== C.IPSECDOI_ATTR_GRP_DESC) });
  }
  return out;
}

/** The initiator's SA payload: proposal #1 with one proposal payload per required protocol. */
export function buildPh2Sa(
  reqs: readonly Ph2Request[],
  sainfo: SainfoConf,
  spis: ReadonlyMap<number, Uint8Array>,
  udp: boolean,
): IsakmpSa {
  const proposals: IsakmpProposal[] = reqs.map((r) => ({
    num: 1,
    protoId: r.protoId,
    spi: spis.get(r.protoId)!,
    transforms: transformsFor(r, sainfo, udp),
  }));
  return { doi: C.IPSEC_DOI, situation: C.IPSECDOI_SIT_IDENTITY_ONLY, proposals };
}

interface ReadT {
  mode?: number;
  auth?: number;
  keyBits?: number;
  group?: number;
  lifetimeSec?: number;
}

function readT(t: IsakmpTransform): ReadT {
  const n = (type: number) => {
    const a = findAttr(t.attrs, type);
    return a ? attrNumber(a) : undefined;
  };
  const ldType = n(C.IPSECDOI_ATTR_SA_LD_TYPE);
  return {
    mode: n(C.IPSECDOI_ATTR_ENC_MODE),
    auth: n(C.IPSECDOI_ATTR_AUTH),
    keyBits: n(C.IPSECDOI_ATTR_KEY_LENGTH),
    group: n(C.IPSECDOI_ATTR_GRP_DESC),
    lifetimeSec:
      ldType === undefined || ldType === C.IPSECDOI_ATTR_SA_LD_TYPE_SEC ? n(C.IPSECDOI_ATTR_SA_LD) : undefined,
  };
}

export function modeOf(attr: number | undefined): { mode: 'transport' | 'tunnel'; udp: boolean } | undefined {
  switch (attr) {
    case C.IPSECDOI_ATTR_ENC_MODE_TUNNEL:
      return { mode: 'tunnel', udp: false };
    case C.IPSECDOI_ATTR_ENC_MODE_TRNS:
      return { mode: 'transport', udp: false };
    case C.IPSECDOI_ATTR_ENC_MODE_UDPTUNNEL_RFC:
    case C.IPSECDOI_ATTR_ENC_MODE_UDPTUNNEL_DRAFT:
      return { mode: 'tunnel', udp: true };
    case C.IPSECDOI_ATTR_ENC_MODE_UDPTRNS_RFC:
    case C.IPSECDOI_ATTR_ENC_MODE_UDPTRNS_DRAFT:
      return { mode: 'transport', udp: true };
    default:
      return undefined;
  }
}

/** Whether a transform is one our sainfo allows for `req` (algorithms, key length, mode, PFS group). */
function transformOk(t: IsakmpTransform, r: ReadT, req: Ph2Request, sainfo: SainfoConf): boolean {
  const m = modeOf(r.mode);
  if (!m || m.mode !== req.mode) return false;
  // PFS: the group must be ours (IPComp transforms carry no group, RFC 2407 §4.5 lists it per SA but we omit it there).
  if (sainfo.pfsGroup && req.protoId !== C.IPSECDOI_PROTO_IPCOMP && r.group !== sainfo.pfsGroup.id) return false;
  if (req.protoId === C.IPSECDOI_PROTO_IPSEC_ESP) {
    const enc = sainfo.encryption.find(
      (e) =>
        e.id === t.id &&
        (e.keyLen ?? (e.id === C.IPSECDOI_ESP_AES || isAeadTransform(e.id) ? 128 : undefined)) ===
          (r.keyBits ?? (t.id === C.IPSECDOI_ESP_AES ? 128 : undefined)),
    );
    if (!enc || !EALG[t.id]) return false;
    if (isAeadTransform(t.id)) return r.auth === undefined;
    return r.auth !== undefined && sainfo.authentication.some((a) => a.id === r.auth) && AALG[r.auth] !== undefined;
  }
  if (req.protoId === C.IPSECDOI_PROTO_IPSEC_AH)
    return r.auth !== undefined && AH_BY_AUTH[r.auth] === t.id && sainfo.authentication.some((a) => a.id === r.auth);
  return sainfo.compression.some((c) => c.id === t.id);
}

/**
 * Responder: the first proposal number whose protocols are exactly the ones our policy requires and in
 * which every protocol has an acceptable transform. `mySpis` is filled later (after GETSPI).
 */
export function selectPh2Proposal(
  peer: IsakmpSa,
  reqs: readonly Ph2Request[],
  sainfo: SainfoConf,
  check: ProposalCheck,
): { approval: Ph2Approval; chosen: IsakmpSa } | undefined {
  const nums = [...new Set(peer.proposals.map((p) => p.num))];
  for (const num of nums) {
    const group = peer.proposals.filter((p) => p.num === num);
    if (group.length !== reqs.length || !reqs.every((r) => group.some((p) => p.protoId === r.protoId))) continue;
    const sas: Ph2Sa[] = [];
    const chosen: IsakmpProposal[] = [];
    let lifetimeSec = Infinity;
    let pfsGroup: number | undefined;
    let peerLifetime = Infinity;
    for (const p of group) {
      const req = reqs.find((r) => r.protoId === p.protoId)!;
      const hit = p.transforms
        .map((t) => ({ t, r: readT(t) }))
        .find(
          ({ t, r }) =>
            transformOk(t, r, req, sainfo) && checkLifetime(check, sainfo.lifetimeSec, r.lifetimeSec) !== undefined,
        );
      if (!hit) break;
      lifetimeSec = Math.min(lifetimeSec, checkLifetime(check, sainfo.lifetimeSec, hit.r.lifetimeSec)!);
      peerLifetime = Math.min(peerLifetime, hit.r.lifetimeSec ?? Infinity);
      pfsGroup ??= hit.r.group;
      const m = modeOf(hit.r.mode)!;
      sas.push({
        protoId: p.protoId,
        transformId: hit.t.id,
        authAttr: hit.r.auth,
        keyBits: hit.r.keyBits,
        mode: m.mode,
        udpEncap: m.udp,
        mySpi: new Uint8Array(0),
        peerSpi: p.spi,
        reqid: req.reqid,
      });
      chosen.push({ ...p, transforms: [hit.t] });
    }
    if (sas.length === group.length) {
      if (lifetimeSec === Infinity) lifetimeSec = sainfo.lifetimeSec;
      const approval: Ph2Approval = {
        sas,
        lifetimeSec,
        pfsGroup,
        responderLifetime: check === 'claim' && lifetimeSec < peerLifetime,
      };
      return { approval, chosen: { doi: peer.doi, situation: peer.situation, proposals: chosen } };
    }
  }
  return undefined;
}

/** Initiator: the responder's reply must be one transform per protocol out of what we offered. */
export function acceptPh2Reply(
  reply: IsakmpSa,
  offered: IsakmpSa,
  reqs: readonly Ph2Request[],
  sainfo: SainfoConf,
  mySpis: ReadonlyMap<number, Uint8Array>,
): Ph2Approval | undefined {
  if (reply.proposals.length !== offered.proposals.length) return undefined;
  const sas: Ph2Sa[] = [];
  let lifetimeSec = sainfo.lifetimeSec;
  let pfsGroup: number | undefined;
  for (const p of reply.proposals) {
    const req = reqs.find((r) => r.protoId === p.protoId);
    const mine = offered.proposals.find((o) => o.protoId === p.protoId);
    if (!req || !mine || p.transforms.length !== 1) return undefined;
    const t = p.transforms[0]!;
    const r = readT(t);
    if (!mine.transforms.some((o) => o.id === t.id) || !transformOk(t, r, req, sainfo)) return undefined;
    // RFC 2409 §5.5 / racoon claim: the responder may only shorten the lifetime.
    if (r.lifetimeSec !== undefined) lifetimeSec = Math.min(lifetimeSec, r.lifetimeSec);
    pfsGroup ??= r.group;
    const m = modeOf(r.mode)!;
    sas.push({
      protoId: p.protoId,
      transformId: t.id,
      authAttr: r.auth,
      keyBits: r.keyBits,
      mode: m.mode,
      udpEncap: m.udp,
      mySpi: mySpis.get(p.protoId)!,
      peerSpi: p.spi,
      reqid: req.reqid,
    });
  }
  return { sas, lifetimeSec, pfsGroup };
}

/** PF_KEY protocol numbers <-> IPsec DOI protocol ids. */
export function doiProtoOfIpproto(p: number): number | undefined {
  return p === P.IPPROTO_ESP
    ? C.IPSECDOI_PROTO_IPSEC_ESP
    : p === P.IPPROTO_AH
      ? C.IPSECDOI_PROTO_IPSEC_AH
      : p === P.IPPROTO_IPCOMP
        ? C.IPSECDOI_PROTO_IPCOMP
        : undefined;
}

export function satypeOfDoiProto(p: number): number {
  return p === C.IPSECDOI_PROTO_IPSEC_ESP
    ? P.SADB_SATYPE_ESP
    : p === C.IPSECDOI_PROTO_IPSEC_AH
      ? P.SADB_SATYPE_AH
      : P.SADB_X_SATYPE_IPCOMP;
}

export function doiProtoOfSatype(s: number): number | undefined {
  return s === P.SADB_SATYPE_ESP
    ? C.IPSECDOI_PROTO_IPSEC_ESP
    : s === P.SADB_SATYPE_AH
      ? C.IPSECDOI_PROTO_IPSEC_AH
      : s === P.SADB_X_SATYPE_IPCOMP
        ? C.IPSECDOI_PROTO_IPCOMP
        : undefined;
}
