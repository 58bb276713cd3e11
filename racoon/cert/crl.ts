// Certificate revocation lists (RFC 5280 §5): decoding from DER or PEM, and the revoked-serial lookup.
import { ParseError, toHex } from '../../common/bytes.js';
import {
  DerReader,
  TAG_BIT_STRING,
  TAG_ENUMERATED,
  TAG_GENERALIZED_TIME,
  TAG_INTEGER,
  TAG_SEQUENCE,
  TAG_UTC_TIME,
  bitStringOf,
  booleanOf,
  ctx,
  ctxC,
  integerBytes,
  rawOf,
  smallInt,
  timeOf,
  type Tlv,
} from './der.js';
import { decodeExtensions, decodeAuthorityKeyId, type AuthorityKeyId, type Extension } from './extensions.js';
import { decodeName, type Name } from './name.js';
import {
  OID_AUTHORITY_KEY_ID,
  OID_CERTIFICATE_ISSUER,
  OID_CRL_REASON,
  OID_DELTA_CRL_INDICATOR,
  OID_ISSUING_DISTRIBUTION_POINT,
} from './oid.js';
import { isPem, readPemBlocks } from './pem.js';
import { decodeAlgorithmId, type AlgorithmId } from './x509.js';

/** CRLReason (RFC 5280 §5.3.1); removeFromCRL entries do not revoke (OpenSSL cert_crl). */
export const CRL_REASON_REMOVE_FROM_CRL = 8;

export interface RevokedEntry {
  date: number;
  reason?: number;
}

/** The parts of an IssuingDistributionPoint (RFC 5280 §5.2.5) that decide a CRL's scope. */
export interface IssuingDistributionPoint {
  hasDistributionPoint: boolean;
  onlyUser: boolean;
  onlyCa: boolean;
  onlySomeReasons: boolean;
  indirect: boolean;
  onlyAttribute: boolean;
}

/** A decoded CRL (OpenSSL X509_CRL). */
export interface Crl {
  der: Uint8Array;
  tbs: Uint8Array;
  version: number;
  tbsSigAlg: AlgorithmId;
  sigAlg: AlgorithmId;
  issuer: Name;
  thisUpdate: number;
  nextUpdate?: number;
  /** Revoked serials keyed by the minimal hex of the serial INTEGER. */
  revoked: Map<string, RevokedEntry>;
  extensions: Extension[];
  authorityKeyId?: AuthorityKeyId;
  idp?: IssuingDistributionPoint;
  /** A delta CRL: OpenSSL does not use one as a full CRL unless asked (X509_V_FLAG_USE_DELTAS). */
  isDelta: boolean;
  /** A critical CRL or entry extension OpenSSL does not handle. */
  unhandledCritical: boolean;
  signature: Uint8Array;
}

/** The serial INTEGER's octets without redundant leading 0x00/0xff, in hex: the revocation lookup key. */
export function serialKey(serial: Uint8Array): string {
  let i = 0;
  while (
    i + 1 < serial.length &&
    ((serial[i] === 0 && serial[i + 1]! < 0x80) || (serial[i] === 0xff && serial[i + 1]! >= 0x80))
  )
    i++;
  return toHex(serial.subarray(i));
}

const isTime = (tag: number | undefined): boolean => tag === TAG_UTC_TIME || tag === TAG_GENERALIZED_TIME;

function decodeEntry(buf: Uint8Array, t: Tlv, crl: Crl): void {
  const r = DerReader.inside(buf, t);
  const serial = integerBytes(buf, r.expect(TAG_INTEGER, 'userCertificate'), 'userCertificate');
  const date = timeOf(buf, r.next('revocationDate'), 'revocationDate');
  const entry: RevokedEntry = { date };
  const ext = r.optional(TAG_SEQUENCE, 'crlEntryExtensions');
  r.finish('revokedCertificate');
  if (ext) {
    // decodeExtensions expects the [0] wrapper; entry extensions are a bare SEQUENCE.
    for (const e of decodeExtensions(buf, { tag: ctxC(0), start: ext.start, valueStart: ext.start, end: ext.end })) {
      if (e.oid === OID_CRL_REASON) {
        const rr = new DerReader(buf, e.valueTlv.valueStart, e.valueTlv.end);
        entry.reason = smallInt(buf, { ...rr.expect(TAG_ENUMERATED, 'reasonCode'), tag: TAG_INTEGER }, 'reasonCode');
      } else if (e.critical && e.oid !== OID_CERTIFICATE_ISSUER) crl.unhandledCritical = true;
    }
  }
  crl.revoked.set(serialKey(serial), entry);
}

