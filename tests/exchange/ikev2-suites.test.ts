// Exchange test of the IKEv2 suites docs/ikev2.md claims, between two racoons and two kernels: each row
// negotiates an IKE SA with one encryption / PRF (+ INTEG) / DH group (RFC 7296 §3.3.2; RFC 5282 AES-GCM and
// AES-CCM, RFC 5930 AES-CTR, RFC 7634 ChaCha20-Poly1305, RFC 4434 / RFC 4615 AES-XCBC / AES-CMAC PRF, RFC 3526
// MODP 14-18, RFC 5903 ECP 19-21, RFC 8031 Curve25519/448) and a child with one ESP suite the kernel runs; the
// child's SAs carry a ping both ways. MODP-8192 is one row only (its exponentiations are the slow part).
import { strict as assert } from 'node:assert';
import { ikeLab, type IkeLab } from './ike-lab.js';
import { v2Conf } from './ikev2-conf.js';
import { A, childStates, esp, establish, ikeStates, logs, ping } from './ikev2-steps.js';
import { B } from './ikev2-steps.js';

interface Row {
  enc: string;
  hash: string;
  group: string;
  childEnc: string;
  childAuth?: string;
  /** The IKE SA's suite as racoon logs it (ENCR/PRF[/INTEG]/DH). */
  ike: string;
  /** The child's transforms as racoon logs them. */
  child: string;
}

const ROWS: Row[] = [
  {
    enc: 'aes 128',
    hash: 'sha256',
    group: 'modp2048',
    childEnc: 'aes 128',
    childAuth: 'hmac_sha256',
    ike: 'ENCR_AES_CBC_128/PRF_HMAC_SHA2_256/AUTH_HMAC_SHA2_256_128/MODP_2048',
    child: 'ENCR_AES_CBC_128 AUTH_HMAC_SHA2_256_128',
  },
  {
    enc: 'aes 256',
    hash: 'sha384',
    group: 'modp3072',
    childEnc: 'aes 256',
    childAuth: 'hmac_sha384',
    ike: 'ENCR_AES_CBC_256/PRF_HMAC_SHA2_384/AUTH_HMAC_SHA2_384_192/MODP_3072',
    child: 'ENCR_AES_CBC_256 AUTH_HMAC_SHA2_384_192',
  },
  {
    enc: 'aes 192',
    hash: 'sha512',
    group: 'modp4096',
    childEnc: 'aes_ctr 192',
    childAuth: 'hmac_sha512',
    ike: 'ENCR_AES_CBC_192/PRF_HMAC_SHA2_512/AUTH_HMAC_SHA2_512_256/MODP_4096',
    child: 'ENCR_AES_CTR_192 AUTH_HMAC_SHA2_512_256',
  },
  {
    enc: 'aes_ctr 128',
    hash: 'sha1',
    group: 'modp6144',
    childEnc: '3des',
    childAuth: 'hmac_sha1',
    ike: 'ENCR_AES_CTR_128/PRF_HMAC_SHA1/AUTH_HMAC_SHA1_96/MODP_6144',
    child: 'ENCR_3DES AUTH_HMAC_SHA1_96',
  },
  {
    enc: 'aes 256',
    hash: 'sha256',
    group: 'modp8192',
    childEnc: 'aes_gcm_16 128',
    ike: 'ENCR_AES_CBC_256/PRF_HMAC_SHA2_256/AUTH_HMAC_SHA2_256_128/MODP_8192',
    child: 'ENCR_AES_GCM_16_128',
  },
  {
    enc: 'aes_gcm_16 256',
    hash: 'sha384',
    group: 'ecp384',
    childEnc: 'aes_gcm_16 256',
    ike: 'ENCR_AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384',
    child: 'ENCR_AES_GCM_16_256',
  },
  {
    enc: 'aes_gcm_12 128',
    hash: 'sha512',
    group: 'ecp521',
    childEnc: 'aes_gcm_12 192',
    ike: 'ENCR_AES_GCM_12_128/PRF_HMAC_SHA2_512/ECP_521',
    child: 'ENCR_AES_GCM_12_192',
  },
  {
    enc: 'aes_gcm_8 192',
    hash: 'sha256',
    group: 'ecp256',
    childEnc: 'aes_gcm_8 128',
    ike: 'ENCR_AES_GCM_8_192/PRF_HMAC_SHA2_256/ECP_256',
    child: 'ENCR_AES_GCM_8_128',
  },
  {
    enc: 'aes_ccm_16 256',
    hash: 'sha256',
    group: 'curve448',
    childEnc: 'chacha20_poly1305',
    ike: 'ENCR_AES_CCM_16_256/PRF_HMAC_SHA2_256/CURVE448',
    child: 'ENCR_CHACHA20_POLY1305',
  },
  {
    enc: 'aes_ccm_12 192',
    hash: 'aes_xcbc',
    group: 'ecp256',
    childEnc: 'aes 128',
    childAuth: 'aes_xcbc',
    ike: 'ENCR_AES_CCM_12_192/PRF_AES128_XCBC/ECP_256',
    child: 'ENCR_AES_CBC_128 AUTH_AES_XCBC_96',
  },
  {
    enc: 'aes_ccm_8 128',
    hash: 'aes_cmac',
    group: 'curve25519',
    childEnc: 'aes_ctr 256',
    childAuth: 'hmac_sha256',
    ike: 'ENCR_AES_CCM_8_128/PRF_AES128_CMAC/CURVE25519',
    child: 'ENCR_AES_CTR_256 AUTH_HMAC_SHA2_256_128',
  },
  {
    enc: 'chacha20_poly1305',
    hash: 'sha256',
    group: 'curve25519',
    childEnc: 'chacha20_poly1305',
    ike: 'ENCR_CHACHA20_POLY1305/PRF_HMAC_SHA2_256/CURVE25519',
    child: 'ENCR_CHACHA20_POLY1305',
  },
  {
    enc: 'aes 128',
    hash: 'aes_xcbc',
    group: 'modp2048',
    childEnc: 'aes 192',
    childAuth: 'hmac_md5',
    ike: 'ENCR_AES_CBC_128/PRF_AES128_XCBC/AUTH_AES_XCBC_96/MODP_2048',
    child: 'ENCR_AES_CBC_192 AUTH_HMAC_MD5_96',
  },
  {
    enc: 'aes 128',
    hash: 'aes_cmac',
    group: 'ecp256',
    childEnc: 'aes 128',
    childAuth: 'hmac_sha256',
    ike: 'ENCR_AES_CBC_128/PRF_AES128_CMAC/AUTH_AES_CMAC_96/ECP_256',
    child: 'ENCR_AES_CBC_128 AUTH_HMAC_SHA2_256_128',
  },
  {
    enc: 'camellia 256',
    hash: 'sha256',
    group: 'ecp256',
    childEnc: 'camellia 128',
    childAuth: 'hmac_sha256',
    ike: 'ENCR_CAMELLIA_CBC_256/PRF_HMAC_SHA2_256/AUTH_HMAC_SHA2_256_128/ECP_256',
    child: 'ENCR_CAMELLIA_CBC_128 AUTH_HMAC_SHA2_256_128',
  },
  {
    enc: '3des',
    hash: 'sha1',
    group: 'modp1024',
    childEnc: '3des',
    childAuth: 'hmac_sha1',
    ike: 'ENCR_3DES/PRF_HMAC_SHA1/AUTH_HMAC_SHA1_96/MODP_1024',
    child: 'ENCR_3DES AUTH_HMAC_SHA1_96',
  },
  {
    enc: 'aes 128',
    hash: 'md5',
    group: 'modp1536',
    childEnc: 'null_enc',
    childAuth: 'hmac_sha256',
    ike: 'ENCR_AES_CBC_128/PRF_HMAC_MD5/AUTH_HMAC_MD5_96/MODP_1536',
    child: 'ENCR_NULL AUTH_HMAC_SHA2_256_128',
  },
];

