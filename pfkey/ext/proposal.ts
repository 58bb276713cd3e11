// SADB_EXT_PROPOSAL (RFC 2367 §2.3.7): a replay byte, then sadb_comb entries of 72 bytes each,
// listed in order of preference (KAME key_getprop builds them from its algorithm table).
//  | len | exttype | replay u8 | reserved[3] | comb 0 (72) | comb 1 (72) | ...
import { invalid } from '../errors.js';
import { type FieldName, SADB_COMB, SADB_PROP, getField, getField64, setField, setField64 } from '../layout.js';
import { type ExtCodec, expectAtLeast, putExtHeader, zeroBytes } from './codec.js';

/** struct sadb_comb (all 64-bit members are bigint). */
export interface SadbComb {
  auth: number;
  encrypt: number;
  flags: number;
  authMinbits: number;
  authMaxbits: number;
  encryptMinbits: number;
  encryptMaxbits: number;
  softAllocations: number;
  hardAllocations: number;
  softBytes: bigint;
  hardBytes: bigint;
  softAddtime: bigint;
  hardAddtime: bigint;
  softUsetime: bigint;
  hardUsetime: bigint;
}

/** struct sadb_prop with its combinations. */
export interface SadbProp {
  replay: number;
  combs: SadbComb[];
}

// Member name in the C struct for each small (u8/u16/u32) and 64-bit comb field.
type CombField = FieldName<typeof SADB_COMB>;
const SMALL: [keyof SadbComb, CombField][] = [
  ['auth', 'auth'],
  ['encrypt', 'encrypt'],
  ['flags', 'flags'],
  ['authMinbits', 'auth_minbits'],
  ['authMaxbits', 'auth_maxbits'],
  ['encryptMinbits', 'encrypt_minbits'],
  ['encryptMaxbits', 'encrypt_maxbits'],
  ['softAllocations', 'soft_allocations'],
  ['hardAllocations', 'hard_allocations'],
];
const WIDE: [keyof SadbComb, CombField][] = [
  ['softBytes', 'soft_bytes'],
  ['hardBytes', 'hard_bytes'],
  ['softAddtime', 'soft_addtime'],
  ['hardAddtime', 'hard_addtime'],
  ['softUsetime', 'soft_usetime'],
  ['hardUsetime', 'hard_usetime'],
];

function decodeComb(dv: DataView, off: number): SadbComb {
  const c: Record<string, number | bigint> = {};
  for (const [k, n] of SMALL) c[k] = getField(dv, off, SADB_COMB.fields[n]);
  for (const [k, n] of WIDE) c[k] = getField64(dv, off, SADB_COMB.fields[n]);
  return c as unknown as SadbComb;
}

function encodeComb(c: SadbComb, dv: DataView, off: number): void {
  zeroBytes(dv, off, SADB_COMB.size);
  for (const [k, n] of SMALL) setField(dv, off, SADB_COMB.fields[n], c[k] as number, `sadb_comb_${n}`);
  for (const [k, n] of WIDE) setField64(dv, off, SADB_COMB.fields[n], c[k] as bigint, `sadb_comb_${n}`);
}

export const proposalCodec: ExtCodec<SadbProp> = {
  decode(dv, off, len) {
    expectAtLeast(len, SADB_PROP.size, 'sadb_prop', off);
    if ((len - SADB_PROP.size) % SADB_COMB.size !== 0)
      invalid(`sadb_prop: ${len - SADB_PROP.size} bytes is not whole sadb_combs`, off);
    const combs: SadbComb[] = [];
    for (let p = off + SADB_PROP.size; p < off + len; p += SADB_COMB.size) combs.push(decodeComb(dv, p));
    return { value: { replay: getField(dv, off, SADB_PROP.fields.replay), combs }, next: off + len };
  },
  encode(v, dv, off, exttype) {
    const len = proposalCodec.encodedLength(v);
    putExtHeader(dv, off, len, exttype);
    setField(dv, off, SADB_PROP.fields.replay, v.replay, 'sadb_prop_replay');
    zeroBytes(dv, off + SADB_PROP.fields.reserved.off, 3);
    v.combs.forEach((c, i) => encodeComb(c, dv, off + SADB_PROP.size + i * SADB_COMB.size));
    return off + len;
  },
  encodedLength: (v) => SADB_PROP.size + v.combs.length * SADB_COMB.size,
};
