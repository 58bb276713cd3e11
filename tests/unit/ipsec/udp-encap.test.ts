// ESP-in-UDP (RFC 3948): framing on output, port-4500 demultiplexing, stripping, checksum fix-up.
import { strict as assert } from 'node:assert';
import { espOutput, espInput } from '../../../kernel/ipsec/esp.js';
import {
  classifyUdpEncap,
  stripUdpEncap,
  udpEncapsulate,
  fixupTransportChecksum,
  NAT_T_PORT,
} from '../../../kernel/ipsec/udp-encap.js';
import { internetChecksum, pseudoHeaderSum } from '../../../kernel/ip/checksum.js';
import type { TransformResult } from '../../../kernel/ipsec/transform.js';
import { makeSa, peerSa, env, ipv4, ipv6, udp, tcp, bytes, addr } from './esp-support.js';

function ok(r: TransformResult): Uint8Array {
  if (!r.ok) assert.fail(`dropped: ${r.reason} ${r.detail ?? ''}`);
  return r.packet;
}

const natt = { sport: NAT_T_PORT, dport: 61000 };

function checksumValid(p: Uint8Array, hl: number, proto: number): boolean {
  const v4 = p[0]! >> 4 === 4;
  const src = v4 ? p.subarray(12, 16) : p.subarray(8, 24);
  const dst = v4 ? p.subarray(16, 20) : p.subarray(24, 40);
  return internetChecksum(p, hl, p.length - hl, pseudoHeaderSum(src, dst, proto, p.length - hl)) === 0;
}

describe('kernel/udp-encap: output through espOutput', () => {
  const cases = [
    {
      name: 'IPv4 transport',
      mode: 'transport' as const,
      src: '192.0.2.1',
      dst: '192.0.2.2',
      pkt: () => ipv4('192.0.2.1', '192.0.2.2', 6, bytes(40)),
      hl: 20,
    },
    {
      name: 'IPv4 tunnel',
      mode: 'tunnel' as const,
      src: '198.51.100.1',
      dst: '198.51.100.2',
      pkt: () => ipv4('10.0.0.1', '10.0.0.2', 17, bytes(40)),
      hl: 20,
    },
    {
      name: 'IPv6 transport',
      mode: 'transport' as const,
      src: '2001:db8::1',
      dst: '2001:db8::2',
      pkt: () => ipv6('2001:db8::1', '2001:db8::2', 6, bytes(40)),
      hl: 40,
    },
    {
      name: 'IPv6 tunnel',
      mode: 'tunnel' as const,
      src: '2001:db8::a',
      dst: '2001:db8::b',
      pkt: () => ipv4('10.0.0.1', '10.0.0.2', 17, bytes(40)),
      hl: 40,
    },
  ];
  for (const c of cases) {
    it(`${c.name}: UDP header, checksum rule, classify -> strip -> espInput`, () => {
      const sa = makeSa({ enc: 'aes-gcm-16', mode: c.mode, src: c.src, dst: c.dst, natt });
      const pkt = c.pkt();
      const out = ok(espOutput(sa, pkt, env()));
      const v4 = c.hl === 20;
      assert.equal(v4 ? out[9] : out[6], 17);
      const u = c.hl;
      assert.equal((out[u]! << 8) | out[u + 1]!, NAT_T_PORT);
      assert.equal((out[u + 2]! << 8) | out[u + 3]!, 61000);
      assert.equal((out[u + 4]! << 8) | out[u + 5]!, out.length - u);
      if (v4) {
        assert.equal((out[u + 6]! << 8) | out[u + 7]!, 0, 'RFC 3948 §2.1: IPv4 checksum zero');
        assert.equal(internetChecksum(out, 0, 20), 0);
      } else {
        assert.notEqual((out[u + 6]! << 8) | out[u + 7]!, 0);
        assert.ok(checksumValid(out, 40, 17), 'RFC 8200 §8.1: a real IPv6 UDP checksum');
      }
      const k = classifyUdpEncap(out);
      assert.deepEqual(k, { kind: 'esp', espOffset: u + 8 });
      const s = stripUdpEncap(Uint8Array.from(out))!;
      assert.equal(s.espOffset, u);
      assert.equal(v4 ? s.packet[9] : s.packet[6], 50);
      const back = ok(espInput(peerSa(sa), s.packet, s.espOffset, env()));
      assert.deepEqual(Buffer.from(back), Buffer.from(pkt));
    });
  }

  it('udpEncapsulate of a plain ESP packet gives the same bytes as espOutput with natt', () => {
    for (const [src, dst, mk] of [
      ['192.0.2.1', '192.0.2.2', () => ipv4('192.0.2.1', '192.0.2.2', 6, bytes(33))],
      ['2001:db8::1', '2001:db8::2', () => ipv6('2001:db8::1', '2001:db8::2', 6, bytes(33))],
    ] as const) {
      const a = makeSa({ enc: 'aes-cbc', auth: 'hmac-sha1', src, dst });
      const b = makeSa({ enc: 'aes-cbc', auth: 'hmac-sha1', src, dst, natt });
      const plain = ok(espOutput(a, mk(), env('same')));
      const direct = ok(espOutput(b, mk(), env('same')));
      const hl = src.includes(':') ? 40 : 20;
      assert.deepEqual(Buffer.from(udpEncapsulate(plain, hl, natt)), Buffer.from(direct));
    }
  });
});

