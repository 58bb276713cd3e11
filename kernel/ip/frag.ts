// Fragmentation of outgoing packets: IPv4 (RFC 791 §3.2, DF honoured, copied options repeated) and
// IPv6 (RFC 8200 §4.5 fragment header, per-fragment headers). Reassembly lives in reassembly.ts.
import { putU16, putU32 } from '../../common/bytes.js';
import { decodeIpv4, encodeIpv4, ipv4HeaderLength, isIpv4OptionCopied } from './ipv4.js';
import { walkIpv6Chain } from './ipv6.js';
import {
  IPV4_MIN_MTU,
  IPV6_MIN_MTU,
  IPV6_HEADER_BYTES,
  IPV6_FRAG_HEADER_BYTES,
  IPPROTO_FRAGMENT,
  IPPROTO_ROUTING,
  IPPROTO_HOPOPTS,
  IPOPT_NOP,
  IPOPT_EOL,
  IP6F_MORE_FRAG,
} from './constants.js';

export { Reassembler } from './reassembly.js';

/** Why a packet could not be fragmented. */
export type FragmentRefusal =
  /** IPv4 DF set and the packet exceeds the MTU: answer ICMP "fragmentation needed" with `mtu` (RFC 1191). */
  | 'needs-frag'
  /** The MTU is below the protocol minimum (68 for IPv4, 1280 for IPv6). */
  | 'mtu-too-small'
  /** The headers that every fragment repeats leave no room for 8 bytes of data, or (IPv6) the header chain
   *  does not fit in the first fragment (RFC 8200 §4.5, RFC 7112). */
  | 'headers-too-long'
  /** An IPv6 packet that already carries a fragment header (only the source fragments IPv6). */
  | 'already-fragment';

export type FragmentResult =
  { ok: true; fragments: Uint8Array[] } | { ok: false; reason: FragmentRefusal; mtu: number };

/** The options repeated in every fragment after the first (RFC 791 §3.1 "copied flag"). */
function copiedOptions(opts: Uint8Array, list: { type: number; offset: number; length: number }[]): Uint8Array {
  const parts: number[] = [];
  for (const o of list) {
    if (o.type === IPOPT_EOL || o.type === IPOPT_NOP || !isIpv4OptionCopied(o.type)) continue;
    for (let i = 0; i < o.length; i++) parts.push(opts[o.offset - 20 + i]!);
  }
  return new Uint8Array(parts);
}

/**
 * Splits an IPv4 packet into fragments of at most `mtu` bytes (RFC 791 §3.2). A packet that fits is returned
 * as the only element. An already-fragmented packet is fragmented further (offsets and MF carried over).
 * Throws ParseError if `pkt` is not a well-formed IPv4 packet.
 */
export function fragmentIpv4(pkt: Uint8Array, mtu: number): FragmentResult {
  const { value: h, next } = decodeIpv4(pkt, 0, false);
  if (h.totalLength <= mtu) return { ok: true, fragments: [pkt.subarray(0, h.totalLength)] };
  if (h.df) return { ok: false, reason: 'needs-frag', mtu };
  if (mtu < IPV4_MIN_MTU) return { ok: false, reason: 'mtu-too-small', mtu };
  const laterOpts = copiedOptions(h.options, h.optionList);
  const firstHl = h.headerLength,
    laterHl = ipv4HeaderLength(laterOpts);
  const data = pkt.subarray(next, h.totalLength);
  const frags: Uint8Array[] = [];
  for (let at = 0; at < data.length;) {
    const hl = at === 0 ? firstHl : laterHl;
    const room = ((mtu - hl) >> 3) << 3; // every fragment but the last carries a multiple of 8 bytes
    if (room <= 0) return { ok: false, reason: 'headers-too-long', mtu };
    const n = Math.min(room, data.length - at);
    const last = at + n === data.length;
    const frag = new Uint8Array(hl + n);
    encodeIpv4(
      {
        tos: h.tos,
        id: h.id,
        df: false,
        mf: !last || h.mf,
        fragOffset: h.fragOffset + (at >> 3),
        ttl: h.ttl,
        protocol: h.protocol,
        src: h.src,
        dst: h.dst,
        options: at === 0 ? h.options : laterOpts,
      },
      frag.length,
      frag,
      0,
    );
    frag.set(data.subarray(at, at + n), hl);
    frags.push(frag);
    at += n;
  }
  return { ok: true, fragments: frags };
}

/**
 * Splits an IPv6 packet into fragments of at most `mtu` bytes with fragment headers carrying `id`
 * (RFC 8200 §4.5). The per-fragment headers are the IPv6 header and the extension headers up to and
 * including the last routing header, else the hop-by-hop header. Throws ParseError on a malformed packet.
 */
export function fragmentIpv6(pkt: Uint8Array, mtu: number, id: number): FragmentResult {
  const chain = walkIpv6Chain(pkt, 0);
  if (chain.end <= mtu) return { ok: true, fragments: [pkt.subarray(0, chain.end)] };
  if (mtu < IPV6_MIN_MTU) return { ok: false, reason: 'mtu-too-small', mtu };
  if (chain.fragment) return { ok: false, reason: 'already-fragment', mtu };
  let perIdx = -1;
  chain.exts.forEach((e, i) => {
    if (e.type === IPPROTO_ROUTING) perIdx = i;
  });
  if (perIdx < 0 && chain.exts[0]?.type === IPPROTO_HOPOPTS) perIdx = 0;
  const perEnd = perIdx >= 0 ? chain.exts[perIdx]!.offset + chain.exts[perIdx]!.length : IPV6_HEADER_BYTES;
  const nhAt = perIdx >= 0 ? chain.exts[perIdx]!.offset : 6;
  const room = ((mtu - perEnd - IPV6_FRAG_HEADER_BYTES) >> 3) << 3;
  // RFC 8200 §4.5 / RFC 7112: the first fragment holds every header through the upper-layer one.
  if (room < chain.upperOffset - perEnd) return { ok: false, reason: 'headers-too-long', mtu };
  const data = pkt.subarray(perEnd, chain.end);
  const frags: Uint8Array[] = [];
  for (let at = 0; at < data.length; at += room) {
    const n = Math.min(room, data.length - at);
    const frag = new Uint8Array(perEnd + IPV6_FRAG_HEADER_BYTES + n);
    frag.set(pkt.subarray(0, perEnd));
    putU16(frag, 4, frag.length - IPV6_HEADER_BYTES);
    frag[nhAt] = IPPROTO_FRAGMENT;
    frag[perEnd] = pkt[nhAt]!; // the fragment header names what followed the per-fragment headers
    frag[perEnd + 1] = 0;
    putU16(frag, perEnd + 2, at | (at + n < data.length ? IP6F_MORE_FRAG : 0));
    putU32(frag, perEnd + 4, id >>> 0);
    frag.set(data.subarray(at, at + n), perEnd + IPV6_FRAG_HEADER_BYTES);
    frags.push(frag);
  }
  return { ok: true, fragments: frags };
}
