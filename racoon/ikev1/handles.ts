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
import type { CfgState } from './cfg/state.js';
import type { Ph1Approval } from './ph1/proposal.js';
import type { GeneratedPolicy } from './ph2/generate-policy.js';
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
  /** ISAKMP_ETYPE_IDENT (main mode), ISAKMP_ETYPE_AGG (aggressive mode) or ISAKMP_ETYPE_BASE (base mode). */
  etype: number;
  state: Ph1State;
  icookie: Uint8Array;
  rcookie: Uint8Array;
  local: Endpoint;
  remote: Endpoint;
  rmconf: RemoteConf;
  /**
   * Responder: the remote sections the peer may still be (racoon getrmconf_by_ph1), narrowed by the proposal,
   * a CR and the peer's ID; rmconf is the first of them until one is left.
   */
  candidates?: RemoteConf[];
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
  /** Base mode: the peer's ID payload body as it encoded it (IDii_b / IDir_b of the hashes). */
  peerIdB?: Uint8Array;
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
  /** Dead peer detection (dpd.ts): the peer's vendor ID, sequence numbers, the probe timer. */
  dpd?: DpdState;
  /** IKE fragmentation (ph1/capabilities.ts): we send fragments to this peer; it announced reassembly. */
  frag?: { send: boolean; peer: boolean };
  /** Splits our messages into fragments once `frag.send` holds (the IkePath hook, fragments.ts). */
  fragment?: (msg: Uint8Array) => Uint8Array[];
  /** Mode config and XAuth after phase 1 (cfg/mode-cfg.ts). */
  cfg?: CfgState;
}

/** The DPD state of one ISAKMP SA (racoon ph1handle dpd_support, dpd_seq, dpd_last_ack, dpd_fails, dpd_r_u). */
export interface DpdState {
  /** The peer sent the DPD vendor ID (and our remote has `dpd on`). */
  peer: boolean;
  /** The sequence number of our last R-U-THERE (0: none sent yet). */
  seq: number;
  /** The last sequence number the peer acknowledged. */
  lastAck: number;
  /** R-U-THEREs sent since the last acknowledgement. */
  fails: number;
  cancel?: () => void;
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
  /** Responder under generate_policy: the policies to install with the SAs (ph2/generate-policy.ts). */
  generated?: GeneratedPolicy;
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
