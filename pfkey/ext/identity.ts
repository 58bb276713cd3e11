// SADB_EXT_IDENTITY_SRC/DST (RFC 2367 §2.3.5): type, id, then a NUL-terminated string padded to 8;
// for the KAME type SADB_X_IDENTTYPE_ADDR a sockaddr instead (16 + ALIGN8(sa_len) == length).
//  | len | exttype | type u16 | reserved u16 | id u64 | string or sockaddr ... | pad to 8 |
// Senders such as libipsec omit the NUL when the string fills the padded space, so the string ends at the
// first NUL or at the end of the extension.
import { SADB_X_IDENTTYPE_ADDR, pfkeyAlign8 } from '../constants.js';
import { invalid } from '../errors.js';
import { SADB_IDENT, getField, getField64, setField, setField64 } from '../layout.js';
import { type Sockaddr, decodeSockaddr, encodeSockaddr, sockaddrLength } from '../sockaddr.js';
import { type ExtCodec, expectAtLeast, putBytes, putExtHeader, zeroBytes } from './codec.js';

/** struct sadb_ident with its string (`data`, no NUL) or, for SADB_X_IDENTTYPE_ADDR, its sockaddr. */
export interface SadbIdent {
  type: number;
  id: bigint;
  data: Uint8Array;
  addr?: Sockaddr;
}

const F = SADB_IDENT.fields;

function decodeString(dv: DataView, off: number, n: number): Uint8Array {
  const raw = new Uint8Array(dv.buffer, dv.byteOffset + off, n);
  const nul = raw.indexOf(0);
  return raw.slice(0, nul < 0 ? n : nul);
}

export const identityCodec: ExtCodec<SadbIdent> = {
  decode(dv, off, len) {
    expectAtLeast(len, SADB_IDENT.size, 'sadb_ident', off);
    const type = getField(dv, off, F.type);
    const id = getField64(dv, off, F.id);
    const body = off + SADB_IDENT.size;
    if (type !== SADB_X_IDENTTYPE_ADDR) {
      return { value: { type, id, data: decodeString(dv, body, len - SADB_IDENT.size) }, next: off + len };
    }
    const { value: addr, next } = decodeSockaddr(dv, body, len - SADB_IDENT.size);
    if (SADB_IDENT.size + pfkeyAlign8(next - body) !== len)
      invalid(`sadb_ident: length ${len} does not match its sockaddr`, off);
    return { value: { type, id, data: new Uint8Array(0), addr }, next: off + len };
  },
  encode(v, dv, off, exttype) {
    const len = identityCodec.encodedLength(v);
    putExtHeader(dv, off, len, exttype);
    setField(dv, off, F.type, v.type, 'sadb_ident_type');
    setField(dv, off, F.reserved, 0);
    setField64(dv, off, F.id, v.id, 'sadb_ident_id');
    const body = off + SADB_IDENT.size;
    zeroBytes(dv, body, len - SADB_IDENT.size);
    if (v.type === SADB_X_IDENTTYPE_ADDR) {
      if (!v.addr) invalid('sadb_ident: SADB_X_IDENTTYPE_ADDR without an address');
      encodeSockaddr(v.addr, dv, body);
    } else {
      if (v.data.includes(0)) invalid('sadb_ident: identity string contains NUL');
      putBytes(dv, body, v.data);
    }
    return off + len;
  },
  encodedLength(v) {
    if (v.type === SADB_X_IDENTTYPE_ADDR && v.addr) return SADB_IDENT.size + pfkeyAlign8(sockaddrLength(v.addr));
    return SADB_IDENT.size + pfkeyAlign8(v.data.length);
  },
};
