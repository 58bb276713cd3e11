// Conversions between PF_KEY SPD messages (pfkey/) and the kernel's policies: SPDADD/SPDUPDATE/SPDDELETE to
// PolicySpec (KAME key_msg2sp) and installed policies back to sadb_x_policy and whole messages (key_sp2msg,
// key_setdumpsp) for SPDGET, SPDDUMP and SPDEXPIRE.
import * as C from '../../pfkey/constants.js';
import {
  PfkeyError,
  invalid,
  makeSadbMsg,
  makeSockaddr,
  type PfkeyExts,
  type PfkeyMessage,
  type SadbAddress,
  type SadbXIpsecrequest,
  type SadbXPolicy,
  type Sockaddr,
} from '../../pfkey/index.js';
import type { Prefix } from '../../common/inet.js';
import type { IpsecLevel, Policy, PolicyAction, PolicySpec, IpsecRequestSpec } from '../spd/policy.js';
import { ipprotoOf, modeNum, protoOfIpproto, toNum } from './convert.js';

const LEVELS: readonly IpsecLevel[] = ['default', 'use', 'require', 'unique'];
const LEVEL_NUM: Record<IpsecLevel, number> = { default: 0, use: 1, require: 2, unique: 3 };
const ACTION_BY_TYPE = new Map<number, PolicyAction>([
  [C.IPSEC_POLICY_DISCARD, 'discard'],
  [C.IPSEC_POLICY_NONE, 'none'],
  [C.IPSEC_POLICY_IPSEC, 'ipsec'],
  [C.IPSEC_POLICY_ENTRUST, 'entrust'],
  [C.IPSEC_POLICY_BYPASS, 'bypass'],
]);
const TYPE_BY_ACTION: Record<PolicyAction, number> = {
  discard: C.IPSEC_POLICY_DISCARD,
  none: C.IPSEC_POLICY_NONE,
  ipsec: C.IPSEC_POLICY_IPSEC,
  entrust: C.IPSEC_POLICY_ENTRUST,
  bypass: C.IPSEC_POLICY_BYPASS,
};

function prefixOf(a: SadbAddress): Prefix {
  return { family: a.addr.family, addr: a.addr.addr, len: a.prefixlen };
}

function requestSpecOf(r: SadbXIpsecrequest): IpsecRequestSpec {
  const proto = protoOfIpproto(r.proto);
  if (!proto) throw new PfkeyError('EPROTONOSUPPORT', `request proto ${r.proto}`);
  const mode = r.mode === C.IPSEC_MODE_TUNNEL ? 'tunnel' : 'transport';
  const level = LEVELS[r.level];
  if (!level) invalid(`request level ${r.level}`);
  return {
    proto,
    mode,
    level,
    reqid: r.reqid,
    src: r.src?.addr,
    dst: r.dst?.addr,
    sport: r.src?.port,
    dport: r.dst?.port,
  };
}

/** SPDADD/SPDUPDATE/SPDSETIDX/SPDDELETE: the selector, direction, action, requests, priority and lifetime. */
export function policySpecOf(m: PfkeyMessage): PolicySpec {
  const { addressSrc: src, addressDst: dst, policy, lifetimeHard } = m.ext;
  const p = policy!;
  const action = ACTION_BY_TYPE.get(p.type);
  if (!action) invalid(`policy type ${p.type}`);
  const spec: PolicySpec = {
    dir: p.dir === C.IPSEC_DIR_INBOUND ? 'in' : 'out',
    action,
    src: prefixOf(src!),
    dst: prefixOf(dst!),
    proto: src!.proto,
    sport: src!.addr.port,
    dport: dst!.addr.port,
    priority: p.priority >>> 0,
    requests: action === 'ipsec' ? p.requests.map(requestSpecOf) : undefined,
  };
  if (lifetimeHard)
    spec.lifetime = { addtimeSec: toNum(lifetimeHard.addtime), usetimeSec: toNum(lifetimeHard.usetime) };
  return spec;
}

function sockaddrOf(addr: Uint8Array | undefined, port: number): Sockaddr | undefined {
  return addr ? makeSockaddr(new Uint8Array(addr), port) : undefined;
}

/** sadb_x_policy of an installed policy, with its requests (key_sp2msg). */
export function policyExtOf(p: Policy): SadbXPolicy {
  const dir = p.dir === 'in' ? C.IPSEC_DIR_INBOUND : p.dir === 'out' ? C.IPSEC_DIR_OUTBOUND : C.IPSEC_DIR_MAX;
  return {
    type: TYPE_BY_ACTION[p.action],
    dir,
    scope: 0,
    id: p.id,
    priority: p.priority >>> 0,
    requests: p.requests.map((r) => ({
      proto: ipprotoOf(r.proto),
      mode: modeNum(r.mode),
      level: LEVEL_NUM[r.level],
      reqid: r.reqid,
      src: sockaddrOf(r.src, r.sport),
      dst: sockaddrOf(r.dst, r.dport),
    })),
  };
}

/** The whole policy as KAME key_setdumpsp shows it (SPDGET, SPDDUMP, SPDEXPIRE). */
export function policyToMessage(p: Policy, type: number, seq: number, pid: number): PfkeyMessage {
  const s = p.selector;
  const used = p.lastusedMs !== p.createdMs ? Math.floor(p.lastusedMs / 1000) : 0;
  const ext: PfkeyExts = {
    addressSrc: { proto: s.proto, prefixlen: s.src.len, addr: makeSockaddr(new Uint8Array(s.src.addr), s.sport) },
    addressDst: { proto: s.proto, prefixlen: s.dst.len, addr: makeSockaddr(new Uint8Array(s.dst.addr), s.dport) },
    policy: policyExtOf(p),
    lifetimeCurrent: {
      allocations: 0,
      bytes: 0n,
      addtime: BigInt(Math.floor(p.createdMs / 1000)),
      usetime: BigInt(used),
    },
    lifetimeHard: {
      allocations: 0,
      bytes: 0n,
      addtime: BigInt(p.lifetime.addtimeSec),
      usetime: BigInt(p.lifetime.usetimeSec),
    },
  };
  const order = [
    C.SADB_EXT_ADDRESS_SRC,
    C.SADB_EXT_ADDRESS_DST,
    C.SADB_X_EXT_POLICY,
    C.SADB_EXT_LIFETIME_CURRENT,
    C.SADB_EXT_LIFETIME_HARD,
  ];
  // sadb_msg_reserved carries the refcount in KAME dumps: an installed policy holds the SPD's reference.
  return { msg: { ...makeSadbMsg(type, C.SADB_SATYPE_UNSPEC, seq, pid), reserved: 1 }, ext, extOrder: order };
}
