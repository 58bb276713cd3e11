// Scenario: gateway-to-gateway tunnel mode with hosts behind (four hosts, three wires), IPv4 and IPv6, plus a
// road-warrior host tunnelling to one gateway (three hosts). The WAN carries only ESP between the gateways;
// the LANs carry plain traffic. Also the IPComp+ESP tunnel bundle (only the first tunnel request adds the
// outer header) and Linux-style `fwd` policies checked on forwarding.
//
//   h1 ---lan1--- gw1 ======wan (ESP tunnel)====== gw2 ---lan2--- h2
//   10.1.0.10   10.1.0.1  198.51.100.1   198.51.100.2  10.2.0.1   10.2.0.10
import { strict as assert } from 'node:assert';
import { ManualClock } from '../../common/clock.js';
import type { Host } from '../../kernel/host/host.js';
import { decodeIpPacket } from '../../kernel/ip/packet.js';
import { buildUdpPacket } from '../../kernel/ip/packet.js';
import { formatAddr } from '../../common/inet.js';
import { espInput, espSpi } from '../../kernel/ipsec/esp.js';
import { ReplayWindow } from '../../kernel/sad/replay.js';
import {
  settle,
  makeHost,
  attach,
  segment,
  addSaPair,
  policyPair,
  protocols,
  anyFrameContains,
  ip,
  type Segment,
  type Req,
  type SaSpec,
} from './lab.js';

interface Plan {
  fam: string;
  lan1: string;
  lan2: string;
  h1: string;
  h2: string;
  g1l: string;
  g2l: string;
  g1w: string;
  g2w: string;
  len: number;
  wlen: number;
  deflt: string;
}
const PLANS: Plan[] = [
  {
    fam: 'IPv4',
    lan1: '10.1.0.0/24',
    lan2: '10.2.0.0/24',
    h1: '10.1.0.10',
    h2: '10.2.0.10',
    g1l: '10.1.0.1',
    g2l: '10.2.0.1',
    g1w: '198.51.100.1',
    g2w: '198.51.100.2',
    len: 24,
    wlen: 24,
    deflt: '0.0.0.0/0',
  },
  {
    fam: 'IPv6',
    lan1: '2001:db8:1::/64',
    lan2: '2001:db8:2::/64',
    h1: '2001:db8:1::10',
    h2: '2001:db8:2::10',
    g1l: '2001:db8:1::1',
    g2l: '2001:db8:2::1',
    g1w: '2001:db8:ff::1',
    g2w: '2001:db8:ff::2',
    len: 64,
    wlen: 64,
    deflt: '::/0',
  },
];

interface Net {
  h1: Host;
  h2: Host;
  gw1: Host;
  gw2: Host;
  lan1: Segment;
  lan2: Segment;
  wan: Segment;
  all: Host[];
}

function build(p: Plan): Net {
  const clock = new ManualClock(1_700_000_000_000);
  const lan1 = segment(),
    lan2 = segment(),
    wan = segment();
  const h1 = makeHost('h1', clock),
    h2 = makeHost('h2', clock);
  const gw1 = makeHost('gw1', clock, { forwarding: true }),
    gw2 = makeHost('gw2', clock, { forwarding: true });
  attach(h1, lan1, 'eth0', [`${p.h1}/${p.len}`]);
  attach(gw1, lan1, 'eth0', [`${p.g1l}/${p.len}`]);
  attach(gw1, wan, 'eth1', [`${p.g1w}/${p.wlen}`]);
  attach(gw2, wan, 'eth1', [`${p.g2w}/${p.wlen}`]);
  attach(gw2, lan2, 'eth0', [`${p.g2l}/${p.len}`]);
  attach(h2, lan2, 'eth0', [`${p.h2}/${p.len}`]);
  h1.addRoute(p.deflt, 'eth0', p.g1l);
  h2.addRoute(p.deflt, 'eth0', p.g2l);
  gw1.addRoute(p.lan2, 'eth1', p.g2w);
  gw2.addRoute(p.lan1, 'eth1', p.g1w);
  return { h1, h2, gw1, gw2, lan1, lan2, wan, all: [h1, h2, gw1, gw2] };
}

function tunnel(n: Net, p: Plan, sas: SaSpec[], reqs: Req[]): void {
  sas.forEach((s, i) => addSaPair([n.gw1, n.gw2], { ...s, mode: 'tunnel' }, p.g1w, p.g2w, 0x2000 + 0x100 * i));
  policyPair(
    n.gw1,
    n.gw2,
    p.lan1,
    p.lan2,
    reqs.map((r) => ({ ...r, mode: 'tunnel', tunnel: [p.g1w, p.g2w] as [string, string] })),
  );
}

function outerAddrs(bytes: Uint8Array): string {
  const s = decodeIpPacket(bytes);
  return `${formatAddr(s.src)}>${formatAddr(s.dst)}`;
}

