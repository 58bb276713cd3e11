// A whole ISAKMP message: header plus the payload chain (RFC 2408 §3.1–§3.2). Every generic header length is
// validated before its body is read; an encrypted body (E flag) is left as bytes for the exchange layer.
import { u16, putU16 } from '../../common/bytes.js';
import {
  ISAKMP_FLAG_E,
  ISAKMP_GEN_HEADER_LEN,
  ISAKMP_HEADER_LEN,
  ISAKMP_MAX_MESSAGE_LEN,
  ISAKMP_NPTYPE_ATTR,
  ISAKMP_NPTYPE_CERT,
  ISAKMP_NPTYPE_CR,
  ISAKMP_NPTYPE_D,
  ISAKMP_NPTYPE_FRAG,
  ISAKMP_NPTYPE_HASH,
  ISAKMP_NPTYPE_ID,
  ISAKMP_NPTYPE_KE,
  ISAKMP_NPTYPE_N,
  ISAKMP_NPTYPE_NAMES,
  ISAKMP_NPTYPE_NATD_DRAFT,
  ISAKMP_NPTYPE_NATD_RFC,
  ISAKMP_NPTYPE_NATOA_DRAFT,
  ISAKMP_NPTYPE_NATOA_RFC,
  ISAKMP_NPTYPE_NONCE,
  ISAKMP_NPTYPE_NONE,
  ISAKMP_NPTYPE_SA,
  ISAKMP_NPTYPE_SIG,
  ISAKMP_NPTYPE_VID,
  ISAKMP_NTYPE_INVALID_PAYLOAD_TYPE,
  ISAKMP_NTYPE_UNEQUAL_PAYLOAD_LENGTHS,
  nameOf,
} from './constants.js';
import { IsakmpError, malformed, needBytes, target, window, type Codec } from './codec.js';
import { decodeIsakmpHeader, encodeIsakmpHeader, type IsakmpHeader } from './header.js';
import { cfg, type IsakmpCfg } from './payloads/attr.js';
import { cert, certRequest, type IsakmpCert, type IsakmpCertRequest } from './payloads/cert.js';
import { del, type IsakmpDelete } from './payloads/delete.js';
import { frag, type IsakmpFragment } from './payloads/frag.js';
import { hash } from './payloads/hash.js';
import { id, type IsakmpId } from './payloads/id.js';
import { ke } from './payloads/ke.js';
import { natD } from './payloads/nat-d.js';
import { natOa, type IsakmpNatOa } from './payloads/nat-oa.js';
import { nonce } from './payloads/nonce.js';
import { notify, type IsakmpNotify } from './payloads/notify.js';
import { sa, type IsakmpSa } from './payloads/sa.js';
import { sig } from './payloads/sig.js';
import { vendorId } from './payloads/vendor-id.js';

/*
 * Generic payload header (RFC 2408 §3.2):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

/** One top-level payload; `type` is its ISAKMP_NPTYPE_* number (proposal/transform live inside SA). */
export type IsakmpPayload =
  | { type: typeof ISAKMP_NPTYPE_SA; body: IsakmpSa }
  | { type: typeof ISAKMP_NPTYPE_KE; body: Uint8Array }
  | { type: typeof ISAKMP_NPTYPE_ID; body: IsakmpId }
  | { type: typeof ISAKMP_NPTYPE_CERT; body: IsakmpCert }
  | { type: typeof ISAKMP_NPTYPE_CR; body: IsakmpCertRequest }
  | { type: typeof ISAKMP_NPTYPE_HASH; body: Uint8Array }
  | { type: typeof ISAKMP_NPTYPE_SIG; body: Uint8Array }
  | { type: typeof ISAKMP_NPTYPE_NONCE; body: Uint8Array }
  | { type: typeof ISAKMP_NPTYPE_N; body: IsakmpNotify }
  | { type: typeof ISAKMP_NPTYPE_D; body: IsakmpDelete }
  | { type: typeof ISAKMP_NPTYPE_VID; body: Uint8Array }
  | { type: typeof ISAKMP_NPTYPE_ATTR; body: IsakmpCfg }
  | { type: typeof ISAKMP_NPTYPE_NATD_RFC | typeof ISAKMP_NPTYPE_NATD_DRAFT; body: Uint8Array }
  | { type: typeof ISAKMP_NPTYPE_NATOA_RFC | typeof ISAKMP_NPTYPE_NATOA_DRAFT; body: IsakmpNatOa }
  | { type: typeof ISAKMP_NPTYPE_FRAG; body: IsakmpFragment };

