// Property and differential tests (fast-check, fixed seed): every back-end of an algorithm computes the
// same bytes as node:crypto for random keys, IVs, lengths and buffer offsets; round trips hold; a
// tampered packet is refused and left untouched; deflate never throws anything but its typed errors.
import { strict as assert } from 'node:assert';
import { createCipheriv } from 'node:crypto';
import fc from 'fast-check';
import { AUTH_ALGS, ENC_ALGS, findCompAlg } from '../../../crypto/registry.js';
import type { AeadAlg, CipherAlg } from '../../../crypto/types.js';
import { ParseError } from '../../../common/bytes.js';

const SEED = 0x1b5ec;
const SLOW = !!process.env.UIPSEC_SLOW;
const runs = (n: number): fc.Parameters<unknown> => ({ seed: SEED, numRuns: SLOW ? n * 20 : n });

const keyOf = (bits: readonly number[]): fc.Arbitrary<Uint8Array> =>
  fc.constantFrom(...bits).chain((b) => fc.uint8Array({ minLength: b / 8, maxLength: b / 8 }));

describe('crypto: properties across back-ends', () => {
  for (const alg of ENC_ALGS.filter((a): a is CipherAlg => a.kind === 'cipher' && a.name !== 'null')) {
    it(`${alg.name}: every back-end matches node, decrypt inverts encrypt, at any offset`, () => {
      fc.assert(
        fc.property(
          keyOf(alg.keyBits),
          fc.uint8Array({ minLength: alg.ivLen, maxLength: alg.ivLen }),
          fc.integer({ min: 0, max: 24 }),
          fc.integer({ min: 0, max: 7 }),
          fc.uint8Array({ minLength: 24 * 16, maxLength: 24 * 16 }),
          (key, iv, blocks, off, fill) => {
            const len = blocks * alg.blockSize;
            const plain = fill.subarray(0, len);
            let reference: Uint8Array | undefined;
            for (const be of alg.backends) {
              const ctx = alg.create(key, be);
              const buf = new Uint8Array(off + len + 3);
              buf.set(plain, off);
              ctx.encrypt(iv, buf, off, len);
              const ct = buf.slice(off, off + len);
              if (reference) assert.deepEqual(ct, reference, `${be} differs from ${alg.backends[0]}`);
              reference = ct;
              ctx.decrypt(iv, buf, off, len);
              assert.deepEqual(buf.subarray(off, off + len), plain);
              assert.ok(buf.subarray(0, off).every((b) => b === 0) && buf.subarray(off + len).every((b) => b === 0));
            }
          },
        ),
        runs(alg.name === 'des-cbc' ? 10 : 40),
      );
    });
  }

  for (const alg of ENC_ALGS.filter((a): a is AeadAlg => a.kind === 'aead')) {
    it(`${alg.name}: back-ends agree; open(seal(x)) = x; any flipped bit is refused with the buffer untouched`, () => {
      fc.assert(
        fc.property(
          keyOf(alg.keyBits),
          fc.uint8Array({ minLength: 8, maxLength: 8 }),
          fc.uint8Array({ minLength: 0, maxLength: 20 }),
          fc.uint8Array({ minLength: 0, maxLength: 300 }),
          fc.integer({ min: 0, max: 7 }),
          fc.nat(),
          fc.integer({ min: 0, max: 7 }),
          (key, iv, aad, plain, off, flipAt, bit) => {
            let reference: Uint8Array | undefined;
            for (const be of alg.backends) {
              const ctx = alg.create(key, be);
              const buf = new Uint8Array(off + plain.length + alg.icvLen);
              buf.set(plain, off);
              ctx.seal(iv, aad, buf, off, plain.length, buf, off + plain.length);
              const sealed = buf.slice(off);
              if (alg.authOnly)
                assert.deepEqual(sealed.subarray(0, plain.length), plain, 'GMAC must not change the payload');
              if (reference) assert.deepEqual(sealed, reference, `${be} differs from ${alg.backends[0]}`);
              reference = sealed;
              // Open with every back-end (cross-back-end interop).
              for (const other of alg.backends) {
                const b2 = Uint8Array.from(sealed);
                assert.ok(
                  alg.create(key, other).open(iv, aad, b2, 0, plain.length, b2, plain.length),
                  `${be} -> ${other}`,
                );
                assert.deepEqual(b2.subarray(0, plain.length), plain);
              }
              // One flipped bit anywhere in payload, ICV or AAD: refused, nothing written.
              const b3 = Uint8Array.from(sealed);
              const a3 = Uint8Array.from(aad);
              const pos = flipAt % (b3.length + a3.length);
              if (pos < b3.length) b3[pos]! ^= 1 << bit;
              else a3[pos - b3.length]! ^= 1 << bit;
              const before = Uint8Array.from(b3);
              assert.equal(ctx.open(iv, a3, b3, 0, plain.length, b3, plain.length), false);
              assert.deepEqual(b3, before);
            }
          },
        ),
        runs(40),
      );
    });
  }

  it('aes-gmac: the ICV is the GCM tag over SPI||SN || IV || payload with an empty plaintext (RFC 4543 §3.2)', () => {
    const gmac = ENC_ALGS.find((a) => a.name === 'aes-gmac') as AeadAlg;
    fc.assert(
      fc.property(
        keyOf(gmac.keyBits),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc.uint8Array({ minLength: 8, maxLength: 12 }),
        fc.uint8Array({ maxLength: 200 }),
        (key, iv, aad, payload) => {
          const aesKey = key.subarray(0, key.length - 4);
          const nonce = new Uint8Array([...key.subarray(key.length - 4), ...iv]);
          const g = createCipheriv(`aes-${aesKey.length * 8}-gcm` as 'aes-128-gcm', aesKey, nonce);
          g.setAAD(new Uint8Array([...aad, ...iv, ...payload]));
          g.final();
          const want = new Uint8Array(g.getAuthTag());
          for (const be of gmac.backends) {
            const tag = new Uint8Array(16);
            gmac.create(key, be).seal(iv, aad, Uint8Array.from(payload), 0, payload.length, tag, 0);
            assert.deepEqual(tag, want, be);
          }
        },
      ),
      runs(30),
    );
  });

  for (const alg of AUTH_ALGS.filter((a) => a.name !== 'null')) {
    it(`${alg.name}: back-ends agree however the input is split; verify refuses any other ICV`, () => {
      fc.assert(
        fc.property(
          keyOf(alg.keyBits),
          fc.uint8Array({ maxLength: 200 }),
          fc.nat(),
          fc.nat(),
          fc.nat(),
          (key, data, cut1, cut2, flip) => {
            const a = data.length ? cut1 % (data.length + 1) : 0;
            const b = a + (data.length - a ? cut2 % (data.length - a + 1) : 0);
            const parts = [data.subarray(0, a), data.subarray(a, b), data.subarray(b)];
            let reference: Uint8Array | undefined;
            for (const be of alg.backends) {
              const ctx = alg.create(key, be);
              const icv = new Uint8Array(alg.icvLen);
              ctx.mac(parts, icv, 0);
              const whole = new Uint8Array(alg.icvLen);
              ctx.mac([data], whole, 0);
              assert.deepEqual(icv, whole, 'split input changes the ICV');
              if (reference) assert.deepEqual(icv, reference, `${be} differs`);
              reference = icv;
              assert.ok(ctx.verify(parts, icv));
              const bad = Uint8Array.from(icv);
              bad[flip % bad.length]! ^= 0x80;
              assert.equal(ctx.verify(parts, bad), false);
            }
          },
        ),
        runs(40),
      );
    });
  }

  it('deflate: compress/decompress round-trips any payload', () => {
    const d = findCompAlg('deflate');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (data) => {
        assert.deepEqual(new Uint8Array(d.decompress(d.compress(data), data.length)), data);
      }),
      runs(100),
    );
  });

  it('deflate: arbitrary bytes give a value, a RangeError or a ParseError, nothing else', () => {
    const d = findCompAlg('deflate');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 0, max: 4096 }), (junk, limit) => {
        try {
          const out = d.decompress(junk, limit);
          assert.ok(out.length <= limit);
        } catch (e) {
          assert.ok(e instanceof ParseError || e instanceof RangeError, `unexpected ${String(e)}`);
        }
      }),
      runs(1000),
    );
  });

  it('deflate: a valid stream with bytes flipped or cut gives a value, a RangeError or a ParseError', () => {
    const d = findCompAlg('deflate');
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 2000 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        fc.integer({ min: 0, max: 4096 }),
        (data, flips, cut, limit) => {
          const z = Uint8Array.from(d.compress(data));
          for (const [at, x] of flips) z[at % z.length]! ^= x;
          const input = z.subarray(0, z.length - (cut % 3));
          try {
            assert.ok(d.decompress(input, limit).length <= limit);
          } catch (e) {
            assert.ok(e instanceof ParseError || e instanceof RangeError, `unexpected ${String(e)}`);
          }
        },
      ),
      runs(300),
    );
  });
});
