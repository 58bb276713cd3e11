// The `evp` back-end of the ESP AEADs: AES-GCM (RFC 4106), AES-GMAC (RFC 4543) and ChaCha20-Poly1305
// (RFC 7634), one OpenSSL context per direction keyed once; per packet only the nonce is set
// (salt || explicit IV, RFC 4106 §4), then AAD, payload, final and the tag: five calls to seal, four to
// open an AES-GCM packet, no allocation; the packet is passed by address (evp-lib.ts).
import type { AeadCtx } from './types.js';
import { assertLive, inRange } from './errors.js';
import { SALT_LEN, checkIv, checkSealArgs, type AeadParams } from './aead-node.js';
import {
  EVP_CTRL_AEAD_GET_TAG,
  EVP_CTRL_AEAD_SET_TAG,
  fetchCipher,
  release,
  track,
  type Addr,
  type EvpLib,
  type NativeArea,
  type NativeRes,
  type Ptr,
} from './evp-lib.js';
import { PARAM_AEAD_TAG, PARAM_GCM_WHOLE_IV, WHOLE_IV, paramArray } from './evp-params.js';

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
  /** GCM: [nonce] for seal, [tag, nonce] for open, [tag] to read the tag (evp-params.ts). */
  readonly params: NativeArea[] = [];
  plain: NativeArea | undefined;
  private plainView: Uint8Array | undefined;
  readonly ctx: Addr[] = [0, 0]; // [decrypt, encrypt]
  private freed = false;
  constructor(
    private e: EvpLib,
    gcm: boolean,
    icvLen: number,
  ) {
    this.nonce = e.alloc(NONCE_LEN);
    this.aad = e.alloc(AAD_MAX);
    this.tag = e.alloc(TAG_MAX);
    this.outl = e.alloc(4);
    if (!gcm) return;
    const iv = { key: PARAM_GCM_WHOLE_IV, data: this.nonce.addr, size: WHOLE_IV };
    const tag = (size: number) => ({ key: PARAM_AEAD_TAG, data: this.tag.addr, size });
    this.params.push(paramArray(e, [iv]), paramArray(e, [tag(icvLen), iv]), paramArray(e, [tag(TAG_MAX)]));
  }
  /** The plaintext area for open(), grown to `n` bytes (a forged packet's output is zeroed there). */
  plainArea(n: number): NativeArea {
    if (this.plain && this.plain.view.length >= n) return this.plain;
    if (this.plain) this.e.free(this.plain.ptr);
    let cap = OUT_MIN;
    while (cap < n) cap *= 2;
    this.plainView = undefined;
    return (this.plain = this.e.alloc(cap));
  }
  /** The first `n` bytes of the plaintext area; the view is kept while packets keep the same length. */
  plainBytes(n: number): Uint8Array {
    const v = this.plainView;
    if (v && v.length === n) return v;
    return (this.plainView = this.plain!.view.subarray(0, n));
  }
  free(): void {
    if (this.freed) return;
    this.freed = true;
    for (const c of this.ctx) if (c) this.e.CIPHER_CTX_free(BigInt(c)); // OpenSSL cleanses the key schedule
    this.nonce.view.fill(0);
    if (this.plain) this.plain.view.fill(0);
    for (const a of [this.nonce, this.aad, this.tag, this.outl, this.plain, ...this.params]) if (a) this.e.free(a.ptr);
  }
}

/**
 * An EVP AEAD context: encrypt and decrypt contexts made on first use, each keyed once. Per packet, AES-GCM
 * takes the nonce (and on open the tag) through one EVP_CIPHER_CTX_set_params call and reads the tag with
 * one get_params; ChaCha20-Poly1305 uses EVP_CipherInit_ex and EVP_CIPHER_CTX_ctrl for the same steps.
 */
export class EvpAeadCtx implements AeadCtx {
  private a: Areas;
  private key: Uint8Array | undefined;
  private cipher: Ptr;
  private gcm: boolean;
  private live = true;
  constructor(
    private e: EvpLib,
    private p: AeadParams,
    cipherName: string,
    keyWithSalt: Uint8Array,
  ) {
    const n = keyWithSalt.length - SALT_LEN;
    this.cipher = fetchCipher(e, cipherName);
    this.gcm = /-GCM$/.test(cipherName);
    this.a = new Areas(e, this.gcm, p.icvLen);
    track(this, this.a);
    this.a.nonce.view.set(keyWithSalt.subarray(n), 0);
    this.key = Uint8Array.from(keyWithSalt.subarray(0, n)); // until both directions are keyed
  }

