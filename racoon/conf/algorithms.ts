// racoon.conf algorithm names and the wire numbers they stand for: phase 1 (RFC 2409 App. A) and phase 2
// (RFC 2407 §4.4/§4.5), with the key lengths each cipher accepts. Names are those racoon.conf(5) documents.
import * as C from '../isakmp/constants.js';
import * as T from '../ikev2/transforms.js';

/** One named algorithm. `keyLens` lists accepted key lengths in bits (absent = fixed-size cipher). */
export interface AlgorithmDef {
  id: number;
  keyLens?: readonly number[];
  /** The name a number stands for (`dh_group 2` is modp1024): the key of the support table (support.ts). */
  canonical?: string;
}

const range8 = (lo: number, hi: number) => Array.from({ length: (hi - lo) / 8 + 1 }, (_, i) => lo + 8 * i);
const AES_KEYS = [128, 192, 256] as const;

export const PH1_ENC: Readonly<Record<string, AlgorithmDef>> = {
  des: { id: C.OAKLEY_ATTR_ENC_ALG_DES },
  '3des': { id: C.OAKLEY_ATTR_ENC_ALG_3DES },
  idea: { id: C.OAKLEY_ATTR_ENC_ALG_IDEA },
  blowfish: { id: C.OAKLEY_ATTR_ENC_ALG_BLOWFISH, keyLens: range8(40, 448) },
  rc5: { id: C.OAKLEY_ATTR_ENC_ALG_RC5, keyLens: range8(40, 2040) },
  cast128: { id: C.OAKLEY_ATTR_ENC_ALG_CAST, keyLens: range8(40, 128) },
  aes: { id: C.OAKLEY_ATTR_ENC_ALG_AES, keyLens: AES_KEYS },
  rijndael: { id: C.OAKLEY_ATTR_ENC_ALG_AES, keyLens: AES_KEYS },
  camellia: { id: C.OAKLEY_ATTR_ENC_ALG_CAMELLIA, keyLens: AES_KEYS },
  // IKEv2 only (RFC 5930, RFC 5282, RFC 7634): the IKEv2 ENCR ids; an IKEv1 proposal refuses them (support.ts).
  aes_ctr: { id: T.IKEV2_ENCR_AES_CTR, keyLens: AES_KEYS },
  aes_gcm_16: { id: T.IKEV2_ENCR_AES_GCM_16, keyLens: AES_KEYS },
  aes_gcm_12: { id: T.IKEV2_ENCR_AES_GCM_12, keyLens: AES_KEYS },
  aes_gcm_8: { id: T.IKEV2_ENCR_AES_GCM_8, keyLens: AES_KEYS },
  aes_ccm_16: { id: T.IKEV2_ENCR_AES_CCM_16, keyLens: AES_KEYS },
  aes_ccm_12: { id: T.IKEV2_ENCR_AES_CCM_12, keyLens: AES_KEYS },
  aes_ccm_8: { id: T.IKEV2_ENCR_AES_CCM_8, keyLens: AES_KEYS },
  chacha20_poly1305: { id: T.IKEV2_ENCR_CHACHA20_POLY1305 },
};

export const PH1_HASH: Readonly<Record<string, AlgorithmDef>> = {
  md5: { id: C.OAKLEY_ATTR_HASH_ALG_MD5 },
  sha1: { id: C.OAKLEY_ATTR_HASH_ALG_SHA },
  tiger: { id: C.OAKLEY_ATTR_HASH_ALG_TIGER },
  sha256: { id: C.OAKLEY_ATTR_HASH_ALG_SHA2_256 },
  sha2_256: { id: C.OAKLEY_ATTR_HASH_ALG_SHA2_256 },
  sha384: { id: C.OAKLEY_ATTR_HASH_ALG_SHA2_384 },
  sha2_384: { id: C.OAKLEY_ATTR_HASH_ALG_SHA2_384 },
  sha512: { id: C.OAKLEY_ATTR_HASH_ALG_SHA2_512 },
  sha2_512: { id: C.OAKLEY_ATTR_HASH_ALG_SHA2_512 },
  // IKEv2 only (RFC 4434 / RFC 3566, RFC 4615 / RFC 4494): the PRF ids.
  aes_xcbc: { id: T.IKEV2_PRF_AES128_XCBC },
  aes_cmac: { id: T.IKEV2_PRF_AES128_CMAC },
};

