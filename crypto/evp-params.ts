// OSSL_PARAM arrays (OSSL_PARAM(3)) laid out once in native memory, so that a per-packet
// EVP_CIPHER_CTX_set_params/get_params call takes a ready array: the AES-GCM nonce and tag go through
// them instead of EVP_CipherInit_ex and EVP_CIPHER_CTX_ctrl, which cost more per call in OpenSSL 3
// (docs/performance.md). Layout on LP64 (evp-lib.ts refuses other processes):
//   const char *key; unsigned int data_type; void *data; size_t data_size; size_t return_size;
import { endianness } from 'node:os';

const PARAM_BYTES = 40;
const KEY_MAX = 32;
/** <openssl/core.h> OSSL_PARAM_OCTET_STRING. */
const OSSL_PARAM_OCTET_STRING = 5;

/** OSSL_CIPHER_PARAM_AEAD_TAG: the tag to check (decrypt, set) or the tag computed (encrypt, get). */
export const PARAM_AEAD_TAG = 'tag';
/**
 * OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED with data_size (size_t)-1: "restores the whole IV" — the nonce is
 * copied as EVP_CipherInit_ex would and used from the next update (OpenSSL's
 * providers/implementations/ciphers/ciphercommon_gcm.c, gcm_tls_iv_set_fixed; the -1 case dates from
 * EVP_CTRL_GCM_SET_IV_FIXED in 1.0.1). GCM only: ChaCha20-Poly1305 gives the name another meaning.
 */
export const PARAM_GCM_WHOLE_IV = 'tlsivfixed';
/** data_size meaning "the whole IV" for PARAM_GCM_WHOLE_IV. */
export const WHOLE_IV = -1;

/** Native memory as evp-lib.ts allocates it (kept structural: evp-lib.ts imports this file). */
export interface ParamArea {
  addr: number;
  view: Uint8Array;
}

export interface ParamSpec {
  key: string;
  /** Native address of the value. */
  data: number;
  /** Bytes at `data`, or WHOLE_IV. */
  size: number;
}

/** An END-terminated OSSL_PARAM array of octet strings, its key strings stored after it in the same area. */
export function paramArray<A extends ParamArea>(e: { alloc(n: number): A }, specs: readonly ParamSpec[]): A {
  const strOff = (specs.length + 1) * PARAM_BYTES;
  const area = e.alloc(strOff + specs.length * KEY_MAX);
  const v = area.view;
  v.fill(0); // the END entry: key NULL
  const dv = new DataView(v.buffer, v.byteOffset, v.length);
  const le = endianness() === 'LE';
  const u64 = (off: number, x: bigint): void => dv.setBigUint64(off, BigInt.asUintN(64, x), le);
  specs.forEach((s, i) => {
    const keyOff = strOff + i * KEY_MAX;
    if (s.key.length >= KEY_MAX) throw new RangeError(`OSSL_PARAM key too long: ${s.key}`);
    for (let j = 0; j < s.key.length; j++) v[keyOff + j] = s.key.charCodeAt(j);
    const at = i * PARAM_BYTES;
    u64(at, BigInt(area.addr + keyOff));
    dv.setUint32(at + 8, OSSL_PARAM_OCTET_STRING, le);
    u64(at + 16, BigInt(s.data));
    u64(at + 24, BigInt(s.size));
  });
  return area;
}
