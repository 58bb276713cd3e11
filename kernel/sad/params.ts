// What PF_KEY ADD/UPDATE/GETSPI ask of the SAD, already decoded (KAME key_setsaval, key_getspi), and the
// validation that turns them into an SA's algorithms, keys, replay window, flags and lifetimes (KAME
// key_setsaval + key_mature). Everything KAME refuses is an ErrnoError EINVAL, thrown before the SA changes.
import { ErrnoError } from '../../common/errors.js';
import { findAuthAlg, findCompAlg, findEncAlg } from '../../crypto/registry.js';
import { checkKeyLength } from '../../crypto/errors.js';
import type { Backend } from '../../crypto/types.js';
import { SADB_X_EXT_CYCSEQ, SADB_X_EXT_RAWCPI } from '../../pfkey/constants.js';
import { REPLAY_MAX_BITS } from './replay.js';
import { SaRecord, type IpsecMode, type IpsecProto, type Lifetime, type NatT } from './secassoc.js';

/** RFC 3173 §2.2: CPIs are 16 bits; 0..255 are the well-known (IANA) ones. */
export const IPCOMP_CPI_MAX = 0xffff;

/** What ADD/UPDATE carry (the SA, SA2, KEY, LIFETIME and NAT-T extensions, already decoded). */
export interface SaParams {
  spi: number;
  proto: IpsecProto;
  mode?: IpsecMode;
  src: Uint8Array;
  dst: Uint8Array;
  reqid?: number;
  /** Algorithm names as setkey writes them (crypto/registry.ts). */
  encAlg?: string;
  encKey?: Uint8Array;
  authAlg?: string;
  authKey?: Uint8Array;
  compAlg?: string;
  replayBits?: number;
  esn?: boolean;
  /** KAME sadb_sa_flags (SADB_X_EXT_*). CYCSEQ sets cyclicSeq. */
  flags?: number;
  cyclicSeq?: boolean;
  tfcPadTo?: number;
  hard?: Partial<Lifetime>;
  soft?: Partial<Lifetime>;
  natt?: NatT;
  /** sadb_msg_pid of the sender (UPDATE must come from the GETSPI caller). */
  pid?: number;
  /** sadb_msg_seq. */
  seq?: number;
  /** Crypto implementation for the contexts (default: the algorithm's first available one, `evp` where the node binary exports OpenSSL). For tests and benches. */
  backend?: Backend;
}

/** GETSPI: a larval SA for (proto, src, dst[, mode, reqid]) with an SPI picked in [min, max]. */
export interface GetSpiParams {
  proto: IpsecProto;
  src: Uint8Array;
  dst: Uint8Array;
  mode?: IpsecMode;
  reqid?: number;
  min?: number;
  max?: number;
  pid: number;
  seq?: number;
  natt?: NatT;
}

/** "No limit": one frozen object shared by every SA without a hard or soft lifetime (issue 11 item 14). */
const ZERO_LIFETIME: Lifetime = Object.freeze({ allocations: 0, bytes: 0, addtimeSec: 0, usetimeSec: 0 });

/** A full lifetime from the fields PF_KEY gave (the others 0: no limit); the shared one when all are 0. */
export function lifetimeOf(l: Partial<Lifetime> | undefined): Lifetime {
  if (!l || Object.values(l).every((v) => !v)) return ZERO_LIFETIME;
  return { ...ZERO_LIFETIME, ...l };
}

/** EINVAL unless both addresses are IPv4 or both IPv6. */
export function checkAddrs(src: Uint8Array, dst: Uint8Array): void {
  if ((src.length !== 4 && src.length !== 16) || src.length !== dst.length) {
    throw new ErrnoError('EINVAL', 'src and dst must both be IPv4 or both IPv6');
  }
}

/** A new larval SA record (no algorithms, no keys) for GETSPI, or for ADD to fill in; src and dst are kept, not copied. */
export function larvalSa(
  proto: IpsecProto,
  mode: IpsecMode,
  src: Uint8Array,
  dst: Uint8Array,
  reqid: number,
  spi: number,
  pid: number,
  seq: number,
  nowSec: number,
): SaRecord {
  const current = { allocations: 0, bytes: 0, addtimeSec: nowSec, usetimeSec: 0 };
  const none = lifetimeOf(undefined);
  return new SaRecord(spi, proto, mode, src, dst, reqid, none, none, current, pid, seq);
}

