// SADB_EXT_SPIRANGE (RFC 2367 §2.3.9): the SPI interval GETSPI may choose from. min/max are HOST order
// (unlike sadb_sa_spi). Fixed 16 bytes.
//  | len | exttype | min u32 | max u32 | reserved u32 |
import { SADB_SPIRANGE, getField, setField } from '../layout.js';
import { type ExtCodec, expectLength, putExtHeader } from './codec.js';

/** struct sadb_spirange. */
export interface SadbSpirange {
  min: number;
  max: number;
}

const F = SADB_SPIRANGE.fields;

export const spirangeCodec: ExtCodec<SadbSpirange> = {
  decode(dv, off, len) {
    expectLength(len, SADB_SPIRANGE.size, 'sadb_spirange', off);
    return { value: { min: getField(dv, off, F.min), max: getField(dv, off, F.max) }, next: off + len };
  },
  encode(v, dv, off, exttype) {
    putExtHeader(dv, off, SADB_SPIRANGE.size, exttype);
    setField(dv, off, F.min, v.min, 'sadb_spirange_min');
    setField(dv, off, F.max, v.max, 'sadb_spirange_max');
    setField(dv, off, F.reserved, 0);
    return off + SADB_SPIRANGE.size;
  },
  encodedLength: () => SADB_SPIRANGE.size,
};
