// What happens on an established phase 1 before quick mode may run (racoon isakmp_cfg.c, isakmp_xauth.c): the
// XAuth exchange when the phase 1 used an XAuth method (the server asks, checks, SETs the status, the client
// ACKs), then mode config (the client REQUESTs, the server REPLYs with an address from its pool, DNS, split
// networks, banner; a server SET is ACKed too). Quick modes wait for it (initiator) or are refused (responder).
// The phase1_up script runs when the phase 1 is usable, with the configuration in its environment.
import { formatAddr } from '../../../common/inet.js';
import { randomBytes } from '../../../common/rng.js';
import type { EngineCtx } from '../../engine/context.js';
import * as R from '../../engine/retransmit.js';
import * as C from '../../isakmp/constants.js';
import type { IsakmpMessage } from '../../isakmp/message.js';
import { attrTV, type IsakmpAttribute } from '../../isakmp/payloads/attributes.js';
import type { IsakmpCfg } from '../../isakmp/payloads/attr.js';
import type { Phase1 } from '../handles.js';
import { newMsgid } from '../message.js';
import { xauthRole } from '../ph1/auth-method.js';
import { clientRequest, emptyResult, readAttributes, readBanner, serverReply } from './attributes.js';
import { XauthAuthenticator, type AcctSession, type XauthVerdict } from './auth-source.js';
import { DEFAULT_POOL_SIZE, existingPool, sharedPool } from './pool.js';
import type { CfgExchange } from './state.js';
import { buildCfg, firstIv, openCfg } from './transaction.js';
import * as X from './xauth.js';

/** What mode config needs from the phase 1 side. */
export interface CfgHooks {
  /** The phase 1 may carry quick modes now (run the waiting ones). */
  ready(ph1: Phase1): void;
  /** The phase 1 is usable: racoon's phase1_up script. */
  up(ph1: Phase1): void;
  /** The phase 1 must go (XAuth failed or did not happen): DELETE and removal. */
  end(ph1: Phase1, why: string): void;
}

/** racoon's auth_throttle default: a failed login is answered after this delay (seconds). */
const DEFAULT_AUTH_THROTTLE_SEC = 10;

export class ModeCfg {
  /** auth_source: the back-ends and their bound on logins being checked. */
  readonly auth: XauthAuthenticator;

  constructor(
    private readonly ctx: EngineCtx,
    private readonly hooks: CfgHooks,
  ) {
    this.auth = new XauthAuthenticator(ctx);
  }

  /** Called before the phase 1 is declared established: its roles, and whether quick modes must wait. */
  prepare(ph1: Phase1): void {
    const xauth = xauthRole(ph1.approval!.authMethod, ph1.side);
    const modeCfgClient = ph1.side === 'initiator' && ph1.rmconf.modeCfg;
    const gate = xauth !== undefined || modeCfgClient;
    ph1.cfg = { xauth, modeCfgClient, gate, xauthStatus: xauth ? 'pending' : 'none', up: false };
  }

  /** The phase 1 is established: the first step of ours, if any. */
  begin(ph1: Phase1): void {
    const s = ph1.cfg!;
    if (s.xauth === 'server') {
      this.ctx.log('info', `XAuth: asking ${formatAddr(ph1.remote.addr)} for a login`);
      this.request(ph1, 'xauth-request', C.ISAKMP_CFG_REQUEST, X.xauthRequestAttrs());
    } else if (s.xauth === 'client') {
      // The server must ask within the retransmission time, else the phase 1 is useless (racoon: the same).
      const t = this.ctx.conf.timer;
      s.cancelWait = this.ctx.clock.setTimer(t.intervalSec * t.counter * 1000, () => {
        if (s.xauthStatus === 'pending' && ph1.state === 'established') this.hooks.end(ph1, 'XAuth never started');
      });
    } else if (s.modeCfgClient) this.askConfig(ph1);
    else this.usable(ph1);
  }

  /** The phase 1 went: timers stopped, its address back in the pool. */
  removed(ph1: Phase1): void {
    const s = ph1.cfg;
    if (!s) return;
    s.cancelWait?.();
    if (s.pending) {
      s.pending.cancelTimer?.();
      s.pending.state = 'done';
    }
    if (s.xauth === 'server' && s.xauthStatus === 'ok') this.auth.account('stop', acctOf(ph1));
    const gone = existingPool(this.ctx)?.release(ph1.id);
    if (gone) this.ctx.log('info', `mode config: address ${gone} released`);
  }

