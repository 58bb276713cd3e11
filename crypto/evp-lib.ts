// OpenSSL's EVP interface, as the node binary itself exports it (Node links OpenSSL statically and exports
// its symbols for addons), reached through koffi. This is the `evp` crypto back-end: one OpenSSL context per
// SA and direction, keyed once, with only the IV changed per packet (EVP_CipherInit_ex with a NULL cipher
// and key keeps the key schedule; EVP_EncryptInit(3)). node:crypto cannot do that: createCipheriv builds
// and keys a new context on every call.
//
// Loaded lazily, on the first context that asks for it, and only when every symbol resolves and a known
// answer matches; otherwise (or with UIPSEC_CRYPTO=node in the environment) `evp` is simply not offered
// and node:crypto serves. Memory: contexts and their scratch areas are freed by wipe(), and by a
// FinalizationRegistry for a context dropped without one.
import { createRequire } from 'node:module';
import { PARAM_AEAD_TAG, PARAM_GCM_WHOLE_IV, WHOLE_IV, paramArray } from './evp-params.js';

/** An opaque native pointer (koffi 3 returns a BigInt). */
export type Ptr = object | bigint;
/** A pointer argument: JS memory (passed for the call only), a native pointer, or NULL. */
export type Mem = Uint8Array | Ptr | null;
/** A native address as a plain number (user-space addresses fit in 53 bits); 0 is NULL. */
export type Addr = number;

/** <openssl/evp.h> control codes used here (also EVP_CTRL_GCM_* in OpenSSL 1.1). */
export const EVP_CTRL_AEAD_GET_TAG = 0x10;
export const EVP_CTRL_AEAD_SET_TAG = 0x11;

/** The EVP calls the back-end makes; names as in OpenSSL minus the `EVP_` prefix. */
export interface EvpLib {
  CIPHER_fetch(name: string): Ptr | null;
  CIPHER_CTX_new(): Ptr | null;
  CIPHER_CTX_free(ctx: Ptr): void;
  CipherInit_ex(ctx: Ptr, cipher: Ptr | null, key: Mem, iv: Mem, enc: number): number;
  CipherUpdate(ctx: Ptr, out: Mem, outl: Mem, inp: Mem, inl: number): number;
  CipherFinal_ex(ctx: Ptr, out: Mem, outl: Mem): number;
  CIPHER_CTX_ctrl(ctx: Ptr, type: number, arg: number, ptr: Mem): number;
  CIPHER_CTX_set_padding(ctx: Ptr, pad: number): number;
  MD_fetch(name: string): Ptr | null;
  HMAC_CTX_new(): Ptr | null;
  HMAC_CTX_free(ctx: Ptr): void;
  HMAC_Init_ex(ctx: Ptr, key: Mem, len: number, md: Ptr | null): number;
  HMAC_Update(ctx: Ptr, data: Mem, len: number): number;
  HMAC_Final(ctx: Ptr, out: Mem, len: Mem): number;
  /** Native memory of `n` bytes, its address and a Uint8Array over it (valid until free). */
  alloc(n: number): NativeArea;
  free(ptr: Ptr): void;
  /** The per-packet calls, declared with integer addresses (see EvpFast). */
  fast: EvpFast;
  /** A native pointer as an address. */
  addr(p: Ptr): Addr;
  /** The address of buf[0]: JS memory passed by address (see addressOf). */
  addressOf(buf: Uint8Array): Addr;
}

export interface NativeArea {
  ptr: Ptr;
  addr: Addr;
  view: Uint8Array;
}

/**
 * The calls made per packet, bound a second time with every pointer declared `intptr_t` and passed as a
 * number. koffi runs a function whose parameters are all plain values without its pointer conversion and
 * post-call pass (its "fast call"): 0.1 µs less per call, measured (docs/performance.md). The caller
 * passes only addresses of native areas or of JS memory it holds and has range-checked.
 */
