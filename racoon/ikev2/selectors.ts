// Traffic selectors from the SPD (RFC 7296 §2.9, §3.13): a policy's selectors as TSi/TSr address ranges, the
// intersection and subset tests narrowing needs, and the responder's search for the inbound IPsec policy a
// proposal falls under, answered with the proposal narrowed to that policy. Racoon keeps the SPD in the kernel
// (setkey), so a narrowed child still follows the policy that matched, as an IKEv1 quick mode does.
import { maskAddr } from '../../common/inet.js';
import * as P from '../../pfkey/constants.js';
import type { Phase2Id } from '../conf/lookup.js';
import type { SpEntry } from '../sa/pfkey-bridge.js';
import { IKEV2_TS_IPV4_ADDR_RANGE, IKEV2_TS_IPV6_ADDR_RANGE } from './constants.js';
import { isAddrSelector, type Ikev2AddrSelector, type Ikev2Selector } from './payloads/ts.js';

const PORT_ANY_END = 65535;

function cmp(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** The highest address of a prefix: every host bit set. */
function lastAddr(addr: Uint8Array, len: number): Uint8Array {
  const out = maskAddr(addr, len);
  for (let i = len; i < addr.length * 8; i++) out[i >> 3]! |= 0x80 >> (i & 7);
  return out;
}

/** One side of a policy as a selector (§3.13.1): the prefix as a range, its port or all, its protocol or any. */
export function selectorOf(side: SpEntry['src'], proto: number): Ikev2AddrSelector {
  return {
    tsType: side.addr.length === 4 ? IKEV2_TS_IPV4_ADDR_RANGE : IKEV2_TS_IPV6_ADDR_RANGE,
    protocol: proto === P.IPSEC_ULPROTO_ANY ? 0 : proto,
    startPort: side.port,
    endPort: side.port === 0 ? PORT_ANY_END : side.port,
    startAddr: maskAddr(side.addr, side.len),
    endAddr: lastAddr(side.addr, side.len),
  };
}

/** TSi and TSr of an outbound policy, as its initiator proposes them (our side first). */
export function policySelectors(sp: SpEntry): { tsi: Ikev2AddrSelector; tsr: Ikev2AddrSelector } {
  return { tsi: selectorOf(sp.src, sp.proto), tsr: selectorOf(sp.dst, sp.proto) };
}

/** a ∩ b, or undefined when empty (another family, protocol, or disjoint ranges). */
export function intersect(a: Ikev2Selector, b: Ikev2Selector): Ikev2AddrSelector | undefined {
  if (!isAddrSelector(a) || !isAddrSelector(b) || a.tsType !== b.tsType) return undefined;
  if (a.protocol !== 0 && b.protocol !== 0 && a.protocol !== b.protocol) return undefined;
  const startAddr = cmp(a.startAddr, b.startAddr) >= 0 ? a.startAddr : b.startAddr;
  const endAddr = cmp(a.endAddr, b.endAddr) <= 0 ? a.endAddr : b.endAddr;
  const startPort = Math.max(a.startPort, b.startPort);
  const endPort = Math.min(a.endPort, b.endPort);
  if (cmp(startAddr, endAddr) > 0 || startPort > endPort) return undefined;
  return { tsType: a.tsType, protocol: a.protocol || b.protocol, startPort, endPort, startAddr, endAddr };
}

/** a ⊆ b. */
export function isSubset(a: Ikev2Selector, b: Ikev2Selector): boolean {
  const i = intersect(a, b);
  return i !== undefined && isAddrSelector(a) && sameSelector(i, a);
}

export function sameSelector(a: Ikev2AddrSelector, b: Ikev2AddrSelector): boolean {
  return (
    a.tsType === b.tsType &&
    a.protocol === b.protocol &&
    a.startPort === b.startPort &&
    a.endPort === b.endPort &&
    cmp(a.startAddr, b.startAddr) === 0 &&
    cmp(a.endAddr, b.endAddr) === 0
  );
}

/** Every selector of `answer` lies within one of `proposed` (the initiator's check of a narrowed answer). */
export function allWithin(answer: readonly Ikev2Selector[], proposed: readonly Ikev2Selector[]): boolean {
  return answer.length > 0 && answer.every((a) => proposed.some((p) => isSubset(a, p)));
}

/** The first proposed selector that meets `policy`, narrowed to it (§2.9). */
function narrowTo(proposed: readonly Ikev2Selector[], policy: Ikev2AddrSelector): Ikev2AddrSelector | undefined {
  for (const p of proposed) {
    const i = intersect(p, policy);
    if (i) return i;
  }
  return undefined;
}

export interface PolicyMatch {
  sp: SpEntry;
  /** The proposal narrowed to the policy: TSi (the initiator's side) and TSr (ours). */
  tsi: Ikev2AddrSelector;
  tsr: Ikev2AddrSelector;
}

/**
 * Responder (§2.9): the inbound IPsec policy (peer side = source, our side = destination) that `tsi`/`tsr`
 * meet. A policy the proposal covers whole is preferred (no narrowing); otherwise the first that meets it.
 */
export function matchInboundPolicy(
  spd: Iterable<SpEntry>,
  tsi: readonly Ikev2Selector[],
  tsr: readonly Ikev2Selector[],
): PolicyMatch | undefined {
  let partial: PolicyMatch | undefined;
  for (const sp of spd) {
    if (sp.dir !== P.IPSEC_DIR_INBOUND || sp.type !== P.IPSEC_POLICY_IPSEC) continue;
    const polI = selectorOf(sp.src, sp.proto);
    const polR = selectorOf(sp.dst, sp.proto);
    const ni = narrowTo(tsi, polI);
    const nr = narrowTo(tsr, polR);
    if (!ni || !nr) continue;
    if (sameSelector(ni, polI) && sameSelector(nr, polR)) return { sp, tsi: ni, tsr: nr };
    partial ??= { sp, tsi: ni, tsr: nr };
  }
  return partial;
}

/** A selector for the log: `10.0.0.0-10.0.0.255[0-65535]/any`. */
export function selectorText(s: Ikev2Selector): string {
  if (!isAddrSelector(s)) return `type${s.tsType}`;
  const fmt = (a: Uint8Array) =>
    a.length === 4
      ? [...a].join('.')
      : Buffer.from(a)
          .toString('hex')
          .replace(/(.{4})(?!$)/g, '$1:');
  const ports = s.startPort === 0 && s.endPort === PORT_ANY_END ? '' : `[${s.startPort}-${s.endPort}]`;
  const range = cmp(s.startAddr, s.endAddr) === 0 ? fmt(s.startAddr) : `${fmt(s.startAddr)}-${fmt(s.endAddr)}`;
  return `${range}${ports}${s.protocol ? `/${s.protocol}` : ''}`;
}

/** The prefix a selector's range is, if it is one (for sainfo matching, racoon getsainfo). */
export function phase2IdOfSelector(s: Ikev2Selector): Phase2Id | undefined {
  if (!isAddrSelector(s)) return undefined;
  const bits = s.startAddr.length * 8;
  for (let len = 0; len <= bits; len++) {
    if (cmp(maskAddr(s.startAddr, len), s.startAddr) !== 0) continue;
    if (cmp(lastAddr(s.startAddr, len), s.endAddr) !== 0) continue;
    const port = s.startPort === s.endPort ? s.startPort : 0;
    return { prefix: { family: s.startAddr.length === 4 ? 4 : 6, addr: s.startAddr, len }, proto: s.protocol, port };
  }
  return undefined;
}
