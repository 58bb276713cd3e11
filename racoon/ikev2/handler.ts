// IKEv2's side of the engine (RFC 7296; strongSwan's ike_sa_manager + task manager, racoon2 ikev2.c): a
// message with major version 2 is decoded, matched to its IKE SA by our SPI, opened with the peer's SK keys,
// and handed to the exchange window as a request (answered by the responder steps of exchanges/) or as the
// response to our outstanding request. A new IKE_SA_INIT is answered statelessly (COOKIE under load, §2.6;
// INVALID_KE_PAYLOAD, §1.3; NO_PROPOSAL_CHOSEN) or creates a half-open responder IKE SA.
import { formatAddr } from '../../common/inet.js';
import { sameIkev2Id } from './payloads/id.js';
import type { EngineCtx } from '../engine/context.js';
import type { Endpoint } from '../engine/datagram.js';
import type { IkeVersionHandler } from '../engine/dispatch.js';
import { followPeer } from '../engine/natt.js';
import { lookupRemote } from '../conf/lookup.js';
import type { SaPairKeys } from '../sa/sa-pair.js';
import { childTransformText } from './child-proposal.js';
import { ChildTable } from './child-table.js';
import { selectorText } from './selectors.js';
import {
  IKEV2_EXCHANGE_CREATE_CHILD_SA,
  IKEV2_EXCHANGE_IKE_AUTH,
  IKEV2_EXCHANGE_IKE_SA_INIT,
  IKEV2_EXCHANGE_INFORMATIONAL,
  IKEV2_MAJOR_VERSION,
  IKEV2_PAYLOAD_NONCE,
  IKEV2_PAYLOAD_SKF,
} from './constants.js';
import { fragmentIn, ReassemblyBudget } from './frag-io.js';
import { moveLease, releaseLease } from './cfg.js';
import { CookieJar } from './cookie.js';
import type { Ikev2Env } from './env.js';
import { answerCreateChild, rekeyChild } from './exchanges/create-child.js';
import { answerIkeAuth } from './exchanges/ike-auth.js';
import { answerIkeSaInit, chooseInitOffer, initRefusal } from './exchanges/ike-sa-init.js';
import { answerInformational, DeleteChildrenI, LivenessI } from './exchanges/informational.js';
import { RekeyIkeI } from './exchanges/rekey-ike.js';
import { fromOriginalInitiator, isResponse, type Ikev2Header } from './header.js';
import { IkeTable } from './ike-table.js';
import { decodeIkev2Message, type Ikev2Message } from './message.js';
import * as N from './notify-types.js';
import type { Ikev2Payload } from './payload-chain.js';
import { ExchangeError, findNotify, notifyPayload, single } from './payload-util.js';
import { clearMessage, openMessage } from './protect.js';
import type { ChildSa, Exchange, IkeSa } from './records.js';
import { newIkev2Stats, type Ikev2Stats } from './stats.js';
import { ExchangeWindow, type Answer } from './window.js';
import { encodeIkev2Message } from './message.js';
import { IKEV2_FLAG_RESPONSE, IKEV2_MINOR_VERSION } from './constants.js';

const hx = (b?: Uint8Array) => (b ? Buffer.from(b).toString('hex') : '-');

function childLine(c: ChildSa): string {
  const ts = `${c.tsi.map(selectorText).join(',')} === ${c.tsr.map(selectorText).join(',')}`;
  const t = c.transforms ? childTransformText(c.protocol, c.transforms) : '-';
  return `child ${c.id} ${c.state} ${c.mode} ${t} in ${hx(c.mySpi)} out ${hx(c.peerSpi)} ${ts}`;
}

const isZero = (b: Uint8Array) => b.every((x) => x === 0);

