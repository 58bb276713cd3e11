// ISAKMP/IKEv1 wire numbers: RFC 2408 (ISAKMP), RFC 2407 (IPsec DOI), RFC 2409 (IKE), RFC 3947 (NAT-T),
// RFC 3706 (DPD), draft-dukes-ike-mode-cfg. Names keep the KAME/racoon spelling so grep finds both. The
// number -> name tables for logs are in names.ts and re-exported here, so `C.nameOf(C.X_NAMES, v)` works.
export * from './names.js';

// The ISAKMP port (RFC 2408), and the NAT-T port IKE moves to (RFC 3947 §4; ESP-in-UDP uses it too, RFC 3948).
export const ISAKMP_PORT = 500;
export const ISAKMP_NATT_PORT = 4500;

// RFC 2408 §3.1: fixed header size and version (major 1, minor 0).
export const ISAKMP_HEADER_LEN = 28;
export const ISAKMP_GEN_HEADER_LEN = 4;
export const ISAKMP_COOKIE_LEN = 8;
export const ISAKMP_MAJOR_VERSION = 1;
export const ISAKMP_MINOR_VERSION = 0;
/** racoon refuses messages larger than this many bytes (UDP datagram bound). */
export const ISAKMP_MAX_MESSAGE_LEN = 65535;

// RFC 2408 §3.1 flags.
export const ISAKMP_FLAG_E = 0x01; // encryption
export const ISAKMP_FLAG_C = 0x02; // commit
export const ISAKMP_FLAG_A = 0x04; // authentication only

// RFC 2408 §3.1 exchange types; RFC 2409 §5.5/§5.6 DOI-specific ones; mode-cfg draft.
export const ISAKMP_ETYPE_NONE = 0;
export const ISAKMP_ETYPE_BASE = 1;
export const ISAKMP_ETYPE_IDENT = 2; // main mode
export const ISAKMP_ETYPE_AUTH = 3;
export const ISAKMP_ETYPE_AGG = 4;
export const ISAKMP_ETYPE_INFO = 5;
export const ISAKMP_ETYPE_CFG = 6; // draft-dukes-ike-mode-cfg transaction
export const ISAKMP_ETYPE_QUICK = 32;
export const ISAKMP_ETYPE_NEWGRP = 33;

// RFC 2408 §3.1 payload types; RFC 3947 §3.2/§5.2; draft-ietf-ipsec-nat-t-ike-02/03 private numbers.
export const ISAKMP_NPTYPE_NONE = 0;
export const ISAKMP_NPTYPE_SA = 1;
export const ISAKMP_NPTYPE_P = 2;
export const ISAKMP_NPTYPE_T = 3;
export const ISAKMP_NPTYPE_KE = 4;
export const ISAKMP_NPTYPE_ID = 5;
export const ISAKMP_NPTYPE_CERT = 6;
export const ISAKMP_NPTYPE_CR = 7;
export const ISAKMP_NPTYPE_HASH = 8;
export const ISAKMP_NPTYPE_SIG = 9;
export const ISAKMP_NPTYPE_NONCE = 10;
export const ISAKMP_NPTYPE_N = 11;
export const ISAKMP_NPTYPE_D = 12;
export const ISAKMP_NPTYPE_VID = 13;
export const ISAKMP_NPTYPE_ATTR = 14;
export const ISAKMP_NPTYPE_NATD_RFC = 20;
export const ISAKMP_NPTYPE_NATOA_RFC = 21;
export const ISAKMP_NPTYPE_NATD_DRAFT = 130;
export const ISAKMP_NPTYPE_NATOA_DRAFT = 131;
export const ISAKMP_NPTYPE_FRAG = 132; // racoon/Cisco IKE fragmentation (vendor-ID negotiated)

