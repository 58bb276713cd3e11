// IKE SA transforms mapped to crypto/ algorithms, with the key, IV, block and ICV sizes the SK payload and the
// key derivation need: ENCR (RFC 7296 §3.3.2; RFC 5930 CTR, RFC 5282 GCM/CCM, RFC 7634 ChaCha20-Poly1305,
// RFC 5529 Camellia), INTEG (RFC 4868, RFC 3566, RFC 4494, RFC 2403/2404) and PRF (RFC 4868, RFC 4434, RFC 4615).
import type { AeadAlg, AuthAlg, CipherAlg } from '../../crypto/types.js';
import { aesCbc, camelliaCbc, tripleDesCbc } from '../../crypto/cbc.js';
import { aesCtr } from '../../crypto/ctr.js';
import { aesGcm8, aesGcm12, aesGcm16 } from '../../crypto/gcm.js';
import { aesCcm8, aesCcm12, aesCcm16, CCM_SALT_LEN } from '../../crypto/ccm.js';
import { chacha20Poly1305 } from '../../crypto/chacha20-poly1305.js';
import { hmacMd5, hmacSha1, hmacSha256, hmacSha384, hmacSha512 } from '../../crypto/hmac.js';
import { aesXcbcMac } from '../../crypto/xcbc.js';
import { aesCmac96 } from '../../crypto/cmac.js';
import { IKE_PRFS, type IkePrf } from '../../crypto/ike-prf.js';
import * as T from './transforms.js';

/** An IKE SA encryption transform with its key length fixed (strongSwan `crypter_t`/`aead_t`, iked `iked_cipher`). */
export interface IkeEncr {
  id: number; // IKEV2_ENCR_*
  name: string;
  /** Key Length attribute value in bits, or undefined for fixed-size ciphers (3DES, ChaCha20-Poly1305). */
  keyBits: number | undefined;
  /** Bytes of SK_ei / SK_er: the cipher key plus any salt or nonce (RFC 5930 §4, RFC 5282 §7.1, RFC 7634 §2). */
  keyLen: number;
  ivLen: number;
  /** The plaintext (payloads, padding, pad length) is padded to a multiple of this (§3.14). */
  blockSize: number;
  /** Set for combined modes: the SK payload then has no separate INTEG transform (RFC 5282 §8). */
  aead?: AeadAlg;
  cipher?: CipherAlg;
}

/** An IKE SA integrity transform (SK_ai / SK_ar). */
export interface IkeInteg {
  id: number; // IKEV2_AUTH_*
  name: string;
  keyLen: number;
  icvLen: number;
  alg: AuthAlg;
}

const AES_BITS = [128, 192, 256];

interface EncrSpec {
  name: string;
  bits: readonly number[] | undefined; // undefined: fixed size, no Key Length attribute allowed
  salt: number;
  ivLen: number;
  blockSize: number;
  cipher?: CipherAlg;
  aead?: AeadAlg;
  fixedKeyLen?: number;
}

const ENCR: ReadonlyMap<number, EncrSpec> = new Map<number, EncrSpec>([
  [
    T.IKEV2_ENCR_3DES,
    { name: '3des-cbc', bits: undefined, salt: 0, ivLen: 8, blockSize: 8, cipher: tripleDesCbc, fixedKeyLen: 24 },
  ],
  [T.IKEV2_ENCR_AES_CBC, { name: 'aes-cbc', bits: AES_BITS, salt: 0, ivLen: 16, blockSize: 16, cipher: aesCbc }],
  [
    T.IKEV2_ENCR_CAMELLIA_CBC,
    { name: 'camellia-cbc', bits: AES_BITS, salt: 0, ivLen: 16, blockSize: 16, cipher: camelliaCbc },
  ],
  // RFC 5930 §2-§4: AES-CTR as in ESP (RFC 3686), keyed with a 4-byte nonce after the AES key; no padding needed.
  [T.IKEV2_ENCR_AES_CTR, { name: 'aes-ctr', bits: AES_BITS, salt: 4, ivLen: 8, blockSize: 1, cipher: aesCtr }],
  // RFC 5282 §7.1: GCM keys carry a 4-byte salt, CCM keys a 3-byte one; the explicit IV is 8 bytes.
  [T.IKEV2_ENCR_AES_GCM_8, { name: 'aes-gcm-8', bits: AES_BITS, salt: 4, ivLen: 8, blockSize: 1, aead: aesGcm8 }],
  [T.IKEV2_ENCR_AES_GCM_12, { name: 'aes-gcm-12', bits: AES_BITS, salt: 4, ivLen: 8, blockSize: 1, aead: aesGcm12 }],
  [T.IKEV2_ENCR_AES_GCM_16, { name: 'aes-gcm-16', bits: AES_BITS, salt: 4, ivLen: 8, blockSize: 1, aead: aesGcm16 }],
  [
    T.IKEV2_ENCR_AES_CCM_8,
    { name: 'aes-ccm-8', bits: AES_BITS, salt: CCM_SALT_LEN, ivLen: 8, blockSize: 1, aead: aesCcm8 },
  ],
  [
    T.IKEV2_ENCR_AES_CCM_12,
    { name: 'aes-ccm-12', bits: AES_BITS, salt: CCM_SALT_LEN, ivLen: 8, blockSize: 1, aead: aesCcm12 },
  ],
  [
    T.IKEV2_ENCR_AES_CCM_16,
    { name: 'aes-ccm-16', bits: AES_BITS, salt: CCM_SALT_LEN, ivLen: 8, blockSize: 1, aead: aesCcm16 },
  ],
  // RFC 7634 §2, §4: a 256-bit key plus a 4-byte salt, and no Key Length attribute.
  [
    T.IKEV2_ENCR_CHACHA20_POLY1305,
    {
      name: 'chacha20-poly1305',
      bits: undefined,
      salt: 4,
      ivLen: 8,
      blockSize: 1,
      aead: chacha20Poly1305,
      fixedKeyLen: 32,
    },
  ],
]);

