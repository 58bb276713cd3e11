// Unit tests of the host's parts: the ACQUIRE rate limiter (KAME key_acquire counting), the inbound
// history check (ipsec4_in_reject), packet selectors, the UDP port table, ping edge cases, and host plumbing
// (IKE on 4500, NAT-keepalives, ESP-in-UDP, fragmentation after ESP, forwarding limits, routes, events).
import { strict as assert } from 'node:assert';
import { ManualClock } from '../../../common/clock.js';
import { AcquireTable, type SaIndex } from '../../../kernel/sad/acquire.js';
import { historySatisfies, type InputLayer } from '../../../kernel/ipsec/input.js';
import { packetSelector } from '../../../kernel/ipsec/output.js';
import { UdpTable, UdpSocket, type UdpStack, EPHEMERAL_PORT_FIRST } from '../../../kernel/host/socket.js';
import type { IpsecRequest } from '../../../kernel/spd/policy.js';
import type { SecAssoc } from '../../../kernel/sad/secassoc.js';
import { ErrnoError } from '../../../common/errors.js';
import { buildUdpPacket, buildEchoRequestPacket, buildIpPacket, decodeIpPacket } from '../../../kernel/ip/packet.js';
import { buildIpv6OptionsHeader } from '../../../kernel/ip/ipv6.js';
import { buildUdp } from '../../../kernel/ip/udp.js';
import { fragmentIpv4 } from '../../../kernel/ip/frag.js';
import { setIpv4Checksum } from '../../../kernel/ip/ipv4.js';
import {
  ip,
  settle,
  makeHost,
  attach,
  segment,
  addSaPair,
  policyPair,
  protocols,
  saParams,
} from '../../scenarios/lab.js';

const A = '192.0.2.1',
  B = '192.0.2.2';

describe('kernel/acquire AcquireTable (KAME blockacq)', () => {
  const idx: SaIndex = { proto: 'esp', mode: 'transport', reqid: 0, src: ip(A), dst: ip(B) };
  it('sends on the 1st trigger, suppresses the next 10, sends again on the 12th, same seq', () => {
    const t = new AcquireTable({ blockCount: 10, lifetimeSec: 20 });
    const sent: number[] = [];
    for (let i = 1; i <= 23; i++) {
      const s = t.trigger(idx, 0, () => false);
      if (s !== undefined) sent.push(i);
    }
    assert.deepEqual(sent, [1, 12, 23]);
    assert.deepEqual(t.stats, { sent: 3, suppressed: 20 });
  });
  it('a larval SA turns a re-send into a refresh; refresh(seq) restarts the entry; lifetime expiry starts a new one', () => {
    const t = new AcquireTable({ blockCount: 2, lifetimeSec: 20 });
    const seq = t.trigger(idx, 0, () => true)!;
    assert.equal(typeof seq, 'number');
    for (let i = 0; i < 10; i++)
      assert.equal(
        t.trigger(idx, 1000, () => true),
        undefined,
      );
    assert.equal(t.refresh(seq, 15_000), true);
    assert.equal(
      t.trigger(idx, 30_000, () => false),
      undefined,
      'refreshed at 15 s: still alive at 30 s',
    );
    const again = t.trigger(idx, 35_000, () => false);
    assert.ok(again !== undefined && again !== seq, 'expired at 35 s: a new entry and seq');
    assert.equal(t.refresh(0xdead, 0), false);
    assert.equal(t.expire(100_000), 1);
    assert.equal(t.size, 0);
  });
  it('different SA indexes are limited separately; resolved() forgets one', () => {
    const t = new AcquireTable();
    const other = { ...idx, proto: 'ah' as const };
    assert.notEqual(
      t.trigger(idx, 0, () => false),
      undefined,
    );
    assert.notEqual(
      t.trigger(other, 0, () => false),
      undefined,
    );
    assert.equal(
      t.trigger(idx, 0, () => false),
      undefined,
    );
    t.resolved(idx);
    assert.notEqual(
      t.trigger(idx, 0, () => false),
      undefined,
    );
  });
});

