// The IKEv1 negotiation records side by side: the ISAKMP SA (racoon `struct ph1handle`) and the IPsec SA
// negotiation over it (racoon `struct ph2handle`). Plain data: the tables in ph1/table.ts and ph2/table.ts
// own them, the exchange steps (ph1/main-mode.ts, ph2/quick-mode.ts) fill them in.
import type { DhKeyPair } from '../../crypto/dh.js';
import type { IkeCipher } from '../../crypto/ike-cipher.js';
import type { PrfHash } from '../../crypto/prf.js';
import type { RemoteConf, SainfoConf } from '../conf/ast.js';
import type { Endpoint } from '../engine/datagram.js';
import type { HalfOpenSlot } from '../engine/half-open.js';
import type { IsakmpPayload } from '../isakmp/message.js';
import type { IsakmpId } from '../isakmp/payloads/id.js';
import type { IsakmpSa } from '../isakmp/payloads/sa.js';
import type { Ph1Approval } from './ph1/proposal.js';
import type { Ph2Approval, Ph2Request } from './ph2/proposal.js';

export type Ph1State =
  'msg1-sent' | 'msg2-sent' | 'msg3-sent' | 'msg4-sent' | 'msg5-sent' | 'established' | 'expired' | 'dead';

/** The phase 1 keys once SKEYID is known. */
export interface Ph1Keys {
  skeyid: Uint8Array;
  d: Uint8Array;
  a: Uint8Array;
  e: Uint8Array;
  encKey: Uint8Array;
  cipher: IkeCipher;
  hash: PrfHash;
}

/** An ISAKMP SA under negotiation or established (racoon `ph1handle`). */
export interface Phase1 {
  id: number;
  side: 'initiator' | 'responder';
  state: Ph1State;
  icookie: Uint8Array;
  rcookie: Uint8Array;
  local: Endpoint;
  remote: Endpoint;
  rmconf: RemoteConf;
  createdMs: number;
  establishedMs?: number;
  /** The initiator's SA payload body as sent (SAi_b), and what it offered. */
  saiB?: Uint8Array;
  offered?: IsakmpSa;
  approval?: Ph1Approval;
  dh?: DhKeyPair;
  gxi?: Uint8Array;
  gxr?: Uint8Array;
  gxy?: Uint8Array;
  ni?: Uint8Array;
  nr?: Uint8Array;
  keys?: Ph1Keys;
  /** The CBC chaining value for the next phase 1 message; after msg 6 the last phase 1 block. */
  iv?: Uint8Array;
  /** Our own and the peer's phase 1 identities (ID payload bodies). */
  myId?: IsakmpId;
  peerId?: IsakmpId;
  /** NAT-T: the peer sent the RFC 3947 vendor ID; a NAT was detected (or forced); the ports floated. */
  nattPeer: boolean;
  natDetected: boolean;
  floated: boolean;
  /** The bytes of our last message (resent for retransmission and on a duplicate), and the peer's last. */
  lastSent?: Uint8Array;
  lastRecv?: Uint8Array;
  retries: number;
  cancelTimer?: () => void;
  cancelExpire?: () => void;
  cancelKeepalive?: () => void;
  /** Quick modes waiting for this phase 1 to complete. */
  waiting: (() => void)[];
  /** Message IDs already used with this phase 1 (RFC 2408 §3.1: unique per exchange). */
  msgids: Set<number>;
  initialContactSent: boolean;
  /** A responder's place in the half-open table until it authenticates (engine/half-open.ts). */
  halfOpen?: HalfOpenSlot;
  /** Answers resent for repeated requests, and when the last went (engine/retransmit.ts). */
  dupResends?: number;
  dupResendAtMs?: number;
}

export type Ph2State = 'getspi' | 'msg1-sent' | 'msg2-sent' | 'established' | 'expired' | 'dead';

/** An IPsec SA negotiation (racoon `struct ph2handle`). */
export interface Phase2 {
  id: number;
  side: 'initiator' | 'responder';
  state: Ph2State;
  ph1?: Phase1;
  msgid: number;
  iv?: Uint8Array;
  /** SA endpoints: ours and the peer's (the IKE addresses in transport mode, tunnel ends in tunnel mode). */
  src: Endpoint;
  dst: Endpoint;
  /** The outbound policy id that caused it (ACQUIRE) or that matched (responder), and the ACQUIRE seq. */
  spid: number;
  seq: number;
  reqs: Ph2Request[];
  sainfo?: SainfoConf;
  idci?: IsakmpId;
  idcr?: IsakmpId;
  offered?: IsakmpSa;
  /** The peer's SA payload when we are responder (selected after GETSPI). */
  peerSa?: IsakmpSa;
  chosen?: IsakmpSa;
  approval?: Ph2Approval;
  mySpis: Map<number, Uint8Array>;
  ni?: Uint8Array;
  nr?: Uint8Array;
  dh?: DhKeyPair;
  gqmxy?: Uint8Array;
  lastSent?: Uint8Array;
  lastRecv?: Uint8Array;
  retries: number;
  cancelTimer?: () => void;
  createdMs: number;
  /** The decrypted payloads of the peer's first message (responder, until qr1Send). */
  lastRecvPayloads?: IsakmpPayload[];
  /** A rekey replaces this negotiation's SAs; set on the old one so its expiry is not renegotiated twice. */
  rekeyed?: boolean;
  /** Answers resent for repeated requests, and when the last went (engine/retransmit.ts). */
  dupResends?: number;
  dupResendAtMs?: number;
}
