// The text of `setkey -v` and `setkey -x`: every PF_KEY message decoded field by field in the style of
// libipsec key_debug.c kdebug_sadb (RFC 2367 §2 structs plus the KAME extensions), and the `-H` hex lines
// (`%08x: ` offset, 16 `%02x ` bytes a line). Works on raw bytes so that a malformed message is still shown
// as far as it goes, never throws.
import * as C from '../pfkey/constants.js';
import { HOST_LITTLE_ENDIAN } from '../pfkey/layout.js';
import { hexdump } from './print.js';

/** setkey.c -H: `%08x: ` then `%02x ` per byte, 16 a line; a last partial line ends with a newline too. */
export function hexLines(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) {
    if (i % 16 === 0) s += `${i.toString(16).padStart(8, '0')}: `;
    s += `${b[i]!.toString(16).padStart(2, '0')} `;
    if (i % 16 === 15) s += '\n';
  }
  return b.length % 16 ? `${s}\n` : s;
}

class Reader {
  readonly dv: DataView;
  constructor(readonly b: Uint8Array) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  u8(o: number): number {
    return this.dv.getUint8(o);
  }
  u16(o: number): number {
    return this.dv.getUint16(o, HOST_LITTLE_ENDIAN);
  }
  u32(o: number): number {
    return this.dv.getUint32(o, HOST_LITTLE_ENDIAN);
  }
  /** A u64 truncated to u32, as key_debug.c casts the lifetime fields. */
  u64lo(o: number): number {
    return HOST_LITTLE_ENDIAN ? this.u32(o) : this.u32(o + 4);
  }
  n16(o: number): number {
    return this.dv.getUint16(o, false);
  }
  n32(o: number): number {
    return this.dv.getUint32(o, false);
  }
}

