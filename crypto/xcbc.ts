// AES-XCBC-MAC-96 for ESP and AH (RFC 3566). node:crypto has no XCBC, so it is built as RFC 3566 §4 describes:
// K1/K2/K3 derived with AES-ECB, then one AES-CBC pass under K1 whose last block is pre-xored with K2 or K3.
import { createCipheriv } from 'node:crypto';
import { cbc as nobleCbc, ecb as nobleEcb } from '@noble/ciphers/aes.js';
import type { AuthAlg, AuthCtx, Backend } from './types.js';
import { equalCT } from '../common/bytes.js';
import { assertLive, checkKeyLength, pickBackend } from './errors.js';

const NAME = 'aes-xcbc-mac';
const BLOCK = 16;
const ICV_LEN = 12; // RFC 3566 §2.5: AES-XCBC-MAC-96
const ZERO_IV = new Uint8Array(BLOCK);

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

class XcbcCtx implements AuthCtx {
  private k1: Uint8Array;
  private k2: Uint8Array;
  private k3: Uint8Array;
  private last = new Uint8Array(BLOCK);
  private scratch = new Uint8Array(ICV_LEN);
  private live = true;
  constructor(
    key: Uint8Array,
    private backend: Backend,
  ) {
    [this.k1, this.k2, this.k3] = deriveKeys(key, backend);
  }

  /** Builds the final block M[n] xor K2 (complete) or pad(M[n]) xor K3 (partial or empty message), §4 step 3. */
  private lastBlock(parts: readonly Uint8Array[], total: number, lastStart: number): Uint8Array {
    const blk = this.last.fill(0);
    let pos = 0;
    for (const p of parts) {
      const from = Math.max(lastStart - pos, 0);
      if (from < p.length) blk.set(p.subarray(from), pos + from - lastStart);
      pos += p.length;
    }
    const n = total - lastStart;
    const k = n === BLOCK ? this.k2 : this.k3;
    if (n < BLOCK) blk[n] = 0x80;
    for (let i = 0; i < BLOCK; i++) blk[i]! ^= k[i]!;
    return blk;
  }

  mac(parts: readonly Uint8Array[], out: Uint8Array, outOff: number): void {
    assertLive(NAME, this.live);
    if (outOff < 0 || outOff + ICV_LEN > out.length)
      throw new RangeError(`${NAME}: no room for the ${ICV_LEN}-byte ICV`);
    let total = 0;
    for (const p of parts) total += p.length;
    const lastStart = total === 0 ? 0 : Math.floor((total - 1) / BLOCK) * BLOCK;
    const tail = this.lastBlock(parts, total, lastStart);
    let res: Uint8Array;
    if (this.backend === 'noble') {
      const msg = new Uint8Array(lastStart + BLOCK);
      let pos = 0;
      for (const p of parts) {
        if (pos < lastStart) msg.set(p.subarray(0, Math.min(p.length, lastStart - pos)), pos);
        pos += p.length;
      }
      msg.set(tail, lastStart);
      res = nobleCbc(this.k1, ZERO_IV, { disablePadding: true }).encrypt(msg);
    } else {
      const c = createCipheriv('aes-128-cbc', this.k1, ZERO_IV).setAutoPadding(false);
      let pos = 0;
      for (const p of parts) {
        if (pos < lastStart) c.update(p.subarray(0, Math.min(p.length, lastStart - pos)));
        pos += p.length;
      }
      res = c.update(tail);
      c.final();
    }
    // The MAC is the last CBC output block; keep its first 96 bits (RFC 3566 §4 step 4, §2.5).
    out.set(res.subarray(res.length - BLOCK, res.length - BLOCK + ICV_LEN), outOff);
  }

  verify(parts: readonly Uint8Array[], icv: Uint8Array): boolean {
    if (icv.length !== ICV_LEN) return false;
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
