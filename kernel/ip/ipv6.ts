// IPv6 header codec and extension-header chain walk (RFC 8200 §3, §4), with what AH/ESP need:
// the transport-mode insertion point (RFC 4302 §3.1.1, RFC 4303 §3.1.1) and the options TLV walk
// with the "may change" bit (RFC 8200 §4.2). Decoders throw ParseError.
import { ParseError, need, u16, u32, putU16, putU32 } from '../../common/bytes.js';
import type { Decoded } from './decoded.js';
import { IpWalk, walkIpv6Exts } from './walk.js';
import {
  IPV6_HEADER_BYTES,
  IPPROTO_ROUTING,
  IPPROTO_FRAGMENT,
  IP6OPT_PAD1,
  IP6OPT_MUTABLE,
  IP6F_MORE_FRAG,
  IP6F_OFF_MASK,
} from './constants.js';

/*  RFC 8200 §3
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |Version| Traffic Class |           Flow Label                  |
   |         Payload Length        |  Next Header  |   Hop Limit   |
   |                  Source Address (128 bits)                    |
   |               Destination Address (128 bits)                  |
*/

export interface Ipv6Header {
  version: 6;
  trafficClass: number;
  flowLabel: number;
  /** Bytes after the fixed 40-byte header (extension headers included). */
  payloadLength: number;
  nextHeader: number;
  hopLimit: number;
  src: Uint8Array;
  dst: Uint8Array;
}

export interface Ipv6HeaderInit {
  trafficClass?: number;
  flowLabel?: number;
  nextHeader: number;
  hopLimit?: number;
  src: Uint8Array;
  dst: Uint8Array;
}

/** One extension header of the chain; `offset` is absolute in the buffer, `length` in bytes. */
export interface Ipv6Ext {
  type: number;
  offset: number;
  length: number;
  /** The Next Header value this extension carries. */
  nextHeader: number;
}

/** The fields of a fragment header (RFC 8200 §4.5). */
export interface Ipv6FragmentInfo {
  /** Absolute offset of the fragment header. */
  offset: number;
  /** Fragment offset in bytes (the wire value times 8). */
  fragOffset: number;
  more: boolean;
  id: number;
  nextHeader: number;
}

/** The result of walking the chain. */
export interface Ipv6Chain {
  /** Absolute offset of the fixed header. */
  headerOffset: number;
  header: Ipv6Header;
  exts: Ipv6Ext[];
  /** The first header that is not 0/43/44/60: an upper layer, ESP/AH/IPComp, or 59 (no next header). */
  upperProto: number;
  upperOffset: number;
  /** Absolute offset of the Next Header byte that names `upperProto` (6 + off for the fixed header). */
  upperNextHeaderAt: number;
  /** Where transport-mode AH/ESP goes (ipsecInsertPoint). */
  insertPoint: IpsecInsertPoint;
  /** Present when the packet carries a fragment header. Behind a non-first fragment the walk stops. */
  fragment?: Ipv6FragmentInfo;
  /** The routing header's type and segments left, if any (AH treats segments as mutable but predictable). */
  routing?: { offset: number; routingType: number; segmentsLeft: number };
  /** Offset just past the packet (off + 40 + payload length). */
  end: number;
}

/** One TLV option of a hop-by-hop or destination options header (RFC 8200 §4.2). */
export interface Ipv6Option {
  type: number;
  /** Absolute offset of the type octet. */
  offset: number;
  /** Total bytes including type and length octets (1 for Pad1). */
  length: number;
  /** The two high-order bits: what to do if the option is unknown (0 skip, 1 discard, 2/3 discard + ICMP). */
  action: number;
  /** The third-highest bit: option data may change en route (AH treats it as zero). */
  mayChange: boolean;
}

/** Where AH or ESP goes in a transport-mode packet. */
export interface IpsecInsertPoint {
  /** Absolute offset at which the AH/ESP header is inserted. */
  offset: number;
  /** Absolute offset of the Next Header byte to rewrite to 50/51. */
  nextHeaderAt: number;
  /** The value that byte held (it becomes the AH/ESP next header). */
  nextHeader: number;
}

/**
 * Decodes the fixed header at `off`. Checks version and that the payload length fits the buffer; `next` is
 * off + 40. Jumbograms (payload length 0 with a jumbo option, RFC 2675) are not supported: a zero payload
 * length means an empty payload.
 */
