// Cross-check of kernel/ip against scapy (an independent implementation): scapy parses packets we build
// (same fields, same checksums), we parse packets scapy builds, and each side reassembles the other's
// fragments. Skipped, with the reason in the title, when /usr/bin/python3 cannot import scapy.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { concat, fromHex, toHex } from '../../../common/bytes.js';
import { formatAddr, parseAddr } from '../../../common/inet.js';
import { ManualClock } from '../../../common/clock.js';
import { buildIpv4Packet, decodeIpv4 } from '../../../kernel/ip/ipv4.js';
import { buildIpv6Packet, buildIpv6OptionsHeader, walkIpv6Chain } from '../../../kernel/ip/ipv6.js';
import { buildUdp, decodeUdp } from '../../../kernel/ip/udp.js';
import { buildEchoRequest, decodeIcmp, decodeIcmpv6 } from '../../../kernel/ip/icmp.js';
import { fragmentIpv4, fragmentIpv6, Reassembler } from '../../../kernel/ip/frag.js';
import { buildUdpPacket, buildEchoRequestPacket, decodeIpPacket } from '../../../kernel/ip/packet.js';
import { internetChecksum, pseudoHeaderSum } from '../../../kernel/ip/checksum.js';
import { randomChain } from '../../unit/ip/chains.js';
import { repoRoot } from '../../support/root.js';

const PYTHON = '/usr/bin/python3';
/** Random well-formed extension-header chains (tests/unit/ip/chains.ts) that scapy also walks. */
const CHAIN_SEEDS = Array.from({ length: 40 }, (_, i) => i + 1);

const probe = spawnSync(PYTHON, ['-c', 'import scapy'], { stdio: 'ignore' });
const haveScapy = probe.status === 0;

interface Fields {
  family: 4 | 6;
  src: string;
  dst: string;
  ihl?: number;
  tos?: number;
  len?: number;
  id?: number;
  flags?: number;
  frag?: number;
  ttl?: number;
  proto?: number;
  chksum?: number;
  chksum_scapy?: number;
  options?: number[];
  tc?: number;
  fl?: number;
  plen?: number;
  nh?: number;
  hlim?: number;
  exts?: [number, number, number][];
  upper_offset?: number;
  udp?: { sport: number; dport: number; len: number; chksum: number; chksum_scapy: number };
  icmp?: { type: number; code: number; chksum: number; id: number; seq: number; chksum_scapy: number };
}
interface Answer {
  ours: Fields[];
  chains: Fields[];
  built: { name: string; hex: string; fields: Fields }[];
  fragmented: { name: string; whole: string; frags: string[] }[];
  defrag4: string[];
  defrag6: string;
}

const S4 = parseAddr('192.0.2.1')!,
  D4 = parseAddr('198.51.100.2')!;
const S6 = parseAddr('2001:db8::1')!,
  D6 = parseAddr('2001:db8::2')!,
  FINAL6 = parseAddr('2001:db8::99')!;

function pattern(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 13 + 5) & 0xff);
}

/** Packets built by uipsec for scapy to parse. */
function ourPackets(): { name: string; pkt: Uint8Array }[] {
  const routing = new Uint8Array(24);
  routing[0] = 60;
  routing[1] = 2;
  routing[3] = 1;
  routing.set(FINAL6, 8);
  // RFC 8200 §8.1: behind a routing header the pseudo-header names the final destination.
  const udpRt = buildUdp(7, 8, fromHex('636861696e'), { src: S6, dst: FINAL6 });
  const chain = concat(
    buildIpv6OptionsHeader(60, fromHex('05020000')),
    buildIpv6OptionsHeader(43, new Uint8Array(0)),
    routing,
    buildIpv6OptionsHeader(17, fromHex('1e0100')),
    udpRt,
  );
  const frag4 = fragmentIpv4(buildUdpPacket({ src: S4, dst: D4, id: 4 }, 1, 2, pattern(1000)), 400);
  const frag6 = fragmentIpv6(buildUdpPacket({ src: S6, dst: D6 }, 1, 2, pattern(2000)), 1280, 0x55aa);
  assert.ok(frag4.ok && frag6.ok);
  return [
    {
      name: 'v4 udp',
      pkt: buildUdpPacket({ src: S4, dst: D4, ttl: 9, tos: 0x10, id: 0x1234 }, 500, 4500, pattern(33)),
    },
    { name: 'v4 icmp echo', pkt: buildEchoRequestPacket({ src: S4, dst: D4, df: true }, 0xbeef, 3, pattern(56)) },
    {
      name: 'v4 options',
      pkt: buildIpv4Packet(
        { protocol: 17, src: S4, dst: D4, options: fromHex('94040000 0707040000000000') },
        buildUdp(9, 10, pattern(5), { src: S4, dst: D4 }),
      ),
    },
    { name: 'v4 middle fragment', pkt: frag4.fragments[1]! },
    { name: 'v6 udp', pkt: buildUdpPacket({ src: S6, dst: D6, ttl: 1, tos: 0xb8 }, 53, 5353, pattern(21)) },
    { name: 'v6 icmp echo', pkt: buildEchoRequestPacket({ src: S6, dst: D6 }, 0x4242, 77, pattern(16)) },
    {
      name: 'v6 hop-by-hop, dstopts, routing, dstopts, udp',
      pkt: buildIpv6Packet({ src: S6, dst: D6, nextHeader: 0 }, chain),
    },
    { name: 'v6 first fragment', pkt: frag6.fragments[0]! },
    { name: 'v6 last fragment', pkt: frag6.fragments[1]! },
  ];
}

