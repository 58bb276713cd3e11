// The IKEv2 pseudo-random functions (RFC 7296 §3.3.2 Transform Type 2): HMAC-MD5/SHA1 (RFC 2104),
// HMAC-SHA2-256/384/512 (RFC 4868 §2.1.2), AES-XCBC-PRF-128 (RFC 4434) and AES-CMAC-PRF-128 (RFC 4615).
// The two AES PRFs take a key of any length and normalise it first, each by its own RFC's rule.
import type { Backend } from './types.js';
import { createHmacPrf, type PrfHash } from './hmac.js';
import { aesXcbc128 } from './xcbc.js';
import { aesCmac } from './cmac.js';

export type IkePrfName =
  'hmac-md5' | 'hmac-sha1' | 'hmac-sha256' | 'hmac-sha384' | 'hmac-sha512' | 'aes128-xcbc' | 'aes128-cmac';

/** A PRF as IKEv2 uses it (strongSwan `prf_t`, iked `struct iked_hash` for prf). */
export interface IkePrf {
  name: IkePrfName;
  /** Output bytes of one call. */
  outputLen: number;
  /** The preferred key length: SK_d, SK_pi and SK_pr have this many bytes (RFC 7296 §2.14). */
  keyLen: number;
  /**
   * A fixed-key PRF (the AES ones): SKEYSEED is then keyed with the first 64 bits of Ni and of Nr
   * (RFC 7296 §2.14), and other keys of another length are normalised by the PRF's RFC.
   */
  fixedKey: boolean;
  /** prf(key, parts[0] | parts[1] | ...). */
  compute(key: Uint8Array, parts: readonly Uint8Array[], backend?: Backend): Uint8Array;
}

function hmacPrf(name: IkePrfName, hash: PrfHash, len: number): IkePrf {
  return {
    name,
    outputLen: len,
    keyLen: len, // RFC 4868 §2.1.2 / RFC 7296 §2.14: the HMAC PRFs' preferred key size is their output size
    fixedKey: false,
    compute(key, parts, backend = 'node') {
      const ctx = createHmacPrf(hash, key, backend);
      const out = new Uint8Array(len);
      try {
        ctx.mac(parts, out, 0);
      } finally {
        ctx.wipe();
      }
      return out;
    },
  };
}

const ZERO_KEY = new Uint8Array(16);

/**
 * RFC 4434 §2: a shorter key is padded with zero bits to 128, a longer one is replaced by
 * AES-XCBC-MAC(0^128, key); a 128-bit key is used as it is.
 */
function xcbcKey(key: Uint8Array, backend: Backend): Uint8Array {
  if (key.length === 16) return key;
  if (key.length < 16) {
    const k = new Uint8Array(16);
    k.set(key);
    return k;
  }
  return aesXcbc128(ZERO_KEY, [key], backend);
}

/** RFC 4615 §3: any key that is not 128 bits long (shorter or longer) becomes AES-CMAC(0^128, key). */
function cmacKey(key: Uint8Array, backend: Backend): Uint8Array {
  return key.length === 16 ? key : aesCmac(ZERO_KEY, [key], backend);
}

function aesPrf(name: IkePrfName, normalise: typeof xcbcKey, mac: typeof aesXcbc128): IkePrf {
  return {
    name,
    outputLen: 16,
    keyLen: 16,
    fixedKey: true,
    compute(key, parts, backend = 'node') {
      const k = normalise(key, backend);
      try {
        return mac(k, parts, backend);
      } finally {
        if (k !== key) k.fill(0);
      }
    },
  };
}

export const IKE_PRFS: Readonly<Record<IkePrfName, IkePrf>> = {
  'hmac-md5': hmacPrf('hmac-md5', 'md5', 16),
  'hmac-sha1': hmacPrf('hmac-sha1', 'sha1', 20),
  'hmac-sha256': hmacPrf('hmac-sha256', 'sha256', 32),
  'hmac-sha384': hmacPrf('hmac-sha384', 'sha384', 48),
  'hmac-sha512': hmacPrf('hmac-sha512', 'sha512', 64),
  'aes128-xcbc': aesPrf('aes128-xcbc', xcbcKey, aesXcbc128),
  'aes128-cmac': aesPrf('aes128-cmac', cmacKey, aesCmac),
};

/** The PRF named `name` (IkePrfName); undefined for any other string. */
export function findIkePrf(name: string): IkePrf | undefined {
  return Object.hasOwn(IKE_PRFS, name) ? IKE_PRFS[name as IkePrfName] : undefined;
}