// RFC 2408 §3.14.1 notify message types (errors 1–16383, status 16384–).
export const ISAKMP_NTYPE_INVALID_PAYLOAD_TYPE = 1;
export const ISAKMP_NTYPE_DOI_NOT_SUPPORTED = 2;
export const ISAKMP_NTYPE_SITUATION_NOT_SUPPORTED = 3;
export const ISAKMP_NTYPE_INVALID_COOKIE = 4;
export const ISAKMP_NTYPE_INVALID_MAJOR_VERSION = 5;
export const ISAKMP_NTYPE_INVALID_MINOR_VERSION = 6;
export const ISAKMP_NTYPE_INVALID_EXCHANGE_TYPE = 7;
export const ISAKMP_NTYPE_INVALID_FLAGS = 8;
export const ISAKMP_NTYPE_INVALID_MESSAGE_ID = 9;
export const ISAKMP_NTYPE_INVALID_PROTOCOL_ID = 10;
export const ISAKMP_NTYPE_INVALID_SPI = 11;
export const ISAKMP_NTYPE_INVALID_TRANSFORM_ID = 12;
export const ISAKMP_NTYPE_ATTRIBUTES_NOT_SUPPORTED = 13;
export const ISAKMP_NTYPE_NO_PROPOSAL_CHOSEN = 14;
export const ISAKMP_NTYPE_BAD_PROPOSAL_SYNTAX = 15;
export const ISAKMP_NTYPE_PAYLOAD_MALFORMED = 16;
export const ISAKMP_NTYPE_INVALID_KEY_INFORMATION = 17;
export const ISAKMP_NTYPE_INVALID_ID_INFORMATION = 18;
export const ISAKMP_NTYPE_INVALID_CERT_ENCODING = 19;
export const ISAKMP_NTYPE_INVALID_CERTIFICATE = 20;
export const ISAKMP_NTYPE_BAD_CERT_REQUEST_SYNTAX = 21;
export const ISAKMP_NTYPE_INVALID_CERT_AUTHORITY = 22;
export const ISAKMP_NTYPE_INVALID_HASH_INFORMATION = 23;
export const ISAKMP_NTYPE_AUTHENTICATION_FAILED = 24;
export const ISAKMP_NTYPE_INVALID_SIGNATURE = 25;
export const ISAKMP_NTYPE_ADDRESS_NOTIFICATION = 26;
export const ISAKMP_NTYPE_NOTIFY_SA_LIFETIME = 27;
export const ISAKMP_NTYPE_CERTIFICATE_UNAVAILABLE = 28;
export const ISAKMP_NTYPE_UNSUPPORTED_EXCHANGE_TYPE = 29;
export const ISAKMP_NTYPE_UNEQUAL_PAYLOAD_LENGTHS = 30;
export const ISAKMP_NTYPE_CONNECTED = 16384;
// RFC 2407 §4.6.3 IPsec DOI status types.
export const IPSECDOI_NTYPE_RESPONDER_LIFETIME = 24576;
export const IPSECDOI_NTYPE_REPLAY_STATUS = 24577;
export const IPSECDOI_NTYPE_INITIAL_CONTACT = 24578;
// RFC 3706 §5.
export const ISAKMP_NTYPE_R_U_THERE = 36136;
export const ISAKMP_NTYPE_R_U_THERE_ACK = 36137;

// RFC 2408 §3.4 / RFC 2407 §4.2: DOI and situation bits.
export const ISAKMP_DOI_ISAKMP = 0;
export const IPSEC_DOI = 1;
export const IPSECDOI_SIT_IDENTITY_ONLY = 0x01;
export const IPSECDOI_SIT_SECRECY = 0x02;
export const IPSECDOI_SIT_INTEGRITY = 0x04;

// RFC 2407 §4.4.1 protocol ids.
export const IPSECDOI_PROTO_ISAKMP = 1;
export const IPSECDOI_PROTO_IPSEC_AH = 2;
export const IPSECDOI_PROTO_IPSEC_ESP = 3;
export const IPSECDOI_PROTO_IPCOMP = 4;

// RFC 2407 §4.4.2–§4.4.5 transform ids (plus RFC 3602/3686/4106/4309/4312/4543 ESP values).
export const IPSECDOI_KEY_IKE = 1;
export const IPSECDOI_AH_MD5 = 2;
export const IPSECDOI_AH_SHA = 3;
export const IPSECDOI_AH_DES = 4;
export const IPSECDOI_AH_SHA2_256 = 5;
export const IPSECDOI_AH_SHA2_384 = 6;
export const IPSECDOI_AH_SHA2_512 = 7;
export const IPSECDOI_ESP_DES_IV64 = 1;
export const IPSECDOI_ESP_DES = 2;
export const IPSECDOI_ESP_3DES = 3;
export const IPSECDOI_ESP_RC5 = 4;
export const IPSECDOI_ESP_IDEA = 5;
export const IPSECDOI_ESP_CAST = 6;
export const IPSECDOI_ESP_BLOWFISH = 7;
export const IPSECDOI_ESP_3IDEA = 8;
export const IPSECDOI_ESP_DES_IV32 = 9;
export const IPSECDOI_ESP_RC4 = 10;
export const IPSECDOI_ESP_NULL = 11;
export const IPSECDOI_ESP_AES = 12;
export const IPSECDOI_ESP_AES_CTR = 13;
export const IPSECDOI_ESP_AES_CCM_8 = 14;
export const IPSECDOI_ESP_AES_CCM_12 = 15;
export const IPSECDOI_ESP_AES_CCM_16 = 16;
export const IPSECDOI_ESP_AES_GCM_8 = 18;
export const IPSECDOI_ESP_AES_GCM_12 = 19;
export const IPSECDOI_ESP_AES_GCM_16 = 20;
export const IPSECDOI_ESP_CAMELLIA = 22;
export const IPSECDOI_ESP_NULL_AUTH_AES_GMAC = 23;
export const IPSECDOI_ESP_TWOFISH = 253; // racoon private value
export const IPSECDOI_IPCOMP_OUI = 1;
export const IPSECDOI_IPCOMP_DEFLATE = 2;
export const IPSECDOI_IPCOMP_LZS = 3;
export const IPSECDOI_IPCOMP_LZJH = 4;

