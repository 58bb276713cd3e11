// racoon/ikev1/oakley.ts against known-answer data computed independently by tests/vectors/gen-ike-oakley.py
// (Python hashlib/hmac/cryptography): RFC 2409 §5, §5.5, §5.7, App. B and RFC 3947 §3.2.
import { strict as assert } from 'node:assert';
import * as O from '../../../../racoon/ikev1/oakley.js';
import { ikeCipher, type IkeCipherName } from '../../../../crypto/ike-cipher.js';
import type { PrfHash } from '../../../../crypto/prf.js';
import { hex, readJson, toh } from '../root.js';

type Case = Record<string, string> & {
  hash: PrfHash;
  cipher: IkeCipherName;
  keyLen: number;
  blockSize: number;
  natdPort: number;
};
const { oakley } = readJson<{ oakley: Case[] }>('tests/vectors/ike-oakley.json');

describe('racoon/oakley (known answers from an independent Python implementation)', () => {
  for (const c of oakley) {
    describe(`${c.hash} / ${c.cipher} (${c.keyLen * 8}-bit key)`, () => {
      const h = c.hash;
      const v = (k: string) => hex(c[k]!);
      const msgid = parseInt(c.msgid!, 16);

      it('SKEYID (PSK and signature forms) and SKEYID_d/_a/_e', () => {
        const skeyid = O.skeyidPsk(h, v('psk'), v('ni'), v('nr'));
        assert.equal(toh(skeyid), c.skeyid);
        assert.equal(toh(O.skeyidSig(h, v('ni'), v('nr'), v('gxy'))), c.skeyidSig);
        const dae = O.skeyidDae(h, skeyid, v('gxy'), v('ckyI'), v('ckyR'));
        assert.equal(toh(dae.d), c.skeyidD);
        assert.equal(toh(dae.a), c.skeyidA);
        assert.equal(toh(dae.e), c.skeyidE);
      });

      it('encryption key (App. B expansion when SKEYID_e is short) and phase 1 / phase 2 IVs', () => {
        assert.equal(toh(O.encryptionKey(h, v('skeyidE'), c.keyLen)), c.encKey);
        assert.equal(toh(O.phase1Iv(h, v('gxi'), v('gxr'), c.blockSize)), c.iv0);
        assert.equal(toh(O.phase2Iv(h, v('lastBlock'), msgid, c.blockSize)), c.iv2);
      });

      it('HASH_I / HASH_R', () => {
        assert.equal(
          toh(O.hashI(h, v('skeyid'), v('gxi'), v('gxr'), v('ckyI'), v('ckyR'), v('saiB'), v('idiiB'))),
          c.hashI,
        );
        assert.equal(
          toh(O.hashR(h, v('skeyid'), v('gxi'), v('gxr'), v('ckyI'), v('ckyR'), v('saiB'), v('idirB'))),
          c.hashR,
        );
      });

      it('quick mode HASH(1)/(2)/(3), informational HASH, NAT-D', () => {
        assert.equal(toh(O.qmHash1(h, v('skeyidA'), msgid, v('rest1'))), c.hash1);
        assert.equal(toh(O.qmHash2(h, v('skeyidA'), msgid, v('qmNi'), v('rest2'))), c.hash2);
        assert.equal(toh(O.qmHash3(h, v('skeyidA'), msgid, v('qmNi'), v('qmNr'))), c.hash3);
        assert.equal(toh(O.infoHash(h, v('skeyidA'), msgid, v('infoRest'))), c.infoHash);
        assert.equal(toh(O.natdHash(h, v('ckyI'), v('ckyR'), v('natdAddr'), c.natdPort)), c.natd);
      });

      it('KEYMAT with and without PFS, expanded to 72 bytes', () => {
        assert.equal(toh(O.keymat(h, v('skeyidD'), undefined, 3, v('spi'), v('qmNi'), v('qmNr'), 72)), c.keymatNoPfs);
        assert.equal(toh(O.keymat(h, v('skeyidD'), v('gqmxy'), 3, v('spi'), v('qmNi'), v('qmNr'), 72)), c.keymatPfs);
      });

      it('message body encryption (App. B padding) matches and decrypts', () => {
        const ciph = ikeCipher(c.cipher, c.keyLen * 8);
        const ct = O.encryptBody(ciph, v('encKey'), v('iv0'), v('mm5Plain'));
        assert.equal(toh(ct), c.mm5Cipher);
        const pt = O.decryptBody(ciph, v('encKey'), v('iv0'), ct)!;
        assert.equal(toh(pt.subarray(0, v('mm5Plain').length)), c.mm5Plain);
        assert.equal(O.decryptBody(ciph, v('encKey'), v('iv0'), ct.subarray(1)), null);
        assert.deepEqual(O.lastBlock(ct, c.blockSize), ct.subarray(ct.length - c.blockSize));
      });
    });
  }
});
