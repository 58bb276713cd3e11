// Reassembly of IPv4 (RFC 791 §3.2, RFC 815) and IPv6 (RFC 8200 §4.5) fragments, one Reassembler per host.
// Overlapping fragments discard the whole datagram (RFC 5722 for IPv6; done for IPv4 too); exact duplicates
// are dropped alone (RFC 8200 §4.5); memory and datagrams in flight are bounded, oldest evicted first.
import { ParseError, putU16 } from '../../common/bytes.js';
import { addrKey } from '../../common/inet.js';
import type { Clock } from '../../common/clock.js';
import { decodeIpv4, setIpv4Checksum } from './ipv4.js';
import { walkIpv6Chain } from './ipv6.js';
import {
  IPV4_MAX_PACKET_BYTES,
  IPV6_HEADER_BYTES,
  IPV6_FRAG_HEADER_BYTES,
  IP_MF,
  IP_OFFMASK,
  IPV4_REASS_TIMEOUT_MS,
  IPV6_REASS_TIMEOUT_MS,
} from './constants.js';

/** Why a fragment was dropped (held fragments freed with their datagram count under the datagram's reason). */
export type ReassemblyDrop =
  | 'malformed' // not a well-formed IP packet, or M set with a length not a multiple of 8, or empty
  | 'duplicate' // an exact copy of a fragment already held (RFC 8200 §4.5); the datagram lives on
  | 'overlap' // overlaps a held fragment with different bounds or bytes: datagram discarded (RFC 5722)
  | 'inconsistent' // disagrees about where the datagram ends: datagram discarded
  | 'tooLong' // would reassemble to more than 65535 bytes (RFC 8200 §4.5)
  | 'tooManyFragments' // more than maxFragments pieces for one datagram: datagram discarded
  | 'afterDiscard' // belongs to a datagram already discarded, until its timer runs out (RFC 5722 §4)
  | 'timeout' // held when the datagram's timer ran out
  | 'evictedMemory' // freed to make room under maxBytes
  | 'evictedCount' // freed to make room under maxDatagrams
  | 'noRoom'; // one fragment larger than maxBytes by itself

export const REASSEMBLY_DROPS: readonly ReassemblyDrop[] = [
  'malformed',
  'duplicate',
  'overlap',
  'inconsistent',
  'tooLong',
  'tooManyFragments',
  'afterDiscard',
  'timeout',
  'evictedMemory',
  'evictedCount',
  'noRoom',
];

export type ReassemblyResult =
  /** Not a fragment: the caller goes on with the packet it passed. */
  | { kind: 'not-fragment' }
  /** Kept, waiting for the rest. */
  | { kind: 'held' }
  /** The datagram is whole (for IPv6 with the fragment header removed). */
  | { kind: 'complete'; packet: Uint8Array }
  | { kind: 'dropped'; reason: ReassemblyDrop };

export interface ReassemblyStats {
  /** Fragments passed to input(). */
  fragments: number;
  /** Datagrams completed. */
  reassembled: number;
  /** IPv6 atomic fragments (offset 0, M clear) handed back alone (RFC 6946). */
  atomic: number;
  /** Datagrams whose timer ran out. */
  timedOut: number;
  /** Fragments dropped, by reason. */
  dropped: Record<ReassemblyDrop, number>;
}

export interface ReassemblerOptions {
  clock: Clock;
  /** Bytes of fragment data and headers held at once; default 4 MiB. */
  maxBytes?: number;
  /** Datagrams being reassembled at once (discarded ones included); default 256. */
  maxDatagrams?: number;
  /** Pieces per datagram; default 64 (enough for 64 KiB over a 1280-byte MTU). */
  maxFragments?: number;
  ipv4TimeoutMs?: number;
  ipv6TimeoutMs?: number;
}

/** A datagram whose timer ran out; `firstFragment` is set if offset 0 had arrived (for ICMP time exceeded). */
export interface ExpiredDatagram {
  family: 4 | 6;
  firstFragment?: Uint8Array;
}

