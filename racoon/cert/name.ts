// X.501 Names (RFC 5280 §4.1.2.4): decoding, OpenSSL's canonical form (what X509_NAME_cmp compares and
// X509_NAME_hash hashes for `path certificate` hashed directories), and racoon's wildcard match (eay_cmp_asn1dn).
import { createHash } from 'node:crypto';
import { ParseError } from '../../common/bytes.js';
import {
  DerReader,
  TAG_BMP_STRING,
  TAG_IA5_STRING,
  TAG_OID,
  TAG_PRINTABLE_STRING,
  TAG_SEQUENCE,
  TAG_SET,
  TAG_T61_STRING,
  TAG_UNIVERSAL_STRING,
  TAG_UTF8_STRING,
  TAG_VISIBLE_STRING,
  derOid,
  derSequence,
  derSetOf,
  derTlv,
  oidOf,
  rawOf,
  valueOf,
  type Tlv,
} from './der.js';

/** One attribute of a Name: its type, the value's tag and octets, and the RDN (SET) it belongs to. */
export interface Ava {
  oid: string;
  tag: number;
  value: Uint8Array;
  /** The value's whole TLV (used as is in the canonical form when the value is not a string type). */
  raw: Uint8Array;
  rdn: number;
}

/** A decoded Name (OpenSSL X509_NAME): the DER as received and the attributes in order. */
export interface Name {
  der: Uint8Array;
  avas: Ava[];
}

/** Bounds on what a Name may hold; real names have a handful of attributes. */
export const NAME_MAX_AVAS = 64;

function decodeAva(buf: Uint8Array, t: Tlv, rdn: number): Ava {
  const r = DerReader.inside(buf, t);
  const oid = oidOf(buf, r.expect(TAG_OID, 'attribute type'), 'attribute type');
  const v = r.next('attribute value');
  r.finish('attribute');
  return { oid, tag: buf[v.start]!, value: valueOf(buf, v), raw: rawOf(buf, v), rdn };
}

/** Decodes the Name TLV `t` of `buf`; the result keeps views of `buf`. */
export function decodeName(buf: Uint8Array, t: Tlv): Name {
  if (t.tag !== TAG_SEQUENCE) throw new ParseError('Name: not a SEQUENCE', t.start, 'Name');
  const avas: Ava[] = [];
  const r = DerReader.inside(buf, t);
  for (let rdn = 0; !r.done; rdn++) {
    const set = r.expect(TAG_SET, 'RelativeDistinguishedName');
    const s = DerReader.inside(buf, set);
    if (s.done) throw new ParseError('Name: empty RelativeDistinguishedName', set.start, 'Name');
    while (!s.done) {
      if (avas.length >= NAME_MAX_AVAS) throw new ParseError('Name: too many attributes', set.start, 'Name');
      avas.push(decodeAva(buf, s.expect(TAG_SEQUENCE, 'AttributeTypeAndValue'), rdn));
    }
  }
  const name = { der: rawOf(buf, t), avas };
  // The canonical form is built on first use (most names are only compared once, some never), but a value
  // that cannot be canonicalised (bad UTF-8, odd BMPString) makes the Name malformed now, as in OpenSSL.
  for (const a of avas) if (CANON_TAGS.has(a.tag)) stringValue(a.tag, a.value);
  return name;
}

/** Decodes a Name given as a whole DER buffer (an ID_DER_ASN1_DN payload), refusing trailing bytes. */
export function decodeNameDer(der: Uint8Array): Name {
  const r = new DerReader(der, 0, der.length);
  const name = decodeName(der, r.expect(TAG_SEQUENCE, 'Name'));
  r.finish('Name');
  return name;
}

/** Builds a Name from attributes (used for racoon.conf asn1dn text); rdn groups multi-valued RDNs. */
export function encodeName(avas: ReadonlyArray<Pick<Ava, 'oid' | 'raw' | 'rdn'>>): Name {
  const groups = groupByRdn(avas);
  const der = derSequence(groups.map((g) => derSetOf(g.map((a) => derSequence([derOid(a.oid), a.raw])))));
  return decodeNameDer(der);
}

function groupByRdn<T extends { rdn: number }>(avas: readonly T[]): T[][] {
  const out: T[][] = [];
  let last: number | undefined;
  for (const a of avas) {
    if (a.rdn !== last || out.length === 0) out.push([]);
    out[out.length - 1]!.push(a);
    last = a.rdn;
  }
  return out;
}