export const PH1_AUTH: Readonly<Record<string, AlgorithmDef>> = {
  pre_shared_key: { id: C.OAKLEY_ATTR_AUTH_METHOD_PSKEY },
  dsssig: { id: C.OAKLEY_ATTR_AUTH_METHOD_DSSSIG },
  rsasig: { id: C.OAKLEY_ATTR_AUTH_METHOD_RSASIG },
  rsaenc: { id: C.OAKLEY_ATTR_AUTH_METHOD_RSAENC },
  rsarev: { id: C.OAKLEY_ATTR_AUTH_METHOD_RSAREV },
  gssapi_krb: { id: C.OAKLEY_ATTR_AUTH_METHOD_GSSAPI_KRB },
  hybrid_rsa_server: { id: C.OAKLEY_ATTR_AUTH_METHOD_HYBRID_RSA_R },
  hybrid_rsa_client: { id: C.OAKLEY_ATTR_AUTH_METHOD_HYBRID_RSA_I },
  hybrid_dss_server: { id: C.OAKLEY_ATTR_AUTH_METHOD_HYBRID_DSS_R },
  hybrid_dss_client: { id: C.OAKLEY_ATTR_AUTH_METHOD_HYBRID_DSS_I },
  xauth_psk_server: { id: C.OAKLEY_ATTR_AUTH_METHOD_XAUTH_PSKEY_R },
  xauth_psk_client: { id: C.OAKLEY_ATTR_AUTH_METHOD_XAUTH_PSKEY_I },
  xauth_rsa_server: { id: C.OAKLEY_ATTR_AUTH_METHOD_XAUTH_RSASIG_R },
  xauth_rsa_client: { id: C.OAKLEY_ATTR_AUTH_METHOD_XAUTH_RSASIG_I },
};

/** DH groups by name and by RFC number (racoon accepts both: `dh_group modp1024;` or `dh_group 2;`). */
export const DH_GROUPS: Readonly<Record<string, AlgorithmDef>> = {
  modp768: { id: C.OAKLEY_ATTR_GRP_DESC_MODP768 },
  '1': { id: 1, canonical: 'modp768' },
  modp1024: { id: C.OAKLEY_ATTR_GRP_DESC_MODP1024 },
  '2': { id: 2, canonical: 'modp1024' },
  modp1536: { id: C.OAKLEY_ATTR_GRP_DESC_MODP1536 },
  '5': { id: 5, canonical: 'modp1536' },
  modp2048: { id: C.OAKLEY_ATTR_GRP_DESC_MODP2048 },
  '14': { id: 14, canonical: 'modp2048' },
  modp3072: { id: C.OAKLEY_ATTR_GRP_DESC_MODP3072 },
  '15': { id: 15, canonical: 'modp3072' },
  modp4096: { id: C.OAKLEY_ATTR_GRP_DESC_MODP4096 },
  '16': { id: 16, canonical: 'modp4096' },
  modp6144: { id: C.OAKLEY_ATTR_GRP_DESC_MODP6144 },
  '17': { id: 17, canonical: 'modp6144' },
  modp8192: { id: C.OAKLEY_ATTR_GRP_DESC_MODP8192 },
  '18': { id: 18, canonical: 'modp8192' },
  // RFC 5903 random ECP groups (not in racoon 0.8.2; strongSwan offers them in IKEv1).
  ecp256: { id: C.OAKLEY_ATTR_GRP_DESC_ECP256 },
  '19': { id: 19, canonical: 'ecp256' },
  ecp384: { id: C.OAKLEY_ATTR_GRP_DESC_ECP384 },
  '20': { id: 20, canonical: 'ecp384' },
  ecp521: { id: C.OAKLEY_ATTR_GRP_DESC_ECP521 },
  '21': { id: 21, canonical: 'ecp521' },
  // RFC 8031 (IKEv2): Curve25519 and Curve448.
  curve25519: { id: T.IKEV2_DH_CURVE25519 },
  '31': { id: 31, canonical: 'curve25519' },
  curve448: { id: T.IKEV2_DH_CURVE448 },
  '32': { id: 32, canonical: 'curve448' },
  // EC2N groups: cfparse.y num2dhgroup maps 3 and 4 to them; parsed so the error says "not supported".
  ec2n155: { id: C.OAKLEY_ATTR_GRP_DESC_EC2N155 },
  '3': { id: C.OAKLEY_ATTR_GRP_DESC_EC2N155, canonical: 'ec2n155' },
  ec2n185: { id: C.OAKLEY_ATTR_GRP_DESC_EC2N185 },
  '4': { id: C.OAKLEY_ATTR_GRP_DESC_EC2N185, canonical: 'ec2n185' },
};

