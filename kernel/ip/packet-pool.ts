// Packet copies without an ArrayBuffer each. A packet the input path keeps (read from the TUN or a wire
// socket into the shared ring, whose room is reused) used to be `view.slice()`: a new ArrayBuffer per
// packet, i.e. a malloc'd backing store that V8 tracks and its array-buffer sweeper frees — the largest
// single cost of uipsecd's TUN read under load (docs/performance.md). Here packets are Uint8Array views
// carved in turn out of 64 KiB chunks (Node's Buffer pool does the same with 8 KiB): one backing store per
// ~45 full-size packets. The views are plain Uint8Arrays (slice() still copies, unlike a Buffer's); a
// chunk lives as long as any packet cut from it, so a packet held long (queued for an SA, reassembly)
// keeps at most one chunk alive.

/** Bytes per chunk; a packet larger than a quarter of it gets its own buffer. */
const CHUNK = 64 << 10;
const BIG = CHUNK >> 2;

let chunk = new ArrayBuffer(CHUNK);
let used = 0;

/** A new zeroed view of `len` bytes (chunks are fresh ArrayBuffers, never reused). */
export function allocPacket(len: number): Uint8Array {
  if (len > BIG) return new Uint8Array(len);
  if (used + len > CHUNK) {
    chunk = new ArrayBuffer(CHUNK);
    used = 0;
  }
  const p = new Uint8Array(chunk, used, len);
  used += (len + 7) & ~7; // 8-byte aligned starts (DataView and 32-bit reads stay aligned)
  return p;
}

/** A copy of `view` (e.g. a record of a shared ring, valid only during a call) that the caller may keep. */
export function copyPacket(view: Uint8Array): Uint8Array {
  const p = allocPacket(view.length);
  p.set(view);
  return p;
}
