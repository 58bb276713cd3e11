// The IKE SA table of IKEv2 (strongSwan ike_sa_manager, racoon2 ikev2_sa list): IKE SAs by our own SPI (the
// one a peer's message names for us, RFC 7296 §3.1), the responder's half-open ones also by the initiator's
// SPI and address (a repeated IKE_SA_INIT must find its answer, §2.1), their lifetimes (rekey, §2.8), the
// liveness check timer (§2.4), the NAT-keepalive, and their removal with their children.
import { formatAddr, addrEqual } from '../../common/inet.js';
import { randomBytes } from '../../common/rng.js';
import type { RemoteConf } from '../conf/ast.js';
import type { EngineCtx } from '../engine/context.js';
import type { Endpoint } from '../engine/datagram.js';
import { armKeepalive } from '../engine/natt.js';
import { IKEV2_SPI_LEN } from './constants.js';
import { suiteText } from './ike-proposal.js';
import { formatIkev2Id } from './payloads/id.js';
import { makeIkeSa, type IkeSa } from './records.js';
import type { Ikev2Stats } from './stats.js';

/** A responder IKE SA that has not authenticated its peer within this time is dropped (half-open, §2.6). */
export const HALF_OPEN_TIMEOUT_MS = 30_000;
/** A rekeyed IKE SA whose Delete never comes is dropped after this time (§2.18). */
export const REKEYED_LINGER_MS = 30_000;
/** The original initiator rekeys the IKE SA at this share of `lifetime time`, the responder later (§2.8). */
const REKEY_SHARE_INITIATOR = 0.9;
const REKEY_SHARE_RESPONDER = 0.95;

const hx = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** What the table asks of the engine when a timer fires. */
export interface IkeTimerHooks {
  rekey(sa: IkeSa): void;
  liveness(sa: IkeSa): void;
  expired(sa: IkeSa): void;
}

export class IkeTable {
  /** By our SPI: SPIi for the IKE SAs we initiated, SPIr for those we answered. */
  readonly bySpi = new Map<string, IkeSa>();
  /** Responder IKE SAs by the initiator's SPI and address, while IKE_SA_INIT may be repeated. */
  private readonly byInit = new Map<string, IkeSa>();

  constructor(
    private readonly ctx: EngineCtx,
    private readonly stats: Ikev2Stats,
    private readonly hooks: IkeTimerHooks,
  ) {}

  static ourSpi(sa: IkeSa): Uint8Array {
    return sa.initiator ? sa.spiI : sa.spiR;
  }

  private static initKey(spiI: Uint8Array, remote: Endpoint): string {
    return `${hx(spiI)}/${formatAddr(remote.addr)}`;
  }

  /** A fresh SPI of ours: 8 random bytes, never zero, not in use (§2.6). */
  newSpi(): Uint8Array {
    for (;;) {
      const spi = randomBytes(this.ctx.rng, IKEV2_SPI_LEN);
      if (spi.some((b) => b !== 0) && !this.bySpi.has(hx(spi))) return spi;
    }
  }

  add(sa: IkeSa): void {
    this.bySpi.set(hx(IkeTable.ourSpi(sa)), sa);
  }

  find(ourSpi: Uint8Array): IkeSa | undefined {
    return this.bySpi.get(hx(ourSpi));
  }

  findInit(spiI: Uint8Array, remote: Endpoint): IkeSa | undefined {
    return this.byInit.get(IkeTable.initKey(spiI, remote));
  }

  /** Our new IKE SA with a peer (IKE_SA_INIT to send). */
  initiator(rm: RemoteConf, local: Endpoint, remote: Endpoint): IkeSa {
    const now = this.ctx.clock.now();
    const sa = makeIkeSa({
      id: this.ctx.newId(),
      initiator: true,
      state: 'init',
      spiI: this.newSpi(),
      spiR: new Uint8Array(IKEV2_SPI_LEN),
      local,
      remote,
      rmconf: rm,
      nowMs: now,
    });
    this.add(sa);
    return sa;
  }

  /** A responder IKE SA for a peer's IKE_SA_INIT; dropped if it does not authenticate in time. */
  responder(rm: RemoteConf, spiI: Uint8Array, local: Endpoint, remote: Endpoint): IkeSa {
    const sa = makeIkeSa({
      id: this.ctx.newId(),
      initiator: false,
      state: 'init',
      spiI: spiI.slice(),
      spiR: this.newSpi(),
      local,
      remote,
      rmconf: rm,
      nowMs: this.ctx.clock.now(),
    });
    this.add(sa);
    const key = IkeTable.initKey(spiI, remote);
    this.byInit.set(key, sa);
    sa.cancelTimers.push(
      this.ctx.clock.setTimer(HALF_OPEN_TIMEOUT_MS, () => {
        if (this.byInit.get(key) === sa) this.byInit.delete(key);
        if (sa.state === 'init' || sa.state === 'auth') this.hooks.expired(sa);
      }),
    );
    return sa;
  }

