// SADB_EXT_SA (RFC 2367 §2.3.1): SPI (network order), replay window in BYTES of bitmap, state, algorithms, flags.
//  +---------------+---------------+-------------------------------+
//  |          sadb_sa_len          |        sadb_sa_exttype        |
//  +---------------------------------------------------------------+
//  |                          sadb_sa_spi                          |
//  +---------------+---------------+---------------+---------------+
//  |  ...replay    |  sadb_sa_state |  sadb_sa_auth | sadb_sa_encrypt|
//  +---------------------------------------------------------------+
//  |                         sadb_sa_flags                         |
//  +---------------------------------------------------------------+
import { SADB_SA, getField, setField } from '../layout.js';
import { type ExtCodec, expectLength, putExtHeader } from './codec.js';

/** struct sadb_sa. */
export interface SadbSa {
  spi: number; // host value of the network-order SPI
  replay: number; // window size in bytes of bitmap (packets = 8 × replay)
  state: number;
  auth: number;
  encrypt: number;
  flags: number;
}

const F = SADB_SA.fields;

export const saCodec: ExtCodec<SadbSa> = {
  decode(dv, off, len) {
    expectLength(len, SADB_SA.size, 'sadb_sa', off);
    const value: SadbSa = {
      spi: getField(dv, off, F.spi),
      replay: getField(dv, off, F.replay),
      state: getField(dv, off, F.state),
      auth: getField(dv, off, F.auth),
      encrypt: getField(dv, off, F.encrypt),
      flags: getField(dv, off, F.flags),
    };
    return { value, next: off + len };
  },
  encode(v, dv, off, exttype) {
    putExtHeader(dv, off, SADB_SA.size, exttype);
    setField(dv, off, F.spi, v.spi, 'sadb_sa_spi');
    setField(dv, off, F.replay, v.replay, 'sadb_sa_replay');
    setField(dv, off, F.state, v.state, 'sadb_sa_state');
    setField(dv, off, F.auth, v.auth, 'sadb_sa_auth');
    setField(dv, off, F.encrypt, v.encrypt, 'sadb_sa_encrypt');
    setField(dv, off, F.flags, v.flags, 'sadb_sa_flags');
    return off + SADB_SA.size;
  },
  encodedLength: () => SADB_SA.size,
};
