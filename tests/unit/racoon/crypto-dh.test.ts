// crypto/dh.ts and crypto/prf.ts: RFC 5903 ECP vectors, MODP values from Python's pow(), primes against
// OpenSSL's copies, peer value validation, and the HMAC PRF on both back-ends (RFC 2202 / RFC 4231).
import { strict as assert } from 'node:assert';
import { getDiffieHellman } from 'node:crypto';
import { DhError, DhKeyPair, DH_GROUP_IDS, findDhGroup } from '../../../crypto/dh.js';
import { MODP_PRIMES } from '../../../crypto/modp-primes.js';
import { hash, prf, PRF_HASHES, type PrfHash } from '../../../crypto/prf.js';
import { ikeCipher } from '../../../crypto/ike-cipher.js';
import { SeededRng } from '../../../common/rng.js';
import { hex, readJson, toh } from './root.js';

interface EcpCase {
  source: string;
  group: number;
  i: string;
  gi?: string;
  r: string;
  gr?: string;
  girx: string;
}
interface HmacCase {
  source: string;
  hash: PrfHash;
  key: string;
  data: string;
  mac: string;
}
interface ModpCase {
  group: number;
  xi: string;
  xr: string;
  gxi: string;
  gxr: string;
  gxy: string;
}

const ecp = readJson<{ ecp: EcpCase[]; hmac: HmacCase[] }>('tests/vectors/ike-ecp.json');
const oak = readJson<{ modp: ModpCase[] }>('tests/vectors/ike-oakley.json');
const rng = new SeededRng('dh');

describe('crypto/dh', () => {
  it('supports MODP 1, 2, 5, 14-18, ECP 19-21 and Curve25519/448 (31, 32)', () => {
    assert.deepEqual(DH_GROUP_IDS, [1, 2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 31, 32]);
    assert.equal(findDhGroup(3), undefined);
    assert.equal(findDhGroup(14)!.publicLen, 256);
    assert.equal(findDhGroup(21)!.publicLen, 132);
  });

  it('MODP primes equal the copies OpenSSL ships (RFC 2409 §6, RFC 3526)', () => {
    const openssl: Record<number, string> = {
      1: 'modp1',
      2: 'modp2',
      5: 'modp5',
      14: 'modp14',
      15: 'modp15',
      16: 'modp16',
      17: 'modp17',
      18: 'modp18',
    };
    for (const [id, name] of Object.entries(openssl)) {
      assert.equal(MODP_PRIMES[Number(id)]!.toLowerCase(), getDiffieHellman(name).getPrime('hex'), `group ${id}`);
    }
  });

  for (const c of ecp.ecp) {
    it(`ECP group ${c.group}: ${c.source}`, () => {
      const g = findDhGroup(c.group)!;
      const a = new DhKeyPair(g, rng, hex(c.i));
      const b = new DhKeyPair(g, rng, hex(c.r));
      if (c.gi) assert.equal(toh(a.publicKey), c.gi.toLowerCase());
      if (c.gr) assert.equal(toh(b.publicKey), c.gr.toLowerCase());
      assert.equal(toh(a.computeSecret(b.publicKey)), c.girx.toLowerCase());
      assert.equal(toh(b.computeSecret(a.publicKey)), c.girx.toLowerCase());
    });
  }

  for (const c of oak.modp) {
    it(`MODP group ${c.group} against Python pow()`, () => {
      const g = findDhGroup(c.group)!;
      const a = new DhKeyPair(g, rng, hex(c.xi));
      const b = new DhKeyPair(g, rng, hex(c.xr));
      assert.equal(toh(a.publicKey), c.gxi);
      assert.equal(toh(b.publicKey), c.gxr);
      assert.equal(toh(a.computeSecret(b.publicKey)), c.gxy);
      assert.equal(toh(b.computeSecret(a.publicKey)), c.gxy);
    });
  }

  it('random key pairs agree in every group, with padded fixed-length values', () => {
    for (const id of DH_GROUP_IDS) {
      const g = findDhGroup(id)!;
      const a = new DhKeyPair(g, rng);
      const b = new DhKeyPair(g, rng);
      assert.equal(a.publicKey.length, g.publicLen);
      const s = a.computeSecret(b.publicKey);
      assert.equal(s.length, g.sharedLen);
      assert.deepEqual(s, b.computeSecret(a.publicKey));
    }
  });

  it('a seeded Rng gives the same key pair twice (deterministic exchanges)', () => {
    const g = findDhGroup(14)!;
    assert.deepEqual(new DhKeyPair(g, new SeededRng('x')).publicKey, new DhKeyPair(g, new SeededRng('x')).publicKey);
  });

  it('refuses MODP peer values 0, 1, p-1, p, and wrong lengths', () => {
    const g = findDhGroup(2)!;
    const a = new DhKeyPair(g, rng);
    const p = hex(MODP_PRIMES[2]!);
    const pm1 = Uint8Array.from(p);
    pm1[pm1.length - 1]! -= 1;
    const one = new Uint8Array(128);
    one[127] = 1;
    for (const bad of [new Uint8Array(128), one, pm1, p, new Uint8Array(127), new Uint8Array(129)]) {
      assert.throws(() => a.computeSecret(bad), DhError);
    }
  });

  it('refuses ECP points not on the curve and wrong lengths', () => {
    const g = findDhGroup(19)!;
    const a = new DhKeyPair(g, rng);
    const b = new DhKeyPair(g, rng);
    const bad = Uint8Array.from(b.publicKey);
    bad[63]! ^= 1;
    assert.throws(() => a.computeSecret(bad), DhError);
    assert.throws(() => a.computeSecret(new Uint8Array(64)), DhError);
    assert.throws(() => a.computeSecret(b.publicKey.subarray(1)), DhError);
  });
});

describe('crypto/prf', () => {
  for (const c of ecp.hmac) {
    it(`HMAC-${c.hash} (${c.source}) on node and noble`, () => {
      assert.equal(toh(prf(c.hash, hex(c.key), [hex(c.data)])), c.mac);
      assert.equal(toh(prf(c.hash, hex(c.key), [hex(c.data)], 'noble')), c.mac);
      // Split input gives the same MAC.
      const d = hex(c.data);
      assert.equal(toh(prf(c.hash, hex(c.key), [d.subarray(0, 5), d.subarray(5)])), c.mac);
    });
  }

  it('hash agrees between back-ends for every hash', () => {
    for (const h of PRF_HASHES) {
      const parts = [hex('00112233'), new Uint8Array(200).fill(7)];
      assert.deepEqual(hash(h, parts), hash(h, parts, 'noble'));
    }
  });

  it('phase 1 ciphers round-trip and refuse partial blocks', () => {
    for (const [name, bits] of [
      ['des', 64],
      ['3des', 192],
      ['aes', 128],
      ['aes', 192],
      ['aes', 256],
    ] as const) {
      const c = ikeCipher(name, bits);
      assert.equal(c.keyLen, bits / 8);
      const key = new Uint8Array(c.keyLen).map((_, i) => i * 7 + 1);
      const iv = new Uint8Array(c.blockSize).fill(9);
      const data = new Uint8Array(c.blockSize * 3).map((_, i) => i);
      const ct = c.encrypt(key, iv, data);
      assert.notDeepEqual(ct, data);
      assert.deepEqual(c.decrypt(key, iv, ct), data);
      assert.throws(() => c.encrypt(key, iv, data.subarray(1)), RangeError);
    }
    assert.throws(() => ikeCipher('aes', 100), RangeError);
  });
});
