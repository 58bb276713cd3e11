// The phase 2 table (racoon's ph2handle list): the quick modes in progress and the SA pairs they installed,
// found by policy, by phase 1 or by SPI; a failed negotiation reported back to the kernel (ACQUIRE with an
// errno); a pair removed from the kernel and, if asked, DELETEd at the peer; and the kernel's EXPIRE /
// DELETE / FLUSH for the SPIs negotiated here (soft expiry -> rekey).
import { formatAddr } from '../../../common/inet.js';
import * as P from '../../../pfkey/constants.js';
import type { PfkeyMessage } from '../../../pfkey/msg.js';
import type { EngineCtx } from '../../engine/context.js';
import type { Endpoint } from '../../engine/datagram.js';
import * as C from '../../isakmp/constants.js';
import type { IsakmpPayload } from '../../isakmp/message.js';
import type { SaOwner } from '../../sa/kernel-events.js';
import type { SpEntry } from '../../sa/pfkey-bridge.js';
import { saText } from '../../sa/sa-text.js';
import { sadbSpi, spiHex, spiNumber } from '../../sa/spi.js';
import type { Phase1, Phase2 } from '../handles.js';
import { deletePayload } from '../informational.js';
import { doiProtoOfSatype, satypeOfDoiProto } from './proposal.js';

/** What phase 2 needs from the phase 1 side (the phase 1 table), instead of the whole daemon. */
export interface Ph1Access {
  /** The established (or, with established = false, any live) phase 1 with a peer. */
  find(remote: Uint8Array, established?: boolean): Phase1 | undefined;
  /** Starts main mode with a peer; undefined when the configuration forbids it. */
  initiate(local: Endpoint, remote: Endpoint): Phase1 | undefined;
  /** An informational exchange (DELETE, notify) under an established phase 1. */
  sendInfo(ph1: Phase1, payloads: IsakmpPayload[]): void;
}

/** A new initiator quick mode for a policy (the soft-expiry rekey). */
export type Rekey = (sp: SpEntry, me: Endpoint, peer: Endpoint, seq: number, satype: number) => void;

export class Ph2Table implements SaOwner {
  readonly all = new Set<Phase2>();
  /** Established pairs the kernel lost (uipsecd died), until the peer is told (kernelBack). */
  private readonly lost: Phase2[] = [];

  constructor(
    private readonly ctx: EngineCtx,
    private readonly ph1s: Ph1Access,
    private readonly rekey: Rekey,
  ) {}

  add(ph2: Phase2): void {
    this.all.add(ph2);
  }

  /** A quick mode for this policy is under way (the kernel repeats ACQUIREs meanwhile). */
  negotiating(spid: number): boolean {
    return [...this.all].some((p) => p.spid === spid && p.state !== 'established' && p.state !== 'dead');
  }

  /** Responder quick modes in progress over one phase 1. */
  inFlight(ph1: Phase1): number {
    let n = 0;
    for (const p of this.all) if (p.ph1 === ph1 && p.side === 'responder' && p.state !== 'established') n++;
    return n;
  }

  /** The quick mode a message ID names under a phase 1. */
  byMsgid(ph1: Phase1, msgid: number): Phase2 | undefined {
    return [...this.all].find((p) => p.ph1 === ph1 && p.msgid === msgid && p.msgid !== 0);
  }

  hasEstablished(ph1: Phase1): boolean {
    return [...this.all].some((p) => p.ph1 === ph1 && p.state === 'established');
  }

  /** A negotiation failed: forgotten, counted, and an ACQUIRE it answered gets its errno. */
  fail(ph2: Phase2, why: string): void {
    ph2.cancelTimer?.();
    if (ph2.state === 'dead') return;
    ph2.state = 'dead';
    this.all.delete(ph2);
    this.ctx.stats.ph2Failed++;
    this.ctx.log('warn', `phase 2 negotiation ${ph2.id} with ${formatAddr(ph2.dst.addr)} failed: ${why}`);
    if (ph2.side === 'initiator' && ph2.seq)
      this.ctx.bridge.sendAcquireError(satypeOfDoiProto(ph2.reqs[0]?.protoId ?? C.IPSECDOI_PROTO_IPSEC_ESP), ph2.seq);
  }

  /** Fails the negotiations still in progress over a phase 1 that goes away. */
  failOver(ph1: Phase1, why: string): void {
    for (const p of this.all) if (p.ph1 === ph1 && p.state !== 'established') this.fail(p, why);
  }

  private bySpi(satype: number, spi: number): { ph2: Phase2; inbound: boolean } | undefined {
    const protoId = doiProtoOfSatype(satype);
    for (const ph2 of this.all) {
      for (const s of ph2.approval?.sas ?? []) {
        if (s.protoId !== protoId || s.mySpi.length === 0) continue;
        if (spiNumber(s.mySpi) === spi) return { ph2, inbound: true };
        if (spiNumber(s.peerSpi) === spi) return { ph2, inbound: false };
      }
    }
    return undefined;
  }

