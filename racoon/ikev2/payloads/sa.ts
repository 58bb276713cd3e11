// Security Association payload with its Proposal and Transform substructures and transform attributes,
// RFC 7296 §3.3–§3.3.5. Substructure lengths, Last Substruc values, transform counts and SPI sizes are all
// validated before a field is used; the only defined attribute, Key Length, must be TV and appear once.
import { u16, putU16 } from '../../../common/bytes.js';
import { IKEV2_CHILD_SPI_LEN, IKEV2_PROTO_AH, IKEV2_PROTO_ESP, IKEV2_PROTO_IKE, IKEV2_SPI_LEN } from '../constants.js';
import { IKEV2_ATTR_AF, IKEV2_ATTR_KEY_LENGTH } from '../transforms.js';
import { checkField, copyOf, invalidSyntax, needBytes, target, window, type Codec } from '../codec.js';
import { attributesLength, encodeAttributes, type IsakmpAttribute } from '../../isakmp/payloads/attributes.js';

/*
 * SA payload (§3.3): a generic header followed by Proposal substructures.
 *
 * Proposal substructure (§3.3.1):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Last Substruc |   RESERVED    |         Proposal Length       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Proposal Num  |  Protocol ID  |    SPI Size   |Num  Transforms|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        SPI (variable)                         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        <Transforms>                           ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Transform substructure (§3.3.2):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Last Substruc |   RESERVED    |        Transform Length       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Transform Type |   RESERVED    |          Transform ID         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                      Transform Attributes                     ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Transform attribute (§3.3.5):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |A|       Attribute Type        |    AF=0  Attribute Length     |
 * |F|                             |    AF=1  Attribute Value      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   AF=0  Attribute Value                       |
 * |                   AF=1  Not Transmitted                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

/** A transform (strongSwan `transform_substructure_t`); `attrs` is empty or holds Key Length (TV). */
export interface Ikev2Transform {
  type: number; // IKEV2_TRANSFORM_*
  id: number;
  attrs: IsakmpAttribute[];
}

/** A proposal (strongSwan `proposal_substructure_t`): one protocol, its SPI and its transforms. */
export interface Ikev2Proposal {
  num: number;
  protocol: number; // IKEV2_PROTO_*
  spi: Uint8Array;
  transforms: Ikev2Transform[];
}

/** The SA payload body: the proposals, in order of preference (§2.7). */
export interface Ikev2Sa {
  proposals: Ikev2Proposal[];
}

const SUBSTRUC_HEADER_LEN = 8;
const LAST = 0;
const MORE_PROPOSALS = 2; // §3.3.1
const MORE_TRANSFORMS = 3; // §3.3.2

/** A transform with an optional Key Length (bits), as proposals are usually written. */
export function transform(type: number, id: number, keyLength?: number): Ikev2Transform {
  return {
    type,
    id,
    attrs: keyLength === undefined ? [] : [{ type: IKEV2_ATTR_KEY_LENGTH, tv: true, value: keyLength }],
  };
}

/** The Key Length attribute of a transform in bits, or undefined when absent (§3.3.5). */
export function transformKeyLength(t: Ikev2Transform): number | undefined {
  const a = t.attrs.find((x) => x.type === IKEV2_ATTR_KEY_LENGTH);
  return a?.tv ? a.value : undefined;
}

/** §3.3.1: the SPI is 0 or 8 bytes for IKE (initial / rekey), 4 for AH and ESP. */
function checkSpiSize(protocol: number, size: number, offset: number): void {
  const ok =
    protocol === IKEV2_PROTO_IKE
      ? size === 0 || size === IKEV2_SPI_LEN
      : protocol === IKEV2_PROTO_AH || protocol === IKEV2_PROTO_ESP
        ? size === IKEV2_CHILD_SPI_LEN
        : true;
  if (!ok) invalidSyntax(`SPI size ${size} for protocol ${protocol}`, offset);
}

/** A substructure header at `off`: its Last Substruc value checked against its position, its length bounded. */
function substruc(buf: Uint8Array, off: number, end: number, more: number, what: string): number {
  needBytes(off, end, SUBSTRUC_HEADER_LEN, `${what} header`);
  const len = u16(buf, off + 2);
  if (len < SUBSTRUC_HEADER_LEN || off + len > end) invalidSyntax(`${what} length ${len} at ${off}`, off + 2);
  const isLast = off + len === end;
  const flag = buf[off]!;
  if (flag !== (isLast ? LAST : more)) invalidSyntax(`${what} Last Substruc ${flag} does not match its position`, off);
  return len;
}

