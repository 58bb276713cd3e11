// Known-answer tests for the ESP AEADs (draft-mcgrew-gcm-test-01 = RFC 4106 cases, the GCM paper's
// test cases, RFC 7539/7634), on every back-end; a bad tag must leave the buffer untouched.
import { strict as assert } from 'node:assert';
import { findEncAlg } from '../../../crypto/registry.js';
import type { AeadAlg } from '../../../crypto/types.js';
import { hex, loadVectors, type AeadVector } from './vectors.js';

const { cases } = loadVectors<{ cases: AeadVector[] }>('crypto-aead.json');
const ALGS = [...new Set(cases.map((c) => c.alg))];

describe('crypto: AEAD known answers', () => {
  for (const name of ALGS) {
    const alg = findEncAlg(name) as AeadAlg;
    for (const backend of alg.backends) {
      describe(`${name} [${backend}]`, () => {
        for (const v of cases.filter((c) => c.alg === name)) {
          it(v.source, () => {
            const ctx = alg.create(hex(v.key), backend);
            const pt = hex(v.plaintext);
            const buf = new Uint8Array(pt.length + 4 + alg.icvLen);
            buf.set(pt, 4);
            ctx.seal(hex(v.iv), hex(v.aad), buf, 4, pt.length, buf, 4 + pt.length);
            assert.deepEqual(buf.subarray(4, 4 + pt.length), hex(v.ciphertext));
            assert.deepEqual(buf.subarray(4 + pt.length), hex(v.tag));
            assert.equal(ctx.open(hex(v.iv), hex(v.aad), buf, 4, pt.length, buf, 4 + pt.length), true);
            assert.deepEqual(buf.subarray(4, 4 + pt.length), pt);
          });
          it(`${v.source}: a flipped tag, payload or AAD bit is refused and the buffer left as received`, () => {
            const ctx = alg.create(hex(v.key), backend);
            const ct = hex(v.ciphertext);
            const tag = hex(v.tag);
            const flips: Array<[string, (b: Uint8Array, t: Uint8Array, a: Uint8Array) => void]> = [
              [
                'tag',
                (_b, t) => {
                  t[t.length - 1]! ^= 0x01;
                },
              ],
              [
                'aad',
                (_b, _t, a) => {
                  if (a.length) a[0]! ^= 0x80;
                  else _t[0]! ^= 0x80;
                },
              ],
            ];
            if (ct.length)
              flips.push([
                'payload',
                (b) => {
                  b[b.length - 1]! ^= 0x40;
                },
              ]);
            for (const [what, flip] of flips) {
              const b = Uint8Array.from(ct);
              const t = Uint8Array.from(tag);
              const a = hex(v.aad);
              flip(b, t, a);
              const before = Uint8Array.from(b);
              assert.equal(ctx.open(hex(v.iv), a, b, 0, b.length, t, 0), false, what);
              assert.deepEqual(b, before, `${what}: buffer changed after a failed open`);
            }
          });
        }
      });
    }
  }
});
