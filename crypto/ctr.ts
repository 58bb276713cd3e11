// AES-CTR for ESP (RFC 3686). The key string is the AES key followed by a 4-byte nonce; each packet's
// counter block is nonce(4) || IV(8) || block counter(4), the counter starting at 1 (RFC 3686 §4).
import { createCipheriv } from 'node:crypto';
import { ctr as nobleCtr } from '@noble/ciphers/aes.js';
import type { Backend, CipherAlg, CipherCtx } from './types.js';
import { putU32 } from '../common/bytes.js';
import { assertLive, checkKeyLength, checkRange, pickBackend } from './errors.js';
import { nobleInPlace } from './noble-inplace.js';

const NAME = 'aes-ctr';
const NONCE_LEN = 4;
const IV_LEN = 8;
const KEY_BITS = [160, 224, 288]; // AES-128/192/256 + 32-bit nonce (RFC 3686 §5.1)

/** Holds the key and the counter block; encryption and decryption are the same keystream xor. */
class CtrCtx implements CipherCtx {
  private key: Uint8Array;
  private block = new Uint8Array(16);
  private live = true;
  constructor(
    keyWithNonce: Uint8Array,
    private backend: Backend,
  ) {
    const n = keyWithNonce.length - NONCE_LEN;
    this.key =
      backend === 'node' ? Buffer.from(keyWithNonce.subarray(0, n)) : Uint8Array.from(keyWithNonce.subarray(0, n));
    this.block.set(keyWithNonce.subarray(n), 0);
    putU32(this.block, 12, 1); // RFC 3686 §4: the block counter of the first block is 1
  }
  private xor(iv: Uint8Array, buf: Uint8Array, off: number, len: number): void {
    assertLive(NAME, this.live);
    if (iv.length !== IV_LEN) throw new RangeError(`${NAME}: IV must be ${IV_LEN} bytes, got ${iv.length}`);
    checkRange(NAME, buf, off, len);
    this.block.set(iv, NONCE_LEN);
    if (len === 0) return;
    if (this.backend === 'noble') {
      const data = buf.subarray(off, off + len);
      nobleInPlace(data, (i, o) => nobleCtr(this.key, this.block).encrypt(i, o));
      return;
    }
    const c = createCipheriv(`aes-${this.key.length * 8}-ctr`, this.key, this.block);
    buf.set(c.update(buf.subarray(off, off + len)), off);
    c.final();
  }
  encrypt(iv: Uint8Array, buf: Uint8Array, off: number, len: number): void {
    this.xor(iv, buf, off, len);
  }
  decrypt(iv: Uint8Array, buf: Uint8Array, off: number, len: number): void {
    this.xor(iv, buf, off, len);
  }
  wipe(): void {
    this.key.fill(0);
    this.block.fill(0);
    this.live = false;
  }
}

/** RFC 3686: setkey `aes-ctr`, key 160/224/288 bits; no block alignment beyond ESP's 4 bytes. */
export const aesCtr: CipherAlg = {
  kind: 'cipher',
  name: NAME,
  aliases: ['aesctr', 'rfc3686(ctr(aes))'],
  keyBits: KEY_BITS,
  blockSize: 4,
  ivLen: IV_LEN,
  ivKind: 'counter', // RFC 3686 §2.1: the IV must never repeat under one key; it need not be unpredictable
  backends: ['node', 'noble'],
  create(key: Uint8Array, backend?: Backend): CipherCtx {
    checkKeyLength(NAME, key, KEY_BITS);
    return new CtrCtx(key, pickBackend(NAME, this.backends, backend));
  },
};
