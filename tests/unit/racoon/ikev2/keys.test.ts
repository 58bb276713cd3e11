// IKEv2 key derivation against published and independent known answers: NIST CAVP SP 800-135 IKEv2 KDF cases
// (SKEYSEED, DKM = prf+, child DKM with and without D-H, rekeyed SKEYSEED), and tests/vectors/gen-ikev2.py's
// Python computation of RFC 7296 §2.13-§2.18 and the §2.15 shared-key AUTH for every PRF (XCBC/CMAC included).
import { strict as assert } from 'node:assert';
import { hex, loadIkev2Vectors, toh } from './support.js';
import { IKE_PRFS, type IkePrfName } from '../../../../crypto/ike-prf.js';
import {
  childKeymat,
  deriveChildKeys,
  deriveIkeSaKeys,
  prfPlus,
  rekeySkeyseed,
  skeyseed,
  wipeIkeSaKeys,
} from '../../../../racoon/ikev2/keys.js';
import {
  IKEV2_KEY_PAD,
  sharedKeyAuth,
  signedOctets,
  verifySharedKeyAuth,
} from '../../../../racoon/ikev2/signed-octets.js';
import { decodeId } from '../../../../racoon/ikev2/payloads/id.js';

interface Cavp {
  source: string;
  prf: IkePrfName;
  ni: string;
  nr: string;
  gir: string;
  girNew: string;
  spii: string;
  spir: string;
  skeyseed: string;
  dkm: string;
  dkmChild: string;
  dkmChildDh: string;
  skeyseedRekey: string;
}
interface Ike {
  prf: IkePrfName;
  [k: string]: string | number;
}
const V = loadIkev2Vectors<{ cavp: Cavp[]; ike: Ike[] }>();
const s = (c: Ike, k: string) => hex(c[k] as string);

describe('racoon/ikev2 keys: NIST CAVP SP 800-135 IKEv2 KDF', () => {
  for (const c of V.cavp) {
    it(c.source, () => {
      const prf = IKE_PRFS[c.prf];
      const [ni, nr, gir, girNew] = [hex(c.ni), hex(c.nr), hex(c.gir), hex(c.girNew)];
      const seed = skeyseed(prf, ni, nr, gir);
      assert.equal(toh(seed), c.skeyseed);
      const seedBytes = new Uint8Array([...ni, ...nr, ...hex(c.spii), ...hex(c.spir)]);
      const dkm = prfPlus(prf, seed, seedBytes, c.dkm.length / 2);
      assert.equal(toh(dkm), c.dkm);
      const skD = dkm.subarray(0, prf.keyLen);
      assert.equal(toh(childKeymat(prf, skD, ni, nr, c.dkmChild.length / 2)), c.dkmChild);
      assert.equal(toh(childKeymat(prf, skD, ni, nr, c.dkmChildDh.length / 2, girNew)), c.dkmChildDh);
      assert.equal(toh(rekeySkeyseed(prf, skD, girNew, ni, nr)), c.skeyseedRekey);
      // deriveIkeSaKeys cuts the same DKM into SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr (§2.14).
      const k = deriveIkeSaKeys(prf, seed, ni, nr, hex(c.spii), hex(c.spir), { integ: 20, encr: 16 });
      assert.equal(
        toh(k.d) + toh(k.ai) + toh(k.ar) + toh(k.ei) + toh(k.er) + toh(k.pi) + toh(k.pr),
        c.dkm.slice(0, 2 * 132),
      );
    });
  }
});