export class Ikev2Handler implements IkeVersionHandler, Ikev2Env {
  readonly majorVersion = IKEV2_MAJOR_VERSION;
  readonly stats: Ikev2Stats = newIkev2Stats();
  readonly ikes: IkeTable;
  readonly children: ChildTable;
  readonly cookies: CookieJar;
  /** Bytes held in incomplete fragmented messages, all IKE SAs together (RFC 7383 §2.6 bounds). */
  readonly reassembly = new ReassemblyBudget();
  private readonly window: ExchangeWindow;

  constructor(readonly ctx: EngineCtx) {
    this.window = new ExchangeWindow(ctx, { peerGone: (sa, what) => this.peerGone(sa, what) });
    this.ikes = new IkeTable(ctx, this.stats, {
      rekey: (sa) => this.queue(sa, new RekeyIkeI(this, sa)),
      liveness: (sa) => this.queue(sa, new LivenessI(this, sa)),
      expired: (sa) => this.killIke(sa, 'not authenticated in time (half-open)'),
    });
    this.children = new ChildTable(ctx, this.stats, {
      rekey: (c) => this.queue(c.ike, rekeyChild(this, c.ike, c)),
      deleteAtPeer: (c, why) => this.deleteChild(c, why),
    });
    this.cookies = new CookieJar(ctx.rng, ctx.clock, Math.max(1, Math.floor(ctx.halfOpen.max / 2)));
    ctx.halfOpen.countFrom(() => this.ikes.halfOpen());
  }

  close(): void {
    for (const sa of this.ikes.all()) {
      this.window.stop(sa);
      this.ikes.remove(sa);
    }
    this.children.close();
  }

  // ---- input ----

  input(d: Uint8Array, local: Endpoint, remote: Endpoint): void {
    let msg: Ikev2Message;
    try {
      msg = decodeIkev2Message(d).value;
    } catch (e) {
      this.ctx.stats.malformed++;
      this.ctx.log('debug', `malformed IKEv2 message from ${formatAddr(remote.addr)}: ${(e as Error).message}`);
      return;
    }
    void this.route(msg, d, local, remote).catch((e: unknown) =>
      this.ctx.log('error', `internal error on an IKEv2 message from ${formatAddr(remote.addr)}: ${String(e)}`),
    );
  }

  private async route(msg: Ikev2Message, raw: Uint8Array, local: Endpoint, remote: Endpoint): Promise<void> {
    const h = msg.header;
    const fromInitiator = fromOriginalInitiator(h);
    if (h.exchangeType === IKEV2_EXCHANGE_IKE_SA_INIT && !isResponse(h) && fromInitiator && isZero(h.spiR)) {
      await this.initRequest(msg, raw, local, remote);
      return;
    }
    const sa = this.ikes.find(fromInitiator ? h.spiR : h.spiI);
    if (!sa || sa.initiator === fromInitiator || sa.state === 'dead') {
      this.ctx.stats.unknownSa++;
      return;
    }
    if (h.exchangeType === IKEV2_EXCHANGE_IKE_SA_INIT) {
      if (!isResponse(h) || sa.state !== 'init') {
        this.ctx.stats.duplicates++;
        return;
      }
      sa.initResponse = raw;
      await this.window.response(sa, h, msg.payloads);
      return;
    }
    if (!sa.skIn) {
      this.ctx.stats.unknownSa++;
      return;
    }
    if (msg.payloads[msg.payloads.length - 1]?.type === IKEV2_PAYLOAD_SKF) {
      await this.fragmentIn(sa, msg, raw, local, remote);
      return;
    }
    const opened = openMessage(sa, raw, msg);
    if (!opened.ok) {
      this.ctx.stats.malformed++;
      this.ctx.log('debug', `IKEv2 message from ${formatAddr(remote.addr)} dropped: ${opened.reason}`);
      return;
    }
    sa.lastHeardMs = this.ctx.clock.now();
    followPeer(sa, local, remote, this.ctx.nattPort);
    if (isResponse(h)) await this.window.response(sa, h, opened.inner);
    else await this.window.request(sa, h, raw, opened.inner, (s, p, hh) => this.answer(s, p, hh));
  }

