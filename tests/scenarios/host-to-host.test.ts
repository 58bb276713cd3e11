// Scenario: two hosts on one in-memory wire, transport-mode IPsec between them (ESP, AH, ESP+AH, IPComp+ESP),
// IPv4 and IPv6, exercised with ping and UDP. Every frame on the wire is captured and checked: the outer
// protocol is the expected IPsec one and no frame carries the ESP-protected plaintext.
//
//    a 192.0.2.1 / 2001:db8::1  ====== memwire ======  b 192.0.2.2 / 2001:db8::2
import { strict as assert } from 'node:assert';
import { ManualClock } from '../../common/clock.js';
import type { Host } from '../../kernel/host/host.js';
import { decodeIpPacket, buildEchoRequestPacket, buildIpPacket } from '../../kernel/ip/packet.js';
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
  type Req,
  type SaSpec,
  type Segment,
} from './lab.js';

interface Case {
  name: string;
  sas: SaSpec[];
  reqs: Req[];
  outer: number;
  next?: number;
  encrypts: boolean;
  layers?: string[];
}

const CASES: Case[] = [
  {
    name: 'ESP (AES-128-GCM)',
    sas: [{ proto: 'esp' }],
    reqs: [{ proto: 'esp' }],
    outer: 50,
    encrypts: true,
    layers: ['esp'],
  },
  {
    name: 'ESP (AES-CBC + HMAC-SHA1)',
    sas: [{ proto: 'esp', enc: 'aes-cbc', auth: 'hmac-sha1' }],
    reqs: [{ proto: 'esp' }],
    outer: 50,
    encrypts: true,
    layers: ['esp'],
  },
  {
    name: 'AH (HMAC-SHA256)',
    sas: [{ proto: 'ah' }],
    reqs: [{ proto: 'ah' }],
    outer: 51,
    encrypts: false,
    layers: ['ah'],
  },
  {
    name: 'ESP+AH',
    sas: [{ proto: 'esp' }, { proto: 'ah' }],
    reqs: [{ proto: 'esp' }, { proto: 'ah' }],
    outer: 51,
    next: 50,
    encrypts: true,
    layers: ['ah', 'esp'],
  },
  {
    name: 'IPComp+ESP',
    sas: [{ proto: 'ipcomp' }, { proto: 'esp' }],
    reqs: [{ proto: 'ipcomp', level: 'use' }, { proto: 'esp' }],
    outer: 50,
    encrypts: true,
    layers: ['esp', 'ipcomp'],
  },
];

const FAMILIES = [
  { fam: 'IPv4', a: '192.0.2.1', b: '192.0.2.2', len: 24 },
  { fam: 'IPv6', a: '2001:db8::1', b: '2001:db8::2', len: 64 },
];

/** The next header after the outermost IPsec header (AH's first byte). */
function afterAh(bytes: Uint8Array): number {
  const s = decodeIpPacket(bytes);
  return bytes[s.payloadOffset]!;
}

function setup(c: Case, f: (typeof FAMILIES)[number]): { a: Host; b: Host; seg: Segment; clock: ManualClock } {
  const clock = new ManualClock(1_700_000_000_000);
  const seg = segment();
  const a = makeHost('a', clock),
    b = makeHost('b', clock);
  attach(a, seg, 'eth0', [`${f.a}/${f.len}`]);
  attach(b, seg, 'eth0', [`${f.b}/${f.len}`]);
  c.sas.forEach((s, i) => addSaPair([a, b], s, f.a, f.b, 0x1000 + 0x100 * i));
  const host = f.fam === 'IPv4' ? 32 : 128;
  if (c.reqs.length) policyPair(a, b, `${f.a}/${host}`, `${f.b}/${host}`, c.reqs);
  return { a, b, seg, clock };
}

