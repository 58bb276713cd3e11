// The security association record shared by the SAD and the transforms (KAME `struct secasvar`).
// The SAD (sad.ts) owns these objects; esp.ts, ah.ts and ipcomp.ts read keys/contexts and advance counters.
import type { CipherAlg, CipherCtx, AeadAlg, AeadCtx, AuthAlg, AuthCtx, CompAlg } from '../../crypto/types.js';
import type { ReplayWindow } from './replay.js';

export type IpsecProto = 'esp' | 'ah' | 'ipcomp';
export type IpsecMode = 'transport' | 'tunnel' | 'any';
/** KAME SADB_SASTATE_*: larval (GETSPI done), mature, dying (soft expired), dead (hard expired). */
export type SaState = 'larval' | 'mature' | 'dying' | 'dead';

/** One lifetime (RFC 2367 §2.3.3 sadb_lifetime): 0 means "no limit" for each field. */
export interface Lifetime {
  allocations: number;
  bytes: number;
  addtimeSec: number;
  usetimeSec: number;
}

/** RFC 3948 ESP-in-UDP parameters (KAME SADB_X_EXT_NAT_T_*). */
export interface NatT {
  sport: number;
  dport: number;
  /** Original addresses for transport-mode checksum fix-up (RFC 3948 §3.1.2), if known. */
  oai?: Uint8Array;
  oar?: Uint8Array;
}

export interface SecAssoc {
  spi: number; // host order; for IPComp the CPI
  proto: IpsecProto;
  mode: IpsecMode;
  src: Uint8Array; // 4 or 16 bytes
  dst: Uint8Array;
  reqid: number;
  state: SaState;
  /** Extended (64-bit) sequence numbers, RFC 4303 §2.2.1. */
  esn: boolean;
  /** Replay window in packets; 0 disables anti-replay. */
  replayBits: number;
  replay: ReplayWindow;
  /** Outbound sequence counter (64-bit as hi/lo 32-bit halves); the last number sent. */
  seqOutHi: number;
  seqOutLo: number;
  /** KAME SADB_X_EXT_CYCSEQ: allow the 32-bit counter to wrap (without ESN) instead of refusing. */
  cyclicSeq: boolean;

  encAlg?: CipherAlg | AeadAlg;
  encKey?: Uint8Array;
  authAlg?: AuthAlg;
  authKey?: Uint8Array;
  compAlg?: CompAlg;
  cipher?: CipherCtx;
  aead?: AeadCtx;
  auth?: AuthCtx;

  /** TFC padding (RFC 4303 §2.7): pad the inner payload up to this many bytes; 0 = off. */
  tfcPadTo: number;
  natt?: NatT;

  hard: Lifetime;
  soft: Lifetime;
  current: Lifetime; // allocations, bytes, addtime (sec since epoch), usetime (first use, sec since epoch)
  /** Owner PF_KEY socket id for larval SAs (GETSPI -> UPDATE), 0 if none. */
  ownerPid: number;
  seq: number; // sadb_msg_seq of the message that created it
  /** KAME sadb_sa_flags (SADB_X_EXT_*: CYCSEQ 0x40, RAWCPI 0x80, ...) as given to ADD/UPDATE. */
  flags?: number;
}
