// The algorithm table setkey and racoon share: name -> PF_KEY id and accepted key lengths.
import {
  SADB_AALG_MD5HMAC,
  SADB_AALG_SHA1HMAC,
  SADB_EALG_3DESCBC,
  SADB_EALG_DESCBC,
  SADB_EALG_NULL,
  SADB_X_AALG_AES_XCBC_MAC,
  SADB_X_AALG_NULL,
  SADB_X_AALG_SHA2_256,
  SADB_X_AALG_SHA2_384,
  SADB_X_AALG_SHA2_512,
  SADB_X_CALG_DEFLATE,
  SADB_X_EALG_AESCBC,
  SADB_X_EALG_AESCTR,
  SADB_X_EALG_AESGCM12,
  SADB_X_EALG_AESGCM16,
  SADB_X_EALG_AESGCM8,
  SADB_X_EALG_AESGMAC,
  SADB_X_EALG_BLOWFISHCBC,
  SADB_X_EALG_CAMELLIACBC,
  SADB_X_EALG_CAST128CBC,
  SADB_X_EALG_CHACHA20POLY1305,
  SADB_X_EALG_RIJNDAELCBC,
  SADB_X_EALG_TWOFISHCBC,
} from './constants.js';

// Key lengths are what the kernel accepts in sadb_key_bits (NetBSD tests/net/ipsec/algorithms.sh and
// FreeBSD xform tables); AEAD and counter-mode keys include the 32-bit salt/nonce (RFC 3686, 4106, 4543, 7634).

export type AlgorithmKind = 'auth' | 'encrypt' | 'comp';

/** One setkey algorithm name and what the kernel accepts for it. */
export interface AlgorithmSpec {
  name: string; // setkey token
  kind: AlgorithmKind;
  id: number; // sadb_sa_auth / sadb_sa_encrypt value
  keyBits: readonly number[]; // every accepted sadb_key_bits value
  ivBytes: number; // sadb_alg_ivlen (encryption), 0 otherwise
  icvBits: number; // truncated ICV (auth) or AEAD tag; 0 if none
  rfc: string;
}

function alg(
  name: string,
  kind: AlgorithmKind,
  id: number,
  keyBits: number[],
  ivBytes: number,
  icvBits: number,
  rfc: string,
): AlgorithmSpec {
  return Object.freeze({ name, kind, id, keyBits: Object.freeze(keyBits), ivBytes, icvBits, rfc });
}

const AES_KEYS = [128, 192, 256];
const AES_SALTED_KEYS = [160, 224, 288]; // AES key + 4-byte salt or nonce

