// The one walk over an IP packet's headers: IPv4 (RFC 791 §3.1), or the IPv6 header and its extension
// chain (RFC 8200 §4), with what IPsec needs from it: where the packet ends, the first header that is not an
// extension (upper layer, ESP, AH or IPComp) and the byte naming it, the transport-mode insertion point
// (RFC 4303 §3.1.1, RFC 4302 §3.1.1) and whether it is a fragment. Allocation-free: the results go into an
// IpWalk the caller owns and reuses. The SPD selector, the transforms, ESP-in-UDP and ipv6.ts's chain
// decoder all walk with it, so there is one rule for what a well-formed chain is and where IPsec goes.
import {
  IPV4_MIN_HEADER_BYTES,
  IPV6_HEADER_BYTES,
  IPV6_FRAG_HEADER_BYTES,
  IPPROTO_HOPOPTS,
  IPPROTO_ROUTING,
  IPPROTO_FRAGMENT,
  IPPROTO_DSTOPTS,
  IP_MF,
  IP_OFFMASK,
  IP6F_OFF_MASK,
  IP6OPT_PAD1,
} from './constants.js';

/** Why a walk stopped short (ipv6.ts turns these into ParseErrors, the packet path into counted drops). */
export type WalkError =
  | 'header' // fixed header short, not version 4/6, or a length field that lies
  | 'ext-truncated' // fewer than the two bytes that give an extension header's length
  | 'ext-overrun' // an extension header longer than what is left of the packet
  | 'frag-truncated' // fewer than 8 bytes of fragment header
  | 'hop-misplaced' // hop-by-hop options anywhere but right after the IPv6 header (RFC 8200 §4.1)
  | 'bad-option'; // an option TLV that overruns its header (RFC 8200 §4.2)

/** What walkIp found. All offsets are absolute in the packet. */
export class IpWalk {
  /** 4 or 6. */
  version = 0;
  /** Just past the IP packet: the IPv4 total length or 40 + the IPv6 payload length (link padding excluded). */
  end = 0;
  /** The first header that is not hop-by-hop/routing/fragment/destination options, and where it starts. */
  proto = 0;
  protoOff = 0;
  /** The byte naming `proto`: 9 in IPv4, 6 or the first byte of the last extension header in IPv6. */
  protoNhOff = 0;
  /** Transport-mode AH/ESP/IPComp go here, and the byte at insertNhOff names what follows (see below). */
  insertOff = 0;
  insertNhOff = 0;
  /** IPv4 MF or fragment offset set, or an IPv6 fragment header (an atomic one too). */
  fragment = false;
  /** A non-first fragment: what follows the headers is data, so there are no ports (RFC 4301 §7 OPAQUE). */
  laterFragment = false;
  /** Set when the walk failed; then errorAt is the offset of the field at fault and proto the header's type. */
  error: WalkError | undefined = undefined;
  errorAt = 0;

  /** Called for each IPv6 extension header once it has been checked; ipv6.ts's chain decoder records them. */
  visitExt(_type: number, _at: number, _length: number): void {}
}

function fail(w: IpWalk, error: WalkError, at: number, type = -1): false {
  w.error = error;
  w.errorAt = at;
  w.proto = type;
  return false;
}

/** End of the IP packet at 0 (its own length, link padding excluded), or -1 if the fixed header is short or lies. */
export function ipPacketEnd(p: Uint8Array): number {
  if (p.length < 1) return -1;
  const v = p[0]! >> 4;
  if (v === 4) {
    const hl = (p[0]! & 0x0f) << 2;
    if (p.length < IPV4_MIN_HEADER_BYTES || hl < IPV4_MIN_HEADER_BYTES) return -1;
    const end = (p[2]! << 8) | p[3]!;
    return end >= hl && end <= p.length ? end : -1;
  }
  if (v !== 6 || p.length < IPV6_HEADER_BYTES) return -1;
  const end = IPV6_HEADER_BYTES + ((p[4]! << 8) | p[5]!);
  return end <= p.length ? end : -1; // a jumbogram (payload length 0) is not supported
}

/** The fixed header's size: the IPv4 IHL (options included) or 40. For a packet ipPacketEnd accepted. */
export function ipHeaderBytes(p: Uint8Array): number {
  return p[0]! >> 4 === 4 ? (p[0]! & 0x0f) << 2 : IPV6_HEADER_BYTES;
}

