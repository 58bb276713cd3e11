// The racoon.conf syntax tree (ipsec-tools `struct remoteconf`, `struct sainfo`, `struct isakmpsa`, lcconf),
// with racoon's defaults filled in so later stages read resolved values.
import type { Prefix } from '../../common/inet.js';

/** Where a directive was written. */
export interface Pos {
  file: string;
  line: number;
  col: number;
}

export type PathType = 'include' | 'pre_shared_key' | 'certificate' | 'script' | 'backupsa' | 'pidfile';
export type LogLevel = 'error' | 'warning' | 'notify' | 'info' | 'debug' | 'debug2';
export type OnOffForce = 'on' | 'off' | 'force';
export type ProposalCheck = 'obey' | 'strict' | 'claim' | 'exact';
export type GeneratePolicy = 'on' | 'off' | 'require' | 'unique';

/** A named algorithm resolved to its wire number (e.g. `aes 256` → 7 with keyLen 256). */
export interface AlgorithmRef {
  name: string;
  id: number;
  keyLen?: number;
  pos: Pos;
}

/** A directive belonging to a racoon feature uipsec does not have yet; validation reports it. */
export interface LaterFeature {
  what: string;
  pos: Pos;
}

/** An identifier (`my_identifier`, `peers_identifier`, sainfo `from`): racoon `struct idspec`. */
export interface IdSpec {
  type: 'address' | 'fqdn' | 'user_fqdn' | 'keyid' | 'asn1dn';
  /** The string (fqdn, user_fqdn, keyid file or tag, asn1dn); absent for `address` / `asn1dn` with defaults. */
  value?: string;
  addr?: Uint8Array;
  keyidKind?: 'file' | 'tag';
  pos: Pos;
}

export interface ListenAddress {
  addr: Uint8Array;
  port: number;
  natt: boolean;
  pos: Pos;
}

export interface AdminSock {
  disabled: boolean;
  path?: string;
  owner?: string;
  group?: string;
  mode?: number;
  pos: Pos;
}

export interface ListenConf {
  isakmp: ListenAddress[];
  adminsock?: AdminSock;
  strictAddress: boolean;
}

/** `timer { }` (racoon lcconf retry/timeouts); defaults from racoon.conf(5). */
export interface TimerConf {
  counter: number;
  intervalSec: number;
  persend: number;
  phase1Sec: number;
  phase2Sec: number;
  nattKeepaliveSec: number;
}

export interface PaddingConf {
  randomize: boolean;
  randomizeLength: boolean;
  maximumLength: number;
  exclusiveTail: boolean;
  strictCheck: boolean;
}

/** A phase 1 `proposal { }` (racoon `struct isakmpsa`). */
export interface ProposalConf {
  pos: Pos;
  enc?: AlgorithmRef;
  hash?: AlgorithmRef;
  authMethod?: AlgorithmRef;
  dhGroup?: AlgorithmRef;
  lifetimeSec?: number;
  lifetimeBytes?: number;
}

export interface ScriptHook {
  event: 'phase1_up' | 'phase1_down' | 'phase1_dead';
  path: string;
  pos: Pos;
}

/** A `remote` section (racoon `struct remoteconf`). */
export interface RemoteConf {
  pos: Pos;
  /** The section name: an address text, `anonymous`, or a free name (0.8 named form). */
  name: string;
  anonymous: boolean;
  address?: Uint8Array;
  /** The port to contact (default 500). */
  port: number;
  /** True when a `[port]` was written; without one the remote matches its address on any port (NAT-T 4500). */
  portGiven: boolean;
  inherit?: string;
  /** ISAKMP_ETYPE_* in preference order. */
  exchangeMode: number[];
  doi: number;
  situation: number;
  myIdentifier?: IdSpec;
  peersIdentifiers: IdSpec[];
  verifyIdentifier: boolean;
  sendCert: boolean;
  sendCr: boolean;
  verifyCert: boolean;
  matchEmptyCr: boolean;
  lifetimeSec: number;
  lifetimeBytes?: number;
  initialContact: boolean;
  passive: boolean;
  supportProxy: boolean;
  proposalCheck: ProposalCheck;
  natTraversal: OnOffForce;
  generatePolicy: GeneratePolicy;
  nonceSize: number;
  dpdDelaySec: number;
  dpdRetrySec: number;
  dpdMaxfail: number;
  ikeFrag: OnOffForce;
  espFrag?: number;
  modeCfg: boolean;
  weakPhase1Check: boolean;
  rekey: OnOffForce;
  ph1id?: number;
  scripts: ScriptHook[];
  proposals: ProposalConf[];
}

/** One side of a sainfo: `address|subnet A[/P] [port] proto` (racoon builds an ID payload from it). */
export interface SainfoId {
  kind: 'address' | 'subnet';
  prefix: Prefix;
  /** An `a-b` address range end, when given. */
  rangeEnd?: Uint8Array;
  port: number; // 0 = any
  proto: number; // 0 = any
  pos: Pos;
}

/** A `sainfo` section (racoon `struct sainfo`). */
export interface SainfoConf {
  pos: Pos;
  local: SainfoId | 'anonymous';
  remote: SainfoId | 'anonymous' | 'clientaddr';
  from?: IdSpec;
  group?: string;
  pfsGroup?: AlgorithmRef;
  lifetimeSec: number;
  lifetimeBytes?: number;
  remoteid?: number;
  encryption: AlgorithmRef[];
  authentication: AlgorithmRef[];
  compression: AlgorithmRef[];
}

/** The whole configuration (racoon `lcconf` plus its remote and sainfo lists). */
export interface RacoonConf {
  /** Every file read, the main one first, in include order. */
  files: string[];
  paths: Partial<Record<PathType, { value: string; pos: Pos }>>;
  listen: ListenConf;
  timer: TimerConf;
  padding: PaddingConf;
  log?: { level: LogLevel; pos: Pos };
  pfkeyBufferKB?: number;
  complexBundle: boolean;
  remotes: RemoteConf[];
  sainfos: SainfoConf[];
  later: LaterFeature[];
}

/** racoon.conf(5) defaults. */
export const DEFAULT_TIMER: Readonly<TimerConf> = {
  counter: 5,
  intervalSec: 10,
  persend: 1,
  phase1Sec: 15,
  phase2Sec: 10,
  nattKeepaliveSec: 20,
};
export const DEFAULT_PADDING: Readonly<PaddingConf> = {
  randomize: true,
  randomizeLength: false,
  maximumLength: 20,
  exclusiveTail: true,
  strictCheck: false,
};
export const DEFAULT_PH1_LIFETIME_SEC = 28800;
export const DEFAULT_PH2_LIFETIME_SEC = 28800;
export const DEFAULT_NONCE_SIZE = 16;
export const ISAKMP_PORT = 500;
export const ISAKMP_NATT_PORT = 4500;
