// PF_KEY v2 wire numbers: RFC 2367 §2-3 plus the KAME/FreeBSD SADB_X_* extensions and netipsec/ipsec.h
// constants. Name tables for logs are in names.ts, the algorithm table in algorithms.ts.
// Numbering follows FreeBSD (sys/net/pfkeyv2.h, KAME 1.37 + later additions); see docs/pfkey.md.

export const PF_KEY_V2 = 2;
export const PFKEYV2_REVISION = 199806;

// --- units (RFC 2367 §2.2: lengths count 64-bit words) ---
export const PFKEY_UNIT_BYTES = 8;
/** Rounds a byte count up to the next multiple of 8 (PFKEY_ALIGN8). */
export function pfkeyAlign8(bytes: number): number {
  return (bytes + 7) & ~7;
}

// --- message types (RFC 2367 §2.3.1, KAME SPD extensions 13-22) ---
export const SADB_RESERVED = 0;
export const SADB_GETSPI = 1;
export const SADB_UPDATE = 2;
export const SADB_ADD = 3;
export const SADB_DELETE = 4;
export const SADB_GET = 5;
export const SADB_ACQUIRE = 6;
export const SADB_REGISTER = 7;
export const SADB_EXPIRE = 8;
export const SADB_FLUSH = 9;
export const SADB_DUMP = 10;
export const SADB_X_PROMISC = 11;
export const SADB_X_PCHANGE = 12;
export const SADB_X_SPDUPDATE = 13;
export const SADB_X_SPDADD = 14;
export const SADB_X_SPDDELETE = 15; // by selector
export const SADB_X_SPDGET = 16;
export const SADB_X_SPDACQUIRE = 17;
export const SADB_X_SPDDUMP = 18;
export const SADB_X_SPDFLUSH = 19;
export const SADB_X_SPDSETIDX = 20;
export const SADB_X_SPDEXPIRE = 21;
export const SADB_X_SPDDELETE2 = 22; // by policy id
/** FreeBSD's last message type. */
export const SADB_MAX = 22;
// Linux/NetBSD slots that racoon's dispatch table expects; decodable, never handled by a BSD kernel.
export const SADB_X_NAT_T_NEW_MAPPING = 23;
export const SADB_X_MIGRATE = 24;
/** Highest message type the codec accepts. */
export const SADB_DECODE_MAX = 24;

// --- extension types (RFC 2367 §2.3, KAME/FreeBSD 17-28) ---
export const SADB_EXT_RESERVED = 0;
export const SADB_EXT_SA = 1;
export const SADB_EXT_LIFETIME_CURRENT = 2;
export const SADB_EXT_LIFETIME_HARD = 3;
export const SADB_EXT_LIFETIME_SOFT = 4;
export const SADB_EXT_ADDRESS_SRC = 5;
export const SADB_EXT_ADDRESS_DST = 6;
export const SADB_EXT_ADDRESS_PROXY = 7;
export const SADB_EXT_KEY_AUTH = 8;
export const SADB_EXT_KEY_ENCRYPT = 9;
export const SADB_EXT_IDENTITY_SRC = 10;
export const SADB_EXT_IDENTITY_DST = 11;
export const SADB_EXT_SENSITIVITY = 12;
export const SADB_EXT_PROPOSAL = 13;
export const SADB_EXT_SUPPORTED_AUTH = 14;
export const SADB_EXT_SUPPORTED_ENCRYPT = 15;
export const SADB_EXT_SPIRANGE = 16;
export const SADB_X_EXT_KMPRIVATE = 17;
export const SADB_X_EXT_POLICY = 18;
export const SADB_X_EXT_SA2 = 19;
export const SADB_X_EXT_NAT_T_TYPE = 20;
export const SADB_X_EXT_NAT_T_SPORT = 21;
export const SADB_X_EXT_NAT_T_DPORT = 22;
export const SADB_X_EXT_NAT_T_OA = 23; // deprecated alias of OAI
export const SADB_X_EXT_NAT_T_OAI = 23;
export const SADB_X_EXT_NAT_T_OAR = 24;
export const SADB_X_EXT_NAT_T_FRAG = 25;
export const SADB_X_EXT_SA_REPLAY = 26;
export const SADB_X_EXT_NEW_ADDRESS_SRC = 27;
export const SADB_X_EXT_NEW_ADDRESS_DST = 28;
/** FreeBSD 12-13 SADB_EXT_MAX; 29-31 (hardware-offload lifetimes, FreeBSD 14) are refused as unknown (not supported here). */
export const SADB_EXT_MAX = 28;