/** A decoded message (racoon: `struct isakmp` + the `isakmp_parse` list); `encrypted` is set iff the E flag is. */
export interface IsakmpMessage {
  header: IsakmpHeader;
  payloads: IsakmpPayload[];
  encrypted?: Uint8Array;
}

/** Body codecs by payload type; a type missing here is INVALID-PAYLOAD-TYPE (RFC 2408 §5.1). */
const BODY_CODECS: ReadonlyMap<number, Codec<unknown>> = new Map<number, Codec<unknown>>([
  [ISAKMP_NPTYPE_SA, sa],
  [ISAKMP_NPTYPE_KE, ke],
  [ISAKMP_NPTYPE_ID, id],
  [ISAKMP_NPTYPE_CERT, cert],
  [ISAKMP_NPTYPE_CR, certRequest],
  [ISAKMP_NPTYPE_HASH, hash],
  [ISAKMP_NPTYPE_SIG, sig],
  [ISAKMP_NPTYPE_NONCE, nonce],
  [ISAKMP_NPTYPE_N, notify],
  [ISAKMP_NPTYPE_D, del],
  [ISAKMP_NPTYPE_VID, vendorId],
  [ISAKMP_NPTYPE_ATTR, cfg],
  [ISAKMP_NPTYPE_NATD_RFC, natD],
  [ISAKMP_NPTYPE_NATD_DRAFT, natD],
  [ISAKMP_NPTYPE_NATOA_RFC, natOa],
  [ISAKMP_NPTYPE_NATOA_DRAFT, natOa],
  [ISAKMP_NPTYPE_FRAG, frag],
]);

/**
 * RFC 2409 §5–§5.7: every exchange carries at most one KE, NONCE, HASH and SIG, and quick mode at most two
 * IDs (IDci, IDcr). More copies are refused; SA (several in one quick mode), N, D, VID, CERT, CR repeat.
 */
const MAX_COPIES: ReadonlyMap<number, number> = new Map([
  [ISAKMP_NPTYPE_KE, 1],
  [ISAKMP_NPTYPE_NONCE, 1],
  [ISAKMP_NPTYPE_HASH, 1],
  [ISAKMP_NPTYPE_SIG, 1],
  [ISAKMP_NPTYPE_ID, 2],
]);

export function isKnownPayloadType(t: number): boolean {
  return BODY_CODECS.has(t);
}

/** Decodes one payload at `offset` whose type `type` was named by the previous next-payload field. */
export function decodePayload(
  type: number,
  buf: Uint8Array,
  offset: number,
  end?: number,
): { value: IsakmpPayload; next: number; np: number } {
  const e = window(buf, offset, end);
  const codec = BODY_CODECS.get(type);
  if (!codec)
    throw new IsakmpError(
      ISAKMP_NTYPE_INVALID_PAYLOAD_TYPE,
      `payload type ${type} (${nameOf(ISAKMP_NPTYPE_NAMES, type)})`,
      offset,
    );
  needBytes(offset, e, ISAKMP_GEN_HEADER_LEN, 'generic payload header');
  const np = buf[offset]!;
  const len = u16(buf, offset + 2);
  if (len < ISAKMP_GEN_HEADER_LEN)
    malformed(`${nameOf(ISAKMP_NPTYPE_NAMES, type)} payload length ${len} < 4`, offset + 2);
  if (offset + len > e)
    malformed(
      `${nameOf(ISAKMP_NPTYPE_NAMES, type)} payload length ${len} runs ${offset + len - e} bytes past the message`,
      offset + 2,
    );
  const body = codec.decode(buf, offset + ISAKMP_GEN_HEADER_LEN, offset + len);
  if (body.next !== offset + len)
    malformed(`${nameOf(ISAKMP_NPTYPE_NAMES, type)} body left ${offset + len - body.next} bytes unread`, body.next);
  return { value: { type, body: body.value } as IsakmpPayload, next: offset + len, np };
}

export interface ChainOptions {
  /** Bytes may follow the last payload (the padding of a decrypted body, RFC 2409 App. B). Default false. */
  allowTrailing?: boolean;
}

