// What a KAME kernel checks in a decoded message before dispatching it (RFC 2367 §3.1; FreeBSD key.c
// key_parse, then each handler's "missing required header" tests): satype per message type, src/dst
// consistency, required extensions, policy requests. Returns the errno to send back, or undefined.
import * as C from './constants.js';
import { SADB_MSG_NAMES, nameOf } from './names.js';
import type { PfkeyErrno } from './errors.js';
import type { ExtName, PfkeyMessage } from './msg.js';
import type { SadbXPolicy } from './ext/x-policy.js';

/** Why a message is refused: the errno for sadb_msg_errno and a reason for the log. */
export interface CheckFailure {
  errno: PfkeyErrno;
  reason: string;
}

const SA_SATYPES = new Set([C.SADB_SATYPE_AH, C.SADB_SATYPE_ESP, C.SADB_X_SATYPE_IPCOMP, C.SADB_X_SATYPE_TCPSIGNATURE]);
const UNSUPPORTED_SATYPES = new Set([C.SADB_SATYPE_RSVP, C.SADB_SATYPE_OSPFV2, C.SADB_SATYPE_RIPV2, C.SADB_SATYPE_MIP]);
// Messages that act on one SA and so need a real satype.
const NEEDS_SATYPE = new Set([
  C.SADB_GETSPI,
  C.SADB_UPDATE,
  C.SADB_ADD,
  C.SADB_DELETE,
  C.SADB_GET,
  C.SADB_ACQUIRE,
  C.SADB_EXPIRE,
]);
// SPD messages that refuse an SA satype (SPDDUMP is special: its satype is a policy-scope mask).
const SPD_TYPES = new Set([
  C.SADB_X_SPDADD,
  C.SADB_X_SPDDELETE,
  C.SADB_X_SPDGET,
  C.SADB_X_SPDFLUSH,
  C.SADB_X_SPDSETIDX,
  C.SADB_X_SPDUPDATE,
  C.SADB_X_SPDDELETE2,
]);
const SPDDUMP_SCOPES = new Set([
  C.IPSEC_POLICYSCOPE_ANY,
  C.IPSEC_POLICYSCOPE_GLOBAL,
  C.IPSEC_POLICYSCOPE_IFNET,
  C.IPSEC_POLICYSCOPE_PCB,
]);
// Kernel-to-user messages (and Linux-only ones) a BSD kernel has no handler for.
const NO_HANDLER = new Set([
  C.SADB_EXPIRE,
  C.SADB_X_PCHANGE,
  C.SADB_X_SPDACQUIRE,
  C.SADB_X_SPDEXPIRE,
  C.SADB_X_NAT_T_NEW_MAPPING,
  C.SADB_X_MIGRATE,
]);

/** Extensions each message type must carry from user space (before the satype-dependent key rules). */
export const REQUIRED_EXTS: ReadonlyMap<number, readonly ExtName[]> = new Map<number, ExtName[]>([
  [C.SADB_GETSPI, ['addressSrc', 'addressDst']],
  [C.SADB_UPDATE, ['sa', 'addressSrc', 'addressDst']],
  [C.SADB_ADD, ['sa', 'addressSrc', 'addressDst']],
  [C.SADB_DELETE, ['addressSrc', 'addressDst']], // no SA = KAME "delete all" between src and dst
  [C.SADB_GET, ['sa', 'addressSrc', 'addressDst']],
  [C.SADB_ACQUIRE, ['addressSrc', 'addressDst', 'proposal']], // unless header-only (a KM failure report)
  [C.SADB_X_SPDADD, ['addressSrc', 'addressDst', 'policy']],
  [C.SADB_X_SPDUPDATE, ['addressSrc', 'addressDst', 'policy']],
  [C.SADB_X_SPDSETIDX, ['addressSrc', 'addressDst', 'policy']],
  [C.SADB_X_SPDDELETE, ['addressSrc', 'addressDst', 'policy']],
  [C.SADB_X_SPDGET, ['policy']],
  [C.SADB_X_SPDDELETE2, ['policy']],
]);

function fail(errno: PfkeyErrno, reason: string): CheckFailure {
  return { errno, reason };
}

