// Test packets for the AH tests (unit and scapy interop): IPv4 with immutable and mutable options,
// IPv6 with hop-by-hop options (one "may change"), a type 0 routing header with segments left, and
// end-to-end destination options; plus what routers do to them in transit.
import { buildIpv4Packet } from '../../kernel/ip/ipv4.js';
import { buildIpv6Packet, buildIpv6OptionsHeader } from '../../kernel/ip/ipv6.js';
import { buildUdp } from '../../kernel/ip/udp.js';
import { internetChecksum } from '../../kernel/ip/checksum.js';
import { parseAddr } from '../../common/inet.js';

export const V4 = {
  src: parseAddr('192.0.2.1')!,
  dst: parseAddr('192.0.2.2')!,
  gw1: parseAddr('198.51.100.1')!,
  gw2: parseAddr('198.51.100.2')!,
};
export const V6 = {
  src: parseAddr('2001:db8::1')!,
  dst: parseAddr('2001:db8::2')!,
  hop1: parseAddr('2001:db8:1::1')!,
  hop2: parseAddr('2001:db8:2::1')!,
};

function data(n: number, seed: number): Uint8Array {
  const d = new Uint8Array(n);
  for (let i = 0; i < n; i++) d[i] = (i * 31 + seed) & 0xff;
  return d;
}

// UDP ports avoid 500/4500: scapy dissects 4500 as ESP-in-UDP and then signs the wrong layer.
/** IPv4/UDP with NOP, Router Alert (immutable) and Record Route (mutable) options. */
export function ipv4Packet(withOptions: boolean | 'more' = true, len = 40): Uint8Array {
  // 'more' adds Basic Security (130, immutable) and Internet Timestamp (68, mutable): RFC 4302 App. A.1.
  const more =
    withOptions === 'more' ? [130, 11, 0xab, 0xcd, 0, 0, 0, 0, 0, 0, 0, 68, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0] : [];
  const opts = withOptions ? new Uint8Array([1, 148, 4, 0, 0, 7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, ...more]) : undefined;
  const udp = buildUdp(40000, 7, data(len, 7), { src: V4.src, dst: V4.dst });
  return buildIpv4Packet(
    { protocol: 17, src: V4.src, dst: V4.dst, tos: 0x28, id: 0x1234, df: true, ttl: 61, options: opts },
    udp,
  );
}

/** A type 0 routing header listing `addrs`, with all of them still to visit. */
function routing0(nextHeader: number, addrs: Uint8Array[]): Uint8Array {
  const rh = new Uint8Array(8 + 16 * addrs.length);
  rh[0] = nextHeader;
  rh[1] = addrs.length * 2;
  rh[2] = 0;
  rh[3] = addrs.length;
  addrs.forEach((a, i) => rh.set(a, 8 + 16 * i));
  return rh;
}

/**
 * IPv6/UDP. With `exts`: hop-by-hop [Router Alert, a "may change" option 0x3e], a type 0 routing header
 * (first hop in the destination field, then hop2, then the final destination), and destination options.
 */
export function ipv6Packet(exts: boolean | 'no-routing' = true, len = 40): Uint8Array {
  const finalDst = V6.dst;
  const udp = buildUdp(40000, 7, data(len, 9), { src: V6.src, dst: finalDst });
  if (!exts)
    return buildIpv6Packet(
      { nextHeader: 17, src: V6.src, dst: finalDst, trafficClass: 0x28, flowLabel: 0x12345, hopLimit: 61 },
      udp,
    );
  if (exts === 'no-routing') {
    // Hop-by-hop then destination options and no routing header: RFC 4302 §3.1.1 puts AH before the
    // destination options, scapy (following Linux) after them; a receiver must take either.
    const dst = buildIpv6OptionsHeader(17, new Uint8Array([0x1e, 2, 0xab, 0xcd, 0x3f, 2, 0x11, 0x22]));
    const hbh = buildIpv6OptionsHeader(60, new Uint8Array([5, 2, 0, 0, 0x3e, 4, 0xaa, 0xbb, 0xcc, 0xdd]));
    const body = new Uint8Array(hbh.length + dst.length + udp.length);
    body.set(hbh, 0);
    body.set(dst, hbh.length);
    body.set(udp, hbh.length + dst.length);
    return buildIpv6Packet(
      { nextHeader: 0, src: V6.src, dst: finalDst, trafficClass: 0x28, flowLabel: 0x12345, hopLimit: 61 },
      body,
    );
  }
  const dstopts = buildIpv6OptionsHeader(17, new Uint8Array([0x1e, 2, 0xab, 0xcd]));
  const rh = routing0(60, [V6.hop2, finalDst]);
  const hbh = buildIpv6OptionsHeader(43, new Uint8Array([5, 2, 0, 0, 0x3e, 4, 0xaa, 0xbb, 0xcc, 0xdd]));
  const payload = new Uint8Array(hbh.length + rh.length + dstopts.length + udp.length);
  payload.set(hbh, 0);
  payload.set(rh, hbh.length);
  payload.set(dstopts, hbh.length + rh.length);
  payload.set(udp, hbh.length + rh.length + dstopts.length);
  return buildIpv6Packet(
    { nextHeader: 0, src: V6.src, dst: V6.hop1, trafficClass: 0x28, flowLabel: 0x12345, hopLimit: 61 },
    payload,
  );
}

