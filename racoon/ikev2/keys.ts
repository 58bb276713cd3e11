// IKEv2 key derivation (racoon2 `ikev2_crypto.c`, strongSwan `keymat_v2.c`): prf+ (RFC 7296 §2.13), SKEYSEED and
// SK_d/ai/ar/ei/er/pi/pr (§2.14), CHILD_SA KEYMAT with and without PFS (§2.17), and the SKEYSEED of a rekeyed
// IKE SA (§2.18). Pure functions over bytes; the caller wipes what it no longer needs (wipeIkeSaKeys).
import type { IkePrf } from '../../crypto/ike-prf.js';
import { concat, wipe } from '../../common/bytes.js';

/** §2.13: prf+ stops at 255 iterations (T255); more key material cannot be asked for. */
export const PRF_PLUS_MAX_ITERATIONS = 255;
/** §2.14: a fixed-key PRF keys SKEYSEED with the first 64 bits of each nonce. */
const FIXED_KEY_NONCE_BYTES = 8;

/**
 * prf+ (K,S) = T1 | T2 | T3 | ..., T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n), truncated to `len` bytes.
 * RangeError when `len` needs more than 255 iterations (§2.13).
 */
export function prfPlus(prf: IkePrf, key: Uint8Array, seed: Uint8Array, len: number): Uint8Array {
  const rounds = Math.ceil(len / prf.outputLen);
  if (rounds > PRF_PLUS_MAX_ITERATIONS)
    throw new RangeError(`prf+ of ${len} bytes needs ${rounds} iterations, more than ${PRF_PLUS_MAX_ITERATIONS}`);
  const out = new Uint8Array(rounds * prf.outputLen);
  let prev: Uint8Array = new Uint8Array(0);
  for (let n = 1; n <= rounds; n++) {
    const t = prf.compute(key, [prev, seed, Uint8Array.of(n)]);
    out.set(t, (n - 1) * prf.outputLen);
    wipe(prev);
    prev = t;
  }
  wipe(prev);
  const result = out.slice(0, len);
  wipe(out);
  return result;
}

/** SKEYSEED = prf(Ni | Nr, g^ir); for AES-XCBC/CMAC the key is the first 8 bytes of Ni and of Nr (§2.14). */
export function skeyseed(prf: IkePrf, ni: Uint8Array, nr: Uint8Array, gir: Uint8Array): Uint8Array {
  const key = prf.fixedKey
    ? concat(ni.subarray(0, FIXED_KEY_NONCE_BYTES), nr.subarray(0, FIXED_KEY_NONCE_BYTES))
    : concat(ni, nr);
  try {
    return prf.compute(key, [gir]);
  } finally {
    wipe(key);
  }
}

/** The seven IKE SA keys (strongSwan `keymat_v2_t` skd/ai/ar/ei/er/pi/pr). */
export interface IkeSaKeys {
  d: Uint8Array;
  ai: Uint8Array;
  ar: Uint8Array;
  ei: Uint8Array;
  er: Uint8Array;
  pi: Uint8Array;
  pr: Uint8Array;
}

/** Key sizes of the negotiated transforms: the integrity key (0 with an AEAD) and the encryption key with salt. */
export interface IkeKeyLengths {
  integ: number;
  encr: number;
}

/**
 * {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) (§2.14);
 * SK_d, SK_pi and SK_pr have the PRF's preferred key length.
 */
export function deriveIkeSaKeys(
  prf: IkePrf,
  seed: Uint8Array,
  ni: Uint8Array,
  nr: Uint8Array,
  spiI: Uint8Array,
  spiR: Uint8Array,
  lens: IkeKeyLengths,
): IkeSaKeys {
  const p = prf.keyLen;
  const sizes = [p, lens.integ, lens.integ, lens.encr, lens.encr, p, p];
  const total = sizes.reduce((a, b) => a + b, 0);
  const s = concat(ni, nr, spiI, spiR);
  const km = prfPlus(prf, seed, s, total);
  let o = 0;
  const [d, ai, ar, ei, er, pi, pr] = sizes.map((n) => km.slice(o, (o += n)));
  wipe(km, s);
  return { d: d!, ai: ai!, ar: ar!, ei: ei!, er: er!, pi: pi!, pr: pr! };
}

/** Zero-fills every key of an IKE SA, for when it is deleted or replaced by a rekey. */
export function wipeIkeSaKeys(k: IkeSaKeys): void {
  wipe(k.d, k.ai, k.ar, k.ei, k.er, k.pi, k.pr);
}

/**
 * §2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), computed with the OLD IKE SA's PRF (the exchange
 * belongs to it); the new SA's keys then come from deriveIkeSaKeys with the new PRF and the new SPIs.
 */
export function rekeySkeyseed(
  oldPrf: IkePrf,
  oldSkD: Uint8Array,
  girNew: Uint8Array,
  ni: Uint8Array,
  nr: Uint8Array,
): Uint8Array {
  return oldPrf.compute(oldSkD, [girNew, ni, nr]);
}

/** §2.17: KEYMAT = prf+(SK_d, Ni | Nr), or prf+(SK_d, g^ir (new) | Ni | Nr) with PFS. */
export function childKeymat(
  prf: IkePrf,
  skD: Uint8Array,
  ni: Uint8Array,
  nr: Uint8Array,
  len: number,
  girNew?: Uint8Array,
): Uint8Array {
  const s = girNew ? concat(girNew, ni, nr) : concat(ni, nr);
  try {
    return prfPlus(prf, skD, s, len);
  } finally {
    wipe(s);
  }
}

/** One CHILD_SA's keys per direction: initiator-to-responder (i) and responder-to-initiator (r). */
export interface ChildKeys {
  encI: Uint8Array;
  integI: Uint8Array;
  encR: Uint8Array;
  integR: Uint8Array;
}

/**
 * §2.17: all keys for the initiator-to-responder SA come first, then the other direction; within one
 * direction the encryption key precedes the integrity key. `encLen` includes any salt (RFC 4106 §8.1).
 */
export function deriveChildKeys(
  prf: IkePrf,
  skD: Uint8Array,
  ni: Uint8Array,
  nr: Uint8Array,
  encLen: number,
  integLen: number,
  girNew?: Uint8Array,
): ChildKeys {
  const km = childKeymat(prf, skD, ni, nr, 2 * (encLen + integLen), girNew);
  const half = encLen + integLen;
  const keys = {
    encI: km.slice(0, encLen),
    integI: km.slice(encLen, half),
    encR: km.slice(half, half + encLen),
    integR: km.slice(half + encLen, 2 * half),
  };
  wipe(km);
  return keys;
}
