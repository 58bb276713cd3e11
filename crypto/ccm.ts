// AES-CCM with 8-, 12- and 16-byte ICVs for ESP (RFC 4309) and the IKEv2 SK payload (RFC 5282). The key string
// is the AES key followed by a 3-byte salt (RFC 4309 §7.1); nonce = salt(3) || IV(8), so the length field is
// 4 bytes (L = 4, RFC 4309 §4). node:crypto only: @noble has no CCM; tests/vectors cross-check it with Python.
import { createCipheriv, createDecipheriv, type CipherCCMTypes } from 'node:crypto';
import type { AeadAlg, AeadCtx, Backend } from './types.js';
import { assertLive, checkKeyLength, inRange, pickBackend } from './errors.js';
import { checkIv, checkSealArgs, EXPLICIT_IV_LEN } from './aead-node.js';
import { byteView } from '../common/byte-view.js';

export const CCM_SALT_LEN = 3; // RFC 4309 §7.1
const KEY_BITS = [152, 216, 280]; // AES-128/192/256 + 24-bit salt

/**
 * CCM must see one update() even for an empty payload, and OpenSSL skips an update over a zero-length buffer
 * with no memory behind it ("tag not set" at final); an empty view into real memory is processed.
 */
const EMPTY = new Uint8Array(1).subarray(0, 0);

function dataView(buf: Uint8Array, off: number, len: number): Uint8Array {
  return len === 0 ? EMPTY : byteView(buf, off, len);
}

class NodeCcmCtx implements AeadCtx {
  private key: Buffer;
  private nonce = Buffer.alloc(CCM_SALT_LEN + EXPLICIT_IV_LEN);
  private cipherName: CipherCCMTypes;
  private live = true;
  constructor(
    private name: string,
    private icvLen: number,
    keyWithSalt: Uint8Array,
  ) {
    const n = keyWithSalt.length - CCM_SALT_LEN;
    this.key = Buffer.from(keyWithSalt.subarray(0, n));
    this.nonce.set(keyWithSalt.subarray(n), 0);
    this.cipherName = `aes-${n * 8}-ccm` as CipherCCMTypes;
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
    assertLive(this.name, this.live);
    checkSealArgs(this.name, this.icvLen, iv, buf, off, len, tag, tagOff);
    this.nonce.set(iv, CCM_SALT_LEN);
    const c = createCipheriv(this.cipherName, this.key, this.nonce, { authTagLength: this.icvLen });
    c.setAAD(aad, { plaintextLength: len }); // CCM needs the length before the first block (RFC 3610 §2.2)
    const out = c.update(dataView(buf, off, len));
    c.final();
    buf.set(out, off);
    tag.set(c.getAuthTag(), tagOff);
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
    assertLive(this.name, this.live);
    checkIv(this.name, iv);
    if (tagOff < 0 || tagOff + this.icvLen > tag.length) return false;
    if (!inRange(buf, off, len)) return false;
    this.nonce.set(iv, CCM_SALT_LEN);
    const d = createDecipheriv(this.cipherName, this.key, this.nonce, { authTagLength: this.icvLen });
    d.setAuthTag(tag.subarray(tagOff, tagOff + this.icvLen));
    d.setAAD(aad, { plaintextLength: len });
    // OpenSSL verifies the CBC-MAC inside update() (CCM is one-shot) and releases no plaintext on a bad tag.
    const plain = d.update(dataView(buf, off, len));
    try {
      d.final();
    } catch {
      plain.fill(0);
      return false;
    }
    buf.set(plain, off);
    plain.fill(0);
    return true;
  }

  wipe(): void {
    this.key.fill(0);
    this.nonce.fill(0);
    this.live = false;
  }
}

function ccmAlg(icvLen: number): AeadAlg {
  const name = `aes-ccm-${icvLen}`;
  return {
    kind: 'aead',
    name,
    aliases: [`aes-ccm-icv${icvLen}`, `aes_ccm_${icvLen}`],
    keyBits: KEY_BITS,
    blockSize: 4, // RFC 4309 §3.2: ESP's 4-byte alignment only
    ivLen: EXPLICIT_IV_LEN,
    icvLen,
    authOnly: false,
    backends: ['node'],
    create(key: Uint8Array, backend?: Backend): AeadCtx {
      checkKeyLength(name, key, KEY_BITS);
      pickBackend(name, this.backends, backend);
      return new NodeCcmCtx(name, icvLen, key);
    },
  };
}

/**
 * RFC 4309 / RFC 5282 ENCR_AES_CCM_8/12/16. Not in the setkey registry: KAME and FreeBSD PF_KEY have no
 * SADB_X_EALG number for CCM; IKEv2 and a future kernel use these objects directly.
 */
export const aesCcm8 = ccmAlg(8);
export const aesCcm12 = ccmAlg(12);
export const aesCcm16 = ccmAlg(16);
