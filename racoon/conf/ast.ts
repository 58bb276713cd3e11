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

/**
 * One directive as written, keyed for the support table (support.ts): `section.directive` or
 * `section.directive value` when the value decides (`remote.exchange_mode aggressive`). Validation reports
 * every use whose feature is not supported, at its file:line.
 */
export interface DirectiveUse {
  key: string;
  pos: Pos;
}

/** An identifier (`my_identifier`, `peers_identifier`, sainfo `from`): racoon `struct idspec`. */
export interface IdSpec {
  type: 'address' | 'fqdn' | 'user_fqdn' | 'keyid' | 'asn1dn';
  /**
   * The string (fqdn, user_fqdn, keyid file or tag, asn1dn subject such as `C=JP, O=KAME, CN=*`); absent for
   * `address` and `asn1dn` without one (racoon then uses the local address or the certificate subject).
   */
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
  /** `gss_id "name"` (also spelled `gssapi_id`): GSS-API, never supported; kept for the diagnostic. */
  gssId?: string;
}

export interface ScriptHook {
  event: 'phase1_up' | 'phase1_down' | 'phase1_dead';
  path: string;
  pos: Pos;
}

/** `certificate_type x509 "cert" "key"` | `certificate_type plain_rsa "key"` (racoon `mycert`). */
export type CertificateSpec =
  { type: 'x509'; certFile: string; keyFile: string; pos: Pos } | { type: 'plain_rsa'; keyFile: string; pos: Pos };

/** `peers_certfile [x509|plain_rsa] "file"` | `peers_certfile dnssec` (racoon `peerscert`). */
export type PeersCertSpec = { type: 'x509' | 'plain_rsa'; file: string; pos: Pos } | { type: 'dnssec'; pos: Pos };

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
  certificate?: CertificateSpec;
  /** `ca_type x509 "file"`. */
  caFile?: { file: string; pos: Pos };
  peersCert?: PeersCertSpec;
  /** `xauth_login "user"` (XAuth client login). */
  xauthLogin?: string;
  sendCert: boolean;
  sendCr: boolean;
  verifyCert: boolean;
  matchEmptyCr: boolean;
  lifetimeSec: number;
  initialContact: boolean;
  passive: boolean;
  supportProxy: boolean;
  proposalCheck: ProposalCheck;
  natTraversal: OnOffForce;
  generatePolicy: GeneratePolicy;
  nonceSize: number;
  /** Where `nonce_size` was written (its range is checked per IKE version). */
  nonceSizePos?: Pos;
  /** `dpd on|off` (racoon's switch for the DPD vendor ID; the probes need dpd_delay). Default on. */
  dpd: boolean;
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
  /** `ike_version 1|2` (uipsec): the IKE version spoken with this peer; racoon's default is 1 (docs/ikev2.md). */
  ikeVersion: 1 | 2;
  /** `rsa_pss on` (IKEv2, strongSwan's charon.rsa_pss): sign RFC 7427 AUTH with RSASSA-PSS, not PKCS#1 v1.5. */
  rsaPss: boolean;
}

/**
 * One side of a sainfo: `address|subnet A[/P] [port] proto` or `address A-B ...`. As in racoon
 * (ipsecdoi_sockaddr2id) the keyword does not decide the ID type: a prefix shorter than the address makes a
 * subnet ID (`address 10.0.0.0/24` sends ID_IPV4_ADDR_SUBNET), a full one or none a host ID.
 */
export interface SainfoId {
  /** The keyword written. */
  kind: 'address' | 'subnet';
  /** The ID type racoon sends and matches: `addr` (host), `subnet`, or `range` (`A-B`). */
  idType: 'addr' | 'subnet' | 'range';
  prefix: Prefix;
  /** An `a-b` address range end, when given. */
  rangeEnd?: Uint8Array;
  port: number; // 0 = any
  proto: number; // 0 = any
  pos: Pos;
}

