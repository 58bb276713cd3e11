// X.509 v1/v3 certificates (RFC 5280 §4.1): decoding from DER or PEM into the fields the verifier, the
// identity checks and the CERT/CR payloads need. Signatures are checked by node:crypto (signature.ts).
import { createPublicKey, type KeyObject } from 'node:crypto';
import { ParseError } from '../../common/bytes.js';
import {
  DerReader,
  TAG_BIT_STRING,
  TAG_INTEGER,
  TAG_SEQUENCE,
  bitStringOf,
  ctx,
  ctxC,
  integerBytes,
  oidOf,
  rawOf,
  smallInt,
  timeOf,
  type Tlv,
} from './der.js';
import {
  decodeAuthorityKeyId,
  decodeBasicConstraints,
  decodeExtensions,
  decodeKeyUsage,
  decodeSubjectAltName,
  decodeSubjectKeyId,
  type AuthorityKeyId,
  type BasicConstraints,
  type Extension,
  type GeneralName,
} from './extensions.js';
import { decodeName, nameEquals, type Name } from './name.js';
import { formatName } from './name-text.js';
import {
  HANDLED_CRITICAL_CERT_EXTENSIONS,
  OID_AUTHORITY_KEY_ID,
  OID_BASIC_CONSTRAINTS,
  OID_KEY_USAGE,
  OID_SUBJECT_ALT_NAME,
  OID_SUBJECT_KEY_ID,
} from './oid.js';
import { isPem, readPemBlocks } from './pem.js';

/** AlgorithmIdentifier: the OID and the parameters' TLV (absent, NULL, or RSASSA-PSS parameters). */
export interface AlgorithmId {
  oid: string;
  params?: Uint8Array;
  raw: Uint8Array;
}

/** A decoded certificate (OpenSSL X509). Views into `der`; never modified. */
export interface Certificate {
  der: Uint8Array;
  tbs: Uint8Array;
  version: number;
  serial: Uint8Array;
  tbsSigAlg: AlgorithmId;
  sigAlg: AlgorithmId;
  issuer: Name;
  subject: Name;
  notBefore: number;
  notAfter: number;
  /** SubjectPublicKeyInfo, whole TLV (hashed for IKEv2 CERTREQ, RFC 7296 §3.7). */
  spki: Uint8Array;
  spkiAlg: string;
  extensions: Extension[];
  basicConstraints?: BasicConstraints;
  keyUsage?: number;
  subjectAltNames: GeneralName[];
  subjectKeyId?: Uint8Array;
  authorityKeyId?: AuthorityKeyId;
  /** Critical extensions OpenSSL would not handle: verification fails on them. */
  unhandledCritical: string[];
  signature: Uint8Array;
  /** Subject and issuer are the same name (EXFLAG_SI). */
  selfIssued: boolean;
}

export function decodeAlgorithmId(buf: Uint8Array, t: Tlv, field: string): AlgorithmId {
  if (t.tag !== TAG_SEQUENCE) throw new ParseError(`${field}: not a SEQUENCE`, t.start, field);
  const r = DerReader.inside(buf, t);
  const oid = oidOf(buf, r.next(field), field);
  const p = r.done ? undefined : r.next(`${field} parameters`);
  r.finish(field);
  return { oid, raw: rawOf(buf, t), ...(p ? { params: rawOf(buf, p) } : {}) };
}

function applyExtensions(buf: Uint8Array, c: Certificate): void {
  for (const e of c.extensions) {
    if (e.oid === OID_BASIC_CONSTRAINTS) c.basicConstraints = decodeBasicConstraints(buf, e);
    else if (e.oid === OID_KEY_USAGE) c.keyUsage = decodeKeyUsage(buf, e);
    else if (e.oid === OID_SUBJECT_ALT_NAME) c.subjectAltNames = decodeSubjectAltName(buf, e);
    else if (e.oid === OID_SUBJECT_KEY_ID) c.subjectKeyId = decodeSubjectKeyId(buf, e);
    else if (e.oid === OID_AUTHORITY_KEY_ID) c.authorityKeyId = decodeAuthorityKeyId(buf, e);
    if (e.critical && !HANDLED_CRITICAL_CERT_EXTENSIONS.has(e.oid)) c.unhandledCritical.push(e.oid);
  }
}

