// Phase 2 for IKEv1 (racoon isakmp_quick.c + pfkey.c's SA side): quick modes as initiator (ACQUIRE or
// rekey -> GETSPI -> qi1) and as responder (the peer's message 1 -> policy and sainfo lookup, proposal,
// GETSPI -> qr1), then UPDATE/ADD of the negotiated pairs. It reaches phase 1 only through Ph1Access and the
// daemon only through the engine context.
import { gated } from '../cfg/mode-cfg.js';
import { formatAddr } from '../../../common/inet.js';
import * as P from '../../../pfkey/constants.js';
import { lookupSainfo, phase2IdOf, type Phase2Id } from '../../conf/lookup.js';
import type { EngineCtx } from '../../engine/context.js';
import type { Endpoint } from '../../engine/datagram.js';
import { armRetransmit, resendOnDuplicate } from '../../engine/retransmit.js';
import * as C from '../../isakmp/constants.js';
import { IsakmpError } from '../../isakmp/codec.js';
import type { IsakmpMessage } from '../../isakmp/message.js';
import type { Negotiator } from '../../sa/kernel-events.js';
import type { SpEntry } from '../../sa/pfkey-bridge.js';
import { saText } from '../../sa/sa-text.js';
import { spiNumber } from '../../sa/spi.js';
import type { Phase1, Phase2 } from '../handles.js';
import { pindex } from '../ph1/table.js';
import { notifyPayload } from '../notify.js';
import {
  describeGenerated,
  generatedLevel,
  generatedPolicyMessages,
  requestsFromProposal,
  ReqidCounter,
} from './generate-policy.js';
import { satypeOfDoiProto } from './proposal.js';
import * as QM from './quick-mode.js';
import { initiatorQuery, responderQuery } from './sainfo-query.js';
import { idOf, inboundPolicy, peerSelectors, reqsOf } from './selectors.js';
import type { Ph1Access, Ph2Table } from './table.js';
import { logProposals, proposalLines } from '../proposal-log.js';

/** Responder quick modes one phase 1 may have in progress at once. */
export const MAX_PH2_IN_FLIGHT = 32;

function spid(sp: SpEntry): string {
  return `${sp.id} ${formatAddr(sp.src.addr)}/${sp.src.len} -> ${formatAddr(sp.dst.addr)}/${sp.dst.len}`;
}

export class Ph2Engine implements Negotiator {
  /** reqids of `generate_policy unique` (one per generated pair). */
  private readonly reqids = new ReqidCounter();

  constructor(
    private readonly ctx: EngineCtx,
    private readonly ph1s: Ph1Access,
    private readonly table: Ph2Table,
  ) {}

  negotiating(spid: number): boolean {
    return this.table.negotiating(spid);
  }

  start(sp: SpEntry, me: Endpoint, peer: Endpoint, seq: number, satype: number): void {
    this.startPh2(sp, me, peer, seq, satype);
  }

  /** A new initiator quick mode for a policy (ACQUIRE or rekey on soft EXPIRE). */
  startPh2(sp: SpEntry, me: Endpoint, peer: Endpoint, seq: number, satype = P.SADB_SATYPE_ESP): Phase2 | undefined {
    const reqs = reqsOf(sp);
    const idci = idOf(sp.src, sp.proto);
    const idcr = idOf(sp.dst, sp.proto);
    const ids = [phase2IdOf(idci), phase2IdOf(idcr)] as const;
    const sainfo = lookupSainfo(this.ctx.conf, initiatorQuery(this.ctx.conf, ...ids, peer));
    if (!sainfo || reqs.length === 0) {
      this.ctx.log('warn', `no sainfo for policy ${spid(sp)}`);
      this.ctx.bridge.sendAcquireError(satype, seq);
      return undefined;
    }
    const ph2: Phase2 = {
      id: this.ctx.newId(),
      side: 'initiator',
      state: 'getspi',
      msgid: 0,
      src: me,
      dst: peer,
      spid: sp.id,
      seq,
      reqs,
      sainfo,
      idci,
      idcr,
      mySpis: new Map(),
      retries: 0,
      createdMs: this.ctx.clock.now(),
    };
    this.table.add(ph2);
    const ph1 = this.ph1s.find(peer.addr, false) ?? this.ph1s.initiate(me, peer);
    if (!ph1) {
      this.table.fail(ph2, 'no phase 1');
      return ph2;
    }
    ph2.ph1 = ph1;
    if (ph1.state === 'established' && !gated(ph1)) void this.initiate(ph1, ph2);
    else ph1.waiting.push(() => void this.initiate(ph1, ph2));
    return ph2;
  }