/** FreeBSD key_parse refuses user messages longer than MCLBYTES with ENOBUFS (the caller applies it). */
export const KEY_USER_MESSAGE_MAX_BYTES = 2048;

// --- SA types (RFC 2367 §2.3.1) ---
export const SADB_SATYPE_UNSPEC = 0;
export const SADB_SATYPE_AH = 2;
export const SADB_SATYPE_ESP = 3;
export const SADB_SATYPE_RSVP = 5;
export const SADB_SATYPE_OSPFV2 = 6;
export const SADB_SATYPE_RIPV2 = 7;
export const SADB_SATYPE_MIP = 8;
export const SADB_X_SATYPE_IPCOMP = 9;
export const SADB_X_SATYPE_TCPSIGNATURE = 11;
export const SADB_SATYPE_MAX = 12;
/** satype value 1 is only meaningful in SADB_X_PROMISC (turn promiscuous mode on). */
export const SADB_X_PROMISC_ON = 1;

// --- SA states (RFC 2367 §2.3.2) ---
export const SADB_SASTATE_LARVAL = 0;
export const SADB_SASTATE_MATURE = 1;
export const SADB_SASTATE_DYING = 2;
export const SADB_SASTATE_DEAD = 3;
export const SADB_SASTATE_MAX = 3;

// --- sadb_sa_flags ---
export const SADB_SAFLAGS_PFS = 0x0001;
export const SADB_X_EXT_NONE = 0x0000;
export const SADB_X_EXT_OLD = 0x0001;
export const SADB_X_EXT_IV4B = 0x0010;
export const SADB_X_EXT_DERIV = 0x0020;
export const SADB_X_EXT_CYCSEQ = 0x0040;
export const SADB_X_EXT_RAWCPI = 0x0080;
export const SADB_X_EXT_PSEQ = 0x0000;
export const SADB_X_EXT_PRAND = 0x0100;
export const SADB_X_EXT_PZERO = 0x0200;
export const SADB_X_EXT_PMASK = 0x0300;
export const SADB_X_SAFLAGS_ESN = 0x0400;
export const SADB_KEY_FLAGS_MAX = 0x0fff;

// --- authentication algorithms (sadb_sa_auth) ---
export const SADB_AALG_NONE = 0;
export const SADB_AALG_MD5HMAC = 2;
export const SADB_AALG_SHA1HMAC = 3;
export const SADB_X_AALG_SHA2_256 = 5;
export const SADB_X_AALG_SHA2_384 = 6;
export const SADB_X_AALG_SHA2_512 = 7;
export const SADB_X_AALG_RIPEMD160HMAC = 8;
export const SADB_X_AALG_AES_XCBC_MAC = 9;
export const SADB_X_AALG_AES128GMAC = 11;
export const SADB_X_AALG_AES192GMAC = 12;
export const SADB_X_AALG_AES256GMAC = 13;
export const SADB_X_AALG_CHACHA20POLY1305 = 14;
export const SADB_X_AALG_MD5 = 249; // keyed MD5
export const SADB_X_AALG_SHA = 250; // keyed SHA-1
export const SADB_X_AALG_NULL = 251;
export const SADB_X_AALG_TCP_MD5 = 252;
export const SADB_AALG_MAX = 252;

// --- encryption algorithms (sadb_sa_encrypt) ---
export const SADB_EALG_NONE = 0;
export const SADB_EALG_DESCBC = 2;
export const SADB_EALG_3DESCBC = 3;
export const SADB_X_EALG_CAST128CBC = 6;
export const SADB_X_EALG_BLOWFISHCBC = 7;
export const SADB_EALG_NULL = 11;
export const SADB_X_EALG_RIJNDAELCBC = 12;
export const SADB_X_EALG_AES = 12;
export const SADB_X_EALG_AESCBC = 12;
export const SADB_X_EALG_AESCTR = 13; // FreeBSD >= 10 and Linux; 250 in old KAME
export const SADB_X_EALG_CHACHA20POLY1305 = 15; // FreeBSD-current
export const SADB_X_EALG_AESGCM8 = 18; // RFC 4106
export const SADB_X_EALG_AESGCM12 = 19;
export const SADB_X_EALG_AESGCM16 = 20;
export const SADB_X_EALG_CAMELLIACBC = 22; // RFC 4312
export const SADB_X_EALG_AESGMAC = 23; // RFC 4543
export const SADB_X_EALG_SKIPJACK = 249;
export const SADB_X_EALG_TWOFISHCBC = 253; // KAME private, not in FreeBSD's header
export const SADB_EALG_MAX = 23;

