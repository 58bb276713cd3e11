// RADIUS wire format for XAuth (RFC 2865) and accounting (RFC 2866): packets, attributes, the User-Password
// hiding of RFC 2865 §5.2, the Response Authenticator of §3 and the Message-Authenticator of RFC 3579 §3.2.
// Pure functions: the secret and the password are inputs, never logged; a malformed packet is a string reason.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

// RFC 2865 §3 / RFC 2866 §3 codes.
export const RADIUS_ACCESS_REQUEST = 1;
export const RADIUS_ACCESS_ACCEPT = 2;
export const RADIUS_ACCESS_REJECT = 3;
export const RADIUS_ACCOUNTING_REQUEST = 4;
export const RADIUS_ACCOUNTING_RESPONSE = 5;
export const RADIUS_ACCESS_CHALLENGE = 11;

// RFC 2865 §5 / RFC 2866 §5 / RFC 3579 §3.2 attribute types.
export const RAD_USER_NAME = 1;
export const RAD_USER_PASSWORD = 2;
export const RAD_NAS_IP_ADDRESS = 4;
export const RAD_SERVICE_TYPE = 6;
export const RAD_FRAMED_IP_ADDRESS = 8;
export const RAD_FRAMED_IP_NETMASK = 9;
export const RAD_REPLY_MESSAGE = 18;
export const RAD_CALLING_STATION_ID = 31;
export const RAD_NAS_IDENTIFIER = 32;
export const RAD_ACCT_STATUS_TYPE = 40;
export const RAD_ACCT_SESSION_ID = 44;
export const RAD_NAS_PORT_TYPE = 61;
export const RAD_MESSAGE_AUTHENTICATOR = 80;

export const RAD_SERVICE_FRAMED = 2;
export const RAD_NAS_PORT_TYPE_VIRTUAL = 5;
export const RAD_ACCT_START = 1;
export const RAD_ACCT_STOP = 2;

/** RFC 2865 §3: 20 header octets, at most 4096 in all; §5.2: a password of at most 128 octets. */
export const RADIUS_HEADER_BYTES = 20;
export const RADIUS_MAX_PACKET_BYTES = 4096;
export const RADIUS_MAX_PASSWORD_BYTES = 128;
const AUTH_BYTES = 16;

export interface RadiusAttr {
  type: number;
  value: Uint8Array;
}

/*
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Code      |  Identifier   |            Length             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         Authenticator (16)                    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Attributes ...  (Type, Length, Value)
 */
export interface RadiusPacket {
  code: number;
  identifier: number;
  authenticator: Uint8Array;
  attrs: RadiusAttr[];
}

