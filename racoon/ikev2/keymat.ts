// Keys of an IKE SA and of its children: SKEYSEED and the seven SK_* (RFC 7296 §2.14) or, for a rekeyed IKE
// SA, SKEYSEED from the old SK_d (§2.18); a child's KEYMAT (§2.17) split into the SA pairs PF_KEY installs —
// the exchange initiator's outbound keys first — plus an IPComp pair, which has none (§2.22).
import { wipe } from '../../common/bytes.js';
import * as P from '../../pfkey/constants.js';
import type { SaPairKeys } from '../sa/sa-pair.js';
import { sadbAlgsOfChild } from './child-proposal.js';
import { deriveChildKeys, deriveIkeSaKeys, rekeySkeyseed, skeyseed } from './keys.js';
import { skKeysOf } from './protect.js';
import type { ChildSa, IkeSa, IkeSuite } from './records.js';

/** Sets `sa.keys`, `skIn` and `skOut` from g^ir (and, for a rekey, the old SA's PRF and SK_d). */
export function deriveIkeKeys(sa: IkeSa, gir: Uint8Array, old?: { suite: IkeSuite; skD: Uint8Array }): void {
  const s = sa.suite!;
  const seed = old ? rekeySkeyseed(old.suite.prf, old.skD, gir, sa.ni!, sa.nr!) : skeyseed(s.prf, sa.ni!, sa.nr!, gir);
  sa.keys = deriveIkeSaKeys(s.prf, seed, sa.ni!, sa.nr!, sa.spiI, sa.spiR, {
    integ: s.integ?.keyLen ?? 0,
    encr: s.encr.keyLen,
  });
  wipe(seed);
  const k = skKeysOf(s, sa.keys, sa.initiator);
  sa.skOut = k.out;
  sa.skIn = k.in;
}

/**
 * The SA pairs of a child whose exchange had nonces `ni`/`nr` (and g^ir with PFS). `child.initiator` says
 * whether this end sent that exchange's request: its outbound SA then takes the first keys (§2.17).
 */
export function childPairs(sa: IkeSa, child: ChildSa, ni: Uint8Array, nr: Uint8Array, gir?: Uint8Array): SaPairKeys[] {
  const algs = sadbAlgsOfChild(child.protocol, child.transforms!);
  if (!algs) throw new Error('negotiated transform without a PF_KEY algorithm');
  const k = deriveChildKeys(sa.suite!.prf, sa.keys!.d, ni, nr, algs.encKeyBytes, algs.authKeyBytes, gir);
  const i = { encKey: k.encI, authKey: k.integI };
  const r = { encKey: k.encR, authKey: k.integR };
  const [out, inn] = child.initiator ? [i, r] : [r, i];
  const pairs: SaPairKeys[] = [
    {
      algs,
      mode: child.mode,
      reqid: child.reqid,
      inbound: { spi: child.mySpi!, ...inn },
      outbound: { spi: child.peerSpi!, ...out },
      ...(child.transforms!.esn ? { esn: true } : {}),
    },
  ];
  const c = child.ipcomp;
  if (c?.peerCpi) {
    const none = new Uint8Array(0);
    pairs.push({
      algs: {
        satype: P.SADB_X_SATYPE_IPCOMP,
        encrypt: P.SADB_X_CALG_DEFLATE,
        auth: 0,
        encKeyBytes: 0,
        authKeyBytes: 0,
      },
      mode: child.mode,
      reqid: child.reqid,
      inbound: { spi: c.myCpi, encKey: none, authKey: none },
      outbound: { spi: c.peerCpi, encKey: none, authKey: none },
    });
  }
  return pairs;
}
