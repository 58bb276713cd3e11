// AH (RFC 4302): transport- and tunnel-mode output and input over one SA for IPv4 and IPv6, the ICV over
// the packet with mutable fields zeroed (§3.3.3.1, ah-mutable.ts), ESN (§2.5.1, §3.3.3.2), anti-replay
// (§3.4.3) and sequence counter overflow (§3.3.2). Bad packets become KAME ahstat drops, never exceptions.
import type { IpsecMode, SecAssoc } from '../sad/secassoc.js';
import type { AuthCtx } from '../../crypto/types.js';
import { advanceSeq, drop, type TransformEnv, type TransformResult } from './transform.js';
import { putU32 } from '../../common/bytes.js';
import {
  IPPROTO_AH,
  IPPROTO_IPV4,
  IPPROTO_IPV6,
  IPV4_MIN_HEADER_BYTES,
  IPV4_MAX_PACKET_BYTES,
  IPV6_HEADER_BYTES,
  IP_MF,
  IP_OFFMASK,
} from '../ip/constants.js';
import {
  writeOuterHeader,
  outerHeaderBytes,
  innerProtoOf,
  stripOuter,
  tunnelDropReason,
  dsByteOf,
  type TunnelOptions,
} from './tunnel.js';
import { zeroMutableIpv4, zeroMutableIpv6 } from './ah-mutable.js';
import { setTransportHeader } from '../ip/rewrite.js';
import { IpWalk, walkIp, ipPacketEnd, nextHeaderOffset } from '../ip/walk.js';

/** RFC 4302 §2: Next Header, Payload Len, Reserved, SPI, Sequence Number; the ICV follows. */
export const AH_HEADER_BYTES = 12;
/** The header walk of the packet at hand (kernel/ip/walk.ts), reused: read right after walking, nothing kept. */
const walk = new IpWalk();

/*
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Header   |  Payload Len  |          RESERVED             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Security Parameters Index (SPI)               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Sequence Number Field                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Integrity Check Value (ICV) + padding to 32/64 bits   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * Payload Len = AH length in 32-bit words minus 2 (§2.2).
 */

export interface AhOutputOptions {
  tunnel?: TunnelOptions;
}
const NO_OPTIONS: Readonly<AhOutputOptions> = Object.freeze({});

/**
 * AH length for an ICV of `icvLen` bytes: header + ICV padded to a multiple of 4 bytes (IPv4) or 8 bytes
 * (IPv6), RFC 4302 §2.6 / §3.3.3.2.1; no more padding than that is allowed.
 */
export function ahLength(icvLen: number, v6: boolean): number {
  const align = v6 ? 8 : 4;
  return Math.ceil((AH_HEADER_BYTES + icvLen) / align) * align;
}

/** The SPI of the AH header at `ahOffset` for the SAD lookup, or -1 if the header is cut short. */
export function ahSpi(packet: Uint8Array, ahOffset: number): number {
  if (ahOffset < 0 || ahOffset + AH_HEADER_BYTES > packet.length) return -1;
  return u32At(packet, ahOffset + 4);
}

function u32At(p: Uint8Array, o: number): number {
  return ((p[o]! << 24) >>> 0) + ((p[o + 1]! << 16) | (p[o + 2]! << 8) | p[o + 3]!);
}

function authOf(sa: SecAssoc): AuthCtx | undefined {
  if (!sa.authAlg || !sa.authKey) return undefined;
  return (sa.auth ??= sa.authAlg.create(sa.authKey));
}

/**
 * The ICV input: the headers up to the end of AH copied with mutable fields zeroed and the ICV zeroed
 * (padding kept, §3.3.3.2.1), the rest of the packet as it is, and with ESN the high-order 32 bits of
 * the sequence number appended (§3.3.3.2.2 implicit). Undefined if the headers are malformed.
 */
