// The CBC-MAC core shared by AES-XCBC (RFC 3566 §4) and AES-CMAC (RFC 4493 §2.4): every block but the last
// goes through AES-CBC with a zero IV; the last block is pre-xored with a subkey (padded when partial) first.
// node:crypto has neither MAC, so both are built on OpenSSL's AES-CBC here, with @noble as the second back-end.
import { createCipheriv } from 'node:crypto';
import { cbc as nobleCbc } from '@noble/ciphers/aes.js';
import type { Backend } from './types.js';

export const AES_BLOCK = 16;
const ZERO_IV = new Uint8Array(AES_BLOCK);

/** Offset of the last (possibly partial or empty) block of a `total`-byte message. */
export function lastBlockStart(total: number): number {
  return total === 0 ? 0 : Math.floor((total - 1) / AES_BLOCK) * AES_BLOCK;
}

/**
 * The last block prepared as both MACs want it: M[n] xor `full` when complete, pad(M[n]) xor `partial`
 * when partial or empty (10* padding, RFC 3566 §4 step 3 / RFC 4493 §2.4 step 4). Written into `blk`.
 */
export function tailBlock(
  parts: readonly Uint8Array[],
  total: number,
  blk: Uint8Array,
  full: Uint8Array,
  partial: Uint8Array,
): Uint8Array {
  const lastStart = lastBlockStart(total);
  blk.fill(0);
  let pos = 0;
  for (const p of parts) {
    const from = Math.max(lastStart - pos, 0);
    if (from < p.length) blk.set(p.subarray(from), pos + from - lastStart);
    pos += p.length;
  }
  const n = total - lastStart;
  const k = n === AES_BLOCK ? full : partial;
  if (n < AES_BLOCK) blk[n] = 0x80;
  for (let i = 0; i < AES_BLOCK; i++) blk[i]! ^= k[i]!;
  return blk;
}

/** AES-CBC-MAC under `key` of parts[0..lastStart) followed by `tail`; returns the final 16-byte block. */
export function cbcMac(
  key: Uint8Array,
  parts: readonly Uint8Array[],
  total: number,
  tail: Uint8Array,
  backend: Backend,
): Uint8Array {
  const lastStart = lastBlockStart(total);
  let res: Uint8Array;
  if (backend === 'noble') {
    const msg = new Uint8Array(lastStart + AES_BLOCK);
    let pos = 0;
    for (const p of parts) {
      if (pos < lastStart) msg.set(p.subarray(0, Math.min(p.length, lastStart - pos)), pos);
      pos += p.length;
    }
    msg.set(tail, lastStart);
    res = nobleCbc(key, ZERO_IV, { disablePadding: true }).encrypt(msg);
  } else {
    const c = createCipheriv(`aes-${key.length * 8}-cbc`, key, ZERO_IV).setAutoPadding(false);
    let pos = 0;
    for (const p of parts) {
      if (pos < lastStart) c.update(p.subarray(0, Math.min(p.length, lastStart - pos)));
      pos += p.length;
    }
    res = c.update(tail);
    c.final();
  }
  const mac = Uint8Array.from(res.subarray(res.length - AES_BLOCK));
  res.fill(0);
  return mac;
}

/** Total byte count of `parts`. */
export function totalLength(parts: readonly Uint8Array[]): number {
  let n = 0;
  for (const p of parts) n += p.length;
  return n;
}
