// racoon's two links to uipsecd, the process that is its kernel: the PF_KEY socket and the IKE datagram
// channel. A KAME racoon never outlives its kernel; ours can, when uipsecd dies or is restarted under it. Each
// link that closes is said in the log, then reconnected with exponential backoff: a new PF_KEY socket is
// registered again and the SPD mirrored afresh (Racoon.kernelBack), a new channel binds the IKE ports again.
// Phase 1 SAs live in racoon and survive; the kernel's SAs do not, and the peers are told (ISAKMP DELETE).
import type { Logger } from '../common/log.js';
import { SocketPathError } from '../common/socket-path.js';
import { PfkeyClient } from '../pfkey/client.js';
import { UnixTransport } from '../pfkey/transport-unix.js';
import { IkeChannel, type IkeDatagram } from '../channel/client.js';
import type { Racoon } from './daemon.js';

/** Reconnection delays: the first wait, doubled after each failure up to the ceiling. */
export interface Backoff {
  firstMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { firstMs: 250, maxMs: 30_000 };

/** Calls `attempt` until it resolves, with backoff; says the failures in the log at growing intervals. */
export class Retry {
  private timer: NodeJS.Timeout | undefined;
  private delay = 0;
  private failures = 0;
  private stopped = false;

  constructor(
    private readonly what: string,
    private readonly attempt: () => Promise<void>,
    private readonly log: Logger,
    private readonly backoff: Backoff = DEFAULT_BACKOFF,
  ) {}

  /** Starts trying (once; a retry already scheduled is left alone). */
  start(): void {
    if (this.timer || this.stopped) return;
    this.delay = this.backoff.firstMs;
    this.failures = 0;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.timer = setTimeout(() => void this.run(), this.delay);
  }

  private async run(): Promise<void> {
    try {
      await this.attempt();
      this.timer = undefined;
    } catch (e) {
      if (this.stopped) return;
      this.failures++;
      this.delay = Math.min(this.delay * 2, this.backoff.maxMs);
      // 1st, 2nd, 4th, 8th... failure: a line while the backoff grows, not one per attempt.
      if ((this.failures & (this.failures - 1)) === 0)
        this.log.log(
          'warn',
          `${this.what}: ${(e as Error).message}; attempt ${this.failures + 1} in ${this.delay / 1000} s`,
        );
      this.schedule();
    }
  }
}

export interface KernelLinkOptions {
  /** uipsecd's PF_KEY socket. */
  pfkeySocket: string;
  /** uipsecd's IKE channel; racoon uses it when it answers at startup, else its own UDP sockets. */
  ikeSocket: string;
  log: Logger;
  backoff?: Backoff;
}

/** The PF_KEY socket and (when uipsecd offers one) the IKE channel, each reconnected when it closes. */
export class KernelLink {
  private channel: IkeChannel | undefined;
  private racoon: Racoon | undefined;
  private ports: number[] = [];
  private rx: (d: IkeDatagram) => void = () => {};
  private closing = false;
  private readonly pfkeyRetry: Retry;
  private readonly channelRetry: Retry;

  private constructor(
    private readonly o: KernelLinkOptions,
    private pfkeyClient: PfkeyClient,
    readonly usesChannel: boolean,
    channel: IkeChannel | undefined,
    transport: UnixTransport,
  ) {
    this.channel = channel;
    this.pfkeyRetry = new Retry(`PF_KEY ${o.pfkeySocket}`, () => this.reconnectPfkey(), o.log, o.backoff);
    this.channelRetry = new Retry(`IKE channel ${o.ikeSocket}`, () => this.reconnectChannel(), o.log, o.backoff);
    this.watchPfkey(transport);
    if (channel) this.watchChannel(channel);
  }

  /** Connects at startup: PF_KEY must answer (racoon cannot start without a kernel); the channel may not. */
  static async open(o: KernelLinkOptions): Promise<KernelLink> {
    const t = await UnixTransport.connect(o.pfkeySocket);
    let channel: IkeChannel | undefined;
    try {
      channel = await IkeChannel.connect(o.ikeSocket);
    } catch (e) {
      if (e instanceof SocketPathError) throw e; // someone else's socket: refuse rather than fall back quietly
      channel = undefined;
    }
    return new KernelLink(o, new PfkeyClient(t), channel !== undefined, channel, t);
  }

  /** The PF_KEY client of the first connection (Racoon's constructor takes it; later ones go to kernelBack). */
  get pfkey(): PfkeyClient {
    return this.pfkeyClient;
  }

  /** Starts serving: the daemon that hears of the kernel, and the IKE ports bound on the channel. */
  async serve(racoon: Racoon, ports: number[], rx: (d: IkeDatagram) => void): Promise<void> {
    this.racoon = racoon;
    this.ports = ports;
    this.rx = rx;
    if (this.channel) await this.bindPorts(this.channel);
  }

  /** An IKE datagram out through the channel; dropped while it is down (the peer retransmits). */
  send(localPort: number, remote: Uint8Array, remotePort: number, data: Uint8Array): void {
    this.channel?.send(localPort, remote, remotePort, data);
  }

  close(): void {
    this.closing = true;
    this.pfkeyRetry.stop();
    this.channelRetry.stop();
    this.pfkeyClient.close();
    this.channel?.close();
  }

  private async bindPorts(ch: IkeChannel): Promise<void> {
    ch.onDatagram((d) => this.rx(d));
    for (const p of this.ports) await ch.bind(p, { bypass: true });
  }

  private watchPfkey(t: UnixTransport): void {
    t.onClose((err) => {
      if (this.closing) return;
      this.o.log.log(
        'error',
        `PF_KEY socket ${this.o.pfkeySocket} closed${err ? ` (${err.message})` : ''}: uipsecd is gone, and the IPsec SAs with it; reconnecting`,
      );
      this.racoon?.kernelGone();
      this.pfkeyRetry.start();
    });
  }

  private watchChannel(ch: IkeChannel): void {
    ch.onClose((err) => {
      if (this.closing) return;
      if (this.channel === ch) this.channel = undefined;
      this.o.log.log(
        'error',
        `IKE channel ${this.o.ikeSocket} closed${err ? ` (${err.message})` : ''}: no IKE until it is back; reconnecting`,
      );
      this.channelRetry.start();
    });
  }

  /** A new PF_KEY socket: REGISTER and SPDDUMP through the daemon, then watched like the first. */
  private async reconnectPfkey(): Promise<void> {
    const t = await UnixTransport.connect(this.o.pfkeySocket);
    const client = new PfkeyClient(t);
    try {
      if (this.racoon) await this.racoon.kernelBack(client);
    } catch (e) {
      client.close();
      throw e;
    }
    if (this.closing) return client.close();
    this.pfkeyClient = client;
    this.watchPfkey(t);
    this.o.log.log('notice', `PF_KEY socket ${this.o.pfkeySocket} connected again: registered, SPD mirrored`);
  }

  private async reconnectChannel(): Promise<void> {
    const ch = await IkeChannel.connect(this.o.ikeSocket);
    try {
      await this.bindPorts(ch);
    } catch (e) {
      ch.close();
      throw e;
    }
    if (this.closing) return ch.close();
    this.channel = ch;
    this.watchChannel(ch);
    this.o.log.log('notice', `IKE channel ${this.o.ikeSocket} connected again: ports ${this.ports.join('/')} bound`);
  }
}