  /** The context for a direction (1 encrypt, 0 decrypt), keyed on first use. */
  private ctx(enc: 0 | 1): Addr {
    const have = this.a.ctx[enc]!;
    if (have) return have;
    const c = this.e.CIPHER_CTX_new();
    if (!c) throw new Error(`${this.p.name}: EVP_CIPHER_CTX_new failed`);
    this.a.ctx[enc] = this.e.addr(c);
    if (this.e.CipherInit_ex(c, this.cipher, this.key!, null, enc) !== 1)
      throw new Error(`${this.p.name}: EVP_CipherInit_ex failed`);
    if (this.a.ctx[0] && this.a.ctx[1]) this.dropKey();
    return this.a.ctx[enc]!;
  }

  private dropKey(): void {
    this.key?.fill(0);
    this.key = undefined;
  }

  /** Nonce = salt || IV (and on open the tag), then the AAD (for GMAC the IV after it); false on an EVP error. */
  private start(c: Addr, enc: 0 | 1, iv: Uint8Array, aad: Uint8Array): boolean {
    const f = this.e.fast;
    const a = this.a;
    for (let i = 0; i < 8; i++) a.nonce.view[SALT_LEN + i] = iv[i]!;
    let ok = this.gcm
      ? f.CIPHER_CTX_set_params(c, a.params[enc ? 0 : 1]!.addr) === 1
      : f.CipherInit_iv(c, a.nonce.addr) === 1 &&
        (enc === 1 || f.CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, this.p.icvLen, a.tag.addr) === 1);
    if (aad.length > ESP_AAD_MAX) {
      // IKEv2's SK payload (RFC 5282 §5.1) authenticates the whole header: passed as it is.
      ok = f.CipherUpdate(c, 0, a.outl.addr, this.e.addressOf(aad), aad.length) === 1 && ok;
      for (let i = 0; i < 8; i++) a.aad.view[i] = iv[i]!;
      if (this.p.authOnly) ok = f.CipherUpdate(c, 0, a.outl.addr, a.aad.addr, 8) === 1 && ok;
      return ok;
    }
    let n = aad.length;
    for (let i = 0; i < n; i++) a.aad.view[i] = aad[i]!;
    if (this.p.authOnly) for (let i = 0; i < 8; i++) a.aad.view[n++] = iv[i]!;
    if (n > 0) ok = f.CipherUpdate(c, 0, a.outl.addr, a.aad.addr, n) === 1 && ok;
    return ok;
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
    const f = this.e.fast;
    const a = this.a;
    const c = this.ctx(1);
    let ok = this.start(c, 1, iv, aad);
    if (len > 0) {
      const data = this.e.addressOf(buf) + off;
      // GMAC: the payload is AAD (out NULL); otherwise encrypted in place.
      ok = f.CipherUpdate(c, p.authOnly ? 0 : data, a.outl.addr, data, len) === 1 && ok;
    }
    ok = f.CipherFinal_ex(c, a.tag.addr, a.outl.addr) === 1 && ok;
    ok =
      (this.gcm
        ? f.CIPHER_CTX_get_params(c, a.params[2]!.addr)
        : f.CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, TAG_MAX, a.tag.addr)) === 1 && ok;
    if (!ok) throw new Error(`${p.name}: EVP seal failed`);
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
    const f = this.e.fast;
    const a = this.a;
    const c = this.ctx(0);
    const t = a.tag.view;
    for (let i = 0; i < p.icvLen; i++) t[i] = tag[tagOff + i]!;
    if (!this.start(c, 0, iv, aad)) return false;
    const out = len > 0 && !p.authOnly ? a.plainArea(len) : undefined;
    if (len > 0 && f.CipherUpdate(c, out ? out.addr : 0, a.outl.addr, this.e.addressOf(buf) + off, len) !== 1)
      return false;
    if (f.CipherFinal_ex(c, a.tag.addr, a.outl.addr) !== 1) {
      out?.view.fill(0, 0, len); // a forgery's keystream-revealing output never outlives this call
      return false;
    }
    if (out) buf.set(a.plainBytes(len), off);
    return true;
  }

  wipe(): void {
    if (!this.live) return;
    this.live = false;
    this.dropKey();
    release(this, this.a);
  }
}
