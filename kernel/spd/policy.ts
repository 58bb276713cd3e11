// Security policy records (KAME `struct secpolicy`, `secpolicyindex`, `ipsecrequest`) and their validation
// at the API edge. RFC 4301 §4.4.1 (SPD selectors), KAME/ipsec-tools policy semantics (see docs/spd.md).
import type { Prefix, Family } from '../../common/inet.js';
import { parsePrefix, parseAddr, maskAddr } from '../../common/inet.js';
import { ErrnoError } from '../../common/errors.js';
import type { IpsecProto, IpsecMode } from '../sad/secassoc.js';
import {
  IPSEC_ULPROTO_ANY,
  IPSEC_PORT_ANY,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  PRIORITY_HIGH,
  PRIORITY_DEFAULT,
  PRIORITY_LOW,
  PRIORITY_OFFSET_POSITIVE_MAX,
  PRIORITY_OFFSET_NEGATIVE_MAX,
} from '../../pfkey/constants.js';

/** sadb_x_ipsecrequest_reqid is 16 bits wide. */
export const IPSEC_REQID_MAX = 0xffff;
/** Bundle depth limit; KAME has none, Linux XFRM_MAX_DEPTH is 6 and we adopt it. */
export const IPSEC_MAX_REQUESTS = 6;

export type PolicyDir = 'in' | 'out' | 'fwd';
/** IPSEC_POLICY_*: discard, none (bypass IPsec), ipsec, entrust (defer), bypass (socket-level "no IPsec"). */
export type PolicyAction = 'discard' | 'none' | 'ipsec' | 'entrust' | 'bypass';
/** IPSEC_LEVEL_*. */
export type IpsecLevel = 'default' | 'use' | 'require' | 'unique';

/** An SPD error carrying the errno name that goes back in sadb_msg_errno. */
export class SpdError extends ErrnoError {
  readonly code: string;
  constructor(errno: 'EINVAL' | 'EEXIST' | 'ENOENT' | 'EACCES' | 'ENOBUFS', message: string) {
    super(errno, message);
    this.name = 'SpdError';
    this.code = errno;
  }
}

/** One request of a bundle (KAME `struct ipsecrequest`). Tunnel endpoints are set for tunnel mode. */
export interface IpsecRequest {
  readonly proto: IpsecProto;
  readonly mode: Exclude<IpsecMode, 'any'>;
  readonly src?: Uint8Array;
  readonly dst?: Uint8Array;
  /** Endpoint ports (ESP-in-UDP matching, `A[4500]-B[4500]`); 0 when absent. */
  readonly sport: number;
  readonly dport: number;
  readonly level: IpsecLevel;
  readonly reqid: number;
}

/** The selector (KAME `struct secpolicyindex` without dir). Prefixes have host bits zeroed. */
export interface Selector {
  readonly family: Family;
  readonly src: Prefix;
  readonly dst: Prefix;
  /** Upper-layer protocol, 255 = any. */
  readonly proto: number;
  /** Ports, 0 = any. For ICMP/ICMPv6, sport carries the type and dport the code (KAME encoding). */
  readonly sport: number;
  readonly dport: number;
}

/** Hard lifetime of a policy (SADB_EXT_LIFETIME_HARD on SPDADD): 0 means none. */
export interface PolicyLifetime {
  /** "lifetime": seconds since creation. */
  readonly addtimeSec: number;
  /** "validtime": seconds since last use (or creation when never used). */
  readonly usetimeSec: number;
}

/** An installed policy (KAME `struct secpolicy`). Owned by the Spd; treat as read-only except via the Spd. */
export interface Policy {
  readonly id: number;
  readonly dir: PolicyDir;
  readonly selector: Selector;
  readonly action: PolicyAction;
  readonly requests: readonly IpsecRequest[];
  /** 32-bit priority, lower wins. */
  readonly priority: number;
  readonly lifetime: PolicyLifetime;
  readonly createdMs: number;
  /** Last lookup that returned this policy (ms); equals createdMs until first use. */
  readonly lastusedMs: number;
  /** Insertion order; breaks priority ties (older first), as KAME's per-direction list does. */
  readonly seq: number;
}

