// SADB_X_EXT_SA_REPLAY (FreeBSD >= 11): the anti-replay window in PACKETS, for windows the one-byte
// sadb_sa_replay (bytes of bitmap, at most 255 × 8 packets) cannot express. Fixed 8 bytes.
//  | len | exttype | replay u32 |
import { SADB_X_SA_REPLAY, getField, setField } from '../layout.js';
import { type ExtCodec, expectLength, putExtHeader } from './codec.js';

/** struct sadb_x_sa_replay. */
export interface SadbXSaReplay {
  replay: number; // window size in packets
}

export const saReplayCodec: ExtCodec<SadbXSaReplay> = {
  decode(dv, off, len) {
    expectLength(len, SADB_X_SA_REPLAY.size, 'sadb_x_sa_replay', off);
    return { value: { replay: getField(dv, off, SADB_X_SA_REPLAY.fields.replay) }, next: off + len };
  },
  encode(v, dv, off, exttype) {
    putExtHeader(dv, off, SADB_X_SA_REPLAY.size, exttype);
    setField(dv, off, SADB_X_SA_REPLAY.fields.replay, v.replay, 'sadb_x_sa_replay_replay');
    return off + SADB_X_SA_REPLAY.size;
  },
  encodedLength: () => SADB_X_SA_REPLAY.size,
};
