// Number -> name tables for the ISAKMP/IKEv1 wire numbers in constants.ts (which re-exports this file), for
// logs and dumps (WireGuard `String()` style). Names keep the racoon/ipsec-tools spelling where it has one.

/** A number → name table for logs. */
export type NameTable = Readonly<Record<number, string>>;

/** Looks a value up in a name table; unknown values print as `unknown(<n>)`. */
export function nameOf(table: NameTable, v: number): string {
  return table[v] ?? `unknown(${v})`;
}

// RFC 2408 §3.1 exchange types; RFC 2409 §5.5/§5.6 DOI-specific ones; mode-cfg draft.
export const ISAKMP_ETYPE_NAMES: NameTable = {
  0: 'none',
  1: 'base',
  2: 'ident',
  3: 'auth',
  4: 'agg',
  5: 'info',
  6: 'cfg',
  32: 'quick',
  33: 'newgrp',
};

// RFC 2408 §3.1 payload types; RFC 3947 §3.2/§5.2; draft-ietf-ipsec-nat-t-ike-02/03 private numbers.
export const ISAKMP_NPTYPE_NAMES: NameTable = {
  0: 'none',
  1: 'sa',
  2: 'p',
  3: 't',
  4: 'ke',
  5: 'id',
  6: 'cert',
  7: 'cr',
  8: 'hash',
  9: 'sig',
  10: 'nonce',
  11: 'n',
  12: 'd',
  13: 'vid',
  14: 'attr',
  20: 'nat-d',
  21: 'nat-oa',
  130: 'nat-d(draft)',
  131: 'nat-oa(draft)',
  132: 'frag',
};

// RFC 2408 §3.14.1 notify message types, RFC 2407 §4.6.3 IPsec DOI status types, RFC 3706 §5 (DPD).
export const ISAKMP_NTYPE_NAMES: NameTable = {
  1: 'INVALID-PAYLOAD-TYPE',
  2: 'DOI-NOT-SUPPORTED',
  3: 'SITUATION-NOT-SUPPORTED',
  4: 'INVALID-COOKIE',
  5: 'INVALID-MAJOR-VERSION',
  6: 'INVALID-MINOR-VERSION',
  7: 'INVALID-EXCHANGE-TYPE',
  8: 'INVALID-FLAGS',
  9: 'INVALID-MESSAGE-ID',
  10: 'INVALID-PROTOCOL-ID',
  11: 'INVALID-SPI',
  12: 'INVALID-TRANSFORM-ID',
  13: 'ATTRIBUTES-NOT-SUPPORTED',
  14: 'NO-PROPOSAL-CHOSEN',
  15: 'BAD-PROPOSAL-SYNTAX',
  16: 'PAYLOAD-MALFORMED',
  17: 'INVALID-KEY-INFORMATION',
  18: 'INVALID-ID-INFORMATION',
  19: 'INVALID-CERT-ENCODING',
  20: 'INVALID-CERTIFICATE',
  21: 'BAD-CERT-REQUEST-SYNTAX',
  22: 'INVALID-CERT-AUTHORITY',
  23: 'INVALID-HASH-INFORMATION',
  24: 'AUTHENTICATION-FAILED',
  25: 'INVALID-SIGNATURE',
  26: 'ADDRESS-NOTIFICATION',
  27: 'NOTIFY-SA-LIFETIME',
  28: 'CERTIFICATE-UNAVAILABLE',
  29: 'UNSUPPORTED-EXCHANGE-TYPE',
  30: 'UNEQUAL-PAYLOAD-LENGTHS',
  16384: 'CONNECTED',
  24576: 'RESPONDER-LIFETIME',
  24577: 'REPLAY-STATUS',
  24578: 'INITIAL-CONTACT',
  36136: 'R-U-THERE',
  36137: 'R-U-THERE-ACK',
};

// RFC 2407 §4.4.1 protocol ids.
export const IPSECDOI_PROTO_NAMES: NameTable = { 1: 'ISAKMP', 2: 'AH', 3: 'ESP', 4: 'IPCOMP' };