/** A sainfo side given by name: `fqdn "s"`, `user_fqdn "s"` or `keyid "s"` (racoon sainfo_id QUOTEDSTRING). */
export interface SainfoNameId {
  kind: 'fqdn' | 'user_fqdn' | 'keyid';
  value: string;
  pos: Pos;
}

export type SainfoSide = SainfoId | SainfoNameId;

/** A `sainfo` section (racoon `struct sainfo`). */
export interface SainfoConf {
  pos: Pos;
  local: SainfoSide | 'anonymous';
  remote: SainfoSide | 'anonymous' | 'clientaddr';
  from?: IdSpec;
  group?: string;
  /** `my_identifier` inside a sainfo (XAuth: the identity for this phase 2). */
  myIdentifier?: IdSpec;
  pfsGroup?: AlgorithmRef;
  lifetimeSec: number;
  remoteid?: number;
  encryption: AlgorithmRef[];
  authentication: AlgorithmRef[];
  compression: AlgorithmRef[];
  /** `esn on|off` (uipsec, IKEv2 children): propose or accept extended sequence numbers (RFC 7296 §3.3.2). */
  esn?: boolean;
}

/** `privsep { user; group; chroot; }`: names as written (resolved when the feature lands) or numeric ids. */
export interface PrivsepConf {
  user?: string | number;
  group?: string | number;
  chroot?: string;
  pos: Pos;
}

/** `split_network include|local_lan A/P, ...` (Cisco Unity split include / local LAN). */
export interface SplitNetwork {
  kind: 'include' | 'local_lan';
  prefix: Prefix;
}

/** The global `mode_cfg { }` section (racoon `isakmp_cfg_config`), the server side of ISAKMP mode config. */
export interface ModeCfgConf {
  pos: Pos;
  network4?: Uint8Array;
  netmask4?: Uint8Array;
  poolSize?: number;
  dns4: Uint8Array[];
  wins4: Uint8Array[];
  splitNetworks: SplitNetwork[];
  splitDns: string[];
  defaultDomain?: string;
  authSource?: 'system' | 'radius' | 'pam' | 'ldap';
  authGroups: string[];
  groupSource?: 'system' | 'ldap';
  accounting?: 'none' | 'system' | 'radius' | 'pam';
  confSource?: 'local' | 'radius' | 'ldap';
  /** `banner "file"` (the MOTD file sent to clients). */
  banner?: string;
  authThrottleSec?: number;
  pfsGroup?: number;
  savePasswd?: boolean;
}

/** `ldapcfg { }` (XAuth against LDAP). */
export interface LdapConf {
  pos: Pos;
  version?: number;
  host?: string;
  port?: number;
  base?: string;
  subtree?: boolean;
  bindDn?: string;
  /** The bind password: never printed. */
  bindPw?: string;
  attrUser?: string;
  attrAddr?: string;
  attrMask?: string;
  attrGroup?: string;
  attrMember?: string;
}

/** One `auth|acct "host" [port] "secret";` server of radiuscfg. The secret is never printed. */
export interface RadiusServer {
  host: string;
  port?: number;
  secret: string;
}

/** `radiuscfg { }` (XAuth and accounting against RADIUS); racoon's defaults timeout 3 s, 3 retries. */
export interface RadiusConf {
  pos: Pos;
  auth: RadiusServer[];
  acct: RadiusServer[];
  timeoutSec: number;
  retries: number;
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
  /** `gss_id_enc latin1|utf-16le` (GSS-API, never supported). */
  gssIdEnc?: 'latin1' | 'utf-16le';
  privsep?: PrivsepConf;
  modeCfg?: ModeCfgConf;
  ldap?: LdapConf;
  radius?: RadiusConf;
  remotes: RemoteConf[];
  sainfos: SainfoConf[];
  /** Every directive written, in file order, for the support table (see support.ts). */
  uses: DirectiveUse[];
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
export { ISAKMP_PORT, ISAKMP_NATT_PORT } from '../isakmp/constants.js';
