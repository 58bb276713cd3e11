// A socket filter that logs and rate-limits one socket (SO_NKE: attached to that socket, not global): every
// datagram in and out is logged (a bounded in-memory log, and the host's log at info), and a token bucket
// per direction limits it; over the limit an outgoing datagram fails with ENOBUFS (the sender sees the error,
// as sendto(2) would) and an incoming one is dropped.
import type { Extension, ExtensionContext, SocketFilterRef, SocketPeer, SocketVerdict, UdpSocket } from 'uipsec';
import { formatAddr } from 'uipsec';

export interface LimiterOptions {
  /** Datagrams per second, each direction. */
  rate: number;
  /** Bucket size (the burst allowed). */
  burst: number;
  /** Lines kept in `lines` (the oldest go first). */
  keepLines?: number;
}

class Bucket {
  private tokens: number;
  private at = -1;
  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }
  take(now: number): boolean {
    if (this.at >= 0) this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) * this.rate) / 1000);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export class SocketLimiter implements Extension {
  readonly name = 'org.uipsec.example.socket-limiter';
  readonly lines: string[] = [];
  readonly counters = { in: 0, out: 0, inLimited: 0, outLimited: 0 };
  private ref: SocketFilterRef | undefined;
  private ctx: ExtensionContext | undefined;
  private readonly inBucket: Bucket;
  private readonly outBucket: Bucket;

  constructor(private readonly opts: LimiterOptions) {
    this.inBucket = new Bucket(opts.rate, opts.burst);
    this.outBucket = new Bucket(opts.rate, opts.burst);
  }

  start(ctx: ExtensionContext): void {
    this.ctx = ctx;
    this.ref = ctx.socketFilter({
      name: 'log-limit',
      dataOut: (s, d, to) => this.out(s, d, to),
      dataIn: (s, d, from) => this.in(s, d, from),
      bind: (s, port) => this.note(`bind port ${port}`),
      connect: (s, to) => this.note(`connect ${formatAddr(to.address)}:${to.port}`),
      closed: (s) => void this.note(`close port ${s.localPort}`),
    });
  }

  /** Puts the filter on one socket (SO_NKE). */
  watch(sock: UdpSocket): void {
    if (!this.ref) throw new Error('extension not started');
    this.ref.attach(sock);
  }

  stop(): void {
    this.ref?.detach();
    this.ref = undefined;
  }

  private out(_s: unknown, d: Uint8Array, to: SocketPeer): SocketVerdict {
    if (!this.outBucket.take(this.now())) {
      this.counters.outLimited++;
      this.note(`out ${formatAddr(to.address)}:${to.port} ${d.length} bytes: rate limited`);
      return { error: 'ENOBUFS' };
    }
    this.counters.out++;
    return this.note(`out ${formatAddr(to.address)}:${to.port} ${d.length} bytes`);
  }

  private in(_s: unknown, d: Uint8Array, from: SocketPeer): SocketVerdict {
    if (!this.inBucket.take(this.now())) {
      this.counters.inLimited++;
      this.note(`in ${formatAddr(from.address)}:${from.port} ${d.length} bytes: rate limited`);
      return { error: 'ENOBUFS' };
    }
    this.counters.in++;
    return this.note(`in ${formatAddr(from.address)}:${from.port} ${d.length} bytes`);
  }

  private now(): number {
    return this.ctx ? this.ctx.host.clock.now() : Date.now();
  }

  private note(line: string): 'continue' {
    this.lines.push(line);
    if (this.lines.length > (this.opts.keepLines ?? 1000)) this.lines.shift();
    this.ctx?.log.log('info', `socket-limiter: ${line}`);
    return 'continue';
  }
}
