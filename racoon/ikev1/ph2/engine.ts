// Phase 2 for the racoon engine (racoon isakmp_quick.c + pfkey.c's SA side): ACQUIRE -> quick mode as
// initiator, quick mode as responder (policy and sainfo lookup, proposal, GETSPI), SA installation with
// UPDATE/ADD, and the kernel's EXPIRE / DELETE / FLUSH. The phase 1 side lives in handler.ts.
import { addrEqual, formatAddr } from '../../../common/inet.js';
import * as P from '../../../pfkey/constants.js';
import type { PfkeyMessage } from '../../../pfkey/msg.js';
import { lookupSainfo, phase2IdOf } from '../../conf/lookup.js';
import * as C from '../../isakmp/constants.js';
import { IsakmpError } from '../../isakmp/codec.js';
import type { IsakmpMessage } from '../../isakmp/message.js';
import type { IsakmpId } from '../../isakmp/payloads/id.js';
import type { Endpoint, Phase1 } from '../message.js';
import * as QM from './quick-mode.js';
import { doiProtoOfIpproto, doiProtoOfSatype, satypeOfDoiProto, type Ph2Request } from './proposal.js';
import type { SpEntry } from '../../sa/pfkey-bridge.js';
import { deletePayload } from '../informational.js';
import type { Racoon } from '../handler.js';

/** Responder quick modes one phase 1 may have in progress at once. */
export const MAX_PH2_IN_FLIGHT = 32;