describe('scenario host-to-host transport', () => {
  for (const f of FAMILIES) {
    for (const c of CASES) {
      it(`${c.name} over ${f.fam}: ping and UDP both ways, only ${c.outer === 50 ? 'ESP' : 'AH'} on the wire`, async () => {
        const { a, b, seg } = setup(c, f);
        // IPComp only compresses payloads above its threshold: use a large, compressible echo.
        const size = c.sas.some((s) => s.proto === 'ipcomp') ? 1000 : 56;
        const pings = a.ping(f.b, { count: 3, intervalMs: 0, size });
        await settle();
        const replies = await pings;
        assert.deepEqual(replies.map((r) => r.seq).sort(), [0, 1, 2]);
        assert.ok(replies.every((r) => r.bytes === size + 8));

        const secret = new TextEncoder().encode('attack at dawn, '.repeat(12));
        const sb = b.udpSocket();
        sb.bind(7000);
        const got: Uint8Array[] = [];
        sb.onMessage((d, from) => {
          got.push(d);
          sb.send(d.slice().reverse(), from.address, from.port);
        });
        const sa = a.udpSocket();
        const back: Uint8Array[] = [];
        const layers: string[][] = [];
        sa.onMessage((d, from) => {
          back.push(d);
          layers.push(from.layers.map((l) => l.proto));
        });
        assert.ok(sa.send(secret, f.b, 7000));
        await settle();
        assert.equal(got.length, 1);
        assert.deepEqual(got[0], secret);
        assert.equal(back.length, 1);
        assert.deepEqual(back[0], secret.slice().reverse());
        assert.deepEqual(layers, [c.layers]);

        // What the wire carried: only IPsec, and for ESP never the plaintext.
        const protos = protocols(seg.frames);
        assert.ok(seg.frames.length >= 8);
        assert.deepEqual([...new Set(protos)], [c.outer]);
        if (c.next !== undefined) assert.ok(seg.frames.every((fr) => afterAh(fr.bytes) === c.next));
        if (c.encrypts) assert.equal(anyFrameContains(seg.frames, secret.subarray(0, 32)), false);
        else assert.equal(anyFrameContains(seg.frames, secret.subarray(0, 32)), true);
        for (const h of [a, b]) {
          assert.equal(h.stats.get('ips_in_polvio'), 0);
          assert.equal(h.stats.get('ips_out_nosa'), 0);
          assert.deepEqual(h.stats.unknownNames(), []);
        }
        if (c.sas.some((s) => s.proto === 'ipcomp')) {
          assert.ok(a.stats.get('ipcomps_output') >= 3, 'the large echoes were compressed');
          assert.ok(b.stats.get('ipcomps_input') >= 3);
        }
        a.close();
        b.close();
      });
    }
  }

  for (const f of FAMILIES) {
    it(`IPComp tunnel over ${f.fam}: small payloads go uncompressed as IP-in-IP and are accepted (RFC 3173 §2.2)`, async () => {
      const c: Case = {
        name: 'ipcomp tunnel',
        sas: [{ proto: 'ipcomp', mode: 'tunnel' }],
        reqs: [{ proto: 'ipcomp', mode: 'tunnel', tunnel: [f.a, f.b] }],
        outer: 0,
        encrypts: false,
      };
      const { a, b, seg } = setup(c, f);
      const small = await Promise.all([a.ping(f.b, { count: 2, intervalMs: 0, size: 16 }), settle()]).then(([r]) => r);
      const big = await Promise.all([a.ping(f.b, { count: 2, intervalMs: 0, size: 1200 }), settle()]).then(([r]) => r);
      assert.equal(small.length, 2);
      assert.equal(big.length, 2);
      const ipip = f.fam === 'IPv4' ? 4 : 41;
      assert.deepEqual(protocols(seg.frames), [ipip, ipip, ipip, ipip, 108, 108, 108, 108]);
      assert.equal(a.stats.get('ipcomps_threshold'), 2);
      assert.equal(b.stats.get('ipcomps_input'), 4);
      assert.equal(b.stats.get('ips_in_polvio'), 0);
      a.close();
      b.close();
    });
  }

  it('IP-in-IP from a peer without an IPComp tunnel SA is not terminated (ips_noproto)', async () => {
    const f = FAMILIES[0]!;
    const { a, b } = setup({ name: 'none', sas: [], reqs: [], outer: 0, encrypts: false }, f);
    const inner = buildEchoRequestPacket({ src: ip('10.0.0.1'), dst: ip('10.0.0.2') }, 1, 1, new Uint8Array(8));
    b.input(buildIpPacket({ src: ip(f.a), dst: ip(f.b) }, 4, inner));
    await settle();
    assert.equal(b.netstat.get('ips_noproto'), 1);
    assert.equal(b.stats.get('ipcomps_input'), 0);
    a.close();
    b.close();
  });

  it('the SAs count bytes and packets (lifetime accounting) and a soft byte limit raises EXPIRE once', async () => {
    const f = FAMILIES[0]!;
    const c: Case = {
      name: 'esp',
      sas: [{ proto: 'esp', soft: { bytes: 300 }, hard: { bytes: 100_000 } }],
      reqs: [{ proto: 'esp' }],
      outer: 50,
      encrypts: true,
    };
    const { a, b } = setup(c, f);
    const events: string[] = [];
    a.onEvent((ev) => {
      if (ev.type === 'expire') events.push(`${ev.kind}:${ev.reason}:${ev.sa.spi.toString(16)}`);
    });
    const replies = await Promise.all([a.ping(f.b, { count: 5, intervalMs: 0 }), settle()]).then(([r]) => r);
    assert.equal(replies.length, 5);
    const out = a.sad.lookupOut(
      a.interfaces()[0]!.addrs[0]!.addr,
      b.interfaces()[0]!.addrs[0]!.addr,
      'esp',
      'transport',
      0,
    )!;
    assert.equal(out.current.allocations, 5);
    assert.equal(out.current.bytes, 5 * 84); // 20 IP + 8 ICMP + 56 data per request
    assert.equal(out.state, 'dying');
    assert.deepEqual(events, ['soft:bytes:1000', 'soft:bytes:1001']);
    a.close();
    b.close();
  });
});
