// Neutral, typed views of one SAD entry and one SPD entry: what `setkey -D` / `-DP` print.
// Fields carry PF_KEY wire values (RFC 2367 + KAME extensions) so a decoded SADB_DUMP / SADB_X_SPDDUMP
// message maps onto them one to one (see from-pfkey.ts); print.ts turns them into ipsec-tools text.

/** A u64 counter from a sadb_lifetime (bigint when decoded from the wire, number in tests). */
export type U64 = number | bigint;

/** sadb_lifetime: allocations, bytes, addtime and usetime (seconds; epoch times in CURRENT). */
export interface LifetimeView {
  allocations: number;
  bytes: U64;
  addtime: U64;
  usetime: U64;
}

export interface SaEndpointView {
  addr: Uint8Array; // 4 or 16 bytes
  port: number; // sockaddr port (0 = none)
  /** sadb_address_proto (255 for SAs set by setkey); only the -l short form prints it. */
  proto?: number;
}

/** One SA (KAME `secasvar`) as carried by SADB_DUMP / SADB_GET replies. */
export interface SaView {
  satype: number; // sadb_msg_satype
  src: SaEndpointView;
  dst: SaEndpointView;
  spi: number; // host order
  mode: number; // sadb_x_sa2_mode: 0 any, 1 transport, 2 tunnel
  reqid: number;
  seq: number; // sadb_x_sa2_sequence
  state: number; // SADB_SASTATE_*
  encAlg: number; // sadb_sa_encrypt (the compression id for IPComp)
  authAlg: number; // sadb_sa_auth
  encKey?: Uint8Array; // SADB_EXT_KEY_ENCRYPT bits present
  authKey?: Uint8Array;
  replay: number; // sadb_sa_replay
  flags: number; // sadb_sa_flags
  natt?: { type: number; sport?: number; dport?: number; oa?: Uint8Array };
  current?: LifetimeView;
  hard?: LifetimeView;
  soft?: LifetimeView;
  secCtx?: { doi: number; alg: number; text: string };
  msgSeq: number; // sadb_msg_seq (dumps count down to 0)
  pid: number; // sadb_msg_pid
  refcnt: number; // sadb_msg_reserved
}

export interface SelectorView {
  addr: Uint8Array;
  prefixLen: number;
  port: number; // 0 = any; ICMP type / code for ICMP selectors
}

/** One sadb_x_ipsecrequest. */
export interface RequestView {
  proto: number; // IPPROTO_ESP 50, IPPROTO_AH 51, IPPROTO_IPCOMP 108
  mode: number; // 0 any, 1 transport, 2 tunnel
  level: number; // IPSEC_LEVEL_DEFAULT 0, USE 1, REQUIRE 2, UNIQUE 3
  reqid: number;
  src?: { addr: Uint8Array; port: number };
  dst?: { addr: Uint8Array; port: number };
}

/** One SP (KAME `secpolicy`) as carried by SADB_X_SPDDUMP replies. */
export interface PolicyView {
  /** Absent for per-socket policies, which carry no selector. */
  src?: SelectorView;
  dst?: SelectorView;
  upperProto: number; // sadb_address_proto (255 = any)
  tag?: string; // SADB_X_EXT_TAG
  dir: number; // IPSEC_DIR_ANY 0, INBOUND 1, OUTBOUND 2, FWD 3
  type: number; // IPSEC_POLICY_DISCARD 0, NONE 1, IPSEC 2, ENTRUST 3, BYPASS 4
  priority: number; // sadb_x_policy_priority (0 = not used)
  id: number; // sadb_x_policy_id (spid)
  requests: RequestView[];
  current?: LifetimeView; // addtime = created, usetime = lastused
  hard?: LifetimeView; // addtime = lifetime, usetime = validtime
  secCtx?: { doi: number; alg: number; text: string };
  msgSeq: number;
  pid: number;
  refcnt: number;
}
