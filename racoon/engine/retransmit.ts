// Retransmission and duplicate detection, the same for every exchange of every IKE version: the initiator
// of an exchange resends its last message until the answer comes (racoon.conf `timer { counter; interval; }`),
// the responder resends its last answer only when the peer repeats its request (racoon isakmp_ph1resend /
// isakmp_ph2resend and check_recvdpkt; RFC 7296 §2.1 splits the roles the same way).
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
  /** Answers resent because the peer repeated lastRecv, and when the last one went (check_recvdpkt). */
  dupResends?: number;
  dupResendAtMs?: number;
}

/**
 * A repeat that comes sooner than this after our last copy is not a lost answer (the network duplicated the
 * request, or someone replays it): racoon check_recvdpkt warns "the packet retransmitted in a short time"
 * under one second. No copy is sent for it.
 */
export const DUP_RESEND_MIN_GAP_MS = 1000;

/** How many messages racoon sends in all for one step: `counter` (racoon.conf(5) "retry counter", default 5). */
export function transmissions(ctx: Pick<EngineCtx, 'conf'>): number {
  return Math.max(1, ctx.conf.timer.counter);
}

/**
 * Resends rec.lastSent on `path` every `interval`, while rec stays in its state, as racoon isakmp_ph1resend does:
 * `counter` transmissions in all (the first one included), the interval fixed, then giveUp() one interval after
 * the last copy — "counter 5; interval 20 sec" gives up after 100 s. `what` names the message in debug logs.
 */
export function armRetransmit(
  ctx: EngineCtx,
  path: IkePath,
  rec: Retransmittable,
  giveUp: () => void,
  what = 'packet',
): void {
  rec.cancelTimer?.();
  const intervalMs = ctx.conf.timer.intervalSec * 1000;
  const state = rec.state;
  const fire = () => {
    if (rec.state !== state || ctx.closed()) return;
    if (rec.retries + 1 >= transmissions(ctx)) {
      giveUp();
      return;
    }
    rec.retries++;
    ctx.stats.retransmits++;
    ctx.log('debug', `resend ${what} (${rec.retries + 1} of ${transmissions(ctx)})`);
    ctx.send(path, rec.lastSent!);
    rec.cancelTimer = ctx.clock.setTimer(intervalMs, fire);
  };
  rec.cancelTimer = ctx.clock.setTimer(intervalMs, fire);
}

/**
 * A repeat of the peer's last message means our answer may have been lost: it is sent again, at most `counter`
 * times per answer and not sooner than DUP_RESEND_MIN_GAP_MS after the previous copy (racoon check_recvdpkt),
 * and within the daemon's resend budget — so 5,000 copies of one spoofed request draw at most `counter` + 1
 * answers, not 5,000. True for a repeat (handled, whether resent or not).
 */
export function resendOnDuplicate(ctx: EngineCtx, path: IkePath, rec: Retransmittable, raw: Uint8Array): boolean {
  if (!rec.lastRecv || rec.lastRecv.length !== raw.length || !equalCT(rec.lastRecv, raw)) return false;
  ctx.stats.duplicates++;
  if (!rec.lastSent) return true;
  const now = ctx.clock.now();
  const n = rec.dupResends ?? 0;
  const tooSoon = rec.dupResendAtMs !== undefined && now - rec.dupResendAtMs < DUP_RESEND_MIN_GAP_MS;
  if (n >= transmissions(ctx) || tooSoon || ctx.resendBudget?.take(now) === false) {
    ctx.stats.resendsSuppressed++;
    return true;
  }
  rec.dupResends = n + 1;
  rec.dupResendAtMs = now;
  ctx.send(path, rec.lastSent);
  return true;
}

/** Responder: sends an answer; it is resent only when the peer repeats `raw` (resendOnDuplicate). */
export function answer(ctx: EngineCtx, path: IkePath, rec: Retransmittable, raw: Uint8Array, out: Uint8Array): void {
  rec.lastRecv = raw;
  rec.lastSent = out;
  rec.dupResends = 0;
  rec.dupResendAtMs = ctx.clock.now();
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
  what?: string,
): void {
  if (raw) rec.lastRecv = raw;
  rec.lastSent = out;
  rec.retries = 0;
  rec.dupResends = 0;
  rec.dupResendAtMs = ctx.clock.now();
  ctx.send(path, out);
  armRetransmit(ctx, path, rec, giveUp, what);
}
