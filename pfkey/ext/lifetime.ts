// SADB_EXT_LIFETIME_CURRENT/HARD/SOFT (RFC 2367 §2.3.2). 64-bit counters are bigint so every value
// round-trips; CURRENT addtime/usetime are epoch seconds, HARD/SOFT relative seconds.
//  | len | exttype | allocations u32 | bytes u64 | addtime u64 | usetime u64 |   (32 bytes)
import { SADB_LIFETIME, getField, getField64, setField, setField64 } from '../layout.js';
import { type ExtCodec, expectLength, putExtHeader } from './codec.js';

/** struct sadb_lifetime. */
export interface SadbLifetime {
  allocations: number;
  bytes: bigint;
  addtime: bigint; // seconds
  usetime: bigint; // seconds
}

const F = SADB_LIFETIME.fields;

export const lifetimeCodec: ExtCodec<SadbLifetime> = {
  decode(dv, off, len) {
    expectLength(len, SADB_LIFETIME.size, 'sadb_lifetime', off);
    const value: SadbLifetime = {
      allocations: getField(dv, off, F.allocations),
      bytes: getField64(dv, off, F.bytes),
      addtime: getField64(dv, off, F.addtime),
      usetime: getField64(dv, off, F.usetime),
    };
    return { value, next: off + len };
  },
  encode(v, dv, off, exttype) {
    putExtHeader(dv, off, SADB_LIFETIME.size, exttype);
    setField(dv, off, F.allocations, v.allocations, 'sadb_lifetime_allocations');
    setField64(dv, off, F.bytes, v.bytes, 'sadb_lifetime_bytes');
    setField64(dv, off, F.addtime, v.addtime, 'sadb_lifetime_addtime');
    setField64(dv, off, F.usetime, v.usetime, 'sadb_lifetime_usetime');
    return off + SADB_LIFETIME.size;
  },
  encodedLength: () => SADB_LIFETIME.size,
};
