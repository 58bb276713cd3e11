// SA payload with its nested Proposal and Transform payloads, RFC 2408 §3.4–§3.6 and RFC 2407 §4.6.1.
import { u16, u32, putU16, putU32 } from '../../../common/bytes.js';
import {
  IPSEC_DOI,
  IPSECDOI_PROTO_ISAKMP,
  IPSECDOI_SIT_INTEGRITY,
  IPSECDOI_SIT_SECRECY,
  ISAKMP_DOI_ISAKMP,
  ISAKMP_NPTYPE_NONE,
  ISAKMP_NPTYPE_P,
  ISAKMP_NPTYPE_T,
  ISAKMP_NTYPE_BAD_PROPOSAL_SYNTAX,
  ISAKMP_NTYPE_DOI_NOT_SUPPORTED,
  ISAKMP_NTYPE_SITUATION_NOT_SUPPORTED,
} from '../constants.js';
import { IsakmpError, checkField, copyOf, malformed, needBytes, target, window, type Codec } from '../codec.js';
import { attributesLength, decodeAttributes, encodeAttributes, type IsakmpAttribute } from './attributes.js';

/*
 * SA payload (RFC 2408 §3.4, IPsec DOI situation RFC 2407 §4.6.1):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !              Domain of Interpretation  (DOI)                  !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !                           Situation                           ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   followed by Proposal payloads (§3.5):
 * ! Next Payload  !   RESERVED    !         Payload Length        !
 * !  Proposal #   !  Protocol-Id  !    SPI Size   !# of Transforms!
 * !                        SPI (variable)                         !
 *   each followed by its Transform payloads (§3.6):
 * ! Next Payload  !   RESERVED    !         Payload Length        !
 * !  Transform #  !  Transform-Id !           RESERVED2           !
 * ~                        SA Attributes                          ~
 */

/** A transform (racoon `struct isakmp_pl_t`). */
export interface IsakmpTransform {
  num: number;
  id: number;
  attrs: IsakmpAttribute[];
}

/** A proposal (racoon `struct isakmp_pl_p`); proposals sharing `num` form one AND-bundle (RFC 2408 §4.2). */
export interface IsakmpProposal {
  num: number;
  protoId: number;
  spi: Uint8Array;
  transforms: IsakmpTransform[];
}

/** The SA payload body (racoon `struct ipsecdoi_sa_b`). */
export interface IsakmpSa {
  doi: number;
  situation: number;
  proposals: IsakmpProposal[];
}

const PROPOSAL_HEADER_LEN = 8;
const TRANSFORM_HEADER_LEN = 8;

/**
 * Attribute classes that are Basic (TV only): RFC 2409 App. A for the ISAKMP protocol ("attributes described
 * as basic MUST NOT be encoded as variable"), RFC 2407 §4.5 for AH/ESP/IPCOMP. Variable ones may be either.
 */
const PH1_BASIC = new Set([1, 2, 3, 4, 5, 11, 13, 14, 15]);
const PH2_BASIC = new Set([1, 3, 4, 5, 6, 7, 8]);

/** Refuses a Basic attribute sent in TLV form (the proposal is malformed for the IPsec DOI). */
export function checkAttributeForms(protoId: number, attrs: readonly IsakmpAttribute[], offset = -1): void {
  const basic = protoId === IPSECDOI_PROTO_ISAKMP ? PH1_BASIC : PH2_BASIC;
  for (const a of attrs) {
    if (!a.tv && basic.has(a.type)) badSyntax(`basic attribute ${a.type} encoded as variable (TLV)`, offset);
  }
}

function badSyntax(message: string, offset: number): never {
  throw new IsakmpError(ISAKMP_NTYPE_BAD_PROPOSAL_SYNTAX, message, offset);
}

/** Reads a nested generic header and checks its length against the enclosing end. */
function nestedHeader(
  buf: Uint8Array,
  off: number,
  end: number,
  min: number,
  what: string,
): { np: number; len: number } {
  needBytes(off, end, min, `${what} header`);
  const np = buf[off]!;
  const len = u16(buf, off + 2);
  if (len < min) malformed(`${what} length ${len} shorter than its ${min}-byte header`, off + 2);
  if (off + len > end) malformed(`${what} length ${len} runs past the enclosing payload`, off + 2);
  return { np, len };
}

export function decodeTransform(
  buf: Uint8Array,
  offset = 0,
  end?: number,
): { value: IsakmpTransform; next: number; np: number } {
  const e = window(buf, offset, end);
  const { np, len } = nestedHeader(buf, offset, e, TRANSFORM_HEADER_LEN, 'transform');
  if (np !== ISAKMP_NPTYPE_T && np !== ISAKMP_NPTYPE_NONE)
    badSyntax(`transform next payload ${np}, must be 3 or 0`, offset);
  const attrs = decodeAttributes(buf, offset + TRANSFORM_HEADER_LEN, offset + len).value;
  return { value: { num: buf[offset + 4]!, id: buf[offset + 5]!, attrs }, next: offset + len, np };
}