function decodeIdp(buf: Uint8Array, e: Extension): IssuingDistributionPoint {
  const r = new DerReader(buf, e.valueTlv.valueStart, e.valueTlv.end);
  const s = DerReader.inside(buf, r.expect(TAG_SEQUENCE, 'issuingDistributionPoint'));
  r.finish('issuingDistributionPoint');
  const flag = (n: number): boolean => {
    const t = s.optional(ctx(n), 'issuingDistributionPoint');
    return t ? booleanOf(buf, { ...t, tag: 0x01 }, 'issuingDistributionPoint') : false;
  };
  const hasDistributionPoint = s.optional(ctxC(0), 'distributionPoint') !== undefined;
  const onlyUser = flag(1);
  const onlyCa = flag(2);
  const onlySomeReasons = s.optional(ctx(3), 'onlySomeReasons') !== undefined;
  const out = { hasDistributionPoint, onlyUser, onlyCa, onlySomeReasons, indirect: flag(4), onlyAttribute: flag(5) };
  s.finish('issuingDistributionPoint');
  return out;
}

function applyCrlExtensions(buf: Uint8Array, crl: Crl): void {
  for (const e of crl.extensions) {
    if (e.oid === OID_AUTHORITY_KEY_ID) crl.authorityKeyId = decodeAuthorityKeyId(buf, e);
    else if (e.oid === OID_ISSUING_DISTRIBUTION_POINT) crl.idp = decodeIdp(buf, e);
    else if (e.oid === OID_DELTA_CRL_INDICATOR) crl.isDelta = true;
    else if (e.critical) crl.unhandledCritical = true;
  }
}

/** Decodes one DER CRL. */
export function decodeCrl(der: Uint8Array): Crl {
  const top = new DerReader(der, 0, der.length);
  const outer = top.expect(TAG_SEQUENCE, 'CertificateList');
  top.finish('CertificateList');
  const o = DerReader.inside(der, outer);
  const tbsT = o.expect(TAG_SEQUENCE, 'tbsCertList');
  const sigAlg = decodeAlgorithmId(der, o.next('signatureAlgorithm'), 'signatureAlgorithm');
  const signature = bitStringOf(der, o.expect(TAG_BIT_STRING, 'signatureValue'), 'signatureValue').bytes;
  o.finish('CertificateList');
  const r = DerReader.inside(der, tbsT);
  const v = r.optional(TAG_INTEGER, 'version');
  const version = v ? smallInt(der, v, 'version') + 1 : 1;
  if (version > 2) throw new ParseError(`unknown CRL version ${version}`, tbsT.start, 'version');
  const tbsSigAlg = decodeAlgorithmId(der, r.next('signature'), 'signature');
  const issuer = decodeName(der, r.expect(TAG_SEQUENCE, 'issuer'));
  const thisUpdate = timeOf(der, r.next('thisUpdate'), 'thisUpdate');
  const nextT = isTime(r.peekTag()) ? r.next('nextUpdate') : undefined;
  const crl: Crl = {
    der,
    tbs: rawOf(der, tbsT),
    version,
    tbsSigAlg,
    sigAlg,
    issuer,
    thisUpdate,
    ...(nextT ? { nextUpdate: timeOf(der, nextT, 'nextUpdate') } : {}),
    revoked: new Map(),
    extensions: [],
    isDelta: false,
    unhandledCritical: false,
    signature,
  };
  const list = r.optional(TAG_SEQUENCE, 'revokedCertificates');
  if (list)
    for (const e = DerReader.inside(der, list); !e.done;) decodeEntry(der, e.expect(TAG_SEQUENCE, 'entry'), crl);
  const ext = r.optional(ctxC(0), 'crlExtensions');
  r.finish('tbsCertList');
  if (ext) crl.extensions = decodeExtensions(der, ext);
  applyCrlExtensions(der, crl);
  return crl;
}

/** Every CRL in a PEM text (`X509 CRL` blocks) or a DER buffer. */
export function decodeCrls(data: Uint8Array): Crl[] {
  if (!isPem(data)) return [decodeCrl(data)];
  return readPemBlocks(Buffer.from(data).toString('latin1'))
    .filter((b) => b.label === 'X509 CRL')
    .map((b) => decodeCrl(b.der));
}

/** The revocation entry for a serial, if the CRL lists it. */
export function findRevoked(crl: Crl, serial: Uint8Array): RevokedEntry | undefined {
  return crl.revoked.get(serialKey(serial));
}