// RFC 2408 §3.3: data attribute format bit (1 = TV, 0 = TLV).
export const ISAKMP_GEN_TV = 0x8000;
export const ISAKMP_ATTR_TYPE_MASK = 0x7fff;

// RFC 2409 Appendix A: phase 1 (Oakley) attribute classes; B = basic (TV), V = variable (TLV).
export const OAKLEY_ATTR_ENC_ALG = 1; // B
export const OAKLEY_ATTR_HASH_ALG = 2; // B
export const OAKLEY_ATTR_AUTH_METHOD = 3; // B
export const OAKLEY_ATTR_GRP_DESC = 4; // B
export const OAKLEY_ATTR_GRP_TYPE = 5; // B
export const OAKLEY_ATTR_GRP_PI = 6; // V
export const OAKLEY_ATTR_GRP_GEN_ONE = 7; // V
export const OAKLEY_ATTR_GRP_GEN_TWO = 8; // V
export const OAKLEY_ATTR_GRP_CURVE_A = 9; // V
export const OAKLEY_ATTR_GRP_CURVE_B = 10; // V
export const OAKLEY_ATTR_SA_LD_TYPE = 11; // B
export const OAKLEY_ATTR_SA_LD = 12; // V
export const OAKLEY_ATTR_PRF = 13; // B
export const OAKLEY_ATTR_KEY_LEN = 14; // B
export const OAKLEY_ATTR_FIELD_SIZE = 15; // B
export const OAKLEY_ATTR_GRP_ORDER = 16; // V
export const OAKLEY_ATTR_GSS_ID = 16384; // V, draft-ietf-ipsec-isakmp-gss-auth

export const OAKLEY_ATTR_ENC_ALG_DES = 1;
export const OAKLEY_ATTR_ENC_ALG_IDEA = 2;
export const OAKLEY_ATTR_ENC_ALG_BLOWFISH = 3;
export const OAKLEY_ATTR_ENC_ALG_RC5 = 4;
export const OAKLEY_ATTR_ENC_ALG_3DES = 5;
export const OAKLEY_ATTR_ENC_ALG_CAST = 6;
export const OAKLEY_ATTR_ENC_ALG_AES = 7; // RFC 3602 §5
export const OAKLEY_ATTR_ENC_ALG_CAMELLIA = 8; // RFC 4312

export const OAKLEY_ATTR_HASH_ALG_MD5 = 1;
export const OAKLEY_ATTR_HASH_ALG_SHA = 2;
export const OAKLEY_ATTR_HASH_ALG_TIGER = 3;
export const OAKLEY_ATTR_HASH_ALG_SHA2_256 = 4; // RFC 4868
export const OAKLEY_ATTR_HASH_ALG_SHA2_384 = 5;
export const OAKLEY_ATTR_HASH_ALG_SHA2_512 = 6;