/** Every accepted setkey algorithm name (aliases are separate rows with the same id). */
export const ALGORITHMS: readonly AlgorithmSpec[] = Object.freeze([
  alg('null', 'encrypt', SADB_EALG_NULL, [0], 0, 0, 'RFC 2410'),
  alg('des-cbc', 'encrypt', SADB_EALG_DESCBC, [64], 8, 0, 'RFC 2405'),
  alg('3des-cbc', 'encrypt', SADB_EALG_3DESCBC, [192], 8, 0, 'RFC 2451'),
  alg('aes-cbc', 'encrypt', SADB_X_EALG_AESCBC, AES_KEYS, 16, 0, 'RFC 3602'),
  alg('rijndael-cbc', 'encrypt', SADB_X_EALG_RIJNDAELCBC, AES_KEYS, 16, 0, 'RFC 3602'),
  alg('aes-ctr', 'encrypt', SADB_X_EALG_AESCTR, AES_SALTED_KEYS, 8, 0, 'RFC 3686'),
  alg('aes-gcm-8', 'encrypt', SADB_X_EALG_AESGCM8, AES_SALTED_KEYS, 8, 64, 'RFC 4106'),
  alg('aes-gcm-12', 'encrypt', SADB_X_EALG_AESGCM12, AES_SALTED_KEYS, 8, 96, 'RFC 4106'),
  alg('aes-gcm-16', 'encrypt', SADB_X_EALG_AESGCM16, AES_SALTED_KEYS, 8, 128, 'RFC 4106'),
  alg('aes-gmac', 'encrypt', SADB_X_EALG_AESGMAC, AES_SALTED_KEYS, 8, 128, 'RFC 4543'),
  alg('chacha20-poly1305', 'encrypt', SADB_X_EALG_CHACHA20POLY1305, [288], 8, 128, 'RFC 7634'),
  alg('camellia-cbc', 'encrypt', SADB_X_EALG_CAMELLIACBC, AES_KEYS, 16, 0, 'RFC 4312'),
  alg('hmac-md5', 'auth', SADB_AALG_MD5HMAC, [128], 0, 96, 'RFC 2403'),
  alg('hmac-sha1', 'auth', SADB_AALG_SHA1HMAC, [160], 0, 96, 'RFC 2404'),
  alg('hmac-sha256', 'auth', SADB_X_AALG_SHA2_256, [256], 0, 128, 'RFC 4868'),
  alg('hmac-sha2-256', 'auth', SADB_X_AALG_SHA2_256, [256], 0, 128, 'RFC 4868'),
  alg('hmac-sha384', 'auth', SADB_X_AALG_SHA2_384, [384], 0, 192, 'RFC 4868'),
  alg('hmac-sha2-384', 'auth', SADB_X_AALG_SHA2_384, [384], 0, 192, 'RFC 4868'),
  alg('hmac-sha512', 'auth', SADB_X_AALG_SHA2_512, [512], 0, 256, 'RFC 4868'),
  alg('hmac-sha2-512', 'auth', SADB_X_AALG_SHA2_512, [512], 0, 256, 'RFC 4868'),
  alg('aes-xcbc-mac', 'auth', SADB_X_AALG_AES_XCBC_MAC, [128], 0, 96, 'RFC 3566'),
  alg('null', 'auth', SADB_X_AALG_NULL, [0], 0, 0, 'RFC 2410'),
  alg('deflate', 'comp', SADB_X_CALG_DEFLATE, [0], 0, 0, 'RFC 2394'),
]);

/** Legacy setkey names we recognise and refuse, with the reason setkey should print. */
export const REFUSED_ALGORITHMS: ReadonlyMap<string, { kind: AlgorithmKind; id: number; reason: string }> = new Map([
  [
    'blowfish-cbc',
    { kind: 'encrypt' as const, id: SADB_X_EALG_BLOWFISHCBC, reason: 'legacy 64-bit block cipher, not supported' },
  ],
  [
    'cast128-cbc',
    { kind: 'encrypt' as const, id: SADB_X_EALG_CAST128CBC, reason: 'legacy 64-bit block cipher, not supported' },
  ],
  [
    'twofish-cbc',
    { kind: 'encrypt' as const, id: SADB_X_EALG_TWOFISHCBC, reason: 'KAME-private algorithm, not supported' },
  ],
]);

/** Finds an algorithm by its setkey name; undefined if unknown or refused. */
export function lookupAlgorithm(kind: AlgorithmKind, name: string): AlgorithmSpec | undefined {
  return ALGORITHMS.find((a) => a.kind === kind && a.name === name);
}

/** Finds the first (canonical) algorithm row for a PF_KEY id. */
export function algorithmById(kind: AlgorithmKind, id: number): AlgorithmSpec | undefined {
  return ALGORITHMS.find((a) => a.kind === kind && a.id === id);
}

/** True when `bits` is an accepted key length for the algorithm. */
export function isKeyBitsAccepted(spec: AlgorithmSpec, bits: number): boolean {
  return spec.keyBits.includes(bits);
}

/** The sadb_alg min/max bits the kernel announces in SADB_REGISTER replies. */
export function keyBitsRange(spec: AlgorithmSpec): { minBits: number; maxBits: number } {
  return { minBits: Math.min(...spec.keyBits), maxBits: Math.max(...spec.keyBits) };
}
