// The configuration payload for a roadwarrior (RFC 7296 §2.19, §3.15), both roles, in IKE_AUTH:
//
//   client (remote with `mode_cfg on`)            server (a global `mode_cfg { network4 ...; }` section)
//   HDR, SK {IDi, AUTH, CP(CFG_REQUEST), SA, TSi, TSr}  -->
//                 <--  HDR, SK {IDr, AUTH, CP(CFG_REPLY), SA, TSi (narrowed to the address), TSr}
//
// The server leases an IPv4 address from the same pool IKEv1 mode config uses (ikev1/cfg/pool.ts, one per
// daemon), with the netmask, DNS and WINS servers, split networks (INTERNAL_IP4_SUBNET) and the DNS domain of
// `mode_cfg { }`, narrows the first child's TSi to that address, and releases it when the IKE SA goes (a
// rekeyed IKE SA hands it on, §2.18). The client keeps what it received in racoon's mode-config form (the
// phase1_up script sees INTERNAL_ADDR4...) and proposes it as TSi for the children it creates afterwards.
// The client also asks for an IPv6 address and DNS servers (cfg6.ts reads them); the server leases no IPv6
// address (mode_cfg has no IPv6 pool): those requests get no value (§3.15.1 allows it).
import { formatAddr, type Prefix } from '../../common/inet.js';
import type { EngineCtx } from '../engine/context.js';
import { emptyResult, MAX_CFG_ATTRS, MAX_SPLIT_NETWORKS, type ModeCfgResult } from '../ikev1/cfg/attributes.js';
import { DEFAULT_POOL_SIZE, existingPool, sharedPool } from '../ikev1/cfg/pool.js';
import * as K from './constants.js';
import type { Ikev2Payload } from './payload-chain.js';
import { single } from './payload-util.js';
import type { Ikev2CfgAttr, Ikev2Cp } from './payloads/cp.js';
import type { Ikev2AddrSelector, Ikev2Selector } from './payloads/ts.js';
import type { IkeSa } from './records.js';
import { takeIp6, type Cfg6 } from './cfg6.js';
import { intersect } from './selectors.js';

/** What a racoon client asks for: empty values (§3.15.1: "any value will do"). */
const CLIENT_ASKS = [
  K.IKEV2_CFG_ATTR_INTERNAL_IP4_ADDRESS,
  K.IKEV2_CFG_ATTR_INTERNAL_IP4_NETMASK,
  K.IKEV2_CFG_ATTR_INTERNAL_IP4_DNS,
  K.IKEV2_CFG_ATTR_INTERNAL_IP4_NBNS,
  K.IKEV2_CFG_ATTR_INTERNAL_IP4_SUBNET,
  K.IKEV2_CFG_ATTR_INTERNAL_DNS_DOMAIN,
  K.IKEV2_CFG_ATTR_INTERNAL_IP6_ADDRESS,
  K.IKEV2_CFG_ATTR_INTERNAL_IP6_DNS,
];

/** What the server can answer (SUPPORTED_ATTRIBUTES, §3.15.1): IPv4 only. */
const SERVER_GIVES = [
  ...CLIENT_ASKS.filter((t) => t !== K.IKEV2_CFG_ATTR_INTERNAL_IP6_ADDRESS && t !== K.IKEV2_CFG_ATTR_INTERNAL_IP6_DNS),
  K.IKEV2_CFG_ATTR_SUPPORTED_ATTRIBUTES,
];

/** Bytes of a domain name kept from a reply (RFC 8598 names are at most 255 octets). */
const MAX_DOMAIN_BYTES = 255;

const empty = new Uint8Array(0);

function maskOf(len: number): Uint8Array {
  const m = new Uint8Array(4);
  for (let i = 0; i < len; i++) m[i >> 3]! |= 0x80 >> (i & 7);
  return m;
}

/** The prefix length of a contiguous netmask, else undefined. */
export function maskLen(m: Uint8Array): number | undefined {
  let n = 0;
  while (n < 32 && (m[n >> 3]! & (0x80 >> (n & 7))) !== 0) n++;
  for (let i = n; i < 32; i++) if ((m[i >> 3]! & (0x80 >> (i & 7))) !== 0) return undefined;
  return n;
}