export const PH2_ENC: Readonly<Record<string, AlgorithmDef>> = {
  des: { id: C.IPSECDOI_ESP_DES },
  '3des': { id: C.IPSECDOI_ESP_3DES },
  des_iv64: { id: C.IPSECDOI_ESP_DES_IV64 },
  des_iv32: { id: C.IPSECDOI_ESP_DES_IV32 },
  rc5: { id: C.IPSECDOI_ESP_RC5, keyLens: range8(40, 2040) },
  rc4: { id: C.IPSECDOI_ESP_RC4, keyLens: range8(40, 2048) },
  idea: { id: C.IPSECDOI_ESP_IDEA },
  '3idea': { id: C.IPSECDOI_ESP_3IDEA },
  cast128: { id: C.IPSECDOI_ESP_CAST, keyLens: range8(40, 128) },
  blowfish: { id: C.IPSECDOI_ESP_BLOWFISH, keyLens: range8(40, 448) },
  null_enc: { id: C.IPSECDOI_ESP_NULL },
  null: { id: C.IPSECDOI_ESP_NULL },
  twofish: { id: C.IPSECDOI_ESP_TWOFISH, keyLens: range8(8, 256) },
  aes: { id: C.IPSECDOI_ESP_AES, keyLens: AES_KEYS },
  rijndael: { id: C.IPSECDOI_ESP_AES, keyLens: AES_KEYS },
  camellia: { id: C.IPSECDOI_ESP_CAMELLIA, keyLens: AES_KEYS },
  // RFC 4106 AES-GCM ESP (RFC 4106 §8.1: KEY_LENGTH attribute, no authentication attribute).
  aes_gcm_16: { id: C.IPSECDOI_ESP_AES_GCM_16, keyLens: AES_KEYS },
  aes_gcm_12: { id: C.IPSECDOI_ESP_AES_GCM_12, keyLens: AES_KEYS },
  aes_gcm_8: { id: C.IPSECDOI_ESP_AES_GCM_8, keyLens: AES_KEYS },
  // IKEv2 children (RFC 3686 via RFC 5930 §4, RFC 4309, RFC 7634): an IKEv1 quick mode does not offer them.
  aes_ctr: { id: C.IPSECDOI_ESP_AES_CTR, keyLens: AES_KEYS },
  aes_ccm_16: { id: C.IPSECDOI_ESP_AES_CCM_16, keyLens: AES_KEYS },
  aes_ccm_12: { id: C.IPSECDOI_ESP_AES_CCM_12, keyLens: AES_KEYS },
  aes_ccm_8: { id: C.IPSECDOI_ESP_AES_CCM_8, keyLens: AES_KEYS },
  chacha20_poly1305: { id: T.IKEV2_ENCR_CHACHA20_POLY1305 },
};

export const PH2_AUTH: Readonly<Record<string, AlgorithmDef>> = {
  hmac_md5: { id: C.IPSECDOI_ATTR_AUTH_HMAC_MD5 },
  hmac_sha1: { id: C.IPSECDOI_ATTR_AUTH_HMAC_SHA1 },
  des_mac: { id: C.IPSECDOI_ATTR_AUTH_DES_MAC },
  kpdk: { id: C.IPSECDOI_ATTR_AUTH_KPDK },
  hmac_sha256: { id: C.IPSECDOI_ATTR_AUTH_HMAC_SHA2_256 },
  hmac_sha2_256: { id: C.IPSECDOI_ATTR_AUTH_HMAC_SHA2_256 },
  hmac_sha384: { id: C.IPSECDOI_ATTR_AUTH_HMAC_SHA2_384 },
  hmac_sha2_384: { id: C.IPSECDOI_ATTR_AUTH_HMAC_SHA2_384 },
  hmac_sha512: { id: C.IPSECDOI_ATTR_AUTH_HMAC_SHA2_512 },
  hmac_sha2_512: { id: C.IPSECDOI_ATTR_AUTH_HMAC_SHA2_512 },
  non_auth: { id: C.IPSECDOI_ATTR_AUTH_NONE },
  aes_xcbc: { id: C.IPSECDOI_ATTR_AUTH_AES_XCBC_MAC }, // RFC 3566
};

export const PH2_COMP: Readonly<Record<string, AlgorithmDef>> = {
  oui: { id: C.IPSECDOI_IPCOMP_OUI },
  deflate: { id: C.IPSECDOI_IPCOMP_DEFLATE },
  lzs: { id: C.IPSECDOI_IPCOMP_LZS },
};

/** Upper-layer protocols accepted in sainfo ids (racoon's UL_PROTO), 0 = any. */
export const UL_PROTOS: Readonly<Record<string, number>> = {
  any: 0,
  icmp: 1,
  tcp: 6,
  udp: 17,
  gre: 47,
  esp: 50,
  ah: 51,
  icmp6: 58,
  ipv6_icmp: 58,
  ipcomp: 108,
};

/** racoon's default key length when none is given (racoon `default_keylen`). */
export function defaultKeyLen(def: AlgorithmDef): number | undefined {
  return def.keyLens ? 128 : undefined;
}

/** A table lookup that never returns inherited Object properties (`constructor`, `__proto__`). */
export function lookupAlgorithm(table: Readonly<Record<string, AlgorithmDef>>, name: string): AlgorithmDef | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined;
}
