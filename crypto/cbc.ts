// CBC-mode ESP ciphers: AES (RFC 3602), Camellia (RFC 4312), 3DES (RFC 2451), DES (RFC 2405).
// node:crypto on the packet path; @noble for AES; node-forge for single DES, which OpenSSL 3 hides.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { cbc as nobleCbc } from '@noble/ciphers/aes.js';
import forge from 'node-forge';
import type { Backend, CipherAlg, CipherCtx } from './types.js';
import { assertLive, checkKeyLength, checkRange, pickBackend } from './errors.js';
import { nobleInPlace } from './noble-inplace.js';
import { byteView } from '../common/byte-view.js';
import { EvpCbcCtx } from './evp-cbc.js';
import { requireEvp } from './evp-lib.js';

/** Block cipher parameters; `nodeName(bits)` maps a key length to an OpenSSL cipher name. */
interface CbcSpec {
  name: string;
  aliases: string[];
  keyBits: number[];
  blockSize: number;
  backends: Backend[];
  nodeName(keyBits: number): string;
  forgeName?: 'DES-CBC' | '3DES-CBC';
}

function checkBlocks(
  alg: string,
  blockSize: number,
  ivLen: number,
  iv: Uint8Array,
  buf: Uint8Array,
  off: number,
  len: number,
): void {
  checkRange(alg, buf, off, len);
  if (len % blockSize !== 0) throw new RangeError(`${alg}: length ${len} is not a multiple of ${blockSize}`);
  if (iv.length !== ivLen) throw new RangeError(`${alg}: IV must be ${ivLen} bytes, got ${iv.length}`);
}

/** node:crypto CBC: one OpenSSL context per packet (the IV changes), output copied back in place. */
class NodeCbcCtx implements CipherCtx {
  private key: Buffer;
  private live = true;
  constructor(
    private spec: CbcSpec,
    key: Uint8Array,
    private cipherName: string,
  ) {
    this.key = Buffer.from(key);
  }
  encrypt(iv: Uint8Array, buf: Uint8Array, off: number, len: number): void {
    assertLive(this.spec.name, this.live);
    checkBlocks(this.spec.name, this.spec.blockSize, this.spec.blockSize, iv, buf, off, len);
    const c = createCipheriv(this.cipherName, this.key, iv).setAutoPadding(false);
    buf.set(c.update(byteView(buf, off, len)), off); // OpenSSL's fresh output, copied into place
    c.final();
  }
  decrypt(iv: Uint8Array, buf: Uint8Array, off: number, len: number): void {
    assertLive(this.spec.name, this.live);
    checkBlocks(this.spec.name, this.spec.blockSize, this.spec.blockSize, iv, buf, off, len);
    const d = createDecipheriv(this.cipherName, this.key, iv).setAutoPadding(false);
    buf.set(d.update(byteView(buf, off, len)), off);
    d.final();
  }
  wipe(): void {
    this.key.fill(0);
    this.live = false;
  }
}

/** @noble/ciphers AES-CBC, writing straight into the caller's buffer (no padding: ESP pads itself). */
class NobleCbcCtx implements CipherCtx {
  private key: Uint8Array;
  private live = true;
  constructor(
    private spec: CbcSpec,
    key: Uint8Array,
  ) {
    this.key = Uint8Array.from(key);
  }
  encrypt(iv: Uint8Array, buf: Uint8Array, off: number, len: number): void {
    assertLive(this.spec.name, this.live);
    checkBlocks(this.spec.name, 16, 16, iv, buf, off, len);
    const data = buf.subarray(off, off + len);
    nobleInPlace(data, (i, o) => nobleCbc(this.key, iv, { disablePadding: true }).encrypt(i, o));
  }
  decrypt(iv: Uint8Array, buf: Uint8Array, off: number, len: number): void {
    assertLive(this.spec.name, this.live);
    checkBlocks(this.spec.name, 16, 16, iv, buf, off, len);
    const data = buf.subarray(off, off + len);
    nobleInPlace(data, (i, o) => nobleCbc(this.key, iv, { disablePadding: true }).decrypt(i, o));
  }
  wipe(): void {
    this.key.fill(0);
    this.live = false;
  }
}

const bin = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('binary');

