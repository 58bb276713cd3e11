// The IKEv2 payload chain (RFC 7296 §3.2): generic headers, the critical bit rule (§2.5), duplicate refusal,
// and SK/SKF as the last payload (§3.14, RFC 7383 §2.5). Every generic header length is validated before the
// body codec reads a byte.
import { u16, putU16 } from '../../common/bytes.js';
import { ISAKMP_GEN_HEADER_LEN } from '../isakmp/constants.js';
import * as K from './constants.js';
import { IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD } from './notify-types.js';
import { Ikev2Error, invalidSyntax, needBytes, target, window, type Codec } from './codec.js';
import { auth, type Ikev2Auth } from './payloads/auth.js';
import { cert, certReq, type Ikev2Cert, type Ikev2CertReq } from './payloads/cert.js';
import { cp, type Ikev2Cp } from './payloads/cp.js';
import { del, type Ikev2Delete } from './payloads/delete.js';
import { eap, type Ikev2Eap } from './payloads/eap.js';
import { id, type Ikev2Id } from './payloads/id.js';
import { ke, type Ikev2Ke } from './payloads/ke.js';
import { nonce } from './payloads/nonce.js';
import { notify, type Ikev2Notify } from './payloads/notify.js';
import { sa, type Ikev2Sa } from './payloads/sa.js';
import { sk } from './payloads/sk.js';
import { skf, type Ikev2Skf } from './payloads/skf.js';
import { ts, type Ikev2Ts } from './payloads/ts.js';
import { vendorId } from './payloads/vendor-id.js';

/*
 * Generic payload header (§3.2):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

/**
 * One payload; `type` is its IKEV2_PAYLOAD_* number. SK and SKF also carry `innerNp`, their generic header's
 * Next Payload: the type of the first payload inside (RFC 7296 §3.14; RFC 7383 §2.5, 0 after fragment 1).
 */
export type Ikev2Payload =
  | { type: typeof K.IKEV2_PAYLOAD_SA; body: Ikev2Sa }
  | { type: typeof K.IKEV2_PAYLOAD_KE; body: Ikev2Ke }
  | { type: typeof K.IKEV2_PAYLOAD_IDI | typeof K.IKEV2_PAYLOAD_IDR; body: Ikev2Id }
  | { type: typeof K.IKEV2_PAYLOAD_CERT; body: Ikev2Cert }
  | { type: typeof K.IKEV2_PAYLOAD_CERTREQ; body: Ikev2CertReq }
  | { type: typeof K.IKEV2_PAYLOAD_AUTH; body: Ikev2Auth }
  | { type: typeof K.IKEV2_PAYLOAD_NONCE; body: Uint8Array }
  | { type: typeof K.IKEV2_PAYLOAD_NOTIFY; body: Ikev2Notify }
  | { type: typeof K.IKEV2_PAYLOAD_DELETE; body: Ikev2Delete }
  | { type: typeof K.IKEV2_PAYLOAD_VENDOR; body: Uint8Array }
  | { type: typeof K.IKEV2_PAYLOAD_TSI | typeof K.IKEV2_PAYLOAD_TSR; body: Ikev2Ts }
  | { type: typeof K.IKEV2_PAYLOAD_CP; body: Ikev2Cp }
  | { type: typeof K.IKEV2_PAYLOAD_EAP; body: Ikev2Eap }
  | { type: typeof K.IKEV2_PAYLOAD_SK; body: Uint8Array; innerNp: number }
  | { type: typeof K.IKEV2_PAYLOAD_SKF; body: Ikev2Skf; innerNp: number };