function hx(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

function spid(sp: SpEntry): string {
  return `${sp.id} ${formatAddr(sp.src.addr)}/${sp.src.len} -> ${formatAddr(sp.dst.addr)}/${sp.dst.len}`;
}

/** The phase 2 table and its lifecycle (racoon's ph2handle list). */
export class Ph2Engine {
  readonly ph2s = new Set<QM.Phase2>();

  constructor(private readonly r: Racoon) {}

  reqsOf(sp: SpEntry): Ph2Request[] {
    const reqs: Ph2Request[] = [];
    for (const r of sp.requests) {
      const protoId = doiProtoOfIpproto(r.proto);
      if (protoId !== undefined)
        reqs.push({ protoId, mode: r.mode === P.IPSEC_MODE_TUNNEL ? 'tunnel' : 'transport', reqid: r.reqid });
    }
    return reqs;
  }

  private idOf(p: SpEntry['src'], proto: number): IsakmpId {
    const full = p.len === p.addr.length * 8;
    const v4 = p.addr.length === 4;
    const ulp = proto === P.IPSEC_ULPROTO_ANY ? 0 : proto;
    if (full)
      return {
        idType: v4 ? C.IPSECDOI_ID_IPV4_ADDR : C.IPSECDOI_ID_IPV6_ADDR,
        protocol: ulp,
        port: p.port,
        data: p.addr,
      };
    const mask = new Uint8Array(p.addr.length);
    for (let i = 0; i < p.len; i++) mask[i >> 3]! |= 0x80 >> (i & 7);
    const data = new Uint8Array(p.addr.length * 2);
    data.set(p.addr.map((b, i) => b & mask[i]!));
    data.set(mask, p.addr.length);
    return {
      idType: v4 ? C.IPSECDOI_ID_IPV4_ADDR_SUBNET : C.IPSECDOI_ID_IPV6_ADDR_SUBNET,
      protocol: ulp,
      port: p.port,
      data,
    };
  }

  /** SADB_ACQUIRE (racoon pk_recvacquire): find the policy, then start or reuse phase 1 and run quick mode. */
  onAcquire(m: PfkeyMessage): void {
    const spid = m.ext.policy?.id ?? 0;
    const sp = this.r.bridge.spd.get(spid);
    if (!sp || sp.type !== P.IPSEC_POLICY_IPSEC) {
      this.r.log('warn', `ACQUIRE for unknown policy id ${spid}`);
      return;
    }
    if ([...this.ph2s].some((p) => p.spid === spid && p.state !== 'established' && p.state !== 'dead')) return; // already negotiating
    const me = { addr: m.ext.addressSrc!.addr.addr, port: this.r.port };
    const peer = { addr: m.ext.addressDst!.addr.addr, port: this.r.port };
    this.startPh2(sp, me, peer, m.msg.seq, m.msg.satype);
  }

  /** A new initiator quick mode for a policy (ACQUIRE or rekey on soft EXPIRE). */
  startPh2(sp: SpEntry, me: Endpoint, peer: Endpoint, seq: number, satype = P.SADB_SATYPE_ESP): QM.Phase2 | undefined {
    const reqs = this.reqsOf(sp);
    const idci = this.idOf(sp.src, sp.proto);
    const idcr = this.idOf(sp.dst, sp.proto);
    const sainfo = lookupSainfo(this.r.o.conf, { local: phase2IdOf(idci), remote: phase2IdOf(idcr) });
    if (!sainfo || reqs.length === 0) {
      this.r.log('warn', `no sainfo for policy ${spid(sp)}`);
      this.r.bridge.sendAcquireError(satype, seq);
      return undefined;
    }
    const ph2: QM.Phase2 = {
      id: this.r.newId(),
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
      createdMs: this.r.o.clock.now(),
    };
    this.ph2s.add(ph2);
    const ph1 = this.r.findPh1(peer.addr, false) ?? this.r.initiatePh1(me, peer);
    if (!ph1) {
      this.failPh2(ph2, 'no phase 1');
      return ph2;
    }
    ph2.ph1 = ph1;
    if (ph1.state === 'established') void this.runQuick(ph1, ph2);
    else ph1.waiting.push(() => void this.runQuick(ph1, ph2));
    return ph2;
  }

  private async getSpis(
    ph1: Phase1,
    ph2: QM.Phase2,
    protos: { protoId: number; mode: string; reqid: number }[],
  ): Promise<void> {
    for (const r of protos) {
      const mode = r.mode === 'tunnel' ? P.IPSEC_MODE_TUNNEL : P.IPSEC_MODE_TRANSPORT;
      ph2.mySpis.set(
        r.protoId,
        await this.r.bridge.getspi(satypeOfDoiProto(r.protoId), ph1.remote, ph1.local, mode, r.reqid, ph2.seq),
      );
    }
  }

  private async runQuick(ph1: Phase1, ph2: QM.Phase2): Promise<void> {
    try {
      ph2.ph1 = ph1;
      await this.getSpis(ph1, ph2, ph2.reqs);
      if (ph2.state !== 'getspi' || ph1.state !== 'established') return;
      ph2.lastSent = QM.qi1Send(ph1, ph2, this.r.o.rng, ph1.natDetected);
      this.r.sendRaw(ph1, ph2.lastSent);
      this.r.armRetransmit(ph1, ph2, () => this.failPh2(ph2, 'quick mode peer did not answer'));
    } catch (e) {
      this.failPh2(ph2, (e as Error).message);
    }
  }

  failPh2(ph2: QM.Phase2, why: string): void {
    ph2.cancelTimer?.();
    if (ph2.state === 'dead') return;
    ph2.state = 'dead';
    this.ph2s.delete(ph2);
    this.r.stats.ph2Failed++;
    this.r.log('warn', `phase 2 negotiation ${ph2.id} with ${formatAddr(ph2.dst.addr)} failed: ${why}`);
    if (ph2.side === 'initiator' && ph2.seq)
      this.r.bridge.sendAcquireError(satypeOfDoiProto(ph2.reqs[0]?.protoId ?? C.IPSECDOI_PROTO_IPSEC_ESP), ph2.seq);
  }

  quickInput(ph1: Phase1, msg: IsakmpMessage, raw: Uint8Array): void {
    const ph2 = [...this.ph2s].find((p) => p.ph1 === ph1 && p.msgid === msg.header.msgid && p.msgid !== 0);
    if (ph2) {
      if (this.r.isDuplicate(ph2, raw, ph1)) return;
      if (ph2.side === 'initiator' && ph2.state === 'msg1-sent') {
        ph2.cancelTimer?.();
        ph2.lastRecv = raw;
        ph2.lastSent = QM.qi2Step(ph1, ph2, msg);
        this.r.sendRaw(ph1, ph2.lastSent);
        void this.installPh2(ph1, ph2);
      } else if (ph2.side === 'responder' && ph2.state === 'msg2-sent') {
        ph2.cancelTimer?.();
        ph2.lastRecv = raw;
        QM.qr2Step(ph1, ph2, msg);
        void this.installPh2(ph1, ph2);
      } else {
        this.r.stats.duplicates++;
      }
      return;
    }
    if (ph1.msgids.has(msg.header.msgid)) {
      this.r.stats.duplicates++;
      return;
    }
    // Each responder quick mode holds larval SAs in the kernel until it completes: an authenticated peer gets
    // a bounded number in flight (racoon has no such limit; GETSPI larval SAs would pile up otherwise).
    let inFlight = 0;
    for (const p of this.ph2s) if (p.ph1 === ph1 && p.side === 'responder' && p.state !== 'established') inFlight++;
    if (inFlight >= MAX_PH2_IN_FLIGHT) {
      this.r.stats.ph2Refused++;
      this.r.log('warn', `${inFlight} quick modes in progress with ${formatAddr(ph1.remote.addr)}: refusing another`);
      return;
    }
    const nph2: QM.Phase2 = {
      id: this.r.newId(),
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
      createdMs: this.r.o.clock.now(),
    };
    QM.qr1Recv(ph1, nph2, msg);
    ph1.msgids.add(msg.header.msgid);
    nph2.lastRecv = raw;
    this.ph2s.add(nph2);
    void this.respondQuick(ph1, nph2);
  }

  /** Responder: policy and sainfo for the peer's ids, the proposal, GETSPI, then HASH(2). */
  private async respondQuick(ph1: Phase1, ph2: QM.Phase2): Promise<void> {
    try {
      // The peer's IDci/IDcr are, from our side, the remote and local selectors of our inbound policy.
      const ci = ph2.idci
        ? phase2IdOf(ph2.idci)
        : {
            prefix: {
              family: ph1.remote.addr.length === 4 ? 4 : 6,
              addr: ph1.remote.addr,
              len: ph1.remote.addr.length * 8,
            } as const,
            proto: 0,
            port: 0,
          };
      const cr = ph2.idcr
        ? phase2IdOf(ph2.idcr)
        : {
            prefix: {
              family: ph1.local.addr.length === 4 ? 4 : 6,
              addr: ph1.local.addr,
              len: ph1.local.addr.length * 8,
            } as const,
            proto: 0,
            port: 0,
          };
      if (!ci || !cr) throw new IsakmpError(C.ISAKMP_NTYPE_INVALID_ID_INFORMATION, 'unsupported client identity type');
      const sp = [...this.r.bridge.spd.values()].find(
        (s) =>
          s.dir === P.IPSEC_DIR_INBOUND &&
          s.type === P.IPSEC_POLICY_IPSEC &&
          s.src.len === ci.prefix.len &&
          addrEqual(s.src.addr, ci.prefix.addr) &&
          s.dst.len === cr.prefix.len &&
          addrEqual(s.dst.addr, cr.prefix.addr) &&
          (s.proto === P.IPSEC_ULPROTO_ANY ? ci.proto === 0 : s.proto === ci.proto),
      );
      if (!sp)
        throw new IsakmpError(
          C.ISAKMP_NTYPE_NO_PROPOSAL_CHOSEN,
          `no inbound policy for ${ph2.idci ? 'the proposed identities' : 'the peer'}`,
        );
      ph2.spid = sp.id;
      ph2.reqs = this.reqsOf(sp);
      ph2.sainfo = lookupSainfo(this.r.o.conf, { local: cr, remote: ci, peer: ph1.peerId });
      if (!ph2.sainfo) throw new IsakmpError(C.ISAKMP_NTYPE_NO_PROPOSAL_CHOSEN, 'no matching sainfo');
      if (!QM.qrSelect(ph1, ph2))
        throw new IsakmpError(C.ISAKMP_NTYPE_NO_PROPOSAL_CHOSEN, 'no acceptable phase 2 proposal');
      await this.getSpis(ph1, ph2, ph2.approval!.sas);
      if (ph2.state !== 'getspi' || ph1.state !== 'established') return;
      ph2.lastSent = QM.qr1Send(ph1, ph2, this.r.o.rng);
      this.r.sendRaw(ph1, ph2.lastSent);
      this.r.armRetransmit(ph1, ph2, () => this.failPh2(ph2, 'no HASH(3) from the initiator'));
    } catch (e) {
      if (e instanceof IsakmpError) {
        if (e.notifyType === C.ISAKMP_NTYPE_NO_PROPOSAL_CHOSEN) this.r.stats.noProposal++;
        // Tell the initiator, under the phase 1 keys, with the SPI of its first proposal (racoon isakmp_info_send_n2).
        const p = ph2.peerSa?.proposals[0];
        this.r.stats.notifiesSent++;
        this.r.sendInfo(ph1, [
          {
            type: C.ISAKMP_NPTYPE_N,
            body: {
              doi: C.IPSEC_DOI,
              protoId: p?.protoId ?? C.IPSECDOI_PROTO_IPSEC_ESP,
              notifyType: e.notifyType,
              spi: p?.spi ?? new Uint8Array(0),
              data: new Uint8Array(0),
            },
          },
        ]);
      }
      this.failPh2(ph2, (e as Error).message);
    }
  }

  private async installPh2(ph1: Phase1, ph2: QM.Phase2): Promise<void> {
    try {
      const keys = QM.ph2Keys(ph1, ph2);
      const natt = ph1.floated ? { localPort: ph1.local.port, remotePort: ph1.remote.port } : undefined;
      for (const k of keys) await this.r.bridge.install(k, ph1.local, ph1.remote, ph2.approval!.lifetimeSec, natt);
      for (const k of keys) {
        k.inbound.encKey.fill(0);
        k.inbound.authKey.fill(0);
        k.outbound.encKey.fill(0);
        k.outbound.authKey.fill(0);
      }
      ph2.dh?.wipe();
      this.r.stats.ph2Established++;
      const spis = ph2
        .approval!.sas.map(
          (s) => `${C.nameOf(C.IPSECDOI_PROTO_NAMES, s.protoId)}/${s.mode} in ${hx(s.mySpi)} out ${hx(s.peerSpi)}`,
        )
        .join(', ');
      this.r.log('notice', `IPsec-SA established with ${formatAddr(ph1.remote.addr)}: ${spis}`);
    } catch (e) {
      this.failPh2(ph2, `SA installation failed: ${(e as Error).message}`);
    }
  }

  private ph2BySpi(satype: number, spi: number): { ph2: QM.Phase2; inbound: boolean } | undefined {
    const protoId = doiProtoOfSatype(satype);
    const num = (b: Uint8Array) => Buffer.from(b).readUIntBE(0, b.length);
    for (const ph2 of this.ph2s) {
      for (const s of ph2.approval?.sas ?? []) {
        if (s.protoId !== protoId || s.mySpi.length === 0) continue;
        if (num(s.mySpi) === spi) return { ph2, inbound: true };
        if (num(s.peerSpi) === spi) return { ph2, inbound: false };
      }
    }
    return undefined;
  }

  /** SADB_EXPIRE (racoon pk_recvexpire): soft -> rekey (initiator side), hard -> forget and tell the peer. */
  onExpire(m: PfkeyMessage): void {
    if (!m.ext.sa) return;
    const hit = this.ph2BySpi(m.msg.satype, m.ext.sa.spi >>> 0);
    if (!hit) return;
    const { ph2 } = hit;
    if (m.ext.lifetimeSoft && !m.ext.lifetimeHard) {
      if (ph2.rekeyed || ph2.state !== 'established' || ph2.side !== 'initiator') return;
      ph2.rekeyed = true;
      const sp = this.r.bridge.spd.get(ph2.spid);
      if (sp) {
        this.r.log('info', `soft expiry of SPI 0x${(m.ext.sa.spi >>> 0).toString(16)}: rekeying`);
        this.startPh2(sp, ph2.src, ph2.dst, 0, m.msg.satype);
      }
      return;
    }
    if (hit.inbound) void this.removePh2Sas(ph2, true, true);
  }

  /** The kernel deleted one of our SAs (setkey -D / delete): tell the peer and drop the pair. */
  onKernelDelete(m: PfkeyMessage): void {
    if (!m.ext.sa) return;
    const hit = this.ph2BySpi(m.msg.satype, m.ext.sa.spi >>> 0);
    if (hit) void this.removePh2Sas(hit.ph2, true);
  }

  onFlush(satype: number): void {
    for (const ph2 of [...this.ph2s]) {
      if (satype === P.SADB_SATYPE_UNSPEC || ph2.approval?.sas.some((s) => satypeOfDoiProto(s.protoId) === satype))
        this.ph2s.delete(ph2);
    }
  }

  /** Removes a negotiated pair from the kernel (both SAs of every protocol) and, if asked, DELETEs at the peer. */
  async removePh2Sas(ph2: QM.Phase2, notifyPeer: boolean, kernelAlreadyGone = false): Promise<void> {
    if (!this.ph2s.delete(ph2)) return;
    ph2.cancelTimer?.();
    ph2.state = 'expired';
    const sas = ph2.approval?.sas ?? [];
    const ph1 = ph2.ph1 && ph2.ph1.state === 'established' ? ph2.ph1 : this.r.findPh1(ph2.dst.addr);
    if (notifyPeer && ph1) {
      for (const s of sas) this.r.sendInfo(ph1, [deletePayload(s.protoId, [s.mySpi])]);
    }
    const num = (b: Uint8Array) => Buffer.from(b).readUIntBE(0, b.length);
    const local = ph2.ph1?.local.addr ?? ph2.src.addr;
    const remote = ph2.ph1?.remote.addr ?? ph2.dst.addr;
    for (const s of sas) {
      const satype = satypeOfDoiProto(s.protoId);
      if (!kernelAlreadyGone) await this.r.bridge.deleteSa(satype, remote, local, num(s.mySpi));
      await this.r.bridge.deleteSa(satype, local, remote, num(s.peerSpi));
    }
  }
}
