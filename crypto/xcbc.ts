// AES-XCBC-MAC-96 for ESP and AH (RFC 3566), and its full 128-bit form, the IKE PRF AES-XCBC-PRF-128
// (RFC 4434). Built as RFC 3566 §4 describes: K1/K2/K3 derived with AES-ECB, then one AES-CBC pass under K1
// whose last block is pre-xored with K2 or K3 (crypto/cbc-mac.ts).
import { createCipheriv } from 'node:crypto';
import { ecb as nobleEcb } from '@noble/ciphers/aes.js';
import type { AuthAlg, AuthCtx, Backend } from './types.js';
import { equalCT } from '../common/bytes.js';
import { assertLive, checkKeyLength, pickBackend } from './errors.js';
import { AES_BLOCK, cbcMac, tailBlock, totalLength } from './cbc-mac.js';

const NAME = 'aes-xcbc-mac';
const ICV_LEN = 12; // RFC 3566 §2.5: AES-XCBC-MAC-96

/** E(K, c^16) for c = 1, 2, 3 (RFC 3566 §4 step 1). */
function deriveKeys(key: Uint8Array, backend: Backend): [Uint8Array, Uint8Array, Uint8Array] {
  const consts = new Uint8Array(48);
  consts.fill(1, 0, 16).fill(2, 16, 32).fill(3, 32, 48);
  let out: Uint8Array;
  if (backend === 'noble') {
    out = nobleEcb(key, { disablePadding: true }).encrypt(consts);
  } else {
    const c = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
    out = c.update(consts);
    c.final();
  }
  // Copies, not views: `out` may be a Buffer, whose slice() shares memory, and it is zeroed next.
  const keys: [Uint8Array, Uint8Array, Uint8Array] = [
    Uint8Array.from(out.subarray(0, 16)),
    Uint8Array.from(out.subarray(16, 32)),
    Uint8Array.from(out.subarray(32, 48)),
  ];
  out.fill(0);
  return keys;
}

/** XCBC over parts; `outLen` is 12 for the ESP/AH ICV and 16 for the IKE PRF (RFC 4434 §2). */
class XcbcCtx implements AuthCtx {
  private k1: Uint8Array;
  private k2: Uint8Array;
  private k3: Uint8Array;
  private last = new Uint8Array(AES_BLOCK);
  private scratch: Uint8Array;
  private live = true;
  constructor(
    key: Uint8Array,
    private backend: Backend,
    private outLen = ICV_LEN,
  ) {
    [this.k1, this.k2, this.k3] = deriveKeys(key, backend);
    this.scratch = new Uint8Array(outLen);
  }

  mac(parts: readonly Uint8Array[], out: Uint8Array, outOff: number): void {
    assertLive(NAME, this.live);
    if (outOff < 0 || outOff + this.outLen > out.length)
      throw new RangeError(`${NAME}: no room for the ${this.outLen}-byte output`);
    const total = totalLength(parts);
    const tail = tailBlock(parts, total, this.last, this.k2, this.k3);
    const res = cbcMac(this.k1, parts, total, tail, this.backend);
    // The MAC is the last CBC output block; the ICV keeps its first 96 bits (RFC 3566 §4 step 4, §2.5).
    out.set(res.subarray(0, this.outLen), outOff);
    res.fill(0);
  }

  verify(parts: readonly Uint8Array[], icv: Uint8Array): boolean {
    if (icv.length !== this.outLen) return false;
    this.mac(parts, this.scratch, 0);
    return equalCT(this.scratch, icv);
  }

  wipe(): void {
    for (const b of [this.k1, this.k2, this.k3, this.last, this.scratch]) b.fill(0);
    this.live = false;
  }
}

/** RFC 3566: 128-bit key, 96-bit ICV (setkey `aes-xcbc-mac`, SADB_X_AALG_AES_XCBC_MAC). */
export const aesXcbcMac: AuthAlg = {
  kind: 'auth',
  name: NAME,
  aliases: ['aes-xcbc-mac-96', 'aes-xcbc', 'xcbc(aes)'],
  keyBits: [128],
  icvLen: ICV_LEN,
  backends: ['node', 'noble'],
  create(key: Uint8Array, backend?: Backend): AuthCtx {
    checkKeyLength(NAME, key, this.keyBits);
    return new XcbcCtx(key, pickBackend(NAME, this.backends, backend));
  },
};

/** The untruncated 16-byte AES-XCBC-MAC of `parts` under a 128-bit key (RFC 4434 §2 with a 16-byte key). */
export function aesXcbc128(key: Uint8Array, parts: readonly Uint8Array[], backend: Backend = 'node'): Uint8Array {
  checkKeyLength('aes-xcbc-prf-128', key, [128]);
  const ctx = new XcbcCtx(key, pickBackend(NAME, aesXcbcMac.backends, backend), AES_BLOCK);
  const out = new Uint8Array(AES_BLOCK);
  try {
    ctx.mac(parts, out, 0);
  } finally {
    ctx.wipe();
  }
  return out;
}
