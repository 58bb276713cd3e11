// The `evp` back-end of the ESP AEADs: AES-GCM (RFC 4106), AES-GMAC (RFC 4543) and ChaCha20-Poly1305
// (RFC 7634), one OpenSSL context per direction keyed once; per packet only the nonce is set
// (salt || explicit IV, RFC 4106 §4), then AAD, payload, final and the tag: five calls, no allocation.
import type { AeadCtx } from './types.js';
import { assertLive, inRange } from './errors.js';
import { SALT_LEN, checkIv, checkSealArgs, type AeadParams } from './aead-node.js';
import {
  EVP_CTRL_AEAD_GET_TAG,
  EVP_CTRL_AEAD_SET_TAG,
  fetchCipher,
  release,
  track,
  type EvpLib,
  type NativeRes,
  type Ptr,
} from './evp-lib.js';
import { byteView } from '../common/byte-view.js';

const NONCE_LEN = 12;
const TAG_MAX = 16;
const ESP_AAD_MAX = 12; // SPI || [SeqHi ||] Seq (RFC 4106 §5)
const AAD_MAX = ESP_AAD_MAX + 8; // then GMAC's IV (RFC 4543 §3.2)
const OUT_MIN = 2048;

/** Native areas the calls read and write: the nonce, AAD, tag, out-length and (open) the plaintext. */
class Areas implements NativeRes {
  readonly nonce;
  readonly aad;
  readonly tag;
  readonly outl;
  plain: { ptr: Ptr; view: Uint8Array } | undefined;
  readonly ctx: (Ptr | undefined)[] = [undefined, undefined]; // [decrypt, encrypt]
  private freed = false;
  constructor(private e: EvpLib) {
    this.nonce = e.alloc(NONCE_LEN);
    this.aad = e.alloc(AAD_MAX);
    this.tag = e.alloc(TAG_MAX);
    this.outl = e.alloc(4);
  }
  /** The plaintext area for open(), grown to `n` bytes (a forged packet's output is zeroed there). */
  plainArea(n: number): { ptr: Ptr; view: Uint8Array } {
    if (this.plain && this.plain.view.length >= n) return this.plain;
    if (this.plain) this.e.free(this.plain.ptr);
    let cap = OUT_MIN;
    while (cap < n) cap *= 2;
    return (this.plain = this.e.alloc(cap));
  }
  free(): void {
    if (this.freed) return;
    this.freed = true;
    for (const c of this.ctx) if (c) this.e.CIPHER_CTX_free(c); // OpenSSL cleanses the key schedule
    this.nonce.view.fill(0);
    if (this.plain) this.plain.view.fill(0);
    for (const a of [this.nonce, this.aad, this.tag, this.outl, this.plain]) if (a) this.e.free(a.ptr);
  }
}

/** An EVP AEAD context: encrypt and decrypt contexts made on first use, each keyed once. */
export class EvpAeadCtx implements AeadCtx {
  private a: Areas;
  private key: Uint8Array | undefined;
  private cipher: Ptr;
  private live = true;
  constructor(
    private e: EvpLib,
    private p: AeadParams,
    cipherName: string,
    keyWithSalt: Uint8Array,
  ) {
    const n = keyWithSalt.length - SALT_LEN;
    this.cipher = fetchCipher(e, cipherName);
    this.a = new Areas(e);
    track(this, this.a);
    this.a.nonce.view.set(keyWithSalt.subarray(n), 0);
    this.key = Uint8Array.from(keyWithSalt.subarray(0, n)); // until both directions are keyed
  }

  /** The context for a direction (1 encrypt, 0 decrypt), keyed on first use. */
  private ctx(enc: 0 | 1): Ptr {
    const have = this.a.ctx[enc];
    if (have) return have;
    const c = this.e.CIPHER_CTX_new();
    if (!c) throw new Error(`${this.p.name}: EVP_CIPHER_CTX_new failed`);
    this.a.ctx[enc] = c;
    if (this.e.CipherInit_ex(c, this.cipher, this.key!, null, enc) !== 1)
      throw new Error(`${this.p.name}: EVP_CipherInit_ex failed`);
    if (this.a.ctx[0] && this.a.ctx[1]) this.dropKey();
    return c;
  }

  private dropKey(): void {
    this.key?.fill(0);
    this.key = undefined;
  }

  /** Nonce = salt || IV, then the AAD (and for GMAC the IV after it); returns the context. */
  private start(enc: 0 | 1, iv: Uint8Array, aad: Uint8Array): Ptr {
    const c = this.ctx(enc);
    const e = this.e;
    const a = this.a;
    for (let i = 0; i < 8; i++) a.nonce.view[SALT_LEN + i] = iv[i]!;
    e.CipherInit_ex(c, null, null, a.nonce.ptr, -1);
    if (aad.length > ESP_AAD_MAX) {
      // IKEv2's SK payload (RFC 5282 §5.1) authenticates the whole header: passed as it is.
      e.CipherUpdate(c, null, a.outl.ptr, aad, aad.length);
      if (this.p.authOnly) e.CipherUpdate(c, null, a.outl.ptr, iv, 8);
      return c;
    }
    let n = aad.length;
    for (let i = 0; i < n; i++) a.aad.view[i] = aad[i]!;
    if (this.p.authOnly) for (let i = 0; i < 8; i++) a.aad.view[n++] = iv[i]!;
    if (n > 0) e.CipherUpdate(c, null, a.outl.ptr, a.aad.ptr, n);
    return c;
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
    const e = this.e;
    const a = this.a;
    const c = this.start(1, iv, aad);
    if (len > 0) {
      const data = byteView(buf, off, len);
      // GMAC: the payload is AAD (out NULL); otherwise encrypted in place.
      if (e.CipherUpdate(c, p.authOnly ? null : data, a.outl.ptr, data, len) !== 1)
        throw new Error(`${p.name}: EVP_CipherUpdate failed`);
    }
    if (
      e.CipherFinal_ex(c, a.tag.ptr, a.outl.ptr) !== 1 ||
      e.CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, a.tag.ptr) !== 1
    )
      throw new Error(`${p.name}: EVP tag computation failed`);
    const t = a.tag.view;
    for (let i = 0; i < p.icvLen; i++) tag[tagOff + i] = t[i]!;
  }

  /** The tag is checked by OpenSSL (CRYPTO_memcmp in EVP_DecryptFinal_ex) before any plaintext reaches `buf`. */
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
    const e = this.e;
    const a = this.a;
    const c = this.start(0, iv, aad);
    const t = a.tag.view;
    for (let i = 0; i < p.icvLen; i++) t[i] = tag[tagOff + i]!;
    if (e.CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, p.icvLen, a.tag.ptr) !== 1) return false;
    const out = len > 0 && !p.authOnly ? a.plainArea(len) : undefined;
    if (len > 0 && e.CipherUpdate(c, out ? out.ptr : null, a.outl.ptr, byteView(buf, off, len), len) !== 1)
      return false;
    if (e.CipherFinal_ex(c, a.tag.ptr, a.outl.ptr) !== 1) {
      out?.view.fill(0, 0, len); // a forgery's keystream-revealing output never outlives this call
      return false;
    }
    if (out) buf.set(out.view.subarray(0, len), off);
    return true;
  }

  wipe(): void {
    if (!this.live) return;
    this.live = false;
    this.dropKey();
    release(this, this.a);
  }
}
