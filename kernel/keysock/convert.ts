// Conversions between PF_KEY extensions (pfkey/) and the kernel's SA records: the shared number tables
// (satype, protocol, mode, state), ADD/UPDATE/GETSPI messages to Sad parameters (KAME key_setsaval/key_mature
// rules) and SAs to dump and EXPIRE messages (key_setdumpsa). The SPD's conversions are in convert-spd.ts.
import * as C from '../../pfkey/constants.js';
import { SADB_SATYPE_NAMES, nameOf } from '../../pfkey/names.js';
import {
  PfkeyError,
  invalid,
  makeSadbMsg,
  makeSockaddr,
  replayWindowFromWire,
  replayWindowToWire,
  type PfkeyExts,
  type PfkeyMessage,
  type SadbAddress,
  type SadbLifetime,
} from '../../pfkey/index.js';
import type { GetSpiParams, SaParams } from '../sad/sad.js';
import type { IpsecMode, IpsecProto, Lifetime, NatT, SecAssoc, SaState } from '../sad/secassoc.js';
import { authIdOf, authNameOf, compIdOf, compNameOf, encIdOf, encNameOf, keyBitsOk } from './algs.js';

// --- small tables ---

const PROTO_BY_SATYPE = new Map<number, IpsecProto>([
  [C.SADB_SATYPE_ESP, 'esp'],
  [C.SADB_SATYPE_AH, 'ah'],
  [C.SADB_X_SATYPE_IPCOMP, 'ipcomp'],
]);
const SATYPE_BY_PROTO: Record<IpsecProto, number> = {
  esp: C.SADB_SATYPE_ESP,
  ah: C.SADB_SATYPE_AH,
  ipcomp: C.SADB_X_SATYPE_IPCOMP,
};
const PROTO_BY_IPPROTO = new Map<number, IpsecProto>([
  [C.IPPROTO_ESP, 'esp'],
  [C.IPPROTO_AH, 'ah'],
  [C.IPPROTO_IPCOMP, 'ipcomp'],
]);
const IPPROTO_BY_PROTO: Record<IpsecProto, number> = { esp: C.IPPROTO_ESP, ah: C.IPPROTO_AH, ipcomp: C.IPPROTO_IPCOMP };
const MODE_NUM: Record<IpsecMode, number> = {
  any: C.IPSEC_MODE_ANY,
  transport: C.IPSEC_MODE_TRANSPORT,
  tunnel: C.IPSEC_MODE_TUNNEL,
};
const STATE_NUM: Record<SaState, number> = {
  larval: C.SADB_SASTATE_LARVAL,
  mature: C.SADB_SASTATE_MATURE,
  dying: C.SADB_SASTATE_DYING,
  dead: C.SADB_SASTATE_DEAD,
};
/** The IPsec protocol of an SA satype; RFC 2367 satypes we do not implement are EPROTONOSUPPORT. */
export function protoOfSatype(satype: number): IpsecProto {
  const p = PROTO_BY_SATYPE.get(satype);
  if (!p) throw new PfkeyError('EPROTONOSUPPORT', `satype ${nameOf(SADB_SATYPE_NAMES, satype)} not supported`);
  return p;
}

export function satypeOf(proto: IpsecProto): number {
  return SATYPE_BY_PROTO[proto];
}
export function ipprotoOf(proto: IpsecProto): number {
  return IPPROTO_BY_PROTO[proto];
}
/** The IPsec protocol of an IPPROTO number (an ipsecrequest's), or undefined. */
export function protoOfIpproto(ipproto: number): IpsecProto | undefined {
  return PROTO_BY_IPPROTO.get(ipproto);
}

export function modeOf(n: number): IpsecMode {
  if (n === C.IPSEC_MODE_ANY) return 'any';
  if (n === C.IPSEC_MODE_TRANSPORT) return 'transport';
  if (n === C.IPSEC_MODE_TUNNEL) return 'tunnel';
  return invalid(`SA mode ${n} not supported`);
}

export function modeNum(m: IpsecMode): number {
  return MODE_NUM[m];
}

/** A full-length address extension for one host address (ACQUIRE, SA dumps). */
export function hostAddress(addr: Uint8Array, port = 0, proto = C.IPSEC_ULPROTO_ANY): SadbAddress {
  return { proto, prefixlen: addr.length * 8, addr: makeSockaddr(new Uint8Array(addr), port) };
}

function lifetimeIn(l: SadbLifetime | undefined): Partial<Lifetime> | undefined {
  if (!l) return undefined;
  return {
    allocations: l.allocations,
    bytes: toNum(l.bytes),
    addtimeSec: toNum(l.addtime),
    usetimeSec: toNum(l.usetime),
  };
}

function lifetimeOut(l: Lifetime): SadbLifetime {
  return {
    allocations: l.allocations >>> 0,
    bytes: BigInt(Math.floor(l.bytes)),
    addtime: BigInt(l.addtimeSec),
    usetime: BigInt(l.usetimeSec),
  };
}

