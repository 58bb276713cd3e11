// ESP (RFC 4303): transport- and tunnel-mode output and input over one SA, with separate cipher + ICV
// (§3.3.2, §3.4.4) or combined mode (RFC 4106, RFC 4543, RFC 7634), ESN (§2.2.1), TFC padding (§2.7)
// and ESP-in-UDP framing (RFC 3948). Bad packets become KAME espstat drops, never exceptions. This file frames
// the packet (placement, padding, trailer, decapsulation); esp-crypto.ts seals and opens the payload.
import type { IpsecMode, SecAssoc } from '../sad/secassoc.js';
import { advanceSeq, drop, type TransformEnv, type TransformResult } from './transform.js';
import { putU32 } from '../../common/bytes.js';
import { byteView } from '../../common/byte-view.js';
import { internetChecksum } from '../ip/checksum.js';
import {
  IPPROTO_ESP,
  IPPROTO_UDP,
  IPPROTO_IPV4,
  IPPROTO_IPV6,
  IPPROTO_NONE,
  IPV4_MIN_HEADER_BYTES,
  IPV6_HEADER_BYTES,
  IPV4_MAX_PACKET_BYTES,
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
import { UDP_ENCAP_HEADER_BYTES, writeUdpEncapHeader } from './udp-encap.js';
import { takeOutput } from '../ip/packet-pool.js';
import { setTransportHeader } from '../ip/rewrite.js';
import { IpWalk, walkIp, ipPacketEnd, ipHeaderBytes, nextHeaderOffset } from '../ip/walk.js';
import {
  ESP_HEADER_BYTES,
  alignOf,
  ensureContexts,
  icvLenOf,
  sealPayload,
  verifyAndDecrypt,
  writeIv,
} from './esp-crypto.js';

export { ESP_HEADER_BYTES } from './esp-crypto.js';

/** RFC 4303 §2.4: Pad Length (1) + Next Header (1). */
const ESP_TRAILER_BYTES = 2;

/*
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |               Security Parameters Index (SPI)                 |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                      Sequence Number                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |            IV (ivLen) | Payload Data | TFC padding ...          |
 * |   Padding (0-255 bytes)   |  Pad Length   | Next Header       |
 * |         Integrity Check Value (ICV, icvLen)                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

/** Per-call options beyond the SA (tunnel outer header policy). */
export interface EspOutputOptions {
  tunnel?: TunnelOptions;
  /**
   * Memory the caller reuses for every packet (a per-SA or per-thread send buffer): the packet is written
   * at its start and returned as a view of it, valid until the caller reuses it. Absent, too small or in
   * the input packet's ArrayBuffer: the packet gets memory of its own (takeOutput, kernel/ip/packet-pool.ts).
   */
  into?: Uint8Array;
}
const NO_OPTIONS: Readonly<EspOutputOptions> = Object.freeze({});

/** The SPI at `espOffset` for the SAD lookup, or -1 if fewer than 8 bytes of ESP header are present. */
export function espSpi(packet: Uint8Array, espOffset: number): number {
  if (espOffset < 0 || espOffset + ESP_HEADER_BYTES > packet.length) return -1;
  return (
    ((packet[espOffset]! << 24) >>> 0) +
    ((packet[espOffset + 1]! << 16) | (packet[espOffset + 2]! << 8) | packet[espOffset + 3]!)
  );
}

/*
 * The header walk of the packet at hand (kernel/ip/walk.ts), reused from packet to packet: espOutput and
 * espInput read it right after walking and keep nothing in it.
 */
const walk = new IpWalk();

/**
 * Protects one IP packet with ESP (RFC 4303 §3.3). Transport mode inserts ESP after the IP header (and
 * the IPv6 extension headers that must stay in front); tunnel mode wraps the whole packet under a new
 * outer header from sa.src to sa.dst. With sa.natt the ESP header is carried in UDP (RFC 3948 §2).
 * Advances the SA's sequence counter. The output is written into one buffer of the final size.
 * `mode` is the SA's own unless the caller says otherwise: the output path applies a tunnel SA whose
 * endpoints an earlier request already wrapped as 'transport' (ipsec/output.ts), without copying the SA.
 */
export function espOutput(
  sa: SecAssoc,
  packet: Uint8Array,
  env: TransformEnv,
  opts: EspOutputOptions = NO_OPTIONS,
  mode: IpsecMode = sa.mode,
): TransformResult {
  return protect(sa, packet, env, opts, mode === 'tunnel');
}

function protect(
  sa: SecAssoc,
  packet: Uint8Array,
  env: TransformEnv,
  opts: EspOutputOptions,
  tunnel: boolean,
): TransformResult {
  if (!ensureContexts(sa)) return drop('esps_invalid', 'SA has no encryption algorithm or key');
  const ivLen = sa.encAlg!.ivLen;
  const icvLen = icvLenOf(sa);
  const align = alignOf(sa);
  let hdrLen: number,
    dataStart: number,
    dataEnd: number,
    nh: number,
    nhOff = -1;
  if (tunnel) {
    const end = ipPacketEnd(packet);
    nh = innerProtoOf(packet);
    if (end < 0 || nh < 0) return drop('esps_hdrops', 'not an IPv4/IPv6 packet');
    if (sa.src.length !== sa.dst.length || (sa.src.length !== 4 && sa.src.length !== 16))
      return drop('esps_invalid', 'bad tunnel endpoints');
    hdrLen = outerHeaderBytes(sa.dst);
    dataStart = 0;
    dataEnd = end;
  } else {
    // RFC 4303 §3.1.1 / KAME ip6_output: after the headers examined en route (walk.ts says which).
    if (!walkIp(packet, walk) || walk.fragment) return drop('esps_hdrops', 'malformed IP header');
    hdrLen = walk.insertOff;
    nhOff = walk.insertNhOff;
    nh = packet[nhOff]!;
    dataStart = hdrLen;
    dataEnd = walk.end;
  }
  const dataLen = dataEnd - dataStart;
  // RFC 4303 §2.7: TFC padding only where the payload carries its own length (tunnel mode, or UDP).
  const tfcLen = sa.tfcPadTo > dataLen && (tunnel || nh === IPPROTO_UDP) ? sa.tfcPadTo - dataLen : 0;
  const padLen = (align - ((dataLen + tfcLen + ESP_TRAILER_BYTES) % align)) % align;
  const plainLen = dataLen + tfcLen + padLen + ESP_TRAILER_BYTES;
  const udpLen = sa.natt ? UDP_ENCAP_HEADER_BYTES : 0;
  const espOff = hdrLen + udpLen;
  const ivOff = espOff + ESP_HEADER_BYTES;
  const dataOff = ivOff + ivLen;
  const icvOff = dataOff + plainLen;
  const total = icvOff + icvLen;
  const v4 = tunnel ? sa.dst.length === 4 : packet[0]! >> 4 === 4;
  if ((v4 ? total : total - IPV6_HEADER_BYTES) > IPV4_MAX_PACKET_BYTES) return drop('esps_toobig', `${total} bytes`);
  if (!advanceSeq(sa)) return drop('esps_wrap', 'sequence number would cycle');

  const into = opts.into;
  const fits = into !== undefined && into.length >= total && into.buffer !== packet.buffer;
  const out = fits ? byteView(into, 0, total) : takeOutput(total);
  copyPayload(out, packet, dataStart, dataEnd, dataOff);
  const outerProto = sa.natt ? IPPROTO_UDP : IPPROTO_ESP;
  if (tunnel) {
    writeOuterHeader(out, 0, sa.src, sa.dst, outerProto, total - hdrLen, packet, 0, env.rng, opts.tunnel);
  } else {
    for (let i = 0; i < hdrLen; i++) out[i] = packet[i]!;
    setTransportHeader(out, hdrLen, nhOff, outerProto, total);
  }
  if (sa.natt) writeUdpEncapHeader(out, hdrLen, sa.natt, total - hdrLen);
  putU32(out, espOff, sa.spi);
  putU32(out, espOff + 4, sa.seqOutLo);
  writeIv(sa, out, ivOff, ivLen, env);
  writeTrailer(out, dataOff + dataLen, tfcLen, padLen, nh);
  sealPayload(sa, out, espOff, dataOff, plainLen, icvLen);
  if (sa.natt && !v4) finishUdp6Checksum(out, hdrLen, total);
  return { ok: true, packet: out };
}

/**
 * Copies packet[start, end) to out[at..]. When the packet has no trailing bytes, the whole packet is copied
 * (no subarray view on the hot path); the bytes that land before `at` are overwritten by the headers later.
 */
function copyPayload(out: Uint8Array, packet: Uint8Array, start: number, end: number, at: number): void {
  if (end === packet.length && at >= start) out.set(packet, at - start);
  else out.set(packet.subarray(start, end), at);
}

/** RFC 4303 §2.4/§2.7: zero TFC padding, then the monotonic pad 1, 2, 3, ..., Pad Length, Next Header. */
function writeTrailer(out: Uint8Array, off: number, tfcLen: number, padLen: number, nh: number): void {
  if (tfcLen > 0) out.fill(0, off, off + tfcLen);
  const p = off + tfcLen;
  for (let i = 0; i < padLen; i++) out[p + i] = i + 1;
  out[p + padLen] = padLen;
  out[p + padLen + 1] = nh;
}

/** RFC 8200 §8.1: UDP over IPv6 needs a real checksum (no zero-checksum exemption for ESP-in-UDP). */
function finishUdp6Checksum(out: Uint8Array, udpOff: number, total: number): void {
  // Pseudo-header: src, dst, upper-layer length, next header 17.
  let s = 0;
  for (let i = 8; i < 40; i += 2) s += (out[i]! << 8) | out[i + 1]!;
  const len = total - udpOff;
  s += len + IPPROTO_UDP;
  out[udpOff + 6] = 0;
  out[udpOff + 7] = 0;
  let c = internetChecksum(out, udpOff, len, s);
  if (c === 0) c = 0xffff; // RFC 768: a computed zero is sent as all ones
  out[udpOff + 6] = c >> 8;
  out[udpOff + 7] = c & 0xff;
}

/**
 * Opens one ESP packet (RFC 4303 §3.4) whose ESP header is at `espOffset` (after the IP header and any
 * IPv6 extension headers; ESP-in-UDP must be stripped first, see udp-encap.ts). Order: lengths, replay
 * check, ICV (constant time, before decryption), window update, decryption, padding, next header.
 * Transport mode returns the IP packet with ESP removed and its header fixed; tunnel mode returns the
 * inner packet. Works in place: `packet` is modified and the result is a view into it.
 * `mode` is the SA's own unless the caller says otherwise: 'any' (KAME) decapsulates as the next header
 * says, which is how ipsec/input.ts runs tunnel SAs; the SA itself is never copied.
 */
export function espInput(
  sa: SecAssoc,
  packet: Uint8Array,
  espOffset: number,
  env: TransformEnv,
  mode: IpsecMode = sa.mode,
): TransformResult {
  void env;
  if (!ensureContexts(sa)) return drop('esps_invalid', 'SA has no encryption algorithm or key');
  if (sa.state === 'larval' || sa.state === 'dead') return drop('esps_invalid', `SA is ${sa.state}`);
  const end = ipPacketEnd(packet);
  if (end < 0 || espOffset < ipHeaderBytes(packet) || espOffset + ESP_HEADER_BYTES > end)
    return drop('esps_hdrops', 'truncated ESP header');
  // ESP is processed after reassembly (RFC 4303 §3.4.1): a fragment here is the caller's mistake or an attack.
  if (packet[0]! >> 4 === 4 && ((packet[6]! & 0x3f) | packet[7]!) !== 0) return drop('esps_hdrops', 'IPv4 fragment');
  const icvLen = icvLenOf(sa);
  const dataOff = espOffset + ESP_HEADER_BYTES + sa.encAlg!.ivLen;
  const icvOff = end - icvLen;
  const encLen = icvOff - dataOff;
  if (encLen < ESP_TRAILER_BYTES) return drop('esps_hdrops', `${end - espOffset} bytes of ESP`);
  // Only the cipher's own block size is enforced; 4-byte alignment is the sender's duty (§2.4).
  const block = sa.encAlg!.kind === 'aead' ? 1 : alignOf(sa);
  if (encLen % block !== 0) return drop('esps_badilen', `payload ${encLen} not a multiple of ${block}`);
  if (espSpi(packet, espOffset) !== sa.spi >>> 0) return drop('esps_notdb', 'SPI does not match the SA');
  // Transport mode rewrites the header in front of ESP: make sure it really leads to ESP first.
  const nhOff = mode === 'tunnel' ? -1 : nextHeaderOffset(packet, walk, IPPROTO_ESP, espOffset);
  if (nhOff < 0 && mode === 'transport') return drop('esps_hdrops', 'IP header chain does not lead to ESP');
  const seqLo = espSpi(packet, espOffset + 4);
  const seqHi = sa.replay.checkSeq(seqLo);
  if (seqHi < 0) return drop('esps_replay', `seq ${seqLo}`);
  if (!verifyAndDecrypt(sa, packet, espOffset, dataOff, encLen, icvOff, icvLen, seqHi)) return drop('esps_badauth');
  sa.replay.acceptSeq(seqHi, seqLo);
  const padLen = packet[icvOff - 2]!;
  const nh = packet[icvOff - 1]!;
  if (padLen + ESP_TRAILER_BYTES > encLen) return drop('esps_badpad', `pad length ${padLen} of ${encLen}`);
  const payEnd = icvOff - ESP_TRAILER_BYTES - padLen;
  for (let i = 0; i < padLen; i++) {
    // RFC 4303 §2.4: the receiver checks the default pad; a mismatch means a wrong key or a forgery.
    if (packet[payEnd + i] !== i + 1) return drop('esps_badenc', 'padding bytes not 1, 2, 3, ...');
  }
  if (nh === IPPROTO_NONE) return drop('esps_dummy', 'dummy packet (RFC 4303 §2.6)');
  // KAME 'any' mode: an IP-in-IP next header means the SA was used as a tunnel.
  const asTunnel = mode === 'tunnel' || (mode === 'any' && (nh === IPPROTO_IPV4 || nh === IPPROTO_IPV6));
  if (asTunnel) {
    const r = stripOuter(packet, dataOff, payEnd, nh, dsByteOf(packet, 0) & 3);
    return r.ok ? r : drop(tunnelDropReason('esps', r.error), r.error);
  }
  if (nhOff < 0) return drop('esps_hdrops', 'IP header chain does not lead to ESP');
  return transportDecap(packet, nhOff, espOffset, dataOff, payEnd, nh);
}

/** Transport input: slides the IP header up against the payload and fixes protocol, length and checksum. */
function transportDecap(
  p: Uint8Array,
  nhOff: number,
  espOff: number,
  dataOff: number,
  payEnd: number,
  nh: number,
): TransformResult {
  let end = payEnd;
  // Trailing TFC padding after a UDP datagram (§2.7): trust the UDP length when it is smaller.
  if (nh === IPPROTO_UDP && end - dataOff >= 8) {
    const ulen = (p[dataOff + 4]! << 8) | p[dataOff + 5]!;
    if (ulen >= 8 && ulen < end - dataOff) end = dataOff + ulen;
  }
  const start = dataOff - espOff;
  p.copyWithin(start, 0, espOff);
  const out = byteView(p, start, end - start); // a plain view: cheaper than subarray's species lookup
  const total = end - start;
  setTransportHeader(out, espOff, nhOff, nh, total);
  return { ok: true, packet: out };
}

/** Builds a dummy packet (RFC 4303 §2.6: Next Header 59, random payload of `payloadLen` bytes) for the SA. */
export function espDummyOutput(sa: SecAssoc, payloadLen: number, env: TransformEnv): TransformResult {
  if (sa.src.length !== sa.dst.length || (sa.src.length !== 4 && sa.src.length !== 16))
    return drop('esps_invalid', 'bad SA addresses');
  if (!Number.isInteger(payloadLen) || payloadLen < 0 || payloadLen > IPV4_MAX_PACKET_BYTES)
    return drop('esps_toobig', `dummy of ${payloadLen} bytes`);
  const v4 = sa.src.length === 4;
  const hl = v4 ? IPV4_MIN_HEADER_BYTES : IPV6_HEADER_BYTES;
  const p = new Uint8Array(hl + payloadLen);
  env.rng.fill(p, hl, payloadLen);
  if (v4) {
    p[0] = 0x45;
    p[2] = p.length >> 8;
    p[3] = p.length & 0xff;
    p[8] = 64;
    p[9] = IPPROTO_NONE;
    p.set(sa.src, 12);
    p.set(sa.dst, 16);
  } else {
    p[0] = 0x60;
    p[4] = payloadLen >> 8;
    p[5] = payloadLen & 0xff;
    p[6] = IPPROTO_NONE;
    p[7] = 64;
    p.set(sa.src, 8);
    p.set(sa.dst, 24);
  }
  // Framed as transport even on a tunnel SA: the receiver drops Next Header 59 before any tunnel step.
  return protect(sa, p, env, NO_OPTIONS, false);
}