interface Piece {
  off: number;
  end: number;
  data: Uint8Array;
}

interface Pending {
  key: string;
  family: 4 | 6;
  createdMs: number;
  pieces: Piece[]; // sorted by off, never overlapping
  have: number; // data bytes held
  totalLen: number; // -1 until the last fragment arrives
  /** IPv4: the offset-0 header; IPv6: the per-fragment headers with the next header already patched. */
  header?: Uint8Array;
  /** The first fragment's own headers, unpatched (for the ICMP time exceeded quote). */
  rawHead?: Uint8Array;
  bytes: number; // accounted memory
  discarded: boolean;
}

/** One fragment, reduced to what reassembly needs. */
interface Frag {
  family: 4 | 6;
  key: string;
  off: number;
  data: Uint8Array;
  more: boolean;
  /** Set on the offset-0 fragment. */
  header?: Uint8Array;
}

function parseV4(pkt: Uint8Array): Frag | undefined {
  const { value: h, next } = decodeIpv4(pkt, 0);
  if (!h.mf && h.fragOffset === 0) return undefined;
  const off = h.fragOffset * 8;
  const key = `4:${addrKey(h.src)}:${addrKey(h.dst)}:${h.protocol}:${h.id}`;
  const header = off === 0 ? pkt.slice(0, h.headerLength) : undefined;
  return { family: 4, key, off, data: pkt.subarray(next, h.totalLength), more: h.mf, header };
}

function parseV6(pkt: Uint8Array): Frag | 'atomic' | undefined {
  const c = walkIpv6Chain(pkt, 0);
  const f = c.fragment;
  if (!f) return undefined;
  const idx = c.exts.findIndex((e) => e.offset === f.offset);
  const nhAt = idx > 0 ? c.exts[idx - 1]!.offset : 6;
  const data = pkt.subarray(f.offset + IPV6_FRAG_HEADER_BYTES, c.end);
  if (f.fragOffset === 0 && !f.more) return 'atomic';
  const key = `6:${addrKey(c.header.src)}:${addrKey(c.header.dst)}:${f.id}`;
  let header: Uint8Array | undefined;
  if (f.fragOffset === 0) {
    header = pkt.slice(0, f.offset);
    header[nhAt] = f.nextHeader; // RFC 8200 §4.5: the first fragment's fragment header names what follows
  }
  return { family: 6, key, off: f.fragOffset, data, more: f.more, header };
}

