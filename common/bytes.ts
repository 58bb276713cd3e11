// Byte helpers shared by every codec: bounds-checked readers, hex, constant-time compare, wipe.
// Decoders validate lengths before reading; these helpers keep that cheap.
import { timingSafeEqual } from 'node:crypto';

/** Raised by codecs when input is malformed; `offset` and `field` say where. */
export class ParseError extends Error {
  readonly code = 'EPARSE';
  constructor(
    message: string,
    readonly offset = -1,
    readonly field = '',
  ) {
    super(message);
    this.name = 'ParseError';
  }
}

/** Throws ParseError unless `need` bytes are available at `offset`. */
export function need(buf: Uint8Array, offset: number, need: number, field: string): void {
  if (offset < 0 || need < 0 || offset + need > buf.length) {
    throw new ParseError(
      `truncated ${field}: need ${need} bytes at ${offset}, have ${Math.max(0, buf.length - offset)}`,
      offset,
      field,
    );
  }
}

export function u16(buf: Uint8Array, off: number): number {
  return (buf[off]! << 8) | buf[off + 1]!;
}

export function u32(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 24) >>> 0) + ((buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!);
}

export function putU16(buf: Uint8Array, off: number, v: number): void {
  buf[off] = (v >>> 8) & 0xff;
  buf[off + 1] = v & 0xff;
}

export function putU32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = (v >>> 24) & 0xff;
  buf[off + 1] = (v >>> 16) & 0xff;
  buf[off + 2] = (v >>> 8) & 0xff;
  buf[off + 3] = v & 0xff;
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** Parses hex with optional `0x` prefix and whitespace; throws ParseError on odd length or bad digits. */
export function fromHex(s: string): Uint8Array {
  const h = s.replace(/^0x/i, '').replace(/[\s:]/g, '');
  if (h.length % 2 !== 0 || /[^0-9a-fA-F]/.test(h)) throw new ParseError(`bad hex string '${s.slice(0, 32)}'`);
  return new Uint8Array(Buffer.from(h, 'hex'));
}

/** Constant-time equality (ICVs, MACs). Different lengths compare unequal without early exit on content. */
export function equalCT(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/** Zero-fills key material, so that it does not outlive its use. */
export function wipe(...bufs: (Uint8Array | undefined)[]): void {
  for (const b of bufs) if (b) b.fill(0);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A view as a Node Buffer without copying. */
export function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
