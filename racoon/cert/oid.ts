// Object identifiers that the certificate code reads (RFC 5280, RFC 4519, RFC 3279, RFC 4055, RFC 5758, RFC 8410).

/** Attribute types of a Name, with the short names OpenSSL (and so racoon's asn1dn text) uses. */
export const NAME_ATTRIBUTES: ReadonlyArray<readonly [string, string]> = [
  ['2.5.4.3', 'CN'],
  ['2.5.4.4', 'SN'],
  ['2.5.4.5', 'serialNumber'],
  ['2.5.4.6', 'C'],
  ['2.5.4.7', 'L'],
  ['2.5.4.8', 'ST'],
  ['2.5.4.9', 'street'],
  ['2.5.4.10', 'O'],
  ['2.5.4.11', 'OU'],
  ['2.5.4.12', 'title'],
  ['2.5.4.13', 'description'],
  ['2.5.4.17', 'postalCode'],
  ['2.5.4.41', 'name'],
  ['2.5.4.42', 'GN'],
  ['2.5.4.43', 'initials'],
  ['2.5.4.44', 'generationQualifier'],
  ['2.5.4.46', 'dnQualifier'],
  ['2.5.4.65', 'pseudonym'],
  ['0.9.2342.19200300.100.1.1', 'UID'],
  ['0.9.2342.19200300.100.1.25', 'DC'],
  ['1.2.840.113549.1.9.1', 'emailAddress'],
];

const shortByOid = new Map(NAME_ATTRIBUTES.map(([o, s]) => [o, s]));
// OpenSSL also takes long names and a few aliases in X509_NAME_add_entry_by_txt.
const oidByName = new Map<string, string>([
  ...NAME_ATTRIBUTES.map(([o, s]) => [s.toLowerCase(), o] as [string, string]),
  ['commonname', '2.5.4.3'],
  ['surname', '2.5.4.4'],
  ['countryname', '2.5.4.6'],
  ['localityname', '2.5.4.7'],
  ['stateorprovincename', '2.5.4.8'],
  ['streetaddress', '2.5.4.9'],
  ['organizationname', '2.5.4.10'],
  ['organizationalunitname', '2.5.4.11'],
  ['givenname', '2.5.4.42'],
  ['userid', '0.9.2342.19200300.100.1.1'],
  ['domaincomponent', '0.9.2342.19200300.100.1.25'],
  ['email', '1.2.840.113549.1.9.1'],
]);

/** The short name of an attribute type, or its dotted OID when it has none. */
export function attributeName(oid: string): string {
  return shortByOid.get(oid) ?? oid;
}

/** The OID of an attribute written as a short/long name or as a dotted OID; undefined when unknown. */
export function attributeOid(name: string): string | undefined {
  if (/^\d+(\.\d+)+$/.test(name)) return name;
  return oidByName.get(name.toLowerCase());
}

export const OID_COUNTRY = '2.5.4.6';
export const OID_DN_QUALIFIER = '2.5.4.46';
export const OID_SERIAL_NUMBER = '2.5.4.5';
export const OID_EMAIL = '1.2.840.113549.1.9.1';
export const OID_DC = '0.9.2342.19200300.100.1.25';

// Extensions (RFC 5280 §4.2).
export const OID_SUBJECT_KEY_ID = '2.5.29.14';
export const OID_KEY_USAGE = '2.5.29.15';
export const OID_SUBJECT_ALT_NAME = '2.5.29.17';
export const OID_ISSUER_ALT_NAME = '2.5.29.18';
export const OID_BASIC_CONSTRAINTS = '2.5.29.19';
export const OID_CRL_NUMBER = '2.5.29.20';
export const OID_CRL_REASON = '2.5.29.21';
export const OID_DELTA_CRL_INDICATOR = '2.5.29.27';
export const OID_ISSUING_DISTRIBUTION_POINT = '2.5.29.28';
export const OID_CERTIFICATE_ISSUER = '2.5.29.29';
export const OID_NAME_CONSTRAINTS = '2.5.29.30';
export const OID_CRL_DISTRIBUTION_POINTS = '2.5.29.31';
export const OID_CERTIFICATE_POLICIES = '2.5.29.32';
export const OID_POLICY_MAPPINGS = '2.5.29.33';
export const OID_AUTHORITY_KEY_ID = '2.5.29.35';
export const OID_POLICY_CONSTRAINTS = '2.5.29.36';
export const OID_EXT_KEY_USAGE = '2.5.29.37';
export const OID_FRESHEST_CRL = '2.5.29.46';
export const OID_INHIBIT_ANY_POLICY = '2.5.29.54';