  /** A transaction exchange message under an established phase 1. */
  input(ph1: Phase1, msg: IsakmpMessage, raw: Uint8Array): void {
    const s = ph1.cfg;
    if (!s) return;
    if (s.answered && R.resendOnDuplicate(this.ctx, ph1, s.answered, raw)) return;
    const id = msg.header.msgid;
    const p = s.pending;
    if (p && p.msgid === id) {
      if (p.state === 'done') {
        this.ctx.stats.duplicates++;
        return;
      }
      const { cfg } = openCfg(ph1, msg, [p.iv]);
      this.answerTo(ph1, p, cfg);
      return;
    }
    if (ph1.msgids.has(id)) {
      this.ctx.stats.duplicates++;
      return;
    }
    const { cfg, ivOut } = openCfg(ph1, msg, [firstIv(ph1, id)]);
    ph1.msgids.add(id);
    this.peerRequest(ph1, id, ivOut, cfg, raw);
  }

  // ---- our requests ----

  private request(ph1: Phase1, what: CfgExchange['what'], cfgType: number, attrs: IsakmpAttribute[]): void {
    const msgid = newMsgid(ph1, this.ctx.rng);
    const identifier = Buffer.from(randomBytes(this.ctx.rng, 2)).readUInt16BE(0);
    const out = buildCfg(ph1, msgid, firstIv(ph1, msgid), { cfgType, identifier, attrs });
    const ex: CfgExchange = { state: 'wait', msgid, identifier, iv: out.ivOut, what, retries: 0 };
    ph1.cfg!.pending = ex;
    R.sendAndWait(this.ctx, ph1, ex, undefined, out.bytes, () => this.hooks.end(ph1, `${what}: no answer`), what);
  }

  /** The peer answered our request `p`. */
  private answerTo(ph1: Phase1, p: CfgExchange, cfg: IsakmpCfg): void {
    const want = p.what === 'xauth-set' ? C.ISAKMP_CFG_ACK : C.ISAKMP_CFG_REPLY;
    if (cfg.cfgType !== want) {
      this.drop(ph1, `unexpected mode-cfg type ${cfg.cfgType} for ${p.what}`);
      return;
    }
    // The message ID (under the HASH) names the exchange; the identifier is not checked, as racoon does not
    // (isakmp_cfg.c isakmp_cfg_reply): strongSwan 5.9 answers identifier 0 whatever the request had.
    if (cfg.identifier !== p.identifier)
      this.ctx.log('debug', `${p.what}: answer with identifier ${cfg.identifier}, ours was ${p.identifier}`);
    p.cancelTimer?.();
    p.state = 'done';
    if (p.what === 'xauth-request') this.xauthCheck(ph1, cfg.attrs);
    else if (p.what === 'xauth-set') this.xauthAcked(ph1);
    else this.configured(ph1, cfg.attrs);
  }

  // ---- XAuth server ----

  private xauthCheck(ph1: Phase1, attrs: readonly IsakmpAttribute[]): void {
    const s = ph1.cfg!;
    const got = X.readXauthReply(attrs);
    if (typeof got === 'string') {
      this.ctx.log('warn', `XAuth from ${formatAddr(ph1.remote.addr)}: ${got}`);
      return this.xauthDecided(ph1, { ok: false });
    }
    s.user = got.user;
    const v = this.auth.check({ user: got.user, pass: got.pass, peer: ph1.remote.addr });
    if (!(v instanceof Promise)) {
      got.pass.fill(0);
      return this.xauthDecided(ph1, v);
    }
    void v.then((r) => {
      got.pass.fill(0);
      // The phase 1 may have gone (or been replaced by a reload) while RADIUS/LDAP/PAM answered.
      if (ph1.state === 'established' && ph1.cfg === s) this.xauthDecided(ph1, r);
    });
  }

  private xauthDecided(ph1: Phase1, v: XauthVerdict): void {
    const s = ph1.cfg!;
    const ok = v.ok;
    const who = X.shownUser(s.user ?? '');
    if (v.why) this.ctx.log(ok ? 'info' : 'warn', `XAuth for user ${who}: ${v.why}`);
    if (s.user !== undefined)
      this.ctx.log(ok ? 'info' : 'warn', `login ${ok ? 'succeeded' : 'failed'} for user ${who}`);
    s.xauthStatus = ok ? 'ok' : 'failed';
    if (ok) {
      this.ctx.stats.xauthOk++;
      s.authAddr4 = v.addr4;
      s.authMask4 = v.mask4;
    } else this.ctx.stats.xauthFailed++;
    const status = [attrTV(C.XAUTH_STATUS, ok ? C.XAUTH_STATUS_OK : C.XAUTH_STATUS_FAIL)];
    const send = () => {
      if (ph1.state === 'established') this.request(ph1, 'xauth-set', C.ISAKMP_CFG_SET, status);
    };
    // racoon auth_throttle: a failed login is answered late, so guessing passwords is slow.
    if (ok) send();
    else
      s.cancelWait = this.ctx.clock.setTimer(
        (this.ctx.conf.modeCfg?.authThrottleSec ?? DEFAULT_AUTH_THROTTLE_SEC) * 1000,
        send,
      );
  }

