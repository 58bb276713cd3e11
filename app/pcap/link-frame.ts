// The link layer around an IP packet in a capture: nothing for LINKTYPE_RAW/IPV4/IPV6, an Ethernet II
// header (IEEE 802.3, with any 802.1Q/802.1ad tags) for LINKTYPE_ETHERNET. `splitFrame` finds the IP
// packet; `joinFrame` puts a new IP packet back under the same link header. Non-IP frames are `other`.
import { LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_RAW } from './pcap-file.js';

const ETHER_HEADER_BYTES = 14;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
/** IEEE 802.1Q and 802.1ad tag protocol identifiers (a 4-byte tag before the real EtherType). */
const ETHERTYPE_VLAN = new Set([0x8100, 0x88a8, 0x9100]);
const VLAN_TAG_BYTES = 4;

export const SUPPORTED_LINKTYPES: ReadonlyMap<number, string> = new Map([
  [LINKTYPE_ETHERNET, 'EN10MB (Ethernet)'],
  [LINKTYPE_RAW, 'RAW (IPv4/IPv6)'],
  [LINKTYPE_IPV4, 'IPV4'],
  [LINKTYPE_IPV6, 'IPV6'],
]);

export type SplitFrame =
  { kind: 'ip'; link: Uint8Array; ip: Uint8Array; trailer: Uint8Array } | { kind: 'other'; why: string };

/** The IP packet's length from its own header, or undefined when the header does not say. */
function ipLength(p: Uint8Array): number | undefined {
  const v = p.length > 0 ? p[0]! >> 4 : 0;
  if (v === 4 && p.length >= 4) return (p[2]! << 8) | p[3]!;
  if (v === 6 && p.length >= 6) return 40 + ((p[4]! << 8) | p[5]!);
  return undefined;
}

/** Separates link header, IP packet and trailing link padding (Ethernet pads frames to 60 bytes). */
export function splitFrame(linktype: number, frame: Uint8Array): SplitFrame {
  let off = 0;
  if (linktype === LINKTYPE_ETHERNET) {
    off = 12;
    for (;;) {
      if (frame.length < off + 2) return { kind: 'other', why: 'short Ethernet header' };
      const type = (frame[off]! << 8) | frame[off + 1]!;
      if (ETHERTYPE_VLAN.has(type)) {
        off += VLAN_TAG_BYTES;
        continue;
      }
      if (type !== ETHERTYPE_IPV4 && type !== ETHERTYPE_IPV6)
        return { kind: 'other', why: `EtherType 0x${type.toString(16).padStart(4, '0')}` };
      off += 2;
      break;
    }
  } else if (!SUPPORTED_LINKTYPES.has(linktype)) {
    return { kind: 'other', why: `link type ${linktype}` };
  }
  const rest = frame.subarray(off);
  const len = ipLength(rest);
  const end = len !== undefined && len <= rest.length && len > 0 ? len : rest.length;
  return { kind: 'ip', link: frame.slice(0, off), ip: rest.slice(0, end), trailer: rest.slice(end) };
}

/** A frame carrying `ip` under `link` (the EtherType follows the IP version). Padding is not re-added. */
export function joinFrame(linktype: number, link: Uint8Array, ip: Uint8Array): Uint8Array {
  const out = new Uint8Array(link.length + ip.length);
  out.set(link);
  out.set(ip, link.length);
  if (linktype === LINKTYPE_ETHERNET && link.length >= ETHER_HEADER_BYTES) {
    const t = ip.length > 0 && ip[0]! >> 4 === 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4;
    out[link.length - 2] = t >> 8;
    out[link.length - 1] = t & 0xff;
  }
  return out;
}
