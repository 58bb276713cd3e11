// The `evp` back-end's per-packet path (crypto/evp-lib.ts, evp-params.ts): JS memory passed by address
// through a two-entry cache of ArrayBuffer addresses, and AES-GCM's nonce and tag moved through OSSL_PARAM
// arrays. Every kind of JS memory a packet can live in (a Buffer pool slice, a plain array at an odd
// offset, a small on-heap array, a SharedArrayBuffer view, a Node slab) is sealed and opened, rotating
// through more buffers than the cache holds, byte for byte against node:crypto; detached memory is refused.
import { strict as assert } from 'node:assert';
import { findAuthAlg, findEncAlg } from '../../../crypto/registry.js';
import type { AeadAlg, CipherAlg } from '../../../crypto/types.js';
import { evpAvailable, evpLib, evpUnavailableReason } from '../../../crypto/evp-lib.js';
import { SeededRng } from '../../../common/rng.js';

const why = evpAvailable() ? '' : evpUnavailableReason();

/** A `len`-byte window at offset `off` of different kinds of memory; index picks the kind. */
function windowOf(kind: number, off: number, len: number): Uint8Array {
  const total = off + len + 16;
  switch (kind % 5) {
    case 0:
      return Buffer.alloc(total); // from Node's pool when small
    case 1:
      return new Uint8Array(new ArrayBuffer(total + 5), 5, total);
    case 2:
      return new Uint8Array(total); // on V8's heap while ≤ 64 bytes
    case 3:
      return new Uint8Array(new SharedArrayBuffer(total + 3), 3);
    default:
      return Buffer.allocUnsafeSlow(total).fill(0);
  }
}

