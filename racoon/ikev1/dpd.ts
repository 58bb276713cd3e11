// Dead peer detection (RFC 3706) as racoon does it (isakmp_inf.c isakmp_sched_r_u / isakmp_info_send_r_u /
// isakmp_info_recv_r_u / isakmp_info_recv_r_u_ack): once the ISAKMP SA is up and both sides sent the DPD
// vendor ID, an R-U-THERE goes out every `dpd_delay` seconds; an unanswered one is repeated every `dpd_retry`
// seconds and after `dpd_maxfail` unanswered ones the peer is dead. R-U-THERE from the peer is answered with an
// R-U-THERE-ACK echoing its sequence number. Both travel in HASH(1)-protected informational exchanges.
import { equalCT, putU32, toHex, u32 } from '../../common/bytes.js';
import { formatAddr } from '../../common/inet.js';
import { randomBytes } from '../../common/rng.js';
import type { EngineCtx } from '../engine/context.js';
import * as C from '../isakmp/constants.js';
import type { IsakmpPayload } from '../isakmp/message.js';
import type { IsakmpNotify } from '../isakmp/payloads/notify.js';
import type { DpdState, Phase1 } from './handles.js';
import { isakmpSpi, notifyPayload } from './notify.js';

/** RFC 3706 §5: R-U-THERE data is a 32-bit sequence number. */
export const DPD_SEQ_LEN = 4;
/** racoon starts the sequence at a random number "which is not too big" (rand() & 0x0fff). */
export const DPD_SEQ_START_MASK = 0x0fff;

export function newDpdState(): DpdState {
  return { peer: false, seq: 0, lastAck: 0, fails: 0 };
}

/** An R-U-THERE or R-U-THERE-ACK (RFC 3706 §5): about the ISAKMP SA, cookies as SPI, the sequence as data. */
export function ruThere(ph1: Pick<Phase1, 'icookie' | 'rcookie'>, type: number, seq: number): IsakmpPayload {
  const data = new Uint8Array(DPD_SEQ_LEN);
  putU32(data, 0, seq >>> 0);
  return notifyPayload(C.IPSECDOI_PROTO_ISAKMP, type, isakmpSpi(ph1), data);
}

/** Whether a notification is DPD's. */
export function isDpdNotify(n: IsakmpNotify): boolean {
  return n.notifyType === C.ISAKMP_NTYPE_R_U_THERE || n.notifyType === C.ISAKMP_NTYPE_R_U_THERE_ACK;
}

/**
 * The sequence number of a DPD notification about this ISAKMP SA, or undefined when it is malformed: the SPI
 * must be the cookie pair (RFC 3706 §5.1; racoon also accepts it reversed) and the data exactly 4 bytes.
 */
export function ruThereSeq(ph1: Pick<Phase1, 'icookie' | 'rcookie'>, n: IsakmpNotify): number | undefined {
  if (n.data.length !== DPD_SEQ_LEN || n.spi.length !== 16) return undefined;
  const i = n.spi.subarray(0, 8),
    r = n.spi.subarray(8);
  const same = equalCT(i, ph1.icookie) && equalCT(r, ph1.rcookie);
  const reversed = equalCT(r, ph1.icookie) && equalCT(i, ph1.rcookie);
  return same || reversed ? u32(n.data, 0) : undefined;
}

/** What DPD needs from the IKEv1 side. */
export interface DpdHooks {
  /** An informational exchange under an established phase 1. */
  sendInfo(ph1: Phase1, payloads: IsakmpPayload[]): void;
  /** The peer did not answer `dpd_maxfail` probes (racoon: script phase1_dead, then purge_remote). */
  dead(ph1: Phase1): void;
}

export class Dpd {
  constructor(
    private readonly ctx: EngineCtx,
    private readonly hooks: DpdHooks,
  ) {}

