// SPIs between their two forms: the bytes an IKE payload carries (4, or 2 for an IPComp CPI, RFC 2407
// §4.4.3) and the number in a PF_KEY sadb_sa (RFC 2367 §2.3.1). One place for the conversion, so the
// kernel's events and our negotiation records compare SPIs the same way.
import type { PfkeyMessage } from '../../pfkey/msg.js';

/** The SPI bytes as a number, big-endian as on the wire (Buffer.readUIntBE: 1 to 6 bytes, else RangeError). */
export function spiNumber(b: Uint8Array): number {
  return Buffer.from(b).readUIntBE(0, b.length);
}

/** A PF_KEY SPI as `size` big-endian bytes (4, or 2 for a CPI). */
export function spiBytes(spi: number, size: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[size - 1 - i] = (spi >>> (8 * i)) & 0xff;
  return b;
}

/** The SPI of a PF_KEY message's SA extension, unsigned; undefined without the extension. */
export function sadbSpi(m: PfkeyMessage): number | undefined {
  return m.ext.sa ? m.ext.sa.spi >>> 0 : undefined;
}

/** An SPI for a log line: 0x and lowercase hex, as racoon prints it. */
export function spiHex(spi: number): string {
  return `0x${spi.toString(16)}`;
}
