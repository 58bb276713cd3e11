// IKEv1's side of the engine (racoon isakmp.c isakmp_main / ph1_main): an ISAKMP message is decoded,
// matched to its phase 1 by cookies and handed to the exchange its type names: main mode (the phase 1
// table and PH1_STEPS), quick mode (phase 2) or informational. A failed exchange is counted and logged
// and, before authentication, ends its phase 1 (with a clear notification while no key exists).
import { equalCT } from '../../common/bytes.js';
import { addrEqual, formatAddr } from '../../common/inet.js';
import type { EngineCtx } from '../engine/context.js';
import type { Endpoint, IkePath } from '../engine/datagram.js';
import type { IkeVersionHandler } from '../engine/dispatch.js';
import { followPeer } from '../engine/natt.js';
import { logAbout } from '../engine/log-limit.js';
import { resendOnDuplicate } from '../engine/retransmit.js';
import * as C from '../isakmp/constants.js';
import { IsakmpError } from '../isakmp/codec.js';
import type { IsakmpDelete } from '../isakmp/payloads/delete.js';
import { decodeIsakmpMessage, type IsakmpMessage } from '../isakmp/message.js';
import { Dpd } from './dpd.js';
import { FragmentInput, isFragmentMessage } from './frag-input.js';
import type { Phase1 } from './handles.js';
import { InfoInput } from './info-input.js';
import { buildInfo } from './informational.js';
import { buildMessage, newMsgid } from './message.js';
import { isakmpNotify, isakmpSpi, notifyPayload } from './notify.js';
import { AuthFailure } from './ph1/auth.js';
import { makePh1Ctx } from './ph1/context.js';
import { isPh1Etype, ph1Mode } from './ph1/modes.js';
import type { Ph1Ctx } from './ph1/step.js';
import { Ph1Table } from './ph1/table.js';
import { Ph2Engine } from './ph2/engine.js';
import { Ph2Table } from './ph2/table.js';
import { ph2Disallowed, sainfoFor, type ReloadSummary } from './reload.js';
import { deleteIsakmpPayload } from './informational.js';
import { lookupRemote } from '../conf/lookup.js';
import { purgeRemote } from './purge.js';
import type { ReassemblyLimits } from './reassembly.js';
import { ModeCfg } from './cfg/mode-cfg.js';

const isZero = (b: Uint8Array) => b.every((x) => x === 0);

/** Hook points for what happens to a phase 1 (racoon's script hooks and evt.c events plug in here). */
export interface Ikev1Events {
  /** DPD declared the peer dead, before its SAs are purged (racoon script phase1_dead, EVT_PHASE1_DPD_TIMEOUT). */
  phase1Dead?(ph1: Phase1): void;
  /** The phase 1 is usable (after XAuth / mode config when they run): racoon script phase1_up. */
  phase1Up?(ph1: Phase1): void;
  /** An established phase 1 was removed: racoon script phase1_down. */
  phase1Down?(ph1: Phase1): void;
}

export interface Ikev1Options {
  /** Bounds of IKE fragment reassembly (defaults: DEFAULT_REASSEMBLY_LIMITS). */
  fragLimits?: Partial<ReassemblyLimits>;
}

export class Ikev1Handler implements IkeVersionHandler {
  readonly majorVersion = C.ISAKMP_MAJOR_VERSION;
  readonly ph1: Ph1Table;
  readonly ph2s: Ph2Table;
  readonly ph2: Ph2Engine;
  readonly dpd: Dpd;
  readonly frags: FragmentInput;
  readonly events: Ikev1Events = {};
  readonly modeCfg: ModeCfg;
  private readonly info: InfoInput;
  /** Peers we sent INITIAL-CONTACT to (racoon's contacted list: once per peer per daemon lifetime). */
  private readonly contacted = new Set<string>();
  private readonly exchange: Ph1Ctx;

