// The two message windows of an IKE SA (RFC 7296 §2.1–§2.3) with a window size of one: our requests go out one
// at a time, each with the next message ID, resent by engine/retransmit.ts until answered (§2.1: only the
// initiator of an exchange retransmits); the peer's requests are answered in message ID order, and a repeat of
// the last one gets the same answer again without being processed twice.
import { equalCT } from '../../common/bytes.js';
import { formatAddr } from '../../common/inet.js';
import type { EngineCtx } from '../engine/context.js';
import { armRetransmit } from '../engine/retransmit.js';
import { IKEV2_EXCHANGE_IKE_SA_INIT, IKEV2_EXCHANGE_NAMES, nameOf } from './constants.js';
import type { Ikev2Header } from './header.js';
import * as N from './notify-types.js';
import type { Ikev2Payload } from './payload-chain.js';
import { ExchangeError, notifyPayload } from './payload-util.js';
import { fragmentIfLarge } from './frag-io.js';
import { clearMessage, headerFor, sealMessage } from './protect.js';
import type { Exchange, IkeSa, OutRequest } from './records.js';

/** What a responder step returns: the answer's payloads and what to do once it is sent. */
export interface Answer {
  payloads: Ikev2Payload[];
  after?: () => void;
}

export type Responder = (sa: IkeSa, payloads: Ikev2Payload[], header: Ikev2Header) => Promise<Answer>;

export interface WindowHooks {
  /** Our request went unanswered after every retransmission: the peer is gone (§2.4). */
  peerGone(sa: IkeSa, what: string): void;
}

export class ExchangeWindow {
  constructor(
    private readonly ctx: EngineCtx,
    private readonly hooks: WindowHooks,
  ) {}

  /** Queues an exchange this end initiates; it starts when the window has room. */
  queue(sa: IkeSa, ex: Exchange): void {
    if (sa.state === 'dead') {
      ex.failed('the IKE SA is gone');
      return;
    }
    sa.queue.push(ex);
    this.next(sa);
  }

  private next(sa: IkeSa): void {
    if (sa.active || sa.state === 'dead') return;
    const ex = sa.queue.shift();
    if (!ex) return;
    const out: OutRequest = { state: 'building', exchange: ex, messageId: sa.nextRequestId, retries: 0 };
    sa.active = out;
    void this.send(sa, out);
  }

  private ctxFor(ex: Exchange): EngineCtx {
    const r = ex.retransmit;
    if (!r) return this.ctx;
    return { ...this.ctx, conf: { ...this.ctx.conf, timer: { ...this.ctx.conf.timer, ...r } } };
  }

  private async send(sa: IkeSa, out: OutRequest): Promise<void> {
    let payloads: Ikev2Payload[] | undefined;
    try {
      payloads = await out.exchange.request();
    } catch (e) {
      this.fail(sa, out, (e as Error).message);
      return;
    }
    if (sa.active !== out || sa.state === 'dead') return;
    if (!payloads) {
      this.release(sa, out); // abandoned before anything went out: the message ID stays unused
      return;
    }
    const type = out.exchange.exchangeType;
    const bytes =
      type === IKEV2_EXCHANGE_IKE_SA_INIT
        ? clearMessage(sa, type, out.messageId, false, payloads)
        : this.seal(sa, type, out.messageId, false, payloads);
    out.exchange.sent?.(bytes);
    out.lastSent = bytes;
    out.state = 'sent';
    this.ctx.send(sa, bytes);
    armRetransmit(this.ctxFor(out.exchange), sa, out, () => {
      this.fail(sa, out, 'no answer');
      if (sa.state !== 'dead') this.hooks.peerGone(sa, out.exchange.what);
    });
  }

  /** HDR, SK{payloads}; also as SKF fragments when it is too large and both ends take them (RFC 7383). */
  private seal(sa: IkeSa, type: number, messageId: number, response: boolean, payloads: Ikev2Payload[]): Uint8Array {
    const bytes = sealMessage(sa, type, messageId, response, payloads, this.ctx.rng);
    const header = headerFor(sa, type, messageId, response);
    fragmentIfLarge(sa, header, payloads, bytes, this.ctx.nattPort, this.ctx.rng);
    return bytes;
  }

