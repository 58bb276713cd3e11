// Memory for espOutput's packets, carved from 64 KiB slabs: one Uint8Array view per packet instead of a
// Buffer from Node's 8 KiB pool (Buffer.allocUnsafe builds a Buffer object and, at 1400 bytes, a new pool
// every fifth packet). A slab comes from Buffer.allocUnsafeSlow: malloc'd memory that is reused after a
// collection, where a zero-filled ArrayBuffer of the same size costs fresh pages (measured: ~390 ns per
// 1400-byte packet for zeroed slabs, ~60 ns for these; bench esp-breakdown, docs/performance.md).
// kernel/ip/packet-pool.ts carves zeroed chunks (new ArrayBuffer) for packet copies whose callers may
// count on zeros; espOutput writes every byte it takes, so it can use unzeroed memory.
// Like Node's pool, a slab is shared by the whole thread, holds stale bytes where nothing was carved yet
// (a view never shows them: espOutput writes every byte it takes), and lives until the last packet
// carved from it is collected.

const SLAB_BYTES = 64 * 1024;
/** Larger packets (jumbo, up to 64 KiB) get an array of their own. */
const SLAB_MAX_TAKE = 8 * 1024;

let slab: ArrayBuffer = Buffer.allocUnsafeSlow(SLAB_BYTES).buffer as ArrayBuffer;
let used = 0;

/** `n` bytes the caller must write in full (their previous contents are undefined). */
export function takeOutput(n: number): Uint8Array {
  if (n > SLAB_MAX_TAKE) return new Uint8Array(n);
  if (used + n > SLAB_BYTES) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES).buffer as ArrayBuffer;
    used = 0;
  }
  const v = new Uint8Array(slab, used, n);
  used += (n + 7) & ~7; // 8-byte aligned starts
  return v;
}
