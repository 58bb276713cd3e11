// PEM armour (RFC 7468): `-----BEGIN LABEL-----`, base64, `-----END LABEL-----`; text outside the blocks
// (OpenSSL's human-readable dumps before a certificate) is ignored, as PEM_read does.
import { ParseError } from '../../common/bytes.js';

export interface PemBlock {
  label: string;
  der: Uint8Array;
  /** RFC 1421 headers (`Proc-Type: 4,ENCRYPTED` marks a legacy encrypted key). */
  headers: Record<string, string>;
}

/** Bounds on one file: racoon reads a handful of certificates per file. */
export const PEM_MAX_BLOCKS = 256;

const BEGIN = /^-----BEGIN ([A-Z0-9 ]+)-----\s*$/;

/** True when the bytes look like PEM text rather than DER (DER starts with a SEQUENCE, 0x30). */
export function isPem(data: Uint8Array): boolean {
  return Buffer.from(data.subarray(0, 4096)).toString('latin1').includes('-----BEGIN ');
}

/** Every PEM block of the text, in order. Throws ParseError on an unterminated block or bad base64. */
export function readPemBlocks(text: string): PemBlock[] {
  const lines = text.split(/\r?\n/);
  const out: PemBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = BEGIN.exec(lines[i]!);
    if (!m) continue;
    const label = m[1]!;
    const headers: Record<string, string> = {};
    let b64 = '';
    let j = i + 1;
    for (; j < lines.length && !lines[j]!.startsWith('-----END '); j++) {
      const h = /^([A-Za-z-]+):\s*(.*)$/.exec(lines[j]!);
      if (h) headers[h[1]!] = h[2]!;
      else b64 += lines[j]!.trim();
    }
    if (j >= lines.length || lines[j]!.trim() !== `-----END ${label}-----`) {
      throw new ParseError(`PEM block '${label}' has no matching END line`, i, 'PEM');
    }
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) {
      throw new ParseError(`PEM block '${label}': bad base64`, i, 'PEM');
    }
    if (out.length >= PEM_MAX_BLOCKS) throw new ParseError('too many PEM blocks', i, 'PEM');
    out.push({ label, der: new Uint8Array(Buffer.from(b64, 'base64')), headers });
    i = j;
  }
  return out;
}
