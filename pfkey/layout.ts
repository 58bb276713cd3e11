// Declared byte layouts of every PF_KEY v2 struct (RFC 2367 §2, KAME/FreeBSD net/pfkeyv2.h) and the
// accessors the codecs read and write through. tests/unit/pfkey/c-layout.test.ts checks these tables
// against a C compiler. Byte order: fields are HOST order (the kernel's), except the ones marked 'n16'/'n32'
// (network order: SPI, ports). Host order is taken from os.endianness(), little-endian on x86-64/arm64.
import { endianness } from 'node:os';
import { PfkeyError } from './errors.js';

/** u8/u16/u32/u64 are host order; n16/n32 network order; 'pad' is reserved space. */
export type FieldKind = 'u8' | 'u16' | 'u32' | 'u64' | 'n16' | 'n32' | 'pad';

export interface FieldSpec {
  readonly off: number;
  readonly size: number;
  readonly kind: FieldKind;
}

/**
 * A C struct's layout. `K` is the union of its member names, so `SADB_SA.fields.spi` is a FieldSpec (a
 * misspelt member fails to compile); a layout taken generically (StructLayout) indexes by any string.
 */
export interface StructLayout<K extends string = string> {
  readonly name: string; // C struct name
  readonly size: number; // sizeof
  readonly fields: Readonly<Record<K, FieldSpec>>; // C member name without the struct prefix
}

/** The member names of a layout: `FieldName<typeof SADB_COMB>` is 'auth' | 'encrypt' | ... */
export type FieldName<L extends StructLayout> = keyof L['fields'] & string;

/** One member as declared: name, kind, and the byte count of a 'pad'. */
type Member = readonly [name: string, kind: FieldKind, padSize?: number];

/** True when the host (and so the kernel) is little-endian. */
export const HOST_LITTLE_ENDIAN = endianness() === 'LE';

const KIND_SIZE: Record<Exclude<FieldKind, 'pad'>, number> = { u8: 1, u16: 2, u32: 4, u64: 8, n16: 2, n32: 4 };

/** Lays members out back to back (every PF_KEY struct is naturally aligned, so C adds no padding). */
function struct<const M extends readonly Member[]>(name: string, members: M): StructLayout<M[number][0]> {
  const fields: Record<string, FieldSpec> = {};
  let off = 0;
  for (const [field, kind, padSize] of members) {
    const size = kind === 'pad' ? (padSize ?? 0) : KIND_SIZE[kind];
    fields[field] = Object.freeze({ off, size, kind });
    off += size;
  }
  return Object.freeze({ name, size: off, fields: Object.freeze(fields) });
}

