// Configuration payload, RFC 7296 §3.15: a CFG type and attributes (§3.15.1), each value length checked
// against the table of §3.15.1 (and RFC 7651 / RFC 8598 for the attributes they add).
import { u16, putU16 } from '../../../common/bytes.js';
import * as K from '../constants.js';
import { checkField, copyOf, invalidSyntax, needBytes, target, window, type Codec } from '../codec.js';

/*
 * Payload body (§3.15):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   CFG Type    |                    RESERVED                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                   Configuration Attributes                    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Configuration attribute (§3.15.1):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |R|         Attribute Type      |            Length             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                             Value                             ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

export interface Ikev2CfgAttr {
  type: number; // IKEV2_CFG_ATTR_*
  value: Uint8Array; // empty in a CFG_REQUEST asking for any value
}

export interface Ikev2Cp {
  cfgType: number; // IKEV2_CFG_*
  attrs: Ikev2CfgAttr[];
}

/** §3.15.1: the value lengths each attribute may have (absent from the table: any length). */
const VALUE_LENGTHS: ReadonlyMap<number, readonly number[]> = new Map([
  [K.IKEV2_CFG_ATTR_INTERNAL_IP4_ADDRESS, [0, 4]],
  [K.IKEV2_CFG_ATTR_INTERNAL_IP4_NETMASK, [0, 4]],
  [K.IKEV2_CFG_ATTR_INTERNAL_IP4_DNS, [0, 4]],
  [K.IKEV2_CFG_ATTR_INTERNAL_IP4_NBNS, [0, 4]],
  [K.IKEV2_CFG_ATTR_INTERNAL_IP4_DHCP, [0, 4]],
  [K.IKEV2_CFG_ATTR_INTERNAL_IP6_ADDRESS, [0, 17]], // address + prefix length
  [K.IKEV2_CFG_ATTR_INTERNAL_IP6_DNS, [0, 16]],
  [K.IKEV2_CFG_ATTR_INTERNAL_IP6_DHCP, [0, 16]],
  [K.IKEV2_CFG_ATTR_INTERNAL_IP4_SUBNET, [0, 8]], // address + netmask
  [K.IKEV2_CFG_ATTR_INTERNAL_IP6_SUBNET, [0, 17]],
  [K.IKEV2_CFG_ATTR_P_CSCF_IP4_ADDRESS, [0, 4]], // RFC 7651 §4
  [K.IKEV2_CFG_ATTR_P_CSCF_IP6_ADDRESS, [0, 16]],
]);

/** Refuses a value length the table forbids; SUPPORTED_ATTRIBUTES is a list of 2-byte types. */
function checkAttr(a: Ikev2CfgAttr, offset: number): void {
  const allowed = VALUE_LENGTHS.get(a.type);
  const n = a.value.length;
  if (allowed && !allowed.includes(n)) invalidSyntax(`CP attribute ${a.type} of ${n} bytes`, offset);
  if (a.type === K.IKEV2_CFG_ATTR_SUPPORTED_ATTRIBUTES && n % 2 !== 0)
    invalidSyntax(`SUPPORTED_ATTRIBUTES of ${n} bytes`, offset);
}

export function decodeCp(buf: Uint8Array, offset = 0, end?: number): { value: Ikev2Cp; next: number } {
  const e = window(buf, offset, end);
  needBytes(offset, e, 4, 'CFG type');
  const attrs: Ikev2CfgAttr[] = [];
  let off = offset + 4;
  while (off < e) {
    needBytes(off, e, 4, 'configuration attribute');
    const len = u16(buf, off + 2);
    needBytes(off + 4, e, len, 'configuration attribute value');
    // §3.15.1: the R bit MUST be ignored on receipt.
    const a = { type: u16(buf, off) & 0x7fff, value: copyOf(buf, off + 4, off + 4 + len) };
    checkAttr(a, off);
    attrs.push(a);
    off += 4 + len;
  }
  return { value: { cfgType: buf[offset]!, attrs }, next: e };
}

export function cpLength(cp: Ikev2Cp): number {
  let n = 4;
  for (const a of cp.attrs) n += 4 + a.value.length;
  return n;
}

export function encodeCp(cp: Ikev2Cp, buf?: Uint8Array, offset = 0): Uint8Array {
  const out = target(buf, offset, cpLength(cp));
  out[offset] = checkField(cp.cfgType, 8, 'CFG type');
  out.fill(0, offset + 1, offset + 4);
  let off = offset + 4;
  for (const a of cp.attrs) {
    if (!Number.isInteger(a.type) || a.type < 0 || a.type > 0x7fff) throw new RangeError(`CP attribute type ${a.type}`);
    putU16(out, off, a.type);
    putU16(out, off + 2, checkField(a.value.length, 16, 'attribute length'));
    out.set(a.value, off + 4);
    off += 4 + a.value.length;
  }
  return out;
}

export const cp: Codec<Ikev2Cp> = { decode: decodeCp, encode: encodeCp, encodedLength: cpLength };
