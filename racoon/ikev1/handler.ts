// The racoon engine (ipsec-tools isakmp.c + handler.c + parts of pfkey.c): the phase 1 and phase 2 tables,
// datagram input with duplicate/late packet handling, retransmission with backoff, the half-open cap, the
// ACQUIRE -> main mode -> quick mode -> UPDATE/ADD flow, EXPIRE rekeying and DELETE both ways. The world is
// injected: an IKE datagram sender, a PfkeyClient, a clock, an Rng and a logger.
import { equalCT } from '../../common/bytes.js';
import type { Clock } from '../../common/clock.js';
import { addrEqual, formatAddr } from '../../common/inet.js';
import type { Logger } from '../../common/log.js';
import { randomBytes, type Rng } from '../../common/rng.js';
import * as P from '../../pfkey/constants.js';
import type { PfkeyClient } from '../../pfkey/client.js';
import type { PfkeyMessage } from '../../pfkey/msg.js';
import type { RacoonConf, RemoteConf } from '../conf/ast.js';
import { ISAKMP_NATT_PORT, ISAKMP_PORT } from '../conf/ast.js';
import { lookupRemote } from '../conf/lookup.js';
import * as C from '../isakmp/constants.js';
import { IsakmpError } from '../isakmp/codec.js';
import { decodeIsakmpMessage, type IsakmpMessage, type IsakmpPayload } from '../isakmp/message.js';
import { lookupPsk, type PskFile } from '../psk.js';
import { buildMessage, findPayload, type Endpoint, type Phase1 } from './message.js';
import * as MM from './ph1/main-mode.js';
import * as QM from './ph2/quick-mode.js';
import { PfkeyBridge, type SpEntry } from '../sa/pfkey-bridge.js';
import { Ph2Engine } from './ph2/engine.js';
import { buildInfo, deleteIsakmpPayload, openInfo } from './informational.js';

/** Sends one IKE datagram (UDP payload, non-ESP marker included when on the NAT-T port). */
export interface IkeSender {
  send(data: Uint8Array, from: Endpoint, to: Endpoint): void;
}

export interface RacoonOptions {
  conf: RacoonConf;
  psk: PskFile;
  pfkey: PfkeyClient;
  ike: IkeSender;
  clock: Clock;
  rng: Rng;
  log: Logger;
  /** Responder phase 1 negotiations in progress allowed at once (unauthenticated state). Default 64. */
  maxHalfOpen?: number;
  /** IKE and NAT-T ports (racoon -p / -P). */
  port?: number;
  nattPort?: number;
}

/** Counters (racoon has none; named after the reasons a message is dropped). */
export interface RacoonStats {
  received: number;
  malformed: number;
  unknownSa: number;
  duplicates: number;
  retransmits: number;
  halfOpenRefused: number;
  authFailed: number;
  noProposal: number;
  ph1Established: number;
  ph2Established: number;
  ph1Failed: number;
  ph2Failed: number;
  deletesSent: number;
  deletesReceived: number;
  notifiesSent: number;
  notifiesReceived: number;
  keepalivesSent: number;
  ph2Refused: number;
}

const NON_ESP_MARKER_LEN = 4;
const MAX_BACKOFF_SHIFT = 4;

