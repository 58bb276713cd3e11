// Mode config attributes (draft-ietf-ipsec-isakmp-mode-cfg-05 §3.3, racoon isakmp_cfg.c / isakmp_unity.c):
// what a server answers from its `mode_cfg { }` section and the address it assigned, and what a client keeps
// from a REPLY or SET. Every received value is length-checked; anything odd is skipped and counted, never
// trusted, and the number of attributes and networks read from one payload is bounded.
import { readFileSync } from 'node:fs';
import { formatAddr, type Prefix } from '../../../common/inet.js';
import type { ModeCfgConf } from '../../conf/ast.js';
import * as C from '../../isakmp/constants.js';
import { attrTLV, type IsakmpAttribute } from '../../isakmp/payloads/attributes.js';

/** Attributes read from one payload, networks kept per list, banner bytes kept (a hostile server's bounds). */
export const MAX_CFG_ATTRS = 64;
export const MAX_SPLIT_NETWORKS = 32;
export const MAX_TEXT_BYTES = 4096;
/** A Cisco Unity split network entry: address, mask, 6 bytes of protocol and ports (isakmp_unity.h). */
const UNITY_NETWORK_LEN = 14;

/** What a client was given (racoon `struct isakmp_cfg_state` fields the scripts see). */
export interface ModeCfgResult {
  addr4?: Uint8Array;
  mask4?: Uint8Array;
  dns4: Uint8Array[];
  wins4: Uint8Array[];
  splitInclude: Prefix[];
  splitLocal: Prefix[];
  defaultDomain?: string;
  splitDns?: string;
  banner?: string;
}

export function emptyResult(): ModeCfgResult {
  return { dns4: [], wins4: [], splitInclude: [], splitLocal: [] };
}

/** What a racoon client asks for (isakmp_cfg_getconfig): empty attributes of each type. */
export const CLIENT_REQUEST_TYPES: readonly number[] = [
  C.INTERNAL_IP4_ADDRESS,
  C.INTERNAL_IP4_NETMASK,
  C.INTERNAL_IP4_DNS,
  C.INTERNAL_IP4_NBNS,
  C.UNITY_BANNER,
  C.UNITY_DEF_DOMAIN,
  C.UNITY_SPLIT_DNS,
  C.UNITY_SPLIT_INCLUDE,
  C.UNITY_LOCAL_LAN,
];

const empty = new Uint8Array(0);
const text = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

function prefixLen(mask: Uint8Array): number | undefined {
  let n = 0;
  for (const b of mask) for (let bit = 7; bit >= 0; bit--) if ((b >> bit) & 1) n++;
  return n;
}

function maskOf(len: number): Uint8Array {
  const m = new Uint8Array(4);
  for (let i = 0; i < len; i++) m[i >> 3]! |= 0x80 >> (i & 7);
  return m;
}

function unityNetworks(list: readonly Prefix[]): Uint8Array {
  const out = new Uint8Array(list.length * UNITY_NETWORK_LEN);
  list.forEach((p, i) => {
    out.set(p.addr, i * UNITY_NETWORK_LEN);
    out.set(maskOf(p.len), i * UNITY_NETWORK_LEN + 4);
  });
  return out;
}

