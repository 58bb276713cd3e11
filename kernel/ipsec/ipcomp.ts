// IPComp (RFC 3173) with DEFLATE (RFC 2394): transport- and tunnel-mode output and input over one SA.
// Small or incompressible payloads go out uncompressed (§2.2), and decompression has a hard size limit
// (§3.3, decompression bombs). Bad packets become KAME ipcompstat drops, never exceptions.
import { SADB_X_EXT_RAWCPI } from '../../pfkey/constants.js';
import type { StatName } from '../stats.js';
import type { IpsecMode, SecAssoc } from '../sad/secassoc.js';
import { drop, type TransformEnv, type TransformResult } from './transform.js';
import {
  IPPROTO_IPCOMP,
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
import { setTransportHeader } from '../ip/rewrite.js';
import { IpWalk, walkIp, ipPacketEnd, nextHeaderOffset } from '../ip/walk.js';

/** RFC 3173 §2.2: Next Header (1), Flags (1, reserved), CPI (2). */
export const IPCOMP_HEADER_BYTES = 4;
/** KAME/Linux: payloads shorter than this are not worth compressing (KAME deflate minplen 90). */
export const IPCOMP_THRESHOLD_DEFAULT = 90;
/** Default cap on a decompressed payload: the largest IP packet (RFC 791 total length). */
export const IPCOMP_MAX_DECOMPRESSED_DEFAULT = IPV4_MAX_PACKET_BYTES;
/** RFC 3173 §2.2 / IANA: CPIs 0..255 are the well-known transform ids; 256..61439 negotiated. */
export const IPCOMP_CPI_NEGOTIATE_MIN = 256;
/** RFC 2407 §4.4.5 IPCOMP transform ids, which are also the well-known CPIs. */
export const IPCOMP_WELL_KNOWN_CPI: Readonly<Record<string, number>> = { oui: 1, deflate: 2, lzs: 3, lzjh: 4 };
/** The header walk of the packet at hand (kernel/ip/walk.ts), reused: read right after walking, nothing kept. */
const walk = new IpWalk();

/*
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Header  |     Flags     | Compression Parameter Index   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

export interface IpcompOutputOptions {
  /** Payloads shorter than this many bytes are sent uncompressed (counted as ipcomps_threshold). */
  thresholdBytes?: number;
  tunnel?: TunnelOptions;
}

export interface IpcompInputOptions {
  /** Refuse (ipcomps_toobig) a payload that decompresses to more than this many bytes. */
  maxDecompressedBytes?: number;
}
const NO_OUTPUT_OPTIONS: Readonly<IpcompOutputOptions> = Object.freeze({});
const NO_INPUT_OPTIONS: Readonly<IpcompInputOptions> = Object.freeze({});

/** Output succeeds uncompressed in two cases the caller counts: `stat` names the ipcompstat counter. */
export type IpcompOutputResult =
  | { ok: true; packet: Uint8Array; stat?: 'ipcomps_threshold' | 'ipcomps_uncompr' }
  | { ok: false; reason: StatName; detail?: string };

/**
 * The CPI this SA puts on the wire (KAME ipcomp_output): the low 16 bits of the SPI when the SA has
 * SADB_X_EXT_RAWCPI (what racoon installs for negotiated CPIs), else the algorithm's well-known CPI.
 */
export function ipcompWireCpi(sa: SecAssoc): number {
  if ((sa.flags ?? 0) & SADB_X_EXT_RAWCPI || !sa.compAlg) return sa.spi & 0xffff;
  return IPCOMP_WELL_KNOWN_CPI[sa.compAlg.name] ?? sa.spi & 0xffff;
}

/** The CPI of the IPComp header at `off` for the SAD lookup, or -1 if the header is cut short. */
export function ipcompCpi(packet: Uint8Array, off: number): number {
  if (off < 0 || off + IPCOMP_HEADER_BYTES > packet.length) return -1;
  return (packet[off + 2]! << 8) | packet[off + 3]!;
}