/** Transform attributes (§3.3.5): Key Length only in TV form and at most once; unknown ones are kept. */
function decodeAttrs(buf: Uint8Array, off: number, end: number): IsakmpAttribute[] {
  const out: IsakmpAttribute[] = [];
  while (off < end) {
    needBytes(off, end, 4, 'transform attribute');
    const t = u16(buf, off);
    const type = t & ~IKEV2_ATTR_AF;
    const lv = u16(buf, off + 2);
    if (type === IKEV2_ATTR_KEY_LENGTH && (!(t & IKEV2_ATTR_AF) || out.some((a) => a.type === type)))
      invalidSyntax('Key Length attribute must be TV and appear once', off);
    if (t & IKEV2_ATTR_AF) {
      out.push({ type, tv: true, value: lv });
      off += 4;
    } else {
      needBytes(off + 4, end, lv, `attribute ${type} value`);
      out.push({ type, tv: false, data: copyOf(buf, off + 4, off + 4 + lv) });
      off += 4 + lv;
    }
  }
  return out;
}

function decodeTransform(buf: Uint8Array, off: number, len: number): Ikev2Transform {
  return { type: buf[off + 4]!, id: u16(buf, off + 6), attrs: decodeAttrs(buf, off + 8, off + len) };
}

function decodeProposal(buf: Uint8Array, off: number, len: number): Ikev2Proposal {
  const end = off + len;
  const protocol = buf[off + 5]!;
  const spiSize = buf[off + 6]!;
  const count = buf[off + 7]!;
  checkSpiSize(protocol, spiSize, off + 6);
  needBytes(off + 8, end, spiSize, 'proposal SPI');
  const transforms: Ikev2Transform[] = [];
  let t = off + 8 + spiSize;
  if (t === end) invalidSyntax('proposal without transforms', off);
  while (t < end) {
    const tl = substruc(buf, t, end, MORE_TRANSFORMS, 'transform');
    transforms.push(decodeTransform(buf, t, tl));
    t += tl;
  }
  if (transforms.length !== count) invalidSyntax(`Num Transforms ${count}, found ${transforms.length}`, off + 7);
  return { num: buf[off + 4]!, protocol, spi: copyOf(buf, off + 8, off + 8 + spiSize), transforms };
}

export function decodeSa(buf: Uint8Array, offset = 0, end?: number): { value: Ikev2Sa; next: number } {
  const e = window(buf, offset, end);
  if (offset === e) invalidSyntax('SA payload without proposals', offset);
  const proposals: Ikev2Proposal[] = [];
  for (let off = offset; off < e;) {
    const len = substruc(buf, off, e, MORE_PROPOSALS, 'proposal');
    proposals.push(decodeProposal(buf, off, len));
    off += len;
  }
  return { value: { proposals }, next: e };
}

function transformLength(t: Ikev2Transform): number {
  return SUBSTRUC_HEADER_LEN + attributesLength(t.attrs);
}

function proposalLength(p: Ikev2Proposal): number {
  let n = SUBSTRUC_HEADER_LEN + p.spi.length;
  for (const t of p.transforms) n += transformLength(t);
  return n;
}

export function saLength(sa: Ikev2Sa): number {
  let n = 0;
  for (const p of sa.proposals) n += proposalLength(p);
  return n;
}

function encodeProposal(p: Ikev2Proposal, last: boolean, out: Uint8Array, off: number): number {
  if (p.transforms.length === 0 || p.transforms.length > 255) throw new RangeError('1..255 transforms per proposal');
  if (p.spi.length > 255) throw new RangeError('proposal SPI longer than 255 bytes');
  const len = proposalLength(p);
  out[off] = last ? LAST : MORE_PROPOSALS;
  out[off + 1] = 0;
  putU16(out, off + 2, checkField(len, 16, 'proposal length'));
  out[off + 4] = checkField(p.num, 8, 'proposal number');
  out[off + 5] = checkField(p.protocol, 8, 'protocol id');
  out[off + 6] = p.spi.length;
  out[off + 7] = p.transforms.length;
  out.set(p.spi, off + 8);
  let t = off + 8 + p.spi.length;
  p.transforms.forEach((tr, i) => {
    const tl = transformLength(tr);
    out[t] = i === p.transforms.length - 1 ? LAST : MORE_TRANSFORMS;
    out[t + 1] = 0;
    putU16(out, t + 2, tl);
    out[t + 4] = checkField(tr.type, 8, 'transform type');
    out[t + 5] = 0;
    putU16(out, t + 6, checkField(tr.id, 16, 'transform id'));
    encodeAttributes(tr.attrs, out, t + 8);
    t += tl;
  });
  return off + len;
}

export function encodeSa(sa: Ikev2Sa, buf?: Uint8Array, offset = 0): Uint8Array {
  if (sa.proposals.length === 0) throw new RangeError('an SA payload needs at least one proposal');
  const out = target(buf, offset, saLength(sa));
  let off = offset;
  sa.proposals.forEach((p, i) => {
    off = encodeProposal(p, i === sa.proposals.length - 1, out, off);
  });
  return out;
}

export const sa: Codec<Ikev2Sa> = { decode: decodeSa, encode: encodeSa, encodedLength: saLength };