/**
 * The encryption transform `id` with Key Length `keyBits`, or undefined when unsupported or when the key length
 * is missing, not allowed, or not one the cipher has (§3.3.5: AES needs the attribute, 3DES must not have it).
 */
export function ikeEncr(id: number, keyBits?: number): IkeEncr | undefined {
  const s = ENCR.get(id);
  if (!s) return undefined;
  if (s.bits ? keyBits === undefined || !s.bits.includes(keyBits) : keyBits !== undefined) return undefined;
  const keyLen = (s.fixedKeyLen ?? keyBits! / 8) + s.salt;
  const e: IkeEncr = { id, name: s.name, keyBits, keyLen, ivLen: s.ivLen, blockSize: s.blockSize };
  if (s.aead) e.aead = s.aead;
  if (s.cipher) e.cipher = s.cipher;
  return e;
}

const INTEG: ReadonlyMap<number, [AuthAlg, number]> = new Map<number, [AuthAlg, number]>([
  [T.IKEV2_AUTH_HMAC_MD5_96, [hmacMd5, 16]], // RFC 2403: 128-bit key
  [T.IKEV2_AUTH_HMAC_SHA1_96, [hmacSha1, 20]], // RFC 2404: 160-bit key
  [T.IKEV2_AUTH_AES_XCBC_96, [aesXcbcMac, 16]], // RFC 3566
  [T.IKEV2_AUTH_AES_CMAC_96, [aesCmac96, 16]], // RFC 4494
  [T.IKEV2_AUTH_HMAC_SHA2_256_128, [hmacSha256, 32]], // RFC 4868 §2.1.1: key = output size
  [T.IKEV2_AUTH_HMAC_SHA2_384_192, [hmacSha384, 48]],
  [T.IKEV2_AUTH_HMAC_SHA2_512_256, [hmacSha512, 64]],
]);

export function ikeInteg(id: number): IkeInteg | undefined {
  const m = INTEG.get(id);
  if (!m) return undefined;
  const [alg, keyLen] = m;
  return { id, name: alg.name, keyLen, icvLen: alg.icvLen, alg };
}

const PRF: ReadonlyMap<number, IkePrf> = new Map<number, IkePrf>([
  [T.IKEV2_PRF_HMAC_MD5, IKE_PRFS['hmac-md5']],
  [T.IKEV2_PRF_HMAC_SHA1, IKE_PRFS['hmac-sha1']],
  [T.IKEV2_PRF_AES128_XCBC, IKE_PRFS['aes128-xcbc']],
  [T.IKEV2_PRF_HMAC_SHA2_256, IKE_PRFS['hmac-sha256']],
  [T.IKEV2_PRF_HMAC_SHA2_384, IKE_PRFS['hmac-sha384']],
  [T.IKEV2_PRF_HMAC_SHA2_512, IKE_PRFS['hmac-sha512']],
  [T.IKEV2_PRF_AES128_CMAC, IKE_PRFS['aes128-cmac']],
]);

export function ikePrf(id: number): IkePrf | undefined {
  return PRF.get(id);
}

/** The transform IDs this implementation can run for an IKE SA, by type (for proposals and NO_PROPOSAL_CHOSEN). */
export const SUPPORTED_IKE_ENCR: readonly number[] = [...ENCR.keys()];
export const SUPPORTED_IKE_INTEG: readonly number[] = [...INTEG.keys()];
export const SUPPORTED_IKE_PRF: readonly number[] = [...PRF.keys()];
