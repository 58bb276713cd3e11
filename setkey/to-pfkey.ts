// Statements to the PF_KEY messages setkey sends (ipsec-tools parse.y setkeymsg_add / setkeymsg_addr /
// setkeymsg_spdaddr / setkeymsg0), in the order those functions append the extensions.
// RFC 2367 §2-3; sadb_msg_seq is 0 and sadb_msg_pid the caller's pid, as setkey does.
import * as C from '../pfkey/constants.js';
import { makeSadbMsg, type PfkeyExts, type PfkeyMessage } from '../pfkey/msg.js';
import { makeSockaddr } from '../pfkey/sockaddr.js';
import type * as A from './ast.js';
import { lookupAlg } from './algorithms.js';
import { PRIORITY_DEFAULT } from '../pfkey/constants.js';

export interface ToPfkeyOptions {
  pid: number;
  /** Linux ipsec-tools (HAVE_PFKEY_POLICY_PRIORITY): a policy without `prio` gets PRIORITY_DEFAULT, not 0. */
  defaultPriority?: boolean;
  /** Linux `setkey -r` ("RFC mode"): every `in` policy is also installed as `fwd`, its first request's
   *  `unique` level lowered to `require` without a reqid (setkeymsg_spdaddr, HAVE_POLICY_FWD). */
  fwdCopies?: boolean;
}

export type ToPfkeyResult = { ok: true; messages: PfkeyMessage[] } | { ok: false; reason: string };

/** Linux IPSEC_DIR_FWD; BSD kernels have no forward direction and refuse it. */
export const IPSEC_DIR_FWD = 3;
/** setkey's default NAT-T port for esp-udp when no `[port]` is given (parse.y DEFAULT_NATT_PORT). */
export const DEFAULT_NATT_PORT = 4500;

const SATYPE: Record<A.SaProtoName, number> = {
  esp: C.SADB_SATYPE_ESP,
  'esp-old': C.SADB_SATYPE_ESP,
  'esp-udp': C.SADB_SATYPE_ESP,
  ah: C.SADB_SATYPE_AH,
  'ah-old': C.SADB_SATYPE_AH,
  ipcomp: C.SADB_X_SATYPE_IPCOMP,
  tcp: C.SADB_X_SATYPE_TCPSIGNATURE,
};
const MSG_TYPE = {
  add: C.SADB_ADD,
  update: C.SADB_UPDATE,
  get: C.SADB_GET,
  delete: C.SADB_DELETE,
  deleteall: C.SADB_DELETE,
  flush: C.SADB_FLUSH,
  dump: C.SADB_DUMP,
  spdadd: C.SADB_X_SPDADD,
  spdupdate: C.SADB_X_SPDUPDATE,
  spddelete: C.SADB_X_SPDDELETE,
  spdflush: C.SADB_X_SPDFLUSH,
  spddump: C.SADB_X_SPDDUMP,
} as const;
const MODE: Record<A.Mode, number> = {
  any: C.IPSEC_MODE_ANY,
  transport: C.IPSEC_MODE_TRANSPORT,
  tunnel: C.IPSEC_MODE_TUNNEL,
};
const DIR: Record<A.Direction, number> = { in: C.IPSEC_DIR_INBOUND, out: C.IPSEC_DIR_OUTBOUND, fwd: IPSEC_DIR_FWD };
const ACTION: Record<A.PolicyAction, number> = {
  discard: C.IPSEC_POLICY_DISCARD,
  none: C.IPSEC_POLICY_NONE,
  ipsec: C.IPSEC_POLICY_IPSEC,
  entrust: C.IPSEC_POLICY_ENTRUST,
  bypass: C.IPSEC_POLICY_BYPASS,
};
const LEVEL: Record<A.Level, number> = {
  default: C.IPSEC_LEVEL_DEFAULT,
  use: C.IPSEC_LEVEL_USE,
  require: C.IPSEC_LEVEL_REQUIRE,
  unique: C.IPSEC_LEVEL_UNIQUE,
};
const REQ_PROTO = { esp: C.IPPROTO_ESP, ah: C.IPPROTO_AH, ipcomp: C.IPPROTO_IPCOMP } as const;

