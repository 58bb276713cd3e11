// IPComp DEFLATE (RFC 2394): raw deflate round trips, the decompression limit, and corrupt input.
import { strict as assert } from 'node:assert';
import { deflateSync } from 'node:zlib';
import { findCompAlg } from '../../../crypto/registry.js';
import { ParseError } from '../../../common/bytes.js';

const deflate = findCompAlg('deflate');
const text = new TextEncoder().encode('IPComp compresses IP payloads; repeated text compresses well. '.repeat(20));

describe('crypto: deflate (IPComp)', () => {
  it('round-trips and actually compresses redundant data', () => {
    const z = deflate.compress(text);
    assert.ok(z.length < text.length / 4, `compressed ${text.length} to ${z.length}`);
    assert.deepEqual(new Uint8Array(deflate.decompress(z, text.length)), text);
  });

  it('emits a raw stream: no zlib header (RFC 2394 §2 uses RFC 1951 directly)', () => {
    const z = deflate.compress(text);
    const zlibHeaderd = deflateSync(text);
    assert.equal(zlibHeaderd[0], 0x78);
    assert.deepEqual(new Uint8Array(z), new Uint8Array(zlibHeaderd.subarray(2, 2 + z.length)));
  });

  it('decodes a hand-made stored block (RFC 1951 §3.2.4)', () => {
    // BFINAL=1, BTYPE=00, LEN=3, NLEN=~3, then "abc".
    const stored = Uint8Array.from([0x01, 0x03, 0x00, 0xfc, 0xff, 0x61, 0x62, 0x63]);
    assert.deepEqual(new Uint8Array(deflate.decompress(stored, 3)), new TextEncoder().encode('abc'));
  });

  it('throws RangeError once the output would pass the limit (decompression bomb)', () => {
    const bomb = deflate.compress(new Uint8Array(1 << 20));
    assert.ok(bomb.length < 2048);
    assert.throws(() => deflate.decompress(bomb, 65535), RangeError);
    assert.throws(() => deflate.decompress(deflate.compress(text), text.length - 1), RangeError);
    assert.throws(() => deflate.decompress(deflate.compress(new Uint8Array([1])), 0), RangeError);
  });

  it('throws ParseError on corrupt or truncated input', () => {
    const z = deflate.compress(text);
    assert.throws(() => deflate.decompress(z.subarray(0, z.length - 4), 1 << 16), ParseError);
    assert.throws(() => deflate.decompress(Uint8Array.from([0xff, 0xff, 0xff]), 1 << 16), ParseError);
    assert.throws(() => deflate.decompress(new Uint8Array(0), 1 << 16), ParseError);
  });
});