  private xauthAcked(ph1: Phase1): void {
    const s = ph1.cfg!;
    if (s.xauthStatus !== 'ok') {
      this.hooks.end(ph1, `XAuth failed for user ${X.shownUser(s.user ?? '')}`);
      return;
    }
    this.opened(ph1);
    this.auth.account('start', acctOf(ph1));
    // Without a mode_cfg section no address follows: the phase 1 is usable now.
    if (!this.ctx.conf.modeCfg) this.usable(ph1);
  }

  // ---- the peer's requests ----

  private peerRequest(ph1: Phase1, msgid: number, iv: Uint8Array, cfg: IsakmpCfg, raw: Uint8Array): void {
    const s = ph1.cfg!;
    const answer = (cfgType: number, attrs: IsakmpAttribute[]) => {
      const out = buildCfg(ph1, msgid, iv, { cfgType, identifier: cfg.identifier, attrs });
      s.answered = { state: 'done', msgid, identifier: cfg.identifier, iv, what: 'answer', retries: 0 };
      R.answer(this.ctx, ph1, s.answered, raw, out.bytes);
    };
    if (cfg.cfgType === C.ISAKMP_CFG_REQUEST && X.isXauthRequest(cfg.attrs)) {
      if (s.xauth !== 'client') return this.drop(ph1, 'XAuth REQUEST, but this phase 1 has no XAuth client');
      const r = X.xauthReplyAttrs(cfg.attrs, ph1.rmconf.xauthLogin, this.ctx.psk);
      if (typeof r === 'string') return void this.ctx.log('error', `XAuth: ${r}`);
      s.user = ph1.rmconf.xauthLogin;
      this.ctx.log('info', `XAuth: sending login ${X.shownUser(s.user ?? '')}`);
      return answer(C.ISAKMP_CFG_REPLY, r);
    }
    if (cfg.cfgType === C.ISAKMP_CFG_SET && X.xauthStatus(cfg.attrs) !== undefined) {
      if (s.xauth !== 'client') return this.drop(ph1, 'XAuth SET, but this phase 1 has no XAuth client');
      const ok = X.xauthStatus(cfg.attrs) === C.XAUTH_STATUS_OK;
      answer(C.ISAKMP_CFG_ACK, [attrTV(C.XAUTH_STATUS, ok ? C.XAUTH_STATUS_OK : C.XAUTH_STATUS_FAIL)]);
      return this.xauthResult(ph1, ok);
    }
    if (cfg.cfgType === C.ISAKMP_CFG_REQUEST) return this.serveConfig(ph1, cfg, answer);
    if (cfg.cfgType === C.ISAKMP_CFG_SET) {
      // Push mode: the server SETs the configuration; the client ACKs the types it took.
      if (!s.modeCfgClient) return this.drop(ph1, 'mode-cfg SET, but mode_cfg is off for this remote');
      answer(
        C.ISAKMP_CFG_ACK,
        cfg.attrs.map((a) => ({ type: a.type, tv: false, data: new Uint8Array(0) })),
      );
      return this.configured(ph1, cfg.attrs);
    }
    this.drop(ph1, `unsolicited mode-cfg type ${cfg.cfgType}`);
  }

  private xauthResult(ph1: Phase1, ok: boolean): void {
    const s = ph1.cfg!;
    s.cancelWait?.();
    s.xauthStatus = ok ? 'ok' : 'failed';
    if (!ok) {
      this.ctx.log('error', `XAuth: the server refused login ${X.shownUser(s.user ?? '')}`);
      return; // the server deletes the phase 1; quick modes stay refused meanwhile
    }
    this.ctx.log('info', `XAuth: login ${X.shownUser(s.user ?? '')} accepted`);
    if (s.modeCfgClient) this.askConfig(ph1);
    else this.usable(ph1);
  }