describe('exchange: IKEv2 suites between two racoons (IKE SA and ESP child, traffic both ways)', function () {
  this.timeout(120_000);
  let lab: IkeLab;
  afterEach(() => lab?.close());

  for (const r of ROWS)
    it(`IKE ${r.enc} / ${r.hash} / ${r.group}, ESP ${r.childEnc}${r.childAuth ? ` / ${r.childAuth}` : ''}`, async () => {
      const o = { enc: r.enc, hash: r.hash, groups: [r.group], childEnc: r.childEnc, childAuth: r.childAuth };
      lab = await ikeLab({ confA: v2Conf(B, o), confB: v2Conf(A, o), policies: esp });
      await establish(lab);
      assert.deepEqual(ikeStates(lab, 'b'), ['established'], logs(lab));
      assert.deepEqual(childStates(lab, 'a'), ['I:installed'], logs(lab));
      assert.deepEqual(childStates(lab, 'b'), ['R:installed'], logs(lab));
      for (const s of ['a', 'b'] as const) {
        assert.ok(
          lab[s].log.some((l) => /IKEv2 SA \d+ established/.test(l) && l.includes(`: ${r.ike} spi`)),
          `${s}: IKE SA suite ${r.ike}\n${logs(lab)}`,
        );
        assert.ok(
          lab[s].log.some((l) => /IKEv2 child SA \d+ established/.test(l) && l.includes(` ESP ${r.child} in `)),
          `${s}: child suite ${r.child}\n${logs(lab)}`,
        );
      }
      assert.equal(lab.a.host.sad.dump().length, 2);
      assert.equal(await ping(lab), 2, 'a -> b over the child');
      assert.equal(await ping(lab, A, 'b'), 2, 'b -> a over the child');
      for (const s of lab.a.host.sad.dump()) assert.ok(s.current.bytes > 0, `SA ${s.spi.toString(16)} carried traffic`);
    });
});