describe('racoon/ikev2 keys: every PRF against the Python computation', () => {
  for (const c of V.ike) {
    it(`${c.prf}: SKEYSEED, SK_*, CHILD_SA KEYMAT with/without PFS, rekeyed SKEYSEED, PSK AUTH`, () => {
      const prf = IKE_PRFS[c.prf];
      const seed = skeyseed(prf, s(c, 'ni'), s(c, 'nr'), s(c, 'gir'));
      assert.equal(toh(seed), c.skeyseed);
      const lens = { integ: c.integLen as number, encr: c.encrLen as number };
      const k = deriveIkeSaKeys(prf, seed, s(c, 'ni'), s(c, 'nr'), s(c, 'spii'), s(c, 'spir'), lens);
      assert.deepEqual(
        [k.d, k.ai, k.ar, k.ei, k.er, k.pi, k.pr].map(toh),
        ['skD', 'skAi', 'skAr', 'skEi', 'skEr', 'skPi', 'skPr'].map((n) => c[n]),
      );
      assert.equal(k.d.length, prf.keyLen);
      const [enc, integ] = [c.childEncLen as number, c.childIntegLen as number];
      assert.equal(toh(childKeymat(prf, k.d, s(c, 'ni'), s(c, 'nr'), 2 * (enc + integ))), c.keymat);
      const ck = deriveChildKeys(prf, k.d, s(c, 'ni'), s(c, 'nr'), enc, integ, s(c, 'girNew'));
      // §2.17: initiator-to-responder encryption, its integrity key, then the other direction.
      assert.equal(toh(ck.encI) + toh(ck.integI) + toh(ck.encR) + toh(ck.integR), c.keymatPfs);
      assert.equal(toh(rekeySkeyseed(prf, k.d, s(c, 'girNew'), s(c, 'ni'), s(c, 'nr'))), c.skeyseedRekey);
      const idi = decodeId(s(c, 'idiBody')).value;
      const octets = signedOctets(prf, s(c, 'msg1'), s(c, 'nr'), k.pi, idi);
      assert.equal(toh(octets), c.octetsI);
      assert.equal(toh(sharedKeyAuth(prf, s(c, 'psk'), octets)), c.authI);
      assert.equal(verifySharedKeyAuth(prf, s(c, 'psk'), octets, s(c, 'authI')), true);
      const bad = s(c, 'authI');
      bad[bad.length - 1]! ^= 1;
      assert.equal(verifySharedKeyAuth(prf, s(c, 'psk'), octets, bad), false);
      assert.equal(verifySharedKeyAuth(prf, s(c, 'psk'), octets, s(c, 'authI').subarray(1)), false);
      wipeIkeSaKeys(k);
      assert.ok(k.d.every((b) => b === 0) && k.pr.every((b) => b === 0));
    });
  }

  it('prf+ is T1 | T2 | ... with the counter octet last (§2.13), and stops at 255 iterations', () => {
    const prf = IKE_PRFS['hmac-sha256'];
    const key = hex('0b'.repeat(32));
    const seed = hex('0102');
    const t1 = prf.compute(key, [seed, Uint8Array.of(1)]);
    const t2 = prf.compute(key, [t1, seed, Uint8Array.of(2)]);
    assert.equal(toh(prfPlus(prf, key, seed, 40)), toh(t1) + toh(t2).slice(0, 16));
    assert.equal(prfPlus(prf, key, seed, 255 * 32).length, 255 * 32);
    assert.throws(() => prfPlus(prf, key, seed, 255 * 32 + 1), /255/);
  });

  it('a fixed-key PRF uses only the first 64 bits of each nonce for SKEYSEED (§2.14)', () => {
    const prf = IKE_PRFS['aes128-xcbc'];
    const ni = hex('00112233445566778899aabbccddeeff');
    const nr = hex('ffeeddccbbaa99887766554433221100');
    const gir = hex('42'.repeat(32));
    const want = prf.compute(hex('0011223344556677ffeeddccbbaa9988'), [gir]);
    assert.deepEqual(skeyseed(prf, ni, nr, gir), want);
    assert.deepEqual(skeyseed(prf, new Uint8Array([...ni, 1, 2, 3]), nr, gir), want);
  });

  it('the key pad is the 17 octets "Key Pad for IKEv2" (§2.15)', () => {
    assert.equal(toh(IKEV2_KEY_PAD), '4b65792050616420666f7220494b457632');
    assert.equal(IKEV2_KEY_PAD.length, 17);
  });
});