/**
 * Validates and copies ADD/UPDATE parameters into a larval SA (KAME key_setsaval + key_mature). Throws
 * ErrnoError EINVAL on anything KAME refuses. Crypto contexts are created on the SA's first packet
 * (ipsec/esp-crypto.ts ensureContexts, ipsec/ah.ts), not here: they are most of an SA's memory (issue 11
 * item 14), and many SAs (a hub's, a flood of ADDs) never carry a packet.
 */
export function applyParams(sa: SaRecord, p: SaParams): void {
  if (sa.proto !== 'ipcomp' && sa.spi <= 0xff)
    throw new ErrnoError('EINVAL', 'SPIs 0..255 are reserved (RFC 4303 §2.1)');
  const flags = p.flags ?? 0;
  if (sa.proto === 'ipcomp' && !(flags & SADB_X_EXT_RAWCPI) && sa.spi > IPCOMP_CPI_MAX) {
    throw new ErrnoError('EINVAL', 'IPComp CPI must fit in 16 bits (RFC 3173 §2.2)');
  }
  const replayBits = p.replayBits ?? 0;
  if (!Number.isInteger(replayBits) || replayBits < 0 || replayBits > REPLAY_MAX_BITS)
    throw new ErrnoError('EINVAL', `replay window ${replayBits}`);
  setAlgorithms(sa, p);
  sa.esn = p.esn === true;
  sa.replayBits = replayBits;
  sa.resetReplay(); // made on the first inbound packet (ipsec/esp.ts, ah.ts)
  sa.flags = flags;
  sa.cyclicSeq = p.cyclicSeq ?? (flags & SADB_X_EXT_CYCSEQ) !== 0;
  sa.tfcPadTo = p.tfcPadTo ?? 0;
  sa.hard = lifetimeOf(p.hard);
  sa.soft = lifetimeOf(p.soft);
  if (p.natt) sa.natt = { ...p.natt };
}

/**
 * The SA's algorithms and keys, key lengths checked as the contexts would. Contexts are made here only when
 * the caller picks a back-end (tests comparing implementations); otherwise on first use.
 */
function setAlgorithms(sa: SaRecord, p: SaParams): void {
  try {
    if (sa.proto === 'ipcomp') {
      if (p.encAlg || p.authAlg || p.encKey?.length || p.authKey?.length)
        throw new ErrnoError('EINVAL', 'IPComp takes no keys');
      if (!p.compAlg) throw new ErrnoError('EINVAL', 'IPComp needs a compression algorithm');
      sa.compAlg = findCompAlg(p.compAlg);
      return;
    }
    if (p.compAlg) throw new ErrnoError('EINVAL', `${sa.proto.toUpperCase()} takes no compression algorithm`);
    if (sa.proto === 'ah') {
      if (p.encAlg || p.encKey?.length) throw new ErrnoError('EINVAL', 'AH takes no encryption algorithm');
      if (!p.authAlg) throw new ErrnoError('EINVAL', 'AH needs an authentication algorithm');
    } else if (!p.encAlg) {
      throw new ErrnoError('EINVAL', 'ESP needs an encryption algorithm (null for none)');
    }
    const none = new Uint8Array(0);
    const encKey = p.encAlg ? (p.encKey ?? none) : undefined;
    const authKey = p.authAlg ? (p.authKey ?? none) : undefined;
    if (p.encAlg) {
      const alg = findEncAlg(p.encAlg);
      if (alg.kind === 'aead' && p.authAlg && p.authAlg !== 'null')
        throw new ErrnoError('EINVAL', `${alg.name} is combined mode: no -A`);
      checkKeyLength(alg.name, encKey!, alg.keyBits);
      sa.encAlg = alg;
    }
    if (p.authAlg) {
      const auth = findAuthAlg(p.authAlg);
      checkKeyLength(auth.name, authKey!, auth.keyBits);
      sa.authAlg = auth;
    }
    // Both keys in one buffer, views made when read (issue 11 item 14).
    sa.setKeys(encKey, authKey);
    if (p.backend && sa.encAlg?.kind === 'aead') sa.aead = sa.encAlg.create(sa.encKey!, p.backend);
    else if (p.backend && sa.encAlg?.kind === 'cipher') sa.cipher = sa.encAlg.create(sa.encKey!, p.backend);
    if (p.backend && sa.authAlg) sa.auth = sa.authAlg.create(sa.authKey!, p.backend);
  } catch (err) {
    sa.wipeKeys();
    if (err instanceof ErrnoError) throw err;
    throw new ErrnoError('EINVAL', (err as Error).message);
  }
}
