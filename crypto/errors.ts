// Errors raised by the algorithm registry and contexts: unknown names and bad key lengths.
import { evpAvailable, evpUnavailableReason } from './evp-lib.js';

/** An algorithm name no back-end implements; the message names the supported ones. */
export class UnsupportedAlgorithmError extends Error {
  readonly code = 'EALGUNSUPP';
  constructor(
    readonly kind: 'encryption' | 'authentication' | 'compression',
    readonly algName: string,
    readonly supported: readonly string[],
    why = '',
  ) {
    super(`unsupported ${kind} algorithm '${algName}'${why ? ` (${why})` : ''}; supported: ${supported.join(', ')}`);
    this.name = 'UnsupportedAlgorithmError';
  }
}

/** Throws RangeError unless `key` has one of the lengths in `keyBits` (bits, as setkey counts them). */
export function checkKeyLength(alg: string, key: Uint8Array, keyBits: readonly number[]): void {
  const bits = key.length * 8;
  if (keyBits.includes(bits)) return;
  const list =
    keyBits.length === 1 ? `${keyBits[0]}` : `${keyBits.slice(0, -1).join(', ')} or ${keyBits[keyBits.length - 1]}`;
  throw new RangeError(`${alg}: key must be ${list} bits, got ${bits} bits`);
}

/** Refuses to run a context whose key was wiped (it would silently use an all-zero key). */
export function assertLive(alg: string, live: boolean): void {
  if (!live) throw new Error(`${alg}: context used after wipe()`);
}

/**
 * Picks the requested back-end, or the first (fastest) one listed that can serve here: `evp` only when the
 * node binary's OpenSSL is reachable and UIPSEC_CRYPTO=node is not set (crypto/evp-lib.ts).
 */
export function pickBackend<B extends string>(alg: string, backends: readonly B[], wanted: B | undefined): B {
  if (wanted === undefined) return backends.find((b) => b !== 'evp' || evpAvailable()) ?? backends[0]!;
  if (!backends.includes(wanted))
    throw new RangeError(`${alg}: no '${wanted}' back-end; available: ${backends.join(', ')}`);
  if (wanted === 'evp' && !evpAvailable())
    throw new RangeError(`${alg}: the 'evp' back-end is not available (${evpUnavailableReason()})`);
  return wanted;
}

/** True when [off, off+len) lies inside `buf` (subarray would silently clamp a bad range). */
export function inRange(buf: Uint8Array, off: number, len: number): boolean {
  return Number.isInteger(off) && Number.isInteger(len) && off >= 0 && len >= 0 && off + len <= buf.length;
}

/** Throws RangeError unless [off, off+len) lies inside `buf`. */
export function checkRange(alg: string, buf: Uint8Array, off: number, len: number): void {
  if (!inRange(buf, off, len)) throw new RangeError(`${alg}: range ${off}+${len} outside a ${buf.length}-byte buffer`);
}
