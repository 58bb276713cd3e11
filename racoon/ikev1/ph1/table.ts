// The phase 1 table (racoon handler.c's ph1handle list): ISAKMP SAs created as initiator or as responder
// (under the daemon's half-open bound), their timers (half-open expiry, lifetime, NAT-keepalive),
// establishment, expiry with rekey, removal, lookups, and the racoonctl operations on them.
import type { Endpoint } from '../../engine/datagram.js';
import type { EngineCtx } from '../../engine/context.js';
import { logAbout } from '../../engine/log-limit.js';
import { armKeepalive } from '../../engine/natt.js';
import * as R from '../../engine/retransmit.js';
import { addrEqual, formatAddr } from '../../../common/inet.js';
import { randomBytes } from '../../../common/rng.js';
import type { RemoteConf } from '../../conf/ast.js';
import { lookupRemote } from '../../conf/lookup.js';
import * as C from '../../isakmp/constants.js';
import type { IsakmpMessage, IsakmpPayload } from '../../isakmp/message.js';
import type { Phase1 } from '../handles.js';
import { buildInfo, deleteIsakmpPayload } from '../informational.js';
import { phase1Fragmenter } from '../fragments.js';
import { initialCapabilities } from './capabilities.js';
import { ph1Mode } from './modes.js';
import type { Ph1Ctx } from './step.js';
import { remoteCandidates } from './remote-choice.js';

/** What the phase 1 table needs from the phase 2 side. */
export interface Ph2Hooks {
  /** Fails the phase 2 negotiations still in progress over a phase 1 that goes away. */
  failOver(ph1: Phase1, why: string): void;
  /** Whether established phase 2 SAs exist over this phase 1 (a new phase 1 is worth it when it expires). */
  hasEstablished(ph1: Phase1): boolean;
}