function decodeTbs(buf: Uint8Array, t: Tlv): Omit<Certificate, 'der' | 'sigAlg' | 'signature'> {
  const r = DerReader.inside(buf, t);
  const v = r.optional(ctxC(0), 'version');
  const version = v ? smallInt(buf, DerReader.inside(buf, v).expect(TAG_INTEGER, 'version'), 'version') + 1 : 1;
  if (version > 3) throw new ParseError(`unknown certificate version ${version}`, t.start, 'version');
  const serial = integerBytes(buf, r.expect(TAG_INTEGER, 'serialNumber'), 'serialNumber');
  const tbsSigAlg = decodeAlgorithmId(buf, r.next('signature'), 'signature');
  const issuer = decodeName(buf, r.expect(TAG_SEQUENCE, 'issuer'));
  const val = DerReader.inside(buf, r.expect(TAG_SEQUENCE, 'validity'));
  const notBefore = timeOf(buf, val.next('notBefore'), 'notBefore');
  const notAfter = timeOf(buf, val.next('notAfter'), 'notAfter');
  val.finish('validity');
  const subject = decodeName(buf, r.expect(TAG_SEQUENCE, 'subject'));
  const spkiT = r.expect(TAG_SEQUENCE, 'subjectPublicKeyInfo');
  const spkiR = DerReader.inside(buf, spkiT);
  const spkiAlg = decodeAlgorithmId(buf, spkiR.next('algorithm'), 'algorithm').oid;
  bitStringOf(buf, spkiR.expect(TAG_BIT_STRING, 'subjectPublicKey'), 'subjectPublicKey');
  spkiR.finish('subjectPublicKeyInfo');
  r.optional(ctx(1), 'issuerUniqueID');
  r.optional(ctx(2), 'subjectUniqueID');
  const extT = r.optional(ctxC(3), 'extensions');
  r.finish('tbsCertificate');
  const c = {
    tbs: rawOf(buf, t),
    version,
    serial,
    tbsSigAlg,
    issuer,
    subject,
    notBefore,
    notAfter,
    spki: rawOf(buf, spkiT),
    spkiAlg,
    extensions: extT ? decodeExtensions(buf, extT) : [],
    subjectAltNames: [],
    unhandledCritical: [],
    selfIssued: nameEquals(subject, issuer),
  };
  return c;
}

/** Decodes one DER certificate; trailing bytes are refused unless `allowTrailing` (OpenSSL's TRUSTED CERTIFICATE). */
export function decodeCertificate(der: Uint8Array, allowTrailing = false): Certificate {
  const r = new DerReader(der, 0, der.length);
  const outer = r.expect(TAG_SEQUENCE, 'Certificate');
  if (!allowTrailing) r.finish('Certificate');
  const buf = der.subarray(0, outer.end);
  const c = DerReader.inside(buf, outer);
  const tbs = decodeTbs(buf, c.expect(TAG_SEQUENCE, 'tbsCertificate'));
  const sigAlg = decodeAlgorithmId(buf, c.next('signatureAlgorithm'), 'signatureAlgorithm');
  const sig = bitStringOf(buf, c.expect(TAG_BIT_STRING, 'signatureValue'), 'signatureValue');
  c.finish('Certificate');
  const cert: Certificate = { ...tbs, der: buf, sigAlg, signature: sig.bytes };
  applyExtensions(buf, cert);
  return cert;
}

const CERT_LABELS = new Set(['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE']);

/** Every certificate in a PEM text or a DER buffer (one certificate). */
export function decodeCertificates(data: Uint8Array): Certificate[] {
  if (!isPem(data)) return [decodeCertificate(data)];
  return readPemBlocks(Buffer.from(data).toString('latin1'))
    .filter((b) => CERT_LABELS.has(b.label))
    .map((b) => decodeCertificate(b.der, b.label === 'TRUSTED CERTIFICATE'));
}

/**
 * Public keys by SubjectPublicKeyInfo bytes. Building a KeyObject goes through OpenSSL 3's decoders and costs
 * several signature checks (bench/cert.bench.ts); the same CA and intermediate keys come back in every
 * negotiation. A bounded memo of immutable values, oldest dropped first.
 */
const keyCache = new Map<string, KeyObject>();
export const KEY_CACHE_MAX = 256;

/** The certificate's public key as a Node KeyObject; throws when Node cannot decode it. */
export function publicKeyOf(c: Certificate): KeyObject {
  const id = Buffer.from(c.spki).toString('latin1');
  let k = keyCache.get(id);
  if (!k) {
    k = createPublicKey({ key: Buffer.from(c.spki), format: 'der', type: 'spki' });
    if (keyCache.size >= KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value!);
    keyCache.set(id, k);
  }
  return k;
}

/** The subject as text, for errors and logs. */
export function subjectText(c: Certificate): string {
  return formatName(c.subject);
}