function isOld(p: A.SaProto): boolean {
  return p.name === 'esp-old' || p.name === 'ah-old';
}

/** sadb_sa_flags as parse.y builds p_ext: CYCSEQ unless nocyclic-seq, OLD, padding, RAWCPI, DERIV/IV4B. */
export function saFlags(st: A.SaStatement): number {
  let f = st.ext.nocyclicSeq ? 0 : C.SADB_X_EXT_CYCSEQ;
  if (isOld(st.proto)) f |= C.SADB_X_EXT_OLD;
  if (st.ext.pad === 'random-pad') f |= C.SADB_X_EXT_PRAND;
  if (st.ext.pad === 'zero-pad') f |= C.SADB_X_EXT_PZERO;
  if (st.alg?.rawCpi) f |= C.SADB_X_EXT_RAWCPI;
  if (st.alg?.enc) f |= lookupAlg('enc', st.alg.enc.name)?.flags ?? 0;
  if (st.ext.esn) f |= C.SADB_X_SAFLAGS_ESN;
  return f;
}

function address(
  addr: Uint8Array,
  port: number,
  proto: number,
  prefixlen: number,
): NonNullable<PfkeyExts['addressSrc']> {
  return { proto, prefixlen, addr: makeSockaddr(addr, port) };
}

function lifetime(l: A.LifetimeSpec): NonNullable<PfkeyExts['lifetimeHard']> | undefined {
  if (!l.addtimeSec && !l.bytes) return undefined;
  return { allocations: 0, bytes: BigInt(l.bytes ?? 0), addtime: BigInt(l.addtimeSec ?? 0), usetime: 0n };
}

function saExts(st: A.SaStatement, ext: PfkeyExts): void {
  const replay = st.ext.replay ?? 0;
  ext.sa = {
    spi: st.spi,
    replay: Math.min(replay, 255),
    state: C.SADB_SASTATE_LARVAL,
    flags: saFlags(st),
    auth: st.alg?.auth ? lookupAlg('auth', st.alg.auth.name)!.id : C.SADB_AALG_NONE,
    encrypt: st.alg?.comp
      ? lookupAlg('comp', st.alg.comp.name)!.id
      : st.alg?.enc
        ? lookupAlg('enc', st.alg.enc.name)!.id
        : C.SADB_EALG_NONE,
  };
  // FreeBSD: windows beyond one byte of bitmap travel in SADB_X_EXT_SA_REPLAY, counted in packets.
  if (replay > 255) ext.saReplay = { replay: Math.min(replay * 8, 0xffffffff) };
  ext.sa2 = { mode: MODE[st.ext.mode ?? 'any'], sequence: 0, reqid: st.ext.reqid ?? 0 };
}

