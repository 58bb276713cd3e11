// SADB_X_EXT_SA2 (KAME): mode, low 32 bits of the sequence counter, reqid. Fixed 16 bytes.
//  | len | exttype | mode u8 | reserved1 u8 | reserved2 u16 | sequence u32 | reqid u32 |
import { SADB_X_SA2, getField, setField } from '../layout.js';
import { type ExtCodec, expectLength, putExtHeader } from './codec.js';

/** struct sadb_x_sa2. */
export interface SadbXSa2 {
  mode: number; // IPSEC_MODE_*
  sequence: number;
  reqid: number;
}

const F = SADB_X_SA2.fields;

export const sa2Codec: ExtCodec<SadbXSa2> = {
  decode(dv, off, len) {
    expectLength(len, SADB_X_SA2.size, 'sadb_x_sa2', off);
    const value = {
      mode: getField(dv, off, F.mode),
      sequence: getField(dv, off, F.sequence),
      reqid: getField(dv, off, F.reqid),
    };
    return { value, next: off + len };
  },
  encode(v, dv, off, exttype) {
    putExtHeader(dv, off, SADB_X_SA2.size, exttype);
    setField(dv, off, F.mode, v.mode, 'sadb_x_sa2_mode');
    setField(dv, off, F.reserved1, 0);
    setField(dv, off, F.reserved2, 0);
    setField(dv, off, F.sequence, v.sequence, 'sadb_x_sa2_sequence');
    setField(dv, off, F.reqid, v.reqid, 'sadb_x_sa2_reqid');
    return off + SADB_X_SA2.size;
  },
  encodedLength: () => SADB_X_SA2.size,
};