// RFC 2407 §4.4.2–§4.4.5 transform ids (plus RFC 3602/3686/4106/4309/4312/4543 ESP values).
export const IPSECDOI_AH_NAMES: NameTable = {
  2: 'AH_MD5',
  3: 'AH_SHA',
  4: 'AH_DES',
  5: 'AH_SHA2_256',
  6: 'AH_SHA2_384',
  7: 'AH_SHA2_512',
};
export const IPSECDOI_ESP_NAMES: NameTable = {
  1: 'ESP_DES_IV64',
  2: 'ESP_DES',
  3: 'ESP_3DES',
  4: 'ESP_RC5',
  5: 'ESP_IDEA',
  6: 'ESP_CAST',
  7: 'ESP_BLOWFISH',
  8: 'ESP_3IDEA',
  9: 'ESP_DES_IV32',
  10: 'ESP_RC4',
  11: 'ESP_NULL',
  12: 'ESP_AES',
  13: 'ESP_AES_CTR',
  14: 'ESP_AES_CCM_8',
  15: 'ESP_AES_CCM_12',
  16: 'ESP_AES_CCM_16',
  18: 'ESP_AES_GCM_8',
  19: 'ESP_AES_GCM_12',
  20: 'ESP_AES_GCM_16',
  22: 'ESP_CAMELLIA',
  23: 'ESP_NULL_AUTH_AES_GMAC',
  253: 'ESP_TWOFISH',
};
export const IPSECDOI_IPCOMP_NAMES: NameTable = {
  1: 'IPCOMP_OUI',
  2: 'IPCOMP_DEFLATE',
  3: 'IPCOMP_LZS',
  4: 'IPCOMP_LZJH',
};

// RFC 2409 Appendix A: phase 1 (Oakley) attribute classes and their values.
export const OAKLEY_ATTR_NAMES: NameTable = {
  1: 'Encryption Algorithm',
  2: 'Hash Algorithm',
  3: 'Authentication Method',
  4: 'Group Description',
  5: 'Group Type',
  6: 'Group Prime/Irreducible Polynomial',
  7: 'Group Generator One',
  8: 'Group Generator Two',
  9: 'Group Curve A',
  10: 'Group Curve B',
  11: 'Life Type',
  12: 'Life Duration',
  13: 'PRF',
  14: 'Key Length',
  15: 'Field Size',
  16: 'Group Order',
  16384: 'GSS-API ID',
};
export const OAKLEY_ATTR_ENC_ALG_NAMES: NameTable = {
  1: 'DES-CBC',
  2: 'IDEA-CBC',
  3: 'Blowfish-CBC',
  4: 'RC5-R16-B64-CBC',
  5: '3DES-CBC',
  6: 'CAST-CBC',
  7: 'AES-CBC',
  8: 'Camellia-CBC',
};
export const OAKLEY_ATTR_HASH_ALG_NAMES: NameTable = {
  1: 'MD5',
  2: 'SHA',
  3: 'Tiger',
  4: 'SHA2-256',
  5: 'SHA2-384',
  6: 'SHA2-512',
};

// RFC 2409 App. A authentication methods, with the hybrid-auth and XAuth drafts' private values.
export const OAKLEY_ATTR_AUTH_METHOD_NAMES: NameTable = {
  1: 'pre-shared key',
  2: 'DSS signatures',
  3: 'RSA signatures',
  4: 'RSA encryption',
  5: 'revised RSA encryption',
  64221: 'hybrid RSA (initiator)',
  64222: 'hybrid RSA (responder)',
  64223: 'hybrid DSS (initiator)',
  64224: 'hybrid DSS (responder)',
  65001: 'XAuth PSK (initiator) / GSS-API Kerberos',
  65002: 'XAuth PSK (responder)',
  65003: 'XAuth DSS (initiator)',
  65004: 'XAuth DSS (responder)',
  65005: 'XAuth RSA (initiator)',
  65006: 'XAuth RSA (responder)',
  65007: 'XAuth RSA enc (initiator)',
  65008: 'XAuth RSA enc (responder)',
  65009: 'XAuth revised RSA enc (initiator)',
  65010: 'XAuth revised RSA enc (responder)',
};

