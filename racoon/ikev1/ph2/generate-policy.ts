// generate_policy (racoon.conf(5); ipsec-tools isakmp_quick.c get_proposal_r, pfkey.c pk_recvupdate /
// getsadbpolicy / pk_sendspdupdate2): a responder with no inbound policy for the identities the initiator
// proposes takes the protocols and mode of the initiator's first proposal as its own requirement, and once
// the SAs are installed puts the policies into the kernel (inbound IDci -> IDcr, outbound the reverse) with
// the SA lifetime as their hard lifetime, so the kernel removes them (X_SPDEXPIRE) when the SAs are gone.
// `on` and `require` are the same (level require); `unique` binds each pair to its own reqid.
import * as P from '../../../pfkey/constants.js';
import type { PfkeyExts, PfkeyMessage } from '../../../pfkey/msg.js';
import type { SadbXIpsecrequest } from '../../../pfkey/ext/x-policy.js';
import { makeSockaddr } from '../../../pfkey/sockaddr.js';
import { formatAddr } from '../../../common/inet.js';
import type { GeneratePolicy } from '../../conf/ast.js';
import type { Phase2Id } from '../../conf/lookup.js';
import type { Endpoint } from '../../engine/datagram.js';
import * as C from '../../isakmp/constants.js';
import { attrNumber, findAttr } from '../../isakmp/payloads/attributes.js';
import type { IsakmpSa } from '../../isakmp/payloads/sa.js';
import { modeOf, type Ph2Request } from './proposal.js';

/** What a responder generated for one quick mode: the selectors, kept until the SAs are installed. */
export interface GeneratedPolicy {
  /** The peer's side (IDci) and ours (IDcr). */
  ci: Phase2Id;
  cr: Phase2Id;
  level: number;
}

/** ipsec-tools IPSEC_MANUAL_REQID_MAX: unique reqids above it are the kernel's to hand out. */
export const GENERATED_REQID_MAX = 0x3fff;

/** Unique reqids for `generate_policy unique`, counting up from 1 and wrapping (racoon: monotonically increasing). */
export class ReqidCounter {
  private next = 1;
  take(): number {
    const r = this.next;
    this.next = this.next >= GENERATED_REQID_MAX ? 1 : this.next + 1;
    return r;
  }
}

/**
 * The requirement the initiator's first proposal implies: one request per protocol of its first proposal
 * number, in the mode of that protocol's first transform. Undefined when a protocol or mode is unknown.
 */
export function requestsFromProposal(peer: IsakmpSa, reqid: number): Ph2Request[] | undefined {
  const first = peer.proposals[0];
  if (!first) return undefined;
  const out: Ph2Request[] = [];
  for (const p of peer.proposals.filter((x) => x.num === first.num)) {
    const known = [C.IPSECDOI_PROTO_IPSEC_ESP, C.IPSECDOI_PROTO_IPSEC_AH, C.IPSECDOI_PROTO_IPCOMP];
    if (!known.includes(p.protoId) || out.some((r) => r.protoId === p.protoId)) return undefined;
    const t = p.transforms[0];
    const a = t && findAttr(t.attrs, C.IPSECDOI_ATTR_ENC_MODE);
    const m = modeOf(a ? attrNumber(a) : undefined);
    if (!m) return undefined;
    out.push({ protoId: p.protoId, mode: m.mode, reqid });
  }
  return out.length ? out : undefined;
}

/** The level of the generated requests. */
export function generatedLevel(g: GeneratePolicy): number {
  return g === 'unique' ? P.IPSEC_LEVEL_UNIQUE : P.IPSEC_LEVEL_REQUIRE;
}

const IPPROTO: Record<number, number> = {
  [C.IPSECDOI_PROTO_IPSEC_ESP]: P.IPPROTO_ESP,
  [C.IPSECDOI_PROTO_IPSEC_AH]: P.IPPROTO_AH,
  [C.IPSECDOI_PROTO_IPCOMP]: P.IPPROTO_IPCOMP,
};

function address(id: Phase2Id): NonNullable<PfkeyExts['addressSrc']> {
  return {
    proto: id.proto === 0 ? P.IPSEC_ULPROTO_ANY : id.proto,
    prefixlen: id.prefix.len,
    addr: makeSockaddr(id.prefix.addr, id.port),
  };
}

/**
 * The X_SPDUPDATE messages (add or replace: a rekey regenerates them) for the inbound and the outbound policy.
 * racoon lists the requests in reverse proposal order (getsadbpolicy); tunnel requests carry the IKE
 * addresses as tunnel ends.
 */
export function generatedPolicyMessages(
  header: (type: number) => PfkeyMessage['msg'],
  g: GeneratedPolicy,
  reqs: readonly Ph2Request[],
  me: Endpoint,
  peer: Endpoint,
  lifetimeSec: number,
): PfkeyMessage[] {
  const one = (dir: number): PfkeyMessage => {
    const inbound = dir === P.IPSEC_DIR_INBOUND;
    const [from, to] = inbound ? [peer, me] : [me, peer];
    const requests: SadbXIpsecrequest[] = [...reqs].reverse().map((r) => ({
      proto: IPPROTO[r.protoId]!,
      mode: r.mode === 'tunnel' ? P.IPSEC_MODE_TUNNEL : P.IPSEC_MODE_TRANSPORT,
      level: g.level,
      reqid: g.level === P.IPSEC_LEVEL_UNIQUE ? r.reqid : 0,
      ...(r.mode === 'tunnel' ? { src: makeSockaddr(from.addr, 0), dst: makeSockaddr(to.addr, 0) } : {}),
    }));
    const life = { allocations: 0, bytes: 0n, addtime: BigInt(lifetimeSec), usetime: 0n };
    return {
      msg: header(P.SADB_X_SPDUPDATE),
      ext: {
        policy: { type: P.IPSEC_POLICY_IPSEC, dir, scope: 0, id: 0, priority: 0, requests },
        addressSrc: address(inbound ? g.ci : g.cr),
        addressDst: address(inbound ? g.cr : g.ci),
        lifetimeHard: life,
      },
    };
  };
  return [one(P.IPSEC_DIR_INBOUND), one(P.IPSEC_DIR_OUTBOUND)];
}

/** For the log: "10.0.0.0/24[any] 10.1.0.5/32[500] proto 17". */
export function describeGenerated(g: GeneratedPolicy): string {
  const s = (id: Phase2Id) => `${formatAddr(id.prefix.addr)}/${id.prefix.len}[${id.port || 'any'}]`;
  return `${s(g.ci)} ${s(g.cr)} ${g.ci.proto || 'any'}`;
}