describe('kernel/udp-encap: port 4500 demultiplexing (RFC 3948 §2.2, §2.3)', () => {
  const src = '192.0.2.1',
    dst = '192.0.2.2';
  const dgram = (data: Uint8Array): Uint8Array => ipv4(src, dst, 17, udp(src, dst, 4500, 4500, data));

  it('0xFF alone is a NAT-keepalive; the non-ESP marker means IKE; otherwise ESP', () => {
    assert.deepEqual(classifyUdpEncap(dgram(new Uint8Array([0xff]))), { kind: 'keepalive' });
    const ike = new Uint8Array([0, 0, 0, 0, ...bytes(28)]);
    assert.deepEqual(classifyUdpEncap(dgram(ike)), { kind: 'ike', ikeOffset: 20 + 8 + 4 });
    assert.deepEqual(classifyUdpEncap(dgram(new Uint8Array([0, 0, 1, 0, 0, 0, 0, 1]))), { kind: 'esp', espOffset: 28 });
  });

  it('short, lying and non-UDP datagrams are drops with a reason', () => {
    const drop = (p: Uint8Array): string => {
      const k = classifyUdpEncap(p);
      assert.equal(k.kind, 'drop');
      return k.kind === 'drop' ? k.reason : '';
    };
    assert.equal(drop(dgram(new Uint8Array([0xfe]))), 'esps_hdrops');
    assert.equal(drop(dgram(new Uint8Array([1, 2, 3, 4, 5]))), 'esps_hdrops');
    assert.equal(drop(dgram(new Uint8Array([0, 0, 0]))), 'esps_hdrops');
    const lying = dgram(bytes(20));
    lying[25] = 200;
    assert.equal(drop(lying), 'udps_badlen');
    assert.equal(drop(ipv4(src, dst, 6, bytes(20))), 'udps_hdrops');
    assert.equal(drop(ipv4(src, dst, 17, bytes(4))), 'udps_hdrops');
    const frag = dgram(bytes(20));
    frag[6] = 0x20; // MF
    assert.equal(drop(frag), 'udps_hdrops');
    assert.equal(drop(new Uint8Array(0)), 'udps_hdrops');
    assert.equal(stripUdpEncap(ipv4(src, dst, 6, bytes(20))), undefined);
  });

  it('IPv6: a zero or wrong UDP checksum is refused (RFC 8200 §8.1)', () => {
    const u = udp('2001:db8::1', '2001:db8::2', 4500, 4500, bytes(20));
    const good = ipv6('2001:db8::1', '2001:db8::2', 17, u);
    assert.equal(classifyUdpEncap(good).kind, 'esp');
    const zero = Uint8Array.from(good);
    zero[46] = 0;
    zero[47] = 0;
    assert.deepEqual(classifyUdpEncap(zero), { kind: 'drop', reason: 'udps_badsum' });
    const wrong = Uint8Array.from(good);
    wrong[47]! ^= 1;
    assert.deepEqual(classifyUdpEncap(wrong), { kind: 'drop', reason: 'udps_badsum' });
  });

  it('IPv6 with a destination-options header before UDP', () => {
    const u = udp('2001:db8::1', '2001:db8::2', 4500, 4500, new Uint8Array([0xff]));
    const p = ipv6('2001:db8::1', '2001:db8::2', 17, u, 0, 0, {
      firstNh: 60,
      bytes: new Uint8Array([17, 0, 1, 4, 0, 0, 0, 0]),
    });
    assert.deepEqual(classifyUdpEncap(p), { kind: 'keepalive' });
  });
});