  /** Initiator: GETSPI, then qi1 with retransmission. */
  private async initiate(ph1: Phase1, ph2: Phase2): Promise<void> {
    if (ph2.state !== 'getspi') return; // forgotten while phase 1 was negotiated (kernel gone, flushed)
    try {
      ph2.ph1 = ph1;
      await this.getSpis(ph1, ph2, ph2.reqs);
      if (ph2.state !== 'getspi' || ph1.state !== 'established') return;
      ph2.lastSent = QM.qi1Send(ph1, ph2, this.ctx.rng, ph1.natDetected);
      this.ctx.send(ph1, ph2.lastSent);
      this.retransmit(ph1, ph2, 'quick mode peer did not answer');
    } catch (e) {
      this.table.fail(ph2, (e as Error).message);
    }
  }

  /** Resends our last quick mode message (racoon isakmp_ph2resend), then fails it in racoon's words. */
  private retransmit(ph1: Phase1, ph2: Phase2, why: string): void {
    const index = pindex(ph1, ph2.msgid);
    const giveUp = () => {
      this.ctx.log('error', `phase2 negotiation failed due to time up. ${index}`);
      this.table.fail(ph2, why);
    };
    armRetransmit(this.ctx, ph1, ph2, giveUp, `phase2 packet ${index}`);
  }

  /** Our SPIs from the kernel (larval inbound SAs), one per protocol. */
  private async getSpis(
    ph1: Phase1,
    ph2: Phase2,
    protos: { protoId: number; mode: string; reqid: number }[],
  ): Promise<void> {
    for (const r of protos) {
      const mode = r.mode === 'tunnel' ? P.IPSEC_MODE_TUNNEL : P.IPSEC_MODE_TRANSPORT;
      ph2.mySpis.set(
        r.protoId,
        await this.ctx.bridge.getspi(satypeOfDoiProto(r.protoId), ph1.remote, ph1.local, mode, r.reqid, ph2.seq),
      );
    }
  }

  /** A quick mode message under an established phase 1: the next step of ours, or a new responder. */
  input(ph1: Phase1, msg: IsakmpMessage, raw: Uint8Array): void {
    const ph2 = this.table.byMsgid(ph1, msg.header.msgid);
    if (ph2) {
      this.step(ph1, ph2, msg, raw);
      return;
    }
    if (ph1.msgids.has(msg.header.msgid)) {
      this.ctx.stats.duplicates++;
      return;
    }
    // racoon isakmp_quick r1: "Attempt to start phase 2 whereas Xauth failed" — no quick mode before XAuth.
    if (gated(ph1)) {
      this.ctx.stats.ph2Refused++;
      this.ctx.log('warn', `quick mode from ${formatAddr(ph1.remote.addr)} before XAuth / mode config ended: refused`);
      return;
    }
    // Each responder quick mode holds larval SAs in the kernel until it completes: an authenticated peer gets
    // a bounded number in flight (racoon has no such limit; GETSPI larval SAs would pile up otherwise).
    const inFlight = this.table.inFlight(ph1);
    if (inFlight >= MAX_PH2_IN_FLIGHT) {
      this.ctx.stats.ph2Refused++;
      this.ctx.log('warn', `${inFlight} quick modes in progress with ${formatAddr(ph1.remote.addr)}: refusing another`);
      return;
    }
    const nph2: Phase2 = {
      id: this.ctx.newId(),
      side: 'responder',
      state: 'getspi',
      ph1,
      msgid: msg.header.msgid,
      src: ph1.local,
      dst: ph1.remote,
      spid: 0,
      seq: 0,
      reqs: [],
      mySpis: new Map(),
      retries: 0,
      createdMs: this.ctx.clock.now(),
    };
    QM.qr1Recv(ph1, nph2, msg);
    ph1.msgids.add(msg.header.msgid);
    nph2.lastRecv = raw;
    this.table.add(nph2);
    void this.respond(ph1, nph2);
  }

