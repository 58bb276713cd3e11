// The ACQUIRE path of IKEv2 (racoon isakmp_post_acquire, strongSwan's acquire job): the policy that raised it
// gives the child's selectors (TSi = its source, TSr = its destination, §2.9), mode, protocols and reqid; the
// child goes into CREATE_CHILD_SA on an established IKE SA with the peer, waits for one being negotiated, or
// rides in the IKE_AUTH of a new one (IKE_SA_INIT first, §1.2).
import { formatAddr } from '../../common/inet.js';
import * as P from '../../pfkey/constants.js';
import { lookupRemote, lookupSainfo } from '../conf/lookup.js';
import type { Endpoint } from '../engine/datagram.js';
import type { Negotiator } from '../sa/kernel-events.js';
import type { SpEntry } from '../sa/pfkey-bridge.js';
import { IKEV2_PROTO_AH, IKEV2_PROTO_ESP } from './constants.js';
import { clientTsi } from './cfg.js';
import { CreateChildI } from './exchanges/create-child.js';
import { IkeAuthI } from './exchanges/ike-auth.js';
import { IkeSaInitI } from './exchanges/ike-sa-init.js';
import type { Ikev2Handler } from './handler.js';
import type { ChildSa, IkeSa } from './records.js';
import { phase2IdOfSelector, policySelectors } from './selectors.js';

function spText(sp: SpEntry): string {
  return `${sp.id} ${formatAddr(sp.src.addr)}/${sp.src.len} -> ${formatAddr(sp.dst.addr)}/${sp.dst.len}`;
}

export class Ikev2Acquire implements Negotiator {
  /** Children waiting for an IKE SA under negotiation (the first rides in IKE_AUTH). */
  private readonly waiting = new Map<IkeSa, ChildSa[]>();
  /** Peers we told INITIAL_CONTACT (once per peer per daemon lifetime, as IKEv1 does). */
  private readonly contacted = new Set<string>();

  constructor(private readonly h: Ikev2Handler) {
    h.onEstablished = (sa) => this.established(sa);
    h.onKilled = (sa, why) => this.killed(sa, why);
  }

  negotiating(spid: number): boolean {
    return this.h.children.negotiating(spid);
  }

  start(sp: SpEntry, me: Endpoint, peer: Endpoint, seq: number, satype: number): void {
    const { ctx } = this.h;
    const rm = lookupRemote(ctx.conf, peer.addr, peer.port);
    const esp = sp.requests.find((r) => r.proto === P.IPPROTO_ESP);
    const ah = sp.requests.find((r) => r.proto === P.IPPROTO_AH);
    const req = esp ?? ah;
    const { tsi, tsr } = policySelectors(sp);
    const sainfo = lookupSainfo(ctx.conf, { local: phase2IdOfSelector(tsi), remote: phase2IdOfSelector(tsr) });
    if (!rm || rm.passive || !req || !sainfo) {
      const why = !rm ? 'no remote' : rm.passive ? 'the remote is passive' : !req ? 'no ESP/AH request' : 'no sainfo';
      ctx.log('warn', `ACQUIRE for policy ${spText(sp)}: not negotiating (${why})`);
      ctx.bridge.sendAcquireError(satype, seq);
      return;
    }
    let sa = this.h.ikes.withPeer(peer.addr);
    const newSa = !sa;
    if (!sa) {
      const remote = { addr: peer.addr, port: rm.portGiven ? rm.port : peer.port };
      sa = this.h.ikes.initiator(rm, me, remote);
      ctx.log('info', `initiate new IKEv2 SA ${sa.id}: ${formatAddr(me.addr)} -> ${formatAddr(remote.addr)}`);
    }
    const child = this.h.newChild(sa, {
      state: 'creating',
      initiator: true,
      protocol: req === esp ? IKEV2_PROTO_ESP : IKEV2_PROTO_AH,
      mode: req.mode === P.IPSEC_MODE_TUNNEL ? 'tunnel' : 'transport',
      spid: sp.id,
      reqid: req.reqid,
      seq,
      sainfo,
      tsi: [clientTsi(sa, tsi)], // a roadwarrior's address from the CP (§2.19) once it has one
      tsr: [tsr],
      lifetimeSec: sainfo.lifetimeSec,
      ...(sp.requests.some((r) => r.proto === P.IPPROTO_IPCOMP)
        ? { ipcomp: { myCpi: new Uint8Array(0), transform: 2 } }
        : {}),
    });
    if (newSa) this.startIke(sa, child);
    else if (sa.state === 'established') this.h.queue(sa, new CreateChildI(this.h, sa, child));
    else this.waiting.set(sa, [...(this.waiting.get(sa) ?? []), child]);
  }

  /** IKE_SA_INIT, then IKE_AUTH carrying the first child. */
  private startIke(sa: IkeSa, first: ChildSa): void {
    const key = formatAddr(sa.remote.addr);
    const ic = sa.rmconf.initialContact && !this.contacted.has(key);
    if (ic) this.contacted.add(key);
    this.h.queue(sa, new IkeSaInitI(this.h, sa));
    this.h.queue(sa, new IkeAuthI(this.h, sa, first, ic));
  }

  private established(sa: IkeSa): void {
    const list = this.waiting.get(sa);
    if (!list) return;
    this.waiting.delete(sa);
    for (const c of list) if (c.state === 'creating') this.h.queue(sa, new CreateChildI(this.h, sa, c));
  }

  private killed(sa: IkeSa, why: string): void {
    const list = this.waiting.get(sa);
    this.waiting.delete(sa);
    for (const c of list ?? []) this.h.childFailed(c, why);
  }
}
