// Context life cycle and argument checks: contexts copy the key (the caller may reuse its buffer),
// wipe() makes them unusable, and malformed arguments are RangeErrors rather than silent garbage.
import { strict as assert } from 'node:assert';
import { AUTH_ALGS, ENC_ALGS, findAuthAlg, findEncAlg } from '../../../crypto/registry.js';
import type { AeadAlg, AeadCtx, AuthCtx, CipherAlg, CipherCtx } from '../../../crypto/types.js';

const keyFor = (bits: readonly number[]): Uint8Array =>
  Uint8Array.from({ length: Math.max(...bits) / 8 }, (_, i) => i * 7 + 1);
const IV8 = new Uint8Array(8).fill(9);

function useCipher(ctx: CipherCtx, alg: CipherAlg): Uint8Array {
  const buf = new Uint8Array(alg.blockSize * 4).fill(0x5a);
  ctx.encrypt(new Uint8Array(alg.ivLen).fill(3), buf, 0, buf.length);
  return buf;
}
function useAead(ctx: AeadCtx, alg: AeadAlg): Uint8Array {
  const buf = new Uint8Array(32 + alg.icvLen).fill(0x5a);
  ctx.seal(IV8, new Uint8Array(8), buf, 0, 32, buf, 32);
  return buf;
}
function useAuth(ctx: AuthCtx, icvLen: number): Uint8Array {
  const out = new Uint8Array(icvLen);
  ctx.mac([new Uint8Array(40).fill(0x5a)], out, 0);
  return out;
}

describe('crypto: context life cycle', () => {
  for (const alg of ENC_ALGS.filter((a) => a.name !== 'null')) {
    for (const be of alg.backends) {
      it(`${alg.name} [${be}]: keeps its own key copy and refuses use after wipe()`, () => {
        const key = keyFor(alg.keyBits);
        const use = (): Uint8Array =>
          alg.kind === 'aead' ? useAead(alg.create(key, be), alg) : useCipher(alg.create(key, be), alg);
        const expected = use();
        const ctx = alg.create(key, be);
        key.fill(0xff); // the caller wipes or reuses its buffer
        const got = alg.kind === 'aead' ? useAead(ctx as AeadCtx, alg) : useCipher(ctx as CipherCtx, alg);
        key.set(keyFor(alg.keyBits));
        assert.deepEqual(got, expected);
        ctx.wipe();
        if (alg.kind === 'aead') {
          assert.throws(() => useAead(ctx as AeadCtx, alg), /after wipe/);
          assert.throws(
            () =>
              (ctx as AeadCtx).open(
                IV8,
                new Uint8Array(8),
                new Uint8Array(alg.icvLen),
                0,
                0,
                new Uint8Array(alg.icvLen),
                0,
              ),
            /after wipe/,
          );
        } else {
          assert.throws(() => useCipher(ctx as CipherCtx, alg), /after wipe/);
        }
      });
    }
  }

  for (const alg of AUTH_ALGS.filter((a) => a.name !== 'null')) {
    for (const be of alg.backends) {
      it(`${alg.name} [${be}]: keeps its own key copy and refuses use after wipe()`, () => {
        const key = keyFor(alg.keyBits);
        const expected = useAuth(alg.create(key, be), alg.icvLen);
        const ctx = alg.create(key, be);
        key.fill(0xff);
        assert.deepEqual(useAuth(ctx, alg.icvLen), expected);
        ctx.wipe();
        assert.throws(() => useAuth(ctx, alg.icvLen), /after wipe/);
        assert.throws(() => ctx.verify([new Uint8Array(1)], expected), /after wipe/);
      });
    }
  }
});

