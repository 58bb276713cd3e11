// The setkey(8) statement tree: what parser.ts produces and what to-pfkey / the CLI consume.
// Names follow ipsec-tools parse.y (add/get/delete/deleteall/flush/dump/spd*); wire numbers stay in pfkey/.
import type { Family } from '../common/inet.js';

/** Where a token or statement starts (1-based line and column). */
export interface Pos {
  line: number;
  col: number;
}

/** `-4`, `-6`, `-n` given after the command word (ipsec-tools `ipaddropts`). */
export interface AddrOptions {
  family?: Family;
  numericOnly: boolean;
}

/** A host for SA commands: one address, optional `[port]` (only NAT-T uses it). */
export interface HostSpec {
  text: string;
  addr: Uint8Array;
  family: Family;
  /** undefined when no `[port]` was given; 0 for `[any]`. */
  port?: number;
  pos: Pos;
}

/** An SPD selector endpoint: `addr[/prefix][[port]]`. */
export interface Selector {
  text: string;
  addr: Uint8Array; // host bits as written (the kernel masks)
  family: Family;
  prefixLen: number; // full length when omitted
  prefixGiven: boolean;
  port: number; // 0 = any
  portGiven: boolean;
  pos: Pos;
}

export type SaProtoName = 'esp' | 'esp-old' | 'ah' | 'ah-old' | 'ipcomp' | 'tcp' | 'esp-udp';

/** The protocol of an SA command; `esp-udp` is ESP plus NAT-T (UDP_ENCAP_ESPINUDP, RFC 3948). */
export interface SaProto {
  name: SaProtoName;
  /** The OA address after `esp-udp`, if given. */
  natOa?: HostSpec;
  pos: Pos;
}

export type Mode = 'any' | 'transport' | 'tunnel';
export type PadFlag = 'zero-pad' | 'random-pad' | 'seq-pad';

export interface LifetimeSpec {
  addtimeSec?: number;
  bytes?: number;
}

/** Linux SELinux label, `-ctx doi alg "string"`. */
export interface SecCtx {
  doi: number;
  alg: number;
  text: string;
}

/** The `extension_spec` of SA commands (setkey(8) "extensions"). */
export interface SaExtensions {
  mode?: Mode;
  replay?: number; // -r: window in bytes of bitmap
  reqid?: number; // -u
  pad?: PadFlag; // -f zero-pad|random-pad|seq-pad
  nocyclicSeq: boolean; // -f nocyclic-seq
  hard: LifetimeSpec; // -lh / -bh
  soft: LifetimeSpec; // -ls / -bs
  ctx?: SecCtx;
  /** FreeBSD `-natt oai[sport] oar[dport]`: manual NAT-T (RFC 3948) with both original addresses. */
  natt?: { oai: HostSpec; oar: HostSpec };
  /** FreeBSD `-natt_mtu N` (SADB_X_EXT_NAT_T_FRAG). */
  nattFragLen?: number;
  /** FreeBSD `-esn`: 64-bit extended sequence numbers (RFC 4303 §2.2.1, SADB_X_SAFLAGS_ESN). */
  esn: boolean;
  /** FreeBSD `-hwif ifname` (hardware offload). */
  hwif?: string;
}

/** A key as written: `0x...` hex or `"..."` raw bytes. */
export interface KeySpec {
  bytes: Uint8Array;
  form: 'hex' | 'quoted';
  pos: Pos;
}

export interface AlgSpec {
  name: string;
  key?: KeySpec;
  pos: Pos;
}

/** `-E ealg key [-A aalg key]`, `-A aalg key`, or `-C calg [-R]`. */
export interface AlgorithmSpec {
  enc?: AlgSpec;
  auth?: AlgSpec;
  comp?: AlgSpec;
  rawCpi: boolean; // -R
}

interface StatementBase {
  /** The file name given to the parser ('' for stdin), and the lines the statement spans. */
  file: string;
  line: number;
  endLine: number;
}

/** add / update / get / delete: one SA named by (src, dst, proto, spi). */
export interface SaStatement extends StatementBase {
  kind: 'add' | 'update' | 'get' | 'delete';
  opts: AddrOptions;
  src: HostSpec;
  dst: HostSpec;
  proto: SaProto;
  spi: number;
  ext: SaExtensions;
  /** Present for add/update only. */
  alg?: AlgorithmSpec;
}

export interface DeleteAllStatement extends StatementBase {
  kind: 'deleteall';
  opts: AddrOptions;
  src: HostSpec;
  dst: HostSpec;
  proto: SaProto;
}

export interface FlushDumpStatement extends StatementBase {
  kind: 'flush' | 'dump';
  proto?: SaProto; // undefined = SADB_SATYPE_UNSPEC
}

/** The upper-layer part of an SPD selector (setkey(8) "upperspec"). */
export interface UpperSpec {
  proto: number; // 255 = any
  text: string;
  /** ICMP/ICMPv6/MH `type[,code]` or GRE key text, as written. */
  misc?: string;
}

export type Direction = 'in' | 'out' | 'fwd';
export type PolicyAction = 'discard' | 'none' | 'ipsec' | 'entrust' | 'bypass';
export type Level = 'default' | 'use' | 'require' | 'unique';

/** One `proto/mode/src-dst/level` request of an `ipsec` policy (sadb_x_ipsecrequest). */
export interface PolicyRequest {
  proto: 'esp' | 'ah' | 'ipcomp';
  mode: 'transport' | 'tunnel';
  src?: { addr: Uint8Array; family: Family; port: number; text: string };
  dst?: { addr: Uint8Array; family: Family; port: number; text: string };
  level: Level;
  reqid: number;
}

/** A parsed `-P` policy string (libipsec policy_parse.y). */
export interface PolicySpec {
  dir: Direction;
  /** The sadb_x_policy_priority value when a `prio`/`priority` clause was given. */
  priority?: number;
  /** undefined for the direction-only form that spddelete may use. */
  action?: PolicyAction;
  requests: PolicyRequest[];
  text: string;
  pos: Pos;
}

export interface SpdStatement extends StatementBase {
  kind: 'spdadd' | 'spdupdate' | 'spddelete';
  opts: AddrOptions;
  src: Selector;
  dst: Selector;
  upper: UpperSpec;
  ctx?: SecCtx;
  policy: PolicySpec;
}

/** `spdadd tagged "name" policy;` (PF tag policies, SADB_X_EXT_TAG). */
export interface SpdTaggedStatement extends StatementBase {
  kind: 'spdadd-tagged' | 'spdupdate-tagged';
  tag: string;
  policy: PolicySpec;
}

export interface BareStatement extends StatementBase {
  kind: 'spdflush' | 'spddump' | 'exit';
}

export type Statement =
  SaStatement | DeleteAllStatement | FlushDumpStatement | SpdStatement | SpdTaggedStatement | BareStatement;
