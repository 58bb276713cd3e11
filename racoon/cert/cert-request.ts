// Certificate and certificate-request payload contents for both IKE versions. IKEv1 (RFC 2408 §3.10,
// racoon oakley.c oakley_append_rmconf_cr, remoteconf.c rmconf_match_type): a CR names a CA by its DER
// Name. IKEv2 (RFC 7296 §3.6, §3.7): a CERTREQ lists SHA-1 hashes of the trusted CAs' SubjectPublicKeyInfo.
import { createHash } from 'node:crypto';
import { ParseError } from '../../common/bytes.js';
import { decodeCrl, type Crl } from './crl.js';
import { decodeCertificate, type Certificate } from './x509.js';

/** Certificate encodings (RFC 2408 §3.9 and RFC 7296 §3.6 share the numbers that matter here). */
export const CERT_X509_SIGNATURE = 4;
export const CERT_CRL = 7;
/** racoon's own value for `plain_rsa` (ISAKMP_CERT_PLAINRSA); IKEv2 uses 11 for "Raw RSA Key" (obsoleted by RFC 7670). */
export const CERT_PLAIN_RSA = 11;
export const CERT_HASH_URL_X509 = 12;
export const CERT_HASH_URL_BUNDLE = 13;

/** The CR racoon sends: the issuer of `peers_certfile` if set, else the subject of `ca_type`; none without either. */
export function buildCertRequestV1(o: {
  peersCert?: Certificate;
  caCert?: Certificate;
}): { certType: number; authority: Uint8Array } | undefined {
  const dn = o.peersCert ? o.peersCert.issuer.der : o.caCert?.subject.der;
  return dn ? { certType: CERT_X509_SIGNATURE, authority: new Uint8Array(dn) } : undefined;
}

export type CrMatch = 'match' | 'type-mismatch' | 'issuer-mismatch' | 'empty-refused';

/**
 * rmconf_match_type: does a received CR fit the certificate we would send? The type must be X.509; a named
 * CA must be the exact DER issuer of our certificate; an empty CR matches only with `match_empty_cr on`.
 */
export function matchCertRequestV1(
  cr: { certType: number; authority: Uint8Array },
  myCert: Certificate,
  matchEmptyCr: boolean,
): CrMatch {
  if (cr.certType !== CERT_X509_SIGNATURE) return 'type-mismatch';
  if (cr.authority.length === 0) return matchEmptyCr ? 'match' : 'empty-refused';
  return Buffer.compare(cr.authority, myCert.issuer.der) === 0 ? 'match' : 'issuer-mismatch';
}

/** SHA-1 of the certificate's SubjectPublicKeyInfo (RFC 7296 §3.7 and RFC 4306's CERTREQ). */
export function spkiSha1(c: Certificate): Uint8Array {
  return new Uint8Array(createHash('sha1').update(c.spki).digest());
}

/** IKEv2 CERTREQ data for the CAs we trust: their SPKI hashes concatenated. */
export function buildCertRequestV2(cas: readonly Certificate[]): { encoding: number; data: Uint8Array } {
  return { encoding: CERT_X509_SIGNATURE, data: new Uint8Array(Buffer.concat(cas.map(spkiSha1))) };
}

/** Splits IKEv2 CERTREQ data into its 20-octet hashes; a length not a multiple of 20 is malformed. */
export function splitCertRequestV2(data: Uint8Array): Uint8Array[] {
  if (data.length % 20 !== 0)
    throw new ParseError(`CERTREQ authority of ${data.length} octets is not a list of SHA-1 hashes`, 0, 'CERTREQ');
  const out: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += 20) out.push(data.subarray(i, i + 20));
  return out;
}

/** The CAs (from our chain or trust store) a received CERTREQ names; empty when it names none of them. */
export function matchCertRequestV2(data: Uint8Array, cas: readonly Certificate[]): Certificate[] {
  const want = new Set(splitCertRequestV2(data).map((h) => Buffer.from(h).toString('hex')));
  return cas.filter((c) => want.has(Buffer.from(spkiSha1(c)).toString('hex')));
}

export type CertPayloadContent =
  | { kind: 'cert'; cert: Certificate }
  | { kind: 'crl'; crl: Crl }
  | { kind: 'unsupported'; encoding: number }
  | { kind: 'malformed'; encoding: number; reason: string };

/** Decodes the data of a CERT payload by its encoding; never throws (a peer's bytes). */
export function decodeCertPayload(encoding: number, data: Uint8Array): CertPayloadContent {
  try {
    if (encoding === CERT_X509_SIGNATURE) return { kind: 'cert', cert: decodeCertificate(data) };
    if (encoding === CERT_CRL) return { kind: 'crl', crl: decodeCrl(data) };
  } catch (e) {
    return { kind: 'malformed', encoding, reason: (e as Error).message };
  }
  return { kind: 'unsupported', encoding };
}

/** CERT payload data for our certificate (X.509 signature encoding: the DER certificate). */
export function certPayload(c: Certificate): { encoding: number; data: Uint8Array } {
  return { encoding: CERT_X509_SIGNATURE, data: c.der };
}