/** Largest total for a packet whose first header is IPv4 (total length) or IPv6 (payload length + 40). */
function maxTotal(v6: boolean): number {
  return IPV4_MAX_PACKET_BYTES + (v6 ? IPV6_HEADER_BYTES : 0);
}

/**
 * Compresses one IP packet's payload with IPComp (RFC 3173 §3.2). Transport mode compresses what follows
 * the IP header; tunnel mode compresses the whole packet under a new outer header (tunnel.ts). A payload
 * below the threshold, or one that does not shrink, goes out as it is (tunnel mode: plain IP-in-IP) and
 * the result's `stat` names the counter to bump.
 * `mode` is the SA's own unless the caller says otherwise: the output path applies a tunnel SA whose
 * endpoints an earlier request already wrapped as 'transport' (ipsec/output.ts), without copying the SA.
 */
export function ipcompOutput(
  sa: SecAssoc,
  packet: Uint8Array,
  env: TransformEnv,
  opts: IpcompOutputOptions = NO_OUTPUT_OPTIONS,
  mode: IpsecMode = sa.mode,
): IpcompOutputResult {
  if (sa.state !== 'mature' && sa.state !== 'dying')
    return { ok: false, reason: 'ipcomps_invalid', detail: `SA is ${sa.state}` };
  if (!sa.compAlg) return { ok: false, reason: 'ipcomps_noxform', detail: 'SA has no compression algorithm' };
  const tunnel = mode === 'tunnel';
  let hdrLen: number,
    nhOff = -1,
    nh: number,
    dataStart: number,
    dataEnd: number;
  if (tunnel) {
    dataEnd = ipPacketEnd(packet);
    nh = innerProtoOf(packet);
    if (dataEnd < 0 || nh < 0) return { ok: false, reason: 'ipcomps_hdrops', detail: 'not an IPv4/IPv6 packet' };
    if (sa.src.length !== sa.dst.length || (sa.src.length !== 4 && sa.src.length !== 16))
      return { ok: false, reason: 'ipcomps_invalid', detail: 'bad tunnel endpoints' };
    hdrLen = outerHeaderBytes(sa.dst);
    dataStart = 0;
  } else {
    if (!walkIp(packet, walk) || walk.fragment)
      return { ok: false, reason: 'ipcomps_hdrops', detail: 'malformed IP header' };
    ({ insertOff: hdrLen, insertNhOff: nhOff, end: dataEnd } = walk);
    nh = packet[nhOff]!;
    dataStart = hdrLen;
  }
  const data = packet.subarray(dataStart, dataEnd);
  const threshold = opts.thresholdBytes ?? IPCOMP_THRESHOLD_DEFAULT;
  let stat: 'ipcomps_threshold' | 'ipcomps_uncompr' | undefined;
  let body: Uint8Array | undefined;
  if (data.length < threshold) stat = 'ipcomps_threshold';
  else {
    const c = sa.compAlg.compress(data);
    // §2.2: only a payload that actually shrinks (header included) is sent compressed.
    if (c.length + IPCOMP_HEADER_BYTES < data.length) body = c;
    else stat = 'ipcomps_uncompr';
  }
  if (!body && !tunnel) return { ok: true, packet: packet.subarray(0, dataEnd), stat: stat! };
  const compHdr = body ? IPCOMP_HEADER_BYTES : 0;
  const payload = body ?? data;
  const total = hdrLen + compHdr + payload.length;
  const v6 = tunnel ? sa.dst.length === 16 : packet[0]! >> 4 === 6;
  if (total > maxTotal(v6)) return { ok: false, reason: 'ipcomps_toobig', detail: `${total} bytes` };
  const out = new Uint8Array(total);
  const proto = body ? IPPROTO_IPCOMP : nh;
  if (tunnel) writeOuterHeader(out, 0, sa.src, sa.dst, proto, total - hdrLen, packet, 0, env.rng, opts.tunnel);
  else out.set(packet.subarray(0, hdrLen), 0);
  if (body) {
    out[hdrLen] = nh;
    out[hdrLen + 1] = 0; // §2.2: Flags are reserved, zero on send
    const cpi = ipcompWireCpi(sa);
    out[hdrLen + 2] = cpi >> 8;
    out[hdrLen + 3] = cpi & 0xff;
  }
  out.set(payload, hdrLen + compHdr);
  if (!tunnel) setTransportHeader(out, hdrLen, nhOff, IPPROTO_IPCOMP, total);
  return stat ? { ok: true, packet: out, stat } : { ok: true, packet: out };
}

