// Log lines about what unauthenticated senders do (a first message, a malformed datagram, a refused or
// expired negotiation) are rate-limited per source address and in total, so that a flood of forged packets
// cannot fill the log (issue 11 item 7: 74 bytes a packet). What is left out is counted and summarised once a
// window: "N more messages about packets from X suppressed in the last T s".
import type { Clock } from '../../common/clock.js';
import { formatAddr } from '../../common/inet.js';
import type { LogLevel } from '../../common/log.js';

/** racoon's levels: `debug2` (racoon -dd) shows what -d leaves out (whole payloads, every retransmission). */
export type RacoonLogLevel = LogLevel | 'debug2';

export interface SourceLogOptions {
  /** Lines about one source per window. */
  perSource: number;
  /** Lines about all sources together per window. */
  total: number;
  windowMs: number;
}

export const DEFAULT_SOURCE_LOG: SourceLogOptions = { perSource: 5, total: 50, windowMs: 10_000 };

/** Summary lines name the sources with the most left out, up to this many; the rest are one line. */
const SUMMARY_SOURCES = 3;

export class SourceLog {
  private readonly opts: SourceLogOptions;
  private windowStart: number | undefined;
  private written = 0;
  private readonly perSource = new Map<string, number>();
  private readonly suppressed = new Map<string, number>();
  private cancel: (() => void) | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly sink: (level: RacoonLogLevel, msg: string) => void,
    private readonly enabled: (level: RacoonLogLevel) => boolean,
    private readonly onSuppressed: () => void = () => {},
    opts: Partial<SourceLogOptions> = {},
  ) {
    this.opts = { ...DEFAULT_SOURCE_LOG, ...opts };
  }

  /** One line about a packet or negotiation from `source` (an address as text). */
  log(level: RacoonLogLevel, source: string, msg: string): void {
    if (!this.enabled(level)) return;
    const now = this.clock.now();
    if (this.windowStart === undefined || now - this.windowStart >= this.opts.windowMs) this.flush(now);
    const n = this.perSource.get(source) ?? 0;
    if (n < this.opts.perSource && this.written < this.opts.total) {
      this.perSource.set(source, n + 1);
      this.written++;
      this.sink(level, msg);
      return;
    }
    this.suppressed.set(source, (this.suppressed.get(source) ?? 0) + 1);
    this.onSuppressed();
    this.cancel ??= this.clock.setTimer(this.opts.windowMs - (now - this.windowStart!), () => {
      this.cancel = undefined;
      this.flush(this.clock.now());
    });
  }

  /** Stops the summary timer (daemon shutdown); what was left out is summarised now. */
  close(): void {
    this.cancel?.();
    this.cancel = undefined;
    this.flush(this.clock.now());
  }

  /** Ends the window: the summary of what was left out, then a fresh window from `now`. */
  private flush(now: number): void {
    if (this.suppressed.size > 0 && this.windowStart !== undefined) {
      const sec = Math.max(1, Math.round((now - this.windowStart) / 1000));
      const top = [...this.suppressed].sort((x, y) => y[1] - x[1]);
      for (const [src, n] of top.slice(0, SUMMARY_SOURCES))
        this.sink('warn', `${n} more messages about packets from ${src} suppressed in the last ${sec} s`);
      const rest = top.slice(SUMMARY_SOURCES);
      if (rest.length > 0) {
        const n = rest.reduce((s, [, k]) => s + k, 0);
        this.sink(
          'warn',
          `${n} more messages about packets from ${rest.length} other sources suppressed in the last ${sec} s`,
        );
      }
    }
    this.suppressed.clear();
    this.perSource.clear();
    this.written = 0;
    this.windowStart = now;
    this.cancel?.();
    this.cancel = undefined;
  }
}

/** A line about what `addr` sent, through the daemon's per-source limit when it has one. */
export function logAbout(
  ctx: { log(level: RacoonLogLevel, msg: string): void; readonly sourceLog?: SourceLog },
  level: RacoonLogLevel,
  addr: Uint8Array,
  msg: string,
): void {
  if (ctx.sourceLog) ctx.sourceLog.log(level, formatAddr(addr), msg);
  else ctx.log(level, msg);
}
