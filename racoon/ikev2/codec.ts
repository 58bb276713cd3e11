// Ikev2Error and the length checks every IKEv2 decoder runs before reading a field. The codec contract and the
// window/target/copy helpers are ISAKMP's (racoon/isakmp/codec.ts); only the error differs: it carries the
// IKEv2 notify type a responder answers with (RFC 7296 §2.21, §3.10.1), and optionally that notify's data.
import { IKEV2_N_INVALID_SYNTAX, IKEV2_N_NAMES } from './notify-types.js';
import { nameOf } from './constants.js';

export { checkField, copyOf, target, window, type Codec } from '../isakmp/codec.js';

/**
 * Raised by every IKEv2 decoder; `notifyType` is what a responder would send back (INVALID_SYNTAX for
 * malformed input, UNSUPPORTED_CRITICAL_PAYLOAD, INVALID_MAJOR_VERSION...), `notifyData` that Notify's data
 * where the RFC defines one (§3.10.1: the payload type octet for UNSUPPORTED_CRITICAL_PAYLOAD), and `offset`
 * the offending field. Bad input, not a bug: no stack trace is captured, so garbage costs only the decode.
 */
export class Ikev2Error extends Error {
  declare readonly notifyType: number;
  declare readonly offset: number;
  declare readonly notifyData: Uint8Array;

  constructor(notifyType: number, message: string, offset = -1, notifyData: Uint8Array = new Uint8Array(0)) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(`${nameOf(IKEV2_N_NAMES, notifyType)}: ${message}`);
    } finally {
      Error.stackTraceLimit = limit;
    }
    this.notifyType = notifyType;
    this.offset = offset;
    this.notifyData = notifyData;
    this.name = 'Ikev2Error';
  }

  /** A stable code, as every uipsec error class has. */
  get code(): 'EIKEV2' {
    return 'EIKEV2';
  }
}

/** Throws INVALID_SYNTAX unless `n` bytes are available in `[offset, end)`. */
export function needBytes(offset: number, end: number, n: number, field: string): void {
  if (n < 0 || offset + n > end) {
    throw new Ikev2Error(
      IKEV2_N_INVALID_SYNTAX,
      `truncated ${field}: need ${n} bytes at ${offset}, have ${Math.max(0, end - offset)}`,
      offset,
    );
  }
}

/** Throws INVALID_SYNTAX (RFC 7296 §2.21.2: the reply to a malformed, authenticated request). */
export function invalidSyntax(message: string, offset = -1): never {
  throw new Ikev2Error(IKEV2_N_INVALID_SYNTAX, message, offset);
}

/** Throws INVALID_SYNTAX unless a body of `n` bytes lies within [min, max]. */
export function checkLength(n: number, min: number, max: number, field: string, offset: number): void {
  if (n < min || n > max) invalidSyntax(`${field} of ${n} bytes, allowed ${min}..${max}`, offset);
}