export interface EvpFast {
  /** EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, -1): a new IV, the key schedule kept. */
  CipherInit_iv(ctx: Addr, iv: Addr): number;
  CipherUpdate(ctx: Addr, out: Addr, outl: Addr, inp: Addr, inl: number): number;
  CipherFinal_ex(ctx: Addr, out: Addr, outl: Addr): number;
  CIPHER_CTX_ctrl(ctx: Addr, type: number, arg: number, ptr: Addr): number;
  /** EVP_CIPHER_CTX_set_params(3)/get_params with a prepared OSSL_PARAM array. */
  CIPHER_CTX_set_params(ctx: Addr, params: Addr): number;
  CIPHER_CTX_get_params(ctx: Addr, params: Addr): number;
  /** HMAC_Init_ex(ctx, NULL, 0, NULL, NULL): restart from the keyed state. */
  HMAC_restart(ctx: Addr): number;
  HMAC_Update(ctx: Addr, data: Addr, len: number): number;
  HMAC_Final(ctx: Addr, out: Addr, len: Addr): number;
}

interface KoffiLib {
  func(decl: string): (...a: unknown[]) => unknown;
}
interface Koffi {
  load(path: string | null): KoffiLib;
  alloc(type: string, n: number): Ptr;
  free(p: Ptr): void;
  view(p: Ptr, n: number): ArrayBuffer;
  address(v: unknown): bigint;
  sizeof(t: string): number;
}

/** The per-packet calls (EvpFast): the same symbols, every pointer an intptr_t. */
function bindFast(lib: KoffiLib): EvpFast {
  const f = (d: string): ((...a: number[]) => number) => lib.func(d) as (...a: number[]) => number;
  const init = f('int EVP_CipherInit_ex(intptr_t ctx, intptr_t c, intptr_t impl, intptr_t key, intptr_t iv, int enc)');
  const hInit = f('int HMAC_Init_ex(intptr_t ctx, intptr_t key, int len, intptr_t md, intptr_t impl)');
  return {
    CipherInit_iv: (ctx, iv) => init(ctx, 0, 0, 0, iv, -1),
    CipherUpdate: f('int EVP_CipherUpdate(intptr_t ctx, intptr_t out, intptr_t outl, intptr_t inp, int inl)'),
    CipherFinal_ex: f('int EVP_CipherFinal_ex(intptr_t ctx, intptr_t out, intptr_t outl)'),
    CIPHER_CTX_ctrl: f('int EVP_CIPHER_CTX_ctrl(intptr_t ctx, int type, int arg, intptr_t ptr)'),
    CIPHER_CTX_set_params: f('int EVP_CIPHER_CTX_set_params(intptr_t ctx, intptr_t params)'),
    CIPHER_CTX_get_params: f('int EVP_CIPHER_CTX_get_params(intptr_t ctx, intptr_t params)'),
    HMAC_restart: (ctx) => hInit(ctx, 0, 0, 0, 0),
    HMAC_Update: f('int HMAC_Update(intptr_t ctx, intptr_t data, size_t len)'),
    HMAC_Final: f('int HMAC_Final(intptr_t ctx, intptr_t out, intptr_t len)'),
  };
}

/**
 * Addresses of JS memory, cached per ArrayBuffer (the last two seen: the packet being built and the one
 * being opened). An ArrayBuffer's memory never moves: V8 keeps backing stores outside its moving heap, and
 * reading `.buffer` first moves a small on-heap typed array's bytes out for good. The cache holds the
 * ArrayBuffer, so the memory stays valid; a detached one has length 0 and never passes the callers' range
 * checks. One koffi.address call per new buffer instead of a view object and a conversion per call.
 */
function addressCache(k: Koffi): (buf: Uint8Array) => Addr {
  let ab0: ArrayBufferLike | undefined;
  let ab1: ArrayBufferLike | undefined;
  let base0 = 0;
  let base1 = 0;
  return (buf) => {
    const ab = buf.buffer;
    if (ab === ab0) return base0 + buf.byteOffset;
    if (ab !== ab1) {
      ab1 = ab;
      base1 = Number(k.address(buf)) - buf.byteOffset;
    }
    // Most recent first.
    const b = base1;
    ab1 = ab0;
    base1 = base0;
    ab0 = ab;
    base0 = b;
    return b + buf.byteOffset;
  };
}