  constructor(
    private readonly ctx: EngineCtx,
    opts: Ikev1Options = {},
  ) {
    this.exchange = makePh1Ctx(ctx, this.contacted);
    this.ph1 = new Ph1Table(
      ctx,
      {
        failOver: (ph1, why) => this.ph2s.failOver(ph1, why),
        hasEstablished: (ph1) => this.ph2s.hasEstablished(ph1),
      },
      () => this.exchange,
    );
    this.ph2s = new Ph2Table(ctx, this.ph1, (sp, me, peer, seq, satype) =>
      this.ph2.startPh2(sp, me, peer, seq, satype),
    );
    this.ph2 = new Ph2Engine(ctx, this.ph1, this.ph2s);
    this.dpd = new Dpd(ctx, {
      sendInfo: (ph1, payloads) => this.ph1.sendInfo(ph1, payloads),
      dead: (ph1) => this.peerDead(ph1),
    });
    this.info = new InfoInput(ctx, this.ph1, this.ph2s, (ph1, n) => this.dpd.input(ph1, n));
    this.frags = new FragmentInput(ctx, (c) => this.ph1.byCookie(c), opts.fragLimits);
    this.modeCfg = new ModeCfg(ctx, {
      ready: (ph1) => this.ph1.ready(ph1),
      up: (ph1) => this.events.phase1Up?.(ph1),
      end: (ph1, why) => {
        this.ctx.log('error', `phase 1 with ${formatAddr(ph1.remote.addr)}: ${why}`);
        this.ph1.sendInfo(ph1, [deleteIsakmpPayload(ph1)]);
        this.ph1.kill(ph1, why);
      },
    });
    this.ph1.onRemoved.push((ph1, wasEstablished) => {
      this.modeCfg.removed(ph1);
      if (wasEstablished && ph1.cfg?.up) this.events.phase1Down?.(ph1);
    });
  }

  close(): void {
    this.ph1.close();
    this.ph2s.close();
    this.frags.close();
  }

  /** DPD gave up on the peer: the hook, then its SAs and the phase 1 go (racoon purge_remote). */
  private peerDead(ph1: Phase1): void {
    this.events.phase1Dead?.(ph1);
    void purgeRemote(this.ctx, this.ph1, this.ph2s, ph1, 'DPD: peer dead');
  }

  /**
   * The configuration was reloaded (ctx.conf is the new one): racoon revalidate_ph12. A phase 1 whose peer has
   * no `remote` section any more is deleted with its phase 2 SAs; an established phase 2 the new sainfo no
   * longer allows is deleted at the peer and in the kernel; the rest carry on.
   */
  async reload(): Promise<ReloadSummary> {
    const { ctx } = this;
    const sum: ReloadSummary = { ph1Kept: 0, ph1Deleted: 0, ph2Kept: 0, ph2Deleted: 0 };
    for (const p of [...this.ph1.sas.values()]) {
      const rm = lookupRemote(ctx.conf, p.remote.addr, p.remote.port);
      if (rm) {
        p.rmconf = rm;
        sum.ph1Kept++;
        continue;
      }
      for (const ph2 of [...this.ph2s.all].filter((x) => x.ph1 === p && x.state === 'established')) {
        await this.ph2s.remove(ph2, true);
        sum.ph2Deleted++;
      }
      this.ph1.sendInfo(p, [deleteIsakmpPayload(p)]);
      this.ph1.kill(p, 'no remote section for the peer after the reload');
      sum.ph1Deleted++;
    }
    for (const ph2 of [...this.ph2s.all]) {
      if (ph2.state !== 'established' || !ph2.approval) continue;
      const sainfo = sainfoFor(ctx.conf, ph2);
      const check = ph2.ph1?.rmconf.proposalCheck ?? 'exact';
      const why = sainfo ? ph2Disallowed(ph2.approval, sainfo, check) : 'no sainfo';
      if (!why) {
        ph2.sainfo = sainfo;
        sum.ph2Kept++;
        continue;
      }
      ctx.log(
        'info',
        `IPsec-SA with ${formatAddr(ph2.dst.addr)} not allowed by the new configuration (${why}): deleted`,
      );
      await this.ph2s.remove(ph2, true);
      sum.ph2Deleted++;
    }
    return sum;
  }

  /**
   * A clean stop (SIGTERM/SIGINT, racoon close_session): DELETE to the peer for every established phase 2 and
   * phase 1, and our SAs removed from the kernel, so that neither side keeps SAs into a daemon that is gone.
   */
  async shutdown(): Promise<void> {
    for (const ph2 of [...this.ph2s.all]) if (ph2.state === 'established') await this.ph2s.remove(ph2, true);
    this.ph1.flush('racoon stopping');
  }

  input(d: Uint8Array, local: Endpoint, remote: Endpoint): void {
    if (isFragmentMessage(d)) {
      const whole = this.frags.input(d, remote);
      if (whole) this.message(whole, local, remote);
      return;
    }
    this.message(d, local, remote);
  }