  /** RFC 7383: one SKF message, authenticated, collected (frag-io.ts); the whole message goes on like any other. */
  private async fragmentIn(sa: IkeSa, msg: Ikev2Message, raw: Uint8Array, local: Endpoint, remote: Endpoint) {
    const { ctx } = this;
    const h = msg.header;
    const o = fragmentIn(ctx, this.reassembly, sa, raw, msg);
    if (o.kind === 'drop') {
      ctx.stats.fragDropped++;
      ctx.log('debug', `IKEv2 fragment from ${formatAddr(remote.addr)} dropped: ${o.why}`);
      return;
    }
    sa.lastHeardMs = ctx.clock.now();
    if (o.kind === 'wait') return;
    if (o.kind === 'repeat') {
      ctx.stats.duplicates++;
      if (sa.lastResponse) ctx.send(sa, sa.lastResponse.response);
      return;
    }
    followPeer(sa, local, remote, ctx.nattPort);
    if (isResponse(h)) await this.window.response(sa, h, o.inner);
    else await this.window.request(sa, h, o.firstRaw, o.inner, (s, p, hh) => this.answer(s, p, hh));
  }

  /** The responder steps for the exchanges of an IKE SA (IKE_SA_INIT is answered before it exists). */
  private async answer(sa: IkeSa, req: Ikev2Payload[], h: Ikev2Header): Promise<Answer> {
    switch (h.exchangeType) {
      case IKEV2_EXCHANGE_IKE_AUTH:
        if (sa.state !== 'auth') throw new ExchangeError(N.IKEV2_N_INVALID_SYNTAX, 'IKE_AUTH out of place');
        return answerIkeAuth(this, sa, req);
      case IKEV2_EXCHANGE_CREATE_CHILD_SA:
        if (sa.state !== 'established' && sa.state !== 'rekeyed')
          throw new ExchangeError(N.IKEV2_N_INVALID_SYNTAX, 'CREATE_CHILD_SA before IKE_AUTH');
        if (sa.state === 'rekeyed') throw new ExchangeError(N.IKEV2_N_TEMPORARY_FAILURE, 'this IKE SA was rekeyed');
        return { payloads: await answerCreateChild(this, sa, req) };
      case IKEV2_EXCHANGE_INFORMATIONAL:
        if (sa.state === 'init' || sa.state === 'auth')
          throw new ExchangeError(N.IKEV2_N_INVALID_SYNTAX, 'INFORMATIONAL before IKE_AUTH');
        return answerInformational(this, sa, req);
      default:
        throw new ExchangeError(N.IKEV2_N_INVALID_SYNTAX, `exchange type ${h.exchangeType}`);
    }
  }

  /** A clear IKE_SA_INIT answer that keeps no state: COOKIE, INVALID_KE_PAYLOAD, NO_PROPOSAL_CHOSEN... */
  private statelessAnswer(h: Ikev2Header, local: Endpoint, remote: Endpoint, n: Ikev2Payload): void {
    const bytes = encodeIkev2Message({
      header: {
        ...h,
        spiR: new Uint8Array(8),
        flags: IKEV2_FLAG_RESPONSE,
        minorVersion: IKEV2_MINOR_VERSION,
        np: 0,
        length: 0,
      },
      payloads: [n],
    });
    this.ctx.stats.notifiesSent++;
    this.ctx.send({ local, remote }, bytes);
  }

