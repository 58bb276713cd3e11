// In-place helper for @noble/ciphers, which writes through 32-bit views and so refuses an output
// that is not 4-byte aligned: aligned data is processed in place, unaligned data through one copy.

/** Runs `op(input, output?)` over `data` and leaves the result in `data`. */
export function nobleInPlace(data: Uint8Array, op: (input: Uint8Array, output?: Uint8Array) => Uint8Array): void {
  if (data.byteOffset % 4 === 0) {
    op(data, data);
    return;
  }
  const out = op(data);
  data.set(out.subarray(0, data.length));
  out.fill(0);
}