export const SADB_MSG = struct('sadb_msg', [
  ['version', 'u8'],
  ['type', 'u8'],
  ['errno', 'u8'],
  ['satype', 'u8'],
  ['len', 'u16'],
  ['reserved', 'u16'],
  ['seq', 'u32'],
  ['pid', 'u32'],
]);
export const SADB_EXT = struct('sadb_ext', [
  ['len', 'u16'],
  ['type', 'u16'],
]);
export const SADB_SA = struct('sadb_sa', [
  ['len', 'u16'],
  ['exttype', 'u16'],
  ['spi', 'n32'],
  ['replay', 'u8'],
  ['state', 'u8'],
  ['auth', 'u8'],
  ['encrypt', 'u8'],
  ['flags', 'u32'],
]);
export const SADB_LIFETIME = struct('sadb_lifetime', [
  ['len', 'u16'],
  ['exttype', 'u16'],
  ['allocations', 'u32'],
  ['bytes', 'u64'],
  ['addtime', 'u64'],
  ['usetime', 'u64'],
]);
export const SADB_ADDRESS = struct('sadb_address', [
  ['len', 'u16'],
  ['exttype', 'u16'],
  ['proto', 'u8'],
  ['prefixlen', 'u8'],
  ['reserved', 'u16'],
]);
export const SADB_KEY = struct('sadb_key', [
  ['len', 'u16'],
  ['exttype', 'u16'],
  ['bits', 'u16'],
  ['reserved', 'u16'],
]);
export const SADB_IDENT = struct('sadb_ident', [
  ['len', 'u16'],
  ['exttype', 'u16'],
  ['type', 'u16'],
  ['reserved', 'u16'],
  ['id', 'u64'],
]);
export const SADB_SENS = struct('sadb_sens', [
  ['len', 'u16'],
  ['exttype', 'u16'],
  ['dpd', 'u32'],
  ['sens_level', 'u8'],
  ['sens_len', 'u8'],
  ['integ_level', 'u8'],
  ['integ_len', 'u8'],
  ['reserved', 'u32'],
]);
export const SADB_PROP = struct('sadb_prop', [
  ['len', 'u16'],
  ['exttype', 'u16'],
  ['replay', 'u8'],
  ['reserved', 'pad', 3],
]);
export const SADB_COMB = struct('sadb_comb', [
  ['auth', 'u8'],
  ['encrypt', 'u8'],
  ['flags', 'u16'],
  ['auth_minbits', 'u16'],
  ['auth_maxbits', 'u16'],
  ['encrypt_minbits', 'u16'],
  ['encrypt_maxbits', 'u16'],
  ['reserved', 'u32'],
  ['soft_allocations', 'u32'],
  ['hard_allocations', 'u32'],
  ['soft_bytes', 'u64'],
  ['hard_bytes', 'u64'],
  ['soft_addtime', 'u64'],
  ['hard_addtime', 'u64'],
  ['soft_usetime', 'u64'],
  ['hard_usetime', 'u64'],
]);
export const SADB_SUPPORTED = struct('sadb_supported', [
  ['len', 'u16'],
  ['exttype', 'u16'],
  ['reserved', 'u32'],
]);
export const SADB_ALG = struct('sadb_alg', [
  ['id', 'u8'],
  ['ivlen', 'u8'],
  ['minbits', 'u16'],
  ['maxbits', 'u16'],
  ['reserved', 'u16'],
]);
export const SADB_SPIRANGE = struct('sadb_spirange', [
  ['len', 'u16'],
  ['exttype', 'u16'],
  ['min', 'u32'],
  ['max', 'u32'],
  ['reserved', 'u32'],
]);
export const SADB_X_KMPRIVATE = struct('sadb_x_kmprivate', [
  ['len', 'u16'],
  ['exttype', 'u16'],
  ['reserved', 'u32'],
]);
export const SADB_X_SA2 = struct('sadb_x_sa2', [
  ['len', 'u16'],
  ['exttype', 'u16'],
  ['mode', 'u8'],
  ['reserved1', 'u8'],
  ['reserved2', 'u16'],
  ['sequence', 'u32'],
  ['reqid', 'u32'],
]);
// FreeBSD names the byte after dir "scope" (formerly reserved) and the last word "priority" (ifindex for ifnet scope).
export const SADB_X_POLICY = struct('sadb_x_policy', [
  ['len', 'u16'],
  ['exttype', 'u16'],
  ['type', 'u16'],
  ['dir', 'u8'],
  ['scope', 'u8'],
  ['id', 'u32'],
  ['priority', 'u32'],
]);
// BSD layout (8 bytes, reqid u16); Linux's is 16 bytes with a u32 reqid — see the layout test.
export const SADB_X_IPSECREQUEST = struct('sadb_x_ipsecrequest', [
  ['len', 'u16'],
  ['proto', 'u16'],
  ['mode', 'u8'],
  ['level', 'u8'],
  ['reqid', 'u16'],
]);
export const SADB_X_NAT_T_TYPE = struct('sadb_x_nat_t_type', [
  ['len', 'u16'],
  ['exttype', 'u16'],
  ['type', 'u8'],
  ['reserved', 'pad', 3],
]);
export const SADB_X_NAT_T_PORT = struct('sadb_x_nat_t_port', [
  ['len', 'u16'],
  ['exttype', 'u16'],
  ['port', 'n16'],
  ['reserved', 'u16'],
]);
export const SADB_X_NAT_T_FRAG = struct('sadb_x_nat_t_frag', [
  ['len', 'u16'],
  ['exttype', 'u16'],
  ['fraglen', 'u16'],
  ['reserved', 'u16'],
]);
export const SADB_X_SA_REPLAY = struct('sadb_x_sa_replay', [
  ['len', 'u16'],
  ['exttype', 'u16'],
  ['replay', 'u32'],
]);

