// ChaCha20-Poly1305 for ESP (RFC 7634, the AEAD of RFC 8439). The key string is the 256-bit key followed by
// a 4-byte salt; nonce = salt || 8-byte IV (RFC 7634 §2), 16-byte ICV, 4-byte alignment.
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import type { AeadAlg, AeadCtx, Backend } from './types.js';
import { assertLive, checkKeyLength, checkRange, inRange, pickBackend } from './errors.js';
import { NodeAeadCtx, SALT_LEN, checkIv, type AeadParams } from './aead-node.js';
import { EvpAeadCtx } from './evp-aead.js';
import { requireEvp } from './evp-lib.js';

const NAME = 'chacha20-poly1305';
const ICV_LEN = 16;
const PARAMS: AeadParams = { name: NAME, icvLen: ICV_LEN, authOnly: false };

/** @noble: its open() checks the Poly1305 tag in constant time before it decrypts (RFC 8439 §2.8). */
class NobleChachaCtx implements AeadCtx {
  private key: Uint8Array;
  private nonce = new Uint8Array(12);
  private live = true;
  constructor(keyWithSalt: Uint8Array) {
    this.key = Uint8Array.from(keyWithSalt.subarray(0, 32));
    this.nonce.set(keyWithSalt.subarray(32));
  }
  seal(
    iv: Uint8Array,
    aad: Uint8Array,
    buf: Uint8Array,
    off: number,
    len: number,
    tag: Uint8Array,
    tagOff: number,
  ): void {
    assertLive(NAME, this.live);
    checkIv(NAME, iv);
    if (tagOff < 0 || tagOff + ICV_LEN > tag.length)
      throw new RangeError(`${NAME}: no room for the ${ICV_LEN}-byte ICV`);
    checkRange(NAME, buf, off, len);
    this.nonce.set(iv, SALT_LEN);
    const out = chacha20poly1305(this.key, this.nonce, aad).encrypt(buf.subarray(off, off + len));
    buf.set(out.subarray(0, len), off);
    tag.set(out.subarray(len), tagOff);
  }
  open(
    iv: Uint8Array,
    aad: Uint8Array,
    buf: Uint8Array,
    off: number,
    len: number,
    tag: Uint8Array,
    tagOff: number,
  ): boolean {
    assertLive(NAME, this.live);
    checkIv(NAME, iv);
    if (tagOff < 0 || tagOff + ICV_LEN > tag.length) return false;
    if (!inRange(buf, off, len)) return false;
    this.nonce.set(iv, SALT_LEN);
    const sealed = new Uint8Array(len + ICV_LEN);
    sealed.set(buf.subarray(off, off + len));
    sealed.set(tag.subarray(tagOff, tagOff + ICV_LEN), len);
    let plain: Uint8Array;
    try {
      plain = chacha20poly1305(this.key, this.nonce, aad).decrypt(sealed);
    } catch {
      return false;
    }
    buf.set(plain, off);
    plain.fill(0);
    return true;
  }
  wipe(): void {
    this.key.fill(0);
    this.nonce.fill(0);
    this.live = false;
  }
}

/** RFC 7634 ENCR_CHACHA20_POLY1305 (FreeBSD setkey `chacha20-poly1305`, 288-bit key string). */
export const chacha20Poly1305: AeadAlg = {
  kind: 'aead',
  name: NAME,
  aliases: ['chacha20poly1305', 'rfc7539esp(chacha20,poly1305)'],
  keyBits: [288],
  blockSize: 4,
  ivLen: 8,
  icvLen: ICV_LEN,
  authOnly: false,
  backends: ['evp', 'node', 'noble'],
  create(key: Uint8Array, backend?: Backend): AeadCtx {
    checkKeyLength(NAME, key, this.keyBits);
    const be = pickBackend(NAME, this.backends, backend);
    if (be === 'evp') return new EvpAeadCtx(requireEvp(NAME), PARAMS, 'ChaCha20-Poly1305', key);
    return be === 'noble' ? new NobleChachaCtx(key) : new NodeAeadCtx(PARAMS, 'chacha20-poly1305', key);
  },
};
