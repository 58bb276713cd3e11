// Known answers for the algorithms added for IKEv2: AES-CMAC (RFC 4493) and AES-CMAC-96 (RFC 4494) on both
// back-ends, the IKE PRFs AES-XCBC-PRF-128 (RFC 4434) and AES-CMAC-PRF-128 (RFC 4615) with their key-length
// rules, AES-CCM (RFC 4309 layout, against Python's cryptography via tests/vectors/ikev2.json) and the XCBC
// refactoring still matching RFC 3566.
import { strict as assert } from 'node:assert';
import { aesCmac, aesCmac96 } from '../../../crypto/cmac.js';
import { aesCcm8, aesCcm12, aesCcm16 } from '../../../crypto/ccm.js';
import { aesXcbc128 } from '../../../crypto/xcbc.js';
import { IKE_PRFS, findIkePrf, type IkePrfName } from '../../../crypto/ike-prf.js';
import { hex, loadVectors } from './vectors.js';

interface V {
  prf: { prf: IkePrfName; source: string; key: string; data: string; out: string }[];
  cmac: { source: string; key: string; data: string; mac: string }[];
}
const v = loadVectors<V>('ikev2.json');
const toh = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('crypto: AES-CMAC (RFC 4493) and AES-CMAC-96 (RFC 4494)', () => {
  for (const backend of ['node', 'noble'] as const) {
    for (const c of v.cmac) {
      it(`${c.source} [${backend}]`, () => {
        const data = hex(c.data);
        const third = Math.floor(data.length / 3);
        const parts = [data.subarray(0, third), data.subarray(third, 2 * third), data.subarray(2 * third)];
        assert.equal(toh(aesCmac(hex(c.key), parts, backend)), c.mac);
        const ctx = aesCmac96.create(hex(c.key), backend);
        const out = new Uint8Array(14).fill(0xee);
        ctx.mac(parts, out, 1);
        assert.equal(toh(out.subarray(1, 13)), c.mac.slice(0, 24));
        assert.equal(out[0], 0xee);
        assert.equal(out[13], 0xee);
        assert.equal(ctx.verify([data], hex(c.mac.slice(0, 24))), true);
        const bad = hex(c.mac.slice(0, 24));
        bad[0]! ^= 0x80;
        assert.equal(ctx.verify([data], bad), false);
        ctx.wipe();
        assert.throws(() => ctx.mac([data], out, 0), /after wipe/);
      });
    }
  }

  it('node and noble agree on every length 0..80 split at every point', () => {
    const key = hex('000102030405060708090a0b0c0d0e0f');
    const msg = Uint8Array.from({ length: 80 }, (_, i) => (i * 7) & 0xff);
    for (let n = 0; n <= 80; n++) {
      const m = msg.subarray(0, n);
      const want = toh(aesCmac(key, [m], 'noble'));
      for (const cut of [0, Math.floor(n / 2), n])
        assert.equal(toh(aesCmac(key, [m.subarray(0, cut), m.subarray(cut)])), want);
    }
  });

  it('refuses keys of the wrong length', () => {
    assert.throws(() => aesCmac96.create(new Uint8Array(20)), /128 bits/);
    assert.throws(() => aesCmac(new Uint8Array(15), []), /bits/);
  });
});

