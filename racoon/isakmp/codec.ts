// The codec contract every ISAKMP payload file exports, and IsakmpError: a malformed message becomes an
// error carrying the RFC 2408 §3.14.1 notify type a responder would send back.
import { ISAKMP_NTYPE_NAMES, ISAKMP_NTYPE_PAYLOAD_MALFORMED, nameOf } from './constants.js';

/**
 * Raised by every ISAKMP decoder; `notifyType` is what a responder would put in its NOTIFY and `offset` points
 * at the offending field. It describes bad input, not a bug, so no stack trace is captured: a flood of garbage
 * datagrams costs the decode and nothing more.
 */
export class IsakmpError extends Error {
  declare readonly notifyType: number;
  declare readonly offset: number;

  constructor(notifyType: number, message: string, offset = -1) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(`${nameOf(ISAKMP_NTYPE_NAMES, notifyType)}: ${message}`);
    } finally {
      Error.stackTraceLimit = limit;
    }
    this.notifyType = notifyType;
    this.offset = offset;
    this.name = 'IsakmpError';
  }

  /** A stable code, as every uipsec error class has. */
  get code(): 'EISAKMP' {
    return 'EISAKMP';
  }
}

/**
 * A payload body codec. `decode` reads `[offset, end)` — the bytes the enclosing generic
 * header declared — and returns the value and the offset after it; `encode` writes at `offset` into `buf`
 * (allocated when absent) and returns the buffer; `encodedLength` is the exact byte count `encode` writes.
 */
export interface Codec<T> {
  decode(buf: Uint8Array, offset?: number, end?: number): { value: T; next: number };
  encode(value: T, buf?: Uint8Array, offset?: number): Uint8Array;
  encodedLength(value: T): number;
}

/** Throws PAYLOAD-MALFORMED unless `n` bytes are available in `[offset, end)`. */
export function needBytes(offset: number, end: number, n: number, field: string): void {
  if (n < 0 || offset + n > end) {
    throw new IsakmpError(
      ISAKMP_NTYPE_PAYLOAD_MALFORMED,
      `truncated ${field}: need ${n} bytes at ${offset}, have ${Math.max(0, end - offset)}`,
      offset,
    );
  }
}

/** Throws PAYLOAD-MALFORMED with a message. */
export function malformed(message: string, offset = -1): never {
  throw new IsakmpError(ISAKMP_NTYPE_PAYLOAD_MALFORMED, message, offset);
}

/** Clamps `end` to the buffer and checks `offset <= end` (a caller passing a bad window is a bug, not input). */
export function window(buf: Uint8Array, offset: number, end: number | undefined): number {
  const e = end ?? buf.length;
  if (offset < 0 || e > buf.length || offset > e)
    throw new RangeError(`bad decode window [${offset}, ${e}) of ${buf.length}`);
  return e;
}

/** The destination buffer for an encode: the caller's, checked for room, or a fresh one. */
export function target(buf: Uint8Array | undefined, offset: number, len: number): Uint8Array {
  const out = buf ?? new Uint8Array(offset + len);
  if (offset < 0 || offset + len > out.length)
    throw new RangeError(`encode needs ${len} bytes at ${offset}, buffer has ${out.length}`);
  return out;
}

/** A copy of `buf[start, end)` (decoded values never alias the wire buffer). */
export function copyOf(buf: Uint8Array, start: number, end: number): Uint8Array {
  return buf.slice(start, end);
}

/** A codec for payloads whose whole body is opaque data (KE, HASH, SIG, VID, NAT-D, FRAG). */
export function opaqueCodec(field: string, min = 0, max = Infinity): Codec<Uint8Array> {
  return {
    decode(buf, offset = 0, end) {
      const e = window(buf, offset, end);
      const n = e - offset;
      if (n < min || n > max) malformed(`${field} of ${n} bytes, allowed ${min}..${max}`, offset);
      return { value: copyOf(buf, offset, e), next: e };
    },
    encode(value, buf, offset = 0) {
      const out = target(buf, offset, value.length);
      out.set(value, offset);
      return out;
    },
    encodedLength(value) {
      return value.length;
    },
  };
}

/** Encoders refuse values that do not fit their field (a programming error, never silently truncated). */
export function checkField(v: number, bits: 8 | 16 | 32, field: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 2 ** bits - 1)
    throw new RangeError(`${field} ${v} does not fit ${bits} bits`);
  return v;
}
