// generate_policy for IKEv2 (racoon.conf(5) `generate_policy on|require|unique`; ipsec-tools does it for IKEv1
// in isakmp_quick.c get_proposal_r + pfkey.c pk_sendspdupdate2): a responder whose SPD has no inbound policy
// for the proposed selectors takes the initiator's first TSi and TSr as they are (RFC 7296 §2.9: nothing to
// narrow them to) with the protocol and mode proposed, installs the SAs, then puts the two policies into the
// kernel. A gateway so serves roadwarriors at addresses it cannot know. The policies stay while a child of
// the same selectors lives (a rekey inherits them) and are deleted with the last one (the child's Delete,
// the IKE SA's removal), not left to a lifetime as IKEv1 does: IKEv2 children are rekeyed in place.
import * as P from '../../pfkey/constants.js';
import type { PfkeyMessage, PfkeyExts } from '../../pfkey/msg.js';
import type { SadbXIpsecrequest } from '../../pfkey/ext/x-policy.js';
import { makeSockaddr } from '../../pfkey/sockaddr.js';
import type { GeneratePolicy } from '../conf/ast.js';
import type { Phase2Id } from '../conf/lookup.js';
import type { EngineCtx } from '../engine/context.js';
import type { SpEntry } from '../sa/pfkey-bridge.js';
import { IKEV2_PROTO_AH, IKEV2_PROTO_ESP } from './constants.js';
import type { Ikev2Sa } from './payloads/sa.js';
import { isAddrSelector, type Ikev2Selector } from './payloads/ts.js';
import type { ChildSa, GeneratedSp, IkeSa } from './records.js';
import { GENERATED_REQID_MAX } from '../ikev1/ph2/generate-policy.js';
import { phase2IdOfSelector, selectorOf, selectorText } from './selectors.js';

const PORT_ANY_END = 65535;

const reqidNext = new WeakMap<EngineCtx, number>();

/**
 * `unique` reqids below ipsec-tools' IPSEC_MANUAL_REQID_MAX. IKEv1's generate_policy counts up from 1, so IKEv2
 * counts down from the top (then wraps): the two never hand out the same reqid until both ranges meet.
 */
function takeReqid(ctx: EngineCtx): number {
  const r = reqidNext.get(ctx) ?? GENERATED_REQID_MAX;
  reqidNext.set(ctx, r <= 1 ? GENERATED_REQID_MAX : r - 1);
  return r;
}

/** A selector as a policy side: a prefix, and one port or all (a port range has no SPD form). */
function sideOf(s: Ikev2Selector | undefined): Phase2Id | undefined {
  if (!s || !isAddrSelector(s)) return undefined;
  const allPorts = s.startPort === 0 && s.endPort === PORT_ANY_END;
  return allPorts || s.startPort === s.endPort ? phase2IdOfSelector(s) : undefined;
}

/** The key of an inbound policy: its selectors as text, the peer's side first. */
function keyOf(sp: SpEntry): string {
  return `${selectorText(selectorOf(sp.src, sp.proto))} === ${selectorText(selectorOf(sp.dst, sp.proto))}`;
}

/**
 * The policy to generate for a proposal (first TSi, first TSr, the first proposal's protocol, the mode asked
 * for), or why none: generate_policy off, or selectors the SPD cannot hold.
 */
export function generateFor(
  ctx: EngineCtx,
  g: GeneratePolicy,
  tsi: readonly Ikev2Selector[],
  tsr: readonly Ikev2Selector[],
  offer: Ikev2Sa,
  transport: boolean,
): GeneratedSp | string {
  if (g === 'off') return 'no inbound policy for the proposed selectors';
  const peer = sideOf(tsi[0]);
  const mine = sideOf(tsr[0]);
  if (!peer || !mine || peer.prefix.family !== mine.prefix.family || peer.proto !== mine.proto)
    return 'no inbound policy, and the proposed selectors are not prefixes a policy can hold (generate_policy)';
  const first = offer.proposals.find((p) => p.protocol === IKEV2_PROTO_ESP || p.protocol === IKEV2_PROTO_AH);
  if (!first) return 'no ESP or AH proposal to generate a policy for';
  const unique = g === 'unique';
  const out: GeneratedSp = {
    key: '',
    peer,
    mine,
    proto: first.protocol === IKEV2_PROTO_AH ? P.IPPROTO_AH : P.IPPROTO_ESP,
    mode: transport ? 'transport' : 'tunnel',
    level: unique ? P.IPSEC_LEVEL_UNIQUE : P.IPSEC_LEVEL_REQUIRE,
    reqid: unique ? takeReqid(ctx) : 0,
  };
  out.key = keyOf(generatedEntry(out));
  return out;
}

