// HMAC integrity algorithms for ESP and AH: HMAC-MD5-96 (RFC 2403), HMAC-SHA-1-96 (RFC 2404) and
// HMAC-SHA-256-128/384-192/512-256 (RFC 4868) and HMAC-RIPEMD-160-96 (RFC 2857). The ICV is the leftmost icvLen bytes of the HMAC (RFC 2104 §5).
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { md5, ripemd160, sha1 } from '@noble/hashes/legacy.js';
import type { CHash } from '@noble/hashes/utils.js';
import type { AuthAlg, AuthCtx, Backend } from './types.js';
import { equalCT } from '../common/bytes.js';
import { assertLive, checkKeyLength, pickBackend } from './errors.js';
import { EvpHmacCtx } from './evp-hmac.js';
import { requireEvp } from './evp-lib.js';

type NobleHash = CHash;

interface HmacSpec {
  name: string;
  aliases: string[];
  keyBits: number[];
  icvLen: number;
  nodeHash: string;
  nobleHash: NobleHash;
  /** Offered through the `evp` back-end too (the SHA-1/SHA-2 HMACs ESP uses today). */
  evp?: boolean;
  /** The output is key material (IKE prf): wipe the digest buffer. An ESP/AH ICV is over public bytes and goes on the wire. */
  secretOutput?: boolean;
}

/** Shared verify: compute into a scratch area, compare in constant time (the ICV length is public). */
abstract class HmacCtxBase implements AuthCtx {
  protected live = true;
  protected scratch: Uint8Array;
  constructor(protected spec: HmacSpec) {
    this.scratch = new Uint8Array(spec.icvLen);
  }
  abstract mac(parts: readonly Uint8Array[], out: Uint8Array, outOff: number): void;
  verify(parts: readonly Uint8Array[], icv: Uint8Array): boolean {
    if (icv.length !== this.spec.icvLen) return false;
    this.mac(parts, this.scratch, 0);
    return equalCT(this.scratch, icv);
  }
  protected checkOut(out: Uint8Array, outOff: number): void {
    assertLive(this.spec.name, this.live);
    if (outOff < 0 || outOff + this.spec.icvLen > out.length)
      throw new RangeError(`${this.spec.name}: no room for the ${this.spec.icvLen}-byte ICV`);
  }
  abstract wipe(): void;
}

/** node:crypto HMAC over a KeyObject imported once per SA. */
class NodeHmacCtx extends HmacCtxBase {
  private key: KeyObject | undefined;
  constructor(spec: HmacSpec, key: Uint8Array) {
    super(spec);
    // KeyObject holds its own copy; an empty key (not used by any RFC here) still needs a Buffer.
    this.key = createSecretKey(Buffer.from(key));
  }
  mac(parts: readonly Uint8Array[], out: Uint8Array, outOff: number): void {
    this.checkOut(out, outOff);
    const h = createHmac(this.spec.nodeHash, this.key!);
    for (const p of parts) h.update(p);
    const d = h.digest();
    const n = this.spec.icvLen;
    for (let i = 0; i < n; i++) out[outOff + i] = d[i]!; // no view object per packet
    if (this.spec.secretOutput) d.fill(0);
  }
  wipe(): void {
    // A KeyObject cannot be zeroed from JS; dropping the only reference lets OpenSSL free (and cleanse) it.
    this.key = undefined;
    this.scratch.fill(0);
    this.live = false;
  }
}

/** @noble/hashes HMAC: the keyed inner/outer state is built once and cloned per packet. */
class NobleHmacCtx extends HmacCtxBase {
  private base: ReturnType<typeof hmac.create>;
  private full: Uint8Array;
  constructor(spec: HmacSpec, key: Uint8Array) {
    super(spec);
    this.base = hmac.create(spec.nobleHash, key);
    this.full = new Uint8Array(this.base.outputLen);
  }
  mac(parts: readonly Uint8Array[], out: Uint8Array, outOff: number): void {
    this.checkOut(out, outOff);
    const h = this.base.clone();
    for (const p of parts) h.update(p);
    h.digestInto(this.full);
    out.set(this.full.subarray(0, this.spec.icvLen), outOff);
  }
  wipe(): void {
    this.base.destroy(); // noble zeroes its inner and outer hash states
    this.full.fill(0);
    this.scratch.fill(0);
    this.live = false;
  }
}

function hmacAlg(spec: HmacSpec): AuthAlg {
  return {
    kind: 'auth',
    name: spec.name,
    aliases: spec.aliases,
    keyBits: spec.keyBits,
    icvLen: spec.icvLen,
    backends: spec.evp ? ['evp', 'node', 'noble'] : ['node', 'noble'],
    create(key: Uint8Array, backend?: Backend): AuthCtx {
      checkKeyLength(spec.name, key, spec.keyBits);
      const be = pickBackend(spec.name, this.backends, backend);
      if (be === 'evp') return new EvpHmacCtx(requireEvp(spec.name), spec.name, spec.nodeHash, spec.icvLen, key);
      return be === 'noble' ? new NobleHmacCtx(spec, key) : new NodeHmacCtx(spec, key);
    },
  };
}

