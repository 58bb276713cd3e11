// IKEv2 wire numbers (RFC 7296 §3 and the IANA "IKEv2 Parameters" registry): header, exchanges, payload types,
// protocol, ID, certificate, authentication, traffic selector and configuration types, with name tables for
// logs. Transforms are in transforms.ts, notify types in notify-types.ts. Every name carries IKEV2_ so that it
// never collides with an IKEv1 one; the rest is the RFC's spelling, so grep finds both.
import type { NameTable } from '../isakmp/constants.js';

export { nameOf, type NameTable } from '../isakmp/constants.js';

// RFC 7296 §3.1: the header is ISAKMP's 28-byte layout (ISAKMP_HEADER_LEN) with version 2.0; §3.2: the generic
// payload header is ISAKMP's 4 bytes (ISAKMP_GEN_HEADER_LEN) with the critical bit in the second octet.
export const IKEV2_MAJOR_VERSION = 2;
export const IKEV2_MINOR_VERSION = 0;
export const IKEV2_SPI_LEN = 8; // bytes of each IKE SA SPI
/** RFC 7296 §3.2: the critical bit, the top bit of the octet after Next Payload. */
export const IKEV2_CRITICAL_FLAG = 0x80;
/** RFC 7296 §2.10, §3.9: nonces are 16 to 256 octets. */
export const IKEV2_NONCE_MIN = 16;
export const IKEV2_NONCE_MAX = 256;
/** RFC 7296 §3.3.1: a CHILD_SA proposal carries a 4-octet SPI (AH, ESP); IKE proposals 0 or 8. */
export const IKEV2_CHILD_SPI_LEN = 4;
/** A message larger than a UDP datagram cannot arrive; bigger lengths are refused outright. */
export const IKEV2_MAX_MESSAGE_LEN = 65535;

// RFC 7296 §3.1 flags (the other bits MUST be sent as 0 and ignored on receipt).
export const IKEV2_FLAG_INITIATOR = 0x08;
export const IKEV2_FLAG_VERSION = 0x10;
export const IKEV2_FLAG_RESPONSE = 0x20;
export const IKEV2_FLAGS_DEFINED = 0x38;

// RFC 7296 §3.1 exchange types; RFC 5723, RFC 9242, RFC 9370, G-IKEv2 (RFC 9838).
export const IKEV2_EXCHANGE_IKE_SA_INIT = 34;
export const IKEV2_EXCHANGE_IKE_AUTH = 35;
export const IKEV2_EXCHANGE_CREATE_CHILD_SA = 36;
export const IKEV2_EXCHANGE_INFORMATIONAL = 37;
export const IKEV2_EXCHANGE_IKE_SESSION_RESUME = 38;
export const IKEV2_EXCHANGE_GSA_AUTH = 39;
export const IKEV2_EXCHANGE_GSA_REGISTRATION = 40;
export const IKEV2_EXCHANGE_GSA_REKEY = 41;
export const IKEV2_EXCHANGE_IKE_INTERMEDIATE = 43;
export const IKEV2_EXCHANGE_IKE_FOLLOWUP_KE = 44;
export const IKEV2_EXCHANGE_NAMES: NameTable = {
  34: 'IKE_SA_INIT',
  35: 'IKE_AUTH',
  36: 'CREATE_CHILD_SA',
  37: 'INFORMATIONAL',
  38: 'IKE_SESSION_RESUME',
  39: 'GSA_AUTH',
  40: 'GSA_REGISTRATION',
  41: 'GSA_REKEY',
  43: 'IKE_INTERMEDIATE',
  44: 'IKE_FOLLOWUP_KE',
};