describe('scenario gateway-to-gateway tunnel', () => {
  for (const p of PLANS) {
    it(`${p.fam}: h1 and h2 talk through an ESP tunnel; the WAN carries only ESP between the gateways`, async () => {
      const n = build(p);
      tunnel(n, p, [{ proto: 'esp' }], [{ proto: 'esp' }]);
      const pr = n.h1.ping(p.h2, { count: 4, intervalMs: 0 });
      await settle(8);
      assert.deepEqual((await pr).map((r) => r.seq).sort(), [0, 1, 2, 3]);

      const secret = new TextEncoder().encode('tunnelled secret payload 0123456789');
      const s2 = n.h2.udpSocket();
      s2.bind(5353);
      const got: string[] = [];
      s2.onMessage((d, from) => {
        got.push(`${formatAddr(from.address)}:${new TextDecoder().decode(d)}`);
        assert.equal(from.layers.length, 0);
      });
      n.h1.udpSocket().send(secret, p.h2, 5353);
      await settle(8);
      assert.deepEqual(got, [`${p.h1}:tunnelled secret payload 0123456789`]);

      assert.deepEqual([...new Set(protocols(n.wan.frames))], [50]);
      const pairs = new Set(n.wan.frames.map((f) => outerAddrs(f.bytes)));
      assert.deepEqual([...pairs].sort(), [`${p.g1w}>${p.g2w}`, `${p.g2w}>${p.g1w}`].sort());
      assert.equal(anyFrameContains(n.wan.frames, secret), false);
      assert.equal(anyFrameContains(n.lan2.frames, secret), true, 'plain on the LAN behind the gateway');
      assert.equal(n.gw2.stats.get('esps_input'), 5);
      assert.equal(n.gw2.stats.get('ips_in_success'), 5);
      for (const h of n.all) assert.equal(h.stats.get('ips_in_polvio'), 0);
    });
  }

  it('IPv4 networks over an IPv6 WAN (4-in-6 tunnel, RFC 4301 §5.1.2.2)', async () => {
    const p4 = PLANS[0]!,
      p6 = PLANS[1]!;
    const clock = new ManualClock(1_700_000_000_000);
    const lan1 = segment(),
      lan2 = segment(),
      wan = segment();
    const h1 = makeHost('h1', clock),
      h2 = makeHost('h2', clock);
    const gw1 = makeHost('gw1', clock, { forwarding: true }),
      gw2 = makeHost('gw2', clock, { forwarding: true });
    attach(h1, lan1, 'eth0', [`${p4.h1}/24`]);
    attach(gw1, lan1, 'eth0', [`${p4.g1l}/24`]);
    attach(gw1, wan, 'eth1', [`${p6.g1w}/64`]);
    attach(gw2, wan, 'eth1', [`${p6.g2w}/64`]);
    attach(gw2, lan2, 'eth0', [`${p4.g2l}/24`]);
    attach(h2, lan2, 'eth0', [`${p4.h2}/24`]);
    h1.addRoute('0.0.0.0/0', 'eth0', p4.g1l);
    h2.addRoute('0.0.0.0/0', 'eth0', p4.g2l);
    addSaPair([gw1, gw2], { proto: 'esp', mode: 'tunnel' }, p6.g1w, p6.g2w, 0x4600);
    policyPair(gw1, gw2, p4.lan1, p4.lan2, [{ proto: 'esp', mode: 'tunnel', tunnel: [p6.g1w, p6.g2w] }]);
    const pr = h1.ping(p4.h2, { count: 2, intervalMs: 0 });
    await settle(8);
    assert.equal((await pr).length, 2);
    assert.ok(
      wan.frames.length === 4 && wan.frames.every((f) => f.bytes[0]! >> 4 === 6 && f.bytes[6] === 50),
      'IPv6 ESP on the WAN',
    );
    assert.ok(
      lan2.frames.every((f) => f.bytes[0]! >> 4 === 4),
      'IPv4 behind the gateway',
    );
    assert.equal(gw2.stats.get('ips_in_polvio'), 0);
  });

  it('IPComp+ESP tunnel bundle: one outer header, ESP around IPComp around the inner packet', async () => {
    const p = PLANS[0]!;
    const n = build(p);
    tunnel(n, p, [{ proto: 'ipcomp' }, { proto: 'esp' }], [{ proto: 'ipcomp', level: 'use' }, { proto: 'esp' }]);
    const pr = n.h1.ping(p.h2, { count: 3, intervalMs: 0, size: 1200 });
    await settle(8);
    assert.equal((await pr).length, 3);
    // Each WAN frame: IPv4 (gw1>gw2 or back) | ESP, and the decrypted payload was IPComp, then the inner packet.
    assert.deepEqual([...new Set(protocols(n.wan.frames))], [50]);
    assert.ok(
      n.wan.frames.every((f) => f.bytes.length < 1200),
      'compressed below the echo size',
    );
    assert.equal(n.gw2.stats.get('ipcomps_input'), 3);
    assert.equal(n.gw1.stats.get('ipcomps_input'), 3);
    // Open one WAN frame by hand: ESP's payload is IPComp (108) behind the single outer header, and IPComp
    // carries the inner IPv4 packet (4). Two outer headers would show 4 right after ESP instead.
    const frame = new Uint8Array(n.wan.frames[0]!.bytes);
    const sum = decodeIpPacket(frame);
    const sa = n.gw2.sad.lookupIn(ip(p.g2w), 'esp', espSpi(frame, sum.payloadOffset))!;
    // A copy of the SA with a fresh replay window (an SaRecord's keys are getters: named, not spread).
    const copy = {
      ...sa,
      encKey: sa.encKey,
      authKey: sa.authKey,
      mode: 'any' as const,
      replay: new ReplayWindow(0, false),
    };
    const r = espInput(copy, frame, sum.payloadOffset, {
      rng: n.gw2.rng,
      now: 0,
    });
    assert.ok(r.ok);
    const afterEsp = decodeIpPacket(r.packet);
    assert.equal(afterEsp.protocol, 108);
    assert.equal(formatAddr(afterEsp.src), p.g1w);
    assert.equal(r.packet[afterEsp.payloadOffset], 4, 'IPComp next header: IPv4 (the inner packet)');
    assert.equal(n.gw2.stats.get('ips_in_polvio'), 0);
  });

  it('a fwd policy requiring ESP drops a plaintext packet injected on the WAN for the LAN (counted)', async () => {
    const p = PLANS[0]!;
    const n = build(p);
    addSaPair([n.gw1, n.gw2], { proto: 'esp', mode: 'tunnel' }, p.g1w, p.g2w, 0x3000);
    const req = (s: string, d: string) => [
      { proto: 'esp' as const, mode: 'tunnel' as const, src: s, dst: d, level: 'require' as const },
    ];
    n.gw1.spd.addPolicy({ src: p.lan1, dst: p.lan2, dir: 'out', action: 'ipsec', requests: req(p.g1w, p.g2w) });
    n.gw1.spd.addPolicy({ src: p.lan2, dst: p.lan1, dir: 'fwd', action: 'ipsec', requests: req(p.g2w, p.g1w) });
    n.gw2.spd.addPolicy({ src: p.lan2, dst: p.lan1, dir: 'out', action: 'ipsec', requests: req(p.g2w, p.g1w) });
    n.gw2.spd.addPolicy({ src: p.lan1, dst: p.lan2, dir: 'fwd', action: 'ipsec', requests: req(p.g1w, p.g2w) });
    const pr = n.h1.ping(p.h2, { count: 2, intervalMs: 0 });
    await settle(8);
    assert.equal((await pr).length, 2);
    // An attacker on the WAN sends h2 a datagram claiming to come from h1, without the tunnel.
    const s2 = n.h2.udpSocket();
    s2.bind(9);
    let delivered = 0;
    s2.onMessage(() => delivered++);
    const forged = buildUdpPacket({ src: ip(p.h1), dst: ip(p.h2) }, 1000, 9, new Uint8Array(10));
    n.gw2.input(forged, 'eth1');
    await settle(4);
    assert.equal(delivered, 0);
    assert.equal(n.gw2.stats.get('ips_in_polvio'), 1);
    assert.equal(n.lan2.frames.filter((f) => decodeIpPacket(f.bytes).protocol === 17).length, 0);
  });
});