/** Offsets of the IPv6 extension headers in front of the first header that is not 0/43/60. */
function v6Exts(p: Uint8Array): { type: number; off: number; len: number }[] {
  const out: { type: number; off: number; len: number }[] = [];
  let type = p[6]!;
  let off = 40;
  while (type === 0 || type === 43 || type === 60) {
    const len = (p[off + 1]! + 1) * 8;
    out.push({ type, off, len });
    type = p[off]!;
    off += len;
  }
  return out;
}

/** Where the AH header of an AH packet starts (after the IPv4 header or the IPv6 extension headers). */
export function ahOffsetOf(p: Uint8Array): number {
  if (p[0]! >> 4 === 4) return (p[0]! & 0x0f) * 4;
  const e = v6Exts(p);
  return e.length ? e[e.length - 1]!.off + e[e.length - 1]!.len : 40;
}

/** What routers may do to the mutable fields: TTL/hop limit, DSCP/ECN, DF, flow label, RR and 0x3e option data. */
export function mutateInTransit(src: Uint8Array): Uint8Array {
  const p = new Uint8Array(src);
  if (p[0]! >> 4 === 4) {
    p[1] = 0xb9; // DSCP and ECN CE
    p[6] = p[6]! ^ 0x40; // DF toggled
    p[8] = p[8]! - 3;
    const hl = (p[0]! & 0x0f) * 4;
    for (let i = 20; i < hl;) {
      const t = p[i]!;
      if (t === 0) break;
      if (t === 1) {
        i++;
        continue;
      }
      if (t === 7) {
        p[i + 2] = 12;
        p.set([198, 51, 100, 9], i + 3);
      } // a router recorded itself
      if (t === 68) {
        p[i + 2] = 9;
        p.set([0, 1, 0x86, 0xa0], i + 4);
      } // and stamped the time
      i += p[i + 1]!;
    }
    p[10] = 0;
    p[11] = 0;
    const c = internetChecksum(p, 0, hl);
    p[10] = c >> 8;
    p[11] = c & 0xff;
    return p;
  }
  p[0] = 0x60 | 0x0b;
  p[1] = 0x9f;
  p[2] = 0x77;
  p[3] = 0x01;
  p[7] = p[7]! - 3;
  for (const e of v6Exts(p)) {
    if (e.type !== 0) continue;
    for (let i = e.off + 2; i < e.off + e.len;) {
      if (p[i] === 0) {
        i++;
        continue;
      }
      if (p[i]! & 0x20) p.fill(0x5a, i + 2, i + 2 + p[i + 1]!);
      i += 2 + p[i + 1]!;
    }
  }
  return p;
}

/** Routes a packet through every hop of a type 0 routing header (RFC 5095 describes the old processing). */
export function routeHops(src: Uint8Array): Uint8Array {
  const p = new Uint8Array(src);
  if (p[0]! >> 4 !== 6) return p;
  for (const e of v6Exts(p)) {
    if (e.type !== 43 || p[e.off + 2] !== 0) continue;
    const n = p[e.off + 1]! / 2;
    while (p[e.off + 3]! > 0) {
      const i = n - p[e.off + 3]!;
      const at = e.off + 8 + 16 * i;
      const next = p.slice(at, at + 16);
      p.copyWithin(at, 24, 40);
      p.set(next, 24);
      p[e.off + 3] = p[e.off + 3]! - 1;
    }
  }
  return p;
}