function bind(k: Koffi): EvpLib {
  // OSSL_PARAM layouts (evp-params.ts) and number addresses assume a 64-bit process.
  if (k.sizeof('void *') !== 8) throw new Error('not a 64-bit process');
  const lib = k.load(null); // the running node binary's own symbols
  const f = (d: string): ((...a: unknown[]) => unknown) => lib.func(d);
  const fetch = f('void *EVP_CIPHER_fetch(void *libctx, const char *name, const char *props)');
  const ctxNew = f('void *EVP_CIPHER_CTX_new()');
  const ctxFree = f('void EVP_CIPHER_CTX_free(void *ctx)');
  const init = f('int EVP_CipherInit_ex(void *ctx, void *c, void *impl, void *key, void *iv, int enc)');
  const update = f('int EVP_CipherUpdate(void *ctx, void *out, void *outl, void *inp, int inl)');
  const final = f('int EVP_CipherFinal_ex(void *ctx, void *out, void *outl)');
  const ctrl = f('int EVP_CIPHER_CTX_ctrl(void *ctx, int type, int arg, void *ptr)');
  const padding = f('int EVP_CIPHER_CTX_set_padding(void *ctx, int pad)');
  const mdFetch = f('void *EVP_MD_fetch(void *libctx, const char *name, const char *props)');
  const hNew = f('void *HMAC_CTX_new()');
  const hFree = f('void HMAC_CTX_free(void *ctx)');
  const hInit = f('int HMAC_Init_ex(void *ctx, void *key, int len, void *md, void *impl)');
  const hUpdate = f('int HMAC_Update(void *ctx, void *data, size_t len)');
  const hFinal = f('int HMAC_Final(void *ctx, void *out, void *len)');
  return {
    CIPHER_fetch: (name) => fetch(null, name, null) as Ptr | null,
    CIPHER_CTX_new: () => ctxNew() as Ptr | null,
    CIPHER_CTX_free: (ctx) => void ctxFree(ctx),
    CipherInit_ex: (ctx, c, key, iv, enc) => init(ctx, c, null, key, iv, enc) as number,
    CipherUpdate: update as EvpLib['CipherUpdate'],
    CipherFinal_ex: final as EvpLib['CipherFinal_ex'],
    CIPHER_CTX_ctrl: ctrl as EvpLib['CIPHER_CTX_ctrl'],
    CIPHER_CTX_set_padding: padding as EvpLib['CIPHER_CTX_set_padding'],
    MD_fetch: (name) => mdFetch(null, name, null) as Ptr | null,
    HMAC_CTX_new: () => hNew() as Ptr | null,
    HMAC_CTX_free: (ctx) => void hFree(ctx),
    HMAC_Init_ex: (ctx, key, len, md) => hInit(ctx, key, len, md, null) as number,
    HMAC_Update: hUpdate as EvpLib['HMAC_Update'],
    HMAC_Final: hFinal as EvpLib['HMAC_Final'],
    alloc: (n) => {
      const ptr = k.alloc('uint8_t', n);
      return { ptr, addr: Number(ptr), view: new Uint8Array(k.view(ptr, n)) };
    },
    free: (p) => k.free(p),
    fast: bindFast(lib),
    addr: (p) => Number(p),
    addressOf: addressCache(k),
  };
}

/** McGrew & Viega, "The Galois/Counter Mode of Operation", appendix B, test case 2: zero key, IV and block. */
const KAT_CT = '0388dace60b6a392f328c2b971b2fe78';
const KAT_TAG = 'ab6e47d42cec13bdf53a67b21257bddf';
const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

/**
 * One AES-128-GCM seal through the per-packet path (number addresses, JS memory by address, the nonce and
 * the tag through OSSL_PARAM arrays): the symbols resolve and behave as OpenSSL's, or `evp` is not offered.
 */