function addMessage(st: A.SaStatement, pid: number): PfkeyMessage {
  const ext: PfkeyExts = {};
  const { enc, auth } = st.alg ?? {};
  // ipsec-tools sends KEY_ENCRYPT whenever -E was given (a null key has 0 bits) and KEY_AUTH only with a key.
  if (enc && st.proto.name !== 'ipcomp')
    ext.keyEncrypt = { bits: (enc.key?.bytes.length ?? 0) * 8, key: enc.key?.bytes ?? new Uint8Array(0) };
  if (auth?.key) ext.keyAuth = { bits: auth.key.bytes.length * 8, key: auth.key.bytes };
  ext.lifetimeHard = lifetime(st.ext.hard);
  ext.lifetimeSoft = lifetime(st.ext.soft);
  saExts(st, ext);
  const plen = st.src.addr.length * 8;
  const natt = st.ext.natt;
  if (st.proto.name === 'esp-udp') {
    ext.natTType = { type: C.UDP_ENCAP_ESPINUDP };
    if (st.proto.natOa)
      ext.natTOai = address(st.proto.natOa.addr, 0, C.IPSEC_ULPROTO_ANY, st.proto.natOa.addr.length * 8);
    ext.natTSport = { port: st.src.port || DEFAULT_NATT_PORT };
    ext.natTDport = { port: st.dst.port || DEFAULT_NATT_PORT };
  } else if (natt) {
    // FreeBSD -natt oai[sport] oar[dport]
    ext.natTType = { type: C.UDP_ENCAP_ESPINUDP };
    ext.natTOai = address(natt.oai.addr, 0, C.IPSEC_ULPROTO_ANY, natt.oai.addr.length * 8);
    ext.natTOar = address(natt.oar.addr, 0, C.IPSEC_ULPROTO_ANY, natt.oar.addr.length * 8);
    ext.natTSport = { port: natt.oai.port! };
    ext.natTDport = { port: natt.oar.port! };
  }
  if (st.ext.nattFragLen !== undefined) ext.natTFrag = { fraglen: st.ext.nattFragLen };
  ext.addressSrc = address(st.src.addr, st.src.port ?? 0, C.IPSEC_ULPROTO_ANY, plen);
  ext.addressDst = address(st.dst.addr, st.dst.port ?? 0, C.IPSEC_ULPROTO_ANY, plen);
  const extOrder = [
    C.SADB_EXT_KEY_ENCRYPT,
    C.SADB_EXT_KEY_AUTH,
    C.SADB_EXT_LIFETIME_HARD,
    C.SADB_EXT_LIFETIME_SOFT,
    C.SADB_EXT_SA,
    C.SADB_X_EXT_SA_REPLAY,
    C.SADB_X_EXT_SA2,
    C.SADB_X_EXT_NAT_T_TYPE,
    C.SADB_X_EXT_NAT_T_OAI,
    C.SADB_X_EXT_NAT_T_OAR,
    C.SADB_X_EXT_NAT_T_FRAG,
    C.SADB_EXT_ADDRESS_SRC,
    C.SADB_EXT_ADDRESS_DST,
    C.SADB_X_EXT_NAT_T_SPORT,
    C.SADB_X_EXT_NAT_T_DPORT,
  ];
  return { msg: makeSadbMsg(MSG_TYPE[st.kind], SATYPE[st.proto.name], 0, pid), ext: prune(ext), extOrder };
}

/** Drops extensions left undefined so the codec sees only present ones. */
function prune(ext: PfkeyExts): PfkeyExts {
  for (const k of Object.keys(ext) as (keyof PfkeyExts)[]) if (ext[k] === undefined) delete ext[k];
  return ext;
}

function addrMessage(st: A.SaStatement | A.DeleteAllStatement, pid: number): PfkeyMessage {
  const ext: PfkeyExts = {};
  if (st.kind !== 'deleteall') saExts(st, ext); // BSD deleteall: DELETE without an SA extension
  const plen = st.src.addr.length * 8;
  ext.addressSrc = address(st.src.addr, st.src.port ?? 0, C.IPSEC_ULPROTO_ANY, plen);
  ext.addressDst = address(st.dst.addr, st.dst.port ?? 0, C.IPSEC_ULPROTO_ANY, plen);
  const extOrder = [
    C.SADB_EXT_SA,
    C.SADB_X_EXT_SA_REPLAY,
    C.SADB_X_EXT_SA2,
    C.SADB_EXT_ADDRESS_SRC,
    C.SADB_EXT_ADDRESS_DST,
  ];
  return { msg: makeSadbMsg(MSG_TYPE[st.kind], SATYPE[st.proto.name], 0, pid), ext: prune(ext), extOrder };
}

