// The IKEv2 negotiation records: the IKE SA (strongSwan `ike_sa_t`, iked `struct iked_sa`) with its two
// message windows (RFC 7296 §2.3, window size 1), and the Child SA (strongSwan `child_sa_t`). Plain data: the
// tables (ike-table.ts, child-table.ts) own them; the exchanges (exchanges/*.ts) fill them in.
import type { Cfg6 } from './cfg6.js';
import type { DhKeyPair } from '../../crypto/dh.js';
import type { IkePrf } from '../../crypto/ike-prf.js';
import type { RemoteConf, SainfoConf } from '../conf/ast.js';
import type { Phase2Id } from '../conf/lookup.js';
import type { ModeCfgResult } from '../ikev1/cfg/attributes.js';
import type { Endpoint } from '../engine/datagram.js';
import type { Retransmittable } from '../engine/retransmit.js';
import type { SkfReassembly } from './fragment.js';
import type { Ikev2Header } from './header.js';
import type { IkeSaKeys } from './keys.js';
import type { Ikev2Id } from './payloads/id.js';
import type { Ikev2Payload } from './payload-chain.js';
import type { Ikev2Selector } from './payloads/ts.js';
import type { SkKeys } from './sk-protect.js';
import type { IkeEncr, IkeInteg } from './suite.js';

/**
 * `init`: IKE_SA_INIT sent (initiator) or answered (responder, half-open); `auth`: IKE_AUTH under way;
 * `established`; `rekeyed`: replaced by a new IKE SA, kept until its DELETE (§2.8); `deleting`; `dead`.
 */
export type IkeSaState = 'init' | 'auth' | 'established' | 'rekeyed' | 'deleting' | 'dead';

/** The negotiated IKE SA transforms (RFC 7296 §3.3.2) and what crypto/ runs them with. */
export interface IkeSuite {
  encr: IkeEncr;
  integ?: IkeInteg;
  prfId: number;
  prf: IkePrf;
  dhGroup: number;
}

/**
 * An exchange this end initiates (strongSwan's task): the request it sends and what it does with the
 * response; one at a time per IKE SA (window size 1, §2.3).
 */
export interface Exchange {
  readonly exchangeType: number;
  /** For the log: `CREATE_CHILD_SA (rekey child 3)`. */
  readonly what: string;
  /** The payloads of the request (inside SK, or clear for IKE_SA_INIT); undefined abandons the exchange. */
  request(): Promise<Ikev2Payload[] | undefined>;
  /** The request's bytes as sent (IKE_SA_INIT keeps them: they are signed in IKE_AUTH, §2.15). */
  sent?(bytes: Uint8Array): void;
  /** The response's payloads; 'again' sends a new request with the same message ID (IKE_SA_INIT retry, §2.6). */
  response(payloads: Ikev2Payload[], header: Ikev2Header): Promise<'done' | 'again'>;
  /** No response after the retransmissions, or the IKE SA went away first. */
  failed(why: string): void;
  /** Retransmission of this exchange's request (DPD: dpd_retry × dpd_maxfail); the timer section otherwise. */
  readonly retransmit?: { intervalSec: number; counter: number };
}

/** The request this end has outstanding (window size 1): what `engine/retransmit.ts` resends. */
export interface OutRequest extends Retransmittable {
  state: 'building' | 'sent' | 'answered';
  exchange: Exchange;
  messageId: number;
}

/** The last request the peer sent and our answer, resent when the request is repeated (§2.1). */
export interface LastResponse {
  messageId: number;
  request: Uint8Array;
  response: Uint8Array;
}

/** An IKE SA (racoon2 `ikev2_sa`): both ends, keys, windows, children. */
export interface IkeSa {
  id: number;
  /** This end was the original initiator (the I flag, §3.1): it holds SPIi and keys with SK_ei/SK_ai. */
  initiator: boolean;
  state: IkeSaState;
  spiI: Uint8Array;
  spiR: Uint8Array;
  local: Endpoint;
  remote: Endpoint;
  rmconf: RemoteConf;
  /** NAT traversal (§2.23): a NAT before us, before the peer, either (or forced); ports moved to 4500. */
  natLocal: boolean;
  natRemote: boolean;
  natDetected: boolean;
  floated: boolean;
  suite?: IkeSuite;
  dh?: DhKeyPair;
  ni?: Uint8Array;
  nr?: Uint8Array;
  keys?: IkeSaKeys;
  skIn?: SkKeys;
  skOut?: SkKeys;
  /** RealMessage1/2 (§2.15): the IKE_SA_INIT request and response as sent. */
  initRequest?: Uint8Array;
  initResponse?: Uint8Array;
  myId?: Ikev2Id;
  peerId?: Ikev2Id;
  /** The hashes the peer announced in SIGNATURE_HASH_ALGORITHMS (RFC 7427 §4); absent: no method 14. */
  peerSigHashes?: number[];
  /** RFC 7383: both ends announced IKEV2_FRAGMENTATION_SUPPORTED; messages too large go as SKF fragments. */
  fragmentation?: boolean;
  /** Splits a sealed message into the fragments made for it (IkePath.fragment; frag-io.ts). */
  fragment?: (msg: Uint8Array) => Uint8Array[];
  /** Fragments of one incoming message being collected (at most one message per IKE SA, frag-io.ts). */
  reassembly?: { messageId: number; response: boolean; pieces: SkfReassembly; firstRaw?: Uint8Array };
  /** Our requests: the next message ID, the outstanding one, the exchanges waiting their turn. */
  nextRequestId: number;
  active?: OutRequest;
  queue: Exchange[];
  /** The peer's requests: the next message ID expected, the last answered, one being answered now. */
  nextPeerId: number;
  lastResponse?: LastResponse;
  answering?: number;
  children: Set<ChildSa>;
  createdMs: number;
  establishedMs?: number;
  /** When a message from the peer last authenticated (liveness, §2.4). */
  lastHeardMs: number;
  /** Rekeyed (§2.18): the SA that replaced this one, or the one this one replaced (simultaneous rekey, §2.8.1). */
  rekeyedTo?: IkeSa;
  /** The nonces of the rekey exchange that created this SA (the lowest one loses a collision, §2.8.1). */
  rekeyNonces?: Uint8Array[];
  /** A new IKE SA the peer made from this one while our own rekey was under way (§2.8.1). */
  peerRekey?: IkeSa;
  cancelTimers: (() => void)[];
  cancelKeepalive?: () => void;
  /** The configuration payload (§2.19): what a client received, or the address a server leased (cfg.ts). */
  cfg?: IkeCfg;
  /** The phase1_up script ran (phase1_down then runs when it goes). */
  scriptUp?: boolean;
}

