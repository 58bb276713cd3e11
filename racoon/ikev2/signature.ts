// Signature AUTH data over node:crypto KeyObjects: RSA Digital Signature (method 1, RSASSA-PKCS1-v1_5 with SHA-1,
// RFC 7296 §3.8), ECDSA with SHA-256/384/512 on P-256/384/521 (methods 9-11, RFC 4754 §7: r || s, each the
// curve's byte size) and Digital Signature (method 14, RFC 7427 §3: ASN.1 length | AlgorithmIdentifier | value,
// with the AlgorithmIdentifier objects of RFC 7427 Appendix A, and Ed25519/Ed448 of RFC 8420).
import { constants, sign, verify, type KeyObject } from 'node:crypto';
import * as K from './constants.js';
import { SIGNATURE_ALGORITHMS, findSignatureAlgorithm, type SignatureAlgorithm } from './signature-algorithms.js';

export { SIGNATURE_ALGORITHMS, findSignatureAlgorithm, type SignatureAlgorithm };

/** RFC 4754 §3: methods 9-11 each bind one hash and one curve (node's curve names). */
const ECDSA_METHODS: ReadonlyMap<number, { hash: string; curve: string }> = new Map([
  [K.IKEV2_AUTH_METHOD_ECDSA_SHA256_P256, { hash: 'sha256', curve: 'prime256v1' }],
  [K.IKEV2_AUTH_METHOD_ECDSA_SHA384_P384, { hash: 'sha384', curve: 'secp384r1' }],
  [K.IKEV2_AUTH_METHOD_ECDSA_SHA512_P521, { hash: 'sha512', curve: 'secp521r1' }],
]);

function curveOf(key: KeyObject): string | undefined {
  return key.asymmetricKeyType === 'ec' ? key.asymmetricKeyDetails?.namedCurve : undefined;
}

function isRsa(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss';
}

/** The node:crypto options for one algorithm; ECDSA is DER in method 14 and r || s in methods 9-11. */
function signOptions(key: KeyObject, alg: SignatureAlgorithm) {
  if (alg.key === 'rsa' && alg.pss)
    return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: alg.pss.saltLength };
  if (alg.key === 'rsa') return { key, padding: constants.RSA_PKCS1_PADDING };
  return { key, dsaEncoding: 'der' as const };
}

function keyFits(key: KeyObject, alg: SignatureAlgorithm): boolean {
  if (alg.key === 'rsa') return isRsa(key);
  if (alg.key === 'ec') return key.asymmetricKeyType === 'ec';
  return key.asymmetricKeyType === alg.key;
}

/** RFC 7427 §3: ASN.1 Length (1 octet) | AlgorithmIdentifier | Signature Value. */
export function encodeDigitalSignature(alg: SignatureAlgorithm, signature: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + alg.der.length + signature.length);
  out[0] = alg.der.length;
  out.set(alg.der, 1);
  out.set(signature, 1 + alg.der.length);
  return out;
}

/** Splits method-14 AUTH data; undefined when the length runs past the data or the identifier is unknown. */
export function decodeDigitalSignature(
  data: Uint8Array,
): { alg: SignatureAlgorithm; signature: Uint8Array } | undefined {
  if (data.length < 1) return undefined;
  const n = data[0]!;
  if (1 + n >= data.length) return undefined; // an empty signature value is no signature
  const alg = findSignatureAlgorithm(data.subarray(1, 1 + n));
  return alg ? { alg, signature: data.subarray(1 + n) } : undefined;
}

/**
 * The AUTH data for `method` over `octets` (signedOctets()) with `key`. Method 14 needs `alg` (one of
 * SIGNATURE_ALGORITHMS fitting the key). RangeError when the key does not fit the method.
 */
export function signAuth(method: number, key: KeyObject, octets: Uint8Array, alg?: SignatureAlgorithm): Uint8Array {
  if (method === K.IKEV2_AUTH_METHOD_RSA_SIG) {
    if (key.asymmetricKeyType !== 'rsa') throw new RangeError('RSA Digital Signature needs an RSA key');
    return new Uint8Array(sign('sha1', octets, { key, padding: constants.RSA_PKCS1_PADDING }));
  }
  const ec = ECDSA_METHODS.get(method);
  if (ec) {
    if (curveOf(key) !== ec.curve) throw new RangeError(`auth method ${method} needs a ${ec.curve} key`);
    return new Uint8Array(sign(ec.hash, octets, { key, dsaEncoding: 'ieee-p1363' }));
  }
  if (method === K.IKEV2_AUTH_METHOD_DIGITAL_SIGNATURE) {
    if (!alg || !keyFits(key, alg)) throw new RangeError(`signature algorithm ${alg?.name} does not fit the key`);
    return encodeDigitalSignature(alg, new Uint8Array(sign(alg.hash ?? null, octets, signOptions(key, alg))));
  }
  throw new RangeError(`auth method ${method} is not a signature method`);
}

/** True when `data` (the AUTH payload's data) is a valid `method` signature of `octets` by `key`. */
export function verifyAuth(method: number, key: KeyObject, octets: Uint8Array, data: Uint8Array): boolean {
  try {
    if (method === K.IKEV2_AUTH_METHOD_RSA_SIG)
      return (
        key.asymmetricKeyType === 'rsa' && verify('sha1', octets, { key, padding: constants.RSA_PKCS1_PADDING }, data)
      );
    const ec = ECDSA_METHODS.get(method);
    if (ec) return curveOf(key) === ec.curve && verify(ec.hash, octets, { key, dsaEncoding: 'ieee-p1363' }, data);
    if (method === K.IKEV2_AUTH_METHOD_DIGITAL_SIGNATURE) {
      const d = decodeDigitalSignature(data);
      if (!d || !keyFits(key, d.alg)) return false;
      return verify(d.alg.hash ?? null, octets, signOptions(key, d.alg), d.signature);
    }
  } catch {
    return false; // a malformed signature or a key node:crypto refuses for this padding: not valid
  }
  return false;
}

/**
 * The algorithm to sign with under RFC 7427 for `key`, given the hashes the peer announced in
 * SIGNATURE_HASH_ALGORITHMS (§4): an ECDSA key's own curve hash (RFC 5480 §4 pairing), else the strongest hash
 * both take (never SHA-1, which we do not sign with); RSA uses PSS when `pss` is set. Undefined when
 * nothing is common.
 */
export function chooseSignatureAlgorithm(
  key: KeyObject,
  peerHashes: readonly number[],
  opts: { pss?: boolean } = {},
): SignatureAlgorithm | undefined {
  const fits = SIGNATURE_ALGORITHMS.filter(
    (a) =>
      keyFits(key, a) && (a.key !== 'rsa' || Boolean(a.pss) === Boolean(opts.pss)) && peerHashes.includes(a.hashId),
  );
  const ec = curveOf(key);
  // An ECDSA key signs with the hash matching its curve when the peer takes it (RFC 5480 §4 pairing).
  const pref = ec === 'secp521r1' ? 'sha512' : ec === 'secp384r1' ? 'sha384' : ec ? 'sha256' : undefined;
  return fits.find((a) => pref && a.hash === pref) ?? fits.sort((a, b) => b.hashId - a.hashId)[0];
}