/** sadb_x_policy with its requests (libipsec policy_parse.y init_x_policy / set_x_request). */
export function policyExt(p: A.PolicySpec, defaultPriority = false): NonNullable<PfkeyExts['policy']> {
  return {
    type: p.action ? ACTION[p.action] : C.IPSEC_POLICY_DISCARD, // direction-only: type 0, ignored by the kernel
    dir: DIR[p.dir],
    scope: 0,
    id: 0,
    priority: p.priority ?? (defaultPriority && p.action ? PRIORITY_DEFAULT : 0),
    requests: p.requests.map((r) => ({
      proto: REQ_PROTO[r.proto],
      mode: MODE[r.mode],
      level: LEVEL[r.level],
      reqid: r.reqid,
      ...(r.src && r.dst
        ? { src: makeSockaddr(r.src.addr, r.src.port), dst: makeSockaddr(r.dst.addr, r.dst.port) }
        : {}),
    })),
  };
}

function spdMessage(st: A.SpdStatement, o: ToPfkeyOptions): PfkeyMessage {
  const ext: PfkeyExts = {
    policy: policyExt(st.policy, o.defaultPriority),
    addressSrc: address(st.src.addr, st.src.port, st.upper.proto, st.src.prefixLen),
    addressDst: address(st.dst.addr, st.dst.port, st.upper.proto, st.dst.prefixLen),
  };
  const extOrder = [C.SADB_X_EXT_POLICY, C.SADB_EXT_ADDRESS_SRC, C.SADB_EXT_ADDRESS_DST];
  return { msg: makeSadbMsg(MSG_TYPE[st.kind], C.SADB_SATYPE_UNSPEC, 0, o.pid), ext, extOrder };
}

/** The fwd twin of an inbound policy message (only the first request is relaxed, as ipsec-tools does). */
function fwdCopy(m: PfkeyMessage): PfkeyMessage {
  const pol = m.ext.policy!;
  const requests = pol.requests.map((r, i) =>
    i === 0 && r.level === C.IPSEC_LEVEL_UNIQUE ? { ...r, level: C.IPSEC_LEVEL_REQUIRE, reqid: 0 } : r,
  );
  return { ...m, ext: { ...m.ext, policy: { ...pol, dir: IPSEC_DIR_FWD, requests } } };
}

/** The messages one statement sends (none for exit). Refuses what pfkey/ cannot carry (tags, SELinux labels). */
export function statementToMessages(st: A.Statement, o: ToPfkeyOptions): ToPfkeyResult {
  switch (st.kind) {
    case 'add':
    case 'update':
      if (st.ext.ctx) return { ok: false, reason: 'security contexts (-ctx) are not supported' };
      if (st.ext.hwif) return { ok: false, reason: 'hardware offload (-hwif) is not supported' };
      return { ok: true, messages: [addMessage(st, o.pid)] };
    case 'get':
    case 'delete':
    case 'deleteall':
      return { ok: true, messages: [addrMessage(st, o.pid)] };
    case 'flush':
    case 'dump':
      return {
        ok: true,
        messages: [
          {
            msg: makeSadbMsg(MSG_TYPE[st.kind], st.proto ? SATYPE[st.proto.name] : C.SADB_SATYPE_UNSPEC, 0, o.pid),
            ext: {},
          },
        ],
      };
    case 'spdflush':
    case 'spddump':
      return { ok: true, messages: [{ msg: makeSadbMsg(MSG_TYPE[st.kind], C.SADB_SATYPE_UNSPEC, 0, o.pid), ext: {} }] };
    case 'spdadd':
    case 'spdupdate':
    case 'spddelete': {
      if (st.ctx) return { ok: false, reason: 'security contexts (-ctx) are not supported' };
      const m = spdMessage(st, o);
      return { ok: true, messages: o.fwdCopies && st.policy.dir === 'in' ? [m, fwdCopy(m)] : [m] };
    }
    case 'spdadd-tagged':
    case 'spdupdate-tagged':
      return { ok: false, reason: 'tagged policies need SADB_X_EXT_TAG, which pfkey/ does not carry' };
    case 'exit':
      return { ok: true, messages: [] };
  }
}