const CANON_TAGS = new Set([
  TAG_UTF8_STRING,
  TAG_BMP_STRING,
  TAG_UNIVERSAL_STRING,
  TAG_PRINTABLE_STRING,
  TAG_T61_STRING,
  TAG_IA5_STRING,
  TAG_VISIBLE_STRING,
]);

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A string value as text: UTF-8, UCS-2 (BMPString), UCS-4 (UniversalString), else one octet a character. */
export function stringValue(tag: number, v: Uint8Array): string {
  if (tag === TAG_UTF8_STRING) {
    try {
      return utf8.decode(v);
    } catch {
      throw new ParseError('Name: invalid UTF8String', -1, 'Name');
    }
  }
  if (tag === TAG_BMP_STRING || tag === TAG_UNIVERSAL_STRING) {
    const w = tag === TAG_BMP_STRING ? 2 : 4;
    if (v.length % w) throw new ParseError('Name: odd-sized wide string', -1, 'Name');
    let s = '';
    for (let i = 0; i < v.length; i += w) {
      let cp = 0;
      for (let j = 0; j < w; j++) cp = cp * 256 + v[i + j]!;
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new ParseError('Name: bad code point', -1, 'Name');
      s += String.fromCodePoint(cp);
    }
    return s;
  }
  return Buffer.from(v).toString('latin1');
}

const isSpace = (b: number): boolean => b === 0x20 || (b >= 0x09 && b <= 0x0d);

/** OpenSSL asn1_string_canon: UTF-8, outer blanks stripped, inner runs of blanks one space, ASCII lowercased. */
export function canonicalValue(tag: number, v: Uint8Array): Uint8Array {
  const u = Buffer.from(stringValue(tag, v), 'utf8');
  let a = 0;
  let b = u.length;
  while (a < b && isSpace(u[a]!)) a++;
  while (b > a && isSpace(u[b - 1]!)) b--;
  const out: number[] = [];
  for (let i = a; i < b;) {
    const c = u[i]!;
    if (c >= 0x80) {
      out.push(c);
      i++;
    } else if (isSpace(c)) {
      out.push(0x20);
      while (i < b && isSpace(u[i]!)) i++;
    } else {
      out.push(c >= 0x41 && c <= 0x5a ? c + 0x20 : c);
      i++;
    }
  }
  return Uint8Array.from(out);
}

/** OpenSSL x509_name_canon: each RDN as a DER SET of (OID, canonical value), concatenated without the outer SEQUENCE. */
export function canonicalEncoding(avas: readonly Ava[]): Uint8Array {
  const sets = groupByRdn(avas).map((g) =>
    derSetOf(
      g.map((a) =>
        derSequence([
          derOid(a.oid),
          CANON_TAGS.has(a.tag) ? derTlv(TAG_UTF8_STRING, canonicalValue(a.tag, a.value)) : a.raw,
        ]),
      ),
    ),
  );
  return new Uint8Array(Buffer.concat(sets));
}

const canonCache = new WeakMap<Name, Uint8Array>();

/** The canonical encoding of a Name, computed once. */
export function canonOf(n: Name): Uint8Array {
  let c = canonCache.get(n);
  if (!c) {
    c = canonicalEncoding(n.avas);
    canonCache.set(n, c);
  }
  return c;
}

/** X509_NAME_cmp equality: the canonical encodings are the same (case and blank runs do not matter). */
export function nameEquals(a: Name, b: Name): boolean {
  return (
    a === b ||
    (a.der.length === b.der.length && Buffer.compare(a.der, b.der) === 0) ||
    Buffer.compare(canonOf(a), canonOf(b)) === 0
  );
}

/** X509_NAME_hash (OpenSSL ≥ 1.0): the first four octets of SHA-1(canonical) as a little-endian number, 8 hex digits. */
export function nameHash(n: Name): string {
  const d = createHash('sha1').update(canonOf(n)).digest();
  return d.readUInt32LE(0).toString(16).padStart(8, '0');
}

const isStar = (a: Ava): boolean => a.value.length === 1 && a.value[0] === 0x2a;

/**
 * racoon eay_cmp_asn1dn: attribute by attribute in order; where either side's value is exactly "*", only the
 * attribute types must agree and both attributes are then left out; the rest must be equal names.
 */
export function matchNameWildcard(pattern: Name, name: Name): boolean {
  const pa: Ava[] = [];
  const na: Ava[] = [];
  for (let i = 0; i < pattern.avas.length; i++) {
    const x = pattern.avas[i]!;
    const y = name.avas[i];
    if (!y) return false;
    if (isStar(x) || isStar(y)) {
      if (x.oid !== y.oid) return false;
      continue;
    }
    pa.push(x);
    na.push(y);
  }
  na.push(...name.avas.slice(pattern.avas.length));
  return Buffer.compare(canonicalEncoding(pa), canonicalEncoding(na)) === 0;
}
