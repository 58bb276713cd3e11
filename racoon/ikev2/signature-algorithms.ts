// The AlgorithmIdentifier objects of RFC 7427 (Appendix A) and RFC 8420 that method-14 AUTH data carries, as
// DER, with the hash and padding each stands for. Received identifiers are matched byte for byte; we send the
// errata form of RFC 7427 A.4.3 for RSASSA-PSS (no trailerField, salt length = hash length, RFC 4055 §3.1).
import { fromHex } from '../../common/bytes.js';
import * as K from './constants.js';

export interface SignatureAlgorithm {
  name: string;
  der: Uint8Array;
  /** The key type it signs with (node:crypto asymmetricKeyType; 'rsa' also covers 'rsa-pss'). */
  key: 'rsa' | 'ec' | 'ed25519' | 'ed448';
  /** node:crypto digest, or undefined for EdDSA, which hashes internally (RFC 8420 §2). */
  hash: 'sha1' | 'sha256' | 'sha384' | 'sha512' | undefined;
  /** The SIGNATURE_HASH_ALGORITHMS value that announces this hash (RFC 7427 §4, RFC 8420 §2). */
  hashId: number;
  pss?: { saltLength: number };
}

function alg(
  name: string,
  hex: string,
  key: SignatureAlgorithm['key'],
  hash: SignatureAlgorithm['hash'],
  hashId: number,
  saltLength?: number,
): SignatureAlgorithm {
  const a: SignatureAlgorithm = { name, der: fromHex(hex), key, hash, hashId };
  if (saltLength !== undefined) a.pss = { saltLength };
  return a;
}

const RSA_OID = '06092a864886f70d0101'; // pkcs-1 arc, 1.2.840.113549.1.1.x
const PSS_OID = `${RSA_OID}0a`; // id-RSASSA-PSS (RFC 4055 §3.1)
const MGF1_OID = `${RSA_OID}08`;
const SHA2_OID = '06096086480165030402'; // 2.16.840.1.101.3.4.2.x, x appended
/** RSASSA-PSS-params with hash and MGF1 hash `x` (1 = SHA-256, 2 = SHA-384, 3 = SHA-512) and salt `salt`. */
function pssDer(x: string, salt: string): string {
  const h = `300d${SHA2_OID}${x}0500`;
  return `3041${PSS_OID}3034a00f${h}a11c301a${MGF1_OID}${h}a20302${salt}`;
}

/** What we offer and sign with, strongest hash last within each key type. */
export const SIGNATURE_ALGORITHMS: readonly SignatureAlgorithm[] = [
  // RFC 7427 A.1.2-A.1.4: sha{256,384,512}WithRSAEncryption, NULL parameters (RFC 4055 §5).
  alg('sha256WithRSAEncryption', `300d${RSA_OID}0b0500`, 'rsa', 'sha256', K.IKEV2_HASH_SHA2_256),
  alg('sha384WithRSAEncryption', `300d${RSA_OID}0c0500`, 'rsa', 'sha384', K.IKEV2_HASH_SHA2_384),
  alg('sha512WithRSAEncryption', `300d${RSA_OID}0d0500`, 'rsa', 'sha512', K.IKEV2_HASH_SHA2_512),
  // RFC 7427 A.4.3 (errata 4310 form) and its SHA-384/512 siblings: MGF1 with the same hash, salt = hash length.
  alg('RSASSA-PSS SHA-256', pssDer('01', '0120'), 'rsa', 'sha256', K.IKEV2_HASH_SHA2_256, 32),
  alg('RSASSA-PSS SHA-384', pssDer('02', '0130'), 'rsa', 'sha384', K.IKEV2_HASH_SHA2_384, 48),
  alg('RSASSA-PSS SHA-512', pssDer('03', '0140'), 'rsa', 'sha512', K.IKEV2_HASH_SHA2_512, 64),
  // RFC 7427 A.3: ecdsa-with-SHA{256,384,512}, parameters absent (RFC 5758 §3.2).
  alg('ecdsa-with-SHA256', '300a06082a8648ce3d040302', 'ec', 'sha256', K.IKEV2_HASH_SHA2_256),
  alg('ecdsa-with-SHA384', '300a06082a8648ce3d040303', 'ec', 'sha384', K.IKEV2_HASH_SHA2_384),
  alg('ecdsa-with-SHA512', '300a06082a8648ce3d040304', 'ec', 'sha512', K.IKEV2_HASH_SHA2_512),
  // RFC 8420 §2: id-Ed25519 / id-Ed448 (RFC 8410 §3), announced with the Identity hash.
  alg('Ed25519', '300506032b6570', 'ed25519', undefined, K.IKEV2_HASH_IDENTITY),
  alg('Ed448', '300506032b6571', 'ed448', undefined, K.IKEV2_HASH_IDENTITY),
];

/** Identifiers we accept but never send: SHA-1 ones and the other PSS encodings RFC 7427 prints. */
const ACCEPTED_ONLY: readonly SignatureAlgorithm[] = [
  alg('sha1WithRSAEncryption', `300d${RSA_OID}050500`, 'rsa', 'sha1', K.IKEV2_HASH_SHA1), // A.1.1
  alg('ecdsa-with-SHA1', '300906072a8648ce3d0401', 'ec', 'sha1', K.IKEV2_HASH_SHA1),
  // A.4.1: RSASSA-PSS with empty parameters = SHA-1, MGF1-SHA-1, salt 20 (RFC 4055 §3.1 defaults).
  alg('RSASSA-PSS default', `300d${PSS_OID}3000`, 'rsa', 'sha1', K.IKEV2_HASH_SHA1, 20),
  // A.4.2: the same defaults spelled out, with trailerField 1.
  alg(
    'RSASSA-PSS SHA-1',
    `303e${PSS_OID}3031a00b300906052b0e03021a0500a118301606092a864886f70d010108300906052b0e03021a0500a203020114a303020101`,
    'rsa',
    'sha1',
    K.IKEV2_HASH_SHA1,
    20,
  ),
  // A.4.3 as printed (with trailerField 1; the errata dropped it).
  alg(
    'RSASSA-PSS SHA-256 (trailer)',
    `3046${PSS_OID}3039a00f300d${SHA2_OID}010500a11c301a${MGF1_OID}300d${SHA2_OID}010500a203020120a303020101`,
    'rsa',
    'sha256',
    K.IKEV2_HASH_SHA2_256,
    32,
  ),
];

const BY_DER: ReadonlyMap<string, SignatureAlgorithm> = new Map(
  [...SIGNATURE_ALGORITHMS, ...ACCEPTED_ONLY].map((a) => [Buffer.from(a.der).toString('hex'), a]),
);

/** The algorithm a received AlgorithmIdentifier names, compared byte for byte; undefined when unknown. */
export function findSignatureAlgorithm(der: Uint8Array): SignatureAlgorithm | undefined {
  return BY_DER.get(Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('hex'));
}

/** Every identifier we recognise (sent or accepted), for tests and logs. */
export function knownSignatureAlgorithms(): readonly SignatureAlgorithm[] {
  return [...BY_DER.values()];
}