/** Our decoders' view of a packet, in the shape scapy_ip.py reports. */
function ourView(pkt: Uint8Array): Fields {
  const s = decodeIpPacket(pkt);
  const f: Fields = { family: s.family, src: formatAddr(s.src), dst: formatAddr(s.dst) };
  if (s.ipv4) {
    const h = s.ipv4;
    Object.assign(f, {
      ihl: h.ihl,
      tos: h.tos,
      len: h.totalLength,
      id: h.id,
      flags: h.flags,
      frag: h.fragOffset,
      ttl: h.ttl,
      proto: h.protocol,
      chksum: h.checksum,
      options: h.optionList.map((o) => o.type),
    });
  } else {
    const c = s.ipv6!,
      h = c.header;
    Object.assign(f, {
      tc: h.trafficClass,
      fl: h.flowLabel,
      plen: h.payloadLength,
      nh: h.nextHeader,
      hlim: h.hopLimit,
      exts: c.exts.map((e) => [e.type, e.offset, e.length]),
      upper_offset: c.upperOffset,
    });
  }
  if (s.ipv4) {
    const copy = pkt.slice(0, s.ipv4.headerLength);
    copy[10] = 0;
    copy[11] = 0;
    f.chksum_scapy = internetChecksum(copy); // our own recomputation, to set beside scapy's
  }
  if (s.isFragment) return f;
  // The pseudo-header destination is the final one when a routing header is present (RFC 8200 §8.1).
  const rt = s.ipv6?.routing;
  const dst =
    rt && rt.segmentsLeft > 0
      ? pkt.slice(rt.offset + 8 + 16 * (rt.segmentsLeft - 1), rt.offset + 8 + 16 * rt.segmentsLeft)
      : s.dst;
  const ip = { src: s.src, dst };
  /** Our checksum of the upper layer from scratch (field zeroed), with the pseudo-header unless ICMPv4. */
  const recompute = (at: number, proto: number | undefined): number => {
    const copy = pkt.slice(s.payloadOffset, s.end);
    copy[at] = 0;
    copy[at + 1] = 0;
    const c = internetChecksum(
      copy,
      0,
      copy.length,
      proto === undefined ? 0 : pseudoHeaderSum(ip.src, ip.dst, proto, copy.length),
    );
    return proto === 17 && c === 0 ? 0xffff : c;
  };
  if (s.protocol === 17) {
    const u = decodeUdp(pkt, s.payloadOffset, s.end, ip).value; // checksum verified by us
    f.udp = { sport: u.srcPort, dport: u.dstPort, len: u.length, chksum: u.checksum, chksum_scapy: recompute(6, 17) };
  } else if (s.protocol === 1 || s.protocol === 58) {
    const h =
      s.protocol === 1
        ? decodeIcmp(pkt, s.payloadOffset, s.end).value
        : decodeIcmpv6(pkt, s.payloadOffset, s.end, ip).value;
    f.icmp = {
      type: h.type,
      code: h.code,
      chksum: h.checksum,
      id: h.id,
      seq: h.seq,
      chksum_scapy: recompute(2, s.protocol === 58 ? 58 : undefined),
    };
  }
  return f;
}

