// SADB_EXT_KEY_AUTH/ENCRYPT (RFC 2367 §2.3.4): bits u16 then the key padded to 8 bytes.
// Strict: the key (ceil(bits/8) bytes) must fit, and the padding after it is less than 8 bytes.
//  | len | exttype | bits u16 | reserved u16 | key bytes ... | pad to 8 |
import { pfkeyAlign8 } from '../constants.js';
import { invalid } from '../errors.js';
import { SADB_KEY, getField, setField } from '../layout.js';
import { type ExtCodec, bytesAt, expectAtLeast, putBytes, putExtHeader, zeroBytes } from './codec.js';

/** struct sadb_key with its key material. */
export interface SadbKey {
  bits: number;
  key: Uint8Array; // ceil(bits/8) bytes
}

const F = SADB_KEY.fields;

export const keyCodec: ExtCodec<SadbKey> = {
  decode(dv, off, len) {
    expectAtLeast(len, SADB_KEY.size, 'sadb_key', off);
    const bits = getField(dv, off, F.bits);
    const keyBytes = Math.ceil(bits / 8);
    if (SADB_KEY.size + pfkeyAlign8(keyBytes) !== len) {
      invalid(`sadb_key: ${bits} bits need ${SADB_KEY.size + pfkeyAlign8(keyBytes)} bytes, extension has ${len}`, off);
    }
    return { value: { bits, key: bytesAt(dv, off + SADB_KEY.size, keyBytes) }, next: off + len };
  },
  encode(v, dv, off, exttype) {
    if (v.key.length !== Math.ceil(v.bits / 8)) invalid(`sadb_key: ${v.bits} bits but ${v.key.length} key bytes`);
    const len = keyCodec.encodedLength(v);
    putExtHeader(dv, off, len, exttype);
    setField(dv, off, F.bits, v.bits, 'sadb_key_bits');
    setField(dv, off, F.reserved, 0);
    putBytes(dv, off + SADB_KEY.size, v.key);
    zeroBytes(dv, off + SADB_KEY.size + v.key.length, len - SADB_KEY.size - v.key.length);
    return off + len;
  },
  encodedLength: (v) => SADB_KEY.size + pfkeyAlign8(v.key.length),
};
