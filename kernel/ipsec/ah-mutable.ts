// AH's view of the IP header for the ICV (RFC 4302 §3.3.3.1): fields and options that may change in
// transit are zeroed, "mutable but predictable" ones are set to their value at the receiver. The functions
// work in place on a COPY of the headers in front of AH (the packet itself is never touched).
import {
  IPPROTO_DSTOPTS,
  IPPROTO_HOPOPTS,
  IPPROTO_ROUTING,
  IPV4_MIN_HEADER_BYTES,
  IPV6_HEADER_BYTES,
  IPOPT_EOL,
  IPOPT_NOP,
  IPOPT_LSRR,
  IPOPT_SSRR,
  IP6OPT_PAD1,
  IP6OPT_MUTABLE,
} from '../ip/constants.js';

/** RFC 4302 Appendix A.1: the IPv4 options included as they are; every other option is zeroed whole. */
export const AH_IPV4_IMMUTABLE_OPTIONS: ReadonlySet<number> = new Set([
  0, // End of Options List
  1, // No Operation
  130, // Security (RFC 1108)
  133, // Extended Security (RFC 1108)
  134, // Commercial Security
  148, // Router Alert (RFC 2113)
  149, // Sender Directed Multi-Destination Delivery (RFC 1770)
]);

/** RFC 4302 Appendix A.2 / RFC 5095: routing types whose processing swaps dst with the next address. */
const SWAPPING_ROUTING_TYPES: ReadonlySet<number> = new Set([0, 2]);

/**
 * RFC 4302 §3.3.3.1.1: zeroes TOS, flags + fragment offset, TTL and checksum of the IPv4 header at h[0],
 * and every option not in AH_IPV4_IMMUTABLE_OPTIONS (the whole option, type and length included,
 * §3.3.3.1.1.2). Bytes after End of Options are padding and zeroed. When `sending`, a source route that
 * is not used up puts its final hop in the destination field ("mutable but predictable").
 * Returns false if the options are malformed.
 */
export function zeroMutableIpv4(h: Uint8Array, sending: boolean): boolean {
  const hl = (h[0]! & 0x0f) << 2;
  if (hl < IPV4_MIN_HEADER_BYTES || hl > h.length) return false;
  h[1] = 0;
  h[6] = 0;
  h[7] = 0;
  h[8] = 0;
  h[10] = 0;
  h[11] = 0;
  let finalDst = -1;
  for (let i = IPV4_MIN_HEADER_BYTES; i < hl;) {
    const type = h[i]!;
    if (type === IPOPT_EOL) {
      h.fill(0, i, hl);
      break;
    }
    if (type === IPOPT_NOP) {
      i++;
      continue;
    }
    if (i + 1 >= hl) return false;
    const len = h[i + 1]!;
    if (len < 2 || i + len > hl) return false;
    if ((type === IPOPT_LSRR || type === IPOPT_SSRR) && sending) {
      // RFC 791 §3.1: the pointer (1-based, from the option start) names the next address to use.
      const ptr = len >= 3 ? h[i + 2]! : 0;
      if (len >= 7 && ptr >= 4 && ptr <= len - 3) finalDst = i + len - 4;
    }
    if (!AH_IPV4_IMMUTABLE_OPTIONS.has(type)) {
      if (finalDst === i + len - 4) h.copyWithin(16, finalDst, finalDst + 4);
      h.fill(0, i, i + len);
    }
    i += len;
  }
  return true;
}

/**
 * RFC 4302 §3.3.3.1.2: zeroes traffic class, flow label and hop limit of the IPv6 header at h[0], the data
 * of every option whose "may change" bit is set in the hop-by-hop and destination options headers in
 * front of AH (§3.3.3.1.2.2), and, when `sending`, rewrites a type 0/2 routing header with segments left
 * as the receiver will see it (§3.3.3.1.2.2, "mutable but predictable"). `ahOffset` is where AH starts;
 * the chain must reach it exactly through hop-by-hop, routing and destination options headers.
 * Returns false if the chain or an options area is malformed.
 */
export function zeroMutableIpv6(h: Uint8Array, ahOffset: number, sending: boolean): boolean {
  if (h.length < IPV6_HEADER_BYTES || ahOffset < IPV6_HEADER_BYTES || ahOffset > h.length) return false;
  h[0] = h[0]! & 0xf0;
  h[1] = 0;
  h[2] = 0;
  h[3] = 0;
  h[7] = 0;
  let type = h[6]!;
  let at = IPV6_HEADER_BYTES;
  while (at < ahOffset) {
    if (at + 8 > ahOffset) return false;
    const len = (h[at + 1]! + 1) * 8;
    if (at + len > ahOffset) return false;
    if (type === IPPROTO_HOPOPTS || type === IPPROTO_DSTOPTS) {
      if (!zeroMutableOptions(h, at + 2, at + len)) return false;
    } else if (type === IPPROTO_ROUTING) {
      if (sending && !predictRouting(h, at, len)) return false;
    } else {
      return false; // a fragment header or anything else cannot precede AH (RFC 4302 App. A.2)
    }
    type = h[at]!;
    at += len;
  }
  return at === ahOffset;
}

/** Zeroes the data of options with the 0x20 "may change" bit (RFC 8200 §4.2) in h[start, end). */
function zeroMutableOptions(h: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end;) {
    const type = h[i]!;
    if (type === IP6OPT_PAD1) {
      i++;
      continue;
    }
    if (i + 2 > end) return false;
    const len = 2 + h[i + 1]!;
    if (i + len > end) return false;
    if (type & IP6OPT_MUTABLE) h.fill(0, i + 2, i + len);
    i += len;
  }
  return true;
}

/**
 * The sender's prediction of a type 0/2 routing header at the receiver: each hop swaps the destination
 * with the next listed address, so at the end the destination is the last address, the list starts with
 * the first hop, and segments left is 0. Other routing types are accepted only when already used up.
 */
function predictRouting(h: Uint8Array, at: number, len: number): boolean {
  const segLeft = h[at + 3]!;
  if (segLeft === 0) return true;
  if (!SWAPPING_ROUTING_TYPES.has(h[at + 2]!)) return false;
  const n = (len - 8) >> 4;
  if (n === 0 || segLeft > n) return false;
  const next = at + 8 + (n - segLeft) * 16; // the address the next hop will swap in
  const last = at + 8 + (n - 1) * 16;
  const finalDst = h.slice(last, last + 16);
  h.copyWithin(next + 16, next, last); // the remaining entries move one place down
  h.copyWithin(next, 24, 40); // the current destination takes the next entry's place
  h.set(finalDst, 24);
  h[at + 3] = 0;
  return true;
}
