// IKE fragmentation, RFC 7383: splitting a message's protected content into SKF fragments that each fit a
// given message size (§2.5.1), and reassembling verified fragments (§2.6) under fixed bounds, so a peer cannot
// make us hold more than MAX_FRAGMENTS pieces of one message.
import type { Rng } from '../../common/rng.js';
import { ISAKMP_GEN_HEADER_LEN, ISAKMP_HEADER_LEN } from '../isakmp/constants.js';
import type { Ikev2Header } from './header.js';
import { decodePayloadChain, encodePayloadChain, firstPayloadType, type Ikev2Payload } from './payload-chain.js';
import { icvLength, sealSkf, skOverhead, type SkKeys } from './sk-protect.js';

/** The most fragments accepted for one message (RFC 7383 §2.6: the receiver bounds what it keeps). */
export const IKEV2_MAX_FRAGMENTS = 64;
const SKF_FIELDS_LEN = 4;

/** Bytes of inner content per fragment so that every fragment message is at most `maxLen` bytes. */
export function fragmentContentLen(k: SkKeys, maxLen: number): number {
  // HDR | SKF header | Fragment Number, Total | IV | content, padding, Pad Length | ICV  <= maxLen
  const fixed = ISAKMP_HEADER_LEN + ISAKMP_GEN_HEADER_LEN + SKF_FIELDS_LEN + k.encr.ivLen + icvLength(k);
  const b = k.encr.blockSize;
  const n = Math.floor((maxLen - fixed) / b) * b - 1;
  if (n < 1) throw new RangeError(`fragments of ${maxLen} bytes leave no room for content`);
  return n;
}

/**
 * Protects `inner` as SKF fragments of at most `maxLen` bytes each (RFC 7383 §2.5): the clear chain is cut into
 * pieces, fragment 1 names the first inner payload, the others 0; every fragment has its own IV and ICV.
 */
export function fragmentSk(
  header: Ikev2Header,
  inner: readonly Ikev2Payload[],
  k: SkKeys,
  maxLen: number,
  rng: Rng,
): Uint8Array[] {
  const clear = encodePayloadChain(inner);
  const per = fragmentContentLen(k, maxLen);
  const total = Math.max(1, Math.ceil(clear.length / per));
  if (total > IKEV2_MAX_FRAGMENTS) throw new RangeError(`${total} fragments exceed ${IKEV2_MAX_FRAGMENTS}`);
  const out: Uint8Array[] = [];
  for (let i = 0; i < total; i++) {
    const content = clear.subarray(i * per, Math.min(clear.length, (i + 1) * per));
    const innerNp = i === 0 ? firstPayloadType(inner) : 0;
    out.push(sealSkf(header, [], { fragmentNumber: i + 1, totalFragments: total, innerNp, content }, k, rng));
  }
  clear.fill(0);
  return out;
}

/** One verified fragment (openSkf's result). */
export interface SkfPiece {
  fragmentNumber: number;
  totalFragments: number;
  innerNp: number;
  content: Uint8Array;
}

/** Reassembly state of one message (strongSwan `message_t` fragment list): owned by the IKE SA, per message ID. */
export class SkfReassembly {
  private pieces = new Map<number, SkfPiece>();
  private total = 0;
  private size = 0;

  /**
   * Adds a verified fragment; returns the decoded inner chain once all are there, undefined while incomplete.
   * §2.6: a fragment announcing more fragments than before restarts the collection; fewer is ignored; so is a
   * duplicate. Throws Ikev2Error (INVALID_SYNTAX) when the reassembled content does not decode.
   */
  add(p: SkfPiece): { inner: Ikev2Payload[]; ignored: number[] } | undefined {
    const n = p.fragmentNumber;
    if (n < 1 || n > p.totalFragments || p.totalFragments > IKEV2_MAX_FRAGMENTS) return undefined;
    if (p.totalFragments > this.total) {
      this.clear();
      this.total = p.totalFragments;
    }
    if (p.totalFragments < this.total || this.pieces.has(p.fragmentNumber)) return undefined;
    this.pieces.set(p.fragmentNumber, p);
    this.size += p.content.length;
    if (this.pieces.size < this.total) return undefined;
    return this.assemble();
  }

  private assemble(): { inner: Ikev2Payload[]; ignored: number[] } {
    const parts: SkfPiece[] = [];
    for (let i = 1; i <= this.total; i++) parts.push(this.pieces.get(i)!);
    const n = parts.reduce((s, q) => s + q.content.length, 0);
    const clear = new Uint8Array(n);
    let o = 0;
    for (const q of parts) {
      clear.set(q.content, o);
      o += q.content.length;
    }
    this.clear();
    try {
      const chain = decodePayloadChain(parts[0]!.innerNp, clear, 0, n, { inner: true }).value;
      return { inner: chain.payloads, ignored: chain.ignored };
    } finally {
      clear.fill(0);
    }
  }

  /** Fragments held so far (for bounds and diagnostics). */
  get held(): number {
    return this.pieces.size;
  }

  /** Bytes of content held so far. */
  get bytes(): number {
    return this.size;
  }

  clear(): void {
    for (const p of this.pieces.values()) p.content.fill(0);
    this.pieces.clear();
    this.total = 0;
    this.size = 0;
  }
}

/** Bytes of HDR, `outerLen` bytes of clear payloads and SK{n bytes}: whether a message needs fragmenting. */
export function skMessageLength(k: SkKeys, outerLen: number, n: number): number {
  return ISAKMP_HEADER_LEN + outerLen + skOverhead(k, n) + n;
}