/**
 * Decompresses one IPComp packet (RFC 3173 §3.3) whose IPComp header is at `off`. The CPI must be this
 * SA's (its wire CPI, or its SPI). The decompressed size is capped (opts.maxDecompressedBytes and the IP
 * length limit) before any output is allocated beyond it. Transport mode returns the packet with the
 * payload restored and its header fixed; tunnel mode returns the inner packet.
 * `mode` is the SA's own unless the caller says otherwise: 'any' (KAME) decapsulates as the next header
 * says, which is how ipsec/input.ts runs tunnel SAs; the SA itself is never copied.
 */
export function ipcompInput(
  sa: SecAssoc,
  packet: Uint8Array,
  off: number,
  env: TransformEnv,
  opts: IpcompInputOptions = NO_INPUT_OPTIONS,
  mode: IpsecMode = sa.mode,
): TransformResult {
  void env;
  if (sa.state !== 'mature' && sa.state !== 'dying') return drop('ipcomps_invalid', `SA is ${sa.state}`);
  if (!sa.compAlg) return drop('ipcomps_noxform', 'SA has no compression algorithm');
  const end = ipPacketEnd(packet);
  if (end < 0 || off < IPV4_MIN_HEADER_BYTES || off + IPCOMP_HEADER_BYTES > end)
    return drop('ipcomps_hdrops', 'truncated IPComp header');
  const v6 = packet[0]! >> 4 === 6;
  if (!v6 && (((packet[6]! << 8) | packet[7]!) & (IP_MF | IP_OFFMASK)) !== 0)
    return drop('ipcomps_hdrops', 'IPv4 fragment (reassemble first)');
  const nhOff = nextHeaderOffset(packet, walk, IPPROTO_IPCOMP, off);
  if (nhOff < 0) return drop('ipcomps_hdrops', 'IP header chain does not lead to IPComp');
  const cpi = ipcompCpi(packet, off);
  if (cpi !== ipcompWireCpi(sa) && cpi !== (sa.spi & 0xffff))
    return drop('ipcomps_notdb', `CPI ${cpi} is not this SA's`);
  const nh = packet[off]!;
  if (nh === IPPROTO_IPCOMP) return drop('ipcomps_hdrops', 'IPComp inside IPComp (RFC 3173 §3.2)');
  const asTunnel = mode === 'tunnel' || (mode === 'any' && (nh === IPPROTO_IPV4 || nh === IPPROTO_IPV6));
  // The restored packet must still fit an IP length field; the caller may set a lower cap.
  const room = asTunnel ? maxTotal(nh === IPPROTO_IPV6) : maxTotal(v6) - off;
  const limit = Math.min(opts.maxDecompressedBytes ?? IPCOMP_MAX_DECOMPRESSED_DEFAULT, room);
  let data: Uint8Array;
  try {
    data = sa.compAlg.decompress(packet.subarray(off + IPCOMP_HEADER_BYTES, end), limit);
  } catch (e) {
    if (e instanceof RangeError) return drop('ipcomps_toobig', `decompresses to more than ${limit} bytes`);
    return drop('ipcomps_crypto', `corrupt compressed payload: ${(e as Error).message}`);
  }
  if (asTunnel) {
    const r = stripOuter(data, 0, data.length, nh, dsByteOf(packet, 0) & 3);
    return r.ok ? r : drop(tunnelDropReason('ipcomps', r.error), r.error);
  }
  const out = new Uint8Array(off + data.length);
  out.set(packet.subarray(0, off), 0);
  out.set(data, off);
  setTransportHeader(out, off, nhOff, nh, out.length);
  return { ok: true, packet: out };
}
