// IKEv1 signature authentication (RFC 2409 §5.1) as racoon does it (crypto_openssl.c eay_rsa_sign /
// eay_rsa_verify): the SIG payload is RSA PKCS#1 v1.5 type-1 padding over the raw HASH_I/HASH_R, with no
// DigestInfo, i.e. RSA_private_encrypt / RSA_public_decrypt. racoon has no ECDSA for IKEv1 (its
// eay_check_x509sign takes the RSA key only; ipsec-tools 0.8.2 defines no RFC 4754 methods).
import { constants, privateEncrypt, publicDecrypt, type KeyObject } from 'node:crypto';
import { equalCT } from '../../common/bytes.js';

/** Why a key cannot sign or verify IKEv1 signatures, or undefined when it can (RSA only, as racoon). */
export function ikev1KeyProblem(key: KeyObject): string | undefined {
  if (key.asymmetricKeyType === 'rsa') return undefined;
  return `${key.asymmetricKeyType ?? 'this'} keys cannot authenticate IKEv1 (racoon signs with RSA only; ECDSA needs IKEv2)`;
}

function modulusBytes(key: KeyObject): number {
  return Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
}

/** SIG_I / SIG_R: the RSA private-key operation on PKCS#1 type-1 padded HASH_I / HASH_R. */
export function rsaSignIkev1(hash: Uint8Array, key: KeyObject): Uint8Array {
  const why = ikev1KeyProblem(key);
  if (why) throw new Error(why);
  // PKCS#1 v1.5 type 1 needs 11 octets of padding (RFC 8017 §9.2); a SHA-512 HASH fits any RSA >= 600 bits.
  if (hash.length > modulusBytes(key) - 11) throw new Error('hash too long for the RSA key');
  return new Uint8Array(privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, hash));
}

/** Checks SIG_I / SIG_R against the HASH we computed; the recovered hash is compared in constant time. */
export function rsaVerifyIkev1(hash: Uint8Array, sig: Uint8Array, key: KeyObject): boolean {
  if (ikev1KeyProblem(key) || sig.length !== modulusBytes(key)) return false;
  let recovered: Buffer;
  try {
    recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, sig);
  } catch {
    return false; // not type-1 padding: a wrong key or a forged signature
  }
  return equalCT(recovered, hash);
}

/** rsa_try_check_rsasign: the first of several public keys (plain RSA candidates) that verifies, if any. */
export function rsaVerifyIkev1Any<T extends { key: KeyObject }>(
  hash: Uint8Array,
  sig: Uint8Array,
  keys: readonly T[],
): T | undefined {
  return keys.find((k) => rsaVerifyIkev1(hash, sig, k.key));
}
