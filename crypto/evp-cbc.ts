// The `evp` back-end of AES-CBC for ESP (RFC 3602): one OpenSSL context per direction, keyed once with
// padding off (ESP pads, RFC 4303 §2.4); per packet the IV is set and the payload run in place (two calls, the packet passed by address).
import type { CipherCtx } from './types.js';
import { assertLive, checkRange } from './errors.js';
import { fetchCipher, release, track, type Addr, type EvpLib, type NativeRes, type Ptr } from './evp-lib.js';

const BLOCK = 16;

class Areas implements NativeRes {
  readonly iv;
  readonly outl;
  readonly ctx: Addr[] = [0, 0]; // [decrypt, encrypt]
  private freed = false;
  constructor(private e: EvpLib) {
    this.iv = e.alloc(BLOCK);
    this.outl = e.alloc(4);
  }
  free(): void {
    if (this.freed) return;
    this.freed = true;
    for (const c of this.ctx) if (c) this.e.CIPHER_CTX_free(BigInt(c));
    this.e.free(this.iv.ptr);
    this.e.free(this.outl.ptr);
  }
}

export class EvpCbcCtx implements CipherCtx {
  private a: Areas;
  private key: Uint8Array | undefined;
  private cipher: Ptr;
  private live = true;
  constructor(
    private e: EvpLib,
    private name: string,
    cipherName: string,
    key: Uint8Array,
  ) {
    this.cipher = fetchCipher(e, cipherName);
    this.a = new Areas(e);
    track(this, this.a);
    this.key = Uint8Array.from(key);
  }

  private ctx(enc: 0 | 1): Addr {
    const have = this.a.ctx[enc]!;
    if (have) return have;
    const c = this.e.CIPHER_CTX_new();
    if (!c) throw new Error(`${this.name}: EVP_CIPHER_CTX_new failed`);
    this.a.ctx[enc] = this.e.addr(c);
    if (this.e.CipherInit_ex(c, this.cipher, this.key!, null, enc) !== 1 || this.e.CIPHER_CTX_set_padding(c, 0) !== 1)
      throw new Error(`${this.name}: EVP_CipherInit_ex failed`);
    if (this.a.ctx[0] && this.a.ctx[1]) {
      this.key?.fill(0);
      this.key = undefined;
    }
    return this.a.ctx[enc]!;
  }

  private run(enc: 0 | 1, iv: Uint8Array, buf: Uint8Array, off: number, len: number): void {
    assertLive(this.name, this.live);
    checkRange(this.name, buf, off, len);
    if (len % BLOCK !== 0) throw new RangeError(`${this.name}: length ${len} is not a multiple of ${BLOCK}`);
    if (iv.length !== BLOCK) throw new RangeError(`${this.name}: IV must be ${BLOCK} bytes, got ${iv.length}`);
    if (len === 0) return;
    const c = this.ctx(enc);
    const a = this.a;
    for (let i = 0; i < BLOCK; i++) a.iv.view[i] = iv[i]!;
    const data = this.e.addressOf(buf) + off;
    // In place (out == in) is allowed for whole blocks (EVP_EncryptUpdate(3)); no final: nothing is buffered.
    // OpenSSL 3.0 has no settable IV parameter for CBC: EVP_CipherInit_ex with only the IV it is.
    const f = this.e.fast;
    if (f.CipherInit_iv(c, a.iv.addr) !== 1 || f.CipherUpdate(c, data, a.outl.addr, data, len) !== 1)
      throw new Error(`${this.name}: EVP_CipherUpdate failed`);
  }

  encrypt(iv: Uint8Array, buf: Uint8Array, off: number, len: number): void {
    this.run(1, iv, buf, off, len);
  }

  decrypt(iv: Uint8Array, buf: Uint8Array, off: number, len: number): void {
    this.run(0, iv, buf, off, len);
  }

  wipe(): void {
    if (!this.live) return;
    this.live = false;
    this.key?.fill(0);
    this.key = undefined;
    release(this, this.a);
  }
}