export type UlProtoSpec = number | 'any' | 'tcp' | 'udp' | 'icmp' | 'icmp6';
export type AddrSpec = Uint8Array | string;
export type PrefixSpec = Prefix | string;

export interface SelectorSpec {
  src: PrefixSpec;
  dst: PrefixSpec;
  proto?: UlProtoSpec;
  sport?: number;
  dport?: number;
  /** ICMP/ICMPv6 only: stored in sport/dport as KAME does (setkey `icmp6 135,0`). */
  icmpType?: number;
  icmpCode?: number;
}

export interface IpsecRequestSpec {
  proto: IpsecProto;
  mode: 'transport' | 'tunnel';
  src?: AddrSpec;
  dst?: AddrSpec;
  sport?: number;
  dport?: number;
  level?: IpsecLevel;
  reqid?: number;
}

export interface PolicySpec extends SelectorSpec {
  dir: PolicyDir;
  action: PolicyAction;
  requests?: IpsecRequestSpec[];
  /** 32-bit priority (lower wins); default PRIORITY_DEFAULT, as ipsec-tools sends when none is given. */
  priority?: number;
  lifetime?: Partial<PolicyLifetime>;
}

const DIRS: readonly string[] = ['in', 'out', 'fwd'];
const ACTIONS: readonly string[] = ['discard', 'none', 'ipsec', 'entrust', 'bypass'];
const LEVELS: readonly string[] = ['default', 'use', 'require', 'unique'];
const PROTOS: readonly string[] = ['esp', 'ah', 'ipcomp'];
const UL_NAMES: Record<string, number> = { any: 255, tcp: 6, udp: 17, icmp: 1, icmp6: 58 };

function inval(msg: string): SpdError {
  return new SpdError('EINVAL', msg);
}

/** A short, never-throwing description of an untrusted value for error messages. */
export function showValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.slice(0, 24));
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `${v}`;
  return v === null ? 'null' : typeof v;
}

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null;
}

function checkInt(v: unknown, min: number, max: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw inval(`${what} must be an integer in ${min}..${max}, got ${showValue(v)}`);
  }
  return v;
}

function optInt(v: unknown, min: number, max: number, what: string, dflt: number): number {
  return v === undefined ? dflt : checkInt(v, min, max, what);
}

/** Validates a prefix given as text or as a Prefix; masks host bits. */
export function checkPrefix(p: unknown, what: string): Prefix {
  if (typeof p === 'string') {
    const r = parsePrefix(p);
    if (!r) throw inval(`${what}: bad prefix "${p.slice(0, 64)}"`);
    return r;
  }
  if (!isObj(p) || !(p.addr instanceof Uint8Array)) throw inval(`${what}: prefix expected`);
  const n = p.addr.length;
  if (n !== 4 && n !== 16) throw inval(`${what}: address must be 4 or 16 bytes, got ${n}`);
  const len = checkInt(p.len, 0, n * 8, `${what} prefix length`);
  return { family: n === 4 ? 4 : 6, addr: maskAddr(p.addr, len), len };
}

function checkAddr(a: unknown, what: string): Uint8Array {
  if (typeof a === 'string') {
    const r = parseAddr(a);
    if (!r) throw inval(`${what}: bad address "${a.slice(0, 64)}"`);
    return r;
  }
  if (!(a instanceof Uint8Array) || (a.length !== 4 && a.length !== 16)) {
    throw inval(`${what}: 4- or 16-byte address expected`);
  }
  return new Uint8Array(a);
}

function checkUlProto(v: unknown): number {
  if (v === undefined) return IPSEC_ULPROTO_ANY;
  if (typeof v === 'string') {
    const n = UL_NAMES[v];
    if (n === undefined || !Object.hasOwn(UL_NAMES, v)) throw inval(`unknown upper-layer protocol "${v.slice(0, 32)}"`);
    return n;
  }
  return checkInt(v, 0, 255, 'upper-layer protocol');
}

