// The NULL algorithms: ESP NULL encryption (RFC 2410) and the NULL integrity algorithm (no ICV).
import type { AuthAlg, AuthCtx, CipherAlg, CipherCtx } from './types.js';
import { checkKeyLength, pickBackend } from './errors.js';

const nullCipherCtx: CipherCtx = {
  encrypt(): void {},
  decrypt(): void {},
  wipe(): void {},
};

/** RFC 2410: no key, no IV, identity transform; ESP still aligns to 4 bytes (RFC 4303 §2.4). */
export const nullCipher: CipherAlg = {
  kind: 'cipher',
  name: 'null',
  aliases: ['null-enc', 'enc-null', 'null_enc'], // null_enc: racoon.conf
  keyBits: [0],
  blockSize: 4,
  ivLen: 0,
  ivKind: 'none',
  backends: ['node'],
  create(key: Uint8Array, backend?): CipherCtx {
    checkKeyLength('null', key, this.keyBits);
    pickBackend('null', this.backends, backend);
    return nullCipherCtx;
  },
};

const nullAuthCtx: AuthCtx = {
  mac(): void {},
  verify(_parts: readonly Uint8Array[], icv: Uint8Array): boolean {
    return icv.length === 0;
  },
  wipe(): void {},
};

/** KAME SADB_X_AALG_NULL: an empty ICV (only meaningful with ESP encryption). */
export const nullAuth: AuthAlg = {
  kind: 'auth',
  name: 'null',
  aliases: ['auth-null', 'non_auth'], // non_auth: racoon.conf
  keyBits: [0],
  icvLen: 0,
  backends: ['node'],
  create(key: Uint8Array, backend?): AuthCtx {
    checkKeyLength('null', key, this.keyBits);
    pickBackend('null', this.backends, backend);
    return nullAuthCtx;
  },
};
