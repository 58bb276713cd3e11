// Cheap views for the packet path: a plain Uint8Array over part of another array's memory.

/**
 * A Uint8Array over buf[start, start + len), sharing its memory. Cheaper than Buffer#subarray, which
 * runs Buffer's species constructor. The caller checks the range: unlike subarray this does not clamp
 * to `buf` (only to its ArrayBuffer, where it throws RangeError).
 */
export function byteView(buf: Uint8Array, start: number, len: number): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset + start, len);
}