  private release(sa: IkeSa, out: OutRequest): void {
    out.cancelTimer?.();
    out.state = 'answered';
    if (sa.active === out) sa.active = undefined;
    this.next(sa);
  }

  private fail(sa: IkeSa, out: OutRequest, why: string): void {
    out.cancelTimer?.();
    out.state = 'answered';
    if (sa.active === out) sa.active = undefined;
    try {
      out.exchange.failed(why);
    } finally {
      this.next(sa);
    }
  }

  /** A response (payloads already opened) to our outstanding request; late or repeated ones are dropped. */
  async response(sa: IkeSa, header: Ikev2Header, payloads: Ikev2Payload[]): Promise<void> {
    const out = sa.active;
    if (!out || out.state !== 'sent' || header.messageId !== out.messageId) {
      this.ctx.stats.duplicates++;
      return;
    }
    out.cancelTimer?.();
    out.state = 'answered';
    let r: 'done' | 'again';
    try {
      r = await out.exchange.response(payloads, header);
    } catch (e) {
      sa.nextRequestId = out.messageId + 1;
      this.fail(sa, out, (e as Error).message);
      return;
    }
    if (r === 'again') {
      // §2.6 / §1.3: IKE_SA_INIT again with message ID 0, a new request.
      const again: OutRequest = { state: 'building', exchange: out.exchange, messageId: out.messageId, retries: 0 };
      if (sa.active === out) sa.active = again;
      void this.send(sa, again);
      return;
    }
    sa.nextRequestId = out.messageId + 1;
    this.release(sa, out);
  }

  /**
   * A request from the peer (payloads opened): answered once, in order (§2.3); the repeat of the last one gets
   * the same bytes (§2.1); anything else outside the window is dropped.
   */
  async request(
    sa: IkeSa,
    header: Ikev2Header,
    raw: Uint8Array,
    payloads: Ikev2Payload[],
    step: Responder,
  ): Promise<void> {
    const id = header.messageId;
    const last = sa.lastResponse;
    if (last && id === last.messageId) {
      this.ctx.stats.duplicates++;
      if (last.request.length === raw.length && equalCT(last.request, raw)) this.ctx.send(sa, last.response);
      return;
    }
    if (sa.answering === id || id !== sa.nextPeerId) {
      this.ctx.stats.duplicates++;
      return;
    }
    sa.answering = id;
    const ans = await this.answer(sa, header, payloads, step);
    sa.answering = undefined;
    if (!sa.skOut) return;
    const bytes = this.seal(sa, header.exchangeType, id, true, ans.payloads);
    sa.lastResponse = { messageId: id, request: raw, response: bytes };
    sa.nextPeerId = id + 1;
    this.ctx.send(sa, bytes);
    ans.after?.();
  }

  private async answer(sa: IkeSa, header: Ikev2Header, payloads: Ikev2Payload[], step: Responder): Promise<Answer> {
    try {
      return await step(sa, payloads, header);
    } catch (e) {
      const what = `${nameOf(IKEV2_EXCHANGE_NAMES, header.exchangeType)} from ${formatAddr(sa.remote.addr)}`;
      if (e instanceof ExchangeError) {
        if (e.notifyType === N.IKEV2_N_NO_PROPOSAL_CHOSEN) this.ctx.stats.noProposal++;
        this.ctx.log('warn', `${what}: ${e.message}`);
        return { payloads: [notifyPayload(e.notifyType, e.notifyData)] };
      }
      this.ctx.log('error', `internal error answering ${what}: ${(e as Error).stack ?? e}`);
      return { payloads: [notifyPayload(N.IKEV2_N_TEMPORARY_FAILURE)] };
    }
  }

  /** Stops an SA's retransmission (the SA is going). */
  stop(sa: IkeSa): void {
    sa.active?.cancelTimer?.();
    const pending = [sa.active?.exchange, ...sa.queue].filter((x): x is Exchange => x !== undefined);
    sa.active = undefined;
    sa.queue = [];
    for (const ex of pending) {
      try {
        ex.failed('the IKE SA is gone');
      } catch {
        /* a failing exchange must not stop the others */
      }
    }
  }
}
