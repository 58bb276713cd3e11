// Attribute payload of ISAKMP Mode Config (draft-dukes-ike-mode-cfg §3.2, payload type 14).
import { u16, putU16 } from '../../../common/bytes.js';
import { checkField, needBytes, target, window, type Codec } from '../codec.js';
import { attributesLength, decodeAttributes, encodeAttributes, type IsakmpAttribute } from './attributes.js';

/*
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !     Type      !   RESERVED    !           Identifier          !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                           Attributes                          ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

/** The mode-config body (racoon `struct isakmp_pl_attr`): REQUEST/REPLY/SET/ACK and its attributes. */
export interface IsakmpCfg {
  cfgType: number;
  identifier: number;
  attrs: IsakmpAttribute[];
}

export function decodeCfg(buf: Uint8Array, offset = 0, end?: number): { value: IsakmpCfg; next: number } {
  const e = window(buf, offset, end);
  needBytes(offset, e, 4, 'attribute payload header');
  const attrs = decodeAttributes(buf, offset + 4, e).value;
  return { value: { cfgType: buf[offset]!, identifier: u16(buf, offset + 2), attrs }, next: e };
}

export function encodeCfg(c: IsakmpCfg, buf?: Uint8Array, offset = 0): Uint8Array {
  const out = target(buf, offset, cfgLength(c));
  out[offset] = checkField(c.cfgType, 8, 'mode-cfg type');
  out[offset + 1] = 0;
  putU16(out, offset + 2, checkField(c.identifier, 16, 'identifier'));
  encodeAttributes(c.attrs, out, offset + 4);
  return out;
}

export function cfgLength(c: IsakmpCfg): number {
  return 4 + attributesLength(c.attrs);
}

export const cfg: Codec<IsakmpCfg> = { decode: decodeCfg, encode: encodeCfg, encodedLength: cfgLength };