  /** The step QM_STEPS names for this side and state; after it the SAs are installed. */
  private step(ph1: Phase1, ph2: Phase2, msg: IsakmpMessage, raw: Uint8Array): void {
    if (resendOnDuplicate(this.ctx, ph1, ph2, raw)) return;
    const step = QM.QM_STEPS[ph2.side][ph2.state];
    if (!step) {
      this.ctx.stats.duplicates++;
      return;
    }
    ph2.cancelTimer?.();
    ph2.lastRecv = raw;
    const reply = step(ph1, ph2, msg);
    if (reply) {
      ph2.lastSent = reply;
      this.ctx.send(ph1, reply);
    }
    void this.install(ph1, ph2);
  }

  /** Responder: policy and sainfo for the peer's ids, the proposal, GETSPI, then HASH(2). */
  private async respond(ph1: Phase1, ph2: Phase2): Promise<void> {
    try {
      // The peer's IDci/IDcr are, from our side, the remote and local selectors of our inbound policy.
      const { ci, cr } = peerSelectors(ph1, ph2);
      const sp = inboundPolicy(this.ctx.bridge.spd.values(), ci, cr);
      if (sp) {
        ph2.spid = sp.id;
        ph2.reqs = reqsOf(sp);
      } else if (!this.generate(ph1, ph2, ci, cr))
        throw new IsakmpError(
          C.ISAKMP_NTYPE_NO_PROPOSAL_CHOSEN,
          `no inbound policy for ${ph2.idci ? 'the proposed identities' : 'the peer'}`,
        );
      ph2.sainfo = lookupSainfo(this.ctx.conf, responderQuery(ph1, ci, cr));
      if (!ph2.sainfo) throw new IsakmpError(C.ISAKMP_NTYPE_NO_PROPOSAL_CHOSEN, 'no matching sainfo');
      logProposals(this.ctx.log, 'phase 2 proposals received:', ph2.peerSa!);
      if (!QM.qrSelect(ph1, ph2))
        throw new IsakmpError(C.ISAKMP_NTYPE_NO_PROPOSAL_CHOSEN, 'no acceptable phase 2 proposal');
      this.ctx.log('debug', `phase 2 proposal chosen: ${ph2.chosen ? proposalLines(ph2.chosen).join('; ') : '?'}`);
      await this.getSpis(ph1, ph2, ph2.approval!.sas);
      if (ph2.state !== 'getspi' || ph1.state !== 'established') return;
      ph2.lastSent = QM.qr1Send(ph1, ph2, this.ctx.rng);
      this.ctx.send(ph1, ph2.lastSent);
      this.retransmit(ph1, ph2, 'no HASH(3) from the initiator');
    } catch (e) {
      if (e instanceof IsakmpError) this.refuse(ph1, ph2, e);
      this.table.fail(ph2, (e as Error).message);
    }
  }