function md5(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** Lengths validated before use (RFC 2865 §3: octets past Length are padding and ignored). */
export function decodeRadius(buf: Uint8Array): RadiusPacket | string {
  if (buf.length < RADIUS_HEADER_BYTES) return `RADIUS packet of ${buf.length} bytes`;
  const len = (buf[2]! << 8) | buf[3]!;
  if (len < RADIUS_HEADER_BYTES || len > RADIUS_MAX_PACKET_BYTES) return `RADIUS Length ${len}`;
  if (len > buf.length) return `RADIUS Length ${len} past the ${buf.length}-byte datagram`;
  const attrs: RadiusAttr[] = [];
  for (let off = RADIUS_HEADER_BYTES; off < len;) {
    if (off + 2 > len) return 'RADIUS attribute header cut short';
    const alen = buf[off + 1]!;
    if (alen < 2 || off + alen > len) return `RADIUS attribute ${buf[off]} of length ${alen}`;
    attrs.push({ type: buf[off]!, value: buf.slice(off + 2, off + alen) });
    off += alen;
  }
  return { code: buf[0]!, identifier: buf[1]!, authenticator: buf.slice(4, 20), attrs };
}

/** The packet on the wire; attribute values over 253 bytes are refused by the caller's limits. */
export function encodeRadius(p: RadiusPacket): Uint8Array {
  let len = RADIUS_HEADER_BYTES;
  for (const a of p.attrs) {
    if (a.value.length > 253) throw new RangeError(`RADIUS attribute ${a.type} of ${a.value.length} bytes`);
    len += 2 + a.value.length;
  }
  if (len > RADIUS_MAX_PACKET_BYTES) throw new RangeError(`RADIUS packet of ${len} bytes`);
  const out = new Uint8Array(len);
  out[0] = p.code;
  out[1] = p.identifier;
  out[2] = len >> 8;
  out[3] = len & 0xff;
  out.set(p.authenticator, 4);
  let off = RADIUS_HEADER_BYTES;
  for (const a of p.attrs) {
    out[off] = a.type;
    out[off + 1] = 2 + a.value.length;
    out.set(a.value, off + 2);
    off += 2 + a.value.length;
  }
  return out;
}

/** RFC 2865 §5.2: c(1) = p(1) xor MD5(S + RA), c(i) = p(i) xor MD5(S + c(i-1)), nul-padded to 16 octets. */
export function hidePassword(pass: Uint8Array, secret: Uint8Array, requestAuth: Uint8Array): Uint8Array {
  if (pass.length > RADIUS_MAX_PASSWORD_BYTES) throw new RangeError('RADIUS password over 128 bytes');
  const n = Math.max(1, Math.ceil(pass.length / AUTH_BYTES)) * AUTH_BYTES;
  const out = new Uint8Array(n);
  out.set(pass);
  let prev = requestAuth;
  for (let i = 0; i < n; i += AUTH_BYTES) {
    const b = md5(secret, prev);
    for (let j = 0; j < AUTH_BYTES; j++) out[i + j]! ^= b[j]!;
    prev = out.subarray(i, i + AUTH_BYTES);
  }
  return out;
}

/** The inverse of hidePassword (what a server does; used by the tests' own checks). */
export function revealPassword(hidden: Uint8Array, secret: Uint8Array, requestAuth: Uint8Array): Uint8Array {
  const out = new Uint8Array(hidden.length);
  let prev = requestAuth;
  for (let i = 0; i + AUTH_BYTES <= hidden.length; i += AUTH_BYTES) {
    const b = md5(secret, prev);
    for (let j = 0; j < AUTH_BYTES; j++) out[i + j] = hidden[i + j]! ^ b[j]!;
    prev = hidden.subarray(i, i + AUTH_BYTES);
  }
  let end = out.length;
  while (end > 0 && out[end - 1] === 0) end--;
  return out.slice(0, end);
}

/** Offset of the Message-Authenticator value in an encoded packet, or -1. */
function messageAuthOffset(wire: Uint8Array): number {
  const len = Math.min(wire.length, (wire[2]! << 8) | wire[3]!);
  for (let off = RADIUS_HEADER_BYTES; off + 2 <= len; off += wire[off + 1]!) {
    if (wire[off + 1]! < 2) return -1;
    if (wire[off] === RAD_MESSAGE_AUTHENTICATOR && wire[off + 1] === 2 + AUTH_BYTES) return off + 2;
  }
  return -1;
}

/** RFC 3579 §3.2: HMAC-MD5 over the packet with the attribute zeroed and `auth` in the Authenticator field. */
function messageAuth(wire: Uint8Array, at: number, auth: Uint8Array, secret: Uint8Array): Uint8Array {
  const copy = wire.slice();
  copy.set(auth, 4);
  copy.fill(0, at, at + AUTH_BYTES);
  return new Uint8Array(createHmac('md5', secret).update(copy).digest());
}

/**
 * An Access-Request: a random Request Authenticator, the password hidden, and a Message-Authenticator first
 * (RFC 3579 §3.2; servers hardened against forged responses, CVE-2024-3596, ask for it).
 */
export function encodeAccessRequest(
  identifier: number,
  requestAuth: Uint8Array,
  secret: Uint8Array,
  user: Uint8Array,
  pass: Uint8Array,
  extra: readonly RadiusAttr[],
): Uint8Array {
  const attrs: RadiusAttr[] = [
    { type: RAD_MESSAGE_AUTHENTICATOR, value: new Uint8Array(AUTH_BYTES) },
    { type: RAD_USER_NAME, value: user },
    { type: RAD_USER_PASSWORD, value: hidePassword(pass, secret, requestAuth) },
    ...extra,
  ];
  const wire = encodeRadius({ code: RADIUS_ACCESS_REQUEST, identifier, authenticator: requestAuth, attrs });
  const at = messageAuthOffset(wire);
  wire.set(messageAuth(wire, at, requestAuth, secret), at);
  return wire;
}

/** RFC 2866 §3: the Request Authenticator of an Accounting-Request is MD5(packet with zeros there + secret). */
export function encodeAccountingRequest(identifier: number, secret: Uint8Array, attrs: RadiusAttr[]): Uint8Array {
  const wire = encodeRadius({
    code: RADIUS_ACCOUNTING_REQUEST,
    identifier,
    authenticator: new Uint8Array(AUTH_BYTES),
    attrs,
  });
  wire.set(md5(wire, secret), 4);
  return wire;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * A response checked against the request it answers (RFC 2865 §3): same Identifier, Response Authenticator =
 * MD5(Code+ID+Length+RequestAuth+Attributes+Secret), and the Message-Authenticator when present (required
 * when `needMessageAuth`). The string says what is wrong, never quoting the secret.
 */
export function verifyResponse(
  wire: Uint8Array,
  identifier: number,
  requestAuth: Uint8Array,
  secret: Uint8Array,
  needMessageAuth: boolean,
): RadiusPacket | string {
  const p = decodeRadius(wire);
  if (typeof p === 'string') return p;
  if (p.identifier !== identifier) return `RADIUS Identifier ${p.identifier}, expected ${identifier}`;
  const len = (wire[2]! << 8) | wire[3]!;
  const body = wire.slice(0, len);
  const expect = md5(body.subarray(0, 4), requestAuth, body.subarray(RADIUS_HEADER_BYTES), secret);
  if (!same(expect, p.authenticator)) return 'RADIUS Response Authenticator does not match (wrong secret?)';
  const at = messageAuthOffset(body);
  if (at < 0) return needMessageAuth ? 'RADIUS response without Message-Authenticator' : p;
  if (!same(messageAuth(body, at, requestAuth, secret), body.subarray(at, at + AUTH_BYTES)))
    return 'RADIUS Message-Authenticator does not match';
  return p;
}

/** The first attribute of a type. */
export function radiusAttr(p: RadiusPacket, type: number): Uint8Array | undefined {
  return p.attrs.find((a) => a.type === type)?.value;
}
