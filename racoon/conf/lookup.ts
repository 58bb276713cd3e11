// Finding the configuration for a negotiation: the remote for a peer address (racoon getrmconf) and the
// sainfo for a pair of quick mode ids (racoon getsainfo, with its priority order from sainfo.c).
import { addrEqual, maskAddr, type Prefix } from '../../common/inet.js';
import {
  IPSECDOI_ID_FQDN,
  IPSECDOI_ID_IPV4_ADDR,
  IPSECDOI_ID_IPV4_ADDR_SUBNET,
  IPSECDOI_ID_IPV6_ADDR,
  IPSECDOI_ID_IPV6_ADDR_SUBNET,
  IPSECDOI_ID_KEY_ID,
  IPSECDOI_ID_USER_FQDN,
} from '../isakmp/constants.js';
import type { IsakmpId } from '../isakmp/payloads/id.js';
import type { IdSpec, RacoonConf, RemoteConf, SainfoConf, SainfoSide } from './ast.js';

/** A quick mode id reduced to what sainfo matching compares: prefix, upper-layer protocol, port (0 = any). */
export interface Phase2Id {
  prefix: Prefix;
  proto: number;
  port: number;
}

function prefixLen(mask: Uint8Array): number | undefined {
  let n = 0;
  while (n < mask.length * 8 && mask[n >> 3]! & (0x80 >> (n & 7))) n++;
  return maskAddr(mask, n).every((b, i) => b === mask[i]) ? n : undefined;
}

/** The Phase2Id of an ID payload (RFC 2407 §4.6.2): host or subnet ids only; ranges and names give undefined. */
export function phase2IdOf(id: IsakmpId): Phase2Id | undefined {
  const d = id.data;
  switch (id.idType) {
    case IPSECDOI_ID_IPV4_ADDR:
    case IPSECDOI_ID_IPV6_ADDR:
      return {
        prefix: { family: d.length === 4 ? 4 : 6, addr: d, len: d.length * 8 },
        proto: id.protocol,
        port: id.port,
      };
    case IPSECDOI_ID_IPV4_ADDR_SUBNET:
    case IPSECDOI_ID_IPV6_ADDR_SUBNET: {
      const h = d.length / 2;
      const len = prefixLen(d.subarray(h));
      if (len === undefined) return undefined; // a non-contiguous mask matches no sainfo
      return {
        prefix: { family: h === 4 ? 4 : 6, addr: maskAddr(d.subarray(0, h), len), len },
        proto: id.protocol,
        port: id.port,
      };
    }
    default:
      return undefined;
  }
}

/**
 * sainfo ids compare prefixes exactly (racoon: "IDs must equal the ID payload"); port/proto 0 in the sainfo mean
 * any. Ranges and ids by name are not matched yet (the support table reports them).
 */
function sainfoIdMatches(s: SainfoSide, id: Phase2Id | undefined): boolean {
  if (!id || !('prefix' in s) || s.rangeEnd) return false;
  const p = s.prefix;
  if (p.len !== id.prefix.len || !addrEqual(p.addr, id.prefix.addr)) return false;
  return (s.proto === 0 || s.proto === id.proto) && (s.port === 0 || s.port === id.port);
}

/** True when a phase 1 peer id (its ID payload) is the one a `from` / `peers_identifier` spec names. */
export function idSpecMatches(spec: IdSpec, id: IsakmpId): boolean {
  const text = () => Buffer.from(id.data).toString('latin1');
  switch (spec.type) {
    case 'address':
      return (
        (id.idType === IPSECDOI_ID_IPV4_ADDR || id.idType === IPSECDOI_ID_IPV6_ADDR) &&
        (!spec.addr || addrEqual(spec.addr, id.data))
      );
    case 'fqdn':
      return id.idType === IPSECDOI_ID_FQDN && text() === spec.value;
    case 'user_fqdn':
      return id.idType === IPSECDOI_ID_USER_FQDN && text() === spec.value;
    case 'keyid':
      return spec.keyidKind === 'tag' && id.idType === IPSECDOI_ID_KEY_ID && text() === spec.value;
    default:
      return false; // asn1dn and keyid files need certificate support
  }
}

/** sainfo.c prisainfo(): remoteid and `from` weigh 3, each non-anonymous side 1. */
export function sainfoPriority(sa: SainfoConf): number {
  return (
    (sa.remoteid ? 3 : 0) + (sa.from ? 3 : 0) + (sa.local !== 'anonymous' ? 1 : 0) + (sa.remote !== 'anonymous' ? 1 : 0)
  );
}

/** The sainfos in racoon's search order: by priority, then in file order. */
export function sainfoSearchOrder(conf: RacoonConf): SainfoConf[] {
  return conf.sainfos
    .map((s, i) => ({ s, i }))
    .sort((a, b) => sainfoPriority(b.s) - sainfoPriority(a.s) || a.i - b.i)
    .map((x) => x.s);
}

export interface SainfoQuery {
  local?: Phase2Id; // undefined = no ID payload (the SA addresses themselves)
  remote?: Phase2Id;
  /** The peer's phase 1 ID payload, for `from`. */
  peer?: IsakmpId;
  /** The client address (mode-config or tunnel address), for `clientaddr`. */
  client?: Phase2Id;
  /** The phase 1 `ph1id` that a sainfo's `remoteid` must equal (0 when none). */
  remoteid?: number;
}

/** racoon getsainfo(): the first sainfo, in search order, whose ids, `from` and `remoteid` all match. */
export function lookupSainfo(conf: RacoonConf, q: SainfoQuery): SainfoConf | undefined {
  for (const s of sainfoSearchOrder(conf)) {
    if ((s.remoteid ?? 0) !== (q.remoteid ?? 0)) continue;
    if (s.from && (!q.peer || !idSpecMatches(s.from, q.peer))) continue;
    const localOk = s.local === 'anonymous' || sainfoIdMatches(s.local, q.local);
    if (!localOk) continue;
    if (s.remote === 'anonymous') return s;
    if (s.remote === 'clientaddr') {
      // The remote id must be the client's own address (racoon enforces rmt == client).
      if (
        q.client &&
        q.remote &&
        q.client.prefix.len === q.remote.prefix.len &&
        addrEqual(q.client.prefix.addr, q.remote.prefix.addr)
      )
        return s;
      continue;
    }
    if (sainfoIdMatches(s.remote, q.remote)) return s;
  }
  return undefined;
}

/**
 * racoon getrmconf(): the remote for a peer address and port — an exact address and port first, then the
 * address on any port when the remote wrote none (so a peer that floated to 4500 keeps its remote), then
 * `anonymous`. Named remotes without an address never match here.
 */
export function lookupRemote(conf: RacoonConf, addr: Uint8Array, port: number): RemoteConf | undefined {
  const byAddr = conf.remotes.filter((r) => !r.anonymous && r.address && addrEqual(r.address, addr));
  return (
    byAddr.find((r) => r.portGiven && r.port === port) ??
    byAddr.find((r) => !r.portGiven) ??
    conf.remotes.find((r) => r.anonymous && (!r.portGiven || r.port === port))
  );
}
