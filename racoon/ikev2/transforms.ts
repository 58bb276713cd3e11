// IKEv2 transform types and IDs (RFC 7296 §3.3.2 and the IANA "Transform Type" registries), the transform
// attribute type (§3.3.5), with name tables for logs. DH numbers are the same registry as IKEv1's group
// descriptions (crypto/dh.ts implements them); they are named here as IKEv2 names them.
import type { NameTable } from '../isakmp/constants.js';

// RFC 7296 §3.3.2 transform types; RFC 9370 additional key exchanges.
export const IKEV2_TRANSFORM_ENCR = 1;
export const IKEV2_TRANSFORM_PRF = 2;
export const IKEV2_TRANSFORM_INTEG = 3;
export const IKEV2_TRANSFORM_DH = 4;
export const IKEV2_TRANSFORM_ESN = 5;
export const IKEV2_TRANSFORM_ADDKE1 = 6;
export const IKEV2_TRANSFORM_ADDKE7 = 12;
export const IKEV2_TRANSFORM_NAMES: NameTable = {
  1: 'ENCR',
  2: 'PRF',
  3: 'INTEG',
  4: 'D-H',
  5: 'ESN',
  6: 'ADDKE1',
  7: 'ADDKE2',
  8: 'ADDKE3',
  9: 'ADDKE4',
  10: 'ADDKE5',
  11: 'ADDKE6',
  12: 'ADDKE7',
};

// Type 1, encryption (RFC 7296 §3.3.2; RFC 5930 CTR, RFC 4309/5282 CCM and GCM, RFC 4543 GMAC, RFC 5529
// Camellia, RFC 7634 ChaCha20-Poly1305, RFC 8750 implicit IV).
export const IKEV2_ENCR_DES_IV64 = 1;
export const IKEV2_ENCR_DES = 2;
export const IKEV2_ENCR_3DES = 3;
export const IKEV2_ENCR_RC5 = 4;
export const IKEV2_ENCR_IDEA = 5;
export const IKEV2_ENCR_CAST = 6;
export const IKEV2_ENCR_BLOWFISH = 7;
export const IKEV2_ENCR_3IDEA = 8;
export const IKEV2_ENCR_DES_IV32 = 9;
export const IKEV2_ENCR_NULL = 11;
export const IKEV2_ENCR_AES_CBC = 12;
export const IKEV2_ENCR_AES_CTR = 13;
export const IKEV2_ENCR_AES_CCM_8 = 14;
export const IKEV2_ENCR_AES_CCM_12 = 15;
export const IKEV2_ENCR_AES_CCM_16 = 16;
export const IKEV2_ENCR_AES_GCM_8 = 18;
export const IKEV2_ENCR_AES_GCM_12 = 19;
export const IKEV2_ENCR_AES_GCM_16 = 20;
export const IKEV2_ENCR_NULL_AUTH_AES_GMAC = 21;
export const IKEV2_ENCR_CAMELLIA_CBC = 23;
export const IKEV2_ENCR_CAMELLIA_CTR = 24;
export const IKEV2_ENCR_CAMELLIA_CCM_8 = 25;
export const IKEV2_ENCR_CAMELLIA_CCM_12 = 26;
export const IKEV2_ENCR_CAMELLIA_CCM_16 = 27;
export const IKEV2_ENCR_CHACHA20_POLY1305 = 28;
export const IKEV2_ENCR_AES_CCM_8_IIV = 29;
export const IKEV2_ENCR_AES_GCM_16_IIV = 30;
export const IKEV2_ENCR_CHACHA20_POLY1305_IIV = 31;
export const IKEV2_ENCR_NAMES: NameTable = {
  1: 'ENCR_DES_IV64',
  2: 'ENCR_DES',
  3: 'ENCR_3DES',
  4: 'ENCR_RC5',
  5: 'ENCR_IDEA',
  6: 'ENCR_CAST',
  7: 'ENCR_BLOWFISH',
  8: 'ENCR_3IDEA',
  9: 'ENCR_DES_IV32',
  11: 'ENCR_NULL',
  12: 'ENCR_AES_CBC',
  13: 'ENCR_AES_CTR',
  14: 'ENCR_AES_CCM_8',
  15: 'ENCR_AES_CCM_12',
  16: 'ENCR_AES_CCM_16',
  18: 'ENCR_AES_GCM_8',
  19: 'ENCR_AES_GCM_12',
  20: 'ENCR_AES_GCM_16',
  21: 'ENCR_NULL_AUTH_AES_GMAC',
  23: 'ENCR_CAMELLIA_CBC',
  24: 'ENCR_CAMELLIA_CTR',
  25: 'ENCR_CAMELLIA_CCM_8',
  26: 'ENCR_CAMELLIA_CCM_12',
  27: 'ENCR_CAMELLIA_CCM_16',
  28: 'ENCR_CHACHA20_POLY1305',
  29: 'ENCR_AES_CCM_8_IIV',
  30: 'ENCR_AES_GCM_16_IIV',
  31: 'ENCR_CHACHA20_POLY1305_IIV',
};