export function decodeIpv6(pkt: Uint8Array, off = 0): Decoded<Ipv6Header> {
  need(pkt, off, 1, 'ipv6.version');
  const version = pkt[off]! >> 4;
  if (version !== 6) throw new ParseError(`IPv6 version field is ${version}`, off, 'ipv6.version');
  need(pkt, off, IPV6_HEADER_BYTES, 'ipv6.header');
  const payloadLength = u16(pkt, off + 4);
  if (payloadLength > pkt.length - off - IPV6_HEADER_BYTES) {
    throw new ParseError(
      `IPv6 payload length ${payloadLength} > ${pkt.length - off - IPV6_HEADER_BYTES} bytes available`,
      off + 4,
      'ipv6.payloadLength',
    );
  }
  const w = u32(pkt, off);
  const value: Ipv6Header = {
    version: 6,
    trafficClass: (w >>> 20) & 0xff,
    flowLabel: w & 0xfffff,
    payloadLength,
    nextHeader: pkt[off + 6]!,
    hopLimit: pkt[off + 7]!,
    src: pkt.slice(off + 8, off + 24),
    dst: pkt.slice(off + 24, off + 40),
  };
  return { value, next: off + IPV6_HEADER_BYTES };
}

/** Walks the options of the hop-by-hop or destination options header at `extOff` (RFC 8200 §4.2). */
export function walkIpv6Options(buf: Uint8Array, extOff: number): Ipv6Option[] {
  need(buf, extOff, 2, 'ipv6.opts.header');
  const end = extOff + (buf[extOff + 1]! + 1) * 8;
  need(buf, extOff, end - extOff, 'ipv6.opts.header');
  const out: Ipv6Option[] = [];
  for (let i = extOff + 2; i < end;) {
    const type = buf[i]!;
    let length = 1;
    if (type !== IP6OPT_PAD1) {
      if (i + 2 > end) throw new ParseError(`IPv6 option ${type} has no length octet`, i, 'ipv6.option.length');
      length = 2 + buf[i + 1]!;
      if (i + length > end)
        throw new ParseError(
          `IPv6 option ${type} length ${length - 2} overruns its header`,
          i + 1,
          'ipv6.option.length',
        );
    }
    out.push({ type, offset: i, length, action: type >> 6, mayChange: (type & IP6OPT_MUTABLE) !== 0 });
    i += length;
  }
  return out;
}

/** Records each extension header walkIpv6Exts has checked into the chain being decoded. */
class ChainRecorder extends IpWalk {
  constructor(
    private readonly pkt: Uint8Array,
    private readonly chain: Ipv6Chain,
  ) {
    super();
  }

  override visitExt(type: number, at: number, length: number): void {
    const p = this.pkt;
    const nextHeader = p[at]!;
    if (type === IPPROTO_FRAGMENT) {
      const w = u16(p, at + 2);
      // The outermost fragment header is the one that counts.
      this.chain.fragment ??= {
        offset: at,
        fragOffset: w & IP6F_OFF_MASK,
        more: (w & IP6F_MORE_FRAG) !== 0,
        id: u32(p, at + 4),
        nextHeader,
      };
    } else if (type === IPPROTO_ROUTING) {
      this.chain.routing = { offset: at, routingType: p[at + 2]!, segmentsLeft: p[at + 3]! };
    }
    this.chain.exts.push({ type, offset: at, length, nextHeader });
  }
}

/** The ParseError for a walk that stopped short (the messages the input path's counters are chosen by). */
function walkError(pkt: Uint8Array, w: IpWalk): ParseError {
  const at = w.errorAt;
  switch (w.error) {
    case 'frag-truncated':
      return new ParseError('truncated IPv6 fragment header', at, 'ipv6.fragment');
    case 'hop-misplaced':
      return new ParseError('hop-by-hop header not right after the IPv6 header (RFC 8200 §4.1)', at, 'ipv6.nextHeader');
    case 'ext-truncated':
      return new ParseError(`truncated IPv6 extension header ${w.proto}`, at, 'ipv6.ext');
    case 'ext-overrun':
      return new ParseError(
        `IPv6 extension header ${w.proto} of ${(pkt[at]! + 1) * 8} bytes overruns the packet`,
        at,
        'ipv6.ext.length',
      );
    default:
      walkIpv6Options(pkt, at); // 'bad-option': throws the ParseError that names the option
      return new ParseError('malformed IPv6 options header', at, 'ipv6.option.length');
  }
}