  /** One whole ISAKMP message (never a fragment). */
  private message(d: Uint8Array, local: Endpoint, remote: Endpoint): void {
    let msg: IsakmpMessage;
    try {
      msg = decodeIsakmpMessage(d).value;
    } catch (e) {
      this.ctx.stats.malformed++;
      logAbout(
        this.ctx,
        'debug',
        remote.addr,
        `malformed ISAKMP message from ${formatAddr(remote.addr)}: ${(e as Error).message}`,
      );
      return;
    }
    try {
      this.dispatch(msg, d, local, remote);
    } catch (e) {
      this.failed(msg, e, remote);
    }
  }

  private failed(msg: IsakmpMessage, e: unknown, remote: Endpoint): void {
    const { ctx } = this;
    const ph1 = this.ph1.byCookie(msg.header.icookie);
    if (e instanceof IsakmpError) {
      const n = e.notifyType;
      if (
        e instanceof AuthFailure ||
        n === C.ISAKMP_NTYPE_INVALID_HASH_INFORMATION ||
        n === C.ISAKMP_NTYPE_AUTHENTICATION_FAILED
      )
        ctx.stats.authFailed++;
      if (n === C.ISAKMP_NTYPE_NO_PROPOSAL_CHOSEN) ctx.stats.noProposal++;
      const line = `${C.nameOf(C.ISAKMP_ETYPE_NAMES, msg.header.etype)} from ${formatAddr(remote.addr)}: ${e.message}`;
      if (ph1?.state === 'established') ctx.log('warn', line);
      else logAbout(ctx, 'warn', remote.addr, line);
    } else {
      ctx.log('error', `internal error on a message from ${formatAddr(remote.addr)}: ${(e as Error).stack ?? e}`);
    }
    // A phase 1 that failed before authentication is dropped (racoon: remph1 after a failed exchange); before
    // any key exists the reason goes back in a clear notification (racoon isakmp_info_send_n1). Once keys
    // exist, only what oakley_validate_auth reports (AuthFailure) goes back, encrypted under them.
    const ph1Exchange = isPh1Etype(msg.header.etype);
    if (ph1 && ph1.state !== 'established' && ph1Exchange) {
      if (e instanceof IsakmpError && !ph1.keys && ph1.side === 'responder') this.sendClearNotify(ph1, e.notifyType);
      if (e instanceof AuthFailure && ph1.keys) this.sendAuthNotify(ph1, e.notifyType);
      ctx.log('error', 'phase1 negotiation failed.');
      this.ph1.kill(ph1, 'negotiation failed');
    }
  }

  /** isakmp_info_send_n1 with keys: HDR*, HASH(1), N(type) with no SPI (proto ISAKMP), under the phase 1 keys. */
  private sendAuthNotify(ph1: Phase1, notifyType: number): void {
    this.ctx.stats.notifiesSent++;
    const n = notifyPayload(C.IPSECDOI_PROTO_ISAKMP, notifyType, new Uint8Array(0));
    this.ctx.send(ph1, buildInfo(ph1, this.ctx.rng, [n]));
  }

  /** An unencrypted informational with one notification about the ISAKMP SA (cookies as SPI). */
  private sendClearNotify(ph1: Phase1, notifyType: number): void {
    this.ctx.stats.notifiesSent++;
    const n = isakmpNotify(ph1, notifyType);
    this.ctx.send(ph1, buildMessage(ph1, C.ISAKMP_ETYPE_INFO, newMsgid(ph1, this.ctx.rng), [n]).bytes);
  }

  private dispatch(msg: IsakmpMessage, raw: Uint8Array, local: Endpoint, remote: Endpoint): void {
    const h = msg.header;
    const ph1 = this.ph1.byCookie(h.icookie);
    if (ph1 && !isZero(ph1.rcookie) && !equalCT(ph1.rcookie, h.rcookie) && !isZero(h.rcookie)) {
      this.ctx.stats.unknownSa++;
      return;
    }
    if (isPh1Etype(h.etype)) {
      if (ph1) this.ph1Input(ph1, msg, raw, { local, remote });
      else this.ph1First(msg, raw, local, remote);
      return;
    }
    if (ph1 && ph1.state !== 'established' && h.etype === C.ISAKMP_ETYPE_INFO && !msg.encrypted) {
      this.clearInfo(ph1, msg, remote);
      return;
    }
    if (!ph1 || ph1.state !== 'established') {
      this.ctx.stats.unknownSa++;
      return;
    }
    followPeer(ph1, local, remote, this.ctx.nattPort);
    if (h.etype === C.ISAKMP_ETYPE_QUICK) this.ph2.input(ph1, msg, raw);
    else if (h.etype === C.ISAKMP_ETYPE_CFG) this.modeCfg.input(ph1, msg, raw);
    else if (h.etype === C.ISAKMP_ETYPE_INFO) this.info.input(ph1, msg);
    else this.ctx.stats.unknownSa++;
  }

