// The shape every PF_KEY extension codec shares and the helpers they use.
// msg.ts has already checked that [off, off+len) lies inside the message and that len is a non-zero
// multiple of 8 (RFC 2367 §2.2); each codec then checks its own size rules before reading a field.
import { invalid } from '../errors.js';
import { SADB_EXT, setField } from '../layout.js';

/** decode reads one extension of `len` bytes at `off`; encode writes it with the given ext type. */
export interface ExtCodec<T> {
  decode(dv: DataView, off: number, len: number): { value: T; next: number };
  encode(value: T, dv: DataView, off: number, exttype: number): number;
  encodedLength(value: T): number;
}

/** Refuses a fixed-size extension whose length is not exactly `size` (KAME key_validate_ext). */
export function expectLength(len: number, size: number, what: string, off: number): void {
  if (len !== size) invalid(`${what}: length ${len} bytes, must be ${size}`, off);
}

/** Refuses an extension shorter than its base struct. */
export function expectAtLeast(len: number, size: number, what: string, off: number): void {
  if (len < size) invalid(`${what}: length ${len} bytes, shorter than ${size}`, off);
}

/** Writes the common sadb_ext header (length in 8-byte units). */
export function putExtHeader(dv: DataView, off: number, lenBytes: number, exttype: number): void {
  if (lenBytes % 8 !== 0) invalid(`extension length ${lenBytes} is not a multiple of 8`);
  setField(dv, off, SADB_EXT.fields.len, lenBytes / 8, 'sadb_ext_len');
  setField(dv, off, SADB_EXT.fields.type, exttype, 'sadb_ext_type');
}

/** A copy of `n` bytes at `off` (decoded values never alias the input buffer). */
export function bytesAt(dv: DataView, off: number, n: number): Uint8Array {
  return new Uint8Array(dv.buffer, dv.byteOffset + off, n).slice();
}

/** Copies `src` into the view at `off`. */
export function putBytes(dv: DataView, off: number, src: Uint8Array): void {
  new Uint8Array(dv.buffer, dv.byteOffset + off, src.length).set(src);
}

/** Zero-fills `n` bytes at `off` (reserved fields and padding). */
export function zeroBytes(dv: DataView, off: number, n: number): void {
  new Uint8Array(dv.buffer, dv.byteOffset + off, n).fill(0);
}