  /**
   * generate_policy: no policy of ours covers the proposed identities, so the initiator's first proposal
   * becomes our requirement; the policies follow the SAs into the kernel (install). False when off.
   */
  private generate(ph1: Phase1, ph2: Phase2, ci: Phase2Id, cr: Phase2Id): boolean {
    const g = ph1.rmconf.generatePolicy;
    if (g === 'off' || !ph2.peerSa) return false;
    const reqs = requestsFromProposal(ph2.peerSa, g === 'unique' ? this.reqids.take() : 0);
    if (!reqs) return false;
    ph2.spid = 0;
    ph2.reqs = reqs;
    ph2.generated = { ci, cr, level: generatedLevel(g) };
    this.ctx.log('info', `no policy found, generating the policy: ${describeGenerated(ph2.generated)}`);
    return true;
  }

  /** The generated policies, after the SAs (racoon pk_recvupdate: spdupdate2 inbound, then outbound). */
  private async installGenerated(ph1: Phase1, ph2: Phase2): Promise<void> {
    const g = ph2.generated!;
    const { client } = this.ctx.bridge;
    const header = (type: number) => client.header(type, P.SADB_SATYPE_UNSPEC);
    const lifetime = ph2.approval!.lifetimeSec;
    for (const m of generatedPolicyMessages(header, g, ph2.reqs, ph1.local, ph1.remote, lifetime))
      await client.request(m);
    this.ctx.log('info', `generated policy installed: ${describeGenerated(g)} for ${lifetime} s`);
  }

  /** Tells the initiator, under the phase 1 keys, with the SPI of its first proposal (racoon isakmp_info_send_n2). */
  private refuse(ph1: Phase1, ph2: Phase2, e: IsakmpError): void {
    if (e.notifyType === C.ISAKMP_NTYPE_NO_PROPOSAL_CHOSEN) this.ctx.stats.noProposal++;
    const p = ph2.peerSa?.proposals[0];
    this.ctx.stats.notifiesSent++;
    this.ph1s.sendInfo(ph1, [
      notifyPayload(p?.protoId ?? C.IPSECDOI_PROTO_IPSEC_ESP, e.notifyType, p?.spi ?? new Uint8Array(0)),
    ]);
  }

  /**
   * The UDP encapsulation ports of the SAs (RFC 3948): the phase 1's once it floated, or the NAT-T port when
   * the accepted proposal asks for a UDP-encapsulated mode (RFC 3947 §5.1: 3/4, drafts 61443/61444) anyway.
   */
  private nattPorts(ph1: Phase1, ph2: Phase2): { localPort: number; remotePort: number } | undefined {
    if (ph1.floated) return { localPort: ph1.local.port, remotePort: ph1.remote.port };
    if (!ph2.approval!.sas.some((s) => s.udpEncap)) return undefined;
    return { localPort: this.ctx.nattPort, remotePort: this.ctx.nattPort };
  }

  /** Both sides, after the last step: KEYMAT -> UPDATE/ADD (keys wiped once installed). */
  private async install(ph1: Phase1, ph2: Phase2): Promise<void> {
    try {
      const keys = QM.ph2Keys(ph1, ph2);
      const natt = this.nattPorts(ph1, ph2);
      await this.ctx.bridge.install(keys, ph1.local, ph1.remote, ph2.approval!.lifetimeSec, natt);
      if (ph2.generated) await this.installGenerated(ph1, ph2);
      ph2.dh?.wipe();
      this.ctx.stats.ph2Established++;
      // racoon (pk_recvupdate / pk_recvadd) logs each SA: inbound (peer -> us, our SPI), then outbound.
      for (const s of ph2.approval!.sas) {
        const satype = satypeOfDoiProto(s.protoId);
        const lines = [
          saText(satype, s.mode, ph1.remote, ph1.local, spiNumber(s.mySpi)),
          saText(satype, s.mode, ph1.local, ph1.remote, spiNumber(s.peerSpi)),
        ];
        for (const l of lines) this.ctx.log('notice', `IPsec-SA established: ${l}`);
      }
    } catch (e) {
      this.table.fail(ph2, `SA installation failed: ${(e as Error).message}`);
    }
  }
}