/**
 * Critical certificate extensions accepted: OpenSSL 3's "supported" list (v3_purp.c) less the two it enforces
 * and this code does not (nameConstraints, RFC 3779 address blocks), which fail closed here as "unhandled
 * critical extension". The policy extensions are only enforced with X509_V_FLAG_POLICY_CHECK, which racoon
 * does not set. Any other critical extension fails as in OpenSSL.
 */
export const HANDLED_CRITICAL_CERT_EXTENSIONS: ReadonlySet<string> = new Set([
  '2.16.840.1.113730.1.1', // netscape-cert-type
  OID_KEY_USAGE,
  OID_SUBJECT_ALT_NAME,
  OID_BASIC_CONSTRAINTS,
  OID_CERTIFICATE_POLICIES,
  OID_EXT_KEY_USAGE,
  '1.3.6.1.5.5.7.1.14', // proxyCertInfo
  OID_POLICY_CONSTRAINTS,
  OID_POLICY_MAPPINGS,
  OID_INHIBIT_ANY_POLICY,
  '1.3.6.1.5.5.7.1.8', // sbgp-autonomousSysNum (RFC 3779; AS numbers do not bind IPsec peers)
]);

// Public key algorithms (RFC 3279, RFC 5480, RFC 8410).
export const OID_RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
export const OID_RSASSA_PSS = '1.2.840.113549.1.1.10';
export const OID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
export const OID_ED25519 = '1.3.101.112';
export const OID_ED448 = '1.3.101.113';
export const OID_MGF1 = '1.2.840.113549.1.1.8';

/** Signature algorithms: the digest Node's crypto.verify takes, and the key type they need. */
export interface SigAlgInfo {
  name: string;
  digest: string | null;
  key: 'rsa' | 'ec' | 'ed25519' | 'ed448' | 'rsa-pss';
  /** MD5 and older: refused (see docs/certificates.md). */
  weak?: boolean;
}

export const SIGNATURE_ALGORITHMS: ReadonlyMap<string, SigAlgInfo> = new Map([
  ['1.2.840.113549.1.1.4', { name: 'md5WithRSAEncryption', digest: 'md5', key: 'rsa', weak: true }],
  ['1.2.840.113549.1.1.5', { name: 'sha1WithRSAEncryption', digest: 'sha1', key: 'rsa' }],
  ['1.2.840.113549.1.1.14', { name: 'sha224WithRSAEncryption', digest: 'sha224', key: 'rsa' }],
  ['1.2.840.113549.1.1.11', { name: 'sha256WithRSAEncryption', digest: 'sha256', key: 'rsa' }],
  ['1.2.840.113549.1.1.12', { name: 'sha384WithRSAEncryption', digest: 'sha384', key: 'rsa' }],
  ['1.2.840.113549.1.1.13', { name: 'sha512WithRSAEncryption', digest: 'sha512', key: 'rsa' }],
  [OID_RSASSA_PSS, { name: 'rsassaPss', digest: null, key: 'rsa-pss' }],
  ['1.2.840.10045.4.1', { name: 'ecdsa-with-SHA1', digest: 'sha1', key: 'ec' }],
  ['1.2.840.10045.4.3.1', { name: 'ecdsa-with-SHA224', digest: 'sha224', key: 'ec' }],
  ['1.2.840.10045.4.3.2', { name: 'ecdsa-with-SHA256', digest: 'sha256', key: 'ec' }],
  ['1.2.840.10045.4.3.3', { name: 'ecdsa-with-SHA384', digest: 'sha384', key: 'ec' }],
  ['1.2.840.10045.4.3.4', { name: 'ecdsa-with-SHA512', digest: 'sha512', key: 'ec' }],
  [OID_ED25519, { name: 'ED25519', digest: null, key: 'ed25519' }],
  [OID_ED448, { name: 'ED448', digest: null, key: 'ed448' }],
] as [string, SigAlgInfo][]);

/** Digest OIDs in RSASSA-PSS parameters (RFC 4055 §2.1). */
export const DIGEST_OIDS: ReadonlyMap<string, string> = new Map([
  ['1.3.14.3.2.26', 'sha1'],
  ['2.16.840.1.101.3.4.2.4', 'sha224'],
  ['2.16.840.1.101.3.4.2.1', 'sha256'],
  ['2.16.840.1.101.3.4.2.2', 'sha384'],
  ['2.16.840.1.101.3.4.2.3', 'sha512'],
]);
