// espOutput's packets are carved from shared slabs (kernel/ip/packet-pool.ts, takeOutput). Packets kept across
// several slabs must keep their bytes while later ones are built, never overlap one another, and open to
// the packet sent; jumbo packets take memory of their own.
import { strict as assert } from 'node:assert';
import { espInput, espOutput } from '../../../kernel/ipsec/esp.js';
import { takeOutput } from '../../../kernel/ip/packet-pool.js';
import { bytes, env, ipv4, makeSa, peerSa, udp } from './esp-support.js';

const packetFor = (i: number, n: number): Uint8Array =>
  ipv4('192.0.2.1', '192.0.2.2', 17, udp('192.0.2.1', '192.0.2.2', 4000 + (i % 1000), 53, bytes(n, `slab${i}`)));

describe('kernel/esp: output packets from shared slabs', () => {
  it('300 kept packets over several slabs: none changed by later ones, none overlapping, all open', () => {
    const e = env('slab');
    const tx = makeSa({ enc: 'aes-gcm-16', spi: 0x5100 });
    const rx = peerSa(tx);
    const sent = Array.from({ length: 300 }, (_, i) => {
      const plain = packetFor(i, 600 + ((i * 97) % 900));
      const r = espOutput(tx, plain, e);
      assert.ok(r.ok);
      return { plain, wire: r.packet, snap: Uint8Array.from(r.packet) };
    });
    const slabs = new Set(sent.map((s) => s.wire.buffer));
    assert.ok(slabs.size >= 3, `only ${slabs.size} slab(s) used`);
    for (const ab of slabs) {
      const spans = sent
        .filter((s) => s.wire.buffer === ab)
        .map((s) => [s.wire.byteOffset, s.wire.byteOffset + s.wire.length] as const)
        .sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < spans.length; i++) assert.ok(spans[i]![0] >= spans[i - 1]![1], 'packets overlap');
    }
    for (const [i, s] of sent.entries()) {
      assert.deepEqual(Uint8Array.from(s.wire), s.snap, `packet ${i} changed by a later one`);
      const r = espInput(rx, s.wire, 20, e);
      assert.ok(r.ok, `packet ${i}: ${r.ok ? '' : r.reason}`);
      assert.deepEqual(Uint8Array.from(r.packet), s.plain);
    }
  });

  it('a jumbo packet gets its own memory and round-trips', () => {
    const e = env('slab-jumbo');
    const tx = makeSa({ enc: 'aes-cbc', auth: 'hmac-sha256', spi: 0x5101 });
    const rx = peerSa(tx);
    const plain = packetFor(1, 9000);
    const r = espOutput(tx, plain, e);
    assert.ok(r.ok);
    assert.equal(r.packet.byteOffset, 0);
    assert.equal(r.packet.buffer.byteLength, r.packet.length);
    const back = espInput(rx, r.packet, 20, e);
    assert.ok(back.ok);
    assert.deepEqual(Uint8Array.from(back.packet), plain);
  });

  it('`into`: a reused buffer gets the same bytes as fresh memory; too small or sharing the input falls back', () => {
    const e1 = env('into');
    const e2 = env('into');
    const a = makeSa({ enc: 'aes-gcm-16', spi: 0x5102 });
    const b = makeSa({ enc: 'aes-gcm-16', spi: 0x5102 });
    const into = new Uint8Array(2048);
    for (let i = 0; i < 20; i++) {
      const plain = packetFor(i, 100 + i * 90);
      const big = new Uint8Array(plain.length + 2048);
      big.set(plain);
      const input = i % 5 === 4 ? big.subarray(0, plain.length) : plain;
      const target = i % 5 === 4 ? big.subarray(plain.length) : i % 7 === 3 ? new Uint8Array(10) : into;
      const r1 = espOutput(a, input, e1, { into: target });
      const r2 = espOutput(b, plain, e2);
      assert.ok(r1.ok && r2.ok);
      assert.deepEqual(Uint8Array.from(r1.packet), Uint8Array.from(r2.packet), `packet ${i}`);
      assert.equal(r1.packet.buffer === into.buffer, target === into, `packet ${i}: memory`);
    }
  });

  it('takeOutput hands out 8-byte aligned, disjoint windows of the requested length', () => {
    const got = [13, 1, 1448, 7, 64].map((n) => takeOutput(n));
    assert.deepEqual(
      got.map((v) => v.length),
      [13, 1, 1448, 7, 64],
    );
    for (const v of got) assert.equal(v.byteOffset % 8, 0);
  });
});