/** One address as a selector (all protocols and ports): the client's TSi (§2.9, §3.13.1). */
export function hostSelector(addr: Uint8Array): Ikev2AddrSelector {
  return {
    tsType: addr.length === 16 ? K.IKEV2_TS_IPV6_ADDR_RANGE : K.IKEV2_TS_IPV4_ADDR_RANGE,
    protocol: 0,
    startPort: 0,
    endPort: 65535,
    startAddr: addr.slice(),
    endAddr: addr.slice(),
  };
}

/** The proposed TSi narrowed to the leased address; empty when none of them covers it. */
export function narrowToAddress(tsi: readonly Ikev2Selector[], addr: Uint8Array): Ikev2AddrSelector[] {
  const host = hostSelector(addr);
  return tsi.map((s) => intersect(s, host)).filter((s): s is Ikev2AddrSelector => s !== undefined);
}

/** The client's own TSi on an IKE SA that gave it an address: the policy's, narrowed to it when it fits. */
export function clientTsi(sa: IkeSa | undefined, tsi: Ikev2AddrSelector): Ikev2AddrSelector {
  const v6 = tsi.tsType === K.IKEV2_TS_IPV6_ADDR_RANGE;
  const addr = sa?.cfg?.client ? (v6 ? sa.cfg.v6?.addr6 : sa.cfg.result.addr4) : undefined;
  return (addr && intersect(tsi, hostSelector(addr))) || tsi;
}

/** Client: a CFG_REPLY into racoon's mode-config result (IPv6 into `v6`); how many attributes were skipped. */
export function readReply(cp: Ikev2Cp, r: ModeCfgResult, v6: Cfg6 = { dns6: [] }): number {
  let bad = Math.max(0, cp.attrs.length - MAX_CFG_ATTRS);
  for (const a of cp.attrs.slice(0, MAX_CFG_ATTRS)) if (!(takeIp6(a, v6) ?? take(a, r))) bad++;
  return bad;
}

/** One attribute; false when its value is not what the client can use (the codec checked §3.15.1 lengths). */
function take(a: Ikev2CfgAttr, r: ModeCfgResult): boolean {
  const v = a.value;
  switch (a.type) {
    case K.IKEV2_CFG_ATTR_INTERNAL_IP4_ADDRESS:
      if (v.length !== 4 || r.addr4) return v.length === 4; // §3.15.1: several may come; the first is ours
      r.addr4 = v.slice();
      return true;
    case K.IKEV2_CFG_ATTR_INTERNAL_IP4_NETMASK:
      if (v.length !== 4 || maskLen(v) === undefined) return false;
      r.mask4 = v.slice();
      return true;
    case K.IKEV2_CFG_ATTR_INTERNAL_IP4_DNS:
    case K.IKEV2_CFG_ATTR_INTERNAL_IP4_NBNS: {
      const list = a.type === K.IKEV2_CFG_ATTR_INTERNAL_IP4_DNS ? r.dns4 : r.wins4;
      if (v.length !== 4) return false;
      if (list.length < 4) list.push(v.slice());
      return true;
    }
    case K.IKEV2_CFG_ATTR_INTERNAL_IP4_SUBNET: {
      const len = v.length === 8 ? maskLen(v.subarray(4)) : undefined;
      if (len === undefined) return false;
      if (r.splitInclude.length < MAX_SPLIT_NETWORKS) r.splitInclude.push({ family: 4, addr: v.slice(0, 4), len });
      return true;
    }
    case K.IKEV2_CFG_ATTR_INTERNAL_DNS_DOMAIN: {
      const name = domainText(v);
      if (name === undefined) return false;
      r.defaultDomain ??= name;
      return true;
    }
    default:
      return true; // IPv6, P-CSCF, ...: not used here, ignored
  }
}

