// Tunnel-mode outer headers shared by ESP, AH and IPComp (RFC 4301 §5.1.2): build the outer IPv4/IPv6
// header for 4-in-4, 6-in-6, 4-in-6 and 6-in-4 (§5.1.2.1/§5.1.2.2), and check and strip on input with
// the ECN rules of RFC 6040 §4.1/§4.2.
import type { ProtoStatPrefix, StatName } from '../stats.js';
import { IPPROTO_IPV4, IPPROTO_IPV6, IPV6_HEADER_BYTES, IPV4_MIN_HEADER_BYTES, IP_DF } from '../ip/constants.js';
import { internetChecksum, updateChecksum16 } from '../ip/checksum.js';
import { ecnEncap, ecnDecap, type EcnMode } from './ecn.js';
import type { Rng } from '../../common/rng.js';

/** Outer DF bit policy (RFC 4301 §8.1): copy it from an IPv4 inner header, or always set / clear it. */
export type DfPolicy = 'copy' | 'set' | 'clear';

export interface TunnelOptions {
  /** Outer TTL / hop limit (RFC 4301 §5.1.2.1: a fresh value, not the inner one). */
  ttl: number;
  df: DfPolicy;
  ecn: EcnMode;
}

export const DEFAULT_TUNNEL_OPTIONS: Readonly<TunnelOptions> = { ttl: 64, df: 'copy', ecn: 'normal' };

/** Why an inner packet was refused; the caller turns it into its own counter (esps_*, ahs_*, ipcomps_*). */
export type TunnelError = 'inner-proto' | 'inner-short' | 'inner-length' | 'ecn-drop';

export type InnerResult = { ok: true; packet: Uint8Array } | { ok: false; error: TunnelError };

/** Outer header size for an outer address: 20 for IPv4, 40 for IPv6. */
export function outerHeaderBytes(outerAddr: Uint8Array): number {
  return outerAddr.length === 4 ? IPV4_MIN_HEADER_BYTES : IPV6_HEADER_BYTES;
}

/** The tunnel next header for an inner packet (4 or 41), or -1 if it is not IPv4/IPv6. */
export function innerProtoOf(inner: Uint8Array, off = 0): number {
  const v = inner.length > off ? inner[off]! >> 4 : 0;
  return v === 4 ? IPPROTO_IPV4 : v === 6 ? IPPROTO_IPV6 : -1;
}

/** The DS byte (DSCP + ECN) of an IPv4 or IPv6 header at `off` (IPv4 TOS; IPv6 traffic class). */
export function dsByteOf(pkt: Uint8Array, off = 0): number {
  if (pkt[off]! >> 4 === 4) return pkt[off + 1]!;
  return ((pkt[off]! & 0x0f) << 4) | (pkt[off + 1]! >> 4);
}

function setDsByte(pkt: Uint8Array, off: number, ds: number): void {
  if (pkt[off]! >> 4 === 4) {
    // RFC 1624 incremental update of the header checksum: a corrupt inner header stays detectably corrupt.
    const oldWord = (pkt[off]! << 8) | pkt[off + 1]!;
    pkt[off + 1] = ds;
    const c = updateChecksum16((pkt[off + 10]! << 8) | pkt[off + 11]!, oldWord, (pkt[off]! << 8) | ds);
    pkt[off + 10] = c >> 8;
    pkt[off + 11] = c & 0xff;
  } else {
    pkt[off] = 0x60 | (ds >> 4);
    pkt[off + 1] = ((ds & 0x0f) << 4) | (pkt[off + 1]! & 0x0f);
  }
}

/**
 * Writes the outer header at out[off..] for a tunnel carrying `payloadLen` bytes of `proto` (50, 51, 108),
 * taking DSCP/ECN (RFC 4301 §5.1.2.1, RFC 6040 §4.1), DF and the IPv6 flow label from the inner packet
 * at inner[innerOff..]. Returns the header length. The IPv4 identification comes from `rng`.
 */
