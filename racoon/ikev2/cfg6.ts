// IPv6 in the configuration payload, client side (RFC 7296 §3.15.1; RFC 5739 for the prefix length): a
// gateway's INTERNAL_IP6_ADDRESS (16 bytes of address + 1 of prefix length) and INTERNAL_IP6_DNS, validated
// and bounded before a script sees them, and the phase1_up environment racoon2's iked uses for them
// (INTERNAL_ADDR6, INTERNAL_DNS6), with racoon's IKEv1 pattern for the rest (INTERNAL_CIDR6 beside
// INTERNAL_CIDR4, INTERNAL_DNS6_LIST beside INTERNAL_DNS4_LIST). racoon's mode_cfg pool holds IPv4 only, so a
// racoon server answers IPv6 requests without a value (§3.15.1 lets it).
import { formatAddr } from '../../common/inet.js';
import * as K from './constants.js';
import type { Ikev2CfgAttr } from './payloads/cp.js';

/** What a client received for IPv6. */
export interface Cfg6 {
  addr6?: Uint8Array;
  plen6?: number;
  dns6: Uint8Array[];
}

/** DNS servers kept, as for IPv4 (cfg.ts). */
const MAX_DNS6 = 4;

/** An address a gateway may give or name as a server: not ::, ::1, multicast (ff00::/8) or IPv4-mapped. */
function usable6(a: Uint8Array): boolean {
  if (a.length !== 16 || a[0] === 0xff) return false;
  const zeros = a.subarray(0, 10).every((b) => b === 0);
  if (zeros && a[10] === 0xff && a[11] === 0xff) return false; // ::ffff:a.b.c.d
  return !(zeros && a.subarray(10, 15).every((b) => b === 0) && (a[15] === 0 || a[15] === 1));
}

/**
 * One IPv6 attribute of a CFG_REPLY into `v6`: true when used or harmlessly repeated, false when malformed
 * (the caller counts it), undefined when the type is not an IPv6 one this reads.
 */
export function takeIp6(a: Ikev2CfgAttr, v6: Cfg6): boolean | undefined {
  const v = a.value;
  switch (a.type) {
    case K.IKEV2_CFG_ATTR_INTERNAL_IP6_ADDRESS: {
      // §3.15.1: 17 bytes; a prefix length above 128 or a reserved address is refused.
      if (v.length !== 17 || v[16]! > 128 || !usable6(v.subarray(0, 16))) return false;
      if (v6.addr6) return true; // several may come; the first is ours
      v6.addr6 = v.slice(0, 16);
      v6.plen6 = v[16]!;
      return true;
    }
    case K.IKEV2_CFG_ATTR_INTERNAL_IP6_DNS:
      if (v.length !== 16 || !usable6(v)) return false;
      if (v6.dns6.length < MAX_DNS6) v6.dns6.push(v.slice());
      return true;
    default:
      return undefined;
  }
}

/** The phase1_up / phase1_down environment for IPv6 (empty when nothing came). */
export function cfg6Env(v6: Cfg6 | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  if (!v6) return env;
  if (v6.addr6) {
    env.INTERNAL_ADDR6 = formatAddr(v6.addr6);
    env.INTERNAL_CIDR6 = String(v6.plen6 ?? 128);
  }
  if (v6.dns6[0]) env.INTERNAL_DNS6 = formatAddr(v6.dns6[0]);
  if (v6.dns6.length) env.INTERNAL_DNS6_LIST = v6.dns6.map(formatAddr).join(' ');
  return env;
}