// --- compression algorithms (sadb_sa_encrypt for IPComp) ---
export const SADB_X_CALG_NONE = 0;
export const SADB_X_CALG_OUI = 1;
export const SADB_X_CALG_DEFLATE = 2;
export const SADB_X_CALG_LZS = 3;
export const SADB_X_CALG_MAX = 4;

// --- identity types (RFC 2367 §2.3.5) ---
export const SADB_IDENTTYPE_RESERVED = 0;
export const SADB_IDENTTYPE_PREFIX = 1;
export const SADB_IDENTTYPE_FQDN = 2;
export const SADB_IDENTTYPE_USERFQDN = 3;
export const SADB_X_IDENTTYPE_ADDR = 4;
export const SADB_IDENTTYPE_MAX = 4;

// --- lifetime members, soft/hard ratio ---
export const SADB_X_LIFETIME_ALLOCATIONS = 0;
export const SADB_X_LIFETIME_BYTES = 1;
export const SADB_X_LIFETIME_ADDTIME = 2;
export const SADB_X_LIFETIME_USETIME = 3;
export const PFKEY_SOFT_LIFETIME_RATE = 80; // percent

// --- NAT-T encapsulation (RFC 3948; sadb_x_nat_t_type_type) ---
export const UDP_ENCAP_ESPINUDP_NON_IKE = 1;
export const UDP_ENCAP_ESPINUDP = 2;

// --- netipsec/ipsec.h ---
export const IPSEC_PORT_ANY = 0;
export const IPSEC_ULPROTO_ANY = 255;
export const IPSEC_PROTO_ANY = 255;
export const IPSEC_MODE_ANY = 0;
export const IPSEC_MODE_TRANSPORT = 1;
export const IPSEC_MODE_TUNNEL = 2;
export const IPSEC_MODE_TCPMD5 = 3;
export const IPSEC_DIR_ANY = 0;
export const IPSEC_DIR_INBOUND = 1;
export const IPSEC_DIR_OUTBOUND = 2;
export const IPSEC_DIR_MAX = 3;
export const IPSEC_DIR_INVALID = 4;
export const IPSEC_POLICY_DISCARD = 0;
export const IPSEC_POLICY_NONE = 1;
export const IPSEC_POLICY_IPSEC = 2;
export const IPSEC_POLICY_ENTRUST = 3;
export const IPSEC_POLICY_BYPASS = 4;
export const IPSEC_POLICYSCOPE_ANY = 0x00;
export const IPSEC_POLICYSCOPE_GLOBAL = 0x01;
export const IPSEC_POLICYSCOPE_IFNET = 0x02;
export const IPSEC_POLICYSCOPE_PCB = 0x04;
export const IPSEC_LEVEL_DEFAULT = 0;
export const IPSEC_LEVEL_USE = 1;
export const IPSEC_LEVEL_REQUIRE = 2;
export const IPSEC_LEVEL_UNIQUE = 3;
export const IPSEC_MANUAL_REQID_MAX = 0x3fff;
export const IPSEC_REPLAYWSIZE = 32; // packets
export const IPSEC_MAXREQ = 4; // ipsecrequests per policy (FreeBSD)

// --- IP protocol numbers the kernel and the key managers share: ipsecrequests, the upper-layer protocol of
// address extensions (IANA "Assigned Internet Protocol Numbers"). The IP-only ones are in
// kernel/ip/constants.ts, which re-exports these. ---
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ESP = 50;
export const IPPROTO_AH = 51;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_IPCOMP = 108;

// --- sadb_x_policy_priority (Linux >= 2.6.6; ipsec-tools libpfkey.h): smaller is looked up earlier ---
export const PRIORITY_HIGH = 0x40000000;
export const PRIORITY_DEFAULT = 0x80000000;
export const PRIORITY_LOW = 0xc0000000;
/** libpfkey.h limits on `prio <base> +N` (N <= NEGATIVE_MAX) and `prio <base> -N` (N <= POSITIVE_MAX). */
export const PRIORITY_OFFSET_POSITIVE_MAX = 0x3fffffff;
export const PRIORITY_OFFSET_NEGATIVE_MAX = 0x40000000;

// --- BSD socket address families (FreeBSD sys/socket.h). NetBSD AF_INET6 = 24, macOS = 30. ---
export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 28;
export const SOCKADDR_IN_LEN = 16; // sa_len of struct sockaddr_in
export const SOCKADDR_IN6_LEN = 28; // sa_len of struct sockaddr_in6