/** Walks the packet at p[0]; false (with w.error) if a header is malformed. */
export function walkIp(p: Uint8Array, w: IpWalk): boolean {
  const end = ipPacketEnd(p);
  if (end < 0) return fail(w, 'header', 0);
  w.end = end;
  if (p[0]! >> 4 === 6) {
    w.version = 6;
    return walkIpv6Exts(w, p, IPV6_HEADER_BYTES, p[6]!, 6, end, true);
  }
  const hl = (p[0]! & 0x0f) << 2;
  const frag = ((p[6]! << 8) | p[7]!) & (IP_MF | IP_OFFMASK);
  w.version = 4;
  w.proto = p[9]!;
  w.protoOff = w.insertOff = hl;
  w.protoNhOff = w.insertNhOff = 9;
  w.fragment = frag !== 0;
  w.laterFragment = (frag & IP_OFFMASK) !== 0;
  w.error = undefined;
  return true;
}

/**
 * Walks IPv6 extension headers from `start`, where the header named `first` begins; `nhAt` is the byte that
 * named it and `end` bounds the packet (also used again after AH is removed). Follows 0, 43, 44 and 60 and
 * stops at anything else, or behind a non-first fragment header (what follows is data, RFC 8200 §4.5).
 *
 * The insertion point follows KAME's ip6_output, which builds "IPv6 hbh dest1 rthdr ah* [esp* dest2
 * payload]": hop-by-hop, routing and fragment headers, and destination options with a routing header after
 * them (dest1, examined by each listed hop), stay in front of AH/ESP/IPComp; the first destination options
 * header with no routing header after it (dest2, for the final destination only) and all that follows go
 * behind. RFC 4303 §3.1.1 and RFC 4302 §3.1.1 allow destination options on either side; putting the
 * end-to-end ones inside ESP keeps them confidential. A lone destination options header therefore goes
 * inside, where Linux and scapy leave it outside (docs/esp.md).
 */
export function walkIpv6Exts(
  w: IpWalk,
  p: Uint8Array,
  start: number,
  first: number,
  nhAt: number,
  end: number,
  fromFixedHeader: boolean,
): boolean {
  w.fragment = false;
  w.laterFragment = false;
  w.error = undefined;
  let type = first,
    at = start,
    nh = nhAt,
    dest2 = -1, // the first destination options header with no routing header (yet) after it
    dest2Nh = 0;
  for (;;) {
    let len: number;
    if (type === IPPROTO_FRAGMENT) {
      if (at + IPV6_FRAG_HEADER_BYTES > end) return fail(w, 'frag-truncated', at, type);
      len = IPV6_FRAG_HEADER_BYTES;
      w.fragment = true;
      w.laterFragment = (((p[at + 2]! << 8) | p[at + 3]!) & IP6F_OFF_MASK) !== 0;
    } else if (type === IPPROTO_HOPOPTS || type === IPPROTO_ROUTING || type === IPPROTO_DSTOPTS) {
      if (type === IPPROTO_HOPOPTS && !(fromFixedHeader && at === start)) return fail(w, 'hop-misplaced', nh, type);
      if (at + 2 > end) return fail(w, 'ext-truncated', at, type);
      len = (p[at + 1]! + 1) * 8;
      if (at + len > end) return fail(w, 'ext-overrun', at + 1, type);
      if (type !== IPPROTO_ROUTING && !ipv6OptionsValid(p, at, at + len)) return fail(w, 'bad-option', at, type);
      if (type === IPPROTO_ROUTING) dest2 = -1;
      else if (type === IPPROTO_DSTOPTS && dest2 < 0) {
        dest2 = at;
        dest2Nh = nh;
      }
    } else break;
    w.visitExt(type, at, len);
    nh = at;
    type = p[at]!;
    at += len;
    if (w.laterFragment) break;
  }
  w.proto = type;
  w.protoOff = at;
  w.protoNhOff = nh;
  w.insertOff = dest2 < 0 ? at : dest2;
  w.insertNhOff = dest2 < 0 ? nh : dest2Nh;
  return true;
}

/** RFC 8200 §4.2: the TLVs of the options header p[at, hdrEnd) each fit in it (Pad1 is a lone type byte). */
function ipv6OptionsValid(p: Uint8Array, at: number, hdrEnd: number): boolean {
  for (let i = at + 2; i < hdrEnd;) {
    if (p[i] === IP6OPT_PAD1) {
      i++;
      continue;
    }
    if (i + 2 > hdrEnd) return false;
    i += 2 + p[i + 1]!;
    if (i > hdrEnd) return false;
  }
  return true;
}

/**
 * The byte naming the `proto` header (ESP, AH, IPComp) that a received packet carries at `off`, or -1 if the
 * header chain does not lead there. Fragments never do: IPsec input comes after reassembly (RFC 4303 §3.4.1,
 * RFC 4302 §3.4.1).
 */
export function nextHeaderOffset(p: Uint8Array, w: IpWalk, proto: number, off: number): number {
  if (!walkIp(p, w) || w.fragment || w.proto !== proto || w.protoOff !== off) return -1;
  return w.protoNhOff;
}