/** Body codecs by payload type: the payloads this implementation understands (§3.2). */
const BODY_CODECS: ReadonlyMap<number, Codec<unknown>> = new Map<number, Codec<unknown>>([
  [K.IKEV2_PAYLOAD_SA, sa],
  [K.IKEV2_PAYLOAD_KE, ke],
  [K.IKEV2_PAYLOAD_IDI, id],
  [K.IKEV2_PAYLOAD_IDR, id],
  [K.IKEV2_PAYLOAD_CERT, cert],
  [K.IKEV2_PAYLOAD_CERTREQ, certReq],
  [K.IKEV2_PAYLOAD_AUTH, auth],
  [K.IKEV2_PAYLOAD_NONCE, nonce],
  [K.IKEV2_PAYLOAD_NOTIFY, notify],
  [K.IKEV2_PAYLOAD_DELETE, del],
  [K.IKEV2_PAYLOAD_VENDOR, vendorId],
  [K.IKEV2_PAYLOAD_TSI, ts],
  [K.IKEV2_PAYLOAD_TSR, ts],
  [K.IKEV2_PAYLOAD_SK, sk],
  [K.IKEV2_PAYLOAD_CP, cp],
  [K.IKEV2_PAYLOAD_EAP, eap],
  [K.IKEV2_PAYLOAD_SKF, skf],
]);

/**
 * Payloads a message carries at most once: one SA, KE, nonce, IDi, IDr, AUTH, TSi, TSr, CP, EAP in every
 * exchange of RFC 7296 §1.2–§1.5 and §2.16, one SK or SKF (§3.14). N, D, V, CERT and CERTREQ repeat.
 */
const MAX_ONCE: ReadonlySet<number> = new Set([
  K.IKEV2_PAYLOAD_SA,
  K.IKEV2_PAYLOAD_KE,
  K.IKEV2_PAYLOAD_IDI,
  K.IKEV2_PAYLOAD_IDR,
  K.IKEV2_PAYLOAD_AUTH,
  K.IKEV2_PAYLOAD_NONCE,
  K.IKEV2_PAYLOAD_TSI,
  K.IKEV2_PAYLOAD_TSR,
  K.IKEV2_PAYLOAD_CP,
  K.IKEV2_PAYLOAD_EAP,
  K.IKEV2_PAYLOAD_SK,
  K.IKEV2_PAYLOAD_SKF,
]);

function isEncrypted(type: number): boolean {
  return type === K.IKEV2_PAYLOAD_SK || type === K.IKEV2_PAYLOAD_SKF;
}

export function isKnownPayloadType(t: number): boolean {
  return BODY_CODECS.has(t);
}

/** A decoded chain: the payloads understood, and the types of non-critical ones skipped (§2.5). */
export interface Ikev2Chain {
  payloads: Ikev2Payload[];
  ignored: number[];
}

export interface ChainOptions {
  /** The decrypted content of SK: an SK or SKF inside it is a syntax error. */
  inner?: boolean;
}

/** One generic header at `off`: next type, critical bit and a length checked against [4, end - off]. */
function genericHeader(type: number, buf: Uint8Array, off: number, end: number) {
  needBytes(off, end, ISAKMP_GEN_HEADER_LEN, 'generic payload header');
  const len = u16(buf, off + 2);
  const name = K.nameOf(K.IKEV2_PAYLOAD_NAMES, type);
  if (len < ISAKMP_GEN_HEADER_LEN) invalidSyntax(`${name} payload length ${len} < 4`, off + 2);
  if (off + len > end)
    invalidSyntax(`${name} payload length ${len} runs ${off + len - end} bytes past the end`, off + 2);
  return { np: buf[off]!, critical: (buf[off + 1]! & K.IKEV2_CRITICAL_FLAG) !== 0, len };
}

/** Decodes the body of a known payload whose generic header is at `off` (length `len`). */
function decodeBody(type: number, np: number, buf: Uint8Array, off: number, len: number): Ikev2Payload {
  const codec = BODY_CODECS.get(type)!;
  const body = codec.decode(buf, off + ISAKMP_GEN_HEADER_LEN, off + len);
  if (body.next !== off + len) invalidSyntax(`payload ${type} body left ${off + len - body.next} bytes`, body.next);
  if (isEncrypted(type)) return { type, body: body.value, innerNp: np } as Ikev2Payload;
  return { type, body: body.value } as Ikev2Payload;
}

