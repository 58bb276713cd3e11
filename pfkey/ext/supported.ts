// SADB_EXT_SUPPORTED_AUTH/ENCRYPT (RFC 2367 §2.3.8): the algorithms a kernel offers in SADB_REGISTER replies.
//  | len | exttype | reserved u32 | alg 0: id u8 ivlen u8 minbits u16 maxbits u16 reserved u16 | alg 1 ...
import { SADB_ALG, SADB_SUPPORTED, getField, setField } from '../layout.js';
import { type ExtCodec, expectAtLeast, putExtHeader } from './codec.js';

/** struct sadb_alg. */
export interface SadbAlg {
  id: number;
  ivlen: number; // bytes
  minbits: number;
  maxbits: number;
}

/** struct sadb_supported with its algorithm list. */
export interface SadbSupported {
  algs: SadbAlg[];
}

const A = SADB_ALG.fields;

export const supportedCodec: ExtCodec<SadbSupported> = {
  decode(dv, off, len) {
    expectAtLeast(len, SADB_SUPPORTED.size, 'sadb_supported', off);
    const algs: SadbAlg[] = [];
    // len is a multiple of 8 and sadb_alg is 8 bytes, so the list always divides evenly.
    for (let p = off + SADB_SUPPORTED.size; p < off + len; p += SADB_ALG.size) {
      algs.push({
        id: getField(dv, p, A.id),
        ivlen: getField(dv, p, A.ivlen),
        minbits: getField(dv, p, A.minbits),
        maxbits: getField(dv, p, A.maxbits),
      });
    }
    return { value: { algs }, next: off + len };
  },
  encode(v, dv, off, exttype) {
    const len = supportedCodec.encodedLength(v);
    putExtHeader(dv, off, len, exttype);
    setField(dv, off, SADB_SUPPORTED.fields.reserved, 0);
    v.algs.forEach((a, i) => {
      const p = off + SADB_SUPPORTED.size + i * SADB_ALG.size;
      setField(dv, p, A.id, a.id, 'sadb_alg_id');
      setField(dv, p, A.ivlen, a.ivlen, 'sadb_alg_ivlen');
      setField(dv, p, A.minbits, a.minbits, 'sadb_alg_minbits');
      setField(dv, p, A.maxbits, a.maxbits, 'sadb_alg_maxbits');
      setField(dv, p, A.reserved, 0);
    });
    return off + len;
  },
  encodedLength: (v) => SADB_SUPPORTED.size + v.algs.length * SADB_ALG.size,
};