// Type 2, pseudo-random functions (RFC 7296 §3.3.2; RFC 4434, RFC 4868, RFC 4615).
export const IKEV2_PRF_HMAC_MD5 = 1;
export const IKEV2_PRF_HMAC_SHA1 = 2;
export const IKEV2_PRF_HMAC_TIGER = 3;
export const IKEV2_PRF_AES128_XCBC = 4;
export const IKEV2_PRF_HMAC_SHA2_256 = 5;
export const IKEV2_PRF_HMAC_SHA2_384 = 6;
export const IKEV2_PRF_HMAC_SHA2_512 = 7;
export const IKEV2_PRF_AES128_CMAC = 8;
export const IKEV2_PRF_NAMES: NameTable = {
  1: 'PRF_HMAC_MD5',
  2: 'PRF_HMAC_SHA1',
  3: 'PRF_HMAC_TIGER',
  4: 'PRF_AES128_XCBC',
  5: 'PRF_HMAC_SHA2_256',
  6: 'PRF_HMAC_SHA2_384',
  7: 'PRF_HMAC_SHA2_512',
  8: 'PRF_AES128_CMAC',
};

// Type 3, integrity (RFC 7296 §3.3.2; RFC 3566 XCBC, RFC 4494 CMAC, RFC 4543 GMAC, RFC 4868 SHA-2).
export const IKEV2_AUTH_NONE = 0;
export const IKEV2_AUTH_HMAC_MD5_96 = 1;
export const IKEV2_AUTH_HMAC_SHA1_96 = 2;
export const IKEV2_AUTH_DES_MAC = 3;
export const IKEV2_AUTH_KPDK_MD5 = 4;
export const IKEV2_AUTH_AES_XCBC_96 = 5;
export const IKEV2_AUTH_HMAC_MD5_128 = 6;
export const IKEV2_AUTH_HMAC_SHA1_160 = 7;
export const IKEV2_AUTH_AES_CMAC_96 = 8;
export const IKEV2_AUTH_AES_128_GMAC = 9;
export const IKEV2_AUTH_AES_192_GMAC = 10;
export const IKEV2_AUTH_AES_256_GMAC = 11;
export const IKEV2_AUTH_HMAC_SHA2_256_128 = 12;
export const IKEV2_AUTH_HMAC_SHA2_384_192 = 13;
export const IKEV2_AUTH_HMAC_SHA2_512_256 = 14;
export const IKEV2_INTEG_NAMES: NameTable = {
  0: 'NONE',
  1: 'AUTH_HMAC_MD5_96',
  2: 'AUTH_HMAC_SHA1_96',
  3: 'AUTH_DES_MAC',
  4: 'AUTH_KPDK_MD5',
  5: 'AUTH_AES_XCBC_96',
  6: 'AUTH_HMAC_MD5_128',
  7: 'AUTH_HMAC_SHA1_160',
  8: 'AUTH_AES_CMAC_96',
  9: 'AUTH_AES_128_GMAC',
  10: 'AUTH_AES_192_GMAC',
  11: 'AUTH_AES_256_GMAC',
  12: 'AUTH_HMAC_SHA2_256_128',
  13: 'AUTH_HMAC_SHA2_384_192',
  14: 'AUTH_HMAC_SHA2_512_256',
};