describe('scenario road warrior (three hosts)', () => {
  it('a host tunnels to a gateway to reach a host behind it; the gateway answers pings itself in plain', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const wan = segment(),
      lan = segment();
    const rw = makeHost('rw', clock),
      gw = makeHost('gw', clock, { forwarding: true }),
      h = makeHost('h', clock);
    attach(rw, wan, 'eth0', ['198.51.100.10/24']);
    attach(gw, wan, 'eth1', ['198.51.100.1/24']);
    attach(gw, lan, 'eth0', ['10.2.0.1/24']);
    attach(h, lan, 'eth0', ['10.2.0.10/24']);
    rw.addRoute('10.2.0.0/24', 'eth0', '198.51.100.1');
    h.addRoute('0.0.0.0/0', 'eth0', '10.2.0.1');
    addSaPair(
      [rw, gw],
      { proto: 'esp', mode: 'tunnel', enc: 'aes-cbc', auth: 'hmac-sha256' },
      '198.51.100.10',
      '198.51.100.1',
      0x4000,
    );
    policyPair(rw, gw, '198.51.100.10/32', '10.2.0.0/24', [
      { proto: 'esp', mode: 'tunnel', tunnel: ['198.51.100.10', '198.51.100.1'] },
    ]);
    const pr = rw.ping('10.2.0.10', { count: 2, intervalMs: 0 });
    const pg = rw.ping('198.51.100.1', { count: 1, intervalMs: 0 });
    await settle(8);
    assert.equal((await pr).length, 2);
    assert.equal((await pg).length, 1);
    const wanProtos = protocols(wan.frames);
    assert.equal(wanProtos.filter((x) => x === 50).length, 4);
    assert.equal(wanProtos.filter((x) => x === 1).length, 2, 'the gateway itself is outside the policy');
    assert.deepEqual([...new Set(protocols(lan.frames))], [1]);
  });
});
