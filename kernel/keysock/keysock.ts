// The kernel side of PF_KEY (RFC 2367 §1.1-§3, KAME keysock.c + key.c key_parse): open sockets, the
// per-socket REGISTER and X_PROMISC state, dispatch of user messages to the SA/SPD handlers, error replies
// (the original message with sadb_msg_errno set, to the sender), the ONE/ALL/REGISTERED fan-out with
// promiscuous copies and the originator served last, streamed dumps with backpressure, and the kernel's
// own messages (ACQUIRE, EXPIRE, X_SPDEXPIRE) built from the host's events.
import * as C from '../../pfkey/constants.js';
import { SADB_MSG_NAMES, nameOf } from '../../pfkey/names.js';
import {
  ERRNO_NUMBERS,
  PfkeyError,
  checkUserMessage,
  decodeMessage,
  encodeMessage,
  makeSadbMsg,
  withErrno,
  type PfkeyErrno,
  type PfkeyMessage,
} from '../../pfkey/index.js';
import type { PfkeyEndpoint, PfkeyKernelSocket, PfkeySink } from '../../pfkey/transport-inproc.js';
import { ErrnoError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { nullLogger } from '../../common/log.js';
import type { HostEvent } from '../host/host.js';
import type { AcquireEvent } from '../ipsec/output.js';
import type { SecAssoc } from '../sad/secassoc.js';
import type { Policy } from '../spd/policy.js';
import { expireMessage, hostAddress, modeNum, satypeOf } from './convert.js';
import { policyToMessage } from './convert-spd.js';
import { proposalFor, supportedAuth, supportedEncrypt } from './algs.js';
import {
  handleAcquire,
  handleAdd,
  handleDelete,
  handleDump,
  handleFlush,
  handleGet,
  handleGetspi,
  handleUpdate,
} from './sa.js';
import {
  handleSpdAdd,
  handleSpdDelete,
  handleSpdDelete2,
  handleSpdDump,
  handleSpdFlush,
  handleSpdGet,
  handleSpdUpdate,
} from './spd.js';
import type { HandlerCtx, HandlerResult, KeysockKernel, SendupTarget } from './types.js';

export type { KeysockKernel, SendupTarget } from './types.js';

type Handler = (ctx: HandlerCtx, sock: KeySocket) => HandlerResult;

/** Counters in the spirit of FreeBSD pfkeystat. */
export interface KeysockStats {
  /** User messages received (out_total in pfkeystat terms). */
  received: number;
  /** Messages too short to carry a header: send() fails, nothing is answered. */
  tooShort: number;
  /** Error replies sent (sadb_msg_errno set). */
  errors: number;
  /** Messages handed to sockets (every copy counted). */
  delivered: number;
  /** Copies dropped because a socket's buffer was full (ENOBUFS). */
  dropped: number;
  /** Handler failures that were not typed errors: programming errors, answered EINVAL. Must stay 0. */
  internalErrors: number;
}

export interface KeySockOptions {
  log?: Logger;
}

/** One open PF_KEY socket, kernel side (KAME `struct keycb`). */
export class KeySocket implements PfkeyKernelSocket {
  /** Satypes registered with SADB_REGISTER (kp_registered). */
  readonly registered = new Set<number>();
  promisc = false;
  closed = false;
  dump: Iterator<PfkeyMessage> | undefined;

  constructor(
    private readonly owner: KeySock,
    readonly id: number,
    private readonly sink: PfkeySink,
  ) {}

  send(msg: Uint8Array): void {
    this.owner.input(this, msg);
  }
  resume(): void {
    this.owner.pump(this);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.dump = undefined;
    this.owner.detach(this);
  }

  /** @internal */
  deliver(msg: Uint8Array): boolean {
    if (this.closed) return true;
    return this.sink.deliver(msg);
  }
}

function errnoNumberOf(e: unknown): number | undefined {
  if (e instanceof PfkeyError) return e.errnoNumber;
  if (e instanceof ErrnoError) return ERRNO_NUMBERS[e.errno as PfkeyErrno] ?? ERRNO_NUMBERS.EINVAL;
  return undefined;
}

/** PF_KEY for one kernel (a Host or any { sad, spd, clock, onEvent }). */
export class KeySock implements PfkeyEndpoint {
  readonly stats: KeysockStats = { received: 0, tooShort: 0, errors: 0, delivered: 0, dropped: 0, internalErrors: 0 };
  private readonly sockets = new Set<KeySocket>();
  private readonly log: Logger;
  private readonly unsubscribe: () => void;
  private nextId = 1;
  private readonly handlers: ReadonlyMap<number, Handler>;

  constructor(
    readonly kernel: KeysockKernel,
    opts: KeySockOptions = {},
  ) {
    this.log = opts.log ?? nullLogger;
    this.unsubscribe = kernel.onEvent((ev) => this.onKernelEvent(ev));
    this.handlers = new Map<number, Handler>([
      [C.SADB_GETSPI, handleGetspi],
      [C.SADB_UPDATE, handleUpdate],
      [C.SADB_ADD, handleAdd],
      [C.SADB_DELETE, handleDelete],
      [C.SADB_GET, handleGet],
      [C.SADB_ACQUIRE, handleAcquire],
      [C.SADB_REGISTER, (ctx, s) => this.register(ctx, s)],
      [C.SADB_FLUSH, handleFlush],
      [C.SADB_DUMP, handleDump],
      [C.SADB_X_PROMISC, (ctx, s) => this.setPromisc(ctx, s)],
      [C.SADB_X_SPDADD, handleSpdAdd],
      [C.SADB_X_SPDSETIDX, handleSpdAdd],
      [C.SADB_X_SPDUPDATE, handleSpdUpdate],
      [C.SADB_X_SPDDELETE, handleSpdDelete],
      [C.SADB_X_SPDDELETE2, handleSpdDelete2],
      [C.SADB_X_SPDGET, handleSpdGet],
      [C.SADB_X_SPDDUMP, handleSpdDump],
      [C.SADB_X_SPDFLUSH, handleSpdFlush],
    ]);
  }

  /** socket(PF_KEY, SOCK_RAW, PF_KEY_V2): messages for the socket go to `sink`. */
  openSocket(sink: PfkeySink): KeySocket {
    const s = new KeySocket(this, this.nextId++, sink);
    this.sockets.add(s);
    return s;
  }

  get socketCount(): number {
    return this.sockets.size;
  }

  /** Stops listening to the kernel and closes every socket. */
  close(): void {
    this.unsubscribe();
    for (const s of [...this.sockets]) s.close();
  }

  /** @internal KeySocket.close */
  detach(s: KeySocket): void {
    this.sockets.delete(s);
  }

  /** @internal One user message from socket `s` (key_output -> key_parse). Never throws. */
  input(s: KeySocket, raw: Uint8Array): void {
    if (s.closed) return;
    this.stats.received++;
    if (raw.length < 16) {
      this.stats.tooShort++;
      return;
    }
    this.echoToPromisc(raw, s);
    let m: PfkeyMessage;
    try {
      m = decodeMessage(raw);
    } catch (e) {
      this.fail(s, raw, e);
      return;
    }
    const bad = checkUserMessage(m);
    if (bad) {
      this.log.log('debug', `pfkey: ${nameOf(SADB_MSG_NAMES, m.msg.type)} refused: ${bad.reason}`);
      this.errorReply(s, raw, ERRNO_NUMBERS[bad.errno]);
      return;
    }
    this.dispatch(s, m, raw);
  }

  private dispatch(s: KeySocket, m: PfkeyMessage, raw: Uint8Array): void {
    const h = this.handlers.get(m.msg.type);
    if (!h) {
      this.errorReply(s, raw, ERRNO_NUMBERS.EINVAL);
      return;
    }
    let r: HandlerResult;
    try {
      r = h({ kernel: this.kernel, m, raw }, s);
    } catch (e) {
      this.fail(s, raw, e);
      return;
    }
    if (r.kind === 'reply') this.sendupMessage(r.reply, r.target, s);
    else if (r.kind === 'bytes') this.sendup(r.bytes, r.target, s);
    else if (r.kind === 'dump') this.startDump(s, r.messages, raw);
  }

  private fail(s: KeySocket, raw: Uint8Array, e: unknown): void {
    let errno = errnoNumberOf(e);
    if (errno === undefined) {
      this.stats.internalErrors++;
      this.log.log('error', `pfkey: internal error: ${(e as Error)?.stack ?? String(e)}`);
      errno = ERRNO_NUMBERS.EINVAL;
    } else {
      this.log.log('debug', `pfkey: message refused: ${(e as Error).message}`);
    }
    this.errorReply(s, raw, errno);
  }

  /** key_senderror: the original message with sadb_msg_errno, to the sender only. */
  private errorReply(s: KeySocket, raw: Uint8Array, errno: number): void {
    this.stats.errors++;
    this.sendup(withErrno(raw, errno), 'one', s);
  }

  private sendupMessage(m: PfkeyMessage, target: SendupTarget, origin?: KeySocket): boolean {
    let bytes: Uint8Array;
    try {
      bytes = encodeMessage(m);
    } catch (e) {
      this.stats.internalErrors++;
      this.log.log('error', `pfkey: cannot encode ${nameOf(SADB_MSG_NAMES, m.msg.type)}: ${(e as Error).message}`);
      return true;
    }
    return this.sendup(bytes, target, origin);
  }

  /**
   * key_sendup_mbuf: promiscuous sockets get a wrapped copy of everything; then every socket the target
   * names except the originator; the originator last. Returns the originator's "room left" answer.
   */
  sendup(bytes: Uint8Array, target: SendupTarget, origin?: KeySocket): boolean {
    let wrapped: Uint8Array | undefined;
    for (const s of this.sockets) {
      if (s.promisc) this.put(s, (wrapped ??= wrapPromisc(bytes)));
      if (s === origin) continue;
      if (target === 'all' || (target === 'registered' && s.registered.size > 0)) this.put(s, bytes);
    }
    return origin && !origin.closed ? this.put(origin, bytes) : true;
  }

  private put(s: KeySocket, bytes: Uint8Array): boolean {
    this.stats.delivered++;
    return s.deliver(bytes);
  }

  /** Messages that user processes send are shown to promiscuous sockets too (not to the sender). */
  private echoToPromisc(raw: Uint8Array, from: KeySocket): void {
    let wrapped: Uint8Array | undefined;
    for (const s of this.sockets) if (s.promisc && s !== from) this.put(s, (wrapped ??= wrapPromisc(raw)));
  }

  // --- dumps ---

  private startDump(s: KeySocket, messages: Iterator<PfkeyMessage>, raw: Uint8Array): void {
    if (s.dump) {
      this.errorReply(s, raw, ERRNO_NUMBERS.EBUSY);
      return;
    }
    s.dump = messages;
    this.pump(s);
  }

  /** @internal Sends dump entries until the socket reports it is full (resume() calls back here). */
  pump(s: KeySocket): void {
    while (s.dump && !s.closed) {
      let r: IteratorResult<PfkeyMessage>;
      try {
        r = s.dump.next();
      } catch (e) {
        s.dump = undefined;
        this.stats.internalErrors++;
        this.log.log('error', `pfkey: dump failed: ${(e as Error).message}`);
        return;
      }
      if (r.done) {
        s.dump = undefined;
        return;
      }
      if (!this.sendupMessage(r.value, 'one', s)) return;
    }
  }

  // --- socket state messages ---

  /** SADB_REGISTER: remember the satype (EEXIST twice); reply the algorithm lists to registered sockets. */
  private register(ctx: HandlerCtx, s: KeySocket): HandlerResult {
    const { m } = ctx;
    if (m.msg.satype !== C.SADB_SATYPE_UNSPEC) {
      if (s.registered.has(m.msg.satype)) throw new PfkeyError('EEXIST', 'already registered for this satype');
      s.registered.add(m.msg.satype);
    }
    const reply: PfkeyMessage = {
      msg: { ...m.msg, errno: 0 },
      ext: { supportedAuth: { algs: supportedAuth() }, supportedEncrypt: { algs: supportedEncrypt() } },
    };
    return { kind: 'reply', reply, target: 'registered' };
  }

  /** SADB_X_PROMISC: satype 1 on, 0 off; the message goes back to everyone. */
  private setPromisc(ctx: HandlerCtx, s: KeySocket): HandlerResult {
    s.promisc = ctx.m.msg.satype === C.SADB_X_PROMISC_ON;
    return { kind: 'reply', reply: { ...ctx.m, msg: { ...ctx.m.msg, errno: 0 } }, target: 'all' };
  }

  // --- kernel-originated messages ---

  private onKernelEvent(ev: HostEvent): void {
    try {
      if (ev.type === 'acquire') this.sendupMessage(acquireMessage(ev, this.kernel), 'registered');
      else if (ev.type === 'expire')
        this.onExpire(ev.sa, ev.kind, ev.kind === 'soft' ? ev.reason === 'addtime' && !ev.used : false);
      else if (ev.type === 'spd-expire') this.sendupMessage(spdExpireMessage(ev.policy), 'registered');
    } catch (e) {
      this.stats.internalErrors++;
      this.log.log('error', `pfkey: event ${ev.type}: ${(e as Error).message}`);
    }
  }

  /** KAME key_timehandler: a soft EXPIRE only for an SA that has been used; a hard EXPIRE always. */
  private onExpire(sa: SecAssoc, kind: 'soft' | 'hard', unusedSoft: boolean): void {
    if (unusedSoft) {
      this.log.log('debug', `pfkey: SA 0x${sa.spi.toString(16)} dying unused, no EXPIRE`);
      return;
    }
    this.sendupMessage(expireMessage(sa, kind), 'registered');
  }
}

/** KAME key_sendup0 with promisc: an extra sadb_msg of type X_PROMISC in front, length covering both. */
export function wrapPromisc(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + bytes.length);
  out.set(encodeMessage({ msg: makeSadbMsg(C.SADB_X_PROMISC, 0), ext: {} }), 0);
  out.set(bytes, 16);
  new DataView(out.buffer).setUint16(4, out.length / 8, true);
  return out;
}

