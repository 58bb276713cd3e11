// Round-trip checks shared by the racoon codec tests: decode∘encode, the declared length,
// encoding at an offset inside a larger buffer without touching the bytes around it, and refusals (IsakmpError).
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { IsakmpError, type Codec } from '../../../../racoon/isakmp/codec.js';
import { repoRoot } from '../../../support/root.js';

/** Checks that `bytes` decodes to `value` and `value` encodes to exactly `bytes`, also at an offset. */
export function checkCodec<T>(codec: Codec<T>, value: T, bytes: Uint8Array, label = ''): void {
  const enc = codec.encode(value);
  assert.equal(Buffer.from(enc).toString('hex'), Buffer.from(bytes).toString('hex'), `${label}: encode`);
  assert.equal(codec.encodedLength(value), bytes.length, `${label}: encodedLength`);
  const dec = codec.decode(bytes, 0, bytes.length);
  assert.deepEqual(dec.value, value, `${label}: decode`);
  assert.equal(dec.next, bytes.length, `${label}: next`);
  // At an offset, surrounded by sentinel bytes that must survive.
  const big = new Uint8Array(bytes.length + 7).fill(0xa5);
  codec.encode(value, big, 3);
  assert.deepEqual(big.subarray(3, 3 + bytes.length), bytes, `${label}: encode at offset`);
  assert.ok(
    big.subarray(0, 3).every((b) => b === 0xa5) && big.subarray(3 + bytes.length).every((b) => b === 0xa5),
    `${label}: sentinels`,
  );
  const dec2 = codec.decode(big, 3, 3 + bytes.length);
  assert.deepEqual(dec2.value, value, `${label}: decode at offset`);
  assert.equal(dec2.next, 3 + bytes.length);
}

/** Hex with spaces/newlines/comments (`# ...`) allowed, for readable golden bytes. */
export function hex(s: string): Uint8Array {
  const h = s.replace(/#[^\n]*/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(h, 'hex'));
}

export { repoRoot };

/** Asserts that decoding throws IsakmpError with the given notify type (and a message matching `re`). */
export function refuses(fn: () => unknown, notifyType: number, re?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof IsakmpError, `expected IsakmpError, got ${String(e)}`);
    assert.equal(e.notifyType, notifyType, e.message);
    if (re) assert.match(e.message, re);
    return true;
  });
}

export function fixturePath(...parts: string[]): string {
  return join(repoRoot(), 'tests', 'fixtures', 'racoon', ...parts);
}