/** key_parse's satype rules. */
function checkSatype(type: number, satype: number): CheckFailure | undefined {
  if (type === C.SADB_X_SPDDUMP) {
    // FreeBSD setkey -DP sends the scope (-g global, -t ifnet) in sadb_msg_satype.
    return SPDDUMP_SCOPES.has(satype) ? undefined : fail('EINVAL', `SPDDUMP scope ${satype} invalid`);
  }
  if (satype === C.SADB_SATYPE_UNSPEC) {
    return NEEDS_SATYPE.has(type) ? fail('EINVAL', `${nameOf(SADB_MSG_NAMES, type)} needs an satype`) : undefined;
  }
  if (SA_SATYPES.has(satype)) {
    return SPD_TYPES.has(type) ? fail('EINVAL', 'SPD messages take satype UNSPEC') : undefined;
  }
  if (UNSUPPORTED_SATYPES.has(satype)) return fail('EOPNOTSUPP', `satype ${satype} not supported`);
  if (satype === C.SADB_X_PROMISC_ON && type === C.SADB_X_PROMISC) return undefined;
  return fail('EINVAL', `invalid satype ${satype}`);
}

/** key_parse's source/destination consistency (sa_len per family is already enforced by the decoder). */
function checkAddresses(m: PfkeyMessage): CheckFailure | undefined {
  const { addressSrc: src, addressDst: dst } = m.ext;
  if (!src || !dst) return undefined;
  if (src.proto !== dst.proto) return fail('EINVAL', 'upper-layer protocol of src and dst differ');
  if (src.addr.family !== dst.addr.family) return fail('EINVAL', 'address families of src and dst differ');
  const maxPrefix = src.addr.family === 4 ? 32 : 128;
  if (src.prefixlen > maxPrefix || dst.prefixlen > maxPrefix) return fail('EINVAL', `prefix length above ${maxPrefix}`);
  return undefined;
}

/** ADD/UPDATE: keys by satype, lifetimes in pairs, NAT-T ports with the type (key_add, key_setsaval, key_setnatt). */
function checkSaPayload(m: PfkeyMessage): CheckFailure | undefined {
  const { ext, msg } = m;
  // ADD always needs the keys; UPDATE needs them only for a LARVAL SA (FreeBSD key_update), which the
  // kernel checks once it has found the SA.
  if (msg.type === C.SADB_ADD) {
    if (msg.satype === C.SADB_SATYPE_ESP && !ext.keyEncrypt)
      return fail('EINVAL', 'ESP SA without SADB_EXT_KEY_ENCRYPT');
    if (msg.satype === C.SADB_SATYPE_AH && !ext.keyAuth) return fail('EINVAL', 'AH SA without SADB_EXT_KEY_AUTH');
  }
  if (msg.satype === C.SADB_X_SATYPE_IPCOMP && ext.keyAuth) return fail('EINVAL', 'IPComp SA with SADB_EXT_KEY_AUTH');
  if ((msg.satype === C.SADB_SATYPE_AH || msg.satype === C.SADB_X_SATYPE_TCPSIGNATURE) && ext.keyEncrypt) {
    return fail('EINVAL', 'AH SA with SADB_EXT_KEY_ENCRYPT');
  }
  if (!ext.lifetimeHard !== !ext.lifetimeSoft)
    return fail('EINVAL', 'LIFETIME_HARD and LIFETIME_SOFT must come together');
  if (ext.sa && (ext.sa.flags & ~C.SADB_KEY_FLAGS_MAX) !== 0)
    return fail('EINVAL', `invalid sa_flags 0x${ext.sa.flags.toString(16)}`);
  if (ext.saReplay && ext.saReplay.replay > 0xffffffff - 32) return fail('EINVAL', 'replay window too big');
  return checkKeyPresence(m) ?? checkNatT(m);
}

/** key_setsaval: an empty key only for the null algorithm; IPComp's KEY_ENCRYPT, if sent, must be empty. */
function checkKeyPresence(m: PfkeyMessage): CheckFailure | undefined {
  const { sa, keyAuth, keyEncrypt } = m.ext;
  if (!sa) return undefined;
  if (keyAuth && keyAuth.bits === 0 && sa.auth !== C.SADB_X_AALG_NULL)
    return fail('EINVAL', 'empty KEY_AUTH for a keyed algorithm');
  if (keyEncrypt && m.msg.satype === C.SADB_X_SATYPE_IPCOMP) {
    return keyEncrypt.bits === 0 ? undefined : fail('EINVAL', 'IPComp SA with a non-empty KEY_ENCRYPT');
  }
  if (keyEncrypt && keyEncrypt.bits === 0 && sa.encrypt !== C.SADB_EALG_NULL)
    return fail('EINVAL', 'empty KEY_ENCRYPT for a keyed cipher');
  return undefined;
}

/**
 * NAT-T (FreeBSD key_setnatt, ESP only): the type needs both ports; only UDP_ENCAP_ESPINUDP; ports non-zero.
 * FreeBSD silently ignores an incomplete triple; we refuse it, as a half-configured NAT-T SA is a KM bug.
 */