// Type 4, key exchange method (RFC 7296 §3.3.2, RFC 3526, RFC 5903, RFC 5114, RFC 6932, RFC 8031, RFC 9385).
export const IKEV2_DH_NONE = 0;
export const IKEV2_DH_MODP_768 = 1;
export const IKEV2_DH_MODP_1024 = 2;
export const IKEV2_DH_MODP_1536 = 5;
export const IKEV2_DH_MODP_2048 = 14;
export const IKEV2_DH_MODP_3072 = 15;
export const IKEV2_DH_MODP_4096 = 16;
export const IKEV2_DH_MODP_6144 = 17;
export const IKEV2_DH_MODP_8192 = 18;
export const IKEV2_DH_ECP_256 = 19;
export const IKEV2_DH_ECP_384 = 20;
export const IKEV2_DH_ECP_521 = 21;
export const IKEV2_DH_MODP_1024_S160 = 22;
export const IKEV2_DH_MODP_2048_S224 = 23;
export const IKEV2_DH_MODP_2048_S256 = 24;
export const IKEV2_DH_ECP_192 = 25;
export const IKEV2_DH_ECP_224 = 26;
export const IKEV2_DH_BRAINPOOL_P224R1 = 27;
export const IKEV2_DH_BRAINPOOL_P256R1 = 28;
export const IKEV2_DH_BRAINPOOL_P384R1 = 29;
export const IKEV2_DH_BRAINPOOL_P512R1 = 30;
export const IKEV2_DH_CURVE25519 = 31;
export const IKEV2_DH_CURVE448 = 32;
export const IKEV2_DH_GOST3410_2012_256 = 33;
export const IKEV2_DH_GOST3410_2012_512 = 34;
export const IKEV2_DH_NAMES: NameTable = {
  0: 'NONE',
  1: 'MODP_768',
  2: 'MODP_1024',
  5: 'MODP_1536',
  14: 'MODP_2048',
  15: 'MODP_3072',
  16: 'MODP_4096',
  17: 'MODP_6144',
  18: 'MODP_8192',
  19: 'ECP_256',
  20: 'ECP_384',
  21: 'ECP_521',
  22: 'MODP_1024_S160',
  23: 'MODP_2048_S224',
  24: 'MODP_2048_S256',
  25: 'ECP_192',
  26: 'ECP_224',
  27: 'BRAINPOOL_P224R1',
  28: 'BRAINPOOL_P256R1',
  29: 'BRAINPOOL_P384R1',
  30: 'BRAINPOOL_P512R1',
  31: 'CURVE25519',
  32: 'CURVE448',
  33: 'GOST3410_2012_256',
  34: 'GOST3410_2012_512',
};

// Type 5, extended sequence numbers (RFC 7296 §3.3.2).
export const IKEV2_ESN_NONE = 0;
export const IKEV2_ESN_ENABLED = 1;
export const IKEV2_ESN_NAMES: NameTable = { 0: 'No ESN', 1: 'ESN' };

// RFC 7296 §3.3.5: the only transform attribute, always in TV form (AF = 1).
export const IKEV2_ATTR_KEY_LENGTH = 14;
export const IKEV2_ATTR_AF = 0x8000;
export const IKEV2_ATTR_NAMES: NameTable = { 14: 'Key Length' };

/** The transform-ID name table of a transform type (undefined for types with no table). */
export function transformIdNames(transformType: number): NameTable | undefined {
  switch (transformType) {
    case IKEV2_TRANSFORM_ENCR:
      return IKEV2_ENCR_NAMES;
    case IKEV2_TRANSFORM_PRF:
      return IKEV2_PRF_NAMES;
    case IKEV2_TRANSFORM_INTEG:
      return IKEV2_INTEG_NAMES;
    case IKEV2_TRANSFORM_ESN:
      return IKEV2_ESN_NAMES;
    default:
      // DH and RFC 9370's ADDKE1..7 all draw from the key exchange method registry.
      return transformType === IKEV2_TRANSFORM_DH ||
        (transformType >= IKEV2_TRANSFORM_ADDKE1 && transformType <= IKEV2_TRANSFORM_ADDKE7)
        ? IKEV2_DH_NAMES
        : undefined;
  }
}