function icvParts(
  p: Uint8Array,
  ahOff: number,
  ahLen: number,
  icvLen: number,
  end: number,
  sending: boolean,
  esn: boolean,
  seqHi: number,
): Uint8Array[] | undefined {
  const head = new Uint8Array(p.subarray(0, ahOff + ahLen)); // a copy even when p is a Buffer (Buffer#slice is a view)
  const ok = head[0]! >> 4 === 4 ? zeroMutableIpv4(head, sending) : zeroMutableIpv6(head, ahOff, sending);
  if (!ok) return undefined;
  head.fill(0, ahOff + AH_HEADER_BYTES, ahOff + AH_HEADER_BYTES + icvLen);
  const parts = [head, p.subarray(ahOff + ahLen, end)];
  if (esn) {
    const hi = new Uint8Array(4);
    putU32(hi, 0, seqHi);
    parts.push(hi);
  }
  return parts;
}

/**
 * Protects one IP packet with AH (RFC 4302 §3.3). Transport mode inserts AH after the IPv4 header, or
 * after the IPv6 extension headers examined en route; tunnel mode puts the whole packet behind a new
 * outer header from sa.src to sa.dst (tunnel.ts). Advances the SA's sequence counter.
 * `mode` is the SA's own unless the caller says otherwise: the output path applies a tunnel SA whose
 * endpoints an earlier request already wrapped as 'transport' (ipsec/output.ts), without copying the SA.
 */
export function ahOutput(
  sa: SecAssoc,
  packet: Uint8Array,
  env: TransformEnv,
  opts: AhOutputOptions = NO_OPTIONS,
  mode: IpsecMode = sa.mode,
): TransformResult {
  if (sa.state !== 'mature' && sa.state !== 'dying') return drop('ahs_invalid', `SA is ${sa.state}`);
  const auth = authOf(sa);
  if (!auth) return drop('ahs_noxform', 'SA has no authentication algorithm or key');
  const icvLen = sa.authAlg!.icvLen;
  const tunnel = mode === 'tunnel';
  let hdrLen: number,
    nhOff = -1,
    nh: number,
    dataStart: number,
    dataEnd: number,
    v6: boolean;
  if (tunnel) {
    dataEnd = ipPacketEnd(packet);
    nh = innerProtoOf(packet);
    if (dataEnd < 0 || nh < 0) return drop('ahs_hdrops', 'not an IPv4/IPv6 packet');
    if (sa.src.length !== sa.dst.length || (sa.src.length !== 4 && sa.src.length !== 16))
      return drop('ahs_invalid', 'bad tunnel endpoints');
    hdrLen = outerHeaderBytes(sa.dst);
    dataStart = 0;
    v6 = sa.dst.length === 16;
  } else {
    if (!walkIp(packet, walk) || walk.fragment) return drop('ahs_hdrops', 'malformed IP header');
    ({ insertOff: hdrLen, insertNhOff: nhOff, end: dataEnd } = walk);
    nh = packet[nhOff]!;
    dataStart = hdrLen;
    v6 = packet[0]! >> 4 === 6;
  }
  const ahLen = ahLength(icvLen, v6);
  const total = hdrLen + ahLen + (dataEnd - dataStart);
  if ((v6 ? total - IPV6_HEADER_BYTES : total) > IPV4_MAX_PACKET_BYTES) return drop('ahs_toobig', `${total} bytes`);
  if (!advanceSeq(sa)) return drop('ahs_wrap', 'sequence number would cycle');

  const out = new Uint8Array(total);
  if (tunnel) writeOuterHeader(out, 0, sa.src, sa.dst, IPPROTO_AH, total - hdrLen, packet, 0, env.rng, opts.tunnel);
  else out.set(packet.subarray(0, hdrLen), 0);
  writeAhHeader(out, hdrLen, nh, ahLen, sa.spi, sa.seqOutLo);
  out.set(packet.subarray(dataStart, dataEnd), hdrLen + ahLen);
  if (!tunnel) setTransportHeader(out, hdrLen, nhOff, IPPROTO_AH, total);
  const parts = icvParts(out, hdrLen, ahLen, icvLen, total, true, sa.esn, sa.seqOutHi);
  // A drop here leaves a gap in the sequence numbers, which the receiver's window tolerates (§3.3.2).
  if (!parts) return drop('ahs_hdrops', 'malformed IP options or extension headers');
  auth.mac(parts, out, hdrLen + AH_HEADER_BYTES);
  return { ok: true, packet: out };
}