/** A 64-bit PF_KEY count as a JS number, saturating at 2^53 - 1. */
export function toNum(v: bigint): number {
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

function isZero(l: Lifetime): boolean {
  return l.allocations === 0 && l.bytes === 0 && l.addtimeSec === 0 && l.usetimeSec === 0;
}

// --- SA messages -> Sad parameters ---

function nattOf(ext: PfkeyExts): NatT | undefined {
  if (!ext.natTType || !ext.natTSport || !ext.natTDport) return undefined;
  return {
    sport: ext.natTSport.port,
    dport: ext.natTDport.port,
    oai: ext.natTOai?.addr.addr,
    oar: ext.natTOar?.addr.addr,
  };
}

/** GETSPI: (proto, src, dst[, mode, reqid from SA2], SPI range, NAT-T). */
export function getSpiParamsOf(m: PfkeyMessage): GetSpiParams {
  const { ext, msg } = m;
  return {
    proto: protoOfSatype(msg.satype),
    src: ext.addressSrc!.addr.addr,
    dst: ext.addressDst!.addr.addr,
    mode: ext.sa2 ? modeOf(ext.sa2.mode) : 'any',
    reqid: ext.sa2?.reqid ?? 0,
    min: ext.spirange?.min,
    max: ext.spirange?.max,
    pid: msg.pid,
    seq: msg.seq,
    natt: nattOf(ext),
  };
}

/** key_mature's flag rules per protocol. */
function checkFlags(proto: IpsecProto, flags: number): void {
  if (proto === 'esp' && flags & C.SADB_X_EXT_OLD && flags & C.SADB_X_EXT_DERIV)
    invalid('ESP SA with both OLD and DERIV');
  if (proto === 'ah' && flags & C.SADB_X_EXT_DERIV) invalid('AH SA with DERIV');
}

/** The crypto names and keys of an SA extension, checked as xform_init would (unknown ids, key sizes). */
function algorithmsOf(
  proto: IpsecProto,
  m: PfkeyMessage,
): Pick<SaParams, 'encAlg' | 'encKey' | 'authAlg' | 'authKey' | 'compAlg'> {
  const { sa, keyAuth, keyEncrypt } = m.ext;
  const s = sa!;
  if (proto === 'ipcomp') {
    if (s.auth !== C.SADB_AALG_NONE) invalid('IPComp SA with an authentication algorithm');
    const compAlg = compNameOf(s.encrypt);
    if (!compAlg) invalid(`compression algorithm ${s.encrypt} not supported`);
    return { compAlg };
  }
  const out: Pick<SaParams, 'encAlg' | 'encKey' | 'authAlg' | 'authKey'> = {};
  if (proto === 'ah' && s.encrypt !== C.SADB_EALG_NONE) invalid('AH SA with an encryption algorithm');
  if (proto === 'esp') {
    const name = encNameOf(s.encrypt);
    if (!name) invalid(`encryption algorithm ${s.encrypt} not supported`);
    const bits = keyEncrypt?.bits ?? 0;
    if (!keyBitsOk('encrypt', s.encrypt, bits)) invalid(`${name}: key of ${bits} bits not accepted`);
    out.encAlg = name;
    out.encKey = keyEncrypt?.key ?? new Uint8Array(0);
  }
  if (s.auth !== C.SADB_AALG_NONE) {
    const name = authNameOf(s.auth);
    if (!name) invalid(`authentication algorithm ${s.auth} not supported`);
    const bits = keyAuth?.bits ?? 0;
    if (!keyBitsOk('auth', s.auth, bits)) invalid(`${name}: key of ${bits} bits not accepted`);
    out.authAlg = name;
    out.authKey = keyAuth?.key ?? new Uint8Array(0);
  } else if (proto === 'ah') {
    invalid('AH SA without an authentication algorithm');
  }
  return out;
}

/** ADD/UPDATE: every parameter of the SA (check.ts has already run checkUserMessage). */
export function saParamsOf(m: PfkeyMessage): SaParams {
  const { ext, msg } = m;
  const proto = protoOfSatype(msg.satype);
  const sa = ext.sa!;
  checkFlags(proto, sa.flags);
  return {
    spi: sa.spi >>> 0,
    proto,
    mode: ext.sa2 ? modeOf(ext.sa2.mode) : undefined,
    reqid: ext.sa2?.reqid,
    src: ext.addressSrc!.addr.addr,
    dst: ext.addressDst!.addr.addr,
    ...algorithmsOf(proto, m),
    replayBits: replayWindowFromWire(sa, ext.saReplay) * 8,
    esn: (sa.flags & C.SADB_X_SAFLAGS_ESN) !== 0,
    flags: sa.flags & ~C.SADB_X_SAFLAGS_ESN,
    hard: lifetimeIn(ext.lifetimeHard),
    soft: lifetimeIn(ext.lifetimeSoft),
    natt: nattOf(ext),
    pid: msg.pid,
    seq: msg.seq,
  };
}

/** UPDATE of a mature SA (FreeBSD key_update): only lifetimes and NAT-T may change, so no algorithms. */
export function saLifetimeParamsOf(m: PfkeyMessage): SaParams {
  const { ext, msg } = m;
  return {
    spi: ext.sa!.spi >>> 0,
    proto: protoOfSatype(msg.satype),
    src: ext.addressSrc!.addr.addr,
    dst: ext.addressDst!.addr.addr,
    hard: lifetimeIn(ext.lifetimeHard),
    soft: lifetimeIn(ext.lifetimeSoft),
    natt: nattOf(ext),
    pid: msg.pid,
    seq: msg.seq,
  };
}

// --- SAs -> messages ---

function algIds(sa: SecAssoc): { auth: number; encrypt: number } {
  if (sa.proto === 'ipcomp')
    return { auth: C.SADB_AALG_NONE, encrypt: sa.compAlg ? compIdOf(sa.compAlg.name) : C.SADB_X_CALG_NONE };
  return {
    auth: sa.authAlg ? authIdOf(sa.authAlg.name) : C.SADB_AALG_NONE,
    encrypt: sa.encAlg ? encIdOf(sa.encAlg.name) : C.SADB_EALG_NONE,
  };
}

function natExts(sa: SecAssoc, ext: PfkeyExts): void {
  if (!sa.natt) return;
  ext.natTType = { type: C.UDP_ENCAP_ESPINUDP };
  ext.natTSport = { port: sa.natt.sport };
  ext.natTDport = { port: sa.natt.dport };
  if (sa.natt.oai) ext.natTOai = hostAddress(sa.natt.oai);
  if (sa.natt.oar) ext.natTOar = hostAddress(sa.natt.oar);
}

/** The whole SA as KAME key_setdumpsa shows it (keys included: GET and DUMP replies). */
export function saToMessage(sa: SecAssoc, type: number, seq: number, pid: number): PfkeyMessage {
  const { saReplay, saReplayExt } = replayWindowToWire(Math.ceil(sa.replayBits / 8));
  const ext: PfkeyExts = {
    sa: {
      spi: sa.spi >>> 0,
      replay: saReplay,
      state: STATE_NUM[sa.state],
      ...algIds(sa),
      flags: ((sa.flags ?? 0) | (sa.esn ? C.SADB_X_SAFLAGS_ESN : 0)) >>> 0,
    },
    sa2: { mode: MODE_NUM[sa.mode], sequence: sa.seqOutLo >>> 0, reqid: sa.reqid >>> 0 },
    addressSrc: hostAddress(sa.src),
    addressDst: hostAddress(sa.dst),
    lifetimeCurrent: lifetimeOut(sa.current),
  };
  if (saReplayExt) ext.saReplay = saReplayExt;
  if (!isZero(sa.hard) || !isZero(sa.soft)) {
    ext.lifetimeHard = lifetimeOut(sa.hard);
    ext.lifetimeSoft = lifetimeOut(sa.soft);
  }
  if (sa.authKey && sa.authKey.length > 0)
    ext.keyAuth = { bits: sa.authKey.length * 8, key: new Uint8Array(sa.authKey) };
  if (sa.encKey && sa.encKey.length > 0)
    ext.keyEncrypt = { bits: sa.encKey.length * 8, key: new Uint8Array(sa.encKey) };
  natExts(sa, ext);
  const order = [
    C.SADB_EXT_SA,
    C.SADB_X_EXT_SA2,
    C.SADB_EXT_LIFETIME_HARD,
    C.SADB_EXT_LIFETIME_SOFT,
    C.SADB_EXT_ADDRESS_SRC,
    C.SADB_EXT_ADDRESS_DST,
    C.SADB_EXT_KEY_AUTH,
    C.SADB_EXT_KEY_ENCRYPT,
    C.SADB_EXT_LIFETIME_CURRENT,
  ];
  return { msg: makeSadbMsg(type, satypeOf(sa.proto), seq, pid), ext, extOrder: order };
}

/** SADB_EXPIRE (RFC 2367 §3.1.8): SA, SA2, CURRENT, the lifetime that ran out, addresses. */
export function expireMessage(sa: SecAssoc, kind: 'soft' | 'hard'): PfkeyMessage {
  const full = saToMessage(sa, C.SADB_EXPIRE, sa.seq, 0);
  const ext: PfkeyExts = {
    sa: full.ext.sa,
    sa2: full.ext.sa2,
    lifetimeCurrent: full.ext.lifetimeCurrent,
    addressSrc: full.ext.addressSrc,
    addressDst: full.ext.addressDst,
  };
  if (kind === 'soft') ext.lifetimeSoft = lifetimeOut(sa.soft);
  else ext.lifetimeHard = lifetimeOut(sa.hard);
  return { msg: full.msg, ext };
}
