// INFORMATIONAL (RFC 7296 §1.4, §2.4): deleting Child SAs and the IKE SA, and the liveness check.
//
//   HDR, SK {D(ESP, our inbound SPIs)}   -->   <--  HDR, SK {D(ESP, the peer's inbound SPIs of the same pairs)}
//   HDR, SK {D(IKE)}                     -->   <--  HDR, SK {}
//   HDR, SK {}   (liveness, §2.4)        -->   <--  HDR, SK {}
//
// A child both ends delete at once is removed without a Delete in the answer (§1.4.1); a peer that does not
// answer the liveness check within dpd_retry × dpd_maxfail is dead, and its IKE SA and children go.
import { formatAddr } from '../../../common/inet.js';
import { IKEV2_EXCHANGE_INFORMATIONAL, IKEV2_PAYLOAD_DELETE, IKEV2_PROTO_IKE } from '../constants.js';
import type { Ikev2Env } from '../env.js';
import { payloadsOf } from '../message.js';
import { IKEV2_N_AUTHENTICATION_FAILED, isErrorNotify } from '../notify-types.js';
import type { Ikev2Payload } from '../payload-chain.js';
import { notifiesOf, notifyName, notifyPayload } from '../payload-util.js';
import type { ChildSa, Exchange, IkeSa } from '../records.js';

/** Delete payloads for children, grouped by protocol, with our inbound SPIs. */
function deletePayloads(children: readonly ChildSa[]): Ikev2Payload[] {
  const byProto = new Map<number, Uint8Array[]>();
  for (const c of children) if (c.mySpi) byProto.set(c.protocol, [...(byProto.get(c.protocol) ?? []), c.mySpi]);
  return [...byProto].map(([protocol, spis]) => ({ type: IKEV2_PAYLOAD_DELETE, body: { protocol, spis } }));
}

/** Deletes Child SAs at the peer, then here (strongSwan child_delete). */
export class DeleteChildrenI implements Exchange {
  readonly exchangeType = IKEV2_EXCHANGE_INFORMATIONAL;
  readonly what: string;

  constructor(
    private readonly env: Ikev2Env,
    private readonly sa: IkeSa,
    private readonly children: ChildSa[],
    private readonly why: string,
  ) {
    this.what = `INFORMATIONAL (delete child ${children.map((c) => c.id).join(',')})`;
  }

  async request(): Promise<Ikev2Payload[] | undefined> {
    const live = this.children.filter((c) => c.state !== 'dead' && c.state !== 'deleting' && c.ike === this.sa);
    if (live.length === 0) return undefined;
    for (const c of live) c.state = 'deleting';
    this.env.ctx.stats.deletesSent++;
    return deletePayloads(live);
  }

  async response(): Promise<'done'> {
    for (const c of this.children) await this.env.removeChild(c, this.why);
    return 'done';
  }

  failed(why: string): void {
    for (const c of this.children) void this.env.removeChild(c, `${this.why} (${why})`);
  }
}

/** Deletes the IKE SA (and so, at the peer, its children). */
export class DeleteIkeI implements Exchange {
  readonly exchangeType = IKEV2_EXCHANGE_INFORMATIONAL;
  readonly what = 'INFORMATIONAL (delete IKE SA)';

  constructor(
    private readonly env: Ikev2Env,
    private readonly sa: IkeSa,
    private readonly why: string,
  ) {}

  async request(): Promise<Ikev2Payload[] | undefined> {
    if (this.sa.state === 'dead') return undefined;
    this.sa.state = 'deleting';
    this.env.ctx.stats.deletesSent++;
    return [{ type: IKEV2_PAYLOAD_DELETE, body: { protocol: IKEV2_PROTO_IKE, spis: [] } }];
  }

  async response(): Promise<'done'> {
    this.env.killIke(this.sa, this.why);
    return 'done';
  }

  failed(why: string): void {
    this.env.killIke(this.sa, `${this.why} (${why})`);
  }
}

/** The liveness check (§2.4, racoon's dpd_delay): an empty request; no answer means a dead peer. */
export class LivenessI implements Exchange {
  readonly exchangeType = IKEV2_EXCHANGE_INFORMATIONAL;
  readonly what = 'INFORMATIONAL (liveness check)';
  readonly retransmit: { intervalSec: number; counter: number };