function hx(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** The racoon daemon core (one per host). */
export class Racoon {
  readonly stats: RacoonStats = {
    received: 0,
    malformed: 0,
    unknownSa: 0,
    duplicates: 0,
    retransmits: 0,
    halfOpenRefused: 0,
    authFailed: 0,
    noProposal: 0,
    ph1Established: 0,
    ph2Established: 0,
    ph1Failed: 0,
    ph2Failed: 0,
    deletesSent: 0,
    deletesReceived: 0,
    notifiesSent: 0,
    notifiesReceived: 0,
    keepalivesSent: 0,
    ph2Refused: 0,
  };
  readonly bridge: PfkeyBridge;
  /** Phase 1 SAs by initiator cookie (the responder cookie is unknown to the initiator until msg 2). */
  readonly ph1s = new Map<string, Phase1>();
  /** The phase 2 side (quick modes, SA installation, kernel events). */
  readonly ph2: Ph2Engine;
  private nextId = 1;
  /** Peers we sent INITIAL-CONTACT to (racoon's contacted list: once per peer per daemon lifetime). */
  private readonly contacted = new Set<string>();
  private readonly maxHalfOpen: number;
  readonly port: number;
  private readonly nattPort: number;
  private closed = false;

  constructor(readonly o: RacoonOptions) {
    this.maxHalfOpen = o.maxHalfOpen ?? 64;
    this.port = o.port ?? ISAKMP_PORT;
    this.nattPort = o.nattPort ?? ISAKMP_NATT_PORT;
    this.bridge = new PfkeyBridge(
      o.pfkey,
      {
        acquire: (m) => this.ph2.onAcquire(m),
        expire: (m) => this.ph2.onExpire(m),
        deleted: (m) => this.ph2.onKernelDelete(m),
        flushed: (satype) => this.ph2.onFlush(satype),
      },
      o.log,
    );
    this.ph2 = new Ph2Engine(this);
  }

  /** Phase 2 negotiations in progress or established. */
  get ph2s(): Set<QM.Phase2> {
    return this.ph2.ph2s;
  }

  /** @internal A fresh id for a phase 1 or phase 2 record. */
  newId(): number {
    return this.nextId++;
  }

  /** A new initiator quick mode for a policy (ACQUIRE, rekey, tests and the benchmark). */
  startPh2(sp: SpEntry, me: Endpoint, peer: Endpoint, seq: number, satype = P.SADB_SATYPE_ESP): QM.Phase2 | undefined {
    return this.ph2.startPh2(sp, me, peer, seq, satype);
  }

  async start(): Promise<void> {
    await this.bridge.start();
    this.log('info', `PF_KEY registered; ${this.bridge.spd.size} policies mirrored`);
  }

  close(): void {
    this.closed = true;
    for (const p of this.ph1s.values()) {
      p.cancelTimer?.();
      p.cancelExpire?.();
      p.cancelKeepalive?.();
    }
    for (const p of this.ph2s) p.cancelTimer?.();
    this.bridge.close();
  }

  /** @internal */
  log(level: 'error' | 'warn' | 'notice' | 'info' | 'debug', msg: string): void {
    this.o.log.log(level, msg);
  }

  // ---- datagram input ----

  /** One UDP payload received on `local` from `remote` (racoon isakmp_handler). Never throws. */
  input(data: Uint8Array, local: Endpoint, remote: Endpoint): void {
    if (this.closed) return;
    this.stats.received++;
    let d = data;
    if (d.length === 1 && d[0] === 0xff) return; // NAT-T keepalive (RFC 3948 §2.3)
    if (local.port === this.nattPort) {
      // RFC 3948 §2.2: IKE on the NAT-T port carries a zero non-ESP marker; anything else is ESP, not ours.
      if (d.length < NON_ESP_MARKER_LEN || d[0] || d[1] || d[2] || d[3]) {
        this.stats.malformed++;
        return;
      }
      d = d.subarray(NON_ESP_MARKER_LEN);
    }
    let msg: IsakmpMessage;
    try {
      msg = decodeIsakmpMessage(d).value;
    } catch (e) {
      this.stats.malformed++;
      this.log('debug', `malformed ISAKMP message from ${formatAddr(remote.addr)}: ${(e as Error).message}`);
      return;
    }
    try {
      this.dispatch(msg, d, local, remote);
    } catch (e) {
      this.failed(msg, e, remote);
    }
  }

  private failed(msg: IsakmpMessage, e: unknown, remote: Endpoint): void {
    const ph1 = this.ph1s.get(hx(msg.header.icookie));
    if (e instanceof IsakmpError) {
      if (
        e.notifyType === C.ISAKMP_NTYPE_INVALID_HASH_INFORMATION ||
        e.notifyType === C.ISAKMP_NTYPE_AUTHENTICATION_FAILED
      )
        this.stats.authFailed++;
      if (e.notifyType === C.ISAKMP_NTYPE_NO_PROPOSAL_CHOSEN) this.stats.noProposal++;
      this.log(
        'warn',
        `${C.nameOf(C.ISAKMP_ETYPE_NAMES, msg.header.etype)} from ${formatAddr(remote.addr)}: ${e.message}`,
      );
    } else {
      this.log('error', `internal error on a message from ${formatAddr(remote.addr)}: ${(e as Error).stack ?? e}`);
    }
    // A phase 1 that failed before authentication is dropped (racoon: remph1 after a failed exchange); before
    // any key exists the reason goes back in a clear notification (racoon isakmp_info_send_n1). Authentication
    // failures are not explained to an unauthenticated peer.
    if (ph1 && ph1.state !== 'established' && msg.header.etype === C.ISAKMP_ETYPE_IDENT) {
      if (e instanceof IsakmpError && !ph1.keys && ph1.side === 'responder') this.sendClearNotify(ph1, e.notifyType);
      this.killPh1(ph1, 'negotiation failed');
    }
  }

  /** An unencrypted informational with one notification about the ISAKMP SA (cookies as SPI). */
  private sendClearNotify(ph1: Phase1, notifyType: number): void {
    const spi = new Uint8Array(16);
    spi.set(ph1.icookie);
    spi.set(ph1.rcookie, 8);
    const n: IsakmpPayload = {
      type: C.ISAKMP_NPTYPE_N,
      body: { doi: C.IPSEC_DOI, protoId: C.IPSECDOI_PROTO_ISAKMP, notifyType, spi, data: new Uint8Array(0) },
    };
    this.stats.notifiesSent++;
    this.sendRaw(ph1, buildMessage(ph1, C.ISAKMP_ETYPE_INFO, QM.newMsgid(ph1, this.o.rng), [n]).bytes);
  }

  private dispatch(msg: IsakmpMessage, raw: Uint8Array, local: Endpoint, remote: Endpoint): void {
    const h = msg.header;
    let ph1 = this.ph1s.get(hx(h.icookie));
    if (
      ph1 &&
      !ph1.rcookie.every((b) => b === 0) &&
      !equalCT(ph1.rcookie, h.rcookie) &&
      !h.rcookie.every((b) => b === 0)
    ) {
      this.stats.unknownSa++;
      return;
    }
    if (h.etype === C.ISAKMP_ETYPE_IDENT) {
      if (!ph1) {
        if (!h.rcookie.every((b) => b === 0)) {
          this.stats.unknownSa++;
          return;
        }
        ph1 = this.newResponderPh1(msg, local, remote);
        if (!ph1) return;
        this.replyPh1(ph1, raw, MM.r1Step(ph1, msg, raw));
        return;
      }
      this.ph1Input(ph1, msg, raw, local, remote);
      return;
    }
    if (ph1 && ph1.state !== 'established' && h.etype === C.ISAKMP_ETYPE_INFO && !msg.encrypted) {
      // A clear notification during phase 1 is unauthenticated: logged and counted, never acted on.
      this.stats.notifiesReceived++;
      for (const p of msg.payloads)
        if (p.type === C.ISAKMP_NPTYPE_N)
          this.log(
            'notice',
            `unauthenticated notification ${C.nameOf(C.ISAKMP_NTYPE_NAMES, p.body.notifyType)} from ${formatAddr(remote.addr)}`,
          );
      return;
    }
    if (!ph1 || ph1.state !== 'established') {
      this.stats.unknownSa++;
      return;
    }
    this.float(ph1, local, remote);
    if (h.etype === C.ISAKMP_ETYPE_QUICK) this.ph2.quickInput(ph1, msg, raw);
    else if (h.etype === C.ISAKMP_ETYPE_INFO) this.infoInput(ph1, msg);
    else this.stats.unknownSa++;
  }

  /** A peer that moved to the NAT-T port (or behind a NAT, to another port) is followed (RFC 3947 §4). */
  private float(ph1: Phase1, local: Endpoint, remote: Endpoint): void {
    if (remote.port !== ph1.remote.port || local.port !== ph1.local.port) {
      if (local.port === this.nattPort) ph1.floated = true;
      ph1.remote = { addr: remote.addr, port: remote.port };
      ph1.local = { addr: local.addr, port: local.port };
    }
  }

  /** @internal */
  isDuplicate(rec: { lastRecv?: Uint8Array; lastSent?: Uint8Array }, raw: Uint8Array, ph1: Phase1): boolean {
    if (rec.lastRecv && rec.lastRecv.length === raw.length && equalCT(rec.lastRecv, raw)) {
      // A retransmission of the peer's last message: our reply was lost, send it again (racoon isakmp_ph1resend).
      this.stats.duplicates++;
      if (rec.lastSent) this.sendRaw(ph1, rec.lastSent);
      return true;
    }
    return false;
  }

  private ph1Input(ph1: Phase1, msg: IsakmpMessage, raw: Uint8Array, local: Endpoint, remote: Endpoint): void {
    if (this.isDuplicate(ph1, raw, ph1)) return;
    if (!addrEqual(remote.addr, ph1.remote.addr)) {
      this.stats.unknownSa++;
      return;
    }
    const step = MM.PH1_STEPS[ph1.side][ph1.state];
    if (!step) {
      this.stats.duplicates++;
      return;
    } // late packet for a finished step
    if (ph1.side === 'initiator' && ph1.state === 'msg1-sent') ph1.rcookie = msg.header.rcookie.slice();
    // Messages 5 and 6 may arrive on the NAT-T port: follow the peer there.
    if (ph1.state === 'msg4-sent' || ph1.state === 'msg5-sent') this.float(ph1, local, remote);
    const res = step(ph1, msg, raw, this.ph1Ctx());
    if (ph1.side === 'initiator') {
      if (ph1.state === 'msg5-sent' && ph1.natDetected && !ph1.floated) this.floatOut(ph1);
      if (res.reply) this.sendPh1(ph1, raw, res.reply);
      else ph1.lastRecv = raw;
    } else if (res.reply) {
      this.replyPh1(ph1, raw, res.reply);
    }
    if (!res.established) return;
    this.established(ph1);
    if (
      res.payloads?.some((p) => p.type === C.ISAKMP_NPTYPE_N && p.body.notifyType === C.IPSECDOI_NTYPE_INITIAL_CONTACT)
    )
      void this.initialContact(ph1);
  }

  /** The initiator moves to the NAT-T port for message 5 when a NAT was detected (RFC 3947 §4). */
  private floatOut(ph1: Phase1): void {
    ph1.local = { addr: ph1.local.addr, port: this.nattPort };
    ph1.remote = { addr: ph1.remote.addr, port: this.nattPort };
    ph1.floated = true;
  }

  private ph1Ctx(): MM.Ph1Ctx {
    return {
      rng: this.o.rng,
      psk: (ph1) => lookupPsk(this.o.psk, formatAddr(ph1.remote.addr)),
      initialContact: (ph1) => {
        const k = formatAddr(ph1.remote.addr);
        if (this.contacted.has(k)) return false;
        this.contacted.add(k);
        return true;
      },
    };
  }

  private halfOpen(): number {
    let n = 0;
    for (const p of this.ph1s.values()) if (p.side === 'responder' && p.state !== 'established') n++;
    return n;
  }

  private newPh1(
    side: Phase1['side'],
    rm: RemoteConf,
    local: Endpoint,
    remote: Endpoint,
    icookie: Uint8Array,
    rcookie: Uint8Array,
  ): Phase1 {
    return {
      id: this.nextId++,
      side,
      state: side === 'initiator' ? 'msg1-sent' : 'msg2-sent',
      icookie,
      rcookie,
      local: { ...local },
      remote: { ...remote },
      rmconf: rm,
      createdMs: this.o.clock.now(),
      nattPeer: false,
      natDetected: false,
      floated: false,
      retries: 0,
      waiting: [],
      msgids: new Set(),
      initialContactSent: false,
    };
  }

  private newResponderPh1(msg: IsakmpMessage, local: Endpoint, remote: Endpoint): Phase1 | undefined {
    if (this.halfOpen() >= this.maxHalfOpen) {
      this.stats.halfOpenRefused++;
      this.log(
        'warn',
        `half-open phase 1 limit (${this.maxHalfOpen}) reached; dropping a new negotiation from ${formatAddr(remote.addr)}`,
      );
      return undefined;
    }
    const rm = lookupRemote(this.o.conf, remote.addr, remote.port);
    if (!rm) {
      this.log('notice', `no remote configuration for ${formatAddr(remote.addr)}[${remote.port}]`);
      this.stats.unknownSa++;
      return undefined;
    }
    if (!rm.exchangeMode.includes(C.ISAKMP_ETYPE_IDENT)) {
      this.log('notice', `remote ${rm.name}: main mode not in exchange_mode`);
      this.stats.unknownSa++;
      return undefined;
    }
    const ph1 = this.newPh1('responder', rm, local, remote, msg.header.icookie.slice(), randomBytes(this.o.rng, 8));
    this.ph1s.set(hx(ph1.icookie), ph1);
    this.armPh1Timeout(ph1);
    this.log(
      'info',
      `respond new phase 1 negotiation: ${formatAddr(local.addr)}[${local.port}]<=>${formatAddr(remote.addr)}[${remote.port}]`,
    );
    return ph1;
  }

  /** A responder phase 1 that never completes is removed after timer.phase1 × counter (unauthenticated state). */
  private armPh1Timeout(ph1: Phase1): void {
    const t = this.o.conf.timer;
    ph1.cancelExpire = this.o.clock.setTimer(Math.max(t.phase1Sec, t.intervalSec * t.counter) * 1000, () => {
      if (ph1.state !== 'established') this.killPh1(ph1, 'phase 1 negotiation timed out');
    });
  }

  // ---- sending and retransmission ----

  /** @internal */
  sendRaw(ph1: Phase1, bytes: Uint8Array): void {
    let out = bytes;
    if (ph1.local.port === this.nattPort || ph1.remote.port === this.nattPort) {
      out = new Uint8Array(NON_ESP_MARKER_LEN + bytes.length);
      out.set(bytes, NON_ESP_MARKER_LEN);
    }
    this.o.ike.send(out, ph1.local, ph1.remote);
  }

  /** Responder: sends a reply; it is resent only when the peer retransmits (duplicate detection). */
  private replyPh1(ph1: Phase1, raw: Uint8Array, out: Uint8Array): void {
    ph1.lastRecv = raw;
    ph1.lastSent = out;
    this.sendRaw(ph1, out);
  }

  /** Initiator: sends and arms the retransmission timer (timer.counter tries, interval doubling). */
  private sendPh1(ph1: Phase1, raw: Uint8Array | undefined, out: Uint8Array): void {
    if (raw) ph1.lastRecv = raw;
    ph1.lastSent = out;
    ph1.retries = 0;
    this.sendRaw(ph1, out);
    this.armRetransmit(ph1, ph1, () => {
      this.stats.ph1Failed++;
      this.killPh1(ph1, 'phase 1 peer did not answer');
    });
  }

  /** @internal */
  armRetransmit(
    ph1: Phase1,
    rec: { retries: number; cancelTimer?: () => void; lastSent?: Uint8Array; state: string },
    giveUp: () => void,
  ): void {
    rec.cancelTimer?.();
    const t = this.o.conf.timer;
    const state = rec.state;
    const fire = () => {
      if (rec.state !== state || this.closed) return;
      if (rec.retries >= t.counter) {
        giveUp();
        return;
      }
      rec.retries++;
      this.stats.retransmits++;
      this.sendRaw(ph1, rec.lastSent!);
      rec.cancelTimer = this.o.clock.setTimer(
        t.intervalSec * 1000 * 2 ** Math.min(rec.retries, MAX_BACKOFF_SHIFT),
        fire,
      );
    };
    rec.cancelTimer = this.o.clock.setTimer(t.intervalSec * 1000, fire);
  }

  // ---- phase 1 lifecycle ----

  /** Starts main mode with a peer (ACQUIRE or racoonctl establish-sa). */
  initiatePh1(local: Endpoint, remote: Endpoint): Phase1 | undefined {
    const rm = lookupRemote(this.o.conf, remote.addr, remote.port);
    if (!rm) {
      this.log('warn', `no remote configuration for ${formatAddr(remote.addr)}`);
      return undefined;
    }
    if (!rm.exchangeMode.includes(C.ISAKMP_ETYPE_IDENT)) {
      this.log('warn', `remote ${rm.name}: only main mode is supported`);
      return undefined;
    }
    if (rm.passive) {
      this.log('info', `remote ${rm.name} is passive: not initiating`);
      return undefined;
    }
    const ph1 = this.newPh1(
      'initiator',
      rm,
      local,
      { addr: remote.addr, port: rm.portGiven ? rm.port : remote.port },
      randomBytes(this.o.rng, 8),
      new Uint8Array(8),
    );
    this.ph1s.set(hx(ph1.icookie), ph1);
    this.log(
      'info',
      `initiate new phase 1 negotiation: ${formatAddr(local.addr)}[${local.port}]<=>${formatAddr(remote.addr)}[${ph1.remote.port}]`,
    );
    this.sendPh1(ph1, undefined, MM.i1Send(ph1));
    return ph1;
  }

  private established(ph1: Phase1): void {
    ph1.cancelTimer?.();
    ph1.cancelExpire?.();
    ph1.establishedMs = this.o.clock.now();
    ph1.dh?.wipe();
    this.stats.ph1Established++;
    this.log(
      'notice',
      `ISAKMP-SA established ${formatAddr(ph1.local.addr)}[${ph1.local.port}]-${formatAddr(ph1.remote.addr)}[${ph1.remote.port}] spi:${hx(ph1.icookie)}:${hx(ph1.rcookie)}`,
    );
    const life = ph1.approval!.lifetimeSec * 1000;
    ph1.cancelExpire = this.o.clock.setTimer(life, () => this.expirePh1(ph1));
    this.armKeepalive(ph1);
    const waiting = ph1.waiting.splice(0);
    for (const fn of waiting) fn();
  }

  /** RFC 3948 §2.3: behind a NAT, a one-byte 0xFF datagram every natt_keepalive seconds keeps the mapping. */
  private armKeepalive(ph1: Phase1): void {
    const sec = this.o.conf.timer.nattKeepaliveSec;
    if (!ph1.floated || !ph1.natDetected || sec <= 0) return;
    const tick = () => {
      if (ph1.state !== 'established' || this.closed) return;
      this.stats.keepalivesSent++;
      this.o.ike.send(Uint8Array.of(0xff), ph1.local, ph1.remote);
      ph1.cancelKeepalive = this.o.clock.setTimer(sec * 1000, tick);
    };
    ph1.cancelKeepalive = this.o.clock.setTimer(sec * 1000, tick);
  }

  /** Phase 1 lifetime over: delete it and, when phase 2 SAs remain with the peer, negotiate a new one. */
  private expirePh1(ph1: Phase1): void {
    const hasPh2 = [...this.ph2s].some((p) => p.ph1 === ph1 && p.state === 'established');
    this.sendInfo(ph1, [deleteIsakmpPayload(ph1)]);
    this.killPh1(ph1, 'ISAKMP-SA expired');
    if (hasPh2 && ph1.rmconf.rekey !== 'off' && ph1.side === 'initiator') this.initiatePh1(ph1.local, ph1.remote);
  }

  private killPh1(ph1: Phase1, why: string): void {
    ph1.cancelTimer?.();
    ph1.cancelExpire?.();
    ph1.cancelKeepalive?.();
    if (ph1.state !== 'established') this.stats.ph1Failed += 0;
    ph1.state = ph1.state === 'established' ? 'expired' : 'dead';
    ph1.dh?.wipe();
    if (ph1.keys) for (const k of [ph1.keys.skeyid, ph1.keys.d, ph1.keys.a, ph1.keys.e, ph1.keys.encKey]) k.fill(0);
    this.ph1s.delete(hx(ph1.icookie));
    for (const p of this.ph2s) if (p.ph1 === ph1 && p.state !== 'established') this.ph2.failPh2(p, why);
    this.log(
      'info',
      `phase 1 ${hx(ph1.icookie)}:${hx(ph1.rcookie)} with ${formatAddr(ph1.remote.addr)} removed: ${why}`,
    );
  }

  /** The established (or negotiating) phase 1 with a peer address. */
  findPh1(remote: Uint8Array, established = true): Phase1 | undefined {
    let best: Phase1 | undefined;
    for (const p of this.ph1s.values()) {
      if (!addrEqual(p.remote.addr, remote)) continue;
      if (p.state === 'established') return p;
      if (!established && p.state !== 'dead' && p.state !== 'expired') best ??= p;
    }
    return best;
  }

  // ---- informational ----

  /** @internal */
  sendInfo(ph1: Phase1, payloads: IsakmpPayload[]): void {
    if (ph1.state !== 'established') return;
    if (payloads.some((p) => p.type === C.ISAKMP_NPTYPE_D)) this.stats.deletesSent++;
    this.sendRaw(ph1, buildInfo(ph1, this.o.rng, payloads));
  }

  private infoInput(ph1: Phase1, msg: IsakmpMessage): void {
    for (const p of openInfo(ph1, msg)) {
      if (p.type === C.ISAKMP_NPTYPE_D) {
        this.stats.deletesReceived++;
        void this.peerDelete(ph1, p.body.protoId, p.body.spis);
      } else if (p.type === C.ISAKMP_NPTYPE_N) {
        const n = p.body;
        this.stats.notifiesReceived++;
        if (n.notifyType === C.IPSECDOI_NTYPE_INITIAL_CONTACT) {
          void this.initialContact(ph1);
          continue;
        }
        this.log(
          'notice',
          `notification ${C.nameOf(C.ISAKMP_NTYPE_NAMES, n.notifyType)} from ${formatAddr(ph1.remote.addr)}`,
        );
        // An authenticated error about one of our quick modes ends it now instead of after the retransmissions.
        if (n.notifyType < 8192) {
          const ph2 = [...this.ph2s].find(
            (p) =>
              p.ph1 === ph1 &&
              p.side === 'initiator' &&
              p.state === 'msg1-sent' &&
              [...p.mySpis.values()].some((x) => equalCT(x, n.spi)),
          );
          if (ph2) this.ph2.failPh2(ph2, `peer answered ${C.nameOf(C.ISAKMP_NTYPE_NAMES, n.notifyType)}`);
        }
      }
    }
  }

  /** ISAKMP DELETE from the peer: remove our SAs with those SPIs (both directions of each pair). */
  private async peerDelete(ph1: Phase1, protoId: number, spis: Uint8Array[]): Promise<void> {
    if (protoId === C.IPSECDOI_PROTO_ISAKMP) {
      this.killPh1(ph1, 'peer deleted the ISAKMP-SA');
      return;
    }
    for (const spi of spis) {
      for (const ph2 of [...this.ph2s]) {
        const sa = ph2.approval?.sas.find((s) => s.protoId === protoId && equalCT(s.peerSpi, spi));
        if (!sa || ph2.state !== 'established') continue;
        this.log('info', `peer deleted ${C.nameOf(C.IPSECDOI_PROTO_NAMES, protoId)} SPI ${hx(spi)}`);
        await this.ph2.removePh2Sas(ph2, false);
      }
    }
  }

  /** RFC 2407 §4.6.3.3 INITIAL-CONTACT: the peer rebooted; drop every SA and other phase 1 we have with it. */
  private async initialContact(ph1: Phase1): Promise<void> {
    for (const p of [...this.ph1s.values()])
      if (p !== ph1 && addrEqual(p.remote.addr, ph1.remote.addr)) this.killPh1(p, 'INITIAL-CONTACT');
    for (const ph2 of [...this.ph2s])
      if (ph2.ph1 !== ph1 && addrEqual(ph2.dst.addr, ph1.remote.addr)) this.ph2s.delete(ph2);
    let dump: PfkeyMessage[] = [];
    try {
      dump = await this.o.pfkey.dumpAll(P.SADB_DUMP);
    } catch {
      return;
    }
    for (const m of dump) {
      const s = m.ext.addressSrc?.addr.addr;
      const d = m.ext.addressDst?.addr.addr;
      if (!s || !d || !m.ext.sa) continue;
      if (addrEqual(s, ph1.remote.addr) || addrEqual(d, ph1.remote.addr)) {
        const mine = [...this.ph2s].some(
          (p) =>
            p.ph1 === ph1 &&
            p.approval?.sas.some(
              (x) =>
                Buffer.from(x.mySpi).readUIntBE(0, x.mySpi.length) === m.ext.sa!.spi >>> 0 ||
                Buffer.from(x.peerSpi).readUIntBE(0, x.peerSpi.length) === m.ext.sa!.spi >>> 0,
            ),
        );
        if (!mine) await this.bridge.deleteSa(m.msg.satype, s, d, m.ext.sa.spi);
      }
    }
  }

  // ---- administration (racoonctl) ----

  /** ISAKMP SAs as racoonctl show-sa isakmp prints them. */
  showIsakmp(): string[] {
    return [...this.ph1s.values()].map(
      (p) =>
        `${formatAddr(p.local.addr)}.${p.local.port} ${formatAddr(p.remote.addr)}.${p.remote.port} ${hx(p.icookie)}:${hx(p.rcookie)} ${p.side} ${p.state}`,
    );
  }

  /** flush-sa isakmp: delete every phase 1 (with a DELETE to the peer when established). */
  flushIsakmp(): number {
    let n = 0;
    for (const p of [...this.ph1s.values()]) {
      this.sendInfo(p, [deleteIsakmpPayload(p)]);
      this.killPh1(p, 'flushed by racoonctl');
      n++;
    }
    return n;
  }

  /** delete-sa isakmp SRC DST. */
  deleteIsakmp(remote: Uint8Array): boolean {
    const p = this.findPh1(remote, false);
    if (!p) return false;
    this.sendInfo(p, [deleteIsakmpPayload(p)]);
    this.killPh1(p, 'deleted by racoonctl');
    return true;
  }

  /** establish-sa isakmp SRC DST. */
  establishIsakmp(local: Uint8Array, remote: Uint8Array): Phase1 | undefined {
    return (
      this.findPh1(remote, false) ??
      this.initiatePh1({ addr: local, port: this.port }, { addr: remote, port: this.port })
    );
  }
}

export { findPayload };
