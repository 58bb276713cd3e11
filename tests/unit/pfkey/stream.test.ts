// Stream framing by sadb_msg_len only: messages split at any byte, several per chunk, and a bad header that
// poisons only its own connection.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { PfkeyStreamSplitter } from '../../../pfkey/stream.js';
import { PfkeyError } from '../../../pfkey/errors.js';
import * as R from './raw.js';

const M1 = R.rawMsg({ type: 9, satype: 0, seq: 1 }, []);
const M2 = R.rawMsg({ type: 4, satype: 3, seq: 2 }, [
  R.rawSa(0x1000, 0, 0, 0, 0, 0),
  R.rawAddress(5, 255, 32, R.rawSin([10, 0, 0, 1])),
  R.rawAddress(6, 255, 32, R.rawSin([10, 0, 0, 2])),
]);
const M3 = R.rawMsg({ type: 18, satype: 0, seq: 3 }, []);
const ALL = Buffer.concat([M1, M2, M3]);

function hex(list: Uint8Array[]): string[] {
  return list.map((m) => Buffer.from(m).toString('hex'));
}

describe('pfkey stream splitter', () => {
  it('returns three messages pushed in one chunk', () => {
    const s = new PfkeyStreamSplitter();
    const r = s.push(ALL);
    assert.equal(r.error, undefined);
    assert.deepEqual(hex(r.messages), hex([M1, M2, M3]));
    assert.equal(s.bufferedBytes, 0);
    assert.equal(s.end(), undefined);
  });

  it('reassembles messages fed one byte at a time', () => {
    const s = new PfkeyStreamSplitter();
    const got: Uint8Array[] = [];
    for (const b of ALL) got.push(...s.push(Uint8Array.of(b)).messages);
    assert.deepEqual(hex(got), hex([M1, M2, M3]));
  });

  it('gives the same messages for any chunking (fixed-seed property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: ALL.length }), { maxLength: 8 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const s = new PfkeyStreamSplitter();
        const got: Uint8Array[] = [];
        let prev = 0;
        for (const p of [...points, ALL.length]) {
          got.push(...s.push(ALL.subarray(prev, p)).messages);
          prev = p;
        }
        assert.deepEqual(hex(got), hex([M1, M2, M3]));
        assert.equal(s.end(), undefined);
      }),
      { seed: 2367, numRuns: 500 },
    );
  });

  it('returned messages are copies, not views of the input', () => {
    const input = Buffer.from(M1);
    const [m] = new PfkeyStreamSplitter().push(input).messages;
    input.fill(0);
    assert.equal(Buffer.from(m!).toString('hex'), M1.toString('hex'));
  });

  it('holds a partial message and reports it at end of stream', () => {
    const s = new PfkeyStreamSplitter();
    assert.deepEqual(s.push(M2.subarray(0, 20)).messages, []);
    assert.equal(s.bufferedBytes, 20);
    const e = s.end();
    assert.ok(e instanceof PfkeyError && e.errno === 'EINVAL');
  });

  const poisons: [string, Buffer, string][] = [
    ['version 1', Buffer.from([1, 9, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 'EINVAL'],
    ['sadb_msg_len 0', Buffer.from([2, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 'EINVAL'],
    ['sadb_msg_len 1 (8 bytes)', Buffer.from([2, 9, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 'EINVAL'],
    ['a message above the size limit', Buffer.from([2, 9, 0, 0, 0x01, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 'EMSGSIZE'],
  ];
  for (const [name, bad, errno] of poisons) {
    it(`a header with ${name} poisons only that stream`, () => {
      const s = new PfkeyStreamSplitter();
      const other = new PfkeyStreamSplitter();
      const r = s.push(Buffer.concat([M1, bad, M3]));
      assert.deepEqual(hex(r.messages), hex([M1]), 'messages before the bad header are still delivered');
      assert.ok(r.error instanceof PfkeyError);
      assert.equal(r.error.errno, errno);
      assert.equal(s.error, r.error);
      const after = s.push(M3);
      assert.deepEqual(after.messages, [], 'a poisoned stream yields nothing more');
      assert.equal(after.error, r.error);
      assert.deepEqual(hex(other.push(ALL).messages), hex([M1, M2, M3]), 'another connection is unaffected');
      assert.equal(s.end(), r.error, 'end() reports the poisoning error');
    });
  }

  it('reassembles a message of exactly the maximum size trickled one byte at a time', () => {
    const big = R.rawMsg({ type: 24, satype: 3 }, [
      R.rawKmprivate(Uint8Array.from({ length: 65536 - 16 - 8 }, (_, i) => i & 0xff)),
    ]);
    assert.equal(big.length, 65536);
    const s = new PfkeyStreamSplitter();
    const got: Uint8Array[] = [];
    for (let i = 0; i < big.length; i++) {
      got.push(...s.push(big.subarray(i, i + 1)).messages);
      if (i === 1000) assert.equal(s.bufferedBytes, 1001);
    }
    assert.equal(got.length, 1);
    assert.ok(Buffer.from(got[0]!).equals(big));
    assert.equal(s.bufferedBytes, 0);
  });

  it('honours a custom maximum message size', () => {
    const s = new PfkeyStreamSplitter({ maxMessageBytes: 64 });
    const r = s.push(Buffer.concat([M1, M2]));
    assert.deepEqual(hex(r.messages), hex([M1]));
    assert.equal(r.error?.errno, 'EMSGSIZE');
  });

  it('does not judge content: a framed message with an unknown type is delivered for the decoder to refuse', () => {
    const odd = R.rawMsg({ type: 200, satype: 0 }, []);
    assert.deepEqual(hex(new PfkeyStreamSplitter().push(odd).messages), hex([odd]));
  });
});
