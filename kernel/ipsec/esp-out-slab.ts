// Memory for espOutput's packets, carved from 64 KiB slabs: one Uint8Array view per packet instead of a
// Buffer from Node's 8 KiB pool (Buffer.allocUnsafe builds a Buffer object and, at 1400 bytes, a new pool
// every fifth packet: about 0.3 µs per packet in the encap profile, docs/performance.md). The slab is
// plain memory with no meaning: like Node's pool it is shared by the whole thread, never by content, and
// a slab lives until the last packet carved from it is collected.

const SLAB_BYTES = 64 * 1024;
/** Larger packets (jumbo, up to 64 KiB) get an array of their own. */
const SLAB_MAX_TAKE = 8 * 1024;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

/** `n` zero-filled bytes (slab memory is never reused; the caller writes every byte anyway). */
export function takeOutput(n: number): Uint8Array {
  if (n > SLAB_MAX_TAKE) return new Uint8Array(n);
  if (used + n > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const v = new Uint8Array(slab, used, n);
  used += (n + 7) & ~7; // 8-byte aligned starts
  return v;
}