/** kdebug_sockaddr: `sockaddr{ len= family= port=` then the address bytes and `  }`. */
function sockaddr(r: Reader, o: number, end: number): string {
  if (end - o < 2) return 'sockaddr{ truncated }\n';
  const len = r.u8(o),
    family = r.u8(o + 1);
  let s = `sockaddr{ len=${len} family=${family}`;
  if (family === C.AF_INET && end - o >= 8) {
    s += ` port=${r.n16(o + 2)}\n${hexdump(r.b.subarray(o + 4, o + 8))}`;
  } else if (family === C.AF_INET6 && end - o >= 28) {
    s += ` port=${r.n16(o + 2)}\n  flowinfo=0x${hex8(r.n32(o + 4))}, scope_id=0x${hex8(r.u32(o + 24))}\n`;
    s += hexdump(r.b.subarray(o + 8, o + 24));
  }
  return `${s}  }\n`;
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

function sa(r: Reader, o: number): string {
  return (
    `sadb_sa{ spi=${r.n32(o + 4)} replay=${r.u8(o + 8)} state=${r.u8(o + 9)}\n` +
    `  auth=${r.u8(o + 10)} encrypt=${r.u8(o + 11)} flags=0x${hex8(r.u32(o + 12))} }\n`
  );
}

function lifetime(r: Reader, o: number): string {
  return (
    `sadb_lifetime{ alloc=${r.u32(o + 4)}, bytes=${r.u64lo(o + 8)}\n` +
    `  addtime=${r.u64lo(o + 16)}, usetime=${r.u64lo(o + 24)} }\n`
  );
}

function address(r: Reader, o: number, end: number): string {
  const res = `0x${r
    .u8(o + 6)
    .toString(16)
    .padStart(2, '0')}${r
    .u8(o + 7)
    .toString(16)
    .padStart(2, '0')}`;
  return `sadb_address{ proto=${r.u8(o + 4)} prefixlen=${r.u8(o + 5)} reserved=${res} }\n` + sockaddr(r, o + 8, end);
}

function key(r: Reader, o: number, end: number): string {
  const bits = r.u16(o + 4);
  let s = `sadb_key{ bits=${bits} reserved=${r.u16(o + 6)}\n  key=`;
  const room = end - o - 8;
  if (bits >> 3 > room) s += `kdebug_sadb_key: key length mismatch, bit:${bits >> 3} len:${room}.\n`;
  return `${s}${hexdump(r.b.subarray(o + 8, o + 8 + Math.min(bits >> 3, room)))} }\n`;
}

function ident(r: Reader, o: number, end: number, type: number): string {
  let s = `sadb_ident_${type === C.SADB_EXT_IDENTITY_SRC ? 'src' : 'dst'}{ type=${r.u16(o + 4)} id=${r.u64lo(o + 8)}`;
  if (end > o + 16) {
    s += '\n  str="';
    for (let p = o + 16; p < end && r.u8(p) !== 0; p++) {
      const c = r.u8(p);
      s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\${c.toString(8).padStart(3, '0')}`;
    }
    s += '"';
  }
  return `${s} }\n`;
}

function prop(r: Reader, o: number, end: number): string {
  let s = `sadb_prop{ replay=${r.u8(o + 4)}\n`;
  for (let p = o + 8; p + 72 <= end; p += 72) {
    s += `sadb_comb{ auth=${r.u8(p)} encrypt=${r.u8(p + 1)} flags=0x${r
      .u16(p + 2)
      .toString(16)
      .padStart(4, '0')} reserved=0x${hex8(r.u32(p + 12))}\n`;
    s += `  auth_minbits=${r.u16(p + 4)} auth_maxbits=${r.u16(p + 6)} encrypt_minbits=${r.u16(p + 8)} encrypt_maxbits=${r.u16(p + 10)}\n`;
    s += `  soft_alloc=${r.u32(p + 16)} hard_alloc=${r.u32(p + 20)} soft_bytes=${r.u64lo(p + 24)} hard_bytes=${r.u64lo(p + 32)}\n`;
    // key_debug.c labels the four time fields "soft_alloc hard_alloc soft_bytes hard_bytes" again; kept.
    s += `  soft_alloc=${r.u64lo(p + 40)} hard_alloc=${r.u64lo(p + 48)} soft_bytes=${r.u64lo(p + 56)} hard_bytes=${r.u64lo(p + 64)} }\n`;
  }
  return `${s}}\n`;
}

function supported(r: Reader, o: number, end: number): string {
  let s = 'sadb_sup{\n';
  for (let p = o + 8; p + 8 <= end; p += 8) {
    s += `  { id=${r.u8(p)} ivlen=${r.u8(p + 1)} min=${r.u16(p + 2)} max=${r.u16(p + 4)} }\n`;
  }
  return `${s}}\n`;
}

function sa2(r: Reader, o: number): string {
  return (
    `sadb_x_sa2{ mode=${r.u8(o + 4)} reqid=${r.u32(o + 12)}\n` +
    `  reserved1=${r.u8(o + 5)} reserved2=${r.u16(o + 6)} sequence=${r.u32(o + 8)} }\n`
  );
}

/** kdebug_sadb_x_policy (the HAVE_PFKEY_POLICY_PRIORITY form) with its ipsecrequests. */
function policy(r: Reader, o: number, end: number): string {
  const type = r.u16(o + 4);
  let s = `sadb_x_policy{ type=${type} dir=${r.u8(o + 6)} id=${r.u32(o + 8).toString(16)} priority=${r.u32(o + 12)} }\n`;
  if (type !== C.IPSEC_POLICY_IPSEC) return s;
  for (let p = o + 16; p + 8 <= end;) {
    const len = r.u16(p);
    s += ` { len=${len} proto=${r.u16(p + 2)} mode=${r.u8(p + 4)} level=${r.u8(p + 5)} reqid=${r.u16(p + 6)}\n`;
    if (len > 8 && p + 10 <= end) {
      // BSD sadb_x_ipsecrequest: 8 bytes, u16 reqid
      const a = p + 8;
      s += sockaddr(r, a, Math.min(end, p + len));
      const alen = r.u8(a);
      if (alen > 0) s += sockaddr(r, a + alen, Math.min(end, p + len));
    }
    s += ' }\n';
    if (len === 0) return `${s}kdebug_sadb_x_policy: wrong policy struct.\n`;
    if (p + len > end) return `${s}invalid ipsec policy length\n`;
    p += len;
  }
  return s;
}

/** One extension's lines; undefined for a type key_debug.c does not know (which ends the walk). */
function extension(r: Reader, type: number, o: number, end: number): string | undefined {
  switch (type) {
    case C.SADB_EXT_SA:
      return sa(r, o);
    case C.SADB_EXT_LIFETIME_CURRENT:
    case C.SADB_EXT_LIFETIME_HARD:
    case C.SADB_EXT_LIFETIME_SOFT:
      return lifetime(r, o);
    case C.SADB_EXT_ADDRESS_SRC:
    case C.SADB_EXT_ADDRESS_DST:
    case C.SADB_EXT_ADDRESS_PROXY:
    case C.SADB_X_EXT_NAT_T_OAI:
    case C.SADB_X_EXT_NAT_T_OAR:
      return address(r, o, end);
    case C.SADB_EXT_KEY_AUTH:
    case C.SADB_EXT_KEY_ENCRYPT:
      return key(r, o, end);
    case C.SADB_EXT_IDENTITY_SRC:
    case C.SADB_EXT_IDENTITY_DST:
      return ident(r, o, end, type);
    case C.SADB_EXT_PROPOSAL:
      return prop(r, o, end);
    case C.SADB_EXT_SUPPORTED_AUTH:
    case C.SADB_EXT_SUPPORTED_ENCRYPT:
      return supported(r, o, end);
    case C.SADB_EXT_SENSITIVITY:
    case C.SADB_EXT_SPIRANGE:
    case C.SADB_X_EXT_KMPRIVATE:
      return '';
    case C.SADB_X_EXT_POLICY:
      return policy(r, o, end);
    case C.SADB_X_EXT_SA2:
      return sa2(r, o);
    case C.SADB_X_EXT_NAT_T_TYPE:
      return `sadb_x_nat_t_type{ type=${r.u8(o + 4)} }\n`;
    case C.SADB_X_EXT_NAT_T_SPORT:
    case C.SADB_X_EXT_NAT_T_DPORT:
      return `sadb_x_nat_t_port{ port=${r.n16(o + 4)} }\n`;
    case C.SADB_X_EXT_SA_REPLAY:
      return `sadb_x_sa_replay{ replay=${r.u32(o + 4)} }\n`; // FreeBSD key_debug.c
    default:
      return undefined;
  }
}

/** Minimum bytes each extension's printer reads (its fixed struct). */
const EXT_MIN: Record<number, number> = {
  [C.SADB_EXT_SA]: 16,
  [C.SADB_EXT_LIFETIME_CURRENT]: 32,
  [C.SADB_EXT_LIFETIME_HARD]: 32,
  [C.SADB_EXT_LIFETIME_SOFT]: 32,
  [C.SADB_EXT_ADDRESS_SRC]: 8,
  [C.SADB_EXT_ADDRESS_DST]: 8,
  [C.SADB_EXT_ADDRESS_PROXY]: 8,
  [C.SADB_X_EXT_NAT_T_OAI]: 8,
  [C.SADB_X_EXT_NAT_T_OAR]: 8,
  [C.SADB_EXT_KEY_AUTH]: 8,
  [C.SADB_EXT_KEY_ENCRYPT]: 8,
  [C.SADB_EXT_IDENTITY_SRC]: 16,
  [C.SADB_EXT_IDENTITY_DST]: 16,
  [C.SADB_EXT_PROPOSAL]: 8,
  [C.SADB_EXT_SUPPORTED_AUTH]: 8,
  [C.SADB_EXT_SUPPORTED_ENCRYPT]: 8,
  [C.SADB_X_EXT_POLICY]: 16,
  [C.SADB_X_EXT_SA2]: 16,
  [C.SADB_X_EXT_NAT_T_TYPE]: 8,
  [C.SADB_X_EXT_NAT_T_SPORT]: 8,
  [C.SADB_X_EXT_NAT_T_DPORT]: 8,
  [C.SADB_X_EXT_SA_REPLAY]: 8,
};

/**
 * kdebug_sadb: the header as `sadb_msg{ ... }` lines, then `sadb_ext{ len= type= }` and the decoded body of
 * each extension. A broken length stops the walk with key_debug.c's message. The walk is bounded by the
 * bytes given (and by sadb_msg_len), so any input prints something and returns.
 */
export function kdebugSadb(b: Uint8Array): string {
  if (b.length < 16) return `kdebug_sadb: message of ${b.length} bytes is shorter than sadb_msg.\n`;
  const r = new Reader(b);
  const lenUnits = r.u16(4);
  let s = `sadb_msg{ version=${r.u8(0)} type=${r.u8(1)} errno=${r.u8(2)} satype=${r.u8(3)}\n`;
  s += `  len=${lenUnits} reserved=${r.u16(6)} seq=${r.u32(8)} pid=${r.u32(12)}\n`;
  const end = Math.min(b.length, lenUnits * 8);
  for (let o = 16; o < end;) {
    if (end - o < 4) return `${s}kdebug_sadb: ext_len exceeds end of buffer.\n`;
    const len = r.u16(o),
      type = r.u16(o + 2);
    s += `sadb_ext{ len=${len} type=${type} }\n`;
    if (len === 0) return `${s}kdebug_sadb: invalid ext_len=0 was passed.\n`;
    if (o + len * 8 > end) return `${s}kdebug_sadb: ext_len exceeds end of buffer.\n`;
    if (len * 8 < (EXT_MIN[type] ?? 4)) return `${s}kdebug_sadb: ext_len too short for type ${type}.\n`;
    const body = extension(r, type, o, o + len * 8);
    if (body === undefined) return `${s}kdebug_sadb: invalid ext_type ${type} was passed.\n`;
    s += body;
    o += len * 8;
  }
  return s;
}
