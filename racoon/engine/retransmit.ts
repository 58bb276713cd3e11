// Retransmission and duplicate detection, the same for every exchange of every IKE version: the initiator
// of an exchange resends its last message until the answer comes (racoon.conf `timer { counter; interval; }`),
// the responder resends its last answer only when the peer repeats its request (racoon isakmp_ph1resend /
// isakmp_ph2resend; RFC 7296 §2.1 splits the roles the same way).
import { equalCT } from '../../common/bytes.js';
import type { EngineCtx } from './context.js';
import type { IkePath } from './datagram.js';

/** The part of a negotiation record (phase 1, phase 2, later an IKEv2 exchange) that these rules use. */
export interface Retransmittable {
  readonly state: string;
  retries: number;
  cancelTimer?: () => void;
  /** The bytes of our last message and of the peer's last one. */
  lastSent?: Uint8Array;
  lastRecv?: Uint8Array;
}

/** The interval doubles after each resend, up to 16 times the configured one. */
const MAX_BACKOFF_SHIFT = 4;

/** Resends rec.lastSent on `path` while rec stays in its state: `timer.counter` times, then giveUp(). */
export function armRetransmit(ctx: EngineCtx, path: IkePath, rec: Retransmittable, giveUp: () => void): void {
  rec.cancelTimer?.();
  const t = ctx.conf.timer;
  const state = rec.state;
  const fire = () => {
    if (rec.state !== state || ctx.closed()) return;
    if (rec.retries >= t.counter) {
      giveUp();
      return;
    }
    rec.retries++;
    ctx.stats.retransmits++;
    ctx.send(path, rec.lastSent!);
    rec.cancelTimer = ctx.clock.setTimer(t.intervalSec * 1000 * 2 ** Math.min(rec.retries, MAX_BACKOFF_SHIFT), fire);
  };
  rec.cancelTimer = ctx.clock.setTimer(t.intervalSec * 1000, fire);
}

/** A repeat of the peer's last message means our answer was lost: it is sent again. True for a repeat. */
export function resendOnDuplicate(ctx: EngineCtx, path: IkePath, rec: Retransmittable, raw: Uint8Array): boolean {
  if (!rec.lastRecv || rec.lastRecv.length !== raw.length || !equalCT(rec.lastRecv, raw)) return false;
  ctx.stats.duplicates++;
  if (rec.lastSent) ctx.send(path, rec.lastSent);
  return true;
}

/** Responder: sends an answer; it is resent only when the peer repeats `raw` (resendOnDuplicate). */
export function answer(ctx: EngineCtx, path: IkePath, rec: Retransmittable, raw: Uint8Array, out: Uint8Array): void {
  rec.lastRecv = raw;
  rec.lastSent = out;
  ctx.send(path, out);
}

/** Initiator: sends a request and arms its retransmission. */
export function sendAndWait(
  ctx: EngineCtx,
  path: IkePath,
  rec: Retransmittable,
  raw: Uint8Array | undefined,
  out: Uint8Array,
  giveUp: () => void,
): void {
  if (raw) rec.lastRecv = raw;
  rec.lastSent = out;
  rec.retries = 0;
  ctx.send(path, out);
  armRetransmit(ctx, path, rec, giveUp);
}