describe('crypto: IKE PRFs (RFC 4434, RFC 4615, RFC 2104/4868)', () => {
  for (const c of v.prf) {
    for (const backend of ['node', 'noble'] as const) {
      it(`${c.prf}: ${c.source} [${backend}]`, () => {
        assert.equal(toh(IKE_PRFS[c.prf].compute(hex(c.key), [hex(c.data)], backend)), c.out);
      });
    }
  }

  it('AES-XCBC-PRF-128 with a 16-byte key is AES-XCBC-MAC untruncated (RFC 3566 §4.6 case 4)', () => {
    const k = hex('000102030405060708090a0b0c0d0e0f');
    assert.equal(
      toh(aesXcbc128(k, [hex('000102030405060708090a0b0c0d0e0f10111213')])),
      '47f51b4564966215b8985c63055ed308',
    );
  });

  it('declares output and preferred key lengths (RFC 7296 §2.14) and fixed-key PRFs', () => {
    const want: Record<IkePrfName, [number, number, boolean]> = {
      'hmac-md5': [16, 16, false],
      'hmac-sha1': [20, 20, false],
      'hmac-sha256': [32, 32, false],
      'hmac-sha384': [48, 48, false],
      'hmac-sha512': [64, 64, false],
      'aes128-xcbc': [16, 16, true],
      'aes128-cmac': [16, 16, true],
    };
    for (const [n, [out, key, fixed]] of Object.entries(want)) {
      const p = findIkePrf(n)!;
      assert.deepEqual([p.outputLen, p.keyLen, p.fixedKey], [out, key, fixed], n);
    }
    assert.equal(findIkePrf('hmac-tiger'), undefined);
    assert.equal(findIkePrf('toString'), undefined);
  });

  it('HMAC PRFs agree with RFC 4231 test case 2 ("Jefe")', () => {
    const out = IKE_PRFS['hmac-sha256'].compute(new TextEncoder().encode('Jefe'), [
      new TextEncoder().encode('what do ya want '),
      new TextEncoder().encode('for nothing?'),
    ]);
    assert.equal(toh(out), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });
});

describe('crypto: AES-CCM (RFC 4309 / RFC 5282 keying: 3-byte salt, 11-byte nonce)', () => {
  for (const alg of [aesCcm8, aesCcm12, aesCcm16]) {
    it(`${alg.name}: seals, opens, and refuses a flipped bit leaving the buffer as received`, () => {
      for (const keyBits of alg.keyBits) {
        const ctx = alg.create(Uint8Array.from({ length: keyBits / 8 }, (_, i) => i));
        const iv = hex('0011223344556677');
        const aad = hex('a0a1a2a3a4a5a6a7a8');
        const pt = Uint8Array.from({ length: 37 }, (_, i) => i * 3);
        const buf = new Uint8Array(2 + pt.length + alg.icvLen);
        buf.set(pt, 2);
        ctx.seal(iv, aad, buf, 2, pt.length, buf, 2 + pt.length);
        assert.notDeepEqual(buf.subarray(2, 2 + pt.length), pt);
        const sealed = buf.slice();
        assert.equal(ctx.open(iv, aad, buf, 2, pt.length, buf, 2 + pt.length), true);
        assert.deepEqual(buf.subarray(2, 2 + pt.length), pt);
        for (const at of [2, 2 + pt.length, sealed.length - 1]) {
          const bad = sealed.slice();
          bad[at]! ^= 1;
          assert.equal(ctx.open(iv, aad, bad, 2, pt.length, bad, 2 + pt.length), false);
          const expect = sealed.slice();
          expect[at]! ^= 1;
          assert.deepEqual(bad, expect);
        }
        const badAad = aad.slice();
        badAad[0]! ^= 1;
        assert.equal(ctx.open(iv, badAad, sealed.slice(), 2, pt.length, sealed.slice(), 2 + pt.length), false);
      }
    });
  }

  it('seals an empty payload (tag only)', () => {
    const ctx = aesCcm16.create(new Uint8Array(19));
    const tag = new Uint8Array(16);
    ctx.seal(new Uint8Array(8), new Uint8Array(4), new Uint8Array(0), 0, 0, tag, 0);
    assert.equal(ctx.open(new Uint8Array(8), new Uint8Array(4), new Uint8Array(0), 0, 0, tag, 0), true);
  });

  it('refuses a key without its 3-byte salt', () => {
    assert.throws(() => aesCcm8.create(new Uint8Array(16)), /152, 216 or 280 bits/);
  });
});