function selfTest(e: EvpLib): void {
  const c = e.CIPHER_fetch('AES-128-GCM');
  const ctx = e.CIPHER_CTX_new();
  if (!c || !ctx) throw new Error('EVP_CIPHER_fetch/EVP_CIPHER_CTX_new failed');
  const areas = [e.alloc(12), e.alloc(16), e.alloc(4)];
  const [nonce, tag, outl] = areas as [NativeArea, NativeArea, NativeArea];
  const ivp = paramArray(e, [{ key: PARAM_GCM_WHOLE_IV, data: nonce.addr, size: WHOLE_IV }]);
  const tagp = paramArray(e, [{ key: PARAM_AEAD_TAG, data: tag.addr, size: 16 }]);
  try {
    const f = e.fast;
    const x = e.addr(ctx);
    const buf = new Uint8Array(20);
    const d = e.addressOf(buf) + 2;
    nonce.view.fill(0);
    const ok =
      e.CipherInit_ex(ctx, c, new Uint8Array(16), null, 1) === 1 &&
      f.CIPHER_CTX_set_params(x, ivp.addr) === 1 &&
      f.CipherUpdate(x, d, outl.addr, d, 16) === 1 &&
      f.CipherFinal_ex(x, tag.addr, outl.addr) === 1 &&
      f.CIPHER_CTX_get_params(x, tagp.addr) === 1;
    if (!ok || hex(buf.subarray(2, 18)) !== KAT_CT || hex(tag.view) !== KAT_TAG)
      throw new Error('AES-128-GCM known answer mismatch');
  } finally {
    e.CIPHER_CTX_free(ctx);
    for (const a of [...areas, ivp, tagp]) e.free(a.ptr);
  }
}

let cached: EvpLib | undefined;
let why: string | undefined;

/** The bindings, or undefined when `evp` is not offered; evpUnavailableReason() says why. */
export function evpLib(): EvpLib | undefined {
  if (cached || why !== undefined) return cached;
  if (process.env.UIPSEC_CRYPTO === 'node') {
    why = 'UIPSEC_CRYPTO=node';
    return undefined;
  }
  try {
    const e = bind(createRequire(import.meta.url)('koffi') as Koffi);
    selfTest(e);
    cached = e;
  } catch (err) {
    why = `OpenSSL's EVP symbols are not usable from this node binary: ${(err as Error).message}`;
  }
  return cached;
}

/** True when the `evp` back-end can serve (loads it on first call). */
export function evpAvailable(): boolean {
  return evpLib() !== undefined;
}

/** Why `evp` is not offered ('' when it is). */
export function evpUnavailableReason(): string {
  return evpLib() ? '' : (why ?? 'unknown');
}

/** The EVP library, or an Error naming why not (an explicit request for `evp`). */
export function requireEvp(alg: string): EvpLib {
  const e = evpLib();
  if (!e) throw new RangeError(`${alg}: the 'evp' back-end is not available (${evpUnavailableReason()})`);
  return e;
}

/** Fetched algorithm objects live as long as the process: one fetch per name (EVP_CIPHER_fetch(3)). */
const ciphers = new Map<string, Ptr>();
const digests = new Map<string, Ptr>();

export function fetchCipher(e: EvpLib, name: string): Ptr {
  let c = ciphers.get(name);
  if (!c) {
    const got = e.CIPHER_fetch(name);
    if (!got) throw new RangeError(`OpenSSL has no cipher '${name}'`);
    ciphers.set(name, (c = got));
  }
  return c;
}

export function fetchDigest(e: EvpLib, name: string): Ptr {
  let d = digests.get(name);
  if (!d) {
    const got = e.MD_fetch(name);
    if (!got) throw new RangeError(`OpenSSL has no digest '${name}'`);
    digests.set(name, (d = got));
  }
  return d;
}

/** What a native context owns: freed once, by wipe() or by the finalizer. */
export interface NativeRes {
  free(): void;
}
const finalizer = new FinalizationRegistry<NativeRes>((r) => r.free());

/** Frees `res` when `owner` is collected, unless released() first. */
export function track(owner: object, res: NativeRes): void {
  finalizer.register(owner, res, owner);
}

/** wipe(): frees now and forgets the finalizer. */
export function release(owner: object, res: NativeRes): void {
  finalizer.unregister(owner);
  res.free();
}
