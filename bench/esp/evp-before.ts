// The AES-GCM seal and open as crypto/evp-aead.ts made them before the fast path (kept here only to be
// measured against it in the same run): pointer-typed koffi bindings (koffi's general call path), the
// packet passed as a fresh Uint8Array view, the nonce set by EVP_CipherInit_ex and the tag moved by
// EVP_CIPHER_CTX_ctrl.
import { createRequire } from 'node:module';
import { byteView } from '../../common/byte-view.js';

type Fn = (...a: unknown[]) => number;
interface K {
  load(p: null): { func(d: string): Fn };
  alloc(t: string, n: number): bigint;
  view(p: bigint, n: number): ArrayBuffer;
}

export interface BeforeGcm {
  seal(buf: Uint8Array, off: number, len: number): void;
  open(buf: Uint8Array, off: number, len: number, tag: Uint8Array): boolean;
  /** A copy of the last tag seal() computed. */
  tag(): Uint8Array;
}

export function beforeGcm(key: Uint8Array): BeforeGcm {
  const k = createRequire(import.meta.url)('koffi') as K;
  const lib = k.load(null);
  const fetch = lib.func('void *EVP_CIPHER_fetch(void *libctx, const char *name, const char *props)');
  const ctxNew = lib.func('void *EVP_CIPHER_CTX_new()');
  const init = lib.func('int EVP_CipherInit_ex(void *ctx, void *c, void *impl, void *key, void *iv, int enc)');
  const update = lib.func('int EVP_CipherUpdate(void *ctx, void *out, void *outl, void *inp, int inl)');
  const final = lib.func('int EVP_CipherFinal_ex(void *ctx, void *out, void *outl)');
  const ctrl = lib.func('int EVP_CIPHER_CTX_ctrl(void *ctx, int type, int arg, void *ptr)');
  const area = (n: number): { p: bigint; v: Uint8Array } => {
    const p = k.alloc('uint8_t', n);
    return { p, v: new Uint8Array(k.view(p, n)) };
  };
  const [nonce, aad, tag, outl, plain] = [12, 16, 16, 4, 2048].map(area) as ReturnType<typeof area>[];
  const c = fetch(null, `AES-${key.length * 8}-GCM`, null);
  const [tx, rx] = [1, 0].map((enc) => {
    const x = ctxNew();
    init(x, c, null, key, null, enc);
    return x;
  });
  const start = (x: unknown): void => {
    init(x, null, null, null, nonce!.p, -1);
    update(x, null, outl!.p, aad!.p, 8);
  };
  return {
    seal(buf, off, len) {
      start(tx);
      const d = byteView(buf, off, len);
      update(tx, d, outl!.p, d, len);
      final(tx, tag!.p, outl!.p);
      ctrl(tx, 0x10, 16, tag!.p);
    },
    open(buf, off, len, t) {
      tag!.v.set(t);
      ctrl(rx, 0x11, 16, tag!.p);
      start(rx);
      update(rx, plain!.p, outl!.p, byteView(buf, off, len), len);
      if (final(rx, tag!.p, outl!.p) !== 1) return false;
      buf.set(plain!.v.subarray(0, len), off);
      return true;
    },
    tag: () => Uint8Array.from(tag!.v),
  };
}
