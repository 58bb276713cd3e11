// A token bucket on the daemon's clock: at most `burst` events at once and `perSec` a second on average. It
// bounds what an unauthenticated sender can make the daemon do in a second (answers resent for duplicates,
// log lines), whatever the number of addresses it forges.

export class TokenBucket {
  private tokens: number;
  private atMs: number | undefined;

  constructor(
    readonly perSec: number,
    readonly burst: number,
  ) {
    this.tokens = burst;
  }

  /** Takes one token at time `nowMs`; false when none is left (the event is to be dropped and counted). */
  take(nowMs: number): boolean {
    if (this.atMs !== undefined && nowMs > this.atMs)
      this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.atMs) * this.perSec) / 1000);
    this.atMs = nowMs;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}
