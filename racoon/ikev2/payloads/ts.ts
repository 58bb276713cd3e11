// Traffic Selector payloads TSi and TSr, RFC 7296 §3.13: a count and that many selectors, each an address
// range with an IP protocol and a port range (§3.13.1). Selector types we do not interpret are carried whole.
import { u16, putU16 } from '../../../common/bytes.js';
import { IKEV2_TS_IPV4_ADDR_RANGE, IKEV2_TS_IPV6_ADDR_RANGE } from '../constants.js';
import { checkField, copyOf, invalidSyntax, needBytes, target, window, type Codec } from '../codec.js';

/*
 * Payload body (§3.13):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Number of TSs |                 RESERVED                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       <Traffic Selectors>                     ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Traffic selector (§3.13.1):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   TS Type     |IP Protocol ID*|       Selector Length         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Start Port*         |           End Port*           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                         Starting Address*                     ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                         Ending Address*                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   * for TS_IPV4_ADDR_RANGE (length 16) and TS_IPV6_ADDR_RANGE (length 40)
 */

/** An address-range selector; ports 0..65535 mean any (§3.13.1), ICMP type/code travel in the port fields. */
export interface Ikev2AddrSelector {
  tsType: typeof IKEV2_TS_IPV4_ADDR_RANGE | typeof IKEV2_TS_IPV6_ADDR_RANGE;
  protocol: number; // 0 = any
  startPort: number;
  endPort: number;
  startAddr: Uint8Array; // 4 or 16 bytes
  endAddr: Uint8Array;
}

/** A selector of another type (TS_FC_ADDR_RANGE, TS_SECLABEL...): its bytes after the 4-byte header. */
export interface Ikev2OtherSelector {
  tsType: number;
  protocol: number;
  body: Uint8Array;
}

export type Ikev2Selector = Ikev2AddrSelector | Ikev2OtherSelector;

export interface Ikev2Ts {
  selectors: Ikev2Selector[];
}

/** §3.13.1: the selector length of each address type. */
const ADDR_LEN: Readonly<Record<number, number>> = { [IKEV2_TS_IPV4_ADDR_RANGE]: 4, [IKEV2_TS_IPV6_ADDR_RANGE]: 16 };

export function isAddrSelector(s: Ikev2Selector): s is Ikev2AddrSelector {
  return ADDR_LEN[s.tsType] !== undefined;
}

function decodeSelector(buf: Uint8Array, off: number, end: number): { value: Ikev2Selector; next: number } {
  needBytes(off, end, 4, 'traffic selector header');
  const tsType = buf[off]!;
  const protocol = buf[off + 1]!;
  const len = u16(buf, off + 2);
  if (len < 4) invalidSyntax(`selector length ${len}`, off + 2);
  needBytes(off, end, len, 'traffic selector');
  const a = ADDR_LEN[tsType];
  if (a === undefined) return { value: { tsType, protocol, body: copyOf(buf, off + 4, off + len) }, next: off + len };
  if (len !== 8 + 2 * a) invalidSyntax(`selector length ${len} for TS type ${tsType}, expected ${8 + 2 * a}`, off + 2);
  const value: Ikev2AddrSelector = {
    tsType: tsType as Ikev2AddrSelector['tsType'],
    protocol,
    startPort: u16(buf, off + 4),
    endPort: u16(buf, off + 6),
    startAddr: copyOf(buf, off + 8, off + 8 + a),
    endAddr: copyOf(buf, off + 8 + a, off + 8 + 2 * a),
  };
  return { value, next: off + len };
}

export function decodeTs(buf: Uint8Array, offset = 0, end?: number): { value: Ikev2Ts; next: number } {
  const e = window(buf, offset, end);
  needBytes(offset, e, 4, 'number of TSs');
  const count = buf[offset]!;
  const selectors: Ikev2Selector[] = [];
  let off = offset + 4;
  for (let i = 0; i < count; i++) {
    const r = decodeSelector(buf, off, e);
    selectors.push(r.value);
    off = r.next;
  }
  if (off !== e) invalidSyntax(`${e - off} bytes after ${count} traffic selectors`, off);
  return { value: { selectors }, next: e };
}

export function selectorLength(s: Ikev2Selector): number {
  return isAddrSelector(s) ? 8 + 2 * ADDR_LEN[s.tsType]! : 4 + (s as Ikev2OtherSelector).body.length;
}

function encodeSelector(s: Ikev2Selector, out: Uint8Array, off: number): number {
  const len = selectorLength(s);
  out[off] = checkField(s.tsType, 8, 'TS type');
  out[off + 1] = checkField(s.protocol, 8, 'IP protocol');
  putU16(out, off + 2, checkField(len, 16, 'selector length'));
  if (isAddrSelector(s)) {
    const a = ADDR_LEN[s.tsType]!;
    if (s.startAddr.length !== a || s.endAddr.length !== a) throw new RangeError(`addresses must be ${a} bytes`);
    putU16(out, off + 4, checkField(s.startPort, 16, 'start port'));
    putU16(out, off + 6, checkField(s.endPort, 16, 'end port'));
    out.set(s.startAddr, off + 8);
    out.set(s.endAddr, off + 8 + a);
  } else {
    out.set((s as Ikev2OtherSelector).body, off + 4);
  }
  return off + len;
}

export function tsLength(ts: Ikev2Ts): number {
  let n = 4;
  for (const s of ts.selectors) n += selectorLength(s);
  return n;
}

export function encodeTs(ts: Ikev2Ts, buf?: Uint8Array, offset = 0): Uint8Array {
  const out = target(buf, offset, tsLength(ts));
  out[offset] = checkField(ts.selectors.length, 8, 'number of TSs');
  out.fill(0, offset + 1, offset + 4);
  let off = offset + 4;
  for (const s of ts.selectors) off = encodeSelector(s, out, off);
  return out;
}

export const ts: Codec<Ikev2Ts> = { decode: decodeTs, encode: encodeTs, encodedLength: tsLength };
