// Certificate extensions the verifier and the identity checks read (RFC 5280 §4.2): basicConstraints,
// keyUsage, subjectAltName, subject/authority key identifiers.
import { ParseError } from '../../common/bytes.js';
import { formatAddr } from '../../common/inet.js';
import {
  DerReader,
  TAG_BIT_STRING,
  TAG_BOOLEAN,
  TAG_INTEGER,
  TAG_OCTET_STRING,
  TAG_SEQUENCE,
  bitStringOf,
  booleanOf,
  ctx,
  ctxC,
  integerBytes,
  oidOf,
  smallInt,
  valueOf,
  type Tlv,
} from './der.js';
import { decodeName, type Name } from './name.js';

/** keyUsage bits (RFC 5280 §4.2.1.3), bit n of the BIT STRING as 1 << n. */
export const KU_DIGITAL_SIGNATURE = 1 << 0;
export const KU_NON_REPUDIATION = 1 << 1;
export const KU_KEY_ENCIPHERMENT = 1 << 2;
export const KU_DATA_ENCIPHERMENT = 1 << 3;
export const KU_KEY_AGREEMENT = 1 << 4;
export const KU_KEY_CERT_SIGN = 1 << 5;
export const KU_CRL_SIGN = 1 << 6;
export const KU_ENCIPHER_ONLY = 1 << 7;
export const KU_DECIPHER_ONLY = 1 << 8;

/** One extension as found in the certificate; `value` is the extnValue OCTET STRING's contents. */
export interface Extension {
  oid: string;
  critical: boolean;
  value: Uint8Array;
  /** Offset of `value` in the buffer it was read from, for nested decoders. */
  valueTlv: Tlv;
}

/** A GeneralName (RFC 5280 §4.2.1.6) reduced to what IKE identities use. */
export type GeneralName =
  | { type: 'email' | 'dns' | 'uri'; value: string }
  | { type: 'ip'; value: string; bytes: Uint8Array }
  | { type: 'dirName'; value: Name }
  | { type: 'other'; tag: number };

export interface BasicConstraints {
  ca: boolean;
  pathLen?: number;
}

export interface AuthorityKeyId {
  keyId?: Uint8Array;
  issuer?: GeneralName[];
  serial?: Uint8Array;
}

/** Decodes `extensions [3] EXPLICIT SEQUENCE OF Extension`; a repeated extension is an error (RFC 5280 §4.2). */
export function decodeExtensions(buf: Uint8Array, outer: Tlv): Extension[] {
  const seq = DerReader.inside(buf, outer).expect(TAG_SEQUENCE, 'extensions');
  const r = DerReader.inside(buf, seq);
  const out: Extension[] = [];
  while (!r.done) {
    const e = DerReader.inside(buf, r.expect(TAG_SEQUENCE, 'Extension'));
    const oid = oidOf(buf, e.next('extnID'), 'extnID');
    const crit = e.optional(TAG_BOOLEAN, 'critical');
    const v = e.expect(TAG_OCTET_STRING, 'extnValue');
    e.finish('Extension');
    if (out.some((x) => x.oid === oid)) throw new ParseError(`duplicate extension ${oid}`, v.start, 'extensions');
    out.push({ oid, critical: crit ? booleanOf(buf, crit, 'critical') : false, value: valueOf(buf, v), valueTlv: v });
  }
  return out;
}

/** The single TLV inside an extension value, with nothing after it. */
function only(buf: Uint8Array, ext: Extension, tag: number, field: string): Tlv {
  const r = new DerReader(buf, ext.valueTlv.valueStart, ext.valueTlv.end);
  const t = r.expect(tag, field);
  r.finish(field);
  return t;
}

