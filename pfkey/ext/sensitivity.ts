// SADB_EXT_SENSITIVITY (RFC 2367 §2.3.6): DOI, levels, then sens_len + integ_len 64-bit bitmap words.
//  | len | exttype | dpd u32 | sens_level u8 | sens_len u8 | integ_level u8 | integ_len u8 | reserved u32 |
//  | sensitivity bitmap (sens_len × 8 bytes) | integrity bitmap (integ_len × 8 bytes) |
import { invalid } from '../errors.js';
import { SADB_SENS, getField, setField } from '../layout.js';
import { type ExtCodec, bytesAt, expectAtLeast, putBytes, putExtHeader } from './codec.js';

/** struct sadb_sens with both bitmaps (lengths are multiples of 8 bytes). */
export interface SadbSens {
  dpd: number;
  sensLevel: number;
  sensBitmap: Uint8Array;
  integLevel: number;
  integBitmap: Uint8Array;
}

const F = SADB_SENS.fields;

export const sensitivityCodec: ExtCodec<SadbSens> = {
  decode(dv, off, len) {
    expectAtLeast(len, SADB_SENS.size, 'sadb_sens', off);
    const sensWords = getField(dv, off, F.sens_len);
    const integWords = getField(dv, off, F.integ_len);
    if (SADB_SENS.size + 8 * (sensWords + integWords) !== len) {
      invalid(`sadb_sens: ${sensWords}+${integWords} bitmap words do not fill ${len} bytes`, off);
    }
    const b = off + SADB_SENS.size;
    const value: SadbSens = {
      dpd: getField(dv, off, F.dpd),
      sensLevel: getField(dv, off, F.sens_level),
      sensBitmap: bytesAt(dv, b, 8 * sensWords),
      integLevel: getField(dv, off, F.integ_level),
      integBitmap: bytesAt(dv, b + 8 * sensWords, 8 * integWords),
    };
    return { value, next: off + len };
  },
  encode(v, dv, off, exttype) {
    if (v.sensBitmap.length % 8 !== 0 || v.integBitmap.length % 8 !== 0)
      invalid('sadb_sens: bitmap not a multiple of 8 bytes');
    const len = sensitivityCodec.encodedLength(v);
    putExtHeader(dv, off, len, exttype);
    setField(dv, off, F.dpd, v.dpd, 'sadb_sens_dpd');
    setField(dv, off, F.sens_level, v.sensLevel, 'sadb_sens_sens_level');
    setField(dv, off, F.sens_len, v.sensBitmap.length / 8, 'sadb_sens_sens_len');
    setField(dv, off, F.integ_level, v.integLevel, 'sadb_sens_integ_level');
    setField(dv, off, F.integ_len, v.integBitmap.length / 8, 'sadb_sens_integ_len');
    setField(dv, off, F.reserved, 0);
    putBytes(dv, off + SADB_SENS.size, v.sensBitmap);
    putBytes(dv, off + SADB_SENS.size + v.sensBitmap.length, v.integBitmap);
    return off + len;
  },
  encodedLength: (v) => SADB_SENS.size + v.sensBitmap.length + v.integBitmap.length,
};