/**
 * Decodes the chain starting with payload type `np` at `offset`, filling `[offset, end)` exactly. An unknown
 * payload with the critical bit is UNSUPPORTED_CRITICAL_PAYLOAD carrying its type (§2.5, §3.10.1); without it,
 * the payload is skipped. SK/SKF ends the chain and must end the message (§3.14).
 */
export function decodePayloadChain(
  np: number,
  buf: Uint8Array,
  offset = 0,
  end?: number,
  opts: ChainOptions = {},
): { value: Ikev2Chain; next: number } {
  const e = window(buf, offset, end);
  const value: Ikev2Chain = { payloads: [], ignored: [] };
  const seen = new Set<number>();
  let off = offset;
  for (let t = np; t !== K.IKEV2_PAYLOAD_NONE;) {
    const h = genericHeader(t, buf, off, e);
    if (!BODY_CODECS.has(t)) {
      if (h.critical)
        throw new Ikev2Error(IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD, `payload type ${t}`, off, Uint8Array.of(t));
      value.ignored.push(t);
    } else {
      if (MAX_ONCE.has(t) && seen.has(t)) invalidSyntax(`duplicate ${K.nameOf(K.IKEV2_PAYLOAD_NAMES, t)}`, off);
      if (opts.inner && isEncrypted(t)) invalidSyntax(`${K.nameOf(K.IKEV2_PAYLOAD_NAMES, t)} inside SK`, off);
      seen.add(t);
      value.payloads.push(decodeBody(t, h.np, buf, off, h.len));
    }
    off += h.len;
    if (isEncrypted(t)) {
      if (off !== e) invalidSyntax(`${e - off} bytes after the ${K.nameOf(K.IKEV2_PAYLOAD_NAMES, t)} payload`, off);
      break;
    }
    t = h.np;
  }
  if (off !== e) invalidSyntax(`${e - off} bytes after the last payload`, off);
  return { value, next: off };
}

export function payloadLength(p: Ikev2Payload): number {
  const codec = BODY_CODECS.get(p.type);
  if (!codec) throw new RangeError(`cannot encode payload type ${p.type}`);
  return ISAKMP_GEN_HEADER_LEN + codec.encodedLength(p.body);
}

export function payloadChainLength(list: readonly Ikev2Payload[]): number {
  let n = 0;
  for (const p of list) n += payloadLength(p);
  return n;
}

/** The first payload type of a chain, for the header's or the previous payload's Next Payload. */
export function firstPayloadType(list: readonly Ikev2Payload[]): number {
  return list[0]?.type ?? K.IKEV2_PAYLOAD_NONE;
}

/** Encodes a chain with its Next Payload fields; SK/SKF must be last and write their `innerNp` (§3.14). */
export function encodePayloadChain(list: readonly Ikev2Payload[], buf?: Uint8Array, offset = 0): Uint8Array {
  const out = target(buf, offset, payloadChainLength(list));
  let off = offset;
  list.forEach((p, i) => {
    const len = payloadLength(p);
    if (len > 0xffff) throw new RangeError(`${K.nameOf(K.IKEV2_PAYLOAD_NAMES, p.type)} payload longer than 65535`);
    const last = i === list.length - 1;
    if ('innerNp' in p && !last) throw new RangeError('SK/SKF must be the last payload');
    out[off] = 'innerNp' in p ? p.innerNp : (list[i + 1]?.type ?? K.IKEV2_PAYLOAD_NONE);
    out[off + 1] = 0; // §2.5: the critical bit is never set for the payloads of RFC 7296
    putU16(out, off + 2, len);
    BODY_CODECS.get(p.type)!.encode(p.body, out, off + ISAKMP_GEN_HEADER_LEN);
    off += len;
  });
  return out;
}