(why ? describe.skip : describe)(`crypto: evp per-packet calls by address${why ? ` (skipped: ${why})` : ''}`, () => {
  for (const name of ['aes-gcm-16', 'aes-gcm-8', 'aes-gmac', 'chacha20-poly1305']) {
    it(`${name}: packets in five kinds of memory, rotating, sealed and opened like node:crypto`, () => {
      const alg = findEncAlg(name) as AeadAlg;
      const rng = new SeededRng(`evp-fast:${name}`);
      const key = new Uint8Array(Math.max(...alg.keyBits) / 8);
      rng.fill(key, 0, key.length);
      const [evpTx, evpRx, node] = [alg.create(key, 'evp'), alg.create(key, 'evp'), alg.create(key, 'node')];
      for (let i = 0; i < 40; i++) {
        const len = [0, 1, 15, 40, 1400][i % 5]! + (i % 3);
        const off = i % 7;
        const plain = new Uint8Array(len);
        rng.fill(plain, 0, len);
        const iv = new Uint8Array(8);
        rng.fill(iv, 0, 8);
        const aad = windowOf(i + 2, 0, i % 2 ? 12 : 8).subarray(0, i % 2 ? 12 : 8);
        rng.fill(aad, 0, aad.length);
        const a = windowOf(i, off, len + alg.icvLen);
        const b = new Uint8Array(a.length);
        a.set(plain, off);
        b.set(plain, off);
        evpTx!.seal(iv, aad, a, off, len, a, off + len);
        node!.seal(iv, aad, b, off, len, b, off + len);
        assert.deepEqual(Uint8Array.from(a), b, `packet ${i}`);
        const c = windowOf(i + 1, off, len + alg.icvLen);
        c.set(a.subarray(0, c.length));
        if (len > 0 && i % 4 === 1) {
          c[off]! ^= 1; // a forgery: refused and left as it was
          const before = Uint8Array.from(c);
          assert.equal(evpRx!.open(iv, aad, c, off, len, c, off + len), false);
          assert.deepEqual(Uint8Array.from(c), before);
          c[off]! ^= 1;
        }
        assert.equal(evpRx!.open(iv, aad, c, off, len, c, off + len), true, `packet ${i}`);
        assert.deepEqual(Uint8Array.from(c.subarray(off, off + len)), plain);
      }
      for (const x of [evpTx, evpRx, node]) x!.wipe();
    });
  }

  it('aes-cbc and hmac-sha1 over the same five kinds of memory, like node:crypto', () => {
    const rng = new SeededRng('evp-fast:cbc');
    const key = new Uint8Array(16);
    const mkey = new Uint8Array(20);
    rng.fill(key, 0, 16);
    rng.fill(mkey, 0, 20);
    const cbc = findEncAlg('aes-cbc') as CipherAlg;
    const [ce, cn] = [cbc.create(key, 'evp'), cbc.create(key, 'node')];
    const hmac = findAuthAlg('hmac-sha1');
    const [he, hn] = [hmac.create(mkey, 'evp'), hmac.create(mkey, 'node')];
    for (let i = 0; i < 30; i++) {
      const len = 16 * (i % 6) * 15;
      const a = windowOf(i, i % 5, len);
      rng.fill(a, 0, a.length);
      const b = Uint8Array.from(a);
      const iv = windowOf(i + 3, 0, 16).subarray(0, 16);
      rng.fill(iv, 0, 16);
      ce.encrypt(iv, a, i % 5, len);
      cn.encrypt(iv, b, i % 5, len);
      assert.deepEqual(Uint8Array.from(a), b, `cbc ${i}`);
      const parts = [a.subarray(0, len), windowOf(i + 2, 0, 4).subarray(0, i % 2 ? 4 : 0)];
      const [ma, mb] = [new Uint8Array(12), new Uint8Array(12)];
      he.mac(parts, ma, 0);
      hn.mac(parts, mb, 0);
      assert.deepEqual(ma, mb, `hmac ${i}`);
    }
  });

  it('open: packets of one length in a row, then one that grows the plaintext area, then the first length', () => {
    const alg = findEncAlg('aes-gcm-16') as AeadAlg;
    const key = new Uint8Array(20).fill(3);
    const [tx, rx] = [alg.create(key, 'evp'), alg.create(key, 'evp')];
    const rng = new SeededRng('evp-fast:plain-view');
    for (const len of [1400, 1400, 1400, 5000, 1400, 1400, 64]) {
      const plain = new Uint8Array(len);
      rng.fill(plain, 0, len);
      const iv = new Uint8Array(8).fill(len & 0xff);
      const aad = new Uint8Array(8);
      const buf = new Uint8Array(len + 16);
      buf.set(plain);
      tx.seal(iv, aad, buf, 0, len, buf, len);
      assert.equal(rx.open(iv, aad, buf, 0, len, buf, len), true);
      assert.deepEqual(buf.subarray(0, len), plain, `length ${len}`);
    }
  });

  it('memory detached after use is refused, never read: seal throws, open refuses', () => {
    const alg = findEncAlg('aes-gcm-16') as AeadAlg;
    const ctx = alg.create(new Uint8Array(20), 'evp');
    const buf = new Uint8Array(200);
    ctx.seal(new Uint8Array(8), new Uint8Array(8), buf, 0, 100, buf, 100); // its address is now cached
    structuredClone(buf.buffer, { transfer: [buf.buffer] });
    assert.equal(buf.length, 0);
    assert.throws(() => ctx.seal(new Uint8Array(8), new Uint8Array(8), buf, 0, 100, buf, 100), RangeError);
    assert.equal(ctx.open(new Uint8Array(8), new Uint8Array(8), buf, 0, 100, buf, 100), false);
    ctx.wipe();
  });

  it('addressOf gives the same address for every view of one buffer, offset by byteOffset', () => {
    const e = evpLib()!;
    const ab = new ArrayBuffer(64);
    const bufs = [new Uint8Array(ab), new Uint8Array(ab, 7), new Uint8Array(8), new Uint8Array(ab, 33, 3)];
    const first = bufs.map((b) => e.addressOf(b));
    const again = bufs.map((b) => e.addressOf(b));
    assert.deepEqual(again, first);
    assert.equal(first[1]! - first[0]!, 7);
    assert.equal(first[3]! - first[0]!, 33);
    assert.ok(first.every((a) => Number.isSafeInteger(a) && a > 0));
  });
});
