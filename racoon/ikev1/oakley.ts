// IKEv1 keying (racoon oakley.c): SKEYID and SKEYID_d/_a/_e (RFC 2409 §5), the encryption key expansion and
// IVs (App. B), HASH_I/HASH_R (§5), quick mode HASH(1)/(2)/(3) and KEYMAT (§5.5), the informational HASH
// (§5.7), and the encryption of message bodies with IV chaining (App. B). Pure functions over bytes.
import { hash, hashLength, prf, type PrfHash } from '../../crypto/prf.js';
import type { IkeCipher } from '../../crypto/ike-cipher.js';
import { putU32 } from '../../common/bytes.js';

const ZERO = new Uint8Array([0]);

function msgidBytes(msgid: number): Uint8Array {
  const b = new Uint8Array(4);
  putU32(b, 0, msgid >>> 0);
  return b;
}

/** SKEYID for pre-shared keys: prf(pre-shared-key, Ni_b | Nr_b) (RFC 2409 §5). */
export function skeyidPsk(h: PrfHash, psk: Uint8Array, ni: Uint8Array, nr: Uint8Array): Uint8Array {
  return prf(h, psk, [ni, nr]);
}

/** SKEYID for signatures: prf(Ni_b | Nr_b, g^xy) (RFC 2409 §5). */
export function skeyidSig(h: PrfHash, ni: Uint8Array, nr: Uint8Array, gxy: Uint8Array): Uint8Array {
  const k = new Uint8Array(ni.length + nr.length);
  k.set(ni);
  k.set(nr, ni.length);
  return prf(h, k, [gxy]);
}

export interface SkeyidDae {
  d: Uint8Array;
  a: Uint8Array;
  e: Uint8Array;
}

/**
 * RFC 2409 §5: SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0),
 * SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1), SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2).
 */
export function skeyidDae(
  h: PrfHash,
  skeyid: Uint8Array,
  gxy: Uint8Array,
  ckyI: Uint8Array,
  ckyR: Uint8Array,
): SkeyidDae {
  const d = prf(h, skeyid, [gxy, ckyI, ckyR, ZERO]);
  const a = prf(h, skeyid, [d, gxy, ckyI, ckyR, new Uint8Array([1])]);
  const e = prf(h, skeyid, [a, gxy, ckyI, ckyR, new Uint8Array([2])]);
  return { d, a, e };
}

/**
 * RFC 2409 App. B: the cipher key is the first keyLen bytes of SKEYID_e, or, when SKEYID_e is shorter,
 * of Ka = K1 | K2 | ... with K1 = prf(SKEYID_e, 0) and Kn = prf(SKEYID_e, K(n-1)).
 */
export function encryptionKey(h: PrfHash, skeyidE: Uint8Array, keyLen: number): Uint8Array {
  if (skeyidE.length >= keyLen) return skeyidE.slice(0, keyLen);
  const out = new Uint8Array(keyLen);
  let prev = prf(h, skeyidE, [ZERO]);
  let o = 0;
  for (;;) {
    const n = Math.min(prev.length, keyLen - o);
    out.set(prev.subarray(0, n), o);
    o += n;
    if (o >= keyLen) return out;
    prev = prf(h, skeyidE, [prev]);
  }
}

/** Phase 1 IV: hash(g^xi | g^xr), truncated to the block size (RFC 2409 App. B). */
export function phase1Iv(h: PrfHash, gxi: Uint8Array, gxr: Uint8Array, blockSize: number): Uint8Array {
  return hash(h, [gxi, gxr]).slice(0, blockSize);
}

/** Phase 2 / informational IV: hash(last phase 1 CBC output block | M-ID) (RFC 2409 App. B). */
export function phase2Iv(h: PrfHash, lastBlock: Uint8Array, msgid: number, blockSize: number): Uint8Array {
  return hash(h, [lastBlock, msgidBytes(msgid)]).slice(0, blockSize);
}

/** HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b) (RFC 2409 §5). */
export function hashI(
  h: PrfHash,
  skeyid: Uint8Array,
  gxi: Uint8Array,
  gxr: Uint8Array,
  ckyI: Uint8Array,
  ckyR: Uint8Array,
  saiB: Uint8Array,
  idiiB: Uint8Array,
): Uint8Array {
  return prf(h, skeyid, [gxi, gxr, ckyI, ckyR, saiB, idiiB]);
}

/** HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b) (RFC 2409 §5). */
export function hashR(
  h: PrfHash,
  skeyid: Uint8Array,
  gxi: Uint8Array,
  gxr: Uint8Array,
  ckyI: Uint8Array,
  ckyR: Uint8Array,
  saiB: Uint8Array,
  idirB: Uint8Array,
): Uint8Array {
  return prf(h, skeyid, [gxr, gxi, ckyR, ckyI, saiB, idirB]);
}

/** Quick mode HASH(1) = prf(SKEYID_a, M-ID | SA | Ni [| KE] [| IDci | IDcr]) — `rest` is the payloads after HASH. */
export function qmHash1(h: PrfHash, skeyidA: Uint8Array, msgid: number, rest: Uint8Array): Uint8Array {
  return prf(h, skeyidA, [msgidBytes(msgid), rest]);
}

/** Quick mode HASH(2) = prf(SKEYID_a, M-ID | Ni_b | SA | Nr [| KE] [| IDci | IDcr]) (RFC 2409 §5.5). */
export function qmHash2(h: PrfHash, skeyidA: Uint8Array, msgid: number, niB: Uint8Array, rest: Uint8Array): Uint8Array {
  return prf(h, skeyidA, [msgidBytes(msgid), niB, rest]);
}

/** Quick mode HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b) (RFC 2409 §5.5). */
export function qmHash3(h: PrfHash, skeyidA: Uint8Array, msgid: number, niB: Uint8Array, nrB: Uint8Array): Uint8Array {
  return prf(h, skeyidA, [ZERO, msgidBytes(msgid), niB, nrB]);
}

/** Informational HASH(1) = prf(SKEYID_a, M-ID | N/D) (RFC 2409 §5.7). */
export function infoHash(h: PrfHash, skeyidA: Uint8Array, msgid: number, rest: Uint8Array): Uint8Array {
  return prf(h, skeyidA, [msgidBytes(msgid), rest]);
}

/**
 * KEYMAT for one SA (RFC 2409 §5.5): K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b),
 * Kn = prf(SKEYID_d, K(n-1) | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b), concatenated to `len` bytes.
 * `spi` is the SPI of the SA's receiver (each direction has its own KEYMAT).
 */
export function keymat(
  h: PrfHash,
  skeyidD: Uint8Array,
  gqmxy: Uint8Array | undefined,
  protocol: number,
  spi: Uint8Array,
  niB: Uint8Array,
  nrB: Uint8Array,
  len: number,
): Uint8Array {
  const seed: Uint8Array[] = [...(gqmxy ? [gqmxy] : []), new Uint8Array([protocol]), spi, niB, nrB];
  const out = new Uint8Array(len);
  let prev: Uint8Array | undefined;
  let o = 0;
  while (o < len) {
    prev = prf(h, skeyidD, prev ? [prev, ...seed] : seed);
    const n = Math.min(prev.length, len - o);
    out.set(prev.subarray(0, n), o);
    o += n;
  }
  return out;
}

/** NAT-D = hash(CKY-I | CKY-R | IP | Port) (RFC 3947 §3.2). */
export function natdHash(h: PrfHash, ckyI: Uint8Array, ckyR: Uint8Array, addr: Uint8Array, port: number): Uint8Array {
  return hash(h, [ckyI, ckyR, addr, new Uint8Array([port >> 8, port & 0xff])]);
}

/** The length a body is padded to: a multiple of the block size with room for the pad-length byte. */
function paddedLength(len: number, bs: number): number {
  return Math.ceil((len + 1) / bs) * bs;
}

/**
 * Encrypts a payload chain (RFC 2409 App. B): zero padding up to the block size, the last byte holding the
 * pad length (racoon's exclusive_tail form). Returns the ciphertext; its last block is the next IV.
 */
export function encryptBody(c: IkeCipher, key: Uint8Array, iv: Uint8Array, plain: Uint8Array): Uint8Array {
  const n = paddedLength(plain.length, c.blockSize);
  const buf = new Uint8Array(n);
  buf.set(plain);
  buf[n - 1] = n - plain.length - 1;
  return c.encrypt(key, iv, buf);
}

/** Decrypts a body; null when its length is not a positive multiple of the block size (a counted drop). */
export function decryptBody(c: IkeCipher, key: Uint8Array, iv: Uint8Array, ct: Uint8Array): Uint8Array | null {
  if (ct.length === 0 || ct.length % c.blockSize !== 0) return null;
  return c.decrypt(key, iv, ct);
}

/** The last cipher block of a message: the IV for the next message of the exchange (App. B). */
export function lastBlock(ct: Uint8Array, blockSize: number): Uint8Array {
  return ct.slice(ct.length - blockSize);
}

export { hashLength };
