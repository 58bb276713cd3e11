// kernel/ipsec/esp-crypto.ts hands the crypto contexts per-call scratch arrays (IV, AAD, received ICV, ICV parts)
// instead of per-packet views. These tests interleave SAs whose IV and ICV lengths collide (16/16, 8/8,
// 8/12, ...) on both back-ends, with and without ESN, and check that no packet, result or later call
// ever sees another call's scratch contents.
import { strict as assert } from 'node:assert';
import { espOutput, espInput } from '../../../kernel/ipsec/esp.js';
import type { SecAssoc } from '../../../kernel/sad/secassoc.js';
import type { Backend } from '../../../crypto/types.js';
import { makeSa, peerSa, env, ipv4, udp, bytes } from './esp-support.js';

interface Shape {
  enc: string;
  auth?: string;
  backends: Backend[];
}
const SHAPES: Shape[] = [
  { enc: 'aes-cbc', auth: 'hmac-sha256', backends: ['evp', 'node', 'noble'] }, // IV 16, ICV 16
  { enc: 'aes-cbc', auth: 'hmac-sha1', backends: ['evp', 'node', 'noble'] }, // IV 16, ICV 12
  { enc: '3des-cbc', auth: 'hmac-md5', backends: ['node'] }, // IV 8, ICV 12
  { enc: 'aes-ctr', auth: 'hmac-sha512', backends: ['node', 'noble'] }, // IV 8, ICV 32
  { enc: 'aes-gcm-16', backends: ['evp', 'node', 'noble'] }, // IV 8, ICV 16
  { enc: 'aes-gcm-8', backends: ['evp', 'node', 'noble'] }, // IV 8, ICV 8
  { enc: 'aes-gmac', backends: ['evp', 'node', 'noble'] }, // IV 8, ICV 16, payload in the AAD
  { enc: 'chacha20-poly1305', backends: ['evp', 'node', 'noble'] },
];

interface Pair {
  name: string;
  tx: SecAssoc;
  rx: SecAssoc;
}

function pairs(esn: boolean): Pair[] {
  const out: Pair[] = [];
  let spi = 0x2000;
  for (const s of SHAPES) {
    for (const backend of s.backends) {
      const tx = makeSa({ enc: s.enc, auth: s.auth, esn, spi: spi++, backend });
      const rx = peerSa(tx);
      if (backend !== 'node') {
        // peerSa drops the contexts; give the receiver the same back-end as the sender.
        rx.aead = tx.encAlg!.kind === 'aead' ? tx.encAlg!.create(tx.encKey!, backend) : undefined;
        rx.cipher = tx.encAlg!.kind === 'cipher' ? tx.encAlg!.create(tx.encKey!, backend) : undefined;
        rx.auth = tx.authAlg && tx.authKey ? tx.authAlg.create(tx.authKey, backend) : undefined;
      }
      if (esn) {
        // A non-zero high word, so the 12-byte AAD / ICV suffix carry it (RFC 4303 §2.2.1).
        tx.seqOutHi = 2;
        tx.seqOutLo = 100;
        rx.replay.acceptSeq(2, 90);
      }
      out.push({ name: `${s.enc}${s.auth ? `+${s.auth}` : ''}/${backend}`, tx, rx });
    }
  }
  return out;
}

/** Byte equality whatever the array class (the ESP output is a Buffer). */
function sameBytes(a: Uint8Array, b: Uint8Array, msg: string): void {
  assert.deepEqual(Uint8Array.from(a), Uint8Array.from(b), msg);
}

function packetFor(i: number): Uint8Array {
  return ipv4('192.0.2.1', '192.0.2.2', 17, udp('192.0.2.1', '192.0.2.2', 4000 + i, 53, bytes(40 + 37 * i, `p${i}`)));
}

describe('kernel/esp: per-call scratch never leaks between packets or SAs', () => {
  for (const esn of [false, true]) {
    it(`interleaved SAs of colliding IV/ICV sizes round-trip (ESN ${esn ? 'on' : 'off'})`, () => {
      const e = env(`scratch-${esn}`);
      const ps = pairs(esn);
      const sent: { p: Pair; plain: Uint8Array; wire: Uint8Array; snap: Uint8Array }[] = [];
      for (let round = 0; round < 3; round++) {
        for (const [k, p] of ps.entries()) {
          const plain = packetFor(round * ps.length + k);
          const r = espOutput(p.tx, plain, e);
          assert.ok(r.ok, `${p.name}: ${r.ok ? '' : r.reason}`);
          sent.push({ p, plain, wire: r.packet, snap: Uint8Array.from(r.packet) });
        }
      }
      // Producing later packets changed none of the earlier ones.
      for (const s of sent) sameBytes(s.wire, s.snap, `${s.p.name}: output changed by a later call`);
      // Open in the reverse SA order, so consecutive calls always switch algorithm and back-end.
      const opened: { got: Uint8Array; want: Uint8Array; name: string }[] = [];
      for (const s of [...sent].reverse()) {
        const r = espInput(s.p.rx, s.wire, 20, e);
        assert.ok(r.ok, `${s.p.name}: ${r.ok ? '' : r.reason}`);
        opened.push({ got: r.packet, want: s.plain, name: s.p.name });
      }
      for (const o of opened) sameBytes(o.got, o.want, `${o.name}: decapsulated packet differs`);
    });
  }

  it('a forgery between good packets is dropped with its bytes untouched, and the next packet still opens', () => {
    const e = env('scratch-forgery');
    for (const p of pairs(true)) {
      const good1 = espOutput(p.tx, packetFor(1), e);
      const bad = espOutput(p.tx, packetFor(2), e);
      const good2 = espOutput(p.tx, packetFor(3), e);
      assert.ok(good1.ok && bad.ok && good2.ok);
      bad.packet[bad.packet.length - 1]! ^= 0x01; // last ICV byte
      const before = Uint8Array.from(bad.packet);
      const r1 = espInput(p.rx, good1.packet, 20, e);
      const rb = espInput(p.rx, bad.packet, 20, e);
      const r2 = espInput(p.rx, good2.packet, 20, e);
      assert.ok(r1.ok && r2.ok, p.name);
      assert.equal(rb.ok ? 'accepted' : rb.reason, 'esps_badauth', p.name);
      sameBytes(bad.packet, before, `${p.name}: forged packet modified`);
      sameBytes(r1.packet, packetFor(1), p.name);
      sameBytes(r2.packet, packetFor(3), p.name);
    }
  });
});
