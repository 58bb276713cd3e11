// ISAKMP data attributes (TV and TLV), RFC 2408 §3.3; used by transforms (RFC 2407 §4.5, RFC 2409 App. A)
// and by the mode-config attribute payload.
import { u16, putU16 } from '../../../common/bytes.js';
import { ISAKMP_ATTR_TYPE_MASK, ISAKMP_GEN_TV } from '../constants.js';
import { copyOf, needBytes, target, window, type Codec } from '../codec.js';

/*
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !A!       Attribute Type        !    AF=0  Attribute Length     !
 * !F!                             !    AF=1  Attribute Value      !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * .                   AF=0  Attribute Value                       .
 * .                   AF=1  Not Transmitted                       .
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

/** One data attribute (racoon `struct isakmp_data`): TV carries a 16-bit value, TLV a byte string. */
export type IsakmpAttribute = { type: number; tv: true; value: number } | { type: number; tv: false; data: Uint8Array };

export function attrTV(type: number, value: number): IsakmpAttribute {
  return { type, tv: true, value };
}

export function attrTLV(type: number, data: Uint8Array): IsakmpAttribute {
  return { type, tv: false, data };
}

/** A TLV attribute holding `value` in the fewest big-endian bytes (RFC 2409 App. A: Life Duration is variable). */
export function attrTLVNumber(type: number, value: number): IsakmpAttribute {
  const bytes: number[] = [];
  for (let v = value; v > 0 || bytes.length === 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return attrTLV(type, new Uint8Array(bytes));
}

/** The numeric value of a TV or a TLV attribute of at most 6 bytes; undefined when it does not fit a number. */
export function attrNumber(a: IsakmpAttribute): number | undefined {
  if (a.tv) return a.value;
  if (a.data.length > 6) return undefined;
  let v = 0;
  for (const b of a.data) v = v * 256 + b;
  return v;
}

/** The first attribute of `type` in a list. */
export function findAttr(list: readonly IsakmpAttribute[], type: number): IsakmpAttribute | undefined {
  return list.find((a) => a.type === type);
}

export function decodeAttribute(buf: Uint8Array, offset = 0, end?: number): { value: IsakmpAttribute; next: number } {
  const e = window(buf, offset, end);
  needBytes(offset, e, 4, 'data attribute');
  const t = u16(buf, offset);
  const lv = u16(buf, offset + 2);
  const type = t & ISAKMP_ATTR_TYPE_MASK;
  if (t & ISAKMP_GEN_TV) return { value: { type, tv: true, value: lv }, next: offset + 4 };
  needBytes(offset + 4, e, lv, `attribute ${type} value`);
  return { value: { type, tv: false, data: copyOf(buf, offset + 4, offset + 4 + lv) }, next: offset + 4 + lv };
}

export function encodeAttribute(a: IsakmpAttribute, buf?: Uint8Array, offset = 0): Uint8Array {
  if (a.type < 0 || a.type > ISAKMP_ATTR_TYPE_MASK) throw new RangeError(`attribute type ${a.type} out of range`);
  const out = target(buf, offset, attributeLength(a));
  if (a.tv) {
    if (a.value < 0 || a.value > 0xffff) throw new RangeError(`TV attribute value ${a.value} out of range`);
    putU16(out, offset, a.type | ISAKMP_GEN_TV);
    putU16(out, offset + 2, a.value);
  } else {
    if (a.data.length > 0xffff) throw new RangeError('TLV attribute longer than 65535 bytes');
    putU16(out, offset, a.type);
    putU16(out, offset + 2, a.data.length);
    out.set(a.data, offset + 4);
  }
  return out;
}

export function attributeLength(a: IsakmpAttribute): number {
  return a.tv ? 4 : 4 + a.data.length;
}

/** Decodes attributes filling `[offset, end)` exactly; a TLV running past `end` is PAYLOAD-MALFORMED. */
export function decodeAttributes(
  buf: Uint8Array,
  offset = 0,
  end?: number,
): { value: IsakmpAttribute[]; next: number } {
  const e = window(buf, offset, end);
  const value: IsakmpAttribute[] = [];
  let off = offset;
  while (off < e) {
    const r = decodeAttribute(buf, off, e);
    value.push(r.value);
    off = r.next;
  }
  return { value, next: off };
}

export function encodeAttributes(list: readonly IsakmpAttribute[], buf?: Uint8Array, offset = 0): Uint8Array {
  const out = target(buf, offset, attributesLength(list));
  let off = offset;
  for (const a of list) {
    encodeAttribute(a, out, off);
    off += attributeLength(a);
  }
  return out;
}

export function attributesLength(list: readonly IsakmpAttribute[]): number {
  let n = 0;
  for (const a of list) n += attributeLength(a);
  return n;
}

export const attribute: Codec<IsakmpAttribute> = {
  decode: decodeAttribute,
  encode: encodeAttribute,
  encodedLength: attributeLength,
};
export const attributes: Codec<IsakmpAttribute[]> = {
  decode: decodeAttributes,
  encode: encodeAttributes,
  encodedLength: attributesLength,
};
