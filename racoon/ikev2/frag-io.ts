// IKE fragmentation on an IKE SA (RFC 7383), once both ends announced IKEV2_FRAGMENTATION_SUPPORTED in
// IKE_SA_INIT (init-notifies.ts). Out: a protected message longer than the fragment size is also made as SKF
// fragments, which the IKE SA's path (IkePath.fragment) sends instead — every retransmission sends the same
// fragments (§2.6.1). In: each fragment is authenticated and decrypted alone (§2.6: "MUST verify ... before
// reassembly"), kept only for the one message the window expects (our outstanding request's response, or the
// peer's next request), at most IKEV2_MAX_FRAGMENTS pieces and REASSEMBLY_MAX_BYTES per IKE SA and
// REASSEMBLY_GLOBAL_BYTES in all, and handed on as one message once complete.
import type { Rng } from '../../common/rng.js';
import type { EngineCtx } from '../engine/context.js';
import { NON_ESP_MARKER_LEN } from '../engine/datagram.js';
import { fragmentSk, SkfReassembly } from './fragment.js';
import type { Ikev2Header } from './header.js';
import { isResponse } from './header.js';
import type { Ikev2Message } from './message.js';
import type { Ikev2Payload } from './payload-chain.js';
import type { IkeSa } from './records.js';
import { openSkf } from './sk-protect.js';

/**
 * The IP datagram size fragments are cut for (RFC 7383 §2.5.1 recommends 1280 for IPv6 and a conservative
 * size for IPv4; strongSwan's charon.fragment_size defaults to 1280 for both).
 */
export const IKEV2_FRAGMENT_IP_SIZE = 1280;
/** What one IKE SA may hold of an incomplete message, and what all of them may hold together. */
export const REASSEMBLY_MAX_BYTES = 64 * 1024;
export const REASSEMBLY_GLOBAL_BYTES = 4 * 1024 * 1024;

const UDP_HEADER_LEN = 8;

/** The largest IKE message (header included) one fragment datagram may carry on this SA's path. */
export function fragmentMessageLen(sa: IkeSa, nattPort: number): number {
  const ip = sa.remote.addr.length === 4 ? 20 : 40;
  const marker = sa.local.port === nattPort || sa.remote.port === nattPort ? NON_ESP_MARKER_LEN : 0;
  return IKEV2_FRAGMENT_IP_SIZE - ip - UDP_HEADER_LEN - marker;
}

/** Fragments made for sealed messages, by the message's bytes (the same object the window sends and resends). */
const MADE = new WeakMap<Uint8Array, Uint8Array[]>();

/** The path splitter of an IKE SA: the fragments made for a message, or the message itself. */
function splitter(msg: Uint8Array): Uint8Array[] {
  return MADE.get(msg) ?? [msg];
}

/**
 * After sealing `bytes` (HDR, SK{inner}) on `sa`: when fragmentation was negotiated and the message is longer
 * than a fragment may be, the SKF fragments of the same inner payloads are made and the path will send them.
 */
export function fragmentIfLarge(
  sa: IkeSa,
  header: Ikev2Header,
  inner: readonly Ikev2Payload[],
  bytes: Uint8Array,
  nattPort: number,
  rng: Rng,
): void {
  if (!sa.fragmentation || !sa.skOut) return;
  const max = fragmentMessageLen(sa, nattPort);
  if (bytes.length <= max) return;
  MADE.set(bytes, fragmentSk(header, inner, sa.skOut, max, rng));
  sa.fragment = splitter;
}

/** Bytes held in incomplete messages across every IKE SA (the global bound). */
export class ReassemblyBudget {
  held = 0;

  constructor(
    readonly perSa = REASSEMBLY_MAX_BYTES,
    readonly global = REASSEMBLY_GLOBAL_BYTES,
  ) {}

  release(sa: IkeSa): void {
    const r = sa.reassembly;
    if (!r) return;
    this.held -= r.pieces.bytes;
    r.pieces.clear();
    sa.reassembly = undefined;
  }
}

/** What to do with a verified fragment: wait for more, hand on a whole message, or answer a repeat. */
export type FragmentOutcome =
  | { kind: 'wait' }
  | { kind: 'drop'; why: string }
  | { kind: 'repeat' }
  | { kind: 'message'; inner: Ikev2Payload[]; firstRaw: Uint8Array };

/** Which message of the window a fragment may belong to; undefined when none (dropped). */
function expected(sa: IkeSa, h: Ikev2Header): 'take' | 'repeat' | undefined {
  if (isResponse(h)) return sa.active?.state === 'sent' && sa.active.messageId === h.messageId ? 'take' : undefined;
  if (sa.lastResponse?.messageId === h.messageId) return 'repeat';
  return h.messageId === sa.nextPeerId && sa.answering !== h.messageId ? 'take' : undefined;
}

/** One SKF message on an established key set: authenticated, then collected under the bounds. */
export function fragmentIn(
  ctx: EngineCtx,
  budget: ReassemblyBudget,
  sa: IkeSa,
  raw: Uint8Array,
  msg: Ikev2Message,
): FragmentOutcome {
  const h = msg.header;
  if (!sa.fragmentation) return { kind: 'drop', why: 'fragment from a peer that did not negotiate RFC 7383' };
  const where = expected(sa, h);
  if (!where) return { kind: 'drop', why: `fragment of message ${h.messageId}, not the one expected` };
  const f = openSkf(raw, msg, sa.skIn!);
  if (!f.ok) return { kind: 'drop', why: `fragment not authentic (${f.reason})` };
  ctx.stats.fragReceived++;
  // §2.6.1: a repeated request is answered again on its first fragment only.
  if (where === 'repeat') return f.fragmentNumber === 1 ? { kind: 'repeat' } : { kind: 'wait' };
  let r = sa.reassembly;
  if (r && (r.messageId !== h.messageId || r.response !== isResponse(h))) budget.release(sa);
  r = sa.reassembly ??= { messageId: h.messageId, response: isResponse(h), pieces: new SkfReassembly() };
  const n = f.content.length;
  if (r.pieces.bytes + n > budget.perSa || budget.held + n > budget.global) {
    budget.release(sa);
    return { kind: 'drop', why: 'reassembly bound reached' };
  }
  if (f.fragmentNumber === 1) r.firstRaw = raw;
  const before = r.pieces.bytes;
  let done;
  try {
    done = r.pieces.add(f);
  } catch (e) {
    budget.held -= before;
    sa.reassembly = undefined;
    return { kind: 'drop', why: `reassembled message does not decode: ${(e as Error).message}` };
  }
  budget.held += r.pieces.bytes - before; // a restart (larger Total Fragments, §2.6) may have freed some
  if (!done) return { kind: 'wait' };
  const firstRaw = r.firstRaw ?? raw;
  sa.reassembly = undefined;
  ctx.stats.fragReassembled++;
  return { kind: 'message', inner: done.inner, firstRaw };
}