/** Next Header, Payload Len (§2.2), Reserved = 0 (§2.3), SPI, low 32 bits of the sequence number. */
function writeAhHeader(out: Uint8Array, off: number, nh: number, ahLen: number, spi: number, seqLo: number): void {
  out[off] = nh;
  out[off + 1] = ahLen / 4 - 2;
  out[off + 2] = 0;
  out[off + 3] = 0;
  putU32(out, off + 4, spi);
  putU32(out, off + 8, seqLo);
}

/**
 * Checks one AH packet (RFC 4302 §3.4) whose AH header is at `ahOffset`. Order: lengths, SPI, replay
 * check, ICV (constant time), window update, then decapsulation: transport mode returns the packet with
 * AH removed and its header fixed, tunnel mode the inner packet. Works in place: `packet` is modified
 * and the result is a view into it.
 * `mode` is the SA's own unless the caller says otherwise: 'any' (KAME) decapsulates as the next header
 * says, which is how ipsec/input.ts runs tunnel SAs; the SA itself is never copied.
 */
export function ahInput(
  sa: SecAssoc,
  packet: Uint8Array,
  ahOffset: number,
  env: TransformEnv,
  mode: IpsecMode = sa.mode,
): TransformResult {
  void env;
  if (sa.state !== 'mature' && sa.state !== 'dying') return drop('ahs_invalid', `SA is ${sa.state}`);
  const auth = authOf(sa);
  if (!auth) return drop('ahs_noxform', 'SA has no authentication algorithm or key');
  const icvLen = sa.authAlg!.icvLen;
  const end = ipPacketEnd(packet);
  if (end < 0 || ahOffset < IPV4_MIN_HEADER_BYTES || ahOffset + AH_HEADER_BYTES > end)
    return drop('ahs_hdrops', 'truncated AH header');
  const v6 = packet[0]! >> 4 === 6;
  if (!v6 && (((packet[6]! << 8) | packet[7]!) & (IP_MF | IP_OFFMASK)) !== 0)
    return drop('ahs_hdrops', 'IPv4 fragment (reassemble before AH)');
  const nhOff = nextHeaderOffset(packet, walk, IPPROTO_AH, ahOffset);
  if (nhOff < 0) return drop('ahs_hdrops', 'IP header chain does not lead to AH');
  const ahLen = (packet[ahOffset + 1]! + 2) * 4;
  if (ahLen !== ahLength(icvLen, v6)) return drop('ahs_badauthl', `AH length ${ahLen} for a ${icvLen}-byte ICV`);
  if (ahOffset + ahLen > end) return drop('ahs_hdrops', `AH of ${ahLen} bytes overruns the packet`);
  if (u32At(packet, ahOffset + 4) !== sa.spi >>> 0) return drop('ahs_notdb', 'SPI does not match the SA');
  const seqLo = u32At(packet, ahOffset + 8);
  const seqHi = sa.replay.checkSeq(seqLo);
  if (seqHi < 0) return drop('ahs_replay', `seq ${seqLo}`);
  const parts = icvParts(packet, ahOffset, ahLen, icvLen, end, false, sa.esn, seqHi);
  if (!parts) return drop('ahs_hdrops', 'malformed IP options or extension headers');
  const icvOff = ahOffset + AH_HEADER_BYTES;
  if (!auth.verify(parts, packet.subarray(icvOff, icvOff + icvLen))) return drop('ahs_badauth');
  sa.replay.acceptSeq(seqHi, seqLo);
  const nh = packet[ahOffset]!;
  const asTunnel = mode === 'tunnel' || (mode === 'any' && (nh === IPPROTO_IPV4 || nh === IPPROTO_IPV6));
  if (asTunnel) {
    const r = stripOuter(packet, ahOffset + ahLen, end, nh, dsByteOf(packet, 0) & 3);
    return r.ok ? r : drop(tunnelDropReason('ahs', r.error), r.error);
  }
  // Transport: slide the headers in front of AH up against the payload.
  packet.copyWithin(ahLen, 0, ahOffset);
  const out = packet.subarray(ahLen, end);
  setTransportHeader(out, ahOffset, nhOff, nh, end - ahLen);
  return { ok: true, packet: out };
}