describe('kernel/udp-encap: transport checksum fix-up (RFC 3948 §3.1.2)', () => {
  // The peer (10.0.0.5, behind a NAT) computed its TCP checksum over its own address; we receive it as
  // coming from the NAT's public address 203.0.113.9.
  const origSrc = '10.0.0.5',
    origDst = '192.0.2.2',
    natSrc = '203.0.113.9';

  it('incremental update from NAT-OA addresses (option 1) gives a valid checksum', () => {
    const seg = tcp(origSrc, origDst, 1234, 80, bytes(37));
    const p = ipv4(natSrc, origDst, 6, seg);
    assert.ok(!checksumValid(p, 20, 6));
    assert.ok(fixupTransportChecksum(p, { sport: 4500, dport: 4500, oai: addr(origSrc), oar: addr(origDst) }));
    assert.ok(checksumValid(p, 20, 6));
  });

  it('recomputes when the original addresses are unknown (option 2), TCP and UDP, IPv4 and IPv6', () => {
    const p = ipv4(natSrc, origDst, 17, udp(origSrc, origDst, 1, 2, bytes(21)));
    assert.ok(fixupTransportChecksum(p, undefined));
    assert.ok(checksumValid(p, 20, 17));
    const p6 = ipv6('2001:db8::9', '2001:db8::2', 6, tcp('fd00::5', '2001:db8::2', 1, 2, bytes(9)));
    assert.ok(fixupTransportChecksum(p6, { sport: 4500, dport: 4500 }));
    assert.ok(checksumValid(p6, 40, 6));
  });

  it('IPv6: finds TCP behind a destination-options header', () => {
    const seg = tcp('fd00::5', '2001:db8::2', 1, 2, bytes(11));
    const p6 = ipv6('2001:db8::9', '2001:db8::2', 6, seg, 0, 0, {
      firstNh: 60,
      bytes: new Uint8Array([6, 0, 1, 4, 0, 0, 0, 0]),
    });
    assert.ok(fixupTransportChecksum(p6, { sport: 4500, dport: 4500, oai: addr('fd00::5'), oar: addr('2001:db8::2') }));
    assert.ok(checksumValid(p6.subarray(0), 48, 6));
    const cut = p6.subarray(0, 44);
    assert.equal(fixupTransportChecksum(cut, undefined), false);
  });

  it('leaves a zero IPv4 UDP checksum, other protocols, and reports truncation', () => {
    const u = udp(origSrc, origDst, 1, 2, bytes(5));
    u[6] = 0;
    u[7] = 0;
    const p = ipv4(natSrc, origDst, 17, u);
    assert.ok(fixupTransportChecksum(p, undefined));
    assert.equal(p[26]! | p[27]!, 0);
    const icmp = ipv4(natSrc, origDst, 1, bytes(8));
    const before = Uint8Array.from(icmp);
    assert.ok(fixupTransportChecksum(icmp, undefined));
    assert.deepEqual(icmp, before);
    assert.equal(fixupTransportChecksum(ipv4(natSrc, origDst, 6, bytes(10)), undefined), false);
  });

  it('end to end: NAT-rewritten outer source, ESP transport decap, then fix-up', () => {
    const sa = makeSa({ enc: 'aes-gcm-16', src: origSrc, dst: origDst, natt: { sport: 4500, dport: 4500 } });
    const seg = tcp(origSrc, origDst, 5555, 22, bytes(64));
    const out = Uint8Array.from(ok(espOutput(sa, ipv4(origSrc, origDst, 6, seg), env())));
    // The NAT rewrites the source address and the IPv4 header checksum (UDP checksum is zero).
    out.set(addr(natSrc), 12);
    out[10] = 0;
    out[11] = 0;
    const c = internetChecksum(out, 0, 20);
    out[10] = c >> 8;
    out[11] = c & 0xff;
    const s = stripUdpEncap(out)!;
    const rx = peerSa(sa);
    rx.natt = { sport: 4500, dport: 4500, oai: addr(origSrc), oar: addr(origDst) };
    const dec = ok(espInput(rx, s.packet, s.espOffset, env()));
    assert.deepEqual([...dec.subarray(12, 16)], [203, 0, 113, 9]);
    assert.ok(fixupTransportChecksum(dec, rx.natt));
    assert.ok(checksumValid(dec, 20, 6));
    assert.deepEqual(Buffer.from(dec.subarray(20 + 20)), Buffer.from(seg.subarray(20)));
  });
});