/** A DNS domain from the peer (RFC 8598 §4: no trailing dot needed): letters, digits, '-', '.', bounded. */
function domainText(v: Uint8Array): string | undefined {
  if (v.length === 0 || v.length > MAX_DOMAIN_BYTES) return undefined;
  const s = Buffer.from(v).toString('latin1');
  return /^[A-Za-z0-9_.-]+$/.test(s) ? s : undefined;
}

function attr(type: number, value: Uint8Array = empty): Ikev2CfgAttr {
  return { type, value };
}

/** The payload a client sends in IKE_AUTH. */
export function clientRequest(): Ikev2Payload {
  return { type: K.IKEV2_PAYLOAD_CP, body: { cfgType: K.IKEV2_CFG_REQUEST, attrs: CLIENT_ASKS.map((t) => attr(t)) } };
}

/** The server's values for one requested type (`addr` the leased address, if one was asked for and given). */
function serverValues(t: number, ctx: EngineCtx, addr: Uint8Array | undefined): Uint8Array[] {
  const mc = ctx.conf.modeCfg!;
  const subnet = (p: Prefix) => Uint8Array.of(...p.addr, ...maskOf(p.len));
  switch (t) {
    case K.IKEV2_CFG_ATTR_INTERNAL_IP4_ADDRESS:
      return addr ? [addr] : [];
    case K.IKEV2_CFG_ATTR_INTERNAL_IP4_NETMASK:
      return addr && mc.netmask4 ? [mc.netmask4] : [];
    case K.IKEV2_CFG_ATTR_INTERNAL_IP4_DNS:
      return mc.dns4;
    case K.IKEV2_CFG_ATTR_INTERNAL_IP4_NBNS:
      return mc.wins4;
    case K.IKEV2_CFG_ATTR_INTERNAL_IP4_SUBNET:
      return mc.splitNetworks.filter((n) => n.kind === 'include' && n.prefix.family === 4).map((n) => subnet(n.prefix));
    case K.IKEV2_CFG_ATTR_INTERNAL_DNS_DOMAIN:
      return mc.defaultDomain ? [new Uint8Array(Buffer.from(mc.defaultDomain, 'latin1'))] : [];
    case K.IKEV2_CFG_ATTR_SUPPORTED_ATTRIBUTES: {
      const out = new Uint8Array(SERVER_GIVES.length * 2);
      SERVER_GIVES.forEach((g, i) => Buffer.from(out.buffer, out.byteOffset).writeUInt16BE(g, i * 2));
      return [out];
    }
    default:
      return [];
  }
}

/** What the server's answer to a CFG_REQUEST holds. */
export interface CfgAnswer {
  /** CP(CFG_REPLY), or undefined when the request is not one we answer (no mode_cfg section, another type). */
  payload?: Ikev2Payload;
  /** The leased address (TSi narrows to it); undefined when none was asked for. */
  addr4?: Uint8Array;
  /** An address was asked for and none is left: INTERNAL_ADDRESS_FAILURE instead of the child (§3.10.1). */
  exhausted?: boolean;
}

/**
 * Server: the answer to the client's CP, with an address leased to this IKE SA (the same one when asked
 * again). Requested types are answered once each, at most MAX_CFG_ATTRS of them.
 */
export function serveRequest(ctx: EngineCtx, sa: IkeSa, req: readonly Ikev2Payload[]): CfgAnswer {
  const cp = single(req, K.IKEV2_PAYLOAD_CP);
  const mc = ctx.conf.modeCfg;
  if (!cp) return {};
  if (!mc || cp.cfgType !== K.IKEV2_CFG_REQUEST) {
    ctx.stats.cfgDropped++;
    ctx.log(
      'notice',
      `CP ${K.IKEV2_CFG_NAMES[cp.cfgType] ?? cp.cfgType} from ${formatAddr(sa.remote.addr)} ignored: ` +
        (mc ? 'only CFG_REQUEST is answered' : 'no mode_cfg section'),
    );
    return {};
  }
  const types = [...new Set(cp.attrs.slice(0, MAX_CFG_ATTRS).map((a) => a.type))];
  let addr4: Uint8Array | undefined;
  if (types.includes(K.IKEV2_CFG_ATTR_INTERNAL_IP4_ADDRESS)) {
    addr4 = lease(ctx, sa);
    if (!addr4) return { exhausted: true };
  }
  const attrs: Ikev2CfgAttr[] = [];
  for (const t of types) for (const v of serverValues(t, ctx, addr4)) attrs.push(attr(t, v));
  const result: ModeCfgResult = { ...emptyResult(), addr4, mask4: addr4 ? mc.netmask4 : undefined, dns4: mc.dns4 };
  result.wins4 = mc.wins4;
  sa.cfg = { client: false, result };
  return { payload: { type: K.IKEV2_PAYLOAD_CP, body: { cfgType: K.IKEV2_CFG_REPLY, attrs } }, addr4 };
}