  /** Responder IKE SAs that have not authenticated their peer (the half-open count, §2.6). */
  halfOpen(): number {
    let n = 0;
    for (const sa of this.bySpi.values()) if (!sa.initiator && (sa.state === 'init' || sa.state === 'auth')) n++;
    return n;
  }

  /** A live IKE SA with a peer, an established one first (new children go there). */
  withPeer(remote: Uint8Array): IkeSa | undefined {
    let any: IkeSa | undefined;
    for (const sa of this.bySpi.values()) {
      if (!addrEqual(sa.remote.addr, remote)) continue;
      if (sa.state === 'established') return sa;
      if (sa.state === 'init' || sa.state === 'auth') any ??= sa;
    }
    return any;
  }

  /** Timers of an authenticated IKE SA: rekey before `lifetime time`, liveness checks, NAT-keepalives. */
  established(sa: IkeSa): void {
    const { ctx } = this;
    sa.state = 'established';
    sa.establishedMs = ctx.clock.now();
    sa.lastHeardMs = sa.establishedMs;
    this.stats.ikeEstablished++;
    ctx.stats.ph1Established++;
    ctx.log(
      'notice',
      `IKEv2 SA ${sa.id} established with ${formatAddr(sa.remote.addr)}` +
        `${sa.peerId ? ` (${formatIkev2Id(sa.peerId)})` : ''}: ${sa.suite ? suiteText(sa.suite) : ''} ` +
        `spi ${hx(sa.spiI)}:${hx(sa.spiR)}${sa.natDetected ? ' (NAT-T)' : ''}`,
    );
    const life = sa.rmconf.lifetimeSec * 1000;
    const share = sa.initiator ? REKEY_SHARE_INITIATOR : REKEY_SHARE_RESPONDER;
    if (sa.rmconf.rekey !== 'off' && life > 0)
      sa.cancelTimers.push(ctx.clock.setTimer(life * share, () => this.hooks.rekey(sa)));
    this.armLiveness(sa);
    armKeepalive(ctx, sa, () => sa.state === 'established');
  }

  /** racoon's dpd_delay: a liveness check when nothing authenticated came from the peer for that long. */
  private armLiveness(sa: IkeSa): void {
    const delay = sa.rmconf.dpd ? sa.rmconf.dpdDelaySec * 1000 : 0;
    if (delay <= 0) return;
    let cancel = () => {};
    const tick = () => {
      if (sa.state !== 'established' || this.ctx.closed()) return;
      const idle = this.ctx.clock.now() - sa.lastHeardMs;
      if (idle >= delay && !sa.active && sa.queue.length === 0) this.hooks.liveness(sa);
      cancel = this.ctx.clock.setTimer(Math.max(delay - idle, delay), tick);
    };
    cancel = this.ctx.clock.setTimer(delay, tick);
    sa.cancelTimers.push(() => cancel()); // one entry, however many ticks
  }

  /** Replaced by a rekey: its timers stop; it goes when the Delete comes, or after a while. */
  retire(old: IkeSa, to: IkeSa, onLinger: () => void): void {
    old.state = 'rekeyed';
    old.rekeyedTo = to;
    this.stopTimers(old);
    old.cancelTimers.push(this.ctx.clock.setTimer(REKEYED_LINGER_MS, onLinger));
  }

  private stopTimers(sa: IkeSa): void {
    for (const c of sa.cancelTimers) c();
    sa.cancelTimers = [];
    sa.cancelKeepalive?.();
    sa.cancelKeepalive = undefined;
  }

  /** Forgets an IKE SA: timers stopped, keys wiped, out of both indexes. */
  remove(sa: IkeSa): void {
    this.stopTimers(sa);
    sa.state = 'dead';
    this.bySpi.delete(hx(IkeTable.ourSpi(sa)));
    const key = IkeTable.initKey(sa.spiI, sa.remote);
    if (this.byInit.get(key) === sa) this.byInit.delete(key);
    sa.dh?.wipe();
    if (sa.keys) for (const k of Object.values(sa.keys)) if (k instanceof Uint8Array) k.fill(0);
  }

  /** The racoonctl show-sa ike line of an IKE SA: ends, SPIs, role, state, suite, children. */
  show(sa: IkeSa): string[] {
    {
      const peer = `${formatAddr(sa.local.addr)}[${sa.local.port}] ${formatAddr(sa.remote.addr)}[${sa.remote.port}]`;
      const role = sa.initiator ? 'I' : 'R';
      const suite = sa.suite ? suiteText(sa.suite) : '-';
      const a = sa.cfg?.result.addr4; // the configuration payload's address (§2.19)
      const cp = a ? ` address ${formatAddr(a)} ${sa.cfg!.client ? 'received' : 'given'}` : '';
      return [
        `${peer} ${hx(sa.spiI)}:${hx(sa.spiR)} IKEv2 ${role} ${sa.state} ${suite} children ${sa.children.size}${cp}`,
      ];
    }
  }

  all(): IkeSa[] {
    return [...this.bySpi.values()];
  }
}
