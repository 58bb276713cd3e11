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

/** An opaque native pointer (a koffi External). */
export type Ptr = object;
/** A pointer argument: JS memory (passed for the call only), a native pointer, or NULL. */
export type Mem = Uint8Array | Ptr | null;

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
  /** Native memory of `n` bytes and a Uint8Array over it (valid until free). */
  alloc(n: number): { ptr: Ptr; view: Uint8Array };
  free(ptr: Ptr): void;
}

interface KoffiLib {
  func(decl: string): (...a: unknown[]) => unknown;
}
interface Koffi {
  load(path: string | null): KoffiLib;
  alloc(type: string, n: number): Ptr;
  free(p: Ptr): void;
  view(p: Ptr, n: number): ArrayBuffer;
}

function bind(k: Koffi): EvpLib {
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
      return { ptr, view: new Uint8Array(k.view(ptr, n)) };
    },
    free: (p) => k.free(p),
  };
}

/** NIST GCM test case 3 (the GCM paper, "The Galois/Counter Mode of Operation", appendix B): key, IV, 16 bytes. */
const KAT_KEY = 'feffe9928665731c6d6a8f9467308308';
const KAT_IV = 'cafebabefacedbaddecaf888';
const KAT_PT = 'd9313225f88406e5a55909c5aff5269a';
const KAT_CT = '42831ec2217774244b7221b784d0d49c'; // first block of the case's ciphertext (CTR mode)

/** One AES-128-GCM block through the bindings: the symbols resolve and behave as OpenSSL's. */
function selfTest(e: EvpLib): void {
  const c = e.CIPHER_fetch('AES-128-GCM');
  const ctx = e.CIPHER_CTX_new();
  if (!c || !ctx) throw new Error('EVP_CIPHER_fetch/EVP_CIPHER_CTX_new failed');
  try {
    const buf = Buffer.from(KAT_PT, 'hex');
    const outl = new Int32Array(1);
    const ok =
      e.CipherInit_ex(ctx, c, Buffer.from(KAT_KEY, 'hex'), Buffer.from(KAT_IV, 'hex'), 1) === 1 &&
      e.CipherUpdate(ctx, buf, outl, buf, buf.length) === 1;
    if (!ok || buf.toString('hex') !== KAT_CT) throw new Error('AES-128-GCM known answer mismatch');
  } finally {
    e.CIPHER_CTX_free(ctx);
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