  /** Server: REPLY to a client's REQUEST, with an address from the pool. */
  private serveConfig(ph1: Phase1, cfg: IsakmpCfg, answer: (t: number, a: IsakmpAttribute[]) => void): void {
    const s = ph1.cfg!;
    const mc = this.ctx.conf.modeCfg;
    if (!mc) return this.drop(ph1, 'mode-cfg REQUEST, but there is no mode_cfg section');
    if (s.xauth === 'server' && s.xauthStatus !== 'ok') return this.drop(ph1, 'mode-cfg REQUEST before XAuth');
    if (s.xauth === 'client') return this.drop(ph1, 'mode-cfg REQUEST from an XAuth server');
    const wantsAddr = cfg.attrs.some((a) => a.type === C.INTERNAL_IP4_ADDRESS);
    if (wantsAddr && !s.addr4) s.addr4 = this.allocate(ph1);
    const mask4 = s.authMask4 ?? mc.netmask4;
    const attrs = serverReply(cfg.attrs, { ...mc, netmask4: mask4 }, s.addr4, () =>
      readBanner(mc.banner ?? '', (m) => this.ctx.log('warn', m)),
    );
    answer(C.ISAKMP_CFG_REPLY, attrs);
    s.result = {
      ...emptyResult(),
      addr4: s.addr4,
      mask4: s.addr4 ? mask4 : undefined,
      dns4: mc.dns4,
      wins4: mc.wins4,
    };
    this.usable(ph1);
  }

  private allocate(ph1: Phase1): Uint8Array | undefined {
    const mc = this.ctx.conf.modeCfg!;
    // conf_source radius|ldap: the address the back-end gave with the login (Framed-IP-Address, attr_addr).
    if (mc.confSource === 'radius' || mc.confSource === 'ldap') return ph1.cfg?.authAddr4;
    if (!mc.network4) return undefined;
    const size = mc.poolSize ?? DEFAULT_POOL_SIZE;
    const a = sharedPool(this.ctx, mc.network4, size).alloc(ph1.id);
    if (a) {
      this.ctx.stats.cfgAddrAssigned++;
      this.ctx.log('info', `mode config: address ${formatAddr(a)} given to ${formatAddr(ph1.remote.addr)}`);
    } else {
      this.ctx.stats.cfgPoolExhausted++;
      this.ctx.log('error', `mode config: no address left in the pool (pool_size ${size})`);
    }
    return a;
  }

  // ---- client ----

  private askConfig(ph1: Phase1): void {
    this.request(ph1, 'modecfg-request', C.ISAKMP_CFG_REQUEST, clientRequest());
  }

  private configured(ph1: Phase1, attrs: readonly IsakmpAttribute[]): void {
    const s = ph1.cfg!;
    const r = s.result ?? emptyResult();
    const bad = readAttributes(attrs, r);
    if (bad) {
      this.ctx.stats.cfgDropped += bad;
      this.ctx.log('warn', `mode config from ${formatAddr(ph1.remote.addr)}: ${bad} malformed attributes skipped`);
    }
    s.result = r;
    if (r.addr4) this.ctx.log('info', `mode config: got address ${formatAddr(r.addr4)}`);
    else this.ctx.log('warn', `mode config: ${formatAddr(ph1.remote.addr)} gave no address`);
    if (r.banner) this.ctx.log('info', `mode config banner: ${r.banner.split('\n')[0]!.slice(0, 200)}`);
    this.usable(ph1);
  }

  // ---- common ----

  private opened(ph1: Phase1): void {
    const s = ph1.cfg!;
    s.gate = false;
    this.hooks.ready(ph1);
  }

  /** Quick modes may go, and phase1_up runs (once). */
  private usable(ph1: Phase1): void {
    const s = ph1.cfg!;
    if (s.gate) this.opened(ph1);
    if (s.up) return;
    s.up = true;
    this.hooks.up(ph1);
  }

  private drop(ph1: Phase1, why: string): void {
    this.ctx.stats.cfgDropped++;
    this.ctx.log('notice', `transaction exchange from ${formatAddr(ph1.remote.addr)}: ${why}`);
  }
}

/** The accounting record of a server phase 1 (RFC 2866 §5.5: the session id names it until Stop). */
function acctOf(ph1: Phase1): AcctSession {
  const s = ph1.cfg!;
  return {
    user: s.user ?? '',
    peer: ph1.remote.addr,
    sessionId: Buffer.from(ph1.icookie).toString('hex'),
    addr4: s.addr4,
  };
}

/** Quick mode over this phase 1 must wait (or be refused) until XAuth / mode config end. */
export function gated(ph1: Phase1): boolean {
  return ph1.cfg?.gate === true;
}