  /** A peer's IKE_SA_INIT: a repeat gets the same answer; else cookie check, proposal, new half-open SA. */
  private async initRequest(msg: Ikev2Message, raw: Uint8Array, local: Endpoint, remote: Endpoint): Promise<void> {
    const { ctx } = this;
    const h = msg.header;
    const known = this.ikes.findInit(h.spiI, remote);
    if (known) {
      const last = known.lastResponse;
      ctx.stats.duplicates++;
      if (last && last.request.length === raw.length && Buffer.compare(last.request, raw) === 0)
        ctx.send(known, last.response);
      return;
    }
    if (h.messageId !== 0) {
      ctx.stats.malformed++;
      return;
    }
    const rm = lookupRemote(ctx.conf, remote.addr, remote.port);
    if (!rm || rm.ikeVersion !== 2) {
      ctx.stats.unknownSa++;
      ctx.log('notice', `IKEv2 IKE_SA_INIT from ${formatAddr(remote.addr)}: no ike_version 2 remote for it`);
      this.statelessAnswer(h, local, remote, notifyPayload(N.IKEV2_N_NO_PROPOSAL_CHOSEN));
      return;
    }
    if (ctx.halfOpen.full()) {
      ctx.stats.halfOpenRefused++;
      return;
    }
    if (!this.cookieOk(msg, local, remote)) return;
    let offer;
    try {
      offer = chooseInitOffer(rm, msg.payloads);
    } catch (e) {
      if (!(e instanceof ExchangeError)) throw e;
      if (e.notifyType === N.IKEV2_N_INVALID_KE_PAYLOAD) this.stats.invalidKeSent++;
      if (e.notifyType === N.IKEV2_N_NO_PROPOSAL_CHOSEN) ctx.stats.noProposal++;
      ctx.log('info', `IKE_SA_INIT from ${formatAddr(remote.addr)}: ${initRefusal(e)}`);
      this.statelessAnswer(h, local, remote, notifyPayload(e.notifyType, e.notifyData));
      return;
    }
    const sa = this.ikes.responder(rm, h.spiI, local, remote);
    sa.initRequest = raw;
    let payloads: Ikev2Payload[];
    try {
      payloads = answerIkeSaInit(this, sa, offer, msg.payloads);
    } catch (e) {
      this.killIke(sa, (e as Error).message);
      if (e instanceof ExchangeError) this.statelessAnswer(h, local, remote, notifyPayload(e.notifyType));
      return;
    }
    const bytes = clearMessage(sa, IKEV2_EXCHANGE_IKE_SA_INIT, 0, true, payloads);
    sa.initResponse = bytes;
    sa.lastResponse = { messageId: 0, request: raw, response: bytes };
    sa.nextPeerId = 1;
    sa.state = 'auth';
    ctx.send(sa, bytes);
    // After a NAT, the peer's IKE_AUTH arrives on the NAT-T port: followPeer moves us there (§2.23).
  }

  /** §2.6: under load a new IKE_SA_INIT must bring a cookie we made; without one it gets a COOKIE answer. */
  private cookieOk(msg: Ikev2Message, local: Endpoint, remote: Endpoint): boolean {
    if (!this.cookies.required(this.ikes.halfOpen())) return true;
    const ni = single(msg.payloads, IKEV2_PAYLOAD_NONCE);
    if (!ni) return false;
    const c = findNotify(msg.payloads, N.IKEV2_N_COOKIE);
    if (c && this.cookies.verify(c.data, ni, remote.addr, msg.header.spiI)) return true;
    this.stats.cookiesSent++;
    this.statelessAnswer(
      msg.header,
      local,
      remote,
      notifyPayload(N.IKEV2_N_COOKIE, this.cookies.make(ni, remote.addr, msg.header.spiI)),
    );
    return false;
  }

  // ---- Ikev2Env ----

  queue(sa: IkeSa, ex: Exchange): void {
    this.window.queue(sa, ex);
  }

  newIkeSpi(): Uint8Array {
    return this.ikes.newSpi();
  }

  addIke(sa: IkeSa): void {
    this.ikes.add(sa);
  }

  ikeEstablished(sa: IkeSa): void {
    this.ikes.established(sa);
    if (!sa.rekeyNonces) {
      sa.scriptUp = true; // an IKE SA made by a rekey inherits its predecessor's (moveLease)
      this.events.up?.(sa);
    }
    this.onEstablished?.(sa);
  }

  /** racoon's phase1_up / phase1_down / phase1_dead scripts (the daemon sets them: script-env.ts). */
  readonly events: { up?(sa: IkeSa): void; down?(sa: IkeSa): void; dead?(sa: IkeSa): void } = {};

