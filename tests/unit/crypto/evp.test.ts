// The `evp` back-end (crypto/evp-*.ts): one OpenSSL context per SA reused for every packet must give, packet
// after packet, exactly what node:crypto's context-per-packet gives, each back-end must open the other's
// output, a forgery in between must not disturb the next packet, and UIPSEC_CRYPTO=node must select node:crypto.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { findAuthAlg, findEncAlg } from '../../../crypto/registry.js';
import type { AeadAlg, AeadCtx, CipherAlg } from '../../../crypto/types.js';
import { EvpAeadCtx } from '../../../crypto/evp-aead.js';
import { EvpCbcCtx } from '../../../crypto/evp-cbc.js';
import { EvpHmacCtx } from '../../../crypto/evp-hmac.js';
import { evpAvailable, evpUnavailableReason } from '../../../crypto/evp-lib.js';
import { SeededRng } from '../../../common/rng.js';
import { repoRoot } from '../ipsec/esp-support.js';

const why = evpAvailable() ? '' : evpUnavailableReason();
const AEADS = ['aes-gcm-16', 'aes-gcm-12', 'aes-gcm-8', 'aes-gmac', 'chacha20-poly1305'];
const PACKETS = 60;

function rand(rng: SeededRng, n: number): Uint8Array {
  const b = new Uint8Array(n);
  rng.fill(b, 0, n);
  return b;
}

/** A packet as ESP lays it out: 8-byte AAD source, payload at an odd offset, ICV right after. */
function sealWith(ctx: AeadCtx, alg: AeadAlg, iv: Uint8Array, aad: Uint8Array, plain: Uint8Array): Uint8Array {
  const buf = new Uint8Array(3 + plain.length + alg.icvLen);
  buf.set(plain, 3);
  ctx.seal(iv, aad, buf, 3, plain.length, buf, 3 + plain.length);
  return buf;
}

(why ? describe.skip : describe)(
  `crypto: the evp back-end against node:crypto${why ? ` (skipped: ${why})` : ''}`,
  () => {
    for (const name of AEADS) {
      it(`${name}: one context per direction, ${PACKETS} packets, identical to node:crypto both ways`, () => {
        const alg = findEncAlg(name) as AeadAlg;
        const rng = new SeededRng(`evp:${name}`);
        const key = rand(rng, Math.max(...alg.keyBits) / 8);
        const [evpTx, evpRx, nodeTx, nodeRx] = [0, 1, 2, 3].map((i) => alg.create(key, i < 2 ? 'evp' : 'node'));
        assert.ok(evpTx instanceof EvpAeadCtx);
        for (let i = 0; i < PACKETS; i++) {
          const len = i === 0 ? 0 : ((i * 97) % 1500) + (i % 3);
          const plain = rand(rng, len);
          const iv = rand(rng, 8);
          const aad = rand(rng, i % 2 ? 12 : 8); // with and without ESN's high word
          const a = sealWith(evpTx!, alg, iv, aad, plain);
          const b = sealWith(nodeTx!, alg, iv, aad, plain);
          assert.deepEqual(a, b, `packet ${i}`);
          assert.equal(nodeRx!.open(iv, aad, a, 3, len, a, 3 + len), true);
          assert.deepEqual(a.subarray(3, 3 + len), plain);
          if (i % 7 === 3) {
            // A forgery between good packets: refused, bytes untouched, and the context still serves.
            const f = Uint8Array.from(b);
            f[f.length - 1]! ^= 1;
            const before = Uint8Array.from(f);
            assert.equal(evpRx!.open(iv, aad, f, 3, len, f, 3 + len), false);
            assert.deepEqual(f, before);
          }
          assert.equal(evpRx!.open(iv, aad, b, 3, len, b, 3 + len), true, `packet ${i}`);
          assert.deepEqual(b.subarray(3, 3 + len), plain);
        }
        for (const c of [evpTx, evpRx, nodeTx, nodeRx]) c!.wipe();
      });
    }

    for (const bits of [128, 192, 256]) {
      it(`aes-cbc-${bits}: one context per direction, in place at any offset, identical to node:crypto`, () => {
        const alg = findEncAlg('aes-cbc') as CipherAlg;
        const rng = new SeededRng(`evp:cbc${bits}`);
        const key = rand(rng, bits / 8);
        const e = alg.create(key, 'evp');
        const n = alg.create(key, 'node');
        assert.ok(e instanceof EvpCbcCtx);
        for (let i = 0; i < PACKETS; i++) {
          const len = 16 * (i % 90);
          const off = i % 5;
          const iv = rand(rng, 16);
          const a = rand(rng, len + off + 4);
          const b = Uint8Array.from(a);
          e.encrypt(iv, a, off, len);
          n.encrypt(iv, b, off, len);
          assert.deepEqual(a, b, `packet ${i}`);
          e.decrypt(iv, b, off, len);
          n.decrypt(iv, a, off, len);
          assert.deepEqual(a, b);
        }
        e.wipe();
        n.wipe();
      });
    }

    for (const name of ['hmac-sha1', 'hmac-sha256', 'hmac-sha384', 'hmac-sha512']) {
      it(`${name}: one keyed context restarted per packet, identical to node:crypto; verify refuses a flipped ICV`, () => {
        const alg = findAuthAlg(name);
        const rng = new SeededRng(`evp:${name}`);
        const key = rand(rng, alg.keyBits[0]! / 8);
        const e = alg.create(key, 'evp');
        const n = alg.create(key, 'node');
        assert.ok(e instanceof EvpHmacCtx);
        for (let i = 0; i < PACKETS; i++) {
          const parts = [rand(rng, (i * 53) % 1500), rand(rng, i % 2 ? 4 : 0)];
          const a = new Uint8Array(alg.icvLen);
          const b = new Uint8Array(alg.icvLen);
          e.mac(parts, a, 0);
          n.mac(parts, b, 0);
          assert.deepEqual(a, b, `packet ${i}`);
          assert.equal(e.verify(parts, b), true);
          b[i % b.length]! ^= 0x10;
          assert.equal(e.verify(parts, b), false);
        }
        e.wipe();
        n.wipe();
      });
    }

    it('is the default back-end for GCM, CBC and HMAC where available', () => {
      assert.ok((findEncAlg('aes-gcm-16') as AeadAlg).create(new Uint8Array(20)) instanceof EvpAeadCtx);
      assert.ok((findEncAlg('aes-cbc') as CipherAlg).create(new Uint8Array(16)) instanceof EvpCbcCtx);
      assert.ok(findAuthAlg('hmac-sha1').create(new Uint8Array(20)) instanceof EvpHmacCtx);
    });
  },
);

describe('crypto: back-end selection', () => {
  it('UIPSEC_CRYPTO=node makes node:crypto the default and refuses an explicit evp with the reason', () => {
    const script = [
      `const { findEncAlg } = await import(${JSON.stringify(join(repoRoot(), 'dist/crypto/registry.js'))});`,
      `const alg = findEncAlg('aes-gcm-16');`,
      `const ctx = alg.create(new Uint8Array(20));`,
      `let refused = '';`,
      `try { alg.create(new Uint8Array(20), 'evp'); } catch (e) { refused = e.message; }`,
      `console.log(JSON.stringify({ ctor: ctx.constructor.name, refused }));`,
    ].join('\n');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, UIPSEC_CRYPTO: 'node' },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { ctor: string; refused: string };
    assert.equal(out.ctor, 'NodeAeadCtx');
    assert.match(out.refused, /'evp' back-end is not available \(UIPSEC_CRYPTO=node\)/);
  });
});
