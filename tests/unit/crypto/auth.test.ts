// Known-answer tests for the ESP/AH integrity algorithms (RFC 2202, RFC 4868 §2.7.2, RFC 3566 §4.6)
// and the full-length HMAC used as a PRF (RFC 2202, RFC 4231), on every back-end.
import { strict as assert } from 'node:assert';
import { findAuthAlg } from '../../../crypto/registry.js';
import { createHmacPrf, PRF_BACKENDS, type PrfHash } from '../../../crypto/hmac.js';
import { hex, loadVectors, type IcvVector, type PrfVector } from './vectors.js';

const { icv, prf } = loadVectors<{ icv: IcvVector[]; prf: PrfVector[] }>('crypto-auth.json');

describe('crypto: integrity known answers', () => {
  for (const name of [...new Set(icv.map((c) => c.alg))]) {
    const alg = findAuthAlg(name);
    for (const backend of alg.backends) {
      describe(`${name} [${backend}]`, () => {
        for (const v of icv.filter((c) => c.alg === name)) {
          it(v.source, () => {
            const ctx = alg.create(hex(v.key), backend);
            const data = hex(v.data);
            const out = new Uint8Array(alg.icvLen + 2).fill(0xee);
            // Split the input in three parts, as AH/ESP pass header, payload and ESN high bits.
            const a = Math.floor(data.length / 3);
            const parts = [data.subarray(0, a), data.subarray(a, 2 * a), data.subarray(2 * a)];
            ctx.mac(parts, out, 1);
            assert.deepEqual(out.subarray(1, 1 + alg.icvLen), hex(v.icv));
            assert.equal(out[0], 0xee);
            assert.equal(out[alg.icvLen + 1], 0xee);
            assert.equal(ctx.verify([data], hex(v.icv)), true);
            const bad = hex(v.icv);
            bad[bad.length - 1]! ^= 1;
            assert.equal(ctx.verify([data], bad), false);
            assert.equal(ctx.verify([data], hex(v.icv).subarray(1)), false, 'a short ICV never verifies');
          });
        }
      });
    }
  }

  for (const hash of [...new Set(prf.map((c) => c.hash))] as PrfHash[]) {
    for (const backend of PRF_BACKENDS) {
      describe(`HMAC-${hash.toUpperCase()} as a PRF [${backend}]`, () => {
        for (const v of prf.filter((c) => c.hash === hash)) {
          it(v.source, () => {
            const ctx = createHmacPrf(hash, hex(v.key), backend);
            const out = new Uint8Array(ctx.outputLen);
            ctx.mac([hex(v.data)], out, 0);
            assert.deepEqual(out.subarray(0, v.truncatedTo ?? out.length), hex(v.mac));
          });
        }
      });
    }
  }
});
