// Host input path on bad input: malformed IPv4/IPv6 headers, bogus fragment chains and fragment floods are
// counted drops with bounded memory; nesting beyond IPSEC_MAX_INPUT_DEPTH is refused; and a fast-check fuzz
// (fixed seed) of mutated ESP/AH/UDP/ICMP/fragment packets never makes host.input throw.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { ManualClock } from '../../../common/clock.js';
import { Host, type HostOptions } from '../../../kernel/host/host.js';
import { MemWire } from '../../../kernel/link/memwire.js';
import { SeededRng } from '../../../common/rng.js';
import { buildUdpPacket, buildEchoRequestPacket } from '../../../kernel/ip/packet.js';
import { fragmentIpv4, fragmentIpv6 } from '../../../kernel/ip/frag.js';
import { setIpv4Checksum } from '../../../kernel/ip/ipv4.js';
import { espOutput } from '../../../kernel/ipsec/esp.js';
import { IPSEC_MAX_INPUT_DEPTH } from '../../../kernel/ipsec/input.js';
import { ip, settle, saParams } from '../../scenarios/lab.js';

const A = '192.0.2.1',
  B = '192.0.2.2',
  A6 = '2001:db8::1',
  B6 = '2001:db8::2';
const RUNS = process.env.UIPSEC_SLOW ? 200_000 : 5_000;

function host(extra: Partial<HostOptions> = {}): { b: Host; wire: MemWire; sent: Uint8Array[] } {
  const clock = new ManualClock(1_700_000_000_000);
  const sent: Uint8Array[] = [];
  const wire = new MemWire({ tap: (p) => sent.push(new Uint8Array(p)) });
  const b = new Host({ name: 'b', clock, rng: new SeededRng('b'), ...extra });
  b.addInterface('eth0', wire.attach('b', [ip(B), ip(B6)]), [`${B}/24`, `${B6}/64`]);
  wire.attach('a', [ip(A), ip(A6)]);
  return { b, wire, sent };
}

function udp4(len = 20, src = A): Uint8Array {
  return buildUdpPacket({ src: ip(src), dst: ip(B) }, 1000, 9, new Uint8Array(len).fill(0x41));
}

describe('host input: malformed IP headers are counted drops', () => {
  const cases: { name: string; make: () => Uint8Array; counter: string }[] = [
    { name: 'empty', make: () => new Uint8Array(0), counter: 'ips_tooshort' },
    {
      name: 'version 5',
      make: () => {
        const p = udp4();
        p[0] = 0x55;
        return p;
      },
      counter: 'ips_badvers',
    },
    {
      name: 'IHL 4',
      make: () => {
        const p = udp4();
        p[0] = 0x44;
        return p;
      },
      counter: 'ips_badhlen',
    },
    { name: 'truncated header', make: () => udp4().subarray(0, 12), counter: 'ips_tooshort' },
    {
      name: 'total length beyond the buffer',
      make: () => {
        const p = udp4();
        p[3] = p[3]! + 40;
        setIpv4Checksum(p);
        return p;
      },
      counter: 'ips_badlen',
    },
    {
      name: 'bad header checksum',
      make: () => {
        const p = udp4();
        p[10]! ^= 0xff;
        return p;
      },
      counter: 'ips_badsum',
    },
    {
      name: 'IPv6 payload length beyond the buffer',
      make: () => {
        const p = buildUdpPacket({ src: ip(A6), dst: ip(B6) }, 1, 9, new Uint8Array(4));
        p[5] = 200;
        return p;
      },
      counter: 'ip6s_badlen',
    },
    {
      name: 'IPv6 truncated',
      make: () => buildUdpPacket({ src: ip(A6), dst: ip(B6) }, 1, 9, new Uint8Array(4)).subarray(0, 30),
      counter: 'ip6s_tooshort',
    },
    {
      name: 'UDP bad checksum',
      make: () => {
        const p = udp4();
        p[30]! ^= 1;
        return p;
      },
      counter: 'udps_badsum',
    },
    {
      name: 'UDP length beyond IP',
      make: () => {
        const p = udp4();
        p[25] = 200;
        return p;
      },
      counter: 'udps_badlen',
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { b } = host();
      const s = b.udpSocket();
      s.bind(9);
      let n = 0;
      s.onMessage(() => n++);
      b.input(c.make(), 'eth0');
      await settle();
      assert.equal(b.netstat.get(c.counter), 1, JSON.stringify(b.netstat.nonZero()));
      assert.equal(n, 0);
    });
  }

  it('ESP/AH/IPComp with no SA or cut short: notdb / hdrops', () => {
    const { b } = host();
    const esp = udp4(40);
    esp[9] = 50;
    setIpv4Checksum(esp);
    b.input(esp);
    const ah = udp4(40);
    ah[9] = 51;
    setIpv4Checksum(ah);
    b.input(ah);
    const short = udp4(0).subarray(0, 24);
    short[3] = 24;
    short[9] = 50;
    setIpv4Checksum(short);
    b.input(short);
    assert.equal(b.stats.get('esps_notdb'), 1);
    assert.equal(b.stats.get('ahs_notdb'), 1);
    assert.equal(b.stats.get('esps_hdrops'), 1);
    assert.equal(b.stats.get('ips_in_nosa'), 2);
  });
});