function sa(proto: SecAssoc['proto'], mode: SecAssoc['mode'], src = A, dst = B, reqid = 0): SecAssoc {
  return { proto, mode, src: ip(src), dst: ip(dst), reqid } as SecAssoc;
}
const layer = (s: SecAssoc): InputLayer => ({ proto: s.proto, mode: s.mode, sa: s, udpEncap: false });
const req = (
  proto: IpsecRequest['proto'],
  level: IpsecRequest['level'] = 'require',
  mode: IpsecRequest['mode'] = 'transport',
  ends?: [string, string],
  reqid = 0,
): IpsecRequest => ({
  proto,
  mode,
  level,
  reqid,
  sport: 0,
  dport: 0,
  ...(ends ? { src: ip(ends[0]), dst: ip(ends[1]) } : {}),
});

describe('kernel/ipsec/input historySatisfies (inbound policy check)', () => {
  // history is outermost first (as processed); requests innermost first (as in the policy).
  const T: [string, IpsecRequest[], InputLayer[], boolean][] = [
    ['plain packet, ESP required', [req('esp')], [], false],
    ['ESP transport, ESP required', [req('esp')], [layer(sa('esp', 'transport'))], true],
    ['AH, ESP required', [req('esp')], [layer(sa('ah', 'transport'))], false],
    ['plain packet, ESP use', [req('esp', 'use')], [], true],
    ['plain packet, ESP default', [req('esp', 'default')], [], true],
    [
      'IPComp required but absent (uncompressed), ESP present',
      [req('ipcomp'), req('esp')],
      [layer(sa('esp', 'transport'))],
      true,
    ],
    [
      'ESP tunnel with matching endpoints',
      [req('esp', 'require', 'tunnel', [A, B])],
      [layer(sa('esp', 'tunnel'))],
      true,
    ],
    [
      'ESP tunnel from other endpoints',
      [req('esp', 'require', 'tunnel', [A, B])],
      [layer(sa('esp', 'tunnel', '192.0.2.9', B))],
      false,
    ],
    [
      'transport ESP when tunnel required',
      [req('esp', 'require', 'tunnel', [A, B])],
      [layer(sa('esp', 'transport'))],
      false,
    ],
    ["an 'any' SA matches either mode", [req('esp', 'require', 'tunnel', [A, B])], [layer(sa('esp', 'any'))], true],
    [
      'unique:5 vs an SA of reqid 6',
      [req('esp', 'unique', 'transport', undefined, 5)],
      [layer(sa('esp', 'transport', A, B, 6))],
      false,
    ],
    [
      'unique:5 vs an SA of reqid 5',
      [req('esp', 'unique', 'transport', undefined, 5)],
      [layer(sa('esp', 'transport', A, B, 5))],
      true,
    ],
    [
      'ESP inside AH, in that order',
      [req('esp'), req('ah')],
      [layer(sa('ah', 'transport')), layer(sa('esp', 'transport'))],
      true,
    ],
    [
      'AH inside ESP when ESP inside AH is required',
      [req('esp'), req('ah')],
      [layer(sa('esp', 'transport')), layer(sa('ah', 'transport'))],
      false,
    ],
    ['extra protection is accepted', [req('esp')], [layer(sa('ah', 'transport')), layer(sa('esp', 'transport'))], true],
    // Optional and IPComp requests never take a layer that a later mandatory request needs.
    [
      'IPComp tunnel request listed before AH, AH applied inside IPComp',
      [req('ipcomp', 'require', 'tunnel', [A, B]), req('ah')],
      [layer(sa('ipcomp', 'tunnel')), layer(sa('ah', 'transport'))],
      true,
    ],
    [
      'ESP use listed first, AH required, only AH applied under ESP',
      [req('esp', 'use'), req('ah')],
      [layer(sa('esp', 'transport')), layer(sa('ah', 'transport'))],
      true,
    ],
  ];
  for (const [name, reqs, hist, ok] of T)
    it(`${name}: ${ok ? 'accepted' : 'rejected'}`, () => assert.equal(historySatisfies(reqs, hist), ok));
});