// RFC 7296 §3.2 payload types; RFC 6467 (GSPM), G-IKEv2 (IDg, GSA, KD), RFC 7383 (SKF), RFC 8019 (PS).
export const IKEV2_PAYLOAD_NONE = 0;
export const IKEV2_PAYLOAD_SA = 33;
export const IKEV2_PAYLOAD_KE = 34;
export const IKEV2_PAYLOAD_IDI = 35;
export const IKEV2_PAYLOAD_IDR = 36;
export const IKEV2_PAYLOAD_CERT = 37;
export const IKEV2_PAYLOAD_CERTREQ = 38;
export const IKEV2_PAYLOAD_AUTH = 39;
export const IKEV2_PAYLOAD_NONCE = 40;
export const IKEV2_PAYLOAD_NOTIFY = 41;
export const IKEV2_PAYLOAD_DELETE = 42;
export const IKEV2_PAYLOAD_VENDOR = 43;
export const IKEV2_PAYLOAD_TSI = 44;
export const IKEV2_PAYLOAD_TSR = 45;
export const IKEV2_PAYLOAD_SK = 46;
export const IKEV2_PAYLOAD_CP = 47;
export const IKEV2_PAYLOAD_EAP = 48;
export const IKEV2_PAYLOAD_GSPM = 49;
export const IKEV2_PAYLOAD_IDG = 50;
export const IKEV2_PAYLOAD_GSA = 51;
export const IKEV2_PAYLOAD_KD = 52;
export const IKEV2_PAYLOAD_SKF = 53;
export const IKEV2_PAYLOAD_PS = 54;
export const IKEV2_PAYLOAD_NAMES: NameTable = {
  0: 'NONE',
  33: 'SA',
  34: 'KE',
  35: 'IDi',
  36: 'IDr',
  37: 'CERT',
  38: 'CERTREQ',
  39: 'AUTH',
  40: 'Ni/Nr',
  41: 'N',
  42: 'D',
  43: 'V',
  44: 'TSi',
  45: 'TSr',
  46: 'SK',
  47: 'CP',
  48: 'EAP',
  49: 'GSPM',
  50: 'IDg',
  51: 'GSA',
  52: 'KD',
  53: 'SKF',
  54: 'PS',
};

// RFC 7296 §3.3.1 Protocol ID (proposals, Notify, Delete); RFC 4595 FC ones.
export const IKEV2_PROTO_IKE = 1;
export const IKEV2_PROTO_AH = 2;
export const IKEV2_PROTO_ESP = 3;
export const IKEV2_PROTO_FC_ESP_HEADER = 4;
export const IKEV2_PROTO_FC_CT_AUTHENTICATION = 5;
export const IKEV2_PROTO_NAMES: NameTable = {
  1: 'IKE',
  2: 'AH',
  3: 'ESP',
  4: 'FC_ESP_HEADER',
  5: 'FC_CT_AUTHENTICATION',
};

// RFC 7296 §3.5 ID types; RFC 4595 ID_FC_NAME, RFC 7619 ID_NULL.
export const IKEV2_ID_IPV4_ADDR = 1;
export const IKEV2_ID_FQDN = 2;
export const IKEV2_ID_RFC822_ADDR = 3;
export const IKEV2_ID_IPV6_ADDR = 5;
export const IKEV2_ID_DER_ASN1_DN = 9;
export const IKEV2_ID_DER_ASN1_GN = 10;
export const IKEV2_ID_KEY_ID = 11;
export const IKEV2_ID_FC_NAME = 12;
export const IKEV2_ID_NULL = 13;
export const IKEV2_ID_NAMES: NameTable = {
  1: 'ID_IPV4_ADDR',
  2: 'ID_FQDN',
  3: 'ID_RFC822_ADDR',
  5: 'ID_IPV6_ADDR',
  9: 'ID_DER_ASN1_DN',
  10: 'ID_DER_ASN1_GN',
  11: 'ID_KEY_ID',
  12: 'ID_FC_NAME',
  13: 'ID_NULL',
};