  /** The ISAKMP SA is established: probing starts when the peer speaks DPD and `dpd_delay` is set. */
  start(ph1: Phase1): void {
    this.schedule(ph1, ph1.rmconf.dpdDelaySec);
  }

  /** Stops the probes of a phase 1 (it is being removed). */
  stop(ph1: Phase1): void {
    ph1.dpd?.cancel?.();
    if (ph1.dpd) ph1.dpd.cancel = undefined;
  }

  /** racoon isakmp_sched_r_u: the next probe in `sec` seconds, when DPD is in use with this peer. */
  private schedule(ph1: Phase1, sec: number): void {
    const d = ph1.dpd;
    if (!d?.peer || ph1.rmconf.dpdDelaySec <= 0) return;
    d.cancel?.();
    d.cancel = this.ctx.clock.setTimer(sec * 1000, () => this.probe(ph1));
  }

  /** racoon isakmp_info_send_r_u: declare the peer dead after maxfail probes, else send the next one. */
  private probe(ph1: Phase1): void {
    const d = ph1.dpd!;
    d.cancel = undefined;
    if (this.ctx.closed() || ph1.state !== 'established') return;
    if (d.fails >= ph1.rmconf.dpdMaxfail) {
      this.ctx.stats.dpdDead++;
      this.ctx.log(
        'notice',
        `DPD: remote (ISAKMP-SA spi=${toHex(ph1.icookie)}:${toHex(ph1.rcookie)}) ${formatAddr(ph1.remote.addr)} seems to be dead.`,
      );
      this.hooks.dead(ph1);
      return;
    }
    if (d.seq === 0) {
      const r = randomBytes(this.ctx.rng, 2);
      d.seq = d.lastAck = ((r[0]! << 8) | r[1]!) & DPD_SEQ_START_MASK;
    }
    d.seq = (d.seq + 1) >>> 0;
    d.fails++;
    this.ctx.stats.dpdSent++;
    this.ctx.log('debug', `DPD R-U-THERE ${d.seq} sent to ${formatAddr(ph1.remote.addr)} (${d.fails} unanswered)`);
    this.hooks.sendInfo(ph1, [ruThere(ph1, C.ISAKMP_NTYPE_R_U_THERE, d.seq)]);
    this.schedule(ph1, ph1.rmconf.dpdRetrySec);
  }

  /** An authenticated R-U-THERE or R-U-THERE-ACK from the peer (already known to be a DPD notification). */
  input(ph1: Phase1, n: IsakmpNotify): void {
    const seq = ruThereSeq(ph1, n);
    if (seq === undefined) {
      this.ctx.stats.dpdIgnored++;
      this.ctx.log('debug', `malformed DPD notification from ${formatAddr(ph1.remote.addr)} ignored`);
      return;
    }
    if (n.notifyType === C.ISAKMP_NTYPE_R_U_THERE) {
      // racoon isakmp_info_recv_r_u: answered whether or not we probe the peer ourselves.
      this.ctx.stats.dpdAnswered++;
      this.hooks.sendInfo(ph1, [ruThere(ph1, C.ISAKMP_NTYPE_R_U_THERE_ACK, seq)]);
      return;
    }
    this.ack(ph1, seq);
  }

  /** racoon isakmp_info_recv_r_u_ack: a sequence in (lastAck, seq] resets the failures and the schedule. */
  private ack(ph1: Phase1, seq: number): void {
    const d = ph1.dpd;
    if (!d || seq <= d.lastAck || seq > d.seq) {
      this.ctx.stats.dpdIgnored++;
      this.ctx.log(
        'debug',
        `wrong DPD sequence number ${seq} from ${formatAddr(ph1.remote.addr)} (last ack ${d?.lastAck ?? 0}, sent ${d?.seq ?? 0})`,
      );
      return;
    }
    d.fails = 0;
    d.lastAck = seq;
    this.ctx.stats.dpdAcked++;
    this.schedule(ph1, ph1.rmconf.dpdDelaySec);
  }
}
