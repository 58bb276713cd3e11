// The security association record shared by the SAD and the transforms (KAME `struct secasvar`).
// The SAD (sad.ts) owns these objects; esp.ts, ah.ts and ipcomp.ts read keys/contexts and advance counters.
import type { CipherAlg, CipherCtx, AeadAlg, AeadCtx, AuthAlg, AuthCtx, CompAlg } from '../../crypto/types.js';
import { ReplayWindow } from './replay.js';

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
  /** 4 or 16 bytes; the SAD shares one array among the SAs naming an address: never write into it. */
  src: Uint8Array;
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

/**
 * The SAD's own SA record (issue 11 item 14: memory per SA). Every field is declared here, so the object
 * has one fixed shape and no overflow property store; both keys live in one buffer whose views are made
 * when first read (an SA that never carries a packet or reaches a dump never makes them); the replay
 * window is made on the first packet that needs it. Objects built elsewhere (tests, transforms alone) may
 * still be plain SecAssoc literals.
 */
export class SaRecord implements SecAssoc {
  state: SaState = 'larval';
  esn = false;
  replayBits = 0;
  seqOutHi = 0;
  seqOutLo = 0;
  cyclicSeq = false;
  encAlg: CipherAlg | AeadAlg | undefined = undefined;
  authAlg: AuthAlg | undefined = undefined;
  compAlg: CompAlg | undefined = undefined;
  cipher: CipherCtx | undefined = undefined;
  aead: AeadCtx | undefined = undefined;
  auth: AuthCtx | undefined = undefined;
  tfcPadTo = 0;
  natt: NatT | undefined = undefined;
  flags: number | undefined = undefined;
  /** Encryption key then authentication key; encLen -1: no encryption key, authLen -1: none. */
  private keyBytes: Uint8Array | undefined = undefined;
  private encLen = -1;
  private authLen = -1;
  private encView: Uint8Array | undefined = undefined;
  private authView: Uint8Array | undefined = undefined;
  private replayState: ReplayWindow | undefined = undefined;

  constructor(
    public spi: number,
    public proto: IpsecProto,
    public mode: IpsecMode,
    public src: Uint8Array,
    public dst: Uint8Array,
    public reqid: number,
    public hard: Lifetime,
    public soft: Lifetime,
    public current: Lifetime,
    public ownerPid: number,
    public seq: number,
  ) {}

  get encKey(): Uint8Array | undefined {
    if (this.encLen < 0 || !this.keyBytes) return undefined;
    return (this.encView ??= this.keyBytes.subarray(0, this.encLen));
  }
  get authKey(): Uint8Array | undefined {
    if (this.authLen < 0 || !this.keyBytes) return undefined;
    return (this.authView ??= this.keyBytes.subarray(this.encLen < 0 ? 0 : this.encLen));
  }

  /** Copies the keys in (undefined: the SA has no such key); the old ones are wiped. */
  setKeys(enc: Uint8Array | undefined, auth: Uint8Array | undefined): void {
    this.wipeKeys();
    const e = enc?.length ?? 0;
    const bytes = new Uint8Array(e + (auth?.length ?? 0));
    if (enc) bytes.set(enc);
    if (auth) bytes.set(auth, e);
    this.keyBytes = bytes;
    this.encLen = enc ? e : -1;
    this.authLen = auth ? auth.length : -1;
    this.encView = this.authView = undefined;
  }

  /** Zero-fills the keys (the views share the buffer). */
  wipeKeys(): void {
    this.keyBytes?.fill(0);
  }

  get replay(): ReplayWindow {
    return (this.replayState ??= new ReplayWindow(this.replayBits, this.esn));
  }
  set replay(r: ReplayWindow) {
    this.replayState = r;
  }

  /** A new window for replayBits/esn, made when first used. */
  resetReplay(): void {
    this.replayState = undefined;
  }
}
