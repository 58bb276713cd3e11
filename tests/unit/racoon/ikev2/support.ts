// Shared helpers for the racoon/ikev2 tests: refusals with the notify type a responder would send, the vector
// file, and a few payloads used by several suites.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ikev2Error } from '../../../../racoon/ikev2/codec.js';
import { repoRoot } from '../../../support/root.js';

export { checkCodec, hex } from '../support/codec-check.js';

/** Asserts that `fn` throws Ikev2Error with `notifyType` (and a message matching `re`). */
export function refusesV2(fn: () => unknown, notifyType: number, re?: RegExp): Ikev2Error {
  let caught: Ikev2Error | undefined;
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof Ikev2Error, `expected Ikev2Error, got ${String(e)}`);
    assert.equal(e.notifyType, notifyType, e.message);
    if (re) assert.match(e.message, re);
    caught = e;
    return true;
  });
  return caught!;
}

export function loadIkev2Vectors<T>(): T {
  return JSON.parse(readFileSync(join(repoRoot(), 'tests', 'vectors', 'ikev2.json'), 'utf8')) as T;
}

export const toh = (b: Uint8Array): string => Buffer.from(b).toString('hex');
