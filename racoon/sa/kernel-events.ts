// The kernel's PF_KEY events, routed to the IKE versions (racoon pfkey.c pk_recvacquire/pk_recvexpire/
// pk_recvdelete/pk_recvflush): an ACQUIRE becomes a negotiation by the version chosen for that peer, and
// EXPIRE / DELETE / FLUSH go to every version's SA table, each acting only on the SPIs it negotiated.
import type { LogLevel } from '../../common/log.js';
import * as P from '../../pfkey/constants.js';
import type { PfkeyMessage } from '../../pfkey/msg.js';
import type { Endpoint } from '../engine/datagram.js';
import type { BridgeEvents, SpEntry } from './pfkey-bridge.js';

/** What an IKE version offers the ACQUIRE path. */
export interface Negotiator {
  /** A negotiation for this policy is under way (the kernel repeats ACQUIREs while it waits). */
  negotiating(spid: number): boolean;
  /** Starts one for the policy, between the ACQUIRE's addresses on the IKE port. */
  start(sp: SpEntry, me: Endpoint, peer: Endpoint, seq: number, satype: number): void;
}

/** An IKE version's table of negotiated SAs, as the kernel's SA events reach it. */
export interface SaOwner {
  /** SADB_EXPIRE: soft -> rekey, hard -> forget (and tell the peer). */
  expire(m: PfkeyMessage): void;
  /** SADB_DELETE by someone else (setkey): tell the peer, drop the pair. */
  deleted(m: PfkeyMessage): void;
  flushed(satype: number): void;
  /**
   * The PF_KEY socket closed (uipsecd died): every SA the kernel held is gone. Negotiations in progress end
   * without an ACQUIRE answer, established ones are forgotten; kernelBack() follows on a new socket.
   */
  kernelGone?(): void;
  /** A new kernel is registered: tell the peers which SAs were lost (ISAKMP DELETE), so both sides renegotiate. */
  kernelBack?(): void;
}

export interface KernelEventsWorld {
  spd: ReadonlyMap<number, SpEntry>;
  port: number;
  log(level: LogLevel, msg: string): void;
}

export class KernelEvents implements BridgeEvents {
  /** `negotiatorFor` picks the IKE version for a peer (IKEv1 until remote sections name a version). */
  constructor(
    private readonly w: KernelEventsWorld,
    private readonly negotiatorFor: (sp: SpEntry, peer: Endpoint) => Negotiator,
    private readonly owners: readonly SaOwner[],
  ) {}

  /** SADB_ACQUIRE: find the policy, then let the peer's IKE version negotiate unless it already does. */
  acquire(m: PfkeyMessage): void {
    const spid = m.ext.policy?.id ?? 0;
    const sp = this.w.spd.get(spid);
    if (!sp || sp.type !== P.IPSEC_POLICY_IPSEC) {
      this.w.log('warn', `ACQUIRE for unknown policy id ${spid}`);
      return;
    }
    const me = { addr: m.ext.addressSrc!.addr.addr, port: this.w.port };
    const peer = { addr: m.ext.addressDst!.addr.addr, port: this.w.port };
    const n = this.negotiatorFor(sp, peer);
    if (n.negotiating(spid)) return;
    n.start(sp, me, peer, m.msg.seq, m.msg.satype);
  }

  expire(m: PfkeyMessage): void {
    for (const o of this.owners) o.expire(m);
  }

  deleted(m: PfkeyMessage): void {
    for (const o of this.owners) o.deleted(m);
  }

  flushed(satype: number): void {
    for (const o of this.owners) o.flushed(satype);
  }

  kernelGone(): void {
    for (const o of this.owners) o.kernelGone?.();
  }

  kernelBack(): void {
    for (const o of this.owners) o.kernelBack?.();
  }
}
