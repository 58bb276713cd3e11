// Phase 2 identities and policies (racoon ipsec_doi.c ipsecdoi_sockaddr2id, policy.c getsp_r): the
// protocols a policy's ipsecrequests ask for, the client ID payloads (RFC 2407 §4.6.2) for its selectors,
// and, as responder, the peer's IDci/IDcr as selectors and the inbound policy whose selectors equal them.
import { addrEqual } from '../../../common/inet.js';
import * as P from '../../../pfkey/constants.js';
import { phase2IdOf, type Phase2Id } from '../../conf/lookup.js';
import * as C from '../../isakmp/constants.js';
import { IsakmpError } from '../../isakmp/codec.js';
import type { IsakmpId } from '../../isakmp/payloads/id.js';
import type { SpEntry } from '../../sa/pfkey-bridge.js';
import type { Endpoint } from '../../engine/datagram.js';
import type { Phase1, Phase2 } from '../handles.js';
import { doiProtoOfIpproto, type Ph2Request } from './proposal.js';

/** The protocols (ESP, AH, IPComp) a policy asks for, in the IPsec DOI's numbers. */
export function reqsOf(sp: SpEntry): Ph2Request[] {
  const reqs: Ph2Request[] = [];
  for (const r of sp.requests) {
    const protoId = doiProtoOfIpproto(r.proto);
    if (protoId !== undefined)
      reqs.push({ protoId, mode: r.mode === P.IPSEC_MODE_TUNNEL ? 'tunnel' : 'transport', reqid: r.reqid });
  }
  return reqs;
}

/** The client ID for one side of a policy selector: an address, or a subnet when the prefix is shorter. */
export function idOf(p: SpEntry['src'], proto: number): IsakmpId {
  const full = p.len === p.addr.length * 8;
  const v4 = p.addr.length === 4;
  const ulp = proto === P.IPSEC_ULPROTO_ANY ? 0 : proto;
  if (full)
    return {
      idType: v4 ? C.IPSECDOI_ID_IPV4_ADDR : C.IPSECDOI_ID_IPV6_ADDR,
      protocol: ulp,
      port: p.port,
      data: p.addr,
    };
  const mask = new Uint8Array(p.addr.length);
  for (let i = 0; i < p.len; i++) mask[i >> 3]! |= 0x80 >> (i & 7);
  const data = new Uint8Array(p.addr.length * 2);
  data.set(p.addr.map((b, i) => b & mask[i]!));
  data.set(mask, p.addr.length);
  return {
    idType: v4 ? C.IPSECDOI_ID_IPV4_ADDR_SUBNET : C.IPSECDOI_ID_IPV6_ADDR_SUBNET,
    protocol: ulp,
    port: p.port,
    data,
  };
}

/** Without client IDs a quick mode is about the IKE addresses themselves (RFC 2409 §5.5). */
function hostSelector(e: Endpoint): Phase2Id {
  return {
    prefix: { family: e.addr.length === 4 ? 4 : 6, addr: e.addr, len: e.addr.length * 8 },
    proto: 0,
    port: 0,
  };
}

/** Responder: the peer's IDci/IDcr as selectors (ci = the peer's side, cr = ours). */
export function peerSelectors(ph1: Phase1, ph2: Phase2): { ci: Phase2Id; cr: Phase2Id } {
  const ci = ph2.idci ? phase2IdOf(ph2.idci) : hostSelector(ph1.remote);
  const cr = ph2.idcr ? phase2IdOf(ph2.idcr) : hostSelector(ph1.local);
  if (!ci || !cr) throw new IsakmpError(C.ISAKMP_NTYPE_INVALID_ID_INFORMATION, 'unsupported client identity type');
  return { ci, cr };
}

/** The inbound IPsec policy whose selector is exactly (ci -> cr): from our side, the peer is the source. */
export function inboundPolicy(spd: Iterable<SpEntry>, ci: Phase2Id, cr: Phase2Id): SpEntry | undefined {
  for (const s of spd) {
    if (
      s.dir === P.IPSEC_DIR_INBOUND &&
      s.type === P.IPSEC_POLICY_IPSEC &&
      s.src.len === ci.prefix.len &&
      addrEqual(s.src.addr, ci.prefix.addr) &&
      s.dst.len === cr.prefix.len &&
      addrEqual(s.dst.addr, cr.prefix.addr) &&
      (s.proto === P.IPSEC_ULPROTO_ANY ? ci.proto === 0 : s.proto === ci.proto)
    )
      return s;
  }
  return undefined;
}