/** SADB_ACQUIRE to the key managers (RFC 2367 §3.1.6; KAME key_acquire): addresses, policy id, proposal. */
export function acquireMessage(ev: AcquireEvent, kernel: KeysockKernel): PfkeyMessage {
  const x = ev.saidx;
  const p = ev.policyId ? kernel.spd.findPolicy(ev.policyId) : undefined;
  return {
    msg: makeSadbMsg(C.SADB_ACQUIRE, satypeOf(x.proto), ev.seq, 0),
    ext: {
      addressSrc: hostAddress(x.src),
      addressDst: hostAddress(x.dst),
      policy: {
        type: C.IPSEC_POLICY_IPSEC,
        dir: C.IPSEC_DIR_OUTBOUND,
        scope: 0,
        id: ev.policyId,
        priority: p?.priority ?? 0,
        requests: [],
      },
      sa2: { mode: modeNum(x.mode), sequence: 0, reqid: x.reqid },
      proposal: proposalFor(x.proto),
    },
    extOrder: [
      C.SADB_EXT_ADDRESS_SRC,
      C.SADB_EXT_ADDRESS_DST,
      C.SADB_X_EXT_POLICY,
      C.SADB_X_EXT_SA2,
      C.SADB_EXT_PROPOSAL,
    ],
  };
}

/** X_SPDEXPIRE (KAME key_spdexpire): the policy that ran out, with its lifetimes, to registered sockets. */
export function spdExpireMessage(p: Policy): PfkeyMessage {
  return policyToMessage(p, C.SADB_X_SPDEXPIRE, 0, 0);
}
