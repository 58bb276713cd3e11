// The `evp` back-end of AES-CBC for ESP (RFC 3602): one OpenSSL context per direction, keyed once with
// padding off (ESP pads, RFC 4303 §2.4); per packet the payload is run in place (one call, the packet passed by address; the IV is folded into
// the first block, see run()).
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
  /** Per direction [decrypt, encrypt]: the context's chaining value, and whether it is known (see run). */
  private chain = [new Uint8Array(BLOCK), new Uint8Array(BLOCK)];
  private synced = [false, false];
  private saved = new Uint8Array(BLOCK);
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

  /**
   * The IV without EVP_CipherInit_ex (0.3-0.5 µs a call in OpenSSL 3.0, which has no settable CBC IV
   * parameter): a CBC context keeps chaining from the last ciphertext block V it processed, so encrypting
   * with IV R is encrypting P1 ⊕ R ⊕ V from V (C1 = E(P1 ⊕ R), as with R as the IV), and decrypting gives
   * D(C1) ⊕ V, turned into D(C1) ⊕ R by XOR-ing V ⊕ R into the first block. V is tracked per direction;
   * after an error it is unknown and the next packet sets a zero IV the slow way first.
   */
  private run(enc: 0 | 1, iv: Uint8Array, buf: Uint8Array, off: number, len: number): void {
    assertLive(this.name, this.live);
    checkRange(this.name, buf, off, len);
    if (len % BLOCK !== 0) throw new RangeError(`${this.name}: length ${len} is not a multiple of ${BLOCK}`);
    if (iv.length !== BLOCK) throw new RangeError(`${this.name}: IV must be ${BLOCK} bytes, got ${iv.length}`);
    if (len === 0) return;
    const c = this.ctx(enc);
    const a = this.a;
    const f = this.e.fast;
    const v = this.chain[enc]!;
    if (!this.synced[enc]) {
      a.iv.view.fill(0);
      if (f.CipherInit_iv(c, a.iv.addr) !== 1) throw new Error(`${this.name}: EVP_CipherInit_ex failed`);
      v.fill(0);
    }
    this.synced[enc] = false; // until the update below succeeds
    const last = off + len - BLOCK;
    if (enc) for (let i = 0; i < BLOCK; i++) buf[off + i]! ^= iv[i]! ^ v[i]!;
    else for (let i = 0; i < BLOCK; i++) this.saved[i] = buf[last + i]!;
    const data = this.e.addressOf(buf) + off;
    // In place (out == in) is allowed for whole blocks (EVP_EncryptUpdate(3)); no final: nothing is buffered.
    if (f.CipherUpdate(c, data, a.outl.addr, data, len) !== 1) throw new Error(`${this.name}: EVP_CipherUpdate failed`);
    if (enc) for (let i = 0; i < BLOCK; i++) v[i] = buf[last + i]!;
    else
      for (let i = 0; i < BLOCK; i++) {
        buf[off + i]! ^= v[i]! ^ iv[i]!;
        v[i] = this.saved[i]!;
      }
    this.synced[enc] = true;
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
    for (const v of [...this.chain, this.saved]) v.fill(0);
    release(this, this.a);
  }
}
