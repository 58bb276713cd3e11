// The ISAKMP (phase 1) ciphers: DES, 3DES and AES-CBC (RFC 2409 App. A, RFC 3602 §5 for AES in IKE), over
// the ESP cipher registry. IKE pads and chains IVs itself (RFC 2409 App. B), so these are raw CBC calls.
import { findEncAlg } from './registry.js';
import type { CipherAlg } from './types.js';

/** A phase 1 cipher with its key length fixed (racoon `struct enc_algorithm` plus the negotiated keylen). */
export interface IkeCipher {
  name: string;
  /** Key bytes (the Appendix B expansion target). */
  keyLen: number;
  blockSize: number;
  encrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array;
  decrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array;
}

export type IkeCipherName = 'des' | '3des' | 'aes';

const REGISTRY_NAME: Readonly<Record<IkeCipherName, string>> = { des: 'des-cbc', '3des': '3des-cbc', aes: 'aes-cbc' };

/** The cipher for `name` with a key of `keyBits` (AES: 128/192/256; DES/3DES fixed at 64/192). */
export function ikeCipher(name: IkeCipherName, keyBits?: number): IkeCipher {
  const alg = findEncAlg(REGISTRY_NAME[name]) as CipherAlg;
  const bits = name === 'aes' ? (keyBits ?? 128) : alg.keyBits[0]!;
  if (!alg.keyBits.includes(bits))
    throw new RangeError(`${name}: key length ${bits} not one of ${alg.keyBits.join(', ')}`);
  const run = (dir: 'encrypt' | 'decrypt', key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array => {
    if (data.length % alg.blockSize !== 0)
      throw new RangeError(`${name}: ${data.length} bytes is not a multiple of ${alg.blockSize}`);
    const ctx = alg.create(key);
    const out = Uint8Array.from(data);
    try {
      ctx[dir](iv, out, 0, out.length);
    } finally {
      ctx.wipe();
    }
    return out;
  };
  return {
    name,
    keyLen: bits / 8,
    blockSize: alg.blockSize,
    encrypt: (key, iv, data) => run('encrypt', key, iv, data),
    decrypt: (key, iv, data) => run('decrypt', key, iv, data),
  };
}
