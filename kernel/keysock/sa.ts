// PF_KEY SA messages, kernel side (RFC 2367 §3.1.1-3.1.10 with KAME key.c semantics): GETSPI, UPDATE, ADD,
// DELETE (with an SA, or all SAs between two addresses), GET, ACQUIRE from the key manager, FLUSH, DUMP.
// Each handler takes a checked message and returns the reply and its audience; errors are thrown typed.
import * as C from '../../pfkey/constants.js';
import { PfkeyError, makeSadbMsg } from '../../pfkey/index.js';
import { ErrnoError } from '../../common/errors.js';
import { addrEqual } from '../../common/inet.js';
import type { SecAssoc } from '../sad/secassoc.js';
import { getSpiParamsOf, modeOf, protoOfSatype, saLifetimeParamsOf, saParamsOf, saToMessage } from './convert.js';
import { echoRaw, echoReply, type HandlerCtx, type HandlerResult } from './types.js';

/** key_getmsgbuf_x1: what UPDATE and ADD replies carry (keys stripped), plus the NAT-T extensions. */
const X1_TYPES: ReadonlySet<number> = new Set([
  C.SADB_EXT_SA,
  C.SADB_X_EXT_SA2,
  C.SADB_EXT_ADDRESS_SRC,
  C.SADB_EXT_ADDRESS_DST,
  C.SADB_EXT_LIFETIME_HARD,
  C.SADB_EXT_LIFETIME_SOFT,
  C.SADB_EXT_IDENTITY_SRC,
  C.SADB_EXT_IDENTITY_DST,
  C.SADB_X_EXT_NAT_T_TYPE,
  C.SADB_X_EXT_NAT_T_SPORT,
  C.SADB_X_EXT_NAT_T_DPORT,
  C.SADB_X_EXT_NAT_T_OAI,
  C.SADB_X_EXT_NAT_T_OAR,
  C.SADB_X_EXT_SA_REPLAY,
]);
const DELETE_TYPES: ReadonlySet<number> = new Set([C.SADB_EXT_SA, C.SADB_EXT_ADDRESS_SRC, C.SADB_EXT_ADDRESS_DST]);
const PAIR_TYPES: ReadonlySet<number> = new Set([C.SADB_EXT_ADDRESS_SRC, C.SADB_EXT_ADDRESS_DST]);

/** The SA became usable: forget the pending ACQUIRE for its index (KAME key_update/key_add). */
function resolveAcquire(ctx: HandlerCtx, sa: SecAssoc): void {
  const acq = ctx.kernel.acquires;
  if (!acq) return;
  const modes = sa.mode === 'any' ? (['transport', 'tunnel'] as const) : [sa.mode];
  for (const mode of modes) acq.resolved({ proto: sa.proto, mode, reqid: sa.reqid, src: sa.src, dst: sa.dst });
}

/** SADB_GETSPI: a larval SA owned by the caller's pid; reply SA(spi) + addresses to the caller only. */
export function handleGetspi(ctx: HandlerCtx): HandlerResult {
  const { m } = ctx;
  let sa: SecAssoc;
  try {
    sa = ctx.kernel.sad.getSpi(getSpiParamsOf(m));
  } catch (e) {
    // KAME key_do_getnewspi returns SPI 0 when the range is used up; key_getspi answers EINVAL.
    if (e instanceof ErrnoError && e.errno === 'EEXIST') throw new PfkeyError('EINVAL', e.message);
    throw e;
  }
  if (m.msg.seq !== 0) ctx.kernel.acquireRefresh?.(m.msg.seq);
  const reply = echoReply(m, ['addressSrc', 'addressDst'], 'one');
  if (reply.kind === 'reply') {
    reply.reply.ext.sa = { spi: sa.spi, replay: 0, state: C.SADB_SASTATE_LARVAL, auth: 0, encrypt: 0, flags: 0 };
    reply.reply.extOrder = [C.SADB_EXT_SA, C.SADB_EXT_ADDRESS_SRC, C.SADB_EXT_ADDRESS_DST];
  }
  return reply;
}

/** SADB_UPDATE: mature the caller's larval SA (or change a mature SA's lifetimes); reply to all. */
export function handleUpdate(ctx: HandlerCtx): HandlerResult {
  const { m, kernel } = ctx;
  const cur = kernel.sad.get(
    m.ext.addressSrc!.addr.addr,
    m.ext.addressDst!.addr.addr,
    protoOfSatype(m.msg.satype),
    m.ext.sa!.spi >>> 0,
  );
  let params;
  if (cur && cur.state !== 'larval') {
    // FreeBSD key_update: a mature SA's keys cannot change; lifetimes and NAT-T ports can.
    if (m.ext.keyAuth || m.ext.keyEncrypt) throw new PfkeyError('EINVAL', 'keys of a mature SA cannot change');
    params = saLifetimeParamsOf(m);
  } else {
    params = saParamsOf(m);
  }
  const sa = kernel.sad.update(params);
  resolveAcquire(ctx, sa);
  return echoRaw(ctx.raw, X1_TYPES, 'all');
}

/** SADB_ADD: a new mature SA (EEXIST for a taken SPI); reply to all. */
export function handleAdd(ctx: HandlerCtx): HandlerResult {
  const sa = ctx.kernel.sad.add(saParamsOf(ctx.m));
  resolveAcquire(ctx, sa);
  return echoRaw(ctx.raw, X1_TYPES, 'all');
}

