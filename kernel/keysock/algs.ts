// The kernel's algorithm table as PF_KEY shows it: crypto/registry.ts algorithms mapped to sadb_sa_auth /
// sadb_sa_encrypt ids (pfkey/constants.ts), the SUPPORTED_AUTH/ENCRYPT lists of a REGISTER reply
// (RFC 2367 §2.3.8) and the PROPOSAL combinations of an ACQUIRE (RFC 2367 §2.3.7, KAME key_getprop).
import * as C from '../../pfkey/constants.js';
import { type AlgorithmKind, lookupAlgorithm } from '../../pfkey/algorithms.js';
import type { SadbAlg, SadbComb, SadbProp } from '../../pfkey/index.js';
import { AUTH_ALGS, COMP_ALGS, ENC_ALGS } from '../../crypto/registry.js';
import type { IpsecProto } from '../sad/secassoc.js';

/** KAME key_getcomb_*: default hard lifetime of proposed SAs (seconds), soft at PFKEY_SOFT_LIFETIME_RATE %. */
export const PROPOSAL_HARD_ADDTIME_SEC = 86400;

interface Named {
  name: string;
  aliases: readonly string[];
  keyBits?: readonly number[];
  ivLen?: number;
}

/** Ids the constants table does not name by a crypto alias. */
const EXTRA_IDS: Record<string, number> = { 'hmac-ripemd160': C.SADB_X_AALG_RIPEMD160HMAC };

function idOf(kind: AlgorithmKind, a: Named): number | undefined {
  for (const n of [a.name, ...a.aliases]) {
    const row = lookupAlgorithm(kind, n);
    if (row) return row.id;
  }
  return EXTRA_IDS[a.name];
}

interface AlgRow {
  id: number;
  name: string;
  minBits: number;
  maxBits: number;
  ivLen: number;
  aead: boolean;
}

function rows(kind: AlgorithmKind, algs: readonly (Named & { kind?: string })[]): AlgRow[] {
  const out: AlgRow[] = [];
  for (const a of algs) {
    const id = idOf(kind, a);
    if (id === undefined || out.some((r) => r.id === id)) continue;
    const bits = a.keyBits ?? [0];
    out.push({
      id,
      name: a.name,
      minBits: Math.min(...bits),
      maxBits: Math.max(...bits),
      ivLen: a.ivLen ?? 0,
      aead: a.kind === 'aead',
    });
  }
  return out;
}

const ENC_ROWS = rows('encrypt', ENC_ALGS);
const AUTH_ROWS = rows('auth', AUTH_ALGS);
const COMP_ROWS = rows('comp', COMP_ALGS);
const ENC_BY_ID = new Map(ENC_ROWS.map((r) => [r.id, r]));
const AUTH_BY_ID = new Map(AUTH_ROWS.map((r) => [r.id, r]));
const COMP_BY_ID = new Map(COMP_ROWS.map((r) => [r.id, r]));
const ENC_BY_NAME = new Map(ENC_ROWS.map((r) => [r.name, r]));
const AUTH_BY_NAME = new Map(AUTH_ROWS.map((r) => [r.name, r]));
const COMP_BY_NAME = new Map(COMP_ROWS.map((r) => [r.name, r]));

/** The crypto registry name for a sadb_sa_encrypt id (ESP), or undefined when the kernel lacks it. */
export function encNameOf(id: number): string | undefined {
  return ENC_BY_ID.get(id)?.name;
}
export function authNameOf(id: number): string | undefined {
  return AUTH_BY_ID.get(id)?.name;
}
export function compNameOf(id: number): string | undefined {
  return COMP_BY_ID.get(id)?.name;
}

/** The PF_KEY id of a crypto registry algorithm name (canonical names, as SecAssoc holds them). */
export function encIdOf(name: string): number {
  return ENC_BY_NAME.get(name)?.id ?? C.SADB_EALG_NONE;
}
export function authIdOf(name: string): number {
  return AUTH_BY_NAME.get(name)?.id ?? C.SADB_AALG_NONE;
}
export function compIdOf(name: string): number {
  return COMP_BY_NAME.get(name)?.id ?? C.SADB_X_CALG_NONE;
}

/** True when the key length is one the kernel accepts for that algorithm (xform_init's check). */
export function keyBitsOk(kind: AlgorithmKind, id: number, bits: number): boolean {
  const r = kind === 'encrypt' ? ENC_BY_ID.get(id) : kind === 'auth' ? AUTH_BY_ID.get(id) : COMP_BY_ID.get(id);
  return r !== undefined && bits >= r.minBits && bits <= r.maxBits;
}

/** SADB_EXT_SUPPORTED_AUTH: every integrity algorithm with its key sizes in bits. */
export function supportedAuth(): SadbAlg[] {
  return AUTH_ROWS.map((r) => ({ id: r.id, ivlen: 0, minbits: r.minBits, maxbits: r.maxBits }));
}

/** SADB_EXT_SUPPORTED_ENCRYPT: every cipher (ivlen in bytes, key sizes in bits). */
export function supportedEncrypt(): SadbAlg[] {
  return ENC_ROWS.map((r) => ({ id: r.id, ivlen: r.ivLen, minbits: r.minBits, maxbits: r.maxBits }));
}

function comb(auth: AlgRow | undefined, enc: AlgRow | undefined): SadbComb {
  const hard = BigInt(PROPOSAL_HARD_ADDTIME_SEC);
  return {
    auth: auth?.id ?? C.SADB_AALG_NONE,
    encrypt: enc?.id ?? C.SADB_EALG_NONE,
    flags: 0,
    authMinbits: auth?.minBits ?? 0,
    authMaxbits: auth?.maxBits ?? 0,
    encryptMinbits: enc?.minBits ?? 0,
    encryptMaxbits: enc?.maxBits ?? 0,
    softAllocations: 0,
    hardAllocations: 0,
    softBytes: 0n,
    hardBytes: 0n,
    softAddtime: (hard * BigInt(C.PFKEY_SOFT_LIFETIME_RATE)) / 100n,
    hardAddtime: hard,
    softUsetime: 0n,
    hardUsetime: 0n,
  };
}

/**
 * The PROPOSAL of an ACQUIRE (KAME key_getprop): for ESP every cipher with every integrity algorithm
 * (combined-mode ciphers alone), for AH every integrity algorithm, for IPComp every compressor. Null
 * algorithms are left out, as KAME leaves out what it would not propose.
 */
export function proposalFor(proto: IpsecProto): SadbProp {
  const combs: SadbComb[] = [];
  const auths = AUTH_ROWS.filter((a) => a.id !== C.SADB_X_AALG_NULL);
  if (proto === 'ah') for (const a of auths) combs.push(comb(a, undefined));
  if (proto === 'ipcomp') for (const c of COMP_ROWS) combs.push({ ...comb(undefined, undefined), encrypt: c.id });
  if (proto === 'esp') {
    for (const e of ENC_ROWS) {
      if (e.id === C.SADB_EALG_NULL) continue;
      if (e.aead) combs.push(comb(undefined, e));
      else for (const a of auths) combs.push(comb(a, e));
    }
  }
  return { replay: C.IPSEC_REPLAYWSIZE, combs };
}