/**
 * Walks extension headers from `start`, where the header named `first` begins; `nhAt` is the offset of the
 * byte that named it and `end` bounds the packet. Used for a whole packet and again after AH is removed.
 * The rules (and the AH/ESP insertion point) are walk.ts's walkIpv6Exts; this records what it finds.
 */
export function walkIpv6Headers(
  pkt: Uint8Array,
  start: number,
  first: number,
  nhAt: number,
  end: number,
  header: Ipv6Header,
  headerOffset: number,
  fromFixedHeader = false,
): Ipv6Chain {
  const chain: Ipv6Chain = {
    headerOffset,
    header,
    exts: [],
    upperProto: first,
    upperOffset: start,
    upperNextHeaderAt: nhAt,
    insertPoint: { offset: start, nextHeaderAt: nhAt, nextHeader: first },
    end,
  };
  const w = new ChainRecorder(pkt, chain);
  if (!walkIpv6Exts(w, pkt, start, first, nhAt, end, fromFixedHeader)) throw walkError(pkt, w);
  chain.upperProto = w.proto;
  chain.upperOffset = w.protoOff;
  chain.upperNextHeaderAt = w.protoNhOff;
  chain.insertPoint = { offset: w.insertOff, nextHeaderAt: w.insertNhOff, nextHeader: pkt[w.insertNhOff]! };
  return chain;
}

/** Decodes the fixed header at `off` and walks its extension headers (RFC 8200 §4.1). */
export function walkIpv6Chain(pkt: Uint8Array, off = 0): Ipv6Chain {
  const { value: header, next } = decodeIpv6(pkt, off);
  return walkIpv6Headers(pkt, next, header.nextHeader, off + 6, next + header.payloadLength, header, off, true);
}

/**
 * Where transport-mode AH/ESP is inserted (RFC 4302 §3.1.1, RFC 4303 §3.1.1): after hop-by-hop, routing and
 * fragment headers and after destination options that precede a routing header; destination options with
 * no routing header after them are end-to-end and stay behind AH/ESP (walk.ts walkIpv6Exts says why).
 */
export function ipsecInsertPoint(chain: Ipv6Chain): IpsecInsertPoint {
  return chain.insertPoint;
}

/** Writes the fixed header for `payloadLength` bytes of payload at buf[off]; returns off + 40. */
export function encodeIpv6(h: Ipv6HeaderInit, payloadLength: number, buf: Uint8Array, off = 0): number {
  if (h.src.length !== 16 || h.dst.length !== 16) throw new RangeError('IPv6 addresses must be 16 bytes');
  if (payloadLength < 0 || payloadLength > 0xffff)
    throw new RangeError(`IPv6 payload length ${payloadLength} out of range`);
  if (off + IPV6_HEADER_BYTES > buf.length) throw new RangeError('buffer too small for the IPv6 header');
  putU32(buf, off, ((6 << 28) | (((h.trafficClass ?? 0) & 0xff) << 20) | ((h.flowLabel ?? 0) & 0xfffff)) >>> 0);
  putU16(buf, off + 4, payloadLength);
  buf[off + 6] = h.nextHeader & 0xff;
  buf[off + 7] = h.hopLimit ?? 64;
  buf.set(h.src, off + 8);
  buf.set(h.dst, off + 24);
  return off + IPV6_HEADER_BYTES;
}

/** A whole IPv6 packet: the fixed header from `h`, then `payload` (extension headers included). */
export function buildIpv6Packet(h: Ipv6HeaderInit, payload: Uint8Array): Uint8Array {
  const pkt = new Uint8Array(IPV6_HEADER_BYTES + payload.length);
  encodeIpv6(h, payload.length, pkt, 0);
  pkt.set(payload, IPV6_HEADER_BYTES);
  return pkt;
}

/**
 * Builds a hop-by-hop or destination options header: `options` are raw TLVs, padded with Pad1/PadN to a
 * multiple of 8 bytes (RFC 8200 §4.2).
 */
export function buildIpv6OptionsHeader(nextHeader: number, options: Uint8Array): Uint8Array {
  const len = ((options.length + 2 + 7) >> 3) << 3;
  const out = new Uint8Array(len);
  out[0] = nextHeader;
  out[1] = len / 8 - 1;
  out.set(options, 2);
  const pad = len - 2 - options.length;
  if (pad === 1) out[2 + options.length] = IP6OPT_PAD1;
  else if (pad > 1) {
    out[2 + options.length] = 1;
    out[3 + options.length] = pad - 2;
  } // PadN
  return out;
}