describe('crypto: argument checks', () => {
  it('CBC refuses a length that is not a whole number of blocks, and a wrong IV length', () => {
    const alg = findEncAlg('aes-cbc') as CipherAlg;
    for (const be of alg.backends) {
      const ctx = alg.create(new Uint8Array(16), be);
      assert.throws(() => ctx.encrypt(new Uint8Array(16), new Uint8Array(20), 0, 20), /not a multiple of 16/);
      assert.throws(() => ctx.decrypt(new Uint8Array(8), new Uint8Array(16), 0, 16), /IV must be 16 bytes/);
    }
    const des3 = findEncAlg('3des-cbc') as CipherAlg;
    assert.throws(
      () => des3.create(new Uint8Array(24)).encrypt(new Uint8Array(8), new Uint8Array(12), 0, 12),
      /multiple of 8/,
    );
  });

  it('CTR and the AEADs want an 8-byte IV', () => {
    assert.throws(
      () =>
        (findEncAlg('aes-ctr') as CipherAlg)
          .create(new Uint8Array(20))
          .encrypt(new Uint8Array(16), new Uint8Array(4), 0, 4),
      /IV must be 8 bytes/,
    );
    for (const name of ['aes-gcm-16', 'chacha20-poly1305', 'aes-gmac']) {
      const alg = findEncAlg(name) as AeadAlg;
      for (const be of alg.backends) {
        const ctx = alg.create(new Uint8Array(Math.max(...alg.keyBits) / 8), be);
        assert.throws(
          () => ctx.seal(new Uint8Array(12), new Uint8Array(8), new Uint8Array(32), 0, 16, new Uint8Array(32), 16),
          /IV must be 8 bytes/,
        );
      }
    }
  });

  it('seal without room for the ICV is a RangeError; open with a short ICV area is a plain refusal', () => {
    for (const name of ['aes-gcm-16', 'aes-gcm-8', 'chacha20-poly1305', 'aes-gmac']) {
      const alg = findEncAlg(name) as AeadAlg;
      for (const be of alg.backends) {
        const ctx = alg.create(new Uint8Array(Math.max(...alg.keyBits) / 8), be);
        const buf = new Uint8Array(20);
        assert.throws(() => ctx.seal(IV8, new Uint8Array(8), buf, 0, 16, buf, 16), /no room/);
        const before = Uint8Array.from(buf);
        assert.equal(ctx.open(IV8, new Uint8Array(8), buf, 0, 16, buf, 16), false);
        assert.deepEqual(buf, before);
      }
    }
    const mac = findAuthAlg('hmac-sha256').create(new Uint8Array(32));
    assert.throws(() => mac.mac([new Uint8Array(3)], new Uint8Array(20), 8), /no room/);
  });

  it('a range outside the buffer is a RangeError (seal/encrypt) or a refusal (open), never a silent clamp', () => {
    for (const name of ['aes-cbc', 'aes-ctr', '3des-cbc']) {
      const alg = findEncAlg(name) as CipherAlg;
      for (const be of alg.backends) {
        const ctx = alg.create(new Uint8Array(Math.max(...alg.keyBits) / 8), be);
        const iv = new Uint8Array(alg.ivLen);
        assert.throws(() => ctx.encrypt(iv, new Uint8Array(32), 16, 32), /outside a 32-byte buffer/);
        assert.throws(() => ctx.decrypt(iv, new Uint8Array(32), -16, 16), /outside/);
      }
    }
    for (const name of ['aes-gcm-16', 'chacha20-poly1305', 'aes-gmac']) {
      const alg = findEncAlg(name) as AeadAlg;
      for (const be of alg.backends) {
        const ctx = alg.create(new Uint8Array(Math.max(...alg.keyBits) / 8), be);
        const buf = new Uint8Array(40);
        assert.throws(() => ctx.seal(IV8, new Uint8Array(8), buf, 8, 40, new Uint8Array(16), 0), /outside/);
        assert.equal(ctx.open(IV8, new Uint8Array(8), buf, 8, 40, new Uint8Array(16), 0), false);
      }
    }
  });

  it('null encryption and null auth are identities', () => {
    const enc = findEncAlg('null') as CipherAlg;
    const buf = Uint8Array.from([1, 2, 3, 4]);
    enc.create(new Uint8Array(0)).encrypt(new Uint8Array(0), buf, 0, 4);
    assert.deepEqual(buf, Uint8Array.from([1, 2, 3, 4]));
    assert.equal(enc.blockSize, 4);
    const auth = findAuthAlg('null');
    assert.equal(auth.icvLen, 0);
    assert.ok(auth.create(new Uint8Array(0)).verify([buf], new Uint8Array(0)));
    assert.equal(auth.create(new Uint8Array(0)).verify([buf], new Uint8Array(1)), false);
  });
});