// RFC 2409 §6, RFC 3526, RFC 5903 group descriptions; RFC 2409 App. A group and life types.
export const OAKLEY_ATTR_GRP_DESC_NAMES: NameTable = {
  1: 'modp768',
  2: 'modp1024',
  3: 'ec2n155',
  4: 'ec2n185',
  5: 'modp1536',
  14: 'modp2048',
  15: 'modp3072',
  16: 'modp4096',
  17: 'modp6144',
  18: 'modp8192',
  19: 'ecp256',
  20: 'ecp384',
  21: 'ecp521',
};
export const OAKLEY_ATTR_GRP_TYPE_NAMES: NameTable = { 1: 'MODP', 2: 'ECP', 3: 'EC2N' };
/** Life types, shared by phase 1 (RFC 2409 App. A) and phase 2 (RFC 2407 §4.5). */
export const SA_LD_TYPE_NAMES: NameTable = { 1: 'seconds', 2: 'kilobytes' };

// RFC 2407 §4.5: phase 2 (IPsec DOI) attribute classes and their values.
export const IPSECDOI_ATTR_NAMES: NameTable = {
  1: 'SA Life Type',
  2: 'SA Life Duration',
  3: 'Group Description',
  4: 'Encapsulation Mode',
  5: 'Authentication Algorithm',
  6: 'Key Length',
  7: 'Key Rounds',
  8: 'Compress Dictionary Size',
  9: 'Compress Private Algorithm',
};
export const IPSECDOI_ATTR_ENC_MODE_NAMES: NameTable = {
  1: 'Tunnel',
  2: 'Transport',
  3: 'UDP-Encapsulated-Tunnel',
  4: 'UDP-Encapsulated-Transport',
  61443: 'UDP-Encapsulated-Tunnel(draft)',
  61444: 'UDP-Encapsulated-Transport(draft)',
};
export const IPSECDOI_ATTR_AUTH_NAMES: NameTable = {
  1: 'HMAC-MD5',
  2: 'HMAC-SHA',
  3: 'DES-MAC',
  4: 'KPDK',
  5: 'HMAC-SHA2-256',
  6: 'HMAC-SHA2-384',
  7: 'HMAC-SHA2-512',
  9: 'AES-XCBC-MAC',
  254: 'none',
};

// RFC 2407 §4.6.2.1 identification types; RFC 3554 ID_LIST.
export const IPSECDOI_ID_NAMES: NameTable = {
  1: 'ID_IPV4_ADDR',
  2: 'ID_FQDN',
  3: 'ID_USER_FQDN',
  4: 'ID_IPV4_ADDR_SUBNET',
  5: 'ID_IPV6_ADDR',
  6: 'ID_IPV6_ADDR_SUBNET',
  7: 'ID_IPV4_ADDR_RANGE',
  8: 'ID_IPV6_ADDR_RANGE',
  9: 'ID_DER_ASN1_DN',
  10: 'ID_DER_ASN1_GN',
  11: 'ID_KEY_ID',
  12: 'ID_LIST',
};

// RFC 2408 §3.9 certificate encodings (plus racoon's plain RSA).
export const ISAKMP_CERT_NAMES: NameTable = {
  0: 'NONE',
  1: 'PKCS #7 wrapped X.509',
  2: 'PGP',
  3: 'DNS signed key',
  4: 'X.509 signature',
  5: 'X.509 key exchange',
  6: 'Kerberos tokens',
  7: 'CRL',
  8: 'ARL',
  9: 'SPKI',
  10: 'X.509 attribute',
  11: 'plain RSA',
};

// draft-dukes-ike-mode-cfg §3.2: attribute payload message types.
export const ISAKMP_CFG_NAMES: NameTable = { 1: 'REQUEST', 2: 'REPLY', 3: 'SET', 4: 'ACK' };