  /** SADB_EXPIRE (racoon pk_recvexpire): soft -> rekey (initiator side), hard -> forget and tell the peer. */
  expire(m: PfkeyMessage): void {
    const spi = sadbSpi(m);
    if (spi === undefined) return;
    const hit = this.bySpi(m.msg.satype, spi);
    if (!hit) return;
    const { ph2 } = hit;
    // racoon pk_recvexpire: every expiry of one of our SAs is logged in its words (soft and hard alike).
    const end = (a: typeof m.ext.addressSrc) => ({ addr: a?.addr.addr ?? new Uint8Array(4), port: a?.addr.port ?? 0 });
    this.ctx.log(
      'notice',
      `IPsec-SA expired: ${saText(m.msg.satype, m.ext.sa2?.mode, end(m.ext.addressSrc), end(m.ext.addressDst), spi)}`,
    );
    if (m.ext.lifetimeSoft && !m.ext.lifetimeHard) {
      if (ph2.rekeyed || ph2.state !== 'established' || ph2.side !== 'initiator') return;
      ph2.rekeyed = true;
      const sp = this.ctx.bridge.spd.get(ph2.spid);
      if (sp) {
        this.ctx.log('info', `soft expiry of SPI ${spiHex(spi)}: rekeying`);
        this.rekey(sp, ph2.src, ph2.dst, 0, m.msg.satype);
      }
      return;
    }
    if (hit.inbound) void this.remove(ph2, true, true);
  }

  /** The kernel deleted one of our SAs (setkey -D / delete): tell the peer and drop the pair. */
  deleted(m: PfkeyMessage): void {
    const spi = sadbSpi(m);
    if (spi === undefined) return;
    const hit = this.bySpi(m.msg.satype, spi);
    if (hit) void this.remove(hit.ph2, true);
  }

  flushed(satype: number): void {
    for (const ph2 of [...this.all]) {
      if (satype === P.SADB_SATYPE_UNSPEC || ph2.approval?.sas.some((s) => satypeOfDoiProto(s.protoId) === satype))
        this.all.delete(ph2);
    }
  }

  /** Removes a negotiated pair from the kernel (both SAs of every protocol) and, if asked, DELETEs at the peer. */
  async remove(ph2: Phase2, notifyPeer: boolean, kernelAlreadyGone = false): Promise<void> {
    if (!this.all.delete(ph2)) return;
    ph2.cancelTimer?.();
    ph2.state = 'expired';
    const sas = ph2.approval?.sas ?? [];
    const ph1 = ph2.ph1 && ph2.ph1.state === 'established' ? ph2.ph1 : this.ph1s.find(ph2.dst.addr);
    if (notifyPeer && ph1) {
      for (const s of sas) this.ph1s.sendInfo(ph1, [deletePayload(s.protoId, [s.mySpi])]);
    }
    const local = ph2.ph1?.local.addr ?? ph2.src.addr;
    const remote = ph2.ph1?.remote.addr ?? ph2.dst.addr;
    for (const s of sas) {
      const satype = satypeOfDoiProto(s.protoId);
      if (!kernelAlreadyGone) await this.ctx.bridge.deleteSa(satype, remote, local, spiNumber(s.mySpi));
      await this.ctx.bridge.deleteSa(satype, local, remote, spiNumber(s.peerSpi));
    }
  }

  /**
   * uipsecd died: its SAs are gone. Negotiations in progress end (no ACQUIRE to answer), established pairs
   * are forgotten and kept aside until kernelBack() can tell the peer.
   */
  kernelGone(): void {
    for (const p of this.all) {
      p.cancelTimer?.();
      if (p.state === 'established') this.lost.push(p);
      p.state = p.state === 'established' ? 'expired' : 'dead';
    }
    if (this.all.size > 0)
      this.ctx.log(
        'warn',
        `the kernel's SAs are gone: ${this.lost.length} IPsec-SA pair(s) and ${this.all.size - this.lost.length} negotiation(s) forgotten`,
      );
    this.all.clear();
  }

  /**
   * A new kernel: an ISAKMP DELETE for each lost pair's inbound SPIs over its phase 1, so that the peer drops the
   * SAs that lead into our black hole and both sides negotiate again on the next packet.
   */
  kernelBack(): void {
    for (const ph2 of this.lost.splice(0)) {
      const ph1 = ph2.ph1 && ph2.ph1.state === 'established' ? ph2.ph1 : this.ph1s.find(ph2.dst.addr);
      if (!ph1) continue;
      for (const s of ph2.approval?.sas ?? []) this.ph1s.sendInfo(ph1, [deletePayload(s.protoId, [s.mySpi])]);
    }
  }

  /** Stops every timer (daemon shutdown). */
  close(): void {
    for (const p of this.all) p.cancelTimer?.();
  }
}
