// Curve25519 and Curve448 as IKEv2 groups 31 and 32 (RFC 8031) against RFC 7748 §5.2 and §6 (recomputed with
// Python's cryptography in tests/vectors/ikev2.json), and the RFC 8031 §2.3 refusal of all-zero shared secrets.
import { strict as assert } from 'node:assert';
import { DhError, DhKeyPair, findDhGroup } from '../../../crypto/dh.js';
import { ecxPublicKey, ecxSharedSecret } from '../../../crypto/dh-ecx.js';
import { SeededRng } from '../../../common/rng.js';
import { hex, loadVectors } from './vectors.js';

interface Curve {
  source: string;
  curve: 'x25519' | 'x448';
  group: number;
  a?: string;
  ka?: string;
  b?: string;
  kb?: string;
  scalar?: string;
  u?: string;
  k: string;
}
const { curves } = loadVectors<{ curves: Curve[] }>('ikev2.json');
const toh = (b: Uint8Array) => Buffer.from(b).toString('hex');
const rng = new SeededRng('curve');

describe('crypto/dh: Curve25519 and Curve448 (RFC 8031, RFC 7748)', () => {
  it('groups 31 and 32 have 32- and 56-byte public values and secrets', () => {
    assert.deepEqual([findDhGroup(31)!.publicLen, findDhGroup(31)!.sharedLen, findDhGroup(31)!.kind], [32, 32, 'ecx']);
    assert.deepEqual(
      [findDhGroup(32)!.publicLen, findDhGroup(32)!.sharedLen, findDhGroup(32)!.name],
      [56, 56, 'curve448'],
    );
  });

  for (const c of curves.filter((x) => x.a)) {
    it(`${c.source}: both public values and the shared secret`, () => {
      const g = findDhGroup(c.group)!;
      const alice = new DhKeyPair(g, rng, hex(c.a!));
      const bob = new DhKeyPair(g, rng, hex(c.b!));
      assert.equal(toh(alice.publicKey), c.ka);
      assert.equal(toh(bob.publicKey), c.kb);
      assert.equal(toh(alice.computeSecret(bob.publicKey)), c.k);
      assert.equal(toh(bob.computeSecret(alice.publicKey)), c.k);
    });
  }

  for (const c of curves.filter((x) => x.scalar)) {
    it(`${c.source}: X(scalar, u)`, () => {
      assert.equal(toh(ecxSharedSecret(c.curve, hex(c.scalar!), hex(c.u!))!), c.k);
    });
  }

  it('random pairs agree; a seeded Rng repeats the key pair', () => {
    for (const id of [31, 32]) {
      const g = findDhGroup(id)!;
      const a = new DhKeyPair(g, rng);
      const b = new DhKeyPair(g, rng);
      assert.deepEqual(a.computeSecret(b.publicKey), b.computeSecret(a.publicKey));
      assert.deepEqual(new DhKeyPair(g, new SeededRng('s')).publicKey, new DhKeyPair(g, new SeededRng('s')).publicKey);
      assert.deepEqual(
        ecxPublicKey(id === 31 ? 'x25519' : 'x448', hex(toh(new Uint8Array(g.publicLen).fill(9)))).length,
        g.publicLen,
      );
    }
  });

  it('refuses small-order peer values (all-zero secret, RFC 8031 §2.3) and wrong lengths', () => {
    const a = new DhKeyPair(findDhGroup(31)!, rng);
    const one = new Uint8Array(32);
    one[0] = 1;
    // u = 0 and u = 1 are points of small order: X25519 gives all zeros for every scalar (RFC 7748 §6.1).
    for (const bad of [new Uint8Array(32), one, new Uint8Array(31), new Uint8Array(33)])
      assert.throws(() => a.computeSecret(bad), DhError);
    const b = new DhKeyPair(findDhGroup(32)!, rng);
    for (const bad of [new Uint8Array(56), new Uint8Array(32)]) assert.throws(() => b.computeSecret(bad), DhError);
  });
});