export const OAKLEY_ATTR_AUTH_METHOD_PSKEY = 1;
export const OAKLEY_ATTR_AUTH_METHOD_DSSSIG = 2;
export const OAKLEY_ATTR_AUTH_METHOD_RSASIG = 3;
export const OAKLEY_ATTR_AUTH_METHOD_RSAENC = 4;
export const OAKLEY_ATTR_AUTH_METHOD_RSAREV = 5;
// draft-ietf-ipsec-isakmp-hybrid-auth and draft-beaulieu-ike-xauth private values.
export const OAKLEY_ATTR_AUTH_METHOD_HYBRID_RSA_I = 64221;
export const OAKLEY_ATTR_AUTH_METHOD_HYBRID_RSA_R = 64222;
export const OAKLEY_ATTR_AUTH_METHOD_HYBRID_DSS_I = 64223;
export const OAKLEY_ATTR_AUTH_METHOD_HYBRID_DSS_R = 64224;
export const OAKLEY_ATTR_AUTH_METHOD_XAUTH_PSKEY_I = 65001;
export const OAKLEY_ATTR_AUTH_METHOD_XAUTH_PSKEY_R = 65002;
export const OAKLEY_ATTR_AUTH_METHOD_XAUTH_DSSSIG_I = 65003;
export const OAKLEY_ATTR_AUTH_METHOD_XAUTH_DSSSIG_R = 65004;
export const OAKLEY_ATTR_AUTH_METHOD_XAUTH_RSASIG_I = 65005;
export const OAKLEY_ATTR_AUTH_METHOD_XAUTH_RSASIG_R = 65006;
export const OAKLEY_ATTR_AUTH_METHOD_XAUTH_RSAENC_I = 65007;
export const OAKLEY_ATTR_AUTH_METHOD_XAUTH_RSAENC_R = 65008;
export const OAKLEY_ATTR_AUTH_METHOD_XAUTH_RSAREV_I = 65009;
export const OAKLEY_ATTR_AUTH_METHOD_XAUTH_RSAREV_R = 65010;
/** GSS-API Kerberos; the same number as XAUTH_PSKEY_I (the two drafts clash; racoon prefers GSS-API). */
export const OAKLEY_ATTR_AUTH_METHOD_GSSAPI_KRB = 65001;

// RFC 2409 §6, RFC 3526, RFC 5903 group descriptions.
export const OAKLEY_ATTR_GRP_DESC_MODP768 = 1;
export const OAKLEY_ATTR_GRP_DESC_MODP1024 = 2;
export const OAKLEY_ATTR_GRP_DESC_EC2N155 = 3;
export const OAKLEY_ATTR_GRP_DESC_EC2N185 = 4;
export const OAKLEY_ATTR_GRP_DESC_MODP1536 = 5;
export const OAKLEY_ATTR_GRP_DESC_MODP2048 = 14;
export const OAKLEY_ATTR_GRP_DESC_MODP3072 = 15;
export const OAKLEY_ATTR_GRP_DESC_MODP4096 = 16;
export const OAKLEY_ATTR_GRP_DESC_MODP6144 = 17;
export const OAKLEY_ATTR_GRP_DESC_MODP8192 = 18;
export const OAKLEY_ATTR_GRP_DESC_ECP256 = 19;
export const OAKLEY_ATTR_GRP_DESC_ECP384 = 20;
export const OAKLEY_ATTR_GRP_DESC_ECP521 = 21;
export const OAKLEY_ATTR_GRP_TYPE_MODP = 1;
export const OAKLEY_ATTR_GRP_TYPE_ECP = 2;
export const OAKLEY_ATTR_GRP_TYPE_EC2N = 3;
export const OAKLEY_ATTR_SA_LD_TYPE_SEC = 1;
export const OAKLEY_ATTR_SA_LD_TYPE_KB = 2;

// RFC 2407 §4.5: phase 2 (IPsec DOI) attribute classes.
export const IPSECDOI_ATTR_SA_LD_TYPE = 1; // B
export const IPSECDOI_ATTR_SA_LD = 2; // V
export const IPSECDOI_ATTR_GRP_DESC = 3; // B
export const IPSECDOI_ATTR_ENC_MODE = 4; // B
export const IPSECDOI_ATTR_AUTH = 5; // B
export const IPSECDOI_ATTR_KEY_LENGTH = 6; // B
export const IPSECDOI_ATTR_KEY_ROUNDS = 7; // B
export const IPSECDOI_ATTR_COMP_DICT_SIZE = 8; // B
export const IPSECDOI_ATTR_COMP_PRIVALG = 9; // V
export const IPSECDOI_ATTR_SA_LD_TYPE_SEC = 1;
export const IPSECDOI_ATTR_SA_LD_TYPE_KB = 2;
export const IPSECDOI_ATTR_ENC_MODE_TUNNEL = 1;
export const IPSECDOI_ATTR_ENC_MODE_TRNS = 2;
export const IPSECDOI_ATTR_ENC_MODE_UDPTUNNEL_RFC = 3; // RFC 3947 §5.1
export const IPSECDOI_ATTR_ENC_MODE_UDPTRNS_RFC = 4;
export const IPSECDOI_ATTR_ENC_MODE_UDPTUNNEL_DRAFT = 61443; // draft-ietf-ipsec-nat-t-ike-00..03
export const IPSECDOI_ATTR_ENC_MODE_UDPTRNS_DRAFT = 61444;
export const IPSECDOI_ATTR_AUTH_HMAC_MD5 = 1;
export const IPSECDOI_ATTR_AUTH_HMAC_SHA1 = 2;
export const IPSECDOI_ATTR_AUTH_DES_MAC = 3;
export const IPSECDOI_ATTR_AUTH_KPDK = 4;
export const IPSECDOI_ATTR_AUTH_HMAC_SHA2_256 = 5; // RFC 4868
export const IPSECDOI_ATTR_AUTH_HMAC_SHA2_384 = 6;
export const IPSECDOI_ATTR_AUTH_HMAC_SHA2_512 = 7;
export const IPSECDOI_ATTR_AUTH_AES_XCBC_MAC = 9; // RFC 3566
export const IPSECDOI_ATTR_AUTH_NONE = 254; // racoon private value for "non_auth"