/** The inbound policy as the responder's matching code sees one from the SPD (id 0: not in the kernel yet). */
export function generatedEntry(g: GeneratedSp): SpEntry {
  const side = (id: Phase2Id) => ({ addr: id.prefix.addr, len: id.prefix.len, port: id.port });
  return {
    id: 0,
    dir: P.IPSEC_DIR_INBOUND,
    src: side(g.peer),
    dst: side(g.mine),
    proto: g.peer.proto === 0 ? P.IPSEC_ULPROTO_ANY : g.peer.proto,
    type: P.IPSEC_POLICY_IPSEC,
    requests: [{ proto: g.proto, mode: modeNumber(g), level: g.level, reqid: g.reqid }],
  };
}

const modeNumber = (g: GeneratedSp) => (g.mode === 'tunnel' ? P.IPSEC_MODE_TUNNEL : P.IPSEC_MODE_TRANSPORT);

function address(id: Phase2Id): NonNullable<PfkeyExts['addressSrc']> {
  return {
    proto: id.proto === 0 ? P.IPSEC_ULPROTO_ANY : id.proto,
    prefixlen: id.prefix.len,
    addr: makeSockaddr(id.prefix.addr, id.port),
  };
}

/** SPDUPDATE (or SPDDELETE) of the inbound and the outbound policy; tunnel requests name the IKE addresses. */
function messages(ctx: EngineCtx, type: number, g: GeneratedSp, sa: IkeSa): PfkeyMessage[] {
  const one = (dir: number): PfkeyMessage => {
    const inbound = dir === P.IPSEC_DIR_INBOUND;
    const [from, to] = inbound ? [sa.remote, sa.local] : [sa.local, sa.remote];
    const request: SadbXIpsecrequest = {
      proto: g.proto,
      mode: modeNumber(g),
      level: g.level,
      reqid: g.reqid,
      ...(g.mode === 'tunnel' ? { src: makeSockaddr(from.addr, 0), dst: makeSockaddr(to.addr, 0) } : {}),
    };
    return {
      msg: ctx.bridge.client.header(type, P.SADB_SATYPE_UNSPEC),
      ext: {
        policy: { type: P.IPSEC_POLICY_IPSEC, dir, scope: 0, id: 0, priority: 0, requests: [request] },
        addressSrc: address(inbound ? g.peer : g.mine),
        addressDst: address(inbound ? g.mine : g.peer),
      },
    };
  };
  return [one(P.IPSEC_DIR_INBOUND), one(P.IPSEC_DIR_OUTBOUND)];
}

/** After the child's SAs: the policies into the kernel (add or replace). */
export async function installGenerated(ctx: EngineCtx, child: ChildSa): Promise<void> {
  const g = child.generated!;
  for (const m of messages(ctx, P.SADB_X_SPDUPDATE, g, child.ike)) await ctx.bridge.client.request(m);
  ctx.log('info', `generated policy installed for child ${child.id}: ${g.key} (${g.mode})`);
}

/** A generated pair some live child already holds, for the selectors a new child matched. */
export function heldGenerated(children: Iterable<ChildSa>, sp: SpEntry): GeneratedSp | undefined {
  const key = keyOf(sp);
  for (const c of children) if (c.state !== 'dead' && c.generated?.key === key) return c.generated;
  return undefined;
}

/** A child went: its generated policies go too, unless another live child (its replacement) holds them. */
export function releaseGenerated(ctx: EngineCtx, child: ChildSa, others: Iterable<ChildSa>): void {
  const g = child.generated;
  if (!g || child.installedMs === undefined) return;
  for (const c of others) if (c !== child && c.state !== 'dead' && c.generated?.key === g.key) return;
  if (ctx.closed()) return;
  void (async () => {
    for (const m of messages(ctx, P.SADB_X_SPDDELETE, g, child.ike))
      await ctx.bridge.client.request(m).catch(() => undefined); // already gone (setkey -FP): nothing to do
    ctx.log('info', `generated policy removed with child ${child.id}: ${g.key}`);
  })();
}
