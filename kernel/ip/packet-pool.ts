// Packet memory without an ArrayBuffer each: Uint8Array views carved in turn out of 64 KiB chunks (Node's
// Buffer pool does the same with 8 KiB; a Buffer from it costs a Buffer object and, at 1400 bytes, a new
// pool every fifth packet). A packet the input path keeps (read from the TUN or a wire socket into the shared
// ring, whose room is reused) used to be `view.slice()`: a new malloc'd backing store per packet that V8's
// array-buffer sweeper frees — the largest single cost of uipsecd's TUN read under load; espOutput's packets
// were Buffers (docs/performance.md). A chunk lives as long as any packet cut from it, so a packet held long
// (queued for an SA, reassembly) keeps at most one chunk alive. The views are plain Uint8Arrays (slice()
// copies, unlike a Buffer's).
//
// Two kinds of chunk: zeroed (new ArrayBuffer: fresh pages each time) for callers that count on zeros, and
// unzeroed (Buffer.allocUnsafeSlow: malloc'd memory reused after a collection; ~60 ns against ~390 ns per
// 1400-byte packet, bench esp-breakdown) for callers that write every byte they take. Stale bytes of an
// unzeroed chunk are never visible: a view covers only what its caller writes.

const CHUNK = 64 << 10;

/** Views carved in turn from chunks made by `fresh`; a request over `maxTake` bytes gets an array of its own. */
class Chunks {
  private chunk: ArrayBuffer;
  private used = 0;

  constructor(
    private readonly fresh: () => ArrayBuffer,
    private readonly maxTake: number,
  ) {
    this.chunk = fresh();
  }

  take(n: number): Uint8Array {
    if (n > this.maxTake) return new Uint8Array(n);
    if (this.used + n > CHUNK) {
      this.chunk = this.fresh();
      this.used = 0;
    }
    const v = new Uint8Array(this.chunk, this.used, n);
    this.used += (n + 7) & ~7; // 8-byte aligned starts (DataView and 32-bit reads stay aligned)
    return v;
  }
}

const zeroed = new Chunks(() => new ArrayBuffer(CHUNK), CHUNK >> 2);
const unzeroed = new Chunks(() => Buffer.allocUnsafeSlow(CHUNK).buffer as ArrayBuffer, 8 << 10);

/** A new zeroed view of `len` bytes. */
export function allocPacket(len: number): Uint8Array {
  return zeroed.take(len);
}

/** `n` bytes the caller must write in full (their previous contents are undefined): espOutput's packets. */
export function takeOutput(n: number): Uint8Array {
  return unzeroed.take(n);
}

/** A copy of `view` (e.g. a record of a shared ring, valid only during a call) that the caller may keep. */
export function copyPacket(view: Uint8Array): Uint8Array {
  const p = takeOutput(view.length); // every byte is written below
  p.set(view);
  return p;
}