/** SADB_DELETE: one SA by SPI (ENOENT if absent) or, without SADB_EXT_SA, every non-larval SA of the pair. */
export function handleDelete(ctx: HandlerCtx): HandlerResult {
  const { m, kernel } = ctx;
  const proto = protoOfSatype(m.msg.satype);
  const src = m.ext.addressSrc!.addr.addr;
  const dst = m.ext.addressDst!.addr.addr;
  if (m.ext.sa) {
    if (!kernel.sad.delete(src, dst, proto, m.ext.sa.spi >>> 0))
      throw new PfkeyError('ENOENT', `no SA with SPI 0x${(m.ext.sa.spi >>> 0).toString(16)}`);
    return echoRaw(ctx.raw, DELETE_TYPES, 'all');
  }
  // KAME key_delete_all keeps larval SAs (a negotiation in progress) and answers even when nothing matched.
  const victims = kernel.sad
    .dump(proto)
    .filter((sa) => sa.state !== 'larval' && addrEqual(sa.src, src) && addrEqual(sa.dst, dst));
  for (const sa of victims) kernel.sad.delete(src, dst, proto, sa.spi);
  return echoRaw(ctx.raw, PAIR_TYPES, 'all');
}

/** SADB_GET: the whole SA, keys included, to the caller only. */
export function handleGet(ctx: HandlerCtx): HandlerResult {
  const { m, kernel } = ctx;
  const proto = protoOfSatype(m.msg.satype);
  const sa = kernel.sad.get(m.ext.addressSrc!.addr.addr, m.ext.addressDst!.addr.addr, proto, m.ext.sa!.spi >>> 0);
  if (!sa) throw new PfkeyError('ENOENT', `no SA with SPI 0x${(m.ext.sa!.spi >>> 0).toString(16)}`);
  return { kind: 'reply', reply: saToMessage(sa, C.SADB_GET, m.msg.seq, m.msg.pid), target: 'one' };
}

/**
 * SADB_ACQUIRE from user space (KAME key_acquire2). Header-only (or with sadb_msg_errno set) it is the
 * key manager's failure report: the pending ACQUIRE is held off (no reply). Otherwise it asks for a negotiation:
 * EEXIST if one is pending for that SA index, else the message goes to the registered sockets.
 */
export function handleAcquire(ctx: HandlerCtx): HandlerResult {
  const { m, kernel } = ctx;
  // FreeBSD key_acquire2: a header-only ACQUIRE (errno set by the KM) is the failure report, never answered.
  if (m.msg.errno !== 0 || Object.values(m.ext).every((v) => v === undefined)) {
    kernel.acquireRefresh?.(m.msg.seq);
    return { kind: 'none' };
  }
  if (!m.ext.addressSrc || !m.ext.addressDst) throw new PfkeyError('EINVAL', 'ACQUIRE without addresses');
  const proto = protoOfSatype(m.msg.satype);
  const mode = m.ext.sa2 ? modeOf(m.ext.sa2.mode) : 'transport';
  const idx = {
    proto,
    mode: mode === 'any' ? ('transport' as const) : mode,
    reqid: m.ext.sa2?.reqid ?? 0,
    src: m.ext.addressSrc!.addr.addr,
    dst: m.ext.addressDst!.addr.addr,
  };
  if (kernel.acquires && kernel.acquires.trigger(idx, kernel.clock.now(), () => false) === undefined) {
    throw new PfkeyError('EEXIST', 'an ACQUIRE for this SA index is pending');
  }
  return { kind: 'reply', reply: { ...m, msg: { ...m.msg, errno: 0 } }, target: 'registered' };
}

/** SADB_FLUSH: every SA of the satype (or all with UNSPEC); the header goes to all. */
export function handleFlush(ctx: HandlerCtx): HandlerResult {
  const { m, kernel } = ctx;
  kernel.sad.flush(m.msg.satype === C.SADB_SATYPE_UNSPEC ? undefined : protoOfSatype(m.msg.satype));
  return { kind: 'reply', reply: { msg: { ...m.msg, errno: 0 }, ext: {} }, target: 'all' };
}

/** SADB_DUMP: one message per SA, seq counting down to 0, produced lazily; ENOENT when empty. */
export function handleDump(ctx: HandlerCtx): HandlerResult {
  const { m, kernel } = ctx;
  const list = kernel.sad.dump(m.msg.satype === C.SADB_SATYPE_UNSPEC ? undefined : protoOfSatype(m.msg.satype));
  if (list.length === 0) throw new PfkeyError('ENOENT', 'no SA to dump');
  const pid = m.msg.pid;
  function* gen(): Generator<ReturnType<typeof saToMessage>> {
    for (let i = 0; i < list.length; i++) {
      const msg = saToMessage(list[i]!, C.SADB_DUMP, list.length - 1 - i, pid);
      list[i] = undefined as unknown as SecAssoc; // let dumped SAs go if they die meanwhile
      yield msg;
    }
  }
  return { kind: 'dump', count: list.length, messages: gen() };
}

/** A fresh header for kernel-originated messages of a socket-less kind (used by keysock.ts). */
export function kernelHeader(type: number, satype: number, seq: number): ReturnType<typeof makeSadbMsg> {
  return makeSadbMsg(type, satype, seq, 0);
}