// RFC 7296 §3.6 certificate encodings; RFC 4806 OCSP, RFC 7670 raw public key.
export const IKEV2_CERT_PKCS7_X509 = 1;
export const IKEV2_CERT_PGP = 2;
export const IKEV2_CERT_DNS_SIGNED_KEY = 3;
export const IKEV2_CERT_X509_SIGNATURE = 4;
export const IKEV2_CERT_KERBEROS_TOKEN = 6;
export const IKEV2_CERT_CRL = 7;
export const IKEV2_CERT_ARL = 8;
export const IKEV2_CERT_SPKI = 9;
export const IKEV2_CERT_X509_ATTRIBUTE = 10;
export const IKEV2_CERT_RAW_RSA_KEY = 11;
export const IKEV2_CERT_HASH_URL_X509 = 12;
export const IKEV2_CERT_HASH_URL_X509_BUNDLE = 13;
export const IKEV2_CERT_OCSP_CONTENT = 14;
export const IKEV2_CERT_RAW_PUBLIC_KEY = 15;
export const IKEV2_CERT_NAMES: NameTable = {
  1: 'PKCS #7 wrapped X.509 certificate',
  2: 'PGP Certificate',
  3: 'DNS Signed Key',
  4: 'X.509 Certificate - Signature',
  6: 'Kerberos Token',
  7: 'Certificate Revocation List (CRL)',
  8: 'Authority Revocation List (ARL)',
  9: 'SPKI Certificate',
  10: 'X.509 Certificate - Attribute',
  11: 'Raw RSA Key',
  12: 'Hash and URL of X.509 certificate',
  13: 'Hash and URL of X.509 bundle',
  14: 'OCSP Content',
  15: 'Raw Public Key',
};
/** RFC 7296 §3.7: a CERTREQ for X.509 names each trusted CA by the SHA-1 hash of its public key. */
export const IKEV2_CERTREQ_HASH_LEN = 20;

// RFC 7296 §3.8 authentication methods; RFC 4754 ECDSA, RFC 6467, RFC 7619, RFC 7427.
export const IKEV2_AUTH_METHOD_RSA_SIG = 1;
export const IKEV2_AUTH_METHOD_SHARED_KEY_MIC = 2;
export const IKEV2_AUTH_METHOD_DSS_SIG = 3;
export const IKEV2_AUTH_METHOD_ECDSA_SHA256_P256 = 9;
export const IKEV2_AUTH_METHOD_ECDSA_SHA384_P384 = 10;
export const IKEV2_AUTH_METHOD_ECDSA_SHA512_P521 = 11;
export const IKEV2_AUTH_METHOD_GSPAM = 12;
export const IKEV2_AUTH_METHOD_NULL = 13;
export const IKEV2_AUTH_METHOD_DIGITAL_SIGNATURE = 14;
export const IKEV2_AUTH_METHOD_NAMES: NameTable = {
  1: 'RSA Digital Signature',
  2: 'Shared Key Message Integrity Code',
  3: 'DSS Digital Signature',
  9: 'ECDSA with SHA-256 on the P-256 curve',
  10: 'ECDSA with SHA-384 on the P-384 curve',
  11: 'ECDSA with SHA-512 on the P-521 curve',
  12: 'Generic Secure Password Authentication Method',
  13: 'NULL Authentication',
  14: 'Digital Signature',
};

// RFC 7427 §7 / IANA "IKEv2 Hash Algorithms" (SIGNATURE_HASH_ALGORITHMS data); RFC 8420 Identity.
export const IKEV2_HASH_SHA1 = 1;
export const IKEV2_HASH_SHA2_256 = 2;
export const IKEV2_HASH_SHA2_384 = 3;
export const IKEV2_HASH_SHA2_512 = 4;
export const IKEV2_HASH_IDENTITY = 5;
export const IKEV2_HASH_NAMES: NameTable = {
  1: 'SHA1',
  2: 'SHA2_256',
  3: 'SHA2_384',
  4: 'SHA2_512',
  5: 'Identity',
};