export function decodeProposal(
  buf: Uint8Array,
  offset = 0,
  end?: number,
): { value: IsakmpProposal; next: number; np: number } {
  const e = window(buf, offset, end);
  const { np, len } = nestedHeader(buf, offset, e, PROPOSAL_HEADER_LEN, 'proposal');
  if (np !== ISAKMP_NPTYPE_P && np !== ISAKMP_NPTYPE_NONE)
    badSyntax(`proposal next payload ${np}, must be 2 or 0`, offset);
  const pend = offset + len;
  const spiSize = buf[offset + 6]!;
  const count = buf[offset + 7]!;
  needBytes(offset + PROPOSAL_HEADER_LEN, pend, spiSize, 'proposal SPI');
  const spi = copyOf(buf, offset + 8, offset + 8 + spiSize);
  if (count === 0) badSyntax('proposal with no transforms', offset + 7);
  const transforms: IsakmpTransform[] = [];
  const protoId = buf[offset + 5]!;
  let off = offset + 8 + spiSize;
  for (let i = 0; i < count; i++) {
    const t = decodeTransform(buf, off, pend);
    checkAttributeForms(protoId, t.value.attrs, off);
    transforms.push(t.value);
    off = t.next;
    const last = i === count - 1;
    // RFC 2408 §3.6: "3" while more transforms follow, "0" on the last one.
    if (last !== (t.np === ISAKMP_NPTYPE_NONE))
      badSyntax(`transform ${i + 1} of ${count} has next payload ${t.np}`, off);
  }
  if (off !== pend) malformed(`proposal declares ${len} bytes but its transforms use ${off - offset}`, offset + 2);
  return { value: { num: buf[offset + 4]!, protoId, spi, transforms }, next: pend, np };
}

export function decodeSa(buf: Uint8Array, offset = 0, end?: number): { value: IsakmpSa; next: number } {
  const e = window(buf, offset, end);
  needBytes(offset, e, 8, 'SA DOI and situation');
  const doi = u32(buf, offset);
  if (doi !== IPSEC_DOI && doi !== ISAKMP_DOI_ISAKMP)
    throw new IsakmpError(ISAKMP_NTYPE_DOI_NOT_SUPPORTED, `DOI ${doi}`, offset);
  const situation = u32(buf, offset + 4);
  // RFC 2407 §4.6.1: secrecy/integrity situations carry labelled-domain fields; racoon supports neither.
  if (situation & (IPSECDOI_SIT_SECRECY | IPSECDOI_SIT_INTEGRITY)) {
    throw new IsakmpError(ISAKMP_NTYPE_SITUATION_NOT_SUPPORTED, `situation 0x${situation.toString(16)}`, offset + 4);
  }
  const proposals: IsakmpProposal[] = [];
  let off = offset + 8;
  if (off === e) badSyntax('SA payload without proposals', off);
  for (;;) {
    const p = decodeProposal(buf, off, e);
    proposals.push(p.value);
    off = p.next;
    if (p.np === ISAKMP_NPTYPE_NONE) break;
    if (off >= e) badSyntax('proposal says another follows but the SA payload ends', off);
  }
  if (off !== e) malformed(`${e - off} bytes after the last proposal`, off);
  return { value: { doi, situation, proposals }, next: e };
}

function transformLength(t: IsakmpTransform): number {
  return TRANSFORM_HEADER_LEN + attributesLength(t.attrs);
}

function proposalLength(p: IsakmpProposal): number {
  let n = PROPOSAL_HEADER_LEN + p.spi.length;
  for (const t of p.transforms) n += transformLength(t);
  return n;
}

export function saLength(sa: IsakmpSa): number {
  let n = 8;
  for (const p of sa.proposals) n += proposalLength(p);
  return n;
}

function encodeTransform(t: IsakmpTransform, last: boolean, out: Uint8Array, off: number): number {
  const len = transformLength(t);
  if (len > 0xffff) throw new RangeError('transform longer than 65535 bytes');
  out[off] = last ? ISAKMP_NPTYPE_NONE : ISAKMP_NPTYPE_T;
  out[off + 1] = 0;
  putU16(out, off + 2, len);
  out[off + 4] = checkField(t.num, 8, 'transform number');
  out[off + 5] = checkField(t.id, 8, 'transform id');
  putU16(out, off + 6, 0);
  encodeAttributes(t.attrs, out, off + TRANSFORM_HEADER_LEN);
  return off + len;
}

function encodeProposal(p: IsakmpProposal, last: boolean, out: Uint8Array, off: number): number {
  const len = proposalLength(p);
  if (len > 0xffff || p.spi.length > 255 || p.transforms.length > 255)
    throw new RangeError('proposal does not fit its fields');
  out[off] = last ? ISAKMP_NPTYPE_NONE : ISAKMP_NPTYPE_P;
  out[off + 1] = 0;
  putU16(out, off + 2, len);
  out[off + 4] = checkField(p.num, 8, 'proposal number');
  out[off + 5] = checkField(p.protoId, 8, 'protocol id');
  out[off + 6] = p.spi.length;
  out[off + 7] = p.transforms.length;
  out.set(p.spi, off + 8);
  let o = off + 8 + p.spi.length;
  p.transforms.forEach((t, i) => {
    o = encodeTransform(t, i === p.transforms.length - 1, out, o);
  });
  return o;
}

export function encodeSa(sa: IsakmpSa, buf?: Uint8Array, offset = 0): Uint8Array {
  const out = target(buf, offset, saLength(sa));
  putU32(out, offset, checkField(sa.doi, 32, 'DOI'));
  putU32(out, offset + 4, checkField(sa.situation, 32, 'situation'));
  let off = offset + 8;
  sa.proposals.forEach((p, i) => {
    off = encodeProposal(p, i === sa.proposals.length - 1, out, off);
  });
  return out;
}

export const sa: Codec<IsakmpSa> = { decode: decodeSa, encode: encodeSa, encodedLength: saLength };
