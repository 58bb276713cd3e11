// The `evp` back-end of the HMAC integrity algorithms (RFC 2404, RFC 4868): one HMAC_CTX per SA keyed once;
// per packet HMAC_Init_ex with a NULL key restarts from the keyed inner/outer state (HMAC_Init_ex(3)), then
// one update per part (passed by address) and the final. verify() compares in constant time.
import type { AuthCtx } from './types.js';
import { equalCT } from '../common/bytes.js';
import { assertLive } from './errors.js';
import { fetchDigest, release, track, type Addr, type EvpLib, type NativeRes, type Ptr } from './evp-lib.js';

const MD_MAX = 64;

class Areas implements NativeRes {
  readonly md;
  readonly mdLen;
  readonly addr: Addr;
  private freed = false;
  constructor(
    private e: EvpLib,
    readonly ctx: Ptr,
  ) {
    this.addr = e.addr(ctx);
    this.md = e.alloc(MD_MAX);
    this.mdLen = e.alloc(4);
  }
  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.e.HMAC_CTX_free(this.ctx); // cleanses the keyed states
    this.md.view.fill(0);
    this.e.free(this.md.ptr);
    this.e.free(this.mdLen.ptr);
  }
}

export class EvpHmacCtx implements AuthCtx {
  private a: Areas;
  private live = true;
  private scratch: Uint8Array;
  constructor(
    private e: EvpLib,
    private name: string,
    digest: string,
    private icvLen: number,
    key: Uint8Array,
  ) {
    const ctx = e.HMAC_CTX_new();
    if (!ctx) throw new Error(`${name}: HMAC_CTX_new failed`);
    this.a = new Areas(e, ctx);
    track(this, this.a);
    // A zero-length key still needs a non-NULL pointer (NULL means "keep the previous key").
    const k = key.length > 0 ? key : new Uint8Array(1);
    if (e.HMAC_Init_ex(ctx, k, key.length, fetchDigest(e, digest)) !== 1) {
      release(this, this.a);
      throw new Error(`${name}: HMAC_Init_ex failed`);
    }
    this.scratch = new Uint8Array(icvLen);
  }

  mac(parts: readonly Uint8Array[], out: Uint8Array, outOff: number): void {
    assertLive(this.name, this.live);
    if (outOff < 0 || outOff + this.icvLen > out.length)
      throw new RangeError(`${this.name}: no room for the ${this.icvLen}-byte ICV`);
    const e = this.e;
    const f = e.fast;
    const c = this.a.addr;
    let ok = f.HMAC_restart(c) === 1;
    for (const p of parts) if (p.length > 0) ok = f.HMAC_Update(c, e.addressOf(p), p.length) === 1 && ok;
    ok = f.HMAC_Final(c, this.a.md.addr, this.a.mdLen.addr) === 1 && ok;
    if (!ok) throw new Error(`${this.name}: HMAC failed`);
    const d = this.a.md.view;
    for (let i = 0; i < this.icvLen; i++) out[outOff + i] = d[i]!;
  }

  verify(parts: readonly Uint8Array[], icv: Uint8Array): boolean {
    assertLive(this.name, this.live);
    if (icv.length !== this.icvLen) return false;
    this.mac(parts, this.scratch, 0);
    return equalCT(this.scratch, icv);
  }

  wipe(): void {
    if (!this.live) return;
    this.live = false;
    this.scratch.fill(0);
    release(this, this.a);
  }
}