function hx(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** racoon isakmp_pindex: the cookie pair `icookie:rcookie`, and `:msgid` when one is given. */
export function pindex(ph1: Pick<Phase1, 'icookie' | 'rcookie'>, msgid = 0): string {
  const m = msgid ? `:${(msgid >>> 0).toString(16).padStart(8, '0')}` : '';
  return `${hx(ph1.icookie)}:${hx(ph1.rcookie)}${m}`;
}

function ends(local: Endpoint, remote: Endpoint): string {
  return `${formatAddr(local.addr)}[${local.port}]<=>${formatAddr(remote.addr)}[${remote.port}]`;
}

export class Ph1Table {
  /** Phase 1 SAs by initiator cookie (the responder cookie is unknown to the initiator until msg 2). */
  readonly sas = new Map<string, Phase1>();
  /** Told of every phase 1 removed (mode config releases its address, phase1_down scripts run). */
  readonly onRemoved: ((ph1: Phase1, wasEstablished: boolean, why: string) => void)[] = [];
  /** Told of every phase 1 established (racoon EVT_PHASE1_UP for racoonctl show-event). */
  readonly onEstablished: ((ph1: Phase1) => void)[] = [];

  constructor(
    private readonly ctx: EngineCtx,
    private readonly ph2: Ph2Hooks,
    /** What the exchange steps get (the handler builds it: keys, certificates, INITIAL-CONTACT memory). */
    readonly exchangeCtx: () => Ph1Ctx,
  ) {}

  /** Responder phase 1s not yet authenticated. */
  halfOpen(): number {
    let n = 0;
    for (const p of this.sas.values()) if (p.side === 'responder' && p.state !== 'established') n++;
    return n;
  }

  /** The phase 1 a message's initiator cookie names. */
  byCookie(icookie: Uint8Array): Phase1 | undefined {
    return this.sas.get(hx(icookie));
  }

  private create(
    side: Phase1['side'],
    etype: number,
    rm: RemoteConf,
    local: Endpoint,
    remote: Endpoint,
    icookie: Uint8Array,
    rcookie: Uint8Array,
  ): Phase1 {
    const ph1: Phase1 = {
      id: this.ctx.newId(),
      side,
      etype,
      state: side === 'initiator' ? 'msg1-sent' : 'msg2-sent',
      icookie,
      rcookie,
      local: { ...local },
      remote: { ...remote },
      rmconf: rm,
      createdMs: this.ctx.clock.now(),
      nattPeer: false,
      natDetected: false,
      // RFC 3947 §4: a phase 1 that starts on the NAT-T port (a peer initiating there) has floated already:
      // its messages carry the non-ESP marker and its SAs' ESP goes in UDP on these ports.
      floated: local.port === this.ctx.nattPort,
      retries: 0,
      waiting: [],
      msgids: new Set(),
      initialContactSent: false,
      ...initialCapabilities(rm, side),
    };
    ph1.fragment = phase1Fragmenter(ph1);
    return ph1;
  }

  /** Responder: a new phase 1 for a peer's first main mode message; undefined when refused. */
  respond(msg: IsakmpMessage, local: Endpoint, remote: Endpoint): Phase1 | undefined {
    const { ctx } = this;
    const rm = lookupRemote(ctx.conf, remote.addr, remote.port);
    if (!rm) {
      logAbout(ctx, 'notice', remote.addr, `no remote configuration for ${formatAddr(remote.addr)}[${remote.port}]`);
      ctx.stats.unknownSa++;
      return undefined;
    }
    const etype = msg.header.etype;
    const candidates = remoteCandidates(ctx.conf, remote.addr, rm).filter((r) => r.exchangeMode.includes(etype));
    if (!candidates[0]) {
      // racoon isakmp_ph1begin_r: "exchange %s not allowed in any applicable rmconf."
      logAbout(
        ctx,
        'notice',
        remote.addr,
        `exchange ${C.nameOf(C.ISAKMP_ETYPE_NAMES, etype)} not allowed in any applicable rmconf (remote ${rm.name})`,
      );
      ctx.stats.unknownSa++;
      return undefined;
    }
    const ph1 = this.create(
      'responder',
      etype,
      candidates[0],
      local,
      remote,
      msg.header.icookie.slice(),
      randomBytes(ctx.rng, 8),
    );
    if (!this.admit(ph1)) return undefined;
    if (candidates.length > 1) ph1.candidates = candidates;
    this.sas.set(hx(ph1.icookie), ph1);
    logAbout(ctx, 'info', remote.addr, `respond new phase 1 negotiation: ${ends(local, remote)}`);
    logAbout(ctx, 'info', remote.addr, `begin ${ph1Mode(etype)!.name} mode.`);
    return ph1;
  }

  /**
   * A half-open slot for a responder phase 1 (engine/half-open.ts): per source and global bounds, a configured
   * peer preferred to an anonymous one, the oldest unanswered record evicted for a newcomer; a short life
   * when the table is under pressure. False (logged and counted) when refused.
   */
  private admit(ph1: Phase1): boolean {
    const { ctx } = this;
    const source = formatAddr(ph1.remote.addr);
    const adm = ctx.halfOpen.admit({ source, preferred: !ph1.rmconf.anonymous }, ctx.clock.now(), () => {
      ctx.stats.halfOpenEvicted++;
      this.kill(ph1, 'evicted for a newer negotiation (half-open table full)');
    });
    if ('refused' in adm) {
      ctx.stats.halfOpenRefused++;
      const why =
        adm.refused === 'source'
          ? `${ctx.halfOpen.perSource} half-open phase 1 negotiations from ${source} already`
          : `half-open phase 1 limit (${ctx.halfOpen.max}) reached`;
      logAbout(ctx, 'warn', ph1.remote.addr, `${why}; dropping a new negotiation from ${source}`);
      return false;
    }
    ph1.halfOpen = adm.slot;
    this.armHalfOpenTimeout(ph1, adm.shortLife);
    return true;
  }

  /**
   * A responder phase 1 that never completes is removed after max(timer.phase1, interval × counter) — the time
   * an initiator retransmits for —, or after one interval when admitted under pressure (a real peer answers
   * message 2 within a round trip; a forged source never does).
   */
  private armHalfOpenTimeout(ph1: Phase1, short: boolean): void {
    const t = this.ctx.conf.timer;
    const ms = short ? t.intervalSec * 1000 : Math.max(t.phase1Sec, t.intervalSec * t.counter) * 1000;
    ph1.cancelExpire?.();
    ph1.cancelExpire = this.ctx.clock.setTimer(ms, () => {
      if (ph1.state !== 'established') this.kill(ph1, 'phase 1 negotiation timed out');
    });
  }

  /** A responder phase 1 moved past message 2: its peer receives at its address; full half-open life again. */
  progressed(ph1: Phase1): void {
    if (!ph1.halfOpen || ph1.halfOpen.proven || ph1.state === 'msg2-sent') return;
    this.ctx.halfOpen.prove(ph1.halfOpen);
    this.armHalfOpenTimeout(ph1, false);
  }

  /** Initiator: starts main mode with a peer (ACQUIRE or racoonctl establish-sa). */
  initiate(local: Endpoint, remote: Endpoint): Phase1 | undefined {
    const { ctx } = this;
    const rm = lookupRemote(ctx.conf, remote.addr, remote.port);
    if (!rm) {
      ctx.log('warn', `no remote configuration for ${formatAddr(remote.addr)}`);
      return undefined;
    }
    // racoon.conf(5): the first exchange_mode is what racoon uses as initiator.
    const etype = rm.exchangeMode[0]!;
    const mode = ph1Mode(etype);
    if (!mode) {
      ctx.log(
        'warn',
        `remote ${rm.name}: exchange_mode ${C.nameOf(C.ISAKMP_ETYPE_NAMES, etype)} is not supported as initiator`,
      );
      return undefined;
    }
    if (rm.passive) {
      ctx.log('info', `remote ${rm.name} is passive: not initiating`);
      return undefined;
    }
    const peer = { addr: remote.addr, port: rm.portGiven ? rm.port : remote.port };
    const ph1 = this.create('initiator', etype, rm, local, peer, randomBytes(ctx.rng, 8), new Uint8Array(8));
    ctx.log('info', `initiate new phase 1 negotiation: ${ends(local, ph1.remote)}`);
    ctx.log('info', `begin ${mode.name} mode.`);
    let first: Uint8Array;
    try {
      first = mode.i1(ph1, this.exchangeCtx());
    } catch (e) {
      ctx.log('error', `remote ${rm.name}: phase 1 not started: ${(e as Error).message}`);
      return undefined;
    }
    this.sas.set(hx(ph1.icookie), ph1);
    this.sendAndWait(ph1, undefined, first);
    return ph1;
  }

  /** Responder: answers a message (resent only when the peer repeats it). */
  answer(ph1: Phase1, raw: Uint8Array, out: Uint8Array): void {
    R.answer(this.ctx, ph1, ph1, raw, out);
  }

  /** Initiator: sends a message and arms its retransmission (timer.counter tries). */
  sendAndWait(ph1: Phase1, raw: Uint8Array | undefined, out: Uint8Array): void {
    const index = pindex(ph1);
    R.sendAndWait(
      this.ctx,
      ph1,
      ph1,
      raw,
      out,
      () => {
        this.ctx.stats.ph1Failed++;
        // racoon isakmp_ph1resend's words, which log watchers look for.
        this.ctx.log('error', `phase1 negotiation failed due to time up. ${pindex(ph1)}`);
        this.kill(ph1, 'phase 1 peer did not answer');
      },
      `phase1 packet ${index}`,
    );
  }

  /** The ISAKMP SA is up: lifetime and keepalive timers, then the quick modes that waited for it. */
  established(ph1: Phase1): void {
    const { ctx } = this;
    ph1.cancelTimer?.();
    ph1.cancelExpire?.();
    ph1.establishedMs = ctx.clock.now();
    if (ph1.halfOpen) ctx.halfOpen.release(ph1.halfOpen);
    ph1.dh?.wipe();
    ctx.stats.ph1Established++;
    ctx.log(
      'notice',
      `ISAKMP-SA established ${formatAddr(ph1.local.addr)}[${ph1.local.port}]-${formatAddr(ph1.remote.addr)}[${ph1.remote.port}] spi:${hx(ph1.icookie)}:${hx(ph1.rcookie)}`,
    );
    const life = ph1.approval!.lifetimeSec * 1000;
    ph1.cancelExpire = ctx.clock.setTimer(life, () => this.expire(ph1));
    armKeepalive(ctx, ph1, () => ph1.state === 'established');
    for (const f of this.onEstablished) f(ph1);
    if (!ph1.cfg?.gate) this.ready(ph1);
  }

  /** The phase 1 may carry quick modes: the ones that waited for it start (after XAuth / mode config). */
  ready(ph1: Phase1): void {
    const waiting = ph1.waiting.splice(0);
    for (const fn of waiting) fn();
  }

  /** Phase 1 lifetime over: delete it and, when phase 2 SAs remain with the peer, negotiate a new one. */
  private expire(ph1: Phase1): void {
    const hasPh2 = this.ph2.hasEstablished(ph1);
    this.sendInfo(ph1, [deleteIsakmpPayload(ph1)]);
    this.kill(ph1, 'ISAKMP-SA expired');
    if (hasPh2 && ph1.rmconf.rekey !== 'off' && ph1.side === 'initiator') this.initiate(ph1.local, ph1.remote);
  }

  /** Removes a phase 1: timers stopped, keys wiped, its unfinished quick modes failed. */
  kill(ph1: Phase1, why: string): void {
    ph1.cancelTimer?.();
    ph1.cancelExpire?.();
    ph1.cancelKeepalive?.();
    ph1.dpd?.cancel?.();
    const wasEstablished = ph1.state === 'established';
    ph1.state = wasEstablished ? 'expired' : 'dead';
    ph1.dh?.wipe();
    if (ph1.keys) for (const k of [ph1.keys.skeyid, ph1.keys.d, ph1.keys.a, ph1.keys.e, ph1.keys.encKey]) k.fill(0);
    this.sas.delete(hx(ph1.icookie));
    if (ph1.halfOpen) this.ctx.halfOpen.release(ph1.halfOpen);
    this.ph2.failOver(ph1, why);
    for (const f of this.onRemoved) f(ph1, wasEstablished, why);
    const line = `phase 1 ${hx(ph1.icookie)}:${hx(ph1.rcookie)} with ${formatAddr(ph1.remote.addr)} removed: ${why}`;
    // An unauthenticated responder's end is the sender's doing: rate-limited with the other lines about it.
    if (ph1.side === 'responder' && !ph1.establishedMs) logAbout(this.ctx, 'info', ph1.remote.addr, line);
    else this.ctx.log('info', line);
  }

  /** The established (or, with established = false, any live) phase 1 with a peer address. */
  find(remote: Uint8Array, established = true): Phase1 | undefined {
    let best: Phase1 | undefined;
    for (const p of this.sas.values()) {
      if (!addrEqual(p.remote.addr, remote)) continue;
      if (p.state === 'established') return p;
      if (!established && p.state !== 'dead' && p.state !== 'expired') best ??= p;
    }
    return best;
  }

  /** An informational exchange (DELETE, notify) under an established phase 1. */
  sendInfo(ph1: Phase1, payloads: IsakmpPayload[]): void {
    if (ph1.state !== 'established') return;
    if (payloads.some((p) => p.type === C.ISAKMP_NPTYPE_D)) this.ctx.stats.deletesSent++;
    this.ctx.send(ph1, buildInfo(ph1, this.ctx.rng, payloads));
  }

  // ---- racoonctl ----

  /** ISAKMP SAs as racoonctl show-sa isakmp prints them. */
  show(): string[] {
    return [...this.sas.values()].map(
      (p) =>
        `${formatAddr(p.local.addr)}.${p.local.port} ${formatAddr(p.remote.addr)}.${p.remote.port} ${hx(p.icookie)}:${hx(p.rcookie)} ${p.side} ${p.state}`,
    );
  }

  /** flush-sa isakmp: delete every phase 1 (with a DELETE to the peer when established). */
  flush(why = 'flushed by racoonctl'): number {
    let n = 0;
    for (const p of [...this.sas.values()]) {
      this.sendInfo(p, [deleteIsakmpPayload(p)]);
      this.kill(p, why);
      n++;
    }
    return n;
  }

  /** delete-sa isakmp SRC DST. */
  deleteWith(remote: Uint8Array): boolean {
    const p = this.find(remote, false);
    if (!p) return false;
    this.sendInfo(p, [deleteIsakmpPayload(p)]);
    this.kill(p, 'deleted by racoonctl');
    return true;
  }

  /** establish-sa isakmp SRC DST. */
  establish(local: Uint8Array, remote: Uint8Array): Phase1 | undefined {
    const port = this.ctx.port;
    return this.find(remote, false) ?? this.initiate({ addr: local, port }, { addr: remote, port });
  }

  /** Stops every timer (daemon shutdown). */
  close(): void {
    for (const p of this.sas.values()) {
      p.cancelTimer?.();
      p.cancelExpire?.();
      p.cancelKeepalive?.();
      p.dpd?.cancel?.();
    }
  }
}