/** Decodes the chain that starts with payload type `np` at `offset`, up to `end`. */
export function decodePayloadChain(
  np: number,
  buf: Uint8Array,
  offset = 0,
  end?: number,
  opts: ChainOptions = {},
): { value: IsakmpPayload[]; next: number } {
  const e = window(buf, offset, end);
  const value: IsakmpPayload[] = [];
  const seen = new Map<number, number>();
  let off = offset;
  for (let t = np; t !== ISAKMP_NPTYPE_NONE;) {
    const p = decodePayload(t, buf, off, e);
    const copies = (seen.get(t) ?? 0) + 1;
    if (copies > (MAX_COPIES.get(t) ?? Infinity)) malformed(`duplicate ${nameOf(ISAKMP_NPTYPE_NAMES, t)} payload`, off);
    seen.set(t, copies);
    value.push(p.value);
    off = p.next;
    t = p.np;
  }
  if (off !== e && !opts.allowTrailing) malformed(`${e - off} bytes after the last payload`, off);
  return { value, next: off };
}

/** Decodes a datagram holding exactly one ISAKMP message (racoon `isakmp_main` + `isakmp_parse`). */
export function decodeIsakmpMessage(buf: Uint8Array, offset = 0, end?: number): { value: IsakmpMessage; next: number } {
  const e = window(buf, offset, end);
  const header = decodeIsakmpHeader(buf, offset, e).value;
  if (header.length !== e - offset) {
    throw new IsakmpError(
      ISAKMP_NTYPE_UNEQUAL_PAYLOAD_LENGTHS,
      `header says ${header.length} bytes, datagram has ${e - offset}`,
      offset + 24,
    );
  }
  const bodyStart = offset + ISAKMP_HEADER_LEN;
  if (header.flags & ISAKMP_FLAG_E) {
    if (bodyStart === e) malformed('encrypted message with an empty body', bodyStart);
    return { value: { header, payloads: [], encrypted: buf.slice(bodyStart, e) }, next: e };
  }
  const payloads = decodePayloadChain(header.np, buf, bodyStart, e).value;
  return { value: { header, payloads }, next: e };
}

export function payloadLength(p: IsakmpPayload): number {
  return ISAKMP_GEN_HEADER_LEN + BODY_CODECS.get(p.type)!.encodedLength(p.body);
}

export function payloadChainLength(list: readonly IsakmpPayload[]): number {
  let n = 0;
  for (const p of list) n += payloadLength(p);
  return n;
}

/** Encodes a payload chain (next-payload fields filled in); the first type is `list[0].type` or NONE. */
export function encodePayloadChain(list: readonly IsakmpPayload[], buf?: Uint8Array, offset = 0): Uint8Array {
  const out = target(buf, offset, payloadChainLength(list));
  let off = offset;
  list.forEach((p, i) => {
    const codec = BODY_CODECS.get(p.type);
    if (!codec) throw new RangeError(`cannot encode payload type ${p.type}`);
    const len = payloadLength(p);
    if (len > 0xffff) throw new RangeError(`${nameOf(ISAKMP_NPTYPE_NAMES, p.type)} payload longer than 65535 bytes`);
    out[off] = list[i + 1]?.type ?? ISAKMP_NPTYPE_NONE;
    out[off + 1] = 0;
    putU16(out, off + 2, len);
    codec.encode(p.body, out, off + ISAKMP_GEN_HEADER_LEN);
    off += len;
  });
  return out;
}

export function isakmpMessageLength(m: IsakmpMessage): number {
  return ISAKMP_HEADER_LEN + (m.encrypted ? m.encrypted.length : payloadChainLength(m.payloads));
}

/**
 * Encodes a message. For a clear message `header.np` and `header.length` are computed from the payloads;
 * for an encrypted one the caller's `header.np` (the first payload inside the ciphertext) is kept.
 */
export function encodeIsakmpMessage(m: IsakmpMessage, buf?: Uint8Array, offset = 0): Uint8Array {
  const length = isakmpMessageLength(m);
  if (length > ISAKMP_MAX_MESSAGE_LEN)
    throw new RangeError(`message of ${length} bytes exceeds ${ISAKMP_MAX_MESSAGE_LEN}`);
  const out = target(buf, offset, length);
  const np = m.encrypted ? m.header.np : (m.payloads[0]?.type ?? ISAKMP_NPTYPE_NONE);
  const flags = m.encrypted ? m.header.flags | ISAKMP_FLAG_E : m.header.flags & ~ISAKMP_FLAG_E;
  encodeIsakmpHeader({ ...m.header, np, flags, length }, out, offset);
  if (m.encrypted) out.set(m.encrypted, offset + ISAKMP_HEADER_LEN);
  else encodePayloadChain(m.payloads, out, offset + ISAKMP_HEADER_LEN);
  return out;
}

export const isakmpMessage: Codec<IsakmpMessage> = {
  decode: decodeIsakmpMessage,
  encode: encodeIsakmpMessage,
  encodedLength: isakmpMessageLength,
};