describe('host input: fragments', () => {
  it('a fragmented datagram is reassembled and delivered; overlapping and inconsistent chains are dropped', async () => {
    const { b } = host();
    const s = b.udpSocket();
    s.bind(9);
    const got: number[] = [];
    s.onMessage((d) => got.push(d.length));
    const big = udp4(3000);
    const f = fragmentIpv4(big, 1000);
    assert.ok(f.ok);
    for (const x of f.fragments.reverse()) b.input(x);
    await settle();
    assert.deepEqual(got, [3000]);

    // Overlap: the second fragment rewritten to start 8 bytes early with other bytes (RFC 5722 discard).
    const g = fragmentIpv4(udp4(3000, '192.0.2.5'), 1000);
    assert.ok(g.ok);
    const [f0, f1, f2] = g.fragments;
    const evil = f1!.slice();
    evil[7] = evil[7]! - 1;
    evil[40]! ^= 0xff;
    setIpv4Checksum(evil);
    b.input(f0!);
    b.input(evil);
    b.input(f1!);
    b.input(f2!);
    await settle();
    assert.deepEqual(got, [3000]);
    assert.ok(b.reassembler.stats.dropped.overlap + b.reassembler.stats.dropped.afterDiscard >= 2);
    assert.ok(b.netstat.get('ips_fragdropped') >= 2);
  });

  for (const lim of [
    { maxBytes: 256 * 1024, maxDatagrams: 64 },
    { maxBytes: 64 * 1024, maxDatagrams: 100_000 },
  ]) {
    it(`a fragment flood stays within maxBytes ${lim.maxBytes} and maxDatagrams ${lim.maxDatagrams}, counted`, () => {
      const { b } = host({ reassembly: lim });
      const base = udp4(1400);
      let peakBytes = 0,
        peakDatagrams = 0;
      for (let id = 0; id < 8_000; id++) {
        const p = base.slice();
        p[4] = id >> 8;
        p[5] = id & 0xff;
        p[6] = 0x20; // MF, offset 0: a first fragment that never completes
        p[12] = 10;
        p[13] = (id >> 16) & 0xff; // varied sources
        setIpv4Checksum(p);
        b.input(p);
        peakBytes = Math.max(peakBytes, b.reassembler.bytesHeld);
        peakDatagrams = Math.max(peakDatagrams, b.reassembler.datagrams);
      }
      assert.ok(peakBytes <= lim.maxBytes, `held ${peakBytes}`);
      assert.ok(peakDatagrams <= lim.maxDatagrams);
      assert.equal(b.netstat.get('ips_fragments'), 8_000);
      const evicted = b.reassembler.stats.dropped.evictedCount + b.reassembler.stats.dropped.evictedMemory;
      assert.ok(evicted >= 8_000 - Math.min(lim.maxDatagrams, Math.floor(lim.maxBytes / 1400)), `evicted ${evicted}`);
    });
  }

  it('an IPv6 fragment flood (first fragments with 8,000 identifications) stays within the limits', () => {
    const { b } = host({ reassembly: { maxBytes: 128 * 1024, maxDatagrams: 100 } });
    const f = fragmentIpv6(buildUdpPacket({ src: ip(A6), dst: ip(B6) }, 1, 9, new Uint8Array(3000)), 1280, 0);
    assert.ok(f.ok);
    const first = f.fragments[0]!;
    let peak = 0;
    for (let id = 0; id < 8_000; id++) {
      const p = first.slice();
      p[44] = id >> 24;
      p[45] = (id >> 16) & 0xff;
      p[46] = (id >> 8) & 0xff;
      p[47] = id & 0xff; // fragment header id
      b.input(p);
      peak = Math.max(peak, b.reassembler.bytesHeld);
      assert.ok(b.reassembler.datagrams <= 100);
    }
    assert.ok(peak <= 128 * 1024, `held ${peak}`);
    assert.equal(b.netstat.get('ip6s_fragments'), 8_000);
  });

  it('IPv6 fragments are reassembled too', async () => {
    const { b } = host();
    const s = b.udpSocket();
    s.bind(9);
    const got: number[] = [];
    s.onMessage((d) => got.push(d.length));
    const big = buildUdpPacket({ src: ip(A6), dst: ip(B6) }, 1000, 9, new Uint8Array(4000).fill(3));
    const f = fragmentIpv6(big, 1280, 0x1234);
    assert.ok(f.ok);
    for (const x of f.fragments) b.input(x);
    await settle();
    assert.deepEqual(got, [4000]);
  });
});