/** The banner file's first MAX_TEXT_BYTES (racoon sends the MOTD file); unreadable: no banner, logged. */
export function readBanner(path: string, log: (msg: string) => void): Uint8Array | undefined {
  try {
    const b = readFileSync(path);
    return new Uint8Array(b.subarray(0, MAX_TEXT_BYTES));
  } catch (e) {
    log(`mode_cfg banner ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    return undefined;
  }
}

/** The server's value for one requested attribute type, or undefined when it has none to give. */
function serverValue(
  t: number,
  mc: ModeCfgConf,
  addr: Uint8Array | undefined,
  banner: () => Uint8Array | undefined,
): Uint8Array[] | undefined {
  switch (t) {
    case C.INTERNAL_IP4_ADDRESS:
      return addr ? [addr] : undefined;
    case C.INTERNAL_IP4_NETMASK:
      return addr && mc.netmask4 ? [mc.netmask4] : undefined;
    case C.INTERNAL_IP4_DNS:
      return mc.dns4.length ? mc.dns4 : undefined;
    case C.INTERNAL_IP4_NBNS:
      return mc.wins4.length ? mc.wins4 : undefined;
    case C.UNITY_DEF_DOMAIN:
      return mc.defaultDomain ? [text(mc.defaultDomain)] : undefined;
    case C.UNITY_SPLIT_DNS:
      return mc.splitDns.length ? [text(mc.splitDns.join(','))] : undefined;
    case C.UNITY_SPLIT_INCLUDE:
    case C.UNITY_LOCAL_LAN: {
      const kind = t === C.UNITY_SPLIT_INCLUDE ? 'include' : 'local_lan';
      const nets = mc.splitNetworks.filter((n) => n.kind === kind).map((n) => n.prefix);
      return nets.length ? [unityNetworks(nets)] : undefined;
    }
    case C.UNITY_BANNER: {
      const b = mc.banner ? banner() : undefined;
      return b ? [b] : undefined;
    }
    default:
      return undefined;
  }
}

/** A server's REPLY to the types a client asked for (each answered at most once; unknown types left out). */
export function serverReply(
  requested: readonly IsakmpAttribute[],
  mc: ModeCfgConf,
  addr: Uint8Array | undefined,
  banner: () => Uint8Array | undefined,
): IsakmpAttribute[] {
  const out: IsakmpAttribute[] = [];
  const seen = new Set<number>();
  for (const a of requested.slice(0, MAX_CFG_ATTRS)) {
    if (seen.has(a.type)) continue;
    seen.add(a.type);
    for (const v of serverValue(a.type, mc, addr, banner) ?? []) out.push(attrTLV(a.type, v));
  }
  return out;
}

/** A client's REQUEST: every type it understands, empty. */
export function clientRequest(): IsakmpAttribute[] {
  return CLIENT_REQUEST_TYPES.map((t) => attrTLV(t, empty));
}

function networks(data: Uint8Array, into: Prefix[]): boolean {
  if (data.length === 0 || data.length % UNITY_NETWORK_LEN !== 0) return false;
  for (let off = 0; off < data.length && into.length < MAX_SPLIT_NETWORKS; off += UNITY_NETWORK_LEN) {
    const len = prefixLen(data.subarray(off + 4, off + 8));
    into.push({ family: 4, addr: data.slice(off, off + 4), len: len ?? 32 });
  }
  return true;
}

const ipv4 = (d: Uint8Array) => (d.length === 4 ? d.slice() : undefined);
/** Text from the peer: bounded, control characters (other than tab and newline) shown as '?'. */
const str = (d: Uint8Array) =>
  Array.from(Buffer.from(d.subarray(0, MAX_TEXT_BYTES)).toString('utf8'), (c) => {
    const n = c.charCodeAt(0);
    return (n < 0x20 && c !== '\t' && c !== '\n') || n === 0x7f ? '?' : c;
  }).join('');

/** One received attribute into `r`; false when its value is malformed (skipped). Unknown types are ignored. */
function take(a: IsakmpAttribute, r: ModeCfgResult): boolean {
  if (a.tv) return true; // no mode-config attribute here is a TV one; ignored as racoon does
  const d = a.data;
  switch (a.type) {
    case C.INTERNAL_IP4_ADDRESS:
      return (r.addr4 = ipv4(d)) !== undefined;
    case C.INTERNAL_IP4_NETMASK:
      return (r.mask4 = ipv4(d)) !== undefined;
    case C.INTERNAL_IP4_DNS:
    case C.INTERNAL_IP4_NBNS: {
      const v = ipv4(d);
      const list = a.type === C.INTERNAL_IP4_DNS ? r.dns4 : r.wins4;
      if (v && list.length < 4) list.push(v);
      return v !== undefined;
    }
    case C.UNITY_SPLIT_INCLUDE:
      return networks(d, r.splitInclude);
    case C.UNITY_LOCAL_LAN:
      return networks(d, r.splitLocal);
    case C.UNITY_DEF_DOMAIN:
      r.defaultDomain = str(d);
      return true;
    case C.UNITY_SPLIT_DNS:
      r.splitDns = str(d);
      return true;
    case C.UNITY_BANNER:
      r.banner = str(d);
      return true;
    default:
      return true;
  }
}

/** Reads a REPLY or SET into a result; returns how many attributes were malformed or beyond the bound. */
export function readAttributes(attrs: readonly IsakmpAttribute[], r: ModeCfgResult): number {
  let bad = Math.max(0, attrs.length - MAX_CFG_ATTRS);
  for (const a of attrs.slice(0, MAX_CFG_ATTRS)) if (!take(a, r)) bad++;
  return bad;
}

const cidr = (p: Prefix) => `${formatAddr(p.addr)}/${p.len}`;
const dotted = (p: Prefix) => `${formatAddr(p.addr)}/${formatAddr(maskOf(p.len))}`;

/** racoon isakmp_cfg_setenv: the variables a script sees about the configuration. */
export function cfgEnv(r: ModeCfgResult): Record<string, string> {
  const env: Record<string, string> = {};
  if (r.addr4) env.INTERNAL_ADDR4 = formatAddr(r.addr4);
  if (r.mask4) {
    env.INTERNAL_NETMASK4 = formatAddr(r.mask4);
    env.INTERNAL_CIDR4 = String(prefixLen(r.mask4));
  }
  if (r.dns4[0]) env.INTERNAL_DNS4 = formatAddr(r.dns4[0]);
  env.INTERNAL_DNS4_LIST = r.dns4.map(formatAddr).join(' ');
  if (r.wins4[0]) env.INTERNAL_WINS4 = formatAddr(r.wins4[0]);
  env.INTERNAL_WINS4_LIST = r.wins4.map(formatAddr).join(' ');
  if (r.defaultDomain !== undefined) env.DEFAULT_DOMAIN = r.defaultDomain;
  if (r.splitDns !== undefined) env.SPLIT_DNS = r.splitDns;
  // racoon splitnet_list_2str: `addr/mask` in SPLIT_*, `addr/len` in SPLIT_*_CIDR.
  env.SPLIT_INCLUDE = r.splitInclude.map(dotted).join(' ');
  env.SPLIT_INCLUDE_CIDR = r.splitInclude.map(cidr).join(' ');
  env.SPLIT_LOCAL = r.splitLocal.map(dotted).join(' ');
  env.SPLIT_LOCAL_CIDR = r.splitLocal.map(cidr).join(' ');
  return env;
}
