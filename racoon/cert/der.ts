// A small DER walker (X.690 §8/§10) for the parts of X.509 that Node's crypto does not expose: the subject
// Name's bytes, extensions, CRLs. Every read checks the declared length against the bytes left first.
import { ParseError } from '../../common/bytes.js';

/** Universal tags used by X.509 (X.680 §8.4). */
export const TAG_BOOLEAN = 0x01;
export const TAG_INTEGER = 0x02;
export const TAG_BIT_STRING = 0x03;
export const TAG_OCTET_STRING = 0x04;
export const TAG_NULL = 0x05;
export const TAG_OID = 0x06;
export const TAG_ENUMERATED = 0x0a;
export const TAG_UTF8_STRING = 0x0c;
export const TAG_PRINTABLE_STRING = 0x13;
export const TAG_T61_STRING = 0x14;
export const TAG_IA5_STRING = 0x16;
export const TAG_UTC_TIME = 0x17;
export const TAG_GENERALIZED_TIME = 0x18;
export const TAG_VISIBLE_STRING = 0x1a;
export const TAG_UNIVERSAL_STRING = 0x1c;
export const TAG_BMP_STRING = 0x1e;
export const TAG_SEQUENCE = 0x30;
export const TAG_SET = 0x31;

/** Context-specific tags: [n] primitive is 0x80|n, [n] constructed is 0xa0|n. */
export const ctx = (n: number): number => 0x80 | n;
export const ctxC = (n: number): number => 0xa0 | n;

/** One TLV: the identifier octet, where the whole element starts, where its value starts and ends. */
export interface Tlv {
  tag: number;
  start: number;
  valueStart: number;
  end: number;
}

/** Reads the TLV at `off`, which must end at or before `limit`. Only low tag numbers and definite lengths. */
export function readTlv(buf: Uint8Array, off: number, limit: number, field: string): Tlv {
  if (off + 2 > limit) throw new ParseError(`truncated ${field}: no room for a DER header`, off, field);
  const tag = buf[off]!;
  if ((tag & 0x1f) === 0x1f) throw new ParseError(`${field}: high tag numbers are not used in X.509`, off, field);
  let len = buf[off + 1]!;
  let p = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) throw new ParseError(`${field}: indefinite length is not DER`, off, field);
    if (n > 4) throw new ParseError(`${field}: length of ${n} octets is too large`, off, field);
    if (p + n > limit) throw new ParseError(`truncated ${field}: length octets`, off, field);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    p += n;
  }
  if (p + len > limit) {
    throw new ParseError(`truncated ${field}: ${len} bytes declared, ${limit - p} left`, off, field);
  }
  return { tag, start: off, valueStart: p, end: p + len };
}

/** Walks the elements of a constructed value (or a whole buffer) in order. */
export class DerReader {
  private off: number;
  constructor(
    readonly buf: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.off = start;
  }

  /** A reader over the value of a constructed TLV. */
  static inside(buf: Uint8Array, t: Tlv): DerReader {
    return new DerReader(buf, t.valueStart, t.end);
  }

  get done(): boolean {
    return this.off >= this.end;
  }

  peekTag(): number | undefined {
    return this.done ? undefined : this.buf[this.off];
  }

  next(field: string): Tlv {
    const t = readTlv(this.buf, this.off, this.end, field);
    this.off = t.end;
    return t;
  }

  /** The next element, which must carry `tag`. */
  expect(tag: number, field: string): Tlv {
    if (this.peekTag() !== tag) {
      const got = this.peekTag();
      throw new ParseError(
        `${field}: expected tag 0x${tag.toString(16)}, got ${got === undefined ? 'end of data' : '0x' + got.toString(16)}`,
        this.off,
        field,
      );
    }
    return this.next(field);
  }

  /** The next element if it carries `tag`, else nothing (OPTIONAL / DEFAULT fields). */
  optional(tag: number, field: string): Tlv | undefined {
    return this.peekTag() === tag ? this.next(field) : undefined;
  }

  /** Requires that nothing follows the last element read. */
  finish(field: string): void {
    if (!this.done) throw new ParseError(`${field}: ${this.end - this.off} unexpected trailing bytes`, this.off, field);
  }
}

/** The value octets of a TLV (a view, not a copy). */
export function valueOf(buf: Uint8Array, t: Tlv): Uint8Array {
  return buf.subarray(t.valueStart, t.end);
}

/** The whole TLV, header included (a view). */
export function rawOf(buf: Uint8Array, t: Tlv): Uint8Array {
  return buf.subarray(t.start, t.end);
}