// RFC 2407 §4.6.2.1 identification types; RFC 3554 ID_LIST.
export const IPSECDOI_ID_IPV4_ADDR = 1;
export const IPSECDOI_ID_FQDN = 2;
export const IPSECDOI_ID_USER_FQDN = 3;
export const IPSECDOI_ID_IPV4_ADDR_SUBNET = 4;
export const IPSECDOI_ID_IPV6_ADDR = 5;
export const IPSECDOI_ID_IPV6_ADDR_SUBNET = 6;
export const IPSECDOI_ID_IPV4_ADDR_RANGE = 7;
export const IPSECDOI_ID_IPV6_ADDR_RANGE = 8;
export const IPSECDOI_ID_DER_ASN1_DN = 9;
export const IPSECDOI_ID_DER_ASN1_GN = 10;
export const IPSECDOI_ID_KEY_ID = 11;
export const IPSECDOI_ID_LIST = 12;

// RFC 2408 §3.9 certificate encodings (plus racoon's plain RSA).
export const ISAKMP_CERT_NONE = 0;
export const ISAKMP_CERT_PKCS7 = 1;
export const ISAKMP_CERT_PGP = 2;
export const ISAKMP_CERT_DNS = 3;
export const ISAKMP_CERT_X509SIGN = 4;
export const ISAKMP_CERT_X509KE = 5;
export const ISAKMP_CERT_KERBEROS = 6;
export const ISAKMP_CERT_CRL = 7;
export const ISAKMP_CERT_ARL = 8;
export const ISAKMP_CERT_SPKI = 9;
export const ISAKMP_CERT_X509ATTR = 10;
export const ISAKMP_CERT_PLAINRSA = 11;

// draft-dukes-ike-mode-cfg §3.2: attribute payload message types.
export const ISAKMP_CFG_REQUEST = 1;
export const ISAKMP_CFG_REPLY = 2;
export const ISAKMP_CFG_SET = 3;
export const ISAKMP_CFG_ACK = 4;

// draft-dukes-ike-mode-cfg §3.3 (draft-ietf-ipsec-isakmp-mode-cfg-05): configuration attribute types.
export const INTERNAL_IP4_ADDRESS = 1;
export const INTERNAL_IP4_NETMASK = 2;
export const INTERNAL_IP4_DNS = 3;
export const INTERNAL_IP4_NBNS = 4;
export const INTERNAL_ADDRESS_EXPIRY = 5;
export const APPLICATION_VERSION = 7;
export const INTERNAL_IP4_SUBNET = 13;
export const SUPPORTED_ATTRIBUTES = 14;
// draft-beaulieu-ike-xauth-02 §6: XAuth attribute types (in the same attribute payload).
export const XAUTH_TYPE = 16520;
export const XAUTH_USER_NAME = 16521;
export const XAUTH_USER_PASSWORD = 16522;
export const XAUTH_PASSCODE = 16523;
export const XAUTH_MESSAGE = 16524;
export const XAUTH_CHALLENGE = 16525;
export const XAUTH_DOMAIN = 16526;
export const XAUTH_STATUS = 16527;
export const XAUTH_TYPE_GENERIC = 0;
export const XAUTH_STATUS_FAIL = 0;
export const XAUTH_STATUS_OK = 1;
// Cisco Unity attributes as racoon isakmp_unity.h numbers them.
export const UNITY_BANNER = 28672;
export const UNITY_SAVE_PASSWD = 28673;
export const UNITY_DEF_DOMAIN = 28674;
export const UNITY_SPLIT_DNS = 28675;
export const UNITY_SPLIT_INCLUDE = 28676;
export const UNITY_LOCAL_LAN = 28678;
export const UNITY_PFS = 28679;

// RFC 2409 §5: nonce payload bounds; RFC 3947 §3.2 NAT-D hash is the negotiated hash (16..64 bytes).
export const ISAKMP_NONCE_MIN = 8;
export const ISAKMP_NONCE_MAX = 256;