/** RFC 2403: 128-bit key, 96-bit ICV. Aliases include racoon.conf's underscore spellings (hmac_md5, ...). */
export const hmacMd5 = hmacAlg({
  name: 'hmac-md5',
  aliases: ['hmac-md5-96', 'md5', 'hmac_md5'],
  keyBits: [128],
  icvLen: 12,
  nodeHash: 'md5',
  nobleHash: md5,
});
/** RFC 2404: 160-bit key, 96-bit ICV. */
export const hmacSha1 = hmacAlg({
  name: 'hmac-sha1',
  aliases: ['hmac-sha1-96', 'sha1', 'hmac(sha1)', 'hmac_sha1'],
  keyBits: [160],
  icvLen: 12,
  nodeHash: 'sha1',
  nobleHash: sha1,
  evp: true,
});
/** RFC 2857: 160-bit key, 96-bit ICV (setkey `hmac-ripemd160`). */
export const hmacRipemd160 = hmacAlg({
  name: 'hmac-ripemd160',
  aliases: ['hmac-ripemd160-96', 'ripemd160', 'hmac(rmd160)'],
  keyBits: [160],
  icvLen: 12,
  nodeHash: 'ripemd160',
  nobleHash: ripemd160,
});
/** RFC 4868 §2.1: key = output length (256 bits), ICV = half of it. */
export const hmacSha256 = hmacAlg({
  name: 'hmac-sha256',
  aliases: ['hmac-sha2-256', 'hmac-sha256-128', 'sha256', 'hmac(sha256)', 'hmac_sha2_256'],
  keyBits: [256],
  icvLen: 16,
  nodeHash: 'sha256',
  nobleHash: sha256,
  evp: true,
});
/** RFC 4868 §2.1: 384-bit key, 192-bit ICV. */
export const hmacSha384 = hmacAlg({
  name: 'hmac-sha384',
  aliases: ['hmac-sha2-384', 'hmac-sha384-192', 'sha384', 'hmac(sha384)', 'hmac_sha2_384'],
  keyBits: [384],
  icvLen: 24,
  nodeHash: 'sha384',
  nobleHash: sha384,
  evp: true,
});
/** RFC 4868 §2.1: 512-bit key, 256-bit ICV. */
export const hmacSha512 = hmacAlg({
  name: 'hmac-sha512',
  aliases: ['hmac-sha2-512', 'hmac-sha512-256', 'sha512', 'hmac(sha512)', 'hmac_sha2_512'],
  keyBits: [512],
  icvLen: 32,
  nodeHash: 'sha512',
  nobleHash: sha512,
  evp: true,
});

/** Hash names for HMAC used as a PRF (IKE's prf, RFC 2409 §5; RFC 4231 vectors). */
export type PrfHash = 'md5' | 'sha1' | 'ripemd160' | 'sha256' | 'sha384' | 'sha512';
export const PRF_BACKENDS: readonly Backend[] = ['node', 'noble'];

const PRF_SPECS: Record<PrfHash, HmacSpec> = {
  md5: {
    name: 'hmac-md5-prf',
    aliases: [],
    keyBits: [],
    icvLen: 16,
    nodeHash: 'md5',
    nobleHash: md5,
    secretOutput: true,
  },
  sha1: {
    name: 'hmac-sha1-prf',
    aliases: [],
    keyBits: [],
    icvLen: 20,
    nodeHash: 'sha1',
    nobleHash: sha1,
    secretOutput: true,
  },
  ripemd160: {
    name: 'hmac-ripemd160-prf',
    aliases: [],
    keyBits: [],
    icvLen: 20,
    nodeHash: 'ripemd160',
    nobleHash: ripemd160,
    secretOutput: true,
  },
  sha256: {
    name: 'hmac-sha256-prf',
    aliases: [],
    keyBits: [],
    icvLen: 32,
    nodeHash: 'sha256',
    nobleHash: sha256,
    secretOutput: true,
  },
  sha384: {
    name: 'hmac-sha384-prf',
    aliases: [],
    keyBits: [],
    icvLen: 48,
    nodeHash: 'sha384',
    nobleHash: sha384,
    secretOutput: true,
  },
  sha512: {
    name: 'hmac-sha512-prf',
    aliases: [],
    keyBits: [],
    icvLen: 64,
    nodeHash: 'sha512',
    nobleHash: sha512,
    secretOutput: true,
  },
};

/**
 * Full-length HMAC with a key of any length (RFC 2104 §2 hashes long keys, pads short ones), for IKE's
 * prf and for the RFC 4231 vectors. ESP/AH use `alg.create`, which enforces the RFC 4868 §2.1 key sizes.
 */
export function createHmacPrf(
  hash: PrfHash,
  key: Uint8Array,
  backend: Backend = 'node',
): AuthCtx & { outputLen: number } {
  const spec = PRF_SPECS[hash];
  if (!spec)
    throw new RangeError(`unknown PRF hash '${String(hash)}'; supported: ${Object.keys(PRF_SPECS).join(', ')}`);
  const be = pickBackend(spec.name, PRF_BACKENDS, backend);
  const ctx = be === 'noble' ? new NobleHmacCtx(spec, key) : new NodeHmacCtx(spec, key);
  return Object.assign(ctx, { outputLen: spec.icvLen });
}
