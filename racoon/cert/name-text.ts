// Names as text: racoon's asn1dn form `C=JP, O=KAME, CN=*` (eay_str2asn1dn, RFC 2253 escapes) and the text
// errors and logs print (the same order and form, so a printed subject can be pasted into peers_identifier).
import {
  TAG_IA5_STRING,
  TAG_PRINTABLE_STRING,
  TAG_UTF8_STRING,
  TAG_BMP_STRING,
  TAG_T61_STRING,
  TAG_UNIVERSAL_STRING,
  TAG_VISIBLE_STRING,
  derTlv,
} from './der.js';
import { encodeName, stringValue, type Ava, type Name } from './name.js';
import {
  OID_COUNTRY,
  OID_DC,
  OID_DN_QUALIFIER,
  OID_EMAIL,
  OID_SERIAL_NUMBER,
  attributeName,
  attributeOid,
} from './oid.js';
import { toHex } from '../../common/bytes.js';

const STRING_TAGS = new Set([
  TAG_UTF8_STRING,
  TAG_PRINTABLE_STRING,
  TAG_IA5_STRING,
  TAG_T61_STRING,
  TAG_VISIBLE_STRING,
  TAG_BMP_STRING,
  TAG_UNIVERSAL_STRING,
]);

function escapeValue(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    const code = c.charCodeAt(0);
    if (',=+<>#;\\"'.includes(c) || (c === ' ' && (i === 0 || i === s.length - 1))) out += '\\' + c;
    else if (code < 0x20 || code === 0x7f) out += '\\' + code.toString(16).padStart(2, '0');
    else out += c;
  }
  return out;
}

function avaText(a: Ava): string {
  let v: string;
  try {
    v = STRING_TAGS.has(a.tag) ? escapeValue(stringValue(a.tag, a.value)) : '#' + toHex(a.raw);
  } catch {
    v = '#' + toHex(a.raw);
  }
  return `${attributeName(a.oid)}=${v}`;
}

/** `C=JP, O=KAME, CN=host` in certificate order; attributes of one multi-valued RDN are joined by ` + `. */
export function formatName(n: Name): string {
  if (n.avas.length === 0) return '(empty name)';
  let out = '';
  n.avas.forEach((a, i) => {
    if (i > 0) out += a.rdn === n.avas[i - 1]!.rdn ? ' + ' : ', ';
    out += avaText(a);
  });
  return out;
}

/** Why a text name was refused (racoon: "Invalid DN field"). */
export class NameTextError extends Error {
  readonly code = 'ENAMETEXT';
  constructor(message: string) {
    super(message);
    this.name = 'NameTextError';
  }
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** The value as OpenSSL 3 stores MBSTRING_ASC text for this attribute (its string table and utf8only mask). */
function valueTlv(oid: string, latin1: string): Uint8Array {
  const bytes = Buffer.from(latin1, 'latin1');
  // A lone "*" is stored as a PrintableString whatever the attribute (eay_str2asn1dn).
  if (latin1 === '*') return derTlv(TAG_PRINTABLE_STRING, bytes);
  if (oid === OID_COUNTRY || oid === OID_DN_QUALIFIER || oid === OID_SERIAL_NUMBER) {
    if (!PRINTABLE.test(latin1)) throw new NameTextError(`${attributeName(oid)} takes printable characters only`);
    if (oid === OID_COUNTRY && latin1.length !== 2) throw new NameTextError('C takes a two-letter country code');
    return derTlv(TAG_PRINTABLE_STRING, bytes);
  }
  if (oid === OID_EMAIL || oid === OID_DC) {
    if ([...bytes].some((b) => b >= 0x80)) throw new NameTextError(`${attributeName(oid)} takes ASCII only`);
    return derTlv(TAG_IA5_STRING, bytes);
  }
  // MBSTRING_ASC: each octet is a Latin-1 character, stored as UTF-8.
  return derTlv(TAG_UTF8_STRING, Buffer.from(latin1, 'utf8'));
}

/** Splits racoon asn1dn text into (field, value) pairs with eay_str2asn1dn's rules; values are Latin-1 strings. */
export function splitNameText(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let field = '';
  let value: string | undefined;
  const emit = (): void => {
    if (value === undefined) throw new NameTextError(`'${field}' has no '=' and value`);
    out.push([field, value]);
  };
  for (let i = 0; i < text.length; i++) {
    let c = text[i]!;
    if (c === '\\') {
      const n = text[i + 1];
      if (n !== undefined && '\\,=+<>#;'.includes(n)) {
        c = n;
        i++;
      } else if (/^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
        c = String.fromCharCode(parseInt(text.slice(i + 1, i + 3), 16));
        i += 2;
      } else {
        throw new NameTextError(`bad escape at offset ${i}`);
      }
    } else if (value === undefined && c === '=') {
      value = '';
      continue;
    } else if (c === ',' || c === '/') {
      emit();
      while (text[i + 1] === ' ') i++;
      field = '';
      value = undefined;
      continue;
    }
    if (value === undefined) field += c;
    else value += c;
  }
  emit();
  return out;
}

/** racoon eay_str2asn1dn: `C=JP, O=KAME, CN=*` (or `/`-separated) to a DER Name. Throws NameTextError. */
export function parseNameText(text: string): Name {
  const avas = splitNameText(text).map(([field, value], rdn) => {
    const oid = attributeOid(field);
    if (!oid) throw new NameTextError(`unknown attribute '${field}' in '${field}=${value}'`);
    if (value.length > 1024) throw new NameTextError(`value of ${field} too long`);
    return { oid, raw: valueTlv(oid, value), rdn };
  });
  return encodeName(avas);
}