(haveScapy ? describe : describe.skip)(
  `interop: kernel/ip against scapy${haveScapy ? '' : ' (skipped: /usr/bin/python3 cannot import scapy)'}`,
  () => {
    const ours = haveScapy ? ourPackets() : [];
    let frags4: Uint8Array[] = [],
      frags6: Uint8Array[] = [];
    let whole4: Uint8Array = new Uint8Array(0),
      whole6: Uint8Array = new Uint8Array(0);
    let answer: Answer;

    before(() => {
      whole4 = buildUdpPacket({ src: S4, dst: D4, id: 0x777 }, 11, 12, pattern(3000));
      whole6 = buildUdpPacket({ src: S6, dst: D6 }, 13, 14, pattern(5000));
      const f4 = fragmentIpv4(whole4, 1000),
        f6 = fragmentIpv6(whole6, 1280, 0xfeed);
      assert.ok(f4.ok && f6.ok);
      frags4 = f4.fragments;
      frags6 = f6.fragments;
      const req = {
        ours: ours.map((o) => toHex(o.pkt)),
        chains: CHAIN_SEEDS.map((s) => toHex(randomChain(s).pkt)),
        frags4: frags4.map(toHex),
        frags6: frags6.map(toHex),
      };
      const run = spawnSync(PYTHON, [join(repoRoot(), 'tests', 'interop', 'ip', 'scapy_ip.py')], {
        input: JSON.stringify(req),
        encoding: 'utf8',
        maxBuffer: 1 << 26,
      });
      assert.equal(run.status, 0, run.stderr);
      answer = JSON.parse(run.stdout) as Answer;
    });

    it('scapy reads our packets with the same fields, and computes the same IP and upper-layer checksums', () => {
      assert.equal(answer.ours.length, ours.length);
      ours.forEach((o, i) => {
        const theirs = answer.ours[i]!;
        assert.deepEqual(ourView(o.pkt), theirs, o.name);
        if (theirs.chksum !== undefined)
          assert.equal(theirs.chksum_scapy, theirs.chksum, `${o.name}: IPv4 header checksum`);
        const l4 = theirs.udp ?? theirs.icmp;
        if (l4) assert.equal(l4.chksum_scapy, l4.chksum, `${o.name}: upper-layer checksum`);
      });
      assert.ok(answer.ours.filter((f) => f.udp || f.icmp).length >= 6);
    });

    it('scapy walks 40 random extension-header chains to the same headers, offsets and upper layer', () => {
      assert.equal(answer.chains.length, CHAIN_SEEDS.length);
      let longest = 0;
      CHAIN_SEEDS.forEach((seed, i) => {
        const c = walkIpv6Chain(randomChain(seed).pkt);
        const theirs = answer.chains[i]!;
        assert.deepEqual(
          [c.header.nextHeader, c.header.payloadLength, c.exts.map((e) => [e.type, e.offset, e.length]), c.upperOffset],
          [theirs.nh, theirs.plen, theirs.exts, theirs.upper_offset],
          `chain seed ${seed}`,
        );
        longest = Math.max(longest, c.exts.length);
      });
      assert.ok(longest >= 4, 'the chains exercise several headers');
    });

    it('we read packets scapy builds, with the same fields, and verify its checksums', () => {
      assert.ok(answer.built.length >= 8);
      for (const b of answer.built) {
        const pkt = fromHex(b.hex);
        assert.deepEqual(ourView(pkt), b.fields, b.name);
        if (b.fields.family === 4) {
          const copy = pkt.slice();
          copy[10] = 0;
          copy[11] = 0;
          assert.equal(internetChecksum(copy, 0, decodeIpv4(pkt).value.headerLength), b.fields.chksum, b.name);
        }
      }
    });

    it('scapy reassembles our IPv4 and IPv6 fragments into the original packets', () => {
      assert.equal(answer.defrag4.length, 1);
      assert.equal(answer.defrag4[0], toHex(whole4));
      assert.equal(answer.defrag6, toHex(whole6));
    });

    it('our Reassembler rebuilds packets that scapy fragmented', () => {
      for (const f of answer.fragmented) {
        const r = new Reassembler({ clock: new ManualClock() });
        const results = f.frags.map((h) => r.input(fromHex(h)));
        assert.ok(f.frags.length >= 3, f.name);
        const done = results.filter((x) => x.kind === 'complete');
        assert.equal(done.length, 1, `${f.name}: ${JSON.stringify(r.stats)}`);
        assert.equal(toHex((done[0] as { packet: Uint8Array }).packet), f.whole, f.name);
      }
    });

    it('the pseudo-header sum matches scapy for an ICMPv6 echo we build', () => {
      const msg = buildEchoRequest(1, 2, pattern(8), { src: S6, dst: D6 });
      const view = answer.ours.find((x) => x.family === 6 && x.icmp)!;
      assert.ok(view.icmp!.chksum === view.icmp!.chksum_scapy);
      assert.equal(internetChecksum(msg, 0, msg.length, pseudoHeaderSum(S6, D6, 58, msg.length)), 0);
      assert.equal(walkIpv6Chain(buildEchoRequestPacket({ src: S6, dst: D6 }, 1, 2, pattern(8))).upperProto, 58);
    });
  },
);