export function writeOuterHeader(
  out: Uint8Array,
  off: number,
  src: Uint8Array,
  dst: Uint8Array,
  proto: number,
  payloadLen: number,
  inner: Uint8Array,
  innerOff: number,
  rng: Rng,
  opts: Readonly<TunnelOptions> = DEFAULT_TUNNEL_OPTIONS,
): number {
  const innerDs = dsByteOf(inner, innerOff);
  const ds = (innerDs & 0xfc) | ecnEncap(innerDs & 3, opts.ecn);
  if (src.length === 4) {
    const total = IPV4_MIN_HEADER_BYTES + payloadLen;
    out[off] = 0x45;
    out[off + 1] = ds;
    out[off + 2] = total >> 8;
    out[off + 3] = total & 0xff;
    rng.fill(out, off + 4, 2); // RFC 6864 §4.1: any value unique enough; random avoids a shared counter
    out[off + 6] = outerDf(inner, innerOff, opts.df) ? IP_DF >> 8 : 0;
    out[off + 7] = 0;
    out[off + 8] = opts.ttl;
    out[off + 9] = proto;
    out[off + 10] = 0;
    out[off + 11] = 0;
    out.set(src, off + 12);
    out.set(dst, off + 16);
    const c = internetChecksum(out, off, IPV4_MIN_HEADER_BYTES);
    out[off + 10] = c >> 8;
    out[off + 11] = c & 0xff;
    return IPV4_MIN_HEADER_BYTES;
  }
  // RFC 6437 §3: copying the inner flow label keeps one inner flow on one outer flow.
  const innerV6 = inner[innerOff]! >> 4 === 6;
  out[off] = 0x60 | (ds >> 4);
  out[off + 1] = ((ds & 0x0f) << 4) | (innerV6 ? inner[innerOff + 1]! & 0x0f : 0);
  out[off + 2] = innerV6 ? inner[innerOff + 2]! : 0;
  out[off + 3] = innerV6 ? inner[innerOff + 3]! : 0;
  out[off + 4] = payloadLen >> 8;
  out[off + 5] = payloadLen & 0xff;
  out[off + 6] = proto;
  out[off + 7] = opts.ttl;
  out.set(src, off + 8);
  out.set(dst, off + 24);
  return IPV6_HEADER_BYTES;
}

/** RFC 4301 §8.1: "copy" takes DF from an IPv4 inner header; an IPv6 inner one (no DF bit) gives clear. */
function outerDf(inner: Uint8Array, innerOff: number, df: DfPolicy): boolean {
  if (df !== 'copy') return df === 'set';
  return inner[innerOff]! >> 4 === 4 && (inner[innerOff + 6]! & (IP_DF >> 8)) !== 0;
}

/**
 * Input side: checks the inner packet in buf[start, end) against the tunnel next header (4 or 41), trims
 * any trailing TFC padding to the inner header's own length (RFC 4303 §2.7), and folds the outer ECN
 * field into the inner header in place (RFC 6040 §4.2). Returns a view of buf.
 */
export function stripOuter(
  buf: Uint8Array,
  start: number,
  end: number,
  nextHeader: number,
  outerEcn: number,
): InnerResult {
  const avail = end - start;
  if (avail < 1) return { ok: false, error: 'inner-short' };
  const v = buf[start]! >> 4;
  let len: number;
  if (nextHeader === IPPROTO_IPV4 && v === 4) {
    if (avail < IPV4_MIN_HEADER_BYTES) return { ok: false, error: 'inner-short' };
    const hl = (buf[start]! & 0x0f) << 2;
    len = (buf[start + 2]! << 8) | buf[start + 3]!;
    if (hl < IPV4_MIN_HEADER_BYTES || len < hl || len > avail) return { ok: false, error: 'inner-length' };
  } else if (nextHeader === IPPROTO_IPV6 && v === 6) {
    if (avail < IPV6_HEADER_BYTES) return { ok: false, error: 'inner-short' };
    len = IPV6_HEADER_BYTES + ((buf[start + 4]! << 8) | buf[start + 5]!);
    if (len > avail) return { ok: false, error: 'inner-length' };
  } else {
    return { ok: false, error: 'inner-proto' };
  }
  const ds = dsByteOf(buf, start);
  const ecn = ecnDecap(ds & 3, outerEcn);
  if (ecn < 0) return { ok: false, error: 'ecn-drop' };
  if (ecn !== (ds & 3)) setDsByte(buf, start, (ds & 0xfc) | ecn);
  return { ok: true, packet: buf.subarray(start, start + len) };
}

/** The KAME-style counter for a tunnel error under a protocol prefix ('esps', 'ahs', 'ipcomps'). */
export function tunnelDropReason(prefix: ProtoStatPrefix, error: TunnelError): StatName {
  // Malformed inner headers count as header drops (KAME *_hdrops); the ECN case has its own counter.
  return error === 'ecn-drop' ? `${prefix}_ecn` : error === 'inner-proto' ? `${prefix}_badinner` : `${prefix}_hdrops`;
}
