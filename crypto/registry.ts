// The algorithm registry: setkey/racoon names and aliases -> ESP/AH/IPComp algorithm objects.
// Names follow setkey(8) (ipsec-tools, FreeBSD and NetBSD dialects); see docs/crypto.md for the table.
import type { AeadAlg, AuthAlg, CipherAlg, CompAlg } from './types.js';
import { UnsupportedAlgorithmError } from './errors.js';
import { nullAuth, nullCipher } from './null.js';
import { aesCbc, camelliaCbc, desCbc, tripleDesCbc } from './cbc.js';
import { aesCtr } from './ctr.js';
import { aesGcm16, aesGcm12, aesGcm8, aesGmac } from './gcm.js';
import { chacha20Poly1305 } from './chacha20-poly1305.js';
import { aesXcbcMac } from './xcbc.js';
import { hmacMd5, hmacRipemd160, hmacSha1, hmacSha256, hmacSha384, hmacSha512 } from './hmac.js';
import { deflate } from './deflate.js';

export { UnsupportedAlgorithmError } from './errors.js';

/** Anything `-E` accepts: a cipher (used with a separate `-A`) or a combined-mode algorithm. */
export type EncAlg = CipherAlg | AeadAlg;

export const ENC_ALGS: readonly EncAlg[] = [
  nullCipher,
  desCbc,
  tripleDesCbc,
  aesCbc,
  aesCtr,
  camelliaCbc,
  aesGcm16,
  aesGcm12,
  aesGcm8,
  aesGmac,
  chacha20Poly1305,
];
export const AUTH_ALGS: readonly AuthAlg[] = [
  nullAuth,
  hmacMd5,
  hmacSha1,
  hmacSha256,
  hmacSha384,
  hmacSha512,
  hmacRipemd160,
  aesXcbcMac,
];
export const COMP_ALGS: readonly CompAlg[] = [deflate];

/** Canonical names, in the order above (aliases are accepted by the find functions too). */
export const ENC_ALG_NAMES: readonly string[] = ENC_ALGS.map((a) => a.name);
export const AUTH_ALG_NAMES: readonly string[] = AUTH_ALGS.map((a) => a.name);
export const COMP_ALG_NAMES: readonly string[] = COMP_ALGS.map((a) => a.name);

/** Names setkey knows that we refuse on purpose, with the reason given in the error. */
const REFUSED: Record<string, string> = {
  'blowfish-cbc': 'legacy KAME cipher that no maintained library implements',
  'cast128-cbc': 'legacy KAME cipher that no maintained library implements',
  'twofish-cbc': 'legacy KAME cipher that no maintained library implements',
  'des-deriv': 'RFC 1829 derived-IV DES (esp-old) is not supported',
  '3des-deriv': 'RFC 1851 derived-IV 3DES (esp-old) is not supported',
  'des-32iv': 'RFC 1829 32-bit-IV DES (esp-old) is not supported',
  simple: 'obsolete synonym of null encryption; use null',
  'keyed-md5': 'RFC 1828 keyed MD5 (ah-old) is not supported',
  'keyed-sha1': 'RFC 1852 keyed SHA-1 (ah-old) is not supported',
  'tcp-md5': 'TCP-MD5 (RFC 2385) signs TCP segments, not IPsec packets',
  oui: 'vendor-specific IPComp algorithm',
  lzs: 'LZS (RFC 2395) is patent-encumbered and not implemented',
};

function indexByName<T extends { name: string; aliases: readonly string[] }>(algs: readonly T[]): Map<string, T> {
  const m = new Map<string, T>();
  for (const a of algs) for (const n of [a.name, ...a.aliases]) m.set(n.toLowerCase(), a);
  return m;
}

const encByName = indexByName(ENC_ALGS);
const authByName = indexByName(AUTH_ALGS);
const compByName = indexByName(COMP_ALGS);

/** `-E name`: returns the cipher or AEAD, or throws UnsupportedAlgorithmError naming the supported ones. */
export function findEncAlg(name: string): EncAlg {
  const a = encByName.get(name.toLowerCase());
  if (a) return a;
  throw new UnsupportedAlgorithmError('encryption', name, ENC_ALG_NAMES, REFUSED[name.toLowerCase()]);
}

/** `-A name`: returns the integrity algorithm, or throws UnsupportedAlgorithmError. */
export function findAuthAlg(name: string): AuthAlg {
  const a = authByName.get(name.toLowerCase());
  if (a) return a;
  throw new UnsupportedAlgorithmError('authentication', name, AUTH_ALG_NAMES, REFUSED[name.toLowerCase()]);
}

/** `-C name`: returns the IPComp algorithm, or throws UnsupportedAlgorithmError. */
export function findCompAlg(name: string): CompAlg {
  const a = compByName.get(name.toLowerCase());
  if (a) return a;
  throw new UnsupportedAlgorithmError('compression', name, COMP_ALG_NAMES, REFUSED[name.toLowerCase()]);
}

/** True when an `-E` algorithm is combined-mode (ESP must then not take a separate `-A`). */
export function isAead(alg: EncAlg): alg is AeadAlg {
  return alg.kind === 'aead';
}
