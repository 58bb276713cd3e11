// PF_KEY SPD messages, kernel side (KAME extensions to RFC 2367; FreeBSD key.c key_spdadd .. key_spdflush):
// X_SPDADD/SPDSETIDX/SPDUPDATE, X_SPDDELETE (by selector), X_SPDDELETE2 (by id), X_SPDGET, X_SPDDUMP,
// X_SPDFLUSH. Replies copy the request with the policy id filled in, as KAME does.
import * as C from '../../pfkey/constants.js';
import { PfkeyError, type PfkeyMessage } from '../../pfkey/index.js';
import type { Policy, SelectorSpec } from '../spd/policy.js';
import { policySpecOf, policyToMessage } from './convert-spd.js';
import { echoReply, type HandlerCtx, type HandlerResult } from './types.js';

/** The request copied back (base, X_POLICY with the id, LIFETIME_HARD, addresses) to every socket. */
function policyReply(m: PfkeyMessage, p: Policy): HandlerResult {
  const r = echoReply(m, ['policy', 'lifetimeHard', 'addressSrc', 'addressDst'], 'all');
  if (r.kind === 'reply' && r.reply.ext.policy) r.reply.ext.policy = { ...r.reply.ext.policy, id: p.id };
  return r;
}

function selectorOf(m: PfkeyMessage): SelectorSpec {
  const { addressSrc: s, addressDst: d } = m.ext;
  return {
    src: { family: s!.addr.family, addr: s!.addr.addr, len: s!.prefixlen },
    dst: { family: d!.addr.family, addr: d!.addr.addr, len: d!.prefixlen },
    proto: s!.proto,
    sport: s!.addr.port,
    dport: d!.addr.port,
  };
}

/** X_SPDADD and X_SPDSETIDX: EEXIST when the selector and direction are taken. */
export function handleSpdAdd(ctx: HandlerCtx): HandlerResult {
  return policyReply(ctx.m, ctx.kernel.spd.addPolicy(policySpecOf(ctx.m)));
}

/** X_SPDUPDATE: replace (or add) the policy with this selector and direction. */
export function handleSpdUpdate(ctx: HandlerCtx): HandlerResult {
  return policyReply(ctx.m, ctx.kernel.spd.updatePolicy(policySpecOf(ctx.m)));
}

/** X_SPDDELETE: by selector and direction (ENOENT). */
export function handleSpdDelete(ctx: HandlerCtx): HandlerResult {
  const dir = ctx.m.ext.policy!.dir === C.IPSEC_DIR_INBOUND ? 'in' : 'out';
  return policyReply(ctx.m, ctx.kernel.spd.deletePolicy(selectorOf(ctx.m), dir));
}

/** X_SPDDELETE2: by policy id (ENOENT); base + X_POLICY back to all. */
export function handleSpdDelete2(ctx: HandlerCtx): HandlerResult {
  ctx.kernel.spd.deletePolicyById(ctx.m.ext.policy!.id);
  return echoReply(ctx.m, ['policy'], 'all');
}

/** X_SPDGET: the whole policy to the caller. */
export function handleSpdGet(ctx: HandlerCtx): HandlerResult {
  const { m } = ctx;
  const p = ctx.kernel.spd.getPolicy(m.ext.policy!.id);
  return { kind: 'reply', reply: policyToMessage(p, C.SADB_X_SPDGET, m.msg.seq, m.msg.pid), target: 'one' };
}

/** X_SPDDUMP: one message per policy (in, out, fwd), seq counting down to 0; ENOENT when empty. */
export function handleSpdDump(ctx: HandlerCtx): HandlerResult {
  const list = ctx.kernel.spd.dump();
  if (list.length === 0) throw new PfkeyError('ENOENT', 'no policy to dump');
  const pid = ctx.m.msg.pid;
  function* gen(): Generator<PfkeyMessage> {
    for (let i = 0; i < list.length; i++) yield policyToMessage(list[i]!, C.SADB_X_SPDDUMP, list.length - 1 - i, pid);
  }
  return { kind: 'dump', count: list.length, messages: gen() };
}

/** X_SPDFLUSH: every policy goes; the header alone back to all. */
export function handleSpdFlush(ctx: HandlerCtx): HandlerResult {
  ctx.kernel.spd.flush();
  return { kind: 'reply', reply: { msg: { ...ctx.m.msg, errno: 0 }, ext: {} }, target: 'all' };
}