export function decodeBasicConstraints(buf: Uint8Array, ext: Extension): BasicConstraints {
  const r = DerReader.inside(buf, only(buf, ext, TAG_SEQUENCE, 'basicConstraints'));
  const ca = r.optional(TAG_BOOLEAN, 'cA');
  const pl = r.optional(TAG_INTEGER, 'pathLenConstraint');
  r.finish('basicConstraints');
  const out: BasicConstraints = { ca: ca ? booleanOf(buf, ca, 'cA') : false };
  if (pl) out.pathLen = smallInt(buf, pl, 'pathLenConstraint');
  return out;
}

export function decodeKeyUsage(buf: Uint8Array, ext: Extension): number {
  const { bytes } = bitStringOf(buf, only(buf, ext, TAG_BIT_STRING, 'keyUsage'), 'keyUsage');
  let bits = 0;
  // Bit 0 is the most significant bit of the first octet (X.690 §8.6.2).
  for (let i = 0; i < Math.min(bytes.length, 2); i++) {
    for (let j = 0; j < 8; j++) if (bytes[i]! & (0x80 >> j)) bits |= 1 << (i * 8 + j);
  }
  return bits;
}

function ia5(buf: Uint8Array, t: Tlv, field: string): string {
  const v = valueOf(buf, t);
  if (v.some((b) => b >= 0x80)) throw new ParseError(`${field}: not IA5`, t.start, field);
  return Buffer.from(v).toString('latin1');
}

function decodeGeneralName(buf: Uint8Array, t: Tlv): GeneralName {
  switch (t.tag) {
    case ctx(1):
      return { type: 'email', value: ia5(buf, t, 'rfc822Name') };
    case ctx(2):
      return { type: 'dns', value: ia5(buf, t, 'dNSName') };
    case ctx(6):
      return { type: 'uri', value: ia5(buf, t, 'uniformResourceIdentifier') };
    case ctx(7): {
      const b = valueOf(buf, t);
      if (b.length !== 4 && b.length !== 16) return { type: 'other', tag: t.tag }; // name constraints form
      return { type: 'ip', value: formatAddr(b), bytes: b };
    }
    case ctxC(4): {
      const r = DerReader.inside(buf, t);
      const n = decodeName(buf, r.expect(TAG_SEQUENCE, 'directoryName'));
      r.finish('directoryName');
      return { type: 'dirName', value: n };
    }
    default:
      return { type: 'other', tag: t.tag };
  }
}

/** GeneralNames: SEQUENCE SIZE (1..MAX) OF GeneralName. */
export function decodeGeneralNames(buf: Uint8Array, seq: Tlv, field: string): GeneralName[] {
  const r = DerReader.inside(buf, seq);
  const out: GeneralName[] = [];
  while (!r.done) out.push(decodeGeneralName(buf, r.next(field)));
  return out;
}

export function decodeSubjectAltName(buf: Uint8Array, ext: Extension): GeneralName[] {
  return decodeGeneralNames(buf, only(buf, ext, TAG_SEQUENCE, 'subjectAltName'), 'subjectAltName');
}

export function decodeSubjectKeyId(buf: Uint8Array, ext: Extension): Uint8Array {
  return valueOf(buf, only(buf, ext, TAG_OCTET_STRING, 'subjectKeyIdentifier'));
}

export function decodeAuthorityKeyId(buf: Uint8Array, ext: Extension): AuthorityKeyId {
  const r = DerReader.inside(buf, only(buf, ext, TAG_SEQUENCE, 'authorityKeyIdentifier'));
  const out: AuthorityKeyId = {};
  const k = r.optional(ctx(0), 'keyIdentifier');
  if (k) out.keyId = valueOf(buf, k);
  const i = r.optional(ctxC(1), 'authorityCertIssuer');
  if (i) out.issuer = decodeGeneralNames(buf, i, 'authorityCertIssuer');
  const s = r.optional(ctx(2), 'authorityCertSerialNumber');
  if (s) out.serial = integerBytes(buf, { ...s, tag: TAG_INTEGER }, 'authorityCertSerialNumber');
  r.finish('authorityKeyIdentifier');
  return out;
}