/** A policy pair generate_policy made (generate-policy.ts): the peer's side (TSi) and ours (TSr), protocol, mode, level and reqid. */
export interface GeneratedSp {
  /** The selectors as text: children with the same key share the pair. */
  key: string;
  peer: Phase2Id;
  mine: Phase2Id;
  proto: number; // IPPROTO_ESP or IPPROTO_AH
  mode: 'tunnel' | 'transport';
  level: number;
  reqid: number;
}

/** CP state of an IKE SA: our role, and the configuration in racoon's mode-config form (scripts read it). */
export interface IkeCfg {
  client: boolean;
  result: ModeCfgResult;
  /** IPv6 values a client received (cfg6.ts); mode_cfg pools hold IPv4 only. */
  v6?: Cfg6;
}

/**
 * `creating`: under negotiation; `installed`; `rekeying`: a replacement is being negotiated; `rekeyed`:
 * replaced, awaiting its DELETE; `deleting`; `dead`.
 */
export type ChildSaState = 'creating' | 'installed' | 'rekeying' | 'rekeyed' | 'deleting' | 'dead';

/** A child's negotiated transforms (IKEv2 ids) and ESN. */
export interface ChildTransforms {
  encr?: number;
  keyBits?: number;
  integ?: number;
  esn: boolean;
  dh?: number;
}

/** IPComp negotiated by IPCOMP_SUPPORTED (§2.22): both CPIs and the transform (2 = DEFLATE). */
export interface ChildIpcomp {
  myCpi: Uint8Array;
  peerCpi?: Uint8Array;
  transform: number;
}

/** A Child SA (strongSwan `child_sa_t`): one ESP or AH pair, with IPComp when negotiated. */
export interface ChildSa {
  id: number;
  ike: IkeSa;
  state: ChildSaState;
  /** This end sent the request that created it (the exchange's initiator keys first, §2.17). */
  initiator: boolean;
  protocol: number; // IKEV2_PROTO_ESP or _AH
  mode: 'transport' | 'tunnel';
  mySpi?: Uint8Array;
  peerSpi?: Uint8Array;
  ipcomp?: ChildIpcomp;
  /** The outbound policy (ACQUIRE) or the inbound one that matched (responder), its reqid, the ACQUIRE seq. */
  spid: number;
  reqid: number;
  seq: number;
  sainfo?: SainfoConf;
  /** Traffic selectors as the exchange's initiator named them (TSi its side, TSr the responder's). */
  tsi: Ikev2Selector[];
  tsr: Ikev2Selector[];
  transforms?: ChildTransforms;
  lifetimeSec: number;
  createdMs: number;
  installedMs?: number;
  /** The child this one replaces, and the one that replaced it (§2.8). */
  rekeys?: ChildSa;
  rekeyedBy?: ChildSa;
  /** A replacement the peer made while ours was under way (simultaneous rekey, §2.8.1). */
  rekeyedByPeer?: ChildSa;
  /** The nonces of the exchange that created it (the lowest loses a simultaneous rekey, §2.8.1). */
  nonces?: Uint8Array[];
  /** The policy pair generate_policy made for it (generate-policy.ts), shared with its replacements. */
  generated?: GeneratedSp;
  cancelTimers: (() => void)[];
}

/** A fresh IKE SA record with empty windows (message IDs from 0 in both directions, §2.2). */
export function makeIkeSa(f: {
  id: number;
  initiator: boolean;
  state: IkeSaState;
  spiI: Uint8Array;
  spiR: Uint8Array;
  local: Endpoint;
  remote: Endpoint;
  rmconf: RemoteConf;
  nowMs: number;
}): IkeSa {
  return {
    id: f.id,
    initiator: f.initiator,
    state: f.state,
    spiI: f.spiI,
    spiR: f.spiR,
    local: { ...f.local },
    remote: { ...f.remote },
    rmconf: f.rmconf,
    natLocal: false,
    natRemote: false,
    natDetected: false,
    floated: false,
    nextRequestId: 0,
    queue: [],
    nextPeerId: 0,
    children: new Set(),
    createdMs: f.nowMs,
    lastHeardMs: f.nowMs,
    cancelTimers: [],
  };
}

/**
 * §2.8.1: of two exchanges that rekeyed the same SA at once, the one whose nonces hold the lowest of the four
 * made the redundant SA. Nonces compare as unsigned byte strings (a shorter prefix first, as memcmp).
 */
export function holdsLowestNonce(mine: readonly Uint8Array[], theirs: readonly Uint8Array[]): boolean {
  const low = (l: readonly Uint8Array[]) => l.reduce((a, b) => (Buffer.compare(a, b) <= 0 ? a : b));
  return Buffer.compare(low(mine), low(theirs)) < 0;
}
