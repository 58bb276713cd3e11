// AES-CMAC (RFC 4493) and AES-CMAC-96, its 96-bit truncation for ESP, AH and the IKEv2 SK payload
// (RFC 4494). Subkeys K1/K2 come from L = AES-K(0^128) by a doubling in GF(2^128) (RFC 4493 §2.3); the MAC
// is the AES-CBC-MAC under K whose last block is pre-xored with K1 (complete) or K2 (padded), crypto/cbc-mac.ts.
import { createCipheriv } from 'node:crypto';
import { cmac as nobleCmac, ecb as nobleEcb } from '@noble/ciphers/aes.js';
import type { AuthAlg, AuthCtx, Backend } from './types.js';
import { equalCT } from '../common/bytes.js';
import { assertLive, checkKeyLength, pickBackend } from './errors.js';
import { AES_BLOCK, cbcMac, tailBlock, totalLength } from './cbc-mac.js';

const NAME = 'aes-cmac';
const ICV_LEN = 12; // RFC 4494 §2: AES-CMAC-96
const RB = 0x87; // RFC 4493 §2.3: const_Rb for a 128-bit block

/** Left shift by one bit, xoring Rb in when the bit shifted out was set (RFC 4493 §2.3 steps 2-3). */
function double(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(AES_BLOCK);
  for (let i = 0; i < AES_BLOCK - 1; i++) out[i] = ((b[i]! << 1) | (b[i + 1]! >> 7)) & 0xff;
  out[AES_BLOCK - 1] = (b[AES_BLOCK - 1]! << 1) & 0xff;
  if (b[0]! & 0x80) out[AES_BLOCK - 1]! ^= RB;
  return out;
}

/** K1 and K2 for `key` (RFC 4493 §2.3). */
function subkeys(key: Uint8Array, backend: Backend): [Uint8Array, Uint8Array] {
  let l: Uint8Array;
  if (backend === 'noble') {
    l = nobleEcb(key, { disablePadding: true }).encrypt(new Uint8Array(AES_BLOCK));
  } else {
    const c = createCipheriv(`aes-${key.length * 8}-ecb`, key, null).setAutoPadding(false);
    l = c.update(new Uint8Array(AES_BLOCK));
    c.final();
  }
  const k1 = double(l);
  const k2 = double(k1);
  l.fill(0);
  return [k1, k2];
}

function joined(parts: readonly Uint8Array[], total: number): Uint8Array {
  const msg = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    msg.set(p, o);
    o += p.length;
  }
  return msg;
}

class CmacCtx implements AuthCtx {
  private key: Uint8Array;
  private k1: Uint8Array;
  private k2: Uint8Array;
  private last = new Uint8Array(AES_BLOCK);
  private scratch: Uint8Array;
  private live = true;
  constructor(
    key: Uint8Array,
    private backend: Backend,
    private outLen: number,
  ) {
    this.key = Uint8Array.from(key);
    [this.k1, this.k2] = subkeys(this.key, backend);
    this.scratch = new Uint8Array(outLen);
  }

  /** The 16-byte CMAC: ours over OpenSSL's AES-CBC, or @noble's own CMAC (an independent second one). */
  private full(parts: readonly Uint8Array[]): Uint8Array {
    const total = totalLength(parts);
    if (this.backend === 'noble') return nobleCmac(joined(parts, total), this.key);
    return cbcMac(this.key, parts, total, tailBlock(parts, total, this.last, this.k1, this.k2), 'node');
  }

  mac(parts: readonly Uint8Array[], out: Uint8Array, outOff: number): void {
    assertLive(NAME, this.live);
    if (outOff < 0 || outOff + this.outLen > out.length)
      throw new RangeError(`${NAME}: no room for the ${this.outLen}-byte output`);
    const res = this.full(parts);
    out.set(res.subarray(0, this.outLen), outOff); // RFC 4494 §2: the first 96 bits for the ICV
    res.fill(0);
  }

  verify(parts: readonly Uint8Array[], icv: Uint8Array): boolean {
    if (icv.length !== this.outLen) return false;
    this.mac(parts, this.scratch, 0);
    return equalCT(this.scratch, icv);
  }

  wipe(): void {
    for (const b of [this.key, this.k1, this.k2, this.last, this.scratch]) b.fill(0);
    this.live = false;
  }
}

/**
 * RFC 4494 AES-CMAC-96: 128-bit key, 96-bit ICV (IKEv2 AUTH_AES_CMAC_96, Linux `cmac(aes)`). It is not in the
 * setkey registry: KAME and FreeBSD PF_KEY define no SADB_X_AALG number for it.
 */
export const aesCmac96: AuthAlg = {
  kind: 'auth',
  name: 'aes-cmac-96',
  aliases: ['aes-cmac', 'cmac(aes)'],
  keyBits: [128],
  icvLen: ICV_LEN,
  backends: ['node', 'noble'],
  create(key: Uint8Array, backend?: Backend): AuthCtx {
    checkKeyLength(NAME, key, this.keyBits);
    return new CmacCtx(key, pickBackend(NAME, this.backends, backend), ICV_LEN);
  },
};

/**
 * The full 16-byte AES-CMAC (RFC 4493) of `parts` under a 128-, 192- or 256-bit AES key. The 'noble' back-end
 * is @noble's own CMAC (a second, independent implementation), used by the cross-check tests.
 */
export function aesCmac(key: Uint8Array, parts: readonly Uint8Array[], backend: Backend = 'node'): Uint8Array {
  checkKeyLength(NAME, key, [128, 192, 256]);
  const ctx = new CmacCtx(key, pickBackend(NAME, aesCmac96.backends, backend), AES_BLOCK);
  const out = new Uint8Array(AES_BLOCK);
  try {
    ctx.mac(parts, out, 0);
  } finally {
    ctx.wipe();
  }
  return out;
}