describe('kernel/ipsec/output packetSelector', () => {
  it('UDP ports, ICMP type/code, IPv6 past extension headers', () => {
    const u = packetSelector(buildUdpPacket({ src: ip(A), dst: ip(B) }, 1234, 53, new Uint8Array(4)))!;
    assert.deepEqual([u.proto, u.sport, u.dport], [17, 1234, 53]);
    const e = packetSelector(buildEchoRequestPacket({ src: ip(A), dst: ip(B) }, 1, 1, new Uint8Array(4)))!;
    assert.deepEqual([e.proto, e.sport, e.dport], [1, 8, 0]);
    const udp6 = buildUdp(5000, 500, new Uint8Array(3), { src: ip('2001:db8::1'), dst: ip('2001:db8::2') });
    const hbh = buildIpv6OptionsHeader(17, new Uint8Array(0));
    const pkt = buildIpPacket({ src: ip('2001:db8::1'), dst: ip('2001:db8::2') }, 0, new Uint8Array([...hbh, ...udp6]));
    const s6 = packetSelector(pkt)!;
    assert.deepEqual([s6.proto, s6.sport, s6.dport], [17, 5000, 500]);
  });
  it('a non-first fragment is OPAQUE (ports 0); malformed headers give undefined', () => {
    const f = fragmentIpv4(buildUdpPacket({ src: ip(A), dst: ip(B) }, 1, 2, new Uint8Array(600)), 300);
    assert.ok(f.ok);
    assert.deepEqual([packetSelector(f.fragments[0]!)!.sport, packetSelector(f.fragments[1]!)!.sport], [1, 0]);
    assert.equal(packetSelector(new Uint8Array([0x45, 0, 0])), undefined);
    assert.equal(packetSelector(new Uint8Array(40).fill(0x70)), undefined);
  });
});

describe('kernel/socket UdpTable and UdpSocket', () => {
  const stack = (): UdpStack & { sent: number } => {
    const s = {
      udpTable: new UdpTable(),
      sent: 0,
      udpSend() {
        s.sent++;
        return true;
      },
    };
    return s;
  };
  it('binds, refuses a clash (EADDRINUSE), prefers the exact address over the wildcard, frees on close', () => {
    const st = stack();
    const w = new UdpSocket(st),
      x = new UdpSocket(st),
      y = new UdpSocket(st);
    w.bind(500);
    assert.throws(
      () => x.bind(500),
      (e: unknown) => e instanceof ErrnoError && e.errno === 'EADDRINUSE',
    );
    x.bind(501, A);
    y.bind(501, B);
    assert.equal(st.udpTable.lookup(ip(A), 501), x);
    assert.equal(st.udpTable.lookup(ip(B), 501), y);
    assert.equal(st.udpTable.lookup(ip(B), 500), w);
    w.close();
    assert.equal(st.udpTable.lookup(ip(B), 500), undefined);
    assert.throws(() => w.send(new Uint8Array(1), B, 1), /EBADF/);
  });
  it('send binds an ephemeral port first; bad ports and addresses are EINVAL', () => {
    const st = stack();
    const s = new UdpSocket(st);
    s.send(new Uint8Array(1), B, 9);
    assert.equal(s.localPort, EPHEMERAL_PORT_FIRST);
    assert.equal(st.sent, 1);
    assert.throws(() => s.send(new Uint8Array(1), B, 70000), /EINVAL/);
    assert.throws(() => s.send(new Uint8Array(1), 'not-an-address', 9), /EINVAL/);
    assert.throws(() => new UdpSocket(st).bind(-1), /EINVAL/);
  });
});

describe('Buffer inputs (zlib and ESP output hand out Node Buffers, whose slice is a view)', () => {
  it('ahInput verifies a packet held in a Buffer (its ICV is not zeroed by the mutable-field copy)', async () => {
    const { Sad } = await import('../../../kernel/sad/sad.js');
    const { ahOutput, ahInput } = await import('../../../kernel/ipsec/ah.js');
    const { SeededRng } = await import('../../../common/rng.js');
    const sad = new Sad({ clock: new ManualClock(0), rng: new SeededRng(1) });
    const out = sad.add(saParams({ proto: 'ah' }, A, B, 0x1000));
    const env = { rng: new SeededRng(2), now: 0 };
    const r = ahOutput(out, buildUdpPacket({ src: ip(A), dst: ip(B) }, 1, 9, new Uint8Array(48).fill(65)), env);
    assert.ok(r.ok);
    const inSa = new Sad({ clock: new ManualClock(0), rng: new SeededRng(1) }).add(
      saParams({ proto: 'ah' }, A, B, 0x1000),
    );
    const asBuffer = Buffer.from(r.packet);
    const back = ahInput(inSa, asBuffer, 20, env);
    assert.ok(back.ok, JSON.stringify(back));
  });
});