  /** A peer's first main or aggressive mode message: a new responder phase 1 (r1Step). */
  private ph1First(msg: IsakmpMessage, raw: Uint8Array, local: Endpoint, remote: Endpoint): void {
    if (!isZero(msg.header.rcookie)) {
      this.ctx.stats.unknownSa++;
      return;
    }
    const ph1 = this.ph1.respond(msg, local, remote);
    if (!ph1) return;
    this.ph1.answer(ph1, raw, ph1Mode(ph1.etype)!.r1(ph1, msg, raw, this.exchange));
  }

  /** A clear notification during phase 1 is unauthenticated: logged and counted, never acted on. */
  private clearInfo(ph1: Phase1, msg: IsakmpMessage, remote: Endpoint): void {
    this.ctx.stats.notifiesReceived++;
    for (const p of msg.payloads) {
      if (p.type === C.ISAKMP_NPTYPE_N)
        logAbout(
          this.ctx,
          'notice',
          remote.addr,
          `unauthenticated notification ${C.nameOf(C.ISAKMP_NTYPE_NAMES, p.body.notifyType)} from ${formatAddr(remote.addr)}`,
        );
      if (p.type === C.ISAKMP_NPTYPE_D && this.weakDelete(ph1, p.body, remote)) return;
    }
  }

  /**
   * An unencrypted DELETE of a phase 1 still negotiating (racoon isakmp_info_recv_d): acted on only with
   * `weak_phase1_check on`, only before any key exists and only from the peer's address, since anyone on the
   * path could have sent it; otherwise ignored, so a forged one cannot stop a negotiation.
   */
  private weakDelete(ph1: Phase1, d: IsakmpDelete, remote: Endpoint): boolean {
    const ours =
      d.protoId === C.IPSECDOI_PROTO_ISAKMP && d.spis.some((s) => s.length === 16 && equalCT(s, isakmpSpi(ph1)));
    if (!ours) return false;
    const why = !ph1.rmconf.weakPhase1Check
      ? 'weak_phase1_check off'
      : ph1.keys
        ? 'keys exist'
        : !addrEqual(remote.addr, ph1.remote.addr)
          ? 'not from the peer'
          : undefined;
    if (why) {
      this.ctx.log('notice', `unencrypted DELETE from ${formatAddr(remote.addr)} ignored (${why})`);
      return false;
    }
    this.ctx.log(
      'notice',
      `phase 1 with ${formatAddr(remote.addr)} deleted by an unencrypted DELETE (weak_phase1_check)`,
    );
    this.ph1.kill(ph1, 'unencrypted DELETE (weak_phase1_check on)');
    return true;
  }

  /** The next main mode step for this side and state (PH1_STEPS); the initiator waits, the responder answers. */
  private ph1Input(ph1: Phase1, msg: IsakmpMessage, raw: Uint8Array, at: IkePath): void {
    if (resendOnDuplicate(this.ctx, ph1, ph1, raw)) return;
    if (!addrEqual(at.remote.addr, ph1.remote.addr) || msg.header.etype !== ph1.etype) {
      this.ctx.stats.unknownSa++;
      return;
    }
    const step = ph1Mode(ph1.etype)!.steps[ph1.side][ph1.state];
    if (!step) {
      this.ctx.stats.duplicates++; // late packet for a finished step
      return;
    }
    const res = step(ph1, msg, raw, this.exchange, at);
    if (ph1.side === 'initiator') {
      if (res.reply) this.ph1.sendAndWait(ph1, raw, res.reply);
      else ph1.lastRecv = raw;
    } else if (res.reply) {
      this.ph1.answer(ph1, raw, res.reply);
      this.ph1.progressed(ph1);
    }
    if (!res.established) return;
    this.modeCfg.prepare(ph1);
    this.ph1.established(ph1);
    this.dpd.start(ph1);
    this.modeCfg.begin(ph1);
    const ic = (p: (typeof msg.payloads)[number]) =>
      p.type === C.ISAKMP_NPTYPE_N && p.body.notifyType === C.IPSECDOI_NTYPE_INITIAL_CONTACT;
    if (res.payloads?.some(ic)) void this.info.initialContact(ph1);
  }
}
