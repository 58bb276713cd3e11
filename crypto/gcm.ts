// AES-GCM for ESP (RFC 4106, 8/12/16-byte ICVs) and AES-GMAC, its authentication-only form (RFC 4543).
// The key string carries the AES key followed by a 4-byte salt; nonce = salt || 8-byte explicit IV (RFC 4106 §4).
import { gcm, ecb, ctr } from '@noble/ciphers/aes.js';
import { ghash } from '@noble/ciphers/_polyval.js';
import type { AeadAlg, AeadCtx, Backend } from './types.js';
import { equalCT, putU32 } from '../common/bytes.js';
import { assertLive, checkKeyLength, inRange, pickBackend } from './errors.js';
import { nobleInPlace } from './noble-inplace.js';
import { NodeAeadCtx, SALT_LEN, checkIv, checkSealArgs, type AeadParams } from './aead-node.js';
import { EvpAeadCtx } from './evp-aead.js';
import { requireEvp } from './evp-lib.js';

const KEY_BITS = [160, 224, 288]; // AES-128/192/256 + 32-bit salt
const EMPTY = new Uint8Array(0);

/** @noble GCM with truncatable tags: the tag is recomputed and compared (constant time) before any byte is decrypted. */
class NobleGcmCtx implements AeadCtx {
  private key: Uint8Array;
  private hashKey: Uint8Array; // H = E(K, 0^128), NIST SP 800-38D §6.4
  private nonce = new Uint8Array(12);
  private block = new Uint8Array(16);
  private live = true;
  constructor(
    private p: AeadParams,
    keyWithSalt: Uint8Array,
  ) {
    const n = keyWithSalt.length - SALT_LEN;
    this.key = Uint8Array.from(keyWithSalt.subarray(0, n));
    this.nonce.set(keyWithSalt.subarray(n));
    this.hashKey = ecb(this.key, { disablePadding: true }).encrypt(new Uint8Array(16));
  }

  /** RFC 4543 §3.2: for GMAC the IV and the payload follow the ESP header in the AAD. */
  private fullAad(aad: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
    if (!this.p.authOnly) return aad;
    const a = new Uint8Array(aad.length + iv.length + data.length);
    a.set(aad);
    a.set(iv, aad.length);
    a.set(data, aad.length + iv.length);
    return a;
  }

  /** The full 16-byte tag: GHASH_H(A, C) xor E(K, J0) (SP 800-38D §7.1 steps 5-6). */
  private tagOf(aad: Uint8Array, ct: Uint8Array): Uint8Array {
    const lens = new Uint8Array(16);
    new DataView(lens.buffer).setBigUint64(0, BigInt(aad.length) * 8n);
    new DataView(lens.buffer).setBigUint64(8, BigInt(ct.length) * 8n);
    const s = ghash
      .create(this.hashKey, aad.length + ct.length)
      .update(aad)
      .update(ct)
      .update(lens)
      .digest();
    this.block.set(this.nonce);
    putU32(this.block, 12, 1); // J0 = nonce || 0^31 || 1
    const mask = ecb(this.key, { disablePadding: true }).encrypt(this.block);
    for (let i = 0; i < 16; i++) s[i]! ^= mask[i]!;
    return s;
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
    assertLive(this.p.name, this.live);
    checkSealArgs(this.p.name, this.p.icvLen, iv, buf, off, len, tag, tagOff);
    this.nonce.set(iv, SALT_LEN);
    const data = buf.subarray(off, off + len);
    const out = gcm(this.key, this.nonce, this.fullAad(aad, iv, data)).encrypt(this.p.authOnly ? EMPTY : data);
    const ctLen = out.length - 16;
    buf.set(out.subarray(0, ctLen), off);
    tag.set(out.subarray(ctLen, ctLen + this.p.icvLen), tagOff);
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
    assertLive(this.p.name, this.live);
    checkIv(this.p.name, iv);
    if (tagOff < 0 || tagOff + this.p.icvLen > tag.length) return false;
    if (!inRange(buf, off, len)) return false;
    this.nonce.set(iv, SALT_LEN);
    const data = buf.subarray(off, off + len);
    const ct = this.p.authOnly ? EMPTY : data;
    const want = this.tagOf(this.fullAad(aad, iv, data), ct);
    if (!equalCT(want.subarray(0, this.p.icvLen), tag.subarray(tagOff, tagOff + this.p.icvLen))) return false;
    if (!this.p.authOnly && len > 0) {
      this.block.set(this.nonce);
      putU32(this.block, 12, 2); // RFC 4106 §3.1 / SP 800-38D: the payload starts at counter 2
      nobleInPlace(data, (i, o) => ctr(this.key, this.block).decrypt(i, o));
    }
    return true;
  }

  wipe(): void {
    this.key.fill(0);
    this.hashKey.fill(0);
    this.nonce.fill(0);
    this.block.fill(0);
    this.live = false;
  }
}

function gcmAlg(name: string, aliases: string[], icvLen: number, authOnly: boolean): AeadAlg {
  const params: AeadParams = { name, icvLen, authOnly };
  return {
    kind: 'aead',
    name,
    aliases,
    keyBits: KEY_BITS,
    blockSize: 4, // RFC 4106 §3.2: no block alignment beyond ESP's 4 bytes
    ivLen: 8,
    icvLen,
    authOnly,
    backends: ['evp', 'node', 'noble'],
    create(key: Uint8Array, backend?: Backend): AeadCtx {
      checkKeyLength(name, key, KEY_BITS);
      const be = pickBackend(name, this.backends, backend);
      if (be === 'noble') return new NobleGcmCtx(params, key);
      const bits = (key.length - SALT_LEN) * 8;
      if (be === 'evp') return new EvpAeadCtx(requireEvp(name), params, `AES-${bits}-GCM`, key);
      return new NodeAeadCtx(params, `aes-${bits}-gcm` as 'aes-128-gcm', key);
    },
  };
}

/** RFC 4106 with a 16-byte ICV (SADB_X_EALG_AESGCM16, IKEv2 ENCR_AES_GCM_16). */
export const aesGcm16 = gcmAlg(
  'aes-gcm-16',
  ['aes-gcm', 'aes-gcm-icv16', 'aes_gcm_16', 'rfc4106(gcm(aes))'],
  16,
  false,
);
/** RFC 4106 with a 12-byte ICV (SADB_X_EALG_AESGCM12). */
export const aesGcm12 = gcmAlg('aes-gcm-12', ['aes-gcm-icv12', 'aes_gcm_12'], 12, false);
/** RFC 4106 with an 8-byte ICV (SADB_X_EALG_AESGCM8). */
export const aesGcm8 = gcmAlg('aes-gcm-8', ['aes-gcm-icv8', 'aes_gcm_8'], 8, false);
/** RFC 4543 ENCR_NULL_AUTH_AES_GMAC: integrity only, 16-byte ICV (NetBSD setkey `aes-gmac`). */
export const aesGmac = gcmAlg('aes-gmac', ['null-aes-gmac', 'aes_gmac', 'rfc4543(gcm(aes))'], 16, true);