/** OBJECT IDENTIFIER in dotted form (X.690 §8.19). */
export function oidOf(buf: Uint8Array, t: Tlv, field: string): string {
  if (t.tag !== TAG_OID || t.end === t.valueStart) throw new ParseError(`${field}: not an OID`, t.start, field);
  const parts: number[] = [];
  let v = 0;
  for (let i = t.valueStart; i < t.end; i++) {
    const b = buf[i]!;
    if (v === 0 && b === 0x80) throw new ParseError(`${field}: non-minimal OID arc`, i, field);
    v = v * 128 + (b & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 128) throw new ParseError(`${field}: OID arc too large`, i, field);
    if (!(b & 0x80)) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  if (buf[t.end - 1]! & 0x80) throw new ParseError(`${field}: OID ends inside an arc`, t.start, field);
  return parts.join('.');
}

/** INTEGER value octets (two's complement, as encoded). Serial numbers are compared this way. */
export function integerBytes(buf: Uint8Array, t: Tlv, field: string): Uint8Array {
  if (t.tag !== TAG_INTEGER || t.end === t.valueStart) throw new ParseError(`${field}: not an INTEGER`, t.start, field);
  return buf.subarray(t.valueStart, t.end);
}

/** A small non-negative INTEGER (versions, path lengths). */
export function smallInt(buf: Uint8Array, t: Tlv, field: string): number {
  const b = integerBytes(buf, t, field);
  if (b.length > 4 || b[0]! & 0x80) throw new ParseError(`${field}: integer out of range`, t.start, field);
  let v = 0;
  for (const x of b) v = v * 256 + x;
  return v;
}

export function booleanOf(buf: Uint8Array, t: Tlv, field: string): boolean {
  if (t.tag !== TAG_BOOLEAN || t.end - t.valueStart !== 1)
    throw new ParseError(`${field}: not a BOOLEAN`, t.start, field);
  return buf[t.valueStart] !== 0;
}

/** BIT STRING contents without the unused-bits octet; `unused` says how many trailing bits are padding. */
export function bitStringOf(buf: Uint8Array, t: Tlv, field: string): { unused: number; bytes: Uint8Array } {
  if (t.tag !== TAG_BIT_STRING || t.end === t.valueStart)
    throw new ParseError(`${field}: not a BIT STRING`, t.start, field);
  const unused = buf[t.valueStart]!;
  if (unused > 7 || (unused > 0 && t.end - t.valueStart === 1)) {
    throw new ParseError(`${field}: bad unused-bits count ${unused}`, t.start, field);
  }
  return { unused, bytes: buf.subarray(t.valueStart + 1, t.end) };
}

const TIME_RE = {
  [TAG_UTC_TIME]: /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/,
  [TAG_GENERALIZED_TIME]: /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/,
} as Record<number, RegExp>;

/** UTCTime / GeneralizedTime in UTC (RFC 5280 §4.1.2.5) as milliseconds since the epoch. */
export function timeOf(buf: Uint8Array, t: Tlv, field: string): number {
  const re = TIME_RE[t.tag];
  if (!re) throw new ParseError(`${field}: not a time`, t.start, field);
  const m = re.exec(Buffer.from(valueOf(buf, t)).toString('latin1'));
  if (!m) throw new ParseError(`${field}: malformed time`, t.start, field);
  const n = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  // RFC 5280 §4.1.2.5.1: UTCTime years 50-99 are 19xx, 00-49 are 20xx.
  const year = t.tag === TAG_UTC_TIME ? (n[0] >= 50 ? 1900 + n[0] : 2000 + n[0]) : n[0];
  if (n[1] < 1 || n[1] > 12 || n[2] < 1 || n[2] > 31 || n[3] > 23 || n[4] > 59 || n[5] > 60) {
    throw new ParseError(`${field}: time field out of range`, t.start, field);
  }
  return Date.UTC(year, n[1] - 1, n[2], n[3], n[4], n[5]);
}

// ---- encoding (names built from racoon.conf text, canonical names, test fixtures) ----

function lengthOctets(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

/** One TLV from a tag and its value. */
export function derTlv(tag: number, value: Uint8Array): Uint8Array {
  const l = lengthOctets(value.length);
  const out = new Uint8Array(1 + l.length + value.length);
  out[0] = tag;
  out.set(l, 1);
  out.set(value, 1 + l.length);
  return out;
}

function join(parts: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

export function derSequence(parts: readonly Uint8Array[]): Uint8Array {
  return derTlv(TAG_SEQUENCE, join(parts));
}

/** SET OF in DER order: elements sorted as octet strings (X.690 §11.6). */
export function derSetOf(parts: readonly Uint8Array[]): Uint8Array {
  return derTlv(TAG_SET, join([...parts].sort((a, b) => Buffer.compare(a, b))));
}

const oidCache = new Map<string, Uint8Array>();

/** OBJECT IDENTIFIER TLV from dotted form (cached: names and extensions use a few dozen OIDs). */
export function derOid(dotted: string): Uint8Array {
  let hit = oidCache.get(dotted);
  if (!hit) {
    hit = encodeOid(dotted);
    if (oidCache.size < 1024) oidCache.set(dotted, hit);
  }
  return hit;
}

function encodeOid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  if (arcs.length < 2 || arcs.some((a) => !Number.isSafeInteger(a) || a < 0)) throw new Error(`bad OID ${dotted}`);
  const out: number[] = [];
  const push = (v: number): void => {
    const b: number[] = [v & 0x7f];
    for (let x = Math.floor(v / 128); x > 0; x = Math.floor(x / 128)) b.unshift(0x80 | (x & 0x7f));
    out.push(...b);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const a of arcs.slice(2)) push(a);
  return derTlv(TAG_OID, Uint8Array.from(out));
}
