// Curve25519 and Curve448 Diffie-Hellman for IKEv2 (RFC 8031), i.e. X25519 and X448 of RFC 7748 §5, over
// node:crypto KeyObjects. Keys travel as RFC 7748 byte strings: the private value is the raw scalar (the X
// function clamps it), the public value is the u-coordinate, little-endian, exactly 32 or 56 bytes.
import { createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';

export type EcxCurve = 'x25519' | 'x448';

interface EcxSpec {
  len: number;
  /** DER of PKCS#8 PrivateKeyInfo and of SubjectPublicKeyInfo up to the raw key (RFC 8410 §7, §4). */
  pkcs8Prefix: Buffer;
  spkiPrefix: Buffer;
}

const SPECS: Readonly<Record<EcxCurve, EcxSpec>> = {
  x25519: {
    len: 32,
    pkcs8Prefix: Buffer.from('302e020100300506032b656e04220420', 'hex'), // id-X25519 = 1.3.101.110
    spkiPrefix: Buffer.from('302a300506032b656e032100', 'hex'),
  },
  x448: {
    len: 56,
    pkcs8Prefix: Buffer.from('3046020100300506032b656f043a0438', 'hex'), // id-X448 = 1.3.101.111
    spkiPrefix: Buffer.from('3042300506032b656f033900', 'hex'),
  },
};

/** Bytes of the private value, the public value and the shared secret. */
export function ecxLength(curve: EcxCurve): number {
  return SPECS[curve].len;
}

function privateKeyOf(curve: EcxCurve, priv: Uint8Array): KeyObject {
  const s = SPECS[curve];
  if (priv.length !== s.len) throw new RangeError(`${curve}: private value of ${priv.length} bytes, expected ${s.len}`);
  const der = Buffer.concat([s.pkcs8Prefix, priv]);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

/** X(k, 9) / X(k, 5): the public value for the private scalar `priv` (RFC 7748 §6.1, §6.2). */
export function ecxPublicKey(curve: EcxCurve, priv: Uint8Array): Uint8Array {
  const s = SPECS[curve];
  const spki = createPublicKey(privateKeyOf(curve, priv)).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(s.spkiPrefix.length));
}

/**
 * X(priv, peer): the shared secret, or undefined when the peer value has the wrong length or the result is
 * all zeros (a small-order peer point; RFC 7748 §6.1, RFC 8031 §2.3 "MUST check").
 */
export function ecxSharedSecret(curve: EcxCurve, priv: Uint8Array, peer: Uint8Array): Uint8Array | undefined {
  const s = SPECS[curve];
  if (peer.length !== s.len) return undefined;
  let shared: Buffer;
  try {
    const publicKey = createPublicKey({ key: Buffer.concat([s.spkiPrefix, peer]), format: 'der', type: 'spki' });
    // OpenSSL itself refuses an all-zero X25519/X448 result (the derive call throws).
    shared = diffieHellman({ privateKey: privateKeyOf(curve, priv), publicKey });
  } catch {
    return undefined;
  }
  let acc = 0;
  for (const b of shared) acc |= b;
  const out = acc === 0 ? undefined : new Uint8Array(shared);
  shared.fill(0);
  return out;
}