  constructor(
    private readonly env: Ikev2Env,
    private readonly sa: IkeSa,
  ) {
    this.retransmit = { intervalSec: sa.rmconf.dpdRetrySec, counter: sa.rmconf.dpdMaxfail };
  }

  async request(): Promise<Ikev2Payload[] | undefined> {
    if (this.sa.state !== 'established') return undefined;
    this.env.stats.livenessChecks++;
    return [];
  }

  async response(): Promise<'done'> {
    return 'done';
  }

  failed(): void {
    this.env.stats.deadPeers++;
    this.env.ctx.log(
      'notice',
      `IKEv2 peer ${formatAddr(this.sa.remote.addr)} is dead: no answer to the liveness check`,
    );
    this.env.killIke(this.sa, 'dead peer (liveness check unanswered)');
  }
}

/**
 * §2.21.2: the initiator refused the responder's identity or AUTH after IKE_AUTH; it tells the responder with
 * N(AUTHENTICATION_FAILED) in an INFORMATIONAL, sent once (the peer may already be gone), then drops the IKE SA.
 */
export class AuthFailedI implements Exchange {
  readonly exchangeType = IKEV2_EXCHANGE_INFORMATIONAL;
  readonly what = 'INFORMATIONAL (AUTHENTICATION_FAILED)';
  readonly retransmit: { intervalSec: number; counter: number };

  constructor(
    private readonly env: Ikev2Env,
    private readonly sa: IkeSa,
    private readonly why: string,
  ) {
    this.retransmit = { intervalSec: env.ctx.conf.timer.intervalSec, counter: 1 };
  }

  async request(): Promise<Ikev2Payload[] | undefined> {
    if (this.sa.state === 'dead') return undefined;
    return [notifyPayload(IKEV2_N_AUTHENTICATION_FAILED)];
  }

  async response(): Promise<'done'> {
    this.failed();
    return 'done';
  }

  failed(): void {
    this.env.killIke(this.sa, `IKE_AUTH failed: ${this.why}`);
  }
}

export interface InfoAnswer {
  payloads: Ikev2Payload[];
  after?: () => void;
}

/** Responder: Deletes (§1.4.1), notifications (logged), or an empty liveness check. */
export function answerInformational(env: Ikev2Env, sa: IkeSa, req: readonly Ikev2Payload[]): InfoAnswer {
  for (const n of notifiesOf(req))
    env.ctx.log(
      isErrorNotify(n.notifyType) ? 'warn' : 'info',
      `INFORMATIONAL from ${formatAddr(sa.remote.addr)}: ${notifyName(n.notifyType)}`,
    );
  // §2.21.2: the initiator refused our IKE_AUTH answer; the IKE SA and its children go.
  if (notifiesOf(req).some((n) => n.notifyType === IKEV2_N_AUTHENTICATION_FAILED))
    return {
      payloads: [],
      after: () => env.killIke(sa, 'the peer refused our authentication (AUTHENTICATION_FAILED)'),
    };
  const dels = payloadsOf(req, IKEV2_PAYLOAD_DELETE);
  if (dels.length > 0) env.ctx.stats.deletesReceived++;
  if (dels.some((d) => d.protocol === IKEV2_PROTO_IKE)) {
    sa.state = 'deleting';
    return { payloads: [], after: () => env.killIke(sa, 'deleted by the peer') };
  }
  const gone: ChildSa[] = [];
  const answer: ChildSa[] = [];
  for (const d of dels) {
    for (const spi of d.spis) {
      const c = env.childBySpi(sa, d.protocol, spi, false);
      if (!c || gone.includes(c)) continue;
      gone.push(c);
      // Both ends deleting it: no Delete for it in the answer (§1.4.1).
      if (c.state !== 'deleting') answer.push(c);
      c.state = 'deleting';
    }
  }
  return {
    payloads: deletePayloads(answer),
    after: () => {
      for (const c of gone) void env.removeChild(c, 'deleted by the peer');
    },
  };
}
