// Scenario: two hosts speaking RFC 3948 ESP-in-UDP over REAL UDP sockets (kernel/link/natt-socket.ts) on
// loopback addresses 127.0.0.1 and 127.0.0.2, transport and tunnel mode; IKE datagrams (non-ESP marker)
// reach the IKE callback, keepalives are counted, and plain traffic never leaves through the NAT-T link.
import { strict as assert } from 'node:assert';
import { receiveN } from './lab.js';
import { nattPair, nattEsp } from './natt-lab.js';

describe('scenario ESP-in-UDP over a real NAT-T socket', () => {
  for (const mode of ['transport', 'tunnel'] as const) {
    it(`${mode} mode: ping and UDP both ways as RFC 3948 datagrams`, async () => {
      const p = await nattPair();
      try {
        nattEsp(p, mode, mode === 'transport' ? 0x8000 : 0x8100);
        const dst = mode === 'transport' ? '127.0.0.2' : '10.8.0.2';
        const replies = await p.a.ping(dst, { count: 3, intervalMs: 0, timeoutMs: 5000 });
        assert.equal(replies.length, 3);
        const got = receiveN(p.b, 7777, 1);
        p.a.udpSocket().send(new TextEncoder().encode('natt udp'), dst, 7777);
        assert.equal(new TextDecoder().decode((await got)[0]), 'natt udp');
        assert.equal(p.na.stats.espOut, 4);
        assert.equal(p.nb.stats.espIn, 4);
        assert.equal(p.nb.stats.espOut, 3);
        assert.equal(p.b.stats.get('esps_input'), 4);
        assert.equal(p.na.stats.notEspInUdp, 0);
      } finally {
        p.close();
      }
    });
  }

  it('IKE with the non-ESP marker reaches the IKE callback; keepalives are counted; plaintext never leaves', async () => {
    const p = await nattPair();
    try {
      const msg = new Uint8Array(28).fill(0xab); // an ISAKMP header's worth of bytes (the cookie is not 0)
      p.na.sendIke(msg, p.nb.address());
      p.na.sendKeepalive(p.nb.address());
      // No policy: a plain datagram toward b has nowhere to go on a NAT-T link.
      p.a.udpSocket().send(new Uint8Array(8), '127.0.0.2', 9);
      for (let i = 0; i < 50 && (p.ikeB.length === 0 || p.nb.stats.keepalivesIn === 0); i++)
        await new Promise((r) => setTimeout(r, 10));
      assert.equal(p.ikeB.length, 1);
      assert.deepEqual(p.ikeB[0]![0], msg);
      assert.deepEqual(p.ikeB[0]![1], p.na.address());
      assert.equal(p.nb.stats.keepalivesIn, 1);
      assert.equal(p.na.stats.notEspInUdp, 1);
      assert.equal(p.nb.stats.espIn, 0);
    } finally {
      p.close();
    }
  });
});
