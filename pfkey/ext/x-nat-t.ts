// NAT traversal extensions (KAME/FreeBSD, RFC 3948): SADB_X_EXT_NAT_T_TYPE (encapsulation type),
// SADB_X_EXT_NAT_T_SPORT/DPORT (UDP port, NETWORK order), SADB_X_EXT_NAT_T_FRAG (fragment size, host order).
// The original-address extensions OAI/OAR are sadb_address (address.ts). Each is fixed at 8 bytes.
//  type: | len | exttype | type u8 | reserved[3] |     port: | len | exttype | port n16 | reserved u16 |
//  frag: | len | exttype | fraglen u16 | reserved u16 |
import { SADB_X_NAT_T_FRAG, SADB_X_NAT_T_PORT, SADB_X_NAT_T_TYPE, getField, setField } from '../layout.js';
import { type ExtCodec, expectLength, putExtHeader, zeroBytes } from './codec.js';

/** struct sadb_x_nat_t_type. */
export interface SadbXNatTType {
  type: number; // UDP_ENCAP_ESPINUDP (2) or _NON_IKE (1)
}

/** struct sadb_x_nat_t_port. */
export interface SadbXNatTPort {
  port: number;
}

/** struct sadb_x_nat_t_frag. */
export interface SadbXNatTFrag {
  fraglen: number;
}

export const natTTypeCodec: ExtCodec<SadbXNatTType> = {
  decode(dv, off, len) {
    expectLength(len, SADB_X_NAT_T_TYPE.size, 'sadb_x_nat_t_type', off);
    return { value: { type: getField(dv, off, SADB_X_NAT_T_TYPE.fields.type) }, next: off + len };
  },
  encode(v, dv, off, exttype) {
    putExtHeader(dv, off, SADB_X_NAT_T_TYPE.size, exttype);
    setField(dv, off, SADB_X_NAT_T_TYPE.fields.type, v.type, 'sadb_x_nat_t_type_type');
    zeroBytes(dv, off + SADB_X_NAT_T_TYPE.fields.reserved.off, 3);
    return off + SADB_X_NAT_T_TYPE.size;
  },
  encodedLength: () => SADB_X_NAT_T_TYPE.size,
};

export const natTPortCodec: ExtCodec<SadbXNatTPort> = {
  decode(dv, off, len) {
    expectLength(len, SADB_X_NAT_T_PORT.size, 'sadb_x_nat_t_port', off);
    return { value: { port: getField(dv, off, SADB_X_NAT_T_PORT.fields.port) }, next: off + len };
  },
  encode(v, dv, off, exttype) {
    putExtHeader(dv, off, SADB_X_NAT_T_PORT.size, exttype);
    setField(dv, off, SADB_X_NAT_T_PORT.fields.port, v.port, 'sadb_x_nat_t_port_port');
    setField(dv, off, SADB_X_NAT_T_PORT.fields.reserved, 0);
    return off + SADB_X_NAT_T_PORT.size;
  },
  encodedLength: () => SADB_X_NAT_T_PORT.size,
};

export const natTFragCodec: ExtCodec<SadbXNatTFrag> = {
  decode(dv, off, len) {
    expectLength(len, SADB_X_NAT_T_FRAG.size, 'sadb_x_nat_t_frag', off);
    return { value: { fraglen: getField(dv, off, SADB_X_NAT_T_FRAG.fields.fraglen) }, next: off + len };
  },
  encode(v, dv, off, exttype) {
    putExtHeader(dv, off, SADB_X_NAT_T_FRAG.size, exttype);
    setField(dv, off, SADB_X_NAT_T_FRAG.fields.fraglen, v.fraglen, 'sadb_x_nat_t_frag_fraglen');
    setField(dv, off, SADB_X_NAT_T_FRAG.fields.reserved, 0);
    return off + SADB_X_NAT_T_FRAG.size;
  },
  encodedLength: () => SADB_X_NAT_T_FRAG.size,
};