  /** Set by the ACQUIRE side (acquire.ts): children waiting for this IKE SA go now. */
  onEstablished?: (sa: IkeSa) => void;
  /** Set by the ACQUIRE side: an IKE SA went away (its waiting children fail). */
  onKilled?: (sa: IkeSa, why: string) => void;

  killIke(sa: IkeSa, why: string): void {
    if (sa.state === 'dead') return;
    const was = sa.state;
    this.reassembly.release(sa);
    this.ikes.remove(sa); // dead first: the exchanges failed by stop() find it gone
    this.window.stop(sa);
    for (const c of [...sa.children]) {
      if (c.state === 'creating') this.children.fail(c, why);
      else void this.children.remove(c, why);
    }
    this.onKilled?.(sa, why);
    if (sa.scriptUp) this.events.down?.(sa);
    releaseLease(this.ctx, sa);
    const level = was === 'established' || was === 'rekeyed' || was === 'deleting' ? 'notice' : 'warn';
    this.ctx.log(level, `IKEv2 SA ${sa.id} with ${formatAddr(sa.remote.addr)} removed: ${why}`);
  }

  /** RFC 7296 §2.4: the same authenticated identity's IKE SAs go; another identity at one address (a NAT) stays. */
  initialContact(sa: IkeSa): void {
    for (const other of this.ikes.all())
      if (other !== sa && other.state !== 'dead' && sameIkev2Id(other.peerId, sa.peerId))
        this.killIke(other, 'INITIAL_CONTACT from the peer');
  }

  newChild(sa: IkeSa, fields: Omit<ChildSa, 'id' | 'ike' | 'createdMs' | 'cancelTimers'>): ChildSa {
    return this.children.add(sa, fields);
  }

  getSpi(sa: IkeSa, child: ChildSa, satype: number): Promise<Uint8Array> {
    return this.children.getSpi(sa, child, satype);
  }

  installChild(child: ChildSa, pairs: SaPairKeys[]): Promise<boolean> {
    return this.children.install(child, pairs);
  }

  childFailed(child: ChildSa, why: string): void {
    this.children.fail(child, why);
  }

  removeChild(child: ChildSa, why: string): Promise<void> {
    return this.children.remove(child, why);
  }

  childBySpi(sa: IkeSa, protocol: number, spi: Uint8Array, ours: boolean): ChildSa | undefined {
    return this.children.bySpi(sa, protocol, spi, ours);
  }

  retireIke(old: IkeSa, to: IkeSa): void {
    for (const c of [...old.children]) {
      old.children.delete(c);
      c.ike = to;
      to.children.add(c);
    }
    moveLease(this.ctx, old, to);
    this.ikes.retire(old, to, () => this.killIke(old, 'rekeyed; no Delete came'));
  }

  // ---- local decisions ----

  /** racoonctl show-sa ike: a line per IKE SA, then its children indented. */
  show(): string[] {
    const out: string[] = [];
    for (const sa of this.ikes.all()) {
      out.push(...this.ikes.show(sa));
      for (const c of sa.children) out.push(`  ${childLine(c)}`);
    }
    return out;
  }

  /** A child to delete: a Delete exchange when its IKE SA is up, else removed here only. */
  deleteChild(c: ChildSa, why: string): void {
    const sa = c.ike;
    if (sa.state === 'established') this.queue(sa, new DeleteChildrenI(this, sa, [c], why));
    else void this.children.remove(c, why);
  }

  private peerGone(sa: IkeSa, what: string): void {
    this.stats.deadPeers++;
    // Any unanswered request shows a dead peer, not only the liveness check: say so in the same words.
    if (sa.state === 'established')
      this.ctx.log('notice', `IKEv2 peer ${formatAddr(sa.remote.addr)} is dead: no answer to ${what}`);
    if (sa.scriptUp) this.events.dead?.(sa);
    this.killIke(sa, `${what}: the peer did not answer`);
  }
}
