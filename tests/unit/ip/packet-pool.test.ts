// The pooled packet copies (kernel/ip/packet-pool.ts) and the one-pass IP/UDP rebuild of a datagram a UDP
// socket delivered (receivedUdpPacket): byte for byte the packet buildUdpPacket makes, except the IPv4 UDP
// checksum left 0 ("none", RFC 768); decodable by the input path with checksum verification.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { u16 } from '../../../common/bytes.js';
import { parseAddr } from '../../../common/inet.js';
import { allocPacket, copyPacket } from '../../../kernel/ip/packet-pool.js';
import { buildUdpPacket, decodeIpPacket, receivedUdpPacket } from '../../../kernel/ip/packet.js';
import { decodeUdp } from '../../../kernel/ip/udp.js';

const A4 = parseAddr('192.0.2.1')!,
  B4 = parseAddr('192.0.2.2')!;
const A6 = parseAddr('2001:db8::1')!,
  B6 = parseAddr('2001:db8::2')!;

describe('kernel/ip/packet-pool', () => {
  it('copies do not share bytes with the source or with each other', () => {
    const src = new Uint8Array(randomBytes(1400));
    const copies = Array.from({ length: 200 }, () => copyPacket(src)); // several chunks
    src.fill(0);
    for (const [i, c] of copies.entries()) {
      assert.equal(c.length, 1400);
      assert.equal(c.byteOffset % 8, 0);
      c[0] = i & 0xff;
      c[1399] = i & 0xff;
    }
    for (const [i, c] of copies.entries()) {
      assert.equal(c[0], i & 0xff);
      assert.equal(c[1399], i & 0xff);
    }
  });

  it('gives zeroed views; slice() copies (a Uint8Array, not a Buffer); large packets stand alone', () => {
    for (const n of [0, 1, 7, 9, 1500, 16384, 16385, 65535]) {
      const p = allocPacket(n);
      assert.equal(p.length, n);
      assert.ok(p.every((b) => b === 0));
      assert.ok(!Buffer.isBuffer(p));
    }
    const p = copyPacket(new Uint8Array([1, 2, 3]));
    const s = p.slice();
    s[0] = 9;
    assert.equal(p[0], 1);
    assert.equal(allocPacket(20000).byteOffset, 0);
  });
});

describe('kernel/ip/packet receivedUdpPacket', () => {
  for (const [name, src, dst] of [
    ['IPv4', A4, B4],
    ['IPv6', A6, B6],
  ] as const)
    it(`${name}: the packet buildUdpPacket builds, decodable with its checksum checked`, () => {
      for (const len of [0, 1, 8, 1200, 1471]) {
        const data = new Uint8Array(randomBytes(len));
        const p = receivedUdpPacket({ src, dst }, 4500, 4501, data)!;
        const want = buildUdpPacket({ src, dst }, 4500, 4501, data);
        const ip = decodeIpPacket(p);
        const u = decodeUdp(p, ip.payloadOffset, ip.end, ip);
        assert.equal(u.value.srcPort, 4500);
        assert.equal(u.value.dstPort, 4501);
        assert.deepEqual(p.subarray(u.next, ip.end), data);
        if (src.length === 16) assert.deepEqual(p, want);
        else {
          assert.equal(u16(p, ip.payloadOffset + 6), 0);
          assert.deepEqual(p.subarray(0, 26), want.subarray(0, 26));
          assert.deepEqual(p.subarray(28), want.subarray(28));
        }
      }
    });

  it('refuses what cannot fit in one IPv4 packet', () => {
    assert.equal(receivedUdpPacket({ src: A4, dst: B4 }, 1, 2, new Uint8Array(65535 - 28 + 1)), undefined);
    assert.ok(receivedUdpPacket({ src: A4, dst: B4 }, 1, 2, new Uint8Array(65535 - 28)));
  });
});
