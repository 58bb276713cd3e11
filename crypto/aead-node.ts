// The node:crypto back-end shared by the ESP AEADs: AES-GCM (RFC 4106), AES-GMAC (RFC 4543) and
// ChaCha20-Poly1305 (RFC 7634). All three build the nonce as salt(4) || IV(8) from the key's last 4 bytes.
import { createCipheriv, createDecipheriv, type CipherGCMTypes, type CipherChaCha20Poly1305Types } from 'node:crypto';
import type { AeadCtx } from './types.js';
import { assertLive, checkRange, inRange } from './errors.js';
import { byteView } from '../common/byte-view.js';

export const SALT_LEN = 4; // RFC 4106 §4, RFC 4543 §4, RFC 7634 §2: the salt is the last 4 key bytes
export const EXPLICIT_IV_LEN = 8; // RFC 4106 §3.1: 8-byte IV in every packet

/** What an AEAD context needs to know, besides its key. */
export interface AeadParams {
  name: string;
  icvLen: number;
  /** RFC 4543: the payload is authenticated as AAD (after the IV) and left in clear. */
  authOnly: boolean;
}

/** Checks the explicit IV and the tag window; a short tag area is a caller bug on seal, a forgery on open. */
export function checkIv(name: string, iv: Uint8Array): void {
  if (iv.length !== EXPLICIT_IV_LEN)
    throw new RangeError(`${name}: IV must be ${EXPLICIT_IV_LEN} bytes, got ${iv.length}`);
}

/** Every AEAD backend's seal arguments: the explicit IV, room for the ICV, the payload range (caller bugs throw). */
export function checkSealArgs(
  name: string,
  icvLen: number,
  iv: Uint8Array,
  buf: Uint8Array,
  off: number,
  len: number,
  tag: Uint8Array,
  tagOff: number,
): void {
  checkIv(name, iv);
  if (tagOff < 0 || tagOff + icvLen > tag.length) throw new RangeError(`${name}: no room for the ${icvLen}-byte ICV`);
  checkRange(name, buf, off, len);
}

/** node:crypto AEAD: one OpenSSL context per packet; open decrypts into OpenSSL's output, copied back only once the tag verified. */
export class NodeAeadCtx implements AeadCtx {
  private key: Buffer;
  private nonce = Buffer.alloc(SALT_LEN + EXPLICIT_IV_LEN);
  private live = true;
  private opts: { authTagLength: number };
  private tagIn: Uint8Array; // the received ICV, copied here for setAuthTag (cheaper than a view object)
  constructor(
    private p: AeadParams,
    private cipherName: CipherGCMTypes | CipherChaCha20Poly1305Types,
    keyWithSalt: Uint8Array,
  ) {
    const n = keyWithSalt.length - SALT_LEN;
    this.key = Buffer.from(keyWithSalt.subarray(0, n));
    this.nonce.set(keyWithSalt.subarray(n), 0);
    this.opts = { authTagLength: p.icvLen };
    this.tagIn = new Uint8Array(p.icvLen);
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
    const p = this.p;
    assertLive(p.name, this.live);
    checkSealArgs(p.name, p.icvLen, iv, buf, off, len, tag, tagOff);
    this.nonce.set(iv, SALT_LEN);
    const c = createCipheriv(this.cipherName as CipherGCMTypes, this.key, this.nonce, this.opts);
    c.setAAD(aad);
    if (p.authOnly) {
      // RFC 4543 §3.2: AAD = SPI || SN || IV || payload; nothing is encrypted.
      c.setAAD(iv);
      c.setAAD(byteView(buf, off, len));
    } else if (len > 0) {
      // OpenSSL writes into a fresh buffer (node:crypto has no update-into); one copy puts it in place.
      buf.set(c.update(byteView(buf, off, len)), off);
    }
    c.final();
    tag.set(c.getAuthTag(), tagOff);
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
    const p = this.p;
    assertLive(p.name, this.live);
    checkIv(p.name, iv);
    if (tagOff < 0 || tagOff + p.icvLen > tag.length) return false;
    if (!inRange(buf, off, len)) return false;
    this.nonce.set(iv, SALT_LEN);
    const d = createDecipheriv(this.cipherName as CipherGCMTypes, this.key, this.nonce, this.opts);
    const t = this.tagIn;
    for (let i = 0; i < t.length; i++) t[i] = tag[tagOff + i]!;
    d.setAuthTag(t);
    d.setAAD(aad);
    let plain: Buffer | undefined;
    if (p.authOnly) {
      d.setAAD(iv);
      d.setAAD(byteView(buf, off, len));
    } else if (len > 0) {
      plain = d.update(byteView(buf, off, len)); // OpenSSL's own output buffer: the caller's bytes stay as they are
    }
    try {
      d.final(); // OpenSSL compares the tag here, in constant time (CRYPTO_memcmp)
    } catch {
      plain?.fill(0); // the keystream-revealing output of a forgery never outlives this call
      return false;
    }
    if (plain) buf.set(plain, off);
    return true;
  }

  wipe(): void {
    this.key.fill(0);
    this.nonce.fill(0);
    this.live = false;
  }
}
