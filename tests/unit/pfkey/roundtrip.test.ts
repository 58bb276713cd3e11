// Round trip of every extension codec through one helper: encode at an offset inside a
// larger buffer, check the header, the length, that nothing outside the extension is touched, and that
// decode gives the value back; then whole messages with random extension sets and orders.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { EXT_TABLE, type ExtName, decodeMessage, encodeMessage, messageLength } from '../../../pfkey/msg.js';
import type { ExtCodec } from '../../../pfkey/ext/codec.js';
import { EXT_ARBS, messageArb } from './arbitraries.js';

const SEED = 0x5adb;
const PAD = 24;

/** Encodes `value` at offset PAD in a sentinel-filled buffer and checks everything a codec promises. */
export function checkExtCodec<T>(codec: ExtCodec<T>, exttype: number, value: T): void {
  const len = codec.encodedLength(value);
  assert.equal(len % 8, 0, 'extension length is a multiple of 8');
  const buf = new Uint8Array(PAD + len + PAD).fill(0xee);
  const dv = new DataView(buf.buffer);
  assert.equal(codec.encode(value, dv, PAD, exttype), PAD + len, 'encode returns the next offset');
  assert.equal(dv.getUint16(PAD, true), len / 8, 'sadb_ext_len in 8-byte units, little-endian');
  assert.equal(dv.getUint16(PAD + 2, true), exttype, 'sadb_ext_type');
  assert.ok(
    buf.subarray(0, PAD).every((b) => b === 0xee) && buf.subarray(PAD + len).every((b) => b === 0xee),
    'no bytes written outside the extension',
  );
  const { value: back, next } = codec.decode(dv, PAD, len);
  assert.equal(next, PAD + len);
  assert.deepStrictEqual(back, value);
}

describe('pfkey extension round trips', () => {
  for (const name of Object.keys(EXT_TABLE) as ExtName[]) {
    it(`${name} (type ${EXT_TABLE[name].type}) survives encode/decode at an offset`, () => {
      const { type, codec } = EXT_TABLE[name] as { type: number; codec: ExtCodec<unknown> };
      fc.assert(
        fc.property(EXT_ARBS[name] as fc.Arbitrary<unknown>, (v) => checkExtCodec(codec, type, v)),
        { seed: SEED, numRuns: 300 },
      );
    });
  }

  it('whole messages survive encode/decode with their extension order', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        const bytes = encodeMessage(m);
        assert.equal(bytes.length, messageLength(m));
        assert.equal(new DataView(bytes.buffer).getUint16(4, true) * 8, bytes.length, 'sadb_msg_len');
        assert.deepStrictEqual(decodeMessage(bytes), m);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });
});