describe('host input: nesting bound', () => {
  it(`ESP tunnels nested deeper than ${IPSEC_MAX_INPUT_DEPTH} are refused (ips_in_inval)`, async () => {
    const { b } = host();
    const sa = b.sad.add(saParams({ proto: 'esp', mode: 'tunnel', replayBits: 0 }, A, B, 0x9000));
    const s = b.udpSocket();
    s.bind(9);
    let n = 0;
    s.onMessage(() => n++);
    const env = { rng: new SeededRng('x'), now: 0 };
    const wrap = (depth: number): Uint8Array => {
      let p = udp4(10);
      for (let i = 0; i < depth; i++) {
        const r = espOutput(sa, p, env);
        assert.ok(r.ok);
        p = r.packet;
      }
      return p;
    };
    b.input(wrap(3));
    await settle();
    assert.equal(n, 1);
    b.input(wrap(IPSEC_MAX_INPUT_DEPTH + 2));
    await settle();
    assert.equal(n, 1);
    assert.equal(b.stats.get('ips_in_inval'), 1);
  });
});

/** xorshift32 over one fast-check integer: 1-4 byte sets, bit flips, truncations or extensions. */
function mutate(src: Uint8Array, seed: number): Uint8Array {
  let x = seed | 0 || 0x9e3779b9;
  const r = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  let b = src.slice();
  for (let n = 1 + (r() & 3); n > 0; n--) {
    const op = r() % 5,
      at = b.length ? r() % b.length : 0;
    if (op === 0 && b.length) b[at] = r() & 0xff;
    else if (op === 1 && b.length) b[at] = b[at]! ^ (1 << (r() & 7));
    else if (op === 2) b = b.subarray(0, at);
    else if (op === 3) {
      const e = new Uint8Array(b.length + 1 + (r() & 31));
      e.set(b);
      b = e;
    } else if (b.length >= 2) {
      b[at] = 0xff;
      b[(at + 1) % b.length] = 0;
    }
  }
  return b;
}

describe(`host input fuzz (${RUNS} mutated packets, fixed seed)`, () => {
  it('never throws, and the host still answers a clean ping afterwards', async () => {
    const { b, sent } = host();
    for (const [proto, spi] of [
      ['esp', 0x100],
      ['ah', 0x200],
      ['ipcomp', 0x300],
    ] as const) {
      b.sad.add(saParams({ proto }, A, B, spi));
      b.sad.add(saParams({ proto, mode: 'tunnel' }, A6, B6, spi + 1));
    }
    b.addEncapPort(4500);
    b.sad.add(saParams({ proto: 'esp', natt: { sport: 4500, dport: 4500 } }, A, B, 0x400));
    const s = b.udpSocket();
    s.bind(9);
    const peer = new Host({ name: 'a', clock: new ManualClock(), rng: new SeededRng('a') });
    const env = { rng: new SeededRng('env'), now: 0 };
    const seeds: Uint8Array[] = [
      udp4(30),
      buildEchoRequestPacket({ src: ip(A), dst: ip(B) }, 1, 2, new Uint8Array(20)),
      buildUdpPacket({ src: ip(A6), dst: ip(B6) }, 1, 9, new Uint8Array(33)),
      ...(() => {
        const f = fragmentIpv4(udp4(2000), 600);
        return f.ok ? f.fragments : [];
      })(),
    ];
    for (const [spi, big] of [
      [0x100, false],
      [0x200, false],
      [0x300, true],
      [0x400, false],
    ] as const) {
      const sa = peer.sad.add(
        saParams(
          {
            proto: spi === 0x200 ? 'ah' : spi === 0x300 ? 'ipcomp' : 'esp',
            natt: spi === 0x400 ? { sport: 4500, dport: 4500 } : undefined,
          },
          A,
          B,
          spi,
        ),
      );
      const out = sa.proto === 'esp' ? espOutput(sa, udp4(big ? 500 : 30), env) : undefined;
      if (out?.ok) seeds.push(out.packet);
    }
    const v6sa = peer.sad.add(saParams({ proto: 'esp', mode: 'tunnel' }, A6, B6, 0x101));
    const t = espOutput(v6sa, udp4(25), env);
    if (t.ok) seeds.push(t.packet);
    fc.assert(
      fc.property(fc.nat(seeds.length - 1), fc.integer(), (i, sd) => {
        b.input(mutate(seeds[i]!, sd), 'eth0');
      }),
      { seed: 20261122, numRuns: RUNS },
    );
    await settle();
    assert.deepEqual(b.stats.unknownNames(), [], 'every IPsec drop reason is a known KAME/extra counter');
    const before = sent.length;
    b.input(buildEchoRequestPacket({ src: ip(A), dst: ip(B) }, 77, 1, new Uint8Array(8)), 'eth0');
    await settle();
    assert.equal(sent.length, before + 1, 'echo reply sent');
  });
});
