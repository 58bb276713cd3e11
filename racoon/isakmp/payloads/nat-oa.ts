// NAT-OA payload (21, and 131 of the drafts), RFC 3947 §5.2: the original address of a peer behind a NAT.
import { IPSECDOI_ID_IPV4_ADDR, IPSECDOI_ID_IPV6_ADDR } from '../constants.js';
import { copyOf, malformed, needBytes, target, window, type Codec } from '../codec.js';

/*
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !   ID Type     !   RESERVED    !            RESERVED           !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !           IPv4 (4 octets) or IPv6 address (16 octets)         !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

/** The NAT-OA body: the id type is implied by the address length (ID_IPV4_ADDR or ID_IPV6_ADDR). */
export interface IsakmpNatOa {
  addr: Uint8Array; // 4 or 16 bytes
}

export function decodeNatOa(buf: Uint8Array, offset = 0, end?: number): { value: IsakmpNatOa; next: number } {
  const e = window(buf, offset, end);
  needBytes(offset, e, 4, 'NAT-OA id type');
  const idType = buf[offset]!;
  const want = idType === IPSECDOI_ID_IPV4_ADDR ? 4 : idType === IPSECDOI_ID_IPV6_ADDR ? 16 : -1;
  if (want < 0) malformed(`NAT-OA id type ${idType}, must be ID_IPV4_ADDR or ID_IPV6_ADDR`, offset);
  if (e - offset - 4 !== want) malformed(`NAT-OA address of ${e - offset - 4} bytes for id type ${idType}`, offset);
  return { value: { addr: copyOf(buf, offset + 4, e) }, next: e };
}

export function encodeNatOa(n: IsakmpNatOa, buf?: Uint8Array, offset = 0): Uint8Array {
  if (n.addr.length !== 4 && n.addr.length !== 16) throw new RangeError('NAT-OA address must be 4 or 16 bytes');
  const out = target(buf, offset, natOaLength(n));
  out[offset] = n.addr.length === 4 ? IPSECDOI_ID_IPV4_ADDR : IPSECDOI_ID_IPV6_ADDR;
  out.fill(0, offset + 1, offset + 4);
  out.set(n.addr, offset + 4);
  return out;
}

export function natOaLength(n: IsakmpNatOa): number {
  return 4 + n.addr.length;
}

export const natOa: Codec<IsakmpNatOa> = { decode: decodeNatOa, encode: encodeNatOa, encodedLength: natOaLength };
