// ping(8) for the in-process host: ICMP echo requests (RFC 792) or ICMPv6 echo requests (RFC 4443 §4.1)
// sent `count` times `intervalMs` apart, replies matched by identifier and sequence number, round-trip times
// from the injected clock. Answering other hosts' requests is the host's job (host.ts).
import type { Clock } from '../../common/clock.js';
import { addrEqual } from '../../common/inet.js';

/** ping(8) defaults: 56 data bytes, one second apart; we wait 1 s after the last request. */
export const PING_DEFAULT_SIZE = 56;
export const PING_DEFAULT_INTERVAL_MS = 1000;
export const PING_DEFAULT_TIMEOUT_MS = 1000;

export interface PingOptions {
  count?: number;
  /** Echo data bytes (ping -s). */
  size?: number;
  /** Between requests; 0 sends them all at once. */
  intervalMs?: number;
  /** How long to wait for replies after the last request. */
  timeoutMs?: number;
}

export interface PingReply {
  seq: number;
  rttMs: number;
  /** ICMP message bytes (header + data), as ping(8) prints them. */
  bytes: number;
  ttl: number;
  from: Uint8Array;
}

/** What ping needs from its host. */
export interface PingStack {
  readonly clock: Clock;
  /** Sends one echo request; false when the output path dropped it. */
  sendEchoRequest(dst: Uint8Array, id: number, seq: number, data: Uint8Array): boolean;
  readonly pings: PingTable;
}

type ReplyHandler = (seq: number, from: Uint8Array, ttl: number, bytes: number, data: Uint8Array) => void;

/** Echo identifiers in use on one host and the sessions waiting on them. */
export class PingTable {
  private readonly sessions = new Map<number, ReplyHandler>();
  private nextId = 1;

  open(fn: ReplyHandler): number {
    for (let i = 0; i < 0x10000; i++) {
      const id = this.nextId;
      this.nextId = (this.nextId % 0xffff) + 1;
      if (!this.sessions.has(id)) {
        this.sessions.set(id, fn);
        return id;
      }
    }
    throw new RangeError('no free ICMP echo identifier');
  }

  close(id: number): void {
    this.sessions.delete(id);
  }

  /** An echo reply arrived for this host; false if no session waits for its identifier. */
  dispatch(id: number, seq: number, from: Uint8Array, ttl: number, bytes: number, data: Uint8Array): boolean {
    const fn = this.sessions.get(id);
    if (!fn) return false;
    fn(seq, from, ttl, bytes, data);
    return true;
  }
}

function patternData(size: number, seq: number): Uint8Array {
  const d = new Uint8Array(size);
  for (let i = 0; i < size; i++) d[i] = (i + seq) & 0xff;
  return d;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Pings `dst`; resolves with the replies (in arrival order) once every request is answered, or when
 * timeoutMs has passed since the last request. Replies from another address, with another identifier, a
 * duplicate sequence number or data that differs from what was sent are ignored.
 */
export function ping(stack: PingStack, dst: Uint8Array, opts: PingOptions = {}): Promise<PingReply[]> {
  const count = Math.min(0x10000, Math.max(1, Math.floor(opts.count ?? 1))); // the echo sequence is 16 bits
  const size = Math.max(0, Math.min(65000, Math.floor(opts.size ?? PING_DEFAULT_SIZE)));
  const interval = Math.max(0, opts.intervalMs ?? PING_DEFAULT_INTERVAL_MS);
  const timeout = Math.max(0, opts.timeoutMs ?? PING_DEFAULT_TIMEOUT_MS);
  const clock = stack.clock;
  return new Promise((resolve) => {
    const sentAt = new Map<number, number>();
    const replies: PingReply[] = [];
    let sent = 0;
    let cancel: (() => void) | undefined;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      cancel?.();
      stack.pings.close(id);
      resolve(replies);
    };
    const id = stack.pings.open((seq, from, ttl, bytes, data) => {
      const t = sentAt.get(seq);
      if (t === undefined || !addrEqual(from, dst) || !sameBytes(data, patternData(size, seq))) return;
      sentAt.delete(seq);
      replies.push({ seq, rttMs: clock.now() - t, bytes, ttl, from: new Uint8Array(from) });
      if (sent === count && sentAt.size === 0) finish();
    });
    const sendOne = (): void => {
      const seq = sent++;
      sentAt.set(seq, clock.now());
      stack.sendEchoRequest(dst, id, seq, patternData(size, seq));
    };
    const sendNext = (): void => {
      cancel = undefined;
      // With no interval every request goes out now (a loop, not recursion: count may be large).
      do sendOne();
      while (interval === 0 && sent < count && !done);
      if (done) return;
      cancel = clock.setTimer(sent < count ? interval : timeout, sent < count ? sendNext : finish);
    };
    sendNext();
  });
}