function checkNatT(m: PfkeyMessage): CheckFailure | undefined {
  const { natTType, natTSport, natTDport } = m.ext;
  if (natTType && (!natTSport || !natTDport)) return fail('EINVAL', 'NAT_T_TYPE without NAT_T_SPORT and NAT_T_DPORT');
  if (!natTType || !natTSport || !natTDport || m.msg.satype !== C.SADB_SATYPE_ESP || m.msg.type === C.SADB_GETSPI)
    return undefined;
  if (natTType.type !== C.UDP_ENCAP_ESPINUDP) return fail('EINVAL', `unsupported NAT-T type ${natTType.type}`);
  if (natTSport.port === 0 || natTDport.port === 0) return fail('EINVAL', 'NAT-T port 0');
  return undefined;
}

/** key_spdadd/key_spddelete direction and type rules, and key_msg2sp's request rules. */
function checkPolicy(p: SadbXPolicy, withRequests: boolean): CheckFailure | undefined {
  if (p.dir !== C.IPSEC_DIR_INBOUND && p.dir !== C.IPSEC_DIR_OUTBOUND)
    return fail('EINVAL', `invalid SP direction ${p.dir}`);
  if (p.type !== C.IPSEC_POLICY_DISCARD && p.type !== C.IPSEC_POLICY_NONE && p.type !== C.IPSEC_POLICY_IPSEC) {
    return fail('EINVAL', `invalid policy type ${p.type}`);
  }
  if (!withRequests || p.type !== C.IPSEC_POLICY_IPSEC) return undefined;
  if (p.requests.length === 0) return fail('EINVAL', 'ipsec policy without requests');
  if (p.requests.length > C.IPSEC_MAXREQ) return fail('EINVAL', `more than ${C.IPSEC_MAXREQ} ipsecrequests`);
  for (const r of p.requests) {
    if (r.proto !== C.IPPROTO_ESP && r.proto !== C.IPPROTO_AH && r.proto !== C.IPPROTO_IPCOMP) {
      return fail('EPROTONOSUPPORT', `invalid request proto ${r.proto}`);
    }
    if (r.mode !== C.IPSEC_MODE_TRANSPORT && r.mode !== C.IPSEC_MODE_TUNNEL)
      return fail('EINVAL', `invalid request mode ${r.mode}`);
    if (r.level > C.IPSEC_LEVEL_UNIQUE) return fail('EINVAL', `invalid request level ${r.level}`);
    if (r.mode === C.IPSEC_MODE_TUNNEL && !r.src) return fail('EINVAL', 'tunnel request without endpoint addresses');
  }
  return undefined;
}

function checkMissing(m: PfkeyMessage): CheckFailure | undefined {
  // A header-only ACQUIRE is a key manager's failure report (FreeBSD key_acquire2 never answers it: with
  // seq and errno set it resets the acquire entry, otherwise it is ignored).
  if (m.msg.type === C.SADB_ACQUIRE && Object.values(m.ext).every((v) => v === undefined)) return undefined;
  for (const name of REQUIRED_EXTS.get(m.msg.type) ?? []) {
    if (m.ext[name] === undefined) return fail('EINVAL', `${nameOf(SADB_MSG_NAMES, m.msg.type)} without ${name}`);
  }
  return undefined;
}

function checkByType(m: PfkeyMessage): CheckFailure | undefined {
  const t = m.msg.type;
  if (NO_HANDLER.has(t)) return fail('EINVAL', `${nameOf(SADB_MSG_NAMES, t)} is not accepted from user space`);
  const missing = checkMissing(m);
  if (missing) return missing;
  switch (t) {
    case C.SADB_GETSPI:
      return checkNatT(m);
    case C.SADB_ADD:
    case C.SADB_UPDATE:
      return checkSaPayload(m);
    case C.SADB_X_PROMISC:
      return m.msg.satype > C.SADB_X_PROMISC_ON ? fail('EINVAL', 'X_PROMISC takes satype 0 or 1') : undefined;
    case C.SADB_X_SPDADD:
    case C.SADB_X_SPDUPDATE:
    case C.SADB_X_SPDSETIDX:
      return checkPolicy(m.ext.policy!, true);
    case C.SADB_X_SPDDELETE:
      return checkPolicy(m.ext.policy!, false);
    default:
      return undefined;
  }
}

/**
 * Checks a decoded message from user space the way a KAME kernel does before acting on it.
 * Returns undefined when acceptable, else the errno to write into the reply's sadb_msg_errno.
 */
export function checkUserMessage(m: PfkeyMessage): CheckFailure | undefined {
  return checkSatype(m.msg.type, m.msg.satype) ?? checkAddresses(m) ?? checkByType(m);
}