/** An address of the daemon's pool for this IKE SA, counted and logged as IKEv1 mode config does. */
function lease(ctx: EngineCtx, sa: IkeSa): Uint8Array | undefined {
  const mc = ctx.conf.modeCfg!;
  if (!mc.network4 || mc.confSource === 'radius' || mc.confSource === 'ldap') {
    ctx.log('error', `CP from ${formatAddr(sa.remote.addr)}: mode_cfg has no network4 to lease from`);
    return undefined;
  }
  const size = mc.poolSize ?? DEFAULT_POOL_SIZE;
  const a = sharedPool(ctx, mc.network4, size).alloc(sa.id);
  if (a) {
    ctx.stats.cfgAddrAssigned++;
    ctx.log('info', `CP: address ${formatAddr(a)} given to ${formatAddr(sa.remote.addr)} (IKEv2 SA ${sa.id})`);
  } else {
    ctx.stats.cfgPoolExhausted++;
    ctx.log('error', `CP: no address left in the pool (pool_size ${size}) for ${formatAddr(sa.remote.addr)}`);
  }
  return a;
}

/** Client: the CFG_REPLY of the IKE_AUTH response, kept on the IKE SA and logged. */
export function takeReply(ctx: EngineCtx, sa: IkeSa, payloads: readonly Ikev2Payload[]): void {
  const cp = single(payloads, K.IKEV2_PAYLOAD_CP);
  const r = emptyResult();
  const v6: Cfg6 = { dns6: [] };
  sa.cfg = { client: true, result: r, v6 };
  const peer = formatAddr(sa.remote.addr);
  if (!cp || cp.cfgType !== K.IKEV2_CFG_REPLY) {
    ctx.log('warn', `CP: ${peer} sent no CFG_REPLY: no address`);
    return;
  }
  const bad = readReply(cp, r, v6);
  if (bad) {
    ctx.stats.cfgDropped += bad;
    ctx.log('warn', `CP from ${peer}: ${bad} attributes skipped (malformed or beyond ${MAX_CFG_ATTRS})`);
  }
  if (r.addr4) ctx.log('info', `CP: got address ${formatAddr(r.addr4)} from ${peer}`);
  if (v6.addr6) ctx.log('info', `CP: got address ${formatAddr(v6.addr6)}/${v6.plen6} from ${peer}`);
  if (!r.addr4 && !v6.addr6) ctx.log('warn', `CP: ${peer} gave no address`);
}

/** The IKE SA goes: a server's lease returns to the pool. */
export function releaseLease(ctx: EngineCtx, sa: IkeSa): void {
  if (!sa.cfg || sa.cfg.client) return;
  const gone = existingPool(ctx)?.release(sa.id);
  if (gone) ctx.log('info', `CP: address ${gone} released (IKEv2 SA ${sa.id} gone)`);
}

/** A rekeyed IKE SA (§2.18): the new one keeps the configuration and the lease. */
export function moveLease(ctx: EngineCtx, old: IkeSa, to: IkeSa): void {
  if (!old.cfg) return;
  to.cfg = old.cfg;
  to.scriptUp = old.scriptUp;
  old.scriptUp = false;
  if (!old.cfg.client) existingPool(ctx)?.transfer(old.id, to.id);
  old.cfg = undefined;
}
