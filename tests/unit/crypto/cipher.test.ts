// Known-answer tests for the ESP ciphers (RFC 3602, RFC 3686, RFC 3713, NESSIE, FIPS 81, NIST TDES MMT),
// run once per back-end each algorithm lists.
import { strict as assert } from 'node:assert';
import { findEncAlg } from '../../../crypto/registry.js';
import type { CipherAlg } from '../../../crypto/types.js';
import { hex, loadVectors, type CipherVector } from './vectors.js';

const { cases } = loadVectors<{ cases: CipherVector[] }>('crypto-cipher.json');
const ALGS = [...new Set(cases.map((c) => c.alg))];

describe('crypto: cipher known answers', () => {
  for (const name of ALGS) {
    const alg = findEncAlg(name) as CipherAlg;
    for (const backend of alg.backends) {
      describe(`${name} [${backend}]`, () => {
        for (const v of cases.filter((c) => c.alg === name)) {
          it(v.source, () => {
            const ctx = alg.create(hex(v.key), backend);
            const pt = hex(v.plaintext);
            const ct = hex(v.ciphertext);
            // Encrypt in place at an offset inside a larger buffer: the bytes around must not move.
            const buf = new Uint8Array(pt.length + 7).fill(0xee);
            buf.set(pt, 3);
            ctx.encrypt(hex(v.iv), buf, 3, pt.length);
            assert.deepEqual(buf.subarray(3, 3 + pt.length), ct);
            assert.ok(
              buf.subarray(0, 3).every((b) => b === 0xee) && buf.subarray(3 + pt.length).every((b) => b === 0xee),
            );
            ctx.decrypt(hex(v.iv), buf, 3, pt.length);
            assert.deepEqual(buf.subarray(3, 3 + pt.length), pt);
          });
        }
      });
    }
  }
});