// BSD sockaddrs carry sa_len first (4.3BSD-Reno); ports and addresses are network order.
export const SOCKADDR = struct('sockaddr', [
  ['len', 'u8'],
  ['family', 'u8'],
  ['data', 'pad', 14],
]);
export const SOCKADDR_IN = struct('sockaddr_in', [
  ['len', 'u8'],
  ['family', 'u8'],
  ['port', 'n16'],
  ['addr', 'pad', 4],
  ['zero', 'pad', 8],
]);
export const SOCKADDR_IN6 = struct('sockaddr_in6', [
  ['len', 'u8'],
  ['family', 'u8'],
  ['port', 'n16'],
  ['flowinfo', 'n32'],
  ['addr', 'pad', 16],
  ['scope_id', 'u32'],
]);

/** Every declared layout, for the C cross-check. */
export const ALL_LAYOUTS: readonly StructLayout[] = [
  SADB_MSG,
  SADB_EXT,
  SADB_SA,
  SADB_LIFETIME,
  SADB_ADDRESS,
  SADB_KEY,
  SADB_IDENT,
  SADB_SENS,
  SADB_PROP,
  SADB_COMB,
  SADB_SUPPORTED,
  SADB_ALG,
  SADB_SPIRANGE,
  SADB_X_KMPRIVATE,
  SADB_X_SA2,
  SADB_X_POLICY,
  SADB_X_IPSECREQUEST,
  SADB_X_NAT_T_TYPE,
  SADB_X_NAT_T_PORT,
  SADB_X_NAT_T_FRAG,
  SADB_X_SA_REPLAY,
  SOCKADDR,
  SOCKADDR_IN,
  SOCKADDR_IN6,
];

/** A DataView over exactly the bytes of `buf`. */
export function viewOf(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Reads an 8/16/32-bit field at `base` (callers have checked the bounds). */
export function getField(dv: DataView, base: number, f: FieldSpec): number {
  const o = base + f.off;
  switch (f.kind) {
    case 'u8':
      return dv.getUint8(o);
    case 'u16':
      return dv.getUint16(o, HOST_LITTLE_ENDIAN);
    case 'u32':
      return dv.getUint32(o, HOST_LITTLE_ENDIAN);
    case 'n16':
      return dv.getUint16(o, false);
    case 'n32':
      return dv.getUint32(o, false);
    default:
      throw new TypeError(`getField on ${f.kind} field`);
  }
}

/** Reads a 64-bit host-order field. */
export function getField64(dv: DataView, base: number, f: FieldSpec): bigint {
  return dv.getBigUint64(base + f.off, HOST_LITTLE_ENDIAN);
}

const KIND_MAX: Record<string, number> = { u8: 0xff, u16: 0xffff, n16: 0xffff, u32: 0xffffffff, n32: 0xffffffff };

/** Writes an 8/16/32-bit field; a value that does not fit is refused (PfkeyError EINVAL), never truncated. */
export function setField(dv: DataView, base: number, f: FieldSpec, v: number, what = 'field'): void {
  const max = KIND_MAX[f.kind];
  if (max === undefined) throw new TypeError(`setField on ${f.kind} field`);
  if (!Number.isInteger(v) || v < 0 || v > max)
    throw new PfkeyError('EINVAL', `${what} ${v} does not fit in ${f.kind}`);
  const o = base + f.off;
  switch (f.kind) {
    case 'u8':
      dv.setUint8(o, v);
      return;
    case 'u16':
      dv.setUint16(o, v, HOST_LITTLE_ENDIAN);
      return;
    case 'u32':
      dv.setUint32(o, v, HOST_LITTLE_ENDIAN);
      return;
    case 'n16':
      dv.setUint16(o, v, false);
      return;
    default:
      dv.setUint32(o, v, false);
      return;
  }
}

/** Writes a 64-bit host-order field; values outside 0..2^64-1 are refused. */
export function setField64(dv: DataView, base: number, f: FieldSpec, v: bigint, what = 'field'): void {
  if (typeof v !== 'bigint' || v < 0n || v > 0xffffffffffffffffn)
    throw new PfkeyError('EINVAL', `${what} ${v} does not fit in u64`);
  dv.setBigUint64(base + f.off, v, HOST_LITTLE_ENDIAN);
}