/** node-forge DES/3DES-CBC (binary strings; slow, only for the legacy single DES that OpenSSL 3 hides). */
class ForgeCbcCtx implements CipherCtx {
  private key: Uint8Array;
  private live = true;
  constructor(
    private spec: CbcSpec,
    key: Uint8Array,
  ) {
    this.key = Uint8Array.from(key);
  }
  private run(decrypt: boolean, iv: Uint8Array, buf: Uint8Array, off: number, len: number): void {
    assertLive(this.spec.name, this.live);
    checkBlocks(this.spec.name, 8, 8, iv, buf, off, len);
    const make = decrypt ? forge.cipher.createDecipher : forge.cipher.createCipher;
    const c = make(this.spec.forgeName!, bin(this.key)) as forge.cipher.BlockCipher & {
      finish(pad?: () => boolean): boolean;
    };
    c.start({ iv: bin(iv) });
    c.update(forge.util.createBuffer(bin(buf.subarray(off, off + len))));
    // No padding: ESP has already padded; a finish(pad) hook that returns true skips PKCS#7 both ways.
    c.finish(() => true);
    const out = c.output.getBytes();
    for (let i = 0; i < len; i++) buf[off + i] = out.charCodeAt(i);
  }
  encrypt(iv: Uint8Array, buf: Uint8Array, off: number, len: number): void {
    this.run(false, iv, buf, off, len);
  }
  decrypt(iv: Uint8Array, buf: Uint8Array, off: number, len: number): void {
    this.run(true, iv, buf, off, len);
  }
  wipe(): void {
    this.key.fill(0);
    this.live = false;
  }
}

function cbcAlg(spec: CbcSpec): CipherAlg {
  return {
    kind: 'cipher',
    name: spec.name,
    aliases: spec.aliases,
    keyBits: spec.keyBits,
    blockSize: spec.blockSize,
    ivLen: spec.blockSize,
    ivKind: 'random', // RFC 3602 §2.3: CBC IVs must be unpredictable
    backends: spec.backends,
    create(key: Uint8Array, backend?: Backend): CipherCtx {
      checkKeyLength(spec.name, key, spec.keyBits);
      const be = pickBackend(spec.name, spec.backends, backend);
      if (be === 'noble') return new NobleCbcCtx(spec, key);
      if (be === 'forge') return new ForgeCbcCtx(spec, key);
      if (be === 'evp') return new EvpCbcCtx(requireEvp(spec.name), spec.name, spec.nodeName(key.length * 8), key);
      return new NodeCbcCtx(spec, key, spec.nodeName(key.length * 8));
    },
  };
}

/** RFC 3602: AES-CBC with a 16-byte explicit IV; setkey also calls it rijndael-cbc. */
export const aesCbc = cbcAlg({
  name: 'aes-cbc',
  aliases: ['rijndael-cbc', 'aes', 'rijndael', 'aes128-cbc', 'aes192-cbc', 'aes256-cbc'],
  keyBits: [128, 192, 256],
  blockSize: 16,
  backends: ['evp', 'node', 'noble'],
  nodeName: (bits) => `aes-${bits}-cbc`,
});

/** RFC 4312: Camellia-CBC for ESP (OpenSSL only; neither @noble nor node-forge has Camellia). */
export const camelliaCbc = cbcAlg({
  name: 'camellia-cbc',
  aliases: ['camellia', 'camellia_cbc'],
  keyBits: [128, 192, 256],
  blockSize: 16,
  backends: ['node'],
  nodeName: (bits) => `camellia-${bits}-cbc`,
});

/** RFC 2451: 3DES-EDE-CBC with a 192-bit key (three DES keys, parity bits ignored). */
export const tripleDesCbc = cbcAlg({
  name: '3des-cbc',
  aliases: ['des-ede3-cbc', 'tripledes-cbc', '3des'],
  keyBits: [192],
  blockSize: 8,
  backends: ['node', 'forge'],
  nodeName: () => 'des-ede3-cbc',
  forgeName: '3DES-CBC',
});

/** RFC 2405: single DES-CBC (broken; kept for old peers). Node 20's OpenSSL 3 hides it, so node-forge. */
export const desCbc = cbcAlg({
  name: 'des-cbc',
  aliases: ['des'],
  keyBits: [64],
  blockSize: 8,
  backends: ['forge'],
  nodeName: () => 'des-cbc',
  forgeName: 'DES-CBC',
});
