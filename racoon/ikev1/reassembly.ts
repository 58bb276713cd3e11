// Receiving side of racoon's IKE fragmentation (ipsec-tools isakmp_frag.c isakmp_frag_extract /
// isakmp_frag_reassembly) under bounds: fragments are not authenticated — they arrive before phase 1 is, and
// even later only the reassembled message is checked — so what one source, and all sources together, can make
// us hold is limited in messages, fragments and bytes, and a message not completed in time is dropped.
// Fragment checks as racoon after CVE-2016-10396: no duplicate numbers, one tail, nothing beyond the tail.
import { toHex } from '../../common/bytes.js';
import type { Clock } from '../../common/clock.js';
import { ISAKMP_MAX_MESSAGE_LEN } from '../isakmp/constants.js';
import { ISAKMP_FRAG_LAST, type IsakmpFragment } from '../isakmp/payloads/frag.js';
import type { Endpoint } from '../engine/datagram.js';

export interface ReassemblyLimits {
  /** Fragments of one message. */
  maxFragments: number;
  /** Bytes of one reassembled message. */
  maxMessageBytes: number;
  /** Messages in reassembly from one source address (whatever its port). */
  maxPerSource: number;
  /** Bytes held for one source address. */
  maxBytesPerSource: number;
  /** Messages in reassembly from all sources. */
  maxMessages: number;
  /** Bytes held for all sources. */
  maxBytes: number;
  /** A message still incomplete after this long is dropped (more than one retransmission interval). */
  timeoutMs: number;
}

/**
 * Defaults: a certificate chain of some 16 KB is 32 racoon fragments and 13 strongSwan ones (1280-byte
 * datagrams), so 64 fragments and one ISAKMP maximum per message leave room; a peer retransmits the whole set
 * after `timer interval` (10 s by default), which the 30 s timeout covers twice.
 */
export const DEFAULT_REASSEMBLY_LIMITS: Readonly<ReassemblyLimits> = {
  maxFragments: 64,
  maxMessageBytes: ISAKMP_MAX_MESSAGE_LEN,
  maxPerSource: 4,
  maxBytesPerSource: 128 * 1024,
  maxMessages: 256,
  maxBytes: 4 * 1024 * 1024,
  timeoutMs: 30_000,
};

/** What a fragment did: completed a message, was kept, or was dropped for a reason (counted by the caller). */
export type FragmentResult =
  { kind: 'complete'; message: Uint8Array } | { kind: 'held' } | { kind: 'dropped'; reason: string };

interface Pending {
  source: string;
  createdMs: number;
  pieces: Map<number, Uint8Array>;
  /** The number of the tail fragment, 0 while it has not come. */
  last: number;
  bytes: number;
}

interface SourceUse {
  messages: number;
  bytes: number;
}

/** The messages being reassembled, by source and cookies (racoon keeps one chain per ph1handle). */
export class FragmentReassembly {
  private readonly pending = new Map<string, Pending>();
  private readonly sources = new Map<string, SourceUse>();
  private bytes = 0;
  /** Messages dropped because they were not complete in time. */
  timedOut = 0;

  constructor(
    private readonly clock: Clock,
    readonly limits: Readonly<ReassemblyLimits> = DEFAULT_REASSEMBLY_LIMITS,
  ) {}

  /** Messages in reassembly and the bytes they hold. */
  get held(): { messages: number; bytes: number } {
    return { messages: this.pending.size, bytes: this.bytes };
  }

  /** One fragment from `src` of the message with these cookies. */
  add(src: Endpoint, cookies: Uint8Array, f: IsakmpFragment): FragmentResult {
    this.expire();
    const L = this.limits;
    if (f.number < 1 || f.number > L.maxFragments) return drop(`fragment number ${f.number}`);
    if (f.data.length === 0) return drop('empty fragment');
    const source = toHex(src.addr);
    const key = `${source}|${src.port}|${toHex(cookies)}|${f.fragmentId}`;
    let p = this.pending.get(key);
    if (!p) {
      const use = this.sources.get(source);
      if ((use?.messages ?? 0) >= L.maxPerSource) return drop('too many messages in reassembly from this source');
      if (this.pending.size >= L.maxMessages) return drop('too many messages in reassembly');
      p = { source, createdMs: this.clock.now(), pieces: new Map(), last: 0, bytes: 0 };
    }
    const why = this.refuse(p, f);
    if (why) return drop(why);
    if (!this.pending.has(key)) this.open(key, p);
    p.pieces.set(f.number, f.data);
    p.bytes += f.data.length;
    this.account(p.source, 0, f.data.length);
    if (f.flags & ISAKMP_FRAG_LAST) p.last = f.number;
    if (p.last === 0 || p.pieces.size !== p.last) return { kind: 'held' };
    this.close(key, p);
    return { kind: 'complete', message: assemble(p) };
  }

  /** racoon's checks, then the byte bounds; a message that outgrows its bound is abandoned (strongSwan). */
  private refuse(p: Pending, f: IsakmpFragment): string | undefined {
    const L = this.limits;
    if (p.pieces.has(f.number)) return `duplicate fragment #${f.number}`;
    if (f.flags & ISAKMP_FRAG_LAST) {
      if (p.last !== 0) return 'a second tail fragment';
      for (const n of p.pieces.keys()) if (n > f.number) return `tail #${f.number} below fragment #${n}`;
    } else if (p.last !== 0 && f.number > p.last) return `fragment #${f.number} beyond the tail #${p.last}`;
    const n = f.data.length;
    if (p.bytes + n > L.maxMessageBytes) return 'message larger than the reassembly limit';
    if ((this.sources.get(p.source)?.bytes ?? 0) + n > L.maxBytesPerSource) return 'byte limit of this source';
    if (this.bytes + n > L.maxBytes) return 'reassembly byte limit';
    return undefined;
  }

  private open(key: string, p: Pending): void {
    this.pending.set(key, p);
    this.account(p.source, 1, 0);
  }

  private close(key: string, p: Pending): void {
    this.pending.delete(key);
    this.account(p.source, -1, -p.bytes);
  }

  private account(source: string, messages: number, bytes: number): void {
    const u = this.sources.get(source) ?? { messages: 0, bytes: 0 };
    u.messages += messages;
    u.bytes += bytes;
    this.bytes += bytes;
    if (u.messages === 0 && u.bytes === 0) this.sources.delete(source);
    else this.sources.set(source, u);
  }

  /** Drops the messages older than the timeout (counted in `timedOut`). */
  expire(): void {
    const old = this.clock.now() - this.limits.timeoutMs;
    for (const [key, p] of this.pending) {
      if (p.createdMs > old) continue;
      this.close(key, p);
      this.timedOut++;
    }
  }

  /** Forgets everything (daemon shutdown). */
  clear(): void {
    this.pending.clear();
    this.sources.clear();
    this.bytes = 0;
  }
}

function drop(reason: string): FragmentResult {
  return { kind: 'dropped', reason };
}

function assemble(p: Pending): Uint8Array {
  const out = new Uint8Array(p.bytes);
  let off = 0;
  for (let i = 1; i <= p.last; i++) {
    const d = p.pieces.get(i)!;
    out.set(d, off);
    off += d.length;
  }
  return out;
}