/** Validates and normalises a selector (RFC 4301 §4.4.1.1; KAME secpolicyindex). */
export function checkSelector(spec: unknown): Selector {
  if (!isObj(spec)) throw inval('selector expected');
  const src = checkPrefix(spec.src, 'source');
  const dst = checkPrefix(spec.dst, 'destination');
  if (src.family !== dst.family) throw inval('source and destination families differ');
  const proto = checkUlProto(spec.proto);
  const hasIcmp = spec.icmpType !== undefined || spec.icmpCode !== undefined;
  let sport: number, dport: number;
  if (hasIcmp) {
    if (proto !== IPPROTO_ICMP && proto !== IPPROTO_ICMPV6) throw inval('ICMP type/code need proto icmp or icmp6');
    if (spec.sport !== undefined || spec.dport !== undefined) throw inval('ports and ICMP type/code are exclusive');
    // KAME (setkey fix_portstr): type in the source port, code in the destination port; 0 = any.
    sport = optInt(spec.icmpType, 0, 255, 'ICMP type', 0);
    dport = optInt(spec.icmpCode, 0, 255, 'ICMP code', 0);
  } else {
    sport = optInt(spec.sport, 0, 0xffff, 'source port', IPSEC_PORT_ANY);
    dport = optInt(spec.dport, 0, 0xffff, 'destination port', IPSEC_PORT_ANY);
  }
  return { family: src.family, src, dst, proto, sport, dport };
}

export function checkDir(d: unknown): PolicyDir {
  if (typeof d !== 'string' || !DIRS.includes(d)) throw inval(`bad direction ${showValue(d)}`);
  return d as PolicyDir;
}

function checkRequest(r: unknown, i: number): IpsecRequest {
  const what = `request ${i}`;
  if (!isObj(r)) throw inval(`${what}: object expected`);
  if (typeof r.proto !== 'string' || !PROTOS.includes(r.proto)) throw inval(`${what}: proto must be esp, ah or ipcomp`);
  if (r.mode !== 'transport' && r.mode !== 'tunnel') throw inval(`${what}: mode must be transport or tunnel`);
  const level = r.level === undefined ? 'default' : r.level;
  if (typeof level !== 'string' || !LEVELS.includes(level)) throw inval(`${what}: bad level`);
  const reqid = optInt(r.reqid, 0, IPSEC_REQID_MAX, `${what} reqid`, 0);
  const src = r.src === undefined ? undefined : checkAddr(r.src, `${what} src`);
  const dst = r.dst === undefined ? undefined : checkAddr(r.dst, `${what} dst`);
  // libipsec rule_check: tunnel mode needs both endpoints, and their families must agree.
  if (r.mode === 'tunnel' && (!src || !dst)) throw inval(`${what}: tunnel mode needs both endpoints`);
  if ((src === undefined) !== (dst === undefined)) throw inval(`${what}: give both endpoints or none`);
  if (src && dst && src.length !== dst.length) throw inval(`${what}: endpoint families differ`);
  const sport = optInt(r.sport, 0, 0xffff, `${what} source port`, 0);
  const dport = optInt(r.dport, 0, 0xffff, `${what} destination port`, 0);
  if ((sport || dport) && !src) throw inval(`${what}: endpoint ports need endpoints`);
  return {
    proto: r.proto as IpsecProto,
    mode: r.mode,
    src,
    dst,
    sport,
    dport,
    level: level as IpsecLevel,
    reqid,
  };
}

/** Validates an ordered request list for action `ipsec` (KAME key_msg2sp checks). */
export function checkRequests(action: PolicyAction, reqs: unknown): IpsecRequest[] {
  if (reqs !== undefined && !Array.isArray(reqs)) throw inval('requests must be an array');
  const list = (reqs ?? []) as unknown[];
  if (action !== 'ipsec') {
    if (list.length) throw inval(`action ${action} takes no requests`);
    return [];
  }
  if (list.length === 0) throw inval('action ipsec needs at least one request');
  if (list.length > IPSEC_MAX_REQUESTS) throw inval(`too many requests (${list.length} > ${IPSEC_MAX_REQUESTS})`);
  return list.map((r, i) => checkRequest(r, i));
}