// RFC 7296 §3.13.1 traffic selector types; RFC 4595 FC, RFC 9478 security label.
export const IKEV2_TS_IPV4_ADDR_RANGE = 7;
export const IKEV2_TS_IPV6_ADDR_RANGE = 8;
export const IKEV2_TS_FC_ADDR_RANGE = 9;
export const IKEV2_TS_SECLABEL = 10;
export const IKEV2_TS_NAMES: NameTable = {
  7: 'TS_IPV4_ADDR_RANGE',
  8: 'TS_IPV6_ADDR_RANGE',
  9: 'TS_FC_ADDR_RANGE',
  10: 'TS_SECLABEL',
};

// RFC 7296 §3.15 CFG types.
export const IKEV2_CFG_REQUEST = 1;
export const IKEV2_CFG_REPLY = 2;
export const IKEV2_CFG_SET = 3;
export const IKEV2_CFG_ACK = 4;
export const IKEV2_CFG_NAMES: NameTable = { 1: 'CFG_REQUEST', 2: 'CFG_REPLY', 3: 'CFG_SET', 4: 'CFG_ACK' };

// RFC 7296 §3.15.1 configuration attributes; RFC 7651 P_CSCF, RFC 8598 split DNS.
export const IKEV2_CFG_ATTR_INTERNAL_IP4_ADDRESS = 1;
export const IKEV2_CFG_ATTR_INTERNAL_IP4_NETMASK = 2;
export const IKEV2_CFG_ATTR_INTERNAL_IP4_DNS = 3;
export const IKEV2_CFG_ATTR_INTERNAL_IP4_NBNS = 4;
export const IKEV2_CFG_ATTR_INTERNAL_IP4_DHCP = 6;
export const IKEV2_CFG_ATTR_APPLICATION_VERSION = 7;
export const IKEV2_CFG_ATTR_INTERNAL_IP6_ADDRESS = 8;
export const IKEV2_CFG_ATTR_INTERNAL_IP6_DNS = 10;
export const IKEV2_CFG_ATTR_INTERNAL_IP6_DHCP = 12;
export const IKEV2_CFG_ATTR_INTERNAL_IP4_SUBNET = 13;
export const IKEV2_CFG_ATTR_SUPPORTED_ATTRIBUTES = 14;
export const IKEV2_CFG_ATTR_INTERNAL_IP6_SUBNET = 15;
export const IKEV2_CFG_ATTR_P_CSCF_IP4_ADDRESS = 20;
export const IKEV2_CFG_ATTR_P_CSCF_IP6_ADDRESS = 21;
export const IKEV2_CFG_ATTR_INTERNAL_DNS_DOMAIN = 25;
export const IKEV2_CFG_ATTR_INTERNAL_DNSSEC_TA = 26;
export const IKEV2_CFG_ATTR_NAMES: NameTable = {
  1: 'INTERNAL_IP4_ADDRESS',
  2: 'INTERNAL_IP4_NETMASK',
  3: 'INTERNAL_IP4_DNS',
  4: 'INTERNAL_IP4_NBNS',
  6: 'INTERNAL_IP4_DHCP',
  7: 'APPLICATION_VERSION',
  8: 'INTERNAL_IP6_ADDRESS',
  10: 'INTERNAL_IP6_DNS',
  12: 'INTERNAL_IP6_DHCP',
  13: 'INTERNAL_IP4_SUBNET',
  14: 'SUPPORTED_ATTRIBUTES',
  15: 'INTERNAL_IP6_SUBNET',
  20: 'P_CSCF_IP4_ADDRESS',
  21: 'P_CSCF_IP6_ADDRESS',
  25: 'INTERNAL_DNS_DOMAIN',
  26: 'INTERNAL_DNSSEC_TA',
};

// RFC 3748 §4 EAP codes (the EAP payload is decoded and carried, RFC 7296 §3.16).
export const IKEV2_EAP_REQUEST = 1;
export const IKEV2_EAP_RESPONSE = 2;
export const IKEV2_EAP_SUCCESS = 3;
export const IKEV2_EAP_FAILURE = 4;
export const IKEV2_EAP_NAMES: NameTable = { 1: 'Request', 2: 'Response', 3: 'Success', 4: 'Failure' };
