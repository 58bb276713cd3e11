// IPComp DEFLATE (RFC 2394 over RFC 3173): each datagram is one raw deflate stream (RFC 1951), no zlib header.
import { deflateRawSync, inflateRawSync, constants } from 'node:zlib';
import type { CompAlg } from './types.js';
import { ParseError } from '../common/bytes.js';

/** Compression is per datagram with no history across packets (RFC 2394 §2, RFC 3173 §2.2). */
export const deflate: CompAlg = {
  kind: 'comp',
  name: 'deflate',
  aliases: ['ipcomp-deflate'],
  compress(data: Uint8Array): Uint8Array {
    return deflateRawSync(data);
  },
  /**
   * Throws RangeError when the output would pass `maxLen` (RFC 3173 §3.3: decompression bombs) and
   * ParseError when the input is not a complete raw deflate stream.
   */
  decompress(data: Uint8Array, maxLen: number): Uint8Array {
    if (!Number.isInteger(maxLen) || maxLen < 0) throw new RangeError(`deflate: bad output limit ${maxLen}`);
    let out: Buffer;
    try {
      // Z_FINISH: a stream cut short is an error ("unexpected end of file"), never a silent partial output.
      out = inflateRawSync(data, { maxOutputLength: Math.max(1, maxLen), finishFlush: constants.Z_FINISH });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
        throw new RangeError(`deflate: decompressed size exceeds the ${maxLen}-byte limit`);
      }
      throw new ParseError(`deflate: corrupt compressed payload (${err.code ?? err.message})`, 0, 'ipcomp payload');
    }
    if (out.length > maxLen) throw new RangeError(`deflate: decompressed size exceeds the ${maxLen}-byte limit`);
    return out;
  },
};