export interface CheckedPolicy {
  dir: PolicyDir;
  selector: Selector;
  action: PolicyAction;
  requests: IpsecRequest[];
  priority: number;
  lifetime: PolicyLifetime;
}

/** Validates a PolicySpec at the API edge; every failure is an SpdError with code EINVAL. */
export function checkPolicySpec(spec: unknown): CheckedPolicy {
  if (!isObj(spec)) throw inval('policy spec expected');
  const dir = checkDir(spec.dir);
  const selector = checkSelector(spec);
  if (typeof spec.action !== 'string' || !ACTIONS.includes(spec.action)) throw inval('bad policy action');
  const action = spec.action as PolicyAction;
  const requests = checkRequests(action, spec.requests);
  const priority = optInt(spec.priority, 0, 0xffffffff, 'priority', PRIORITY_DEFAULT);
  const lt = spec.lifetime;
  if (lt !== undefined && !isObj(lt)) throw inval('lifetime must be an object');
  const lifetime = {
    addtimeSec: optInt(lt?.addtimeSec, 0, 0xffffffff, 'lifetime addtime', 0),
    usetimeSec: optInt(lt?.usetimeSec, 0, 0xffffffff, 'lifetime usetime', 0),
  };
  return { dir, selector, action, requests, priority, lifetime };
}

export type PriorityBase = 'low' | 'def' | 'high';

/**
 * The 32-bit priority of the setkey/libipsec forms (ipsec-tools policy_parse.y):
 * none -> PRIORITY_DEFAULT; `prio N` -> DEFAULT - N (N may be negative: `prio -N` -> DEFAULT + N);
 * `prio <base> + N` -> base - N (N <= 0x40000000); `prio <base> - N` -> base + N (N <= 0x3fffffff).
 */
export function resolvePriority(form?: { base?: PriorityBase; offset?: number }): number {
  if (form === undefined || (form.base === undefined && form.offset === undefined)) return PRIORITY_DEFAULT;
  const offset = form.offset ?? 0;
  if (!Number.isInteger(offset)) throw inval('priority offset must be an integer');
  if (form.base === undefined) {
    // `priority N`: N in [-(2^31-1), 2^31], as the parser's long range checks allow.
    if (offset > 0x80000000 || offset < -0x7fffffff) throw inval('priority offset out of range');
    return (PRIORITY_DEFAULT - offset) >>> 0;
  }
  const base =
    form.base === 'low'
      ? PRIORITY_LOW
      : form.base === 'high'
        ? PRIORITY_HIGH
        : form.base === 'def'
          ? PRIORITY_DEFAULT
          : -1;
  if (base < 0) throw inval('priority base must be low, def or high');
  if (offset > PRIORITY_OFFSET_NEGATIVE_MAX || -offset > PRIORITY_OFFSET_POSITIVE_MAX) {
    throw inval('priority base offset out of range');
  }
  return base - offset;
}

/** Canonical string of a selector + direction, for exact-match maps (KAME key_cmpspidx_exactly). */
export function selectorKey(dir: PolicyDir, s: Selector): string {
  const hex = (a: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
  return `${dir}|${hex(s.src.addr)}/${s.src.len}|${hex(s.dst.addr)}/${s.dst.len}|${s.proto}|${s.sport}|${s.dport}`;
}

/** The installed policy object; its lastusedMs reads the index while installed and is frozen on removal. */
export class PolicyRecord implements Policy {
  private frozenMs: number | undefined;
  constructor(
    readonly id: number,
    readonly dir: PolicyDir,
    readonly selector: Selector,
    readonly action: PolicyAction,
    readonly requests: readonly IpsecRequest[],
    readonly priority: number,
    readonly lifetime: Policy['lifetime'],
    readonly createdMs: number,
    readonly seq: number,
    private readonly usage: (p: PolicyRecord) => number | undefined,
  ) {}
  get lastusedMs(): number {
    return this.frozenMs ?? this.usage(this) ?? this.createdMs;
  }
  freeze(): void {
    if (this.frozenMs === undefined) this.frozenMs = this.lastusedMs;
  }
}
