// SADB_EXT_ADDRESS_SRC/DST/PROXY, SADB_X_EXT_NAT_T_OAI/OAR, SADB_X_EXT_NEW_ADDRESS_SRC/DST (RFC 2367 §2.3.3):
// an 8-byte header then a BSD sockaddr padded to 8. KAME key_validate_ext: 8 + ALIGN8(sa_len) == ext length.
//  | len | exttype | proto u8 | prefixlen u8 | reserved u16 | sockaddr (16 or 28) | pad to 8 |
import { pfkeyAlign8 } from '../constants.js';
import { invalid } from '../errors.js';
import { SADB_ADDRESS, getField, setField } from '../layout.js';
import { type Sockaddr, decodeSockaddr, encodeSockaddr, sockaddrLength } from '../sockaddr.js';
import { type ExtCodec, expectAtLeast, putExtHeader, zeroBytes } from './codec.js';

/** struct sadb_address with its sockaddr. */
export interface SadbAddress {
  proto: number; // upper-layer protocol, 255 = any
  prefixlen: number;
  addr: Sockaddr;
}

const F = SADB_ADDRESS.fields;

export const addressCodec: ExtCodec<SadbAddress> = {
  decode(dv, off, len) {
    expectAtLeast(len, SADB_ADDRESS.size + 2, 'sadb_address', off);
    const { value: addr, next } = decodeSockaddr(dv, off + SADB_ADDRESS.size, len - SADB_ADDRESS.size);
    const saLen = next - off - SADB_ADDRESS.size;
    if (SADB_ADDRESS.size + pfkeyAlign8(saLen) !== len) {
      invalid(`sadb_address: length ${len} does not match sa_len ${saLen} padded to 8`, off);
    }
    const value: SadbAddress = { proto: getField(dv, off, F.proto), prefixlen: getField(dv, off, F.prefixlen), addr };
    return { value, next: off + len };
  },
  encode(v, dv, off, exttype) {
    const len = addressCodec.encodedLength(v);
    putExtHeader(dv, off, len, exttype);
    setField(dv, off, F.proto, v.proto, 'sadb_address_proto');
    setField(dv, off, F.prefixlen, v.prefixlen, 'sadb_address_prefixlen');
    setField(dv, off, F.reserved, 0);
    const end = encodeSockaddr(v.addr, dv, off + SADB_ADDRESS.size);
    zeroBytes(dv, end, off + len - end);
    return off + len;
  },
  encodedLength: (v) => SADB_ADDRESS.size + pfkeyAlign8(sockaddrLength(v.addr)),
};