/** The datagram with the fragment header removed, for an atomic fragment (RFC 6946). */
function stripAtomic(pkt: Uint8Array): Uint8Array {
  const c = walkIpv6Chain(pkt, 0);
  const f = c.fragment!;
  const idx = c.exts.findIndex((e) => e.offset === f.offset);
  const nhAt = idx > 0 ? c.exts[idx - 1]!.offset : 6;
  const out = new Uint8Array(c.end - IPV6_FRAG_HEADER_BYTES);
  out.set(pkt.subarray(0, f.offset));
  out.set(pkt.subarray(f.offset + IPV6_FRAG_HEADER_BYTES, c.end), f.offset);
  out[nhAt] = f.nextHeader;
  putU16(out, 4, out.length - IPV6_HEADER_BYTES);
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Fragment reassembly for one host (BSD `ipq`/`ip6q`); time comes from the injected clock. */
export class Reassembler {
  readonly stats: ReassemblyStats = {
    fragments: 0,
    reassembled: 0,
    atomic: 0,
    timedOut: 0,
    dropped: Object.fromEntries(REASSEMBLY_DROPS.map((r) => [r, 0])) as Record<ReassemblyDrop, number>,
  };
  /** Called for each datagram whose timer runs out while its first fragment is held (RFC 792, RFC 8200 §4.5). */
  onTimeout?: (d: ExpiredDatagram) => void;
  private readonly clock: Clock;
  private readonly maxBytes: number;
  private readonly maxDatagrams: number;
  private readonly maxFragments: number;
  private readonly timeoutMs: Record<4 | 6, number>;
  // Insertion order is creation order, and each family has one timeout, so each map is in deadline order.
  private readonly queues: Record<4 | 6, Map<string, Pending>> = { 4: new Map(), 6: new Map() };
  private held = 0;

  constructor(opts: ReassemblerOptions) {
    this.clock = opts.clock;
    this.maxBytes = opts.maxBytes ?? 4 * 1024 * 1024;
    this.maxDatagrams = opts.maxDatagrams ?? 256;
    this.maxFragments = opts.maxFragments ?? 64;
    if (!(this.maxDatagrams >= 1 && this.maxBytes >= 1 && this.maxFragments >= 1)) {
      throw new RangeError('Reassembler limits must be at least 1');
    }
    this.timeoutMs = { 4: opts.ipv4TimeoutMs ?? IPV4_REASS_TIMEOUT_MS, 6: opts.ipv6TimeoutMs ?? IPV6_REASS_TIMEOUT_MS };
  }

  /** Bytes of fragments and headers held now. */
  get bytesHeld(): number {
    return this.held;
  }
  /** Datagrams in flight (discarded ones waiting out their timer included). */
  get datagrams(): number {
    return this.queues[4].size + this.queues[6].size;
  }

  /** Takes one received packet. Never throws on bad input: malformed packets are counted drops. */
  input(pkt: Uint8Array): ReassemblyResult {
    this.expire();
    let f: Frag | 'atomic' | undefined;
    try {
      f = pkt.length > 0 && pkt[0]! >> 4 === 6 ? parseV6(pkt) : parseV4(pkt);
      if (f === undefined) return { kind: 'not-fragment' };
      this.stats.fragments++;
      if (f === 'atomic') {
        this.stats.atomic++;
        return { kind: 'complete', packet: stripAtomic(pkt) };
      }
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      this.stats.fragments++;
      return this.drop('malformed');
    }
    return this.add(f, pkt);
  }

  /** Drops datagrams whose timer has run out; returns how many. Also run at the start of input(). */
  expire(): number {
    const now = this.clock.now();
    let n = 0;
    for (const fam of [4, 6] as const) {
      for (const p of this.queues[fam].values()) {
        if (p.createdMs + this.timeoutMs[fam] > now) break;
        n++;
        this.remove(p, 'timeout');
        if (p.discarded) continue;
        this.stats.timedOut++;
        const first = p.pieces[0];
        if (this.onTimeout && p.rawHead && first?.off === 0) {
          const ff = new Uint8Array(p.rawHead.length + first.data.length);
          ff.set(p.rawHead);
          ff.set(first.data, p.rawHead.length);
          this.onTimeout({ family: fam, firstFragment: ff });
        }
      }
    }
    return n;
  }

  private add(f: Frag, pkt: Uint8Array): ReassemblyResult {
    const len = f.data.length,
      end = f.off + len;
    if (f.more && (len === 0 || (len & 7) !== 0)) return this.drop('malformed'); // RFC 8200 §4.5, RFC 791
    const minHead = f.family === 4 ? 20 : 0; // IPv6 counts the payload only
    if (end + minHead > IPV4_MAX_PACKET_BYTES) return this.drop('tooLong');
    const q = this.queues[f.family];
    let p = q.get(f.key);
    if (p?.discarded) return this.drop('afterDiscard');
    if (!p) {
      while (this.datagrams >= this.maxDatagrams) this.remove(this.oldest()!, 'evictedCount');
      p = {
        key: f.key,
        family: f.family,
        createdMs: this.clock.now(),
        pieces: [],
        have: 0,
        totalLen: -1,
        bytes: 0,
        discarded: false,
      };
      q.set(f.key, p);
    }
    const lastEnd = p.pieces.length ? p.pieces[p.pieces.length - 1]!.end : 0;
    if (!f.more ? (p.totalLen >= 0 && p.totalLen !== end) || lastEnd > end : p.totalLen >= 0 && end >= p.totalLen) {
      return this.discard(p, 'inconsistent');
    }
    let at = 0;
    for (; at < p.pieces.length && p.pieces[at]!.off < f.off; at++);
    const prev = p.pieces[at - 1],
      nextPiece = p.pieces[at];
    if (nextPiece && nextPiece.off === f.off && nextPiece.end === end && sameBytes(nextPiece.data, f.data))
      return this.drop('duplicate');
    if ((prev && prev.end > f.off) || (nextPiece && nextPiece.off < end) || (nextPiece && nextPiece.off === f.off)) {
      return this.discard(p, 'overlap');
    }
    if (p.pieces.length >= this.maxFragments) return this.discard(p, 'tooManyFragments');
    const cost = len + (f.header ? 2 * f.header.length + IPV6_FRAG_HEADER_BYTES : 0); // header + raw copy
    if (cost > this.maxBytes) return this.drop('noRoom');
    while (this.held + cost > this.maxBytes) {
      const victim = this.oldest(p);
      if (!victim) {
        this.remove(p, 'evictedMemory');
        return this.drop('evictedMemory');
      }
      this.remove(victim, 'evictedMemory');
    }
    p.pieces.splice(at, 0, { off: f.off, end, data: f.data.slice() });
    p.have += len;
    p.bytes += cost;
    this.held += cost;
    if (f.header) {
      p.header = f.header;
      const fragHeadEnd = f.family === 4 ? f.header.length : f.header.length + IPV6_FRAG_HEADER_BYTES;
      p.rawHead = pkt.slice(0, fragHeadEnd);
    }
    if (!f.more) p.totalLen = end;
    if (p.header && p.totalLen >= 0 && p.have === p.totalLen) return this.assemble(p);
    return { kind: 'held' };
  }

  private assemble(p: Pending): ReassemblyResult {
    const h = p.header!;
    const out = new Uint8Array(h.length + p.totalLen);
    if (out.length > IPV4_MAX_PACKET_BYTES + (p.family === 6 ? IPV6_HEADER_BYTES : 0))
      return this.discard(p, 'tooLong');
    out.set(h);
    for (const piece of p.pieces) out.set(piece.data, h.length + piece.off);
    if (p.family === 4) {
      putU16(out, 2, out.length);
      putU16(out, 6, ((out[6]! << 8) | out[7]!) & ~(IP_MF | IP_OFFMASK));
      setIpv4Checksum(out, 0);
    } else {
      putU16(out, 4, out.length - IPV6_HEADER_BYTES);
    }
    this.queues[p.family].delete(p.key);
    this.held -= p.bytes;
    this.stats.reassembled++;
    return { kind: 'complete', packet: out };
  }

  /** The oldest datagram of either family other than `except`. */
  private oldest(except?: Pending): Pending | undefined {
    let best: Pending | undefined;
    for (const fam of [4, 6] as const) {
      for (const p of this.queues[fam].values()) {
        if (p === except) continue;
        if (!best || p.createdMs < best.createdMs) best = p;
        break;
      }
    }
    return best;
  }

  private drop(reason: ReassemblyDrop): ReassemblyResult {
    this.stats.dropped[reason]++;
    return { kind: 'dropped', reason };
  }

  /** Frees a datagram's pieces, counting them under `reason`, and forgets it. */
  private remove(p: Pending, reason: ReassemblyDrop): void {
    this.stats.dropped[reason] += p.pieces.length;
    this.held -= p.bytes;
    this.queues[p.family].delete(p.key);
  }

  /** RFC 5722 §4: drop the datagram and every fragment of it still to come (kept as a marker until timeout). */
  private discard(p: Pending, reason: ReassemblyDrop): ReassemblyResult {
    this.stats.dropped[reason] += p.pieces.length;
    this.held -= p.bytes;
    p.pieces = [];
    p.bytes = 0;
    p.have = 0;
    p.header = undefined;
    p.rawHead = undefined;
    p.discarded = true;
    return this.drop(reason);
  }
}
