// Identification payload with the IPsec DOI id types, RFC 2408 §3.8 and RFC 2407 §4.6.2.
import { u16, putU16 } from '../../../common/bytes.js';
import { formatAddr } from '../../../common/inet.js';
import {
  IPSECDOI_ID_FQDN,
  IPSECDOI_ID_IPV4_ADDR,
  IPSECDOI_ID_IPV4_ADDR_RANGE,
  IPSECDOI_ID_IPV4_ADDR_SUBNET,
  IPSECDOI_ID_IPV6_ADDR,
  IPSECDOI_ID_IPV6_ADDR_RANGE,
  IPSECDOI_ID_IPV6_ADDR_SUBNET,
  IPSECDOI_ID_NAMES,
  IPSECDOI_ID_USER_FQDN,
  ISAKMP_NTYPE_INVALID_ID_INFORMATION,
  nameOf,
} from '../constants.js';
import { IsakmpError, checkField, copyOf, needBytes, target, window, type Codec } from '../codec.js';

/*
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !        Payload Length         !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !   ID Type     !  Protocol ID  !             Port              !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                     Identification Data                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

/** The ID payload body (racoon `struct ipsecdoi_id_b` plus data). */
export interface IsakmpId {
  idType: number;
  protocol: number; // IP protocol, 0 = any
  port: number; // 0 = any
  data: Uint8Array;
}

/** RFC 2407 §4.6.2.2–§4.6.2.12: the fixed data sizes of the address id types. */
const ADDRESS_ID_LEN: Readonly<Record<number, number>> = {
  [IPSECDOI_ID_IPV4_ADDR]: 4,
  [IPSECDOI_ID_IPV4_ADDR_SUBNET]: 8,
  [IPSECDOI_ID_IPV4_ADDR_RANGE]: 8,
  [IPSECDOI_ID_IPV6_ADDR]: 16,
  [IPSECDOI_ID_IPV6_ADDR_SUBNET]: 32,
  [IPSECDOI_ID_IPV6_ADDR_RANGE]: 32,
};

/** Address ids must carry exactly their address bytes; name ids must not be empty. */
export function validateId(id: IsakmpId, offset = -1): void {
  const want = ADDRESS_ID_LEN[id.idType];
  if (want !== undefined && id.data.length !== want) {
    throw new IsakmpError(
      ISAKMP_NTYPE_INVALID_ID_INFORMATION,
      `${nameOf(IPSECDOI_ID_NAMES, id.idType)} with ${id.data.length} bytes, expected ${want}`,
      offset,
    );
  }
  if (want === undefined && id.data.length === 0) {
    throw new IsakmpError(ISAKMP_NTYPE_INVALID_ID_INFORMATION, `empty ${nameOf(IPSECDOI_ID_NAMES, id.idType)}`, offset);
  }
}

export function decodeId(buf: Uint8Array, offset = 0, end?: number): { value: IsakmpId; next: number } {
  const e = window(buf, offset, end);
  needBytes(offset, e, 4, 'ID type/protocol/port');
  const value: IsakmpId = {
    idType: buf[offset]!,
    protocol: buf[offset + 1]!,
    port: u16(buf, offset + 2),
    data: copyOf(buf, offset + 4, e),
  };
  validateId(value, offset);
  return { value, next: e };
}

export function encodeId(id: IsakmpId, buf?: Uint8Array, offset = 0): Uint8Array {
  const out = target(buf, offset, idLength(id));
  out[offset] = checkField(id.idType, 8, 'id type');
  out[offset + 1] = checkField(id.protocol, 8, 'protocol');
  putU16(out, offset + 2, checkField(id.port, 16, 'port'));
  out.set(id.data, offset + 4);
  return out;
}

export function idLength(id: IsakmpId): number {
  return 4 + id.data.length;
}

function prefixLen(mask: Uint8Array): number | undefined {
  let n = 0;
  while (n < mask.length * 8 && mask[n >> 3]! & (0x80 >> (n & 7))) n++;
  for (let i = n; i < mask.length * 8; i++) if (mask[i >> 3]! & (0x80 >> (i & 7))) return undefined;
  return n;
}

/** Human-readable id data, as racoon logs it (`192.0.2.0/24`, `host.example`, `a-b`). */
export function formatIdData(id: IsakmpId): string {
  const d = id.data;
  switch (id.idType) {
    case IPSECDOI_ID_IPV4_ADDR:
    case IPSECDOI_ID_IPV6_ADDR:
      return formatAddr(d);
    case IPSECDOI_ID_IPV4_ADDR_SUBNET:
    case IPSECDOI_ID_IPV6_ADDR_SUBNET: {
      const h = d.length / 2;
      const len = prefixLen(d.subarray(h));
      return `${formatAddr(d.subarray(0, h))}/${len ?? formatAddr(d.subarray(h))}`;
    }
    case IPSECDOI_ID_IPV4_ADDR_RANGE:
    case IPSECDOI_ID_IPV6_ADDR_RANGE: {
      const h = d.length / 2;
      return `${formatAddr(d.subarray(0, h))}-${formatAddr(d.subarray(h))}`;
    }
    case IPSECDOI_ID_FQDN:
    case IPSECDOI_ID_USER_FQDN:
      return Buffer.from(d).toString('latin1');
    default:
      return Buffer.from(d).toString('hex');
  }
}

export const id: Codec<IsakmpId> = { decode: decodeId, encode: encodeId, encodedLength: idLength };