describe('host plumbing', () => {
  function two(mtu?: number) {
    const clock = new ManualClock(1_700_000_000_000);
    const seg = segment(mtu ? { mtu } : {});
    const a = makeHost('a', clock),
      b = makeHost('b', clock);
    attach(a, seg, 'eth0', [`${A}/24`, '2001:db8::1/64']);
    attach(b, seg, 'eth0', [`${B}/24`, '2001:db8::2/64']);
    return { a, b, seg, clock };
  }

  it('a non-ESP-marker datagram on 4500 reaches the socket bound there (marker kept, as racoon reads it); keepalives are counted', async () => {
    const { a, b } = two();
    const ike = b.udpSocket();
    ike.bind(4500);
    const got: Uint8Array[] = [];
    ike.onMessage((d) => got.push(d));
    const s = a.udpSocket();
    s.bind(4500);
    s.send(new Uint8Array([0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]), B, 4500);
    s.send(new Uint8Array([0xff]), B, 4500);
    await settle();
    assert.deepEqual(got, [new Uint8Array([0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8])]);
    assert.equal(b.netstat.get('udps_natt_keepalive'), 1);
  });

  for (const fam of ['IPv4', 'IPv6'] as const) {
    it(`ESP-in-UDP (RFC 3948) between two hosts on a memwire, ${fam}`, async () => {
      const { a, b, seg } = two();
      const [x, y] = fam === 'IPv4' ? [A, B] : ['2001:db8::1', '2001:db8::2'];
      for (const h of [a, b]) {
        h.sad.add(saParams({ proto: 'esp', natt: { sport: 4500, dport: 4500 } }, x, y, 0x700));
        h.sad.add(saParams({ proto: 'esp', natt: { sport: 4500, dport: 4500 } }, y, x, 0x701));
      }
      const host = fam === 'IPv4' ? 32 : 128;
      policyPair(a, b, `${x}/${host}`, `${y}/${host}`, [{ proto: 'esp' }]);
      const p = a.ping(y, { count: 2, intervalMs: 0 });
      await settle();
      assert.equal((await p).length, 2);
      assert.deepEqual([...new Set(protocols(seg.frames))], [17]);
      assert.equal(b.stats.get('esps_input'), 2);
    });
  }

  it('ESP packets above the link MTU are fragmented after IPsec and reassembled before it (IPv4 576, IPv6 1280)', async () => {
    const { a, b, seg } = two(576);
    addSaPair([a, b], { proto: 'esp' }, A, B, 0x800);
    policyPair(a, b, `${A}/32`, `${B}/32`, [{ proto: 'esp' }]);
    const p = a.ping(B, { count: 1, intervalMs: 0, size: 1400 });
    await settle();
    assert.equal((await p).length, 1);
    assert.ok(seg.frames.every((f) => f.bytes.length <= 576));
    assert.ok(seg.frames.length >= 6);
    assert.ok(a.netstat.get('ips_fragmented') >= 1 && b.netstat.get('ips_reassembled') >= 1);
    assert.deepEqual([...new Set(protocols(seg.frames))], [50]);

    const w = two(1280);
    addSaPair([w.a, w.b], { proto: 'esp' }, '2001:db8::1', '2001:db8::2', 0x900);
    policyPair(w.a, w.b, '2001:db8::1/128', '2001:db8::2/128', [{ proto: 'esp' }]);
    const q = w.a.ping('2001:db8::2', { count: 1, intervalMs: 0, size: 3000 });
    await settle();
    assert.equal((await q).length, 1);
    assert.ok(w.seg.frames.every((f) => f.bytes.length <= 1280));
    assert.ok(w.b.netstat.get('ip6s_reassembled') >= 1);
  });

  it('DF packets too big for the link are counted (cantfrag), not sent', () => {
    const { a, seg } = two(576);
    const pkt = buildUdpPacket({ src: ip(A), dst: ip(B), df: true }, 1, 9, new Uint8Array(1000));
    assert.equal(a.output(pkt), false);
    assert.equal(a.netstat.get('ips_cantfrag'), 1);
    assert.equal(seg.frames.length, 0);
  });

  it('forwarding: off by default (cantforward), TTL 1 is not forwarded, no route is counted', async () => {
    const { a, b } = two();
    const transit = buildUdpPacket({ src: ip(A), dst: ip('198.51.100.7'), ttl: 1 }, 1, 9, new Uint8Array(4));
    b.input(transit.slice());
    assert.equal(b.netstat.get('ips_cantforward'), 1);
    b.forwarding = true;
    b.input(transit.slice());
    assert.equal(b.netstat.get('ips_timeexceed'), 1);
    const ok = transit.slice();
    ok[8] = 9;
    setIpv4Checksum(ok);
    b.input(ok);
    assert.equal(b.netstat.get('ips_noroute'), 1);
    assert.equal(a.udpSocket().send(new Uint8Array(1), '203.0.113.1', 9), false);
    assert.equal(a.netstat.get('udps_noroute'), 1, 'no source address without a route');
  });

  it('configuration errors are typed: duplicate interface, bad route, unknown interface', () => {
    const { a, seg } = two();
    assert.throws(() => attach(a, seg, 'eth0', ['192.0.2.50/24']), /EEXIST/);
    assert.throws(() => a.addRoute('10.0.0.0/33', 'eth0'), /EINVAL/);
    assert.throws(() => a.addRoute('10.0.0.0/8', 'eth9'), /ENXIO/);
    assert.throws(() => a.addRoute('10.0.0.0/8', 'eth0', '2001:db8::9'), /EINVAL/);
    assert.throws(() => a.addInterface('lo1', seg.wire.attach('x', []), ['not/an/address']), RangeError);
  });

  it('a pinged host answers from the address pinged; replies with other data or from elsewhere are ignored', async () => {
    const { a, b, clock } = two();
    const p = a.ping(B, { count: 2, intervalMs: 0, timeoutMs: 50, size: 16 });
    // Forge a reply with the right id/seq but wrong data: ping must not count it.
    const forged = buildEchoRequestPacket({ src: ip(B), dst: ip(A) }, 1, 0, new Uint8Array(16).fill(9));
    const fs = decodeIpPacket(forged);
    forged[fs.payloadOffset] = 0; // echo reply
    forged[fs.payloadOffset + 2] = 0;
    forged[fs.payloadOffset + 3] = 0;
    const { internetChecksum } = await import('../../../kernel/ip/checksum.js');
    const c = internetChecksum(forged, fs.payloadOffset, forged.length - fs.payloadOffset);
    forged[fs.payloadOffset + 2] = c >> 8;
    forged[fs.payloadOffset + 3] = c & 0xff;
    a.input(forged);
    await settle();
    clock.advance(50);
    const r = await p;
    assert.deepEqual(r.map((x) => x.seq).sort(), [0, 1]);
    assert.ok(r.every((x) => x.ttl === 64 && x.bytes === 24));
    assert.equal(b.netstat.get('icps_reflect'), 2);
  });

  it('a packet for one of its own addresses loops back without touching the wire', async () => {
    const { a, seg } = two();
    const p = a.ping(A, { count: 2, intervalMs: 0 });
    await settle();
    assert.equal((await p).length, 2);
    assert.equal(seg.frames.length, 0);
    assert.equal(a.netstat.get('icps_reflect'), 2);
  });

  it('emits spd-expire when a policy lifetime runs out, and soft/hard SA expiry by time', () => {
    const { a, clock } = two();
    const ev: string[] = [];
    a.onEvent((e) => ev.push(e.type === 'expire' ? `${e.type}:${e.kind}` : e.type));
    a.spd.addPolicy({ src: `${A}/32`, dst: `${B}/32`, dir: 'out', action: 'discard', lifetime: { addtimeSec: 5 } });
    a.sad.add({ ...saParams({ proto: 'esp' }, A, B, 0xa00), soft: { addtimeSec: 2 }, hard: { addtimeSec: 8 } });
    a.udpSocket().send(new Uint8Array(1), B, 9); // used: the soft EXPIRE is sent only for a used SA in KAME; ours always
    clock.advance(10_000);
    assert.deepEqual(ev, ['expire:soft', 'spd-expire', 'expire:hard']);
  });
});
