// SADB_X_EXT_KMPRIVATE (KAME): opaque key-management data after an 8-byte header, carried unchanged.
//  | len | exttype | reserved u32 | opaque bytes (multiple of 8) |
import { invalid } from '../errors.js';
import { SADB_X_KMPRIVATE, setField } from '../layout.js';
import { type ExtCodec, bytesAt, expectAtLeast, putBytes, putExtHeader } from './codec.js';

/** struct sadb_x_kmprivate with its payload. */
export interface SadbXKmprivate {
  data: Uint8Array; // multiple of 8 bytes
}

export const kmprivateCodec: ExtCodec<SadbXKmprivate> = {
  decode(dv, off, len) {
    expectAtLeast(len, SADB_X_KMPRIVATE.size, 'sadb_x_kmprivate', off);
    return { value: { data: bytesAt(dv, off + SADB_X_KMPRIVATE.size, len - SADB_X_KMPRIVATE.size) }, next: off + len };
  },
  encode(v, dv, off, exttype) {
    if (v.data.length % 8 !== 0) invalid('sadb_x_kmprivate: data not a multiple of 8 bytes');
    const len = kmprivateCodec.encodedLength(v);
    putExtHeader(dv, off, len, exttype);
    setField(dv, off, SADB_X_KMPRIVATE.fields.reserved, 0);
    putBytes(dv, off + SADB_X_KMPRIVATE.size, v.data);
    return off + len;
  },
  encodedLength: (v) => SADB_X_KMPRIVATE.size + v.data.length,
};
