// Hand-built IPv6 extension headers and random well-formed chains, shared by the ipv6 unit test and the
// scapy cross-check. A generated chain records what it holds, which serves as the oracle for the walk.
import { concat, fromHex } from '../../../common/bytes.js';
import { parseAddr } from '../../../common/inet.js';
import { buildIpv6Packet } from '../../../kernel/ip/ipv6.js';

export const CHAIN_SRC = parseAddr('2001:db8::1')!,
  CHAIN_DST = parseAddr('2001:db8::2')!;
export const HOP = 0,
  RT = 43,
  FRAG = 44,
  DST = 60,
  UDP = 17,
  ESP = 50,
  AH = 51,
  NONE = 59;

/** A generic extension header (hop-by-hop, routing, destination options) of 8 * units bytes. */
export function ext(nh: number, units: number, fill = 0): Uint8Array {
  const b = new Uint8Array(8 * units).fill(fill);
  b[0] = nh;
  b[1] = units - 1;
  if (fill === 0 && units >= 1) {
    b[2] = 1;
    b[3] = 8 * units - 4;
  } // one PadN covering the rest
  return b;
}
export function routing(nh: number, segmentsLeft: number): Uint8Array {
  const b = new Uint8Array(24);
  b[0] = nh;
  b[1] = 2;
  b[2] = 0;
  b[3] = segmentsLeft;
  return b;
}
export function fragHdr(nh: number, offBytes: number, more: boolean, id: number): Uint8Array {
  const b = new Uint8Array(8);
  b[0] = nh;
  b[2] = offBytes >> 8;
  b[3] = (offBytes & 0xf8) | (more ? 1 : 0);
  b[4] = id >>> 24;
  b[5] = (id >>> 16) & 0xff;
  b[6] = (id >>> 8) & 0xff;
  b[7] = id & 0xff;
  return b;
}
export const udp8 = fromHex('0035003500080000');
/** An IPv6 packet from CHAIN_SRC to CHAIN_DST whose fixed header names `first`. */
export function chainPacket(first: number, ...parts: Uint8Array[]): Uint8Array {
  return buildIpv6Packet({ src: CHAIN_SRC, dst: CHAIN_DST, nextHeader: first }, concat(...parts));
}
/** A random but well-formed chain: what was generated is the oracle for the walk and the insertion point. */
export function randomChain(seed: number): { pkt: Uint8Array; types: number[]; sizes: number[]; insertAfter: number } {
  let x = seed >>> 0 || 1;
  const rnd = (n: number) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x >>> 8) % n;
  };
  const types: number[] = [];
  if (rnd(2)) types.push(HOP);
  let frag = false;
  for (let k = rnd(5); k > 0; k--) {
    const t = [RT, DST, FRAG][rnd(3)]!;
    if (t === FRAG && frag) continue;
    frag ||= t === FRAG;
    types.push(t);
  }
  // Routing headers get an even length (whole type-0 addresses) so that other parsers read them too.
  const sizes = types.map((t) => (t === FRAG ? 8 : t === RT ? 8 * (1 + 2 * rnd(3)) : 8 * (1 + rnd(3))));
  const parts = types.map((t, i) => {
    const nh = i + 1 < types.length ? types[i + 1]! : UDP;
    if (t === FRAG) return fragHdr(nh, 0, true, 99);
    if (t === RT) {
      const b = new Uint8Array(sizes[i]!);
      b[0] = nh;
      b[1] = sizes[i]! / 8 - 1;
      return b;
    } // type 0, no segments left
    return ext(nh, sizes[i]! / 8);
  });
  // Oracle, straight from RFC 4302 §3.1.1: everything up to the last of hop-by-hop/routing/fragment, and any
  // destination options that have a routing header somewhere after them.
  let insertAfter = -1;
  types.forEach((t, i) => {
    if (t !== DST || types.slice(i + 1).includes(RT)) insertAfter = i;
  });
  // Stop at the first end-to-end destination options header: everything after it stays behind AH/ESP.
  const firstE2e = types.findIndex((t, i) => t === DST && !types.slice(i + 1).includes(RT));
  if (firstE2e >= 0) insertAfter = Math.min(insertAfter, firstE2e - 1);
  return { pkt: chainPacket(types[0] ?? UDP, ...parts, udp8), types, sizes, insertAfter };
}
