import { strict as assert } from 'node:assert';
import { UdpUnderlay } from '../../../kernel/link/udp-underlay.js';
import { parseAddr } from '../../../common/inet.js';

describe('kernel/link/udp-underlay (real UDP on loopback)', () => {
  it('carries IP packets between two underlay endpoints by neighbour table', async () => {
    const a = await UdpUnderlay.open({ bind: { host: '127.0.0.1', port: 0 } });
    const b = await UdpUnderlay.open({ bind: { host: '127.0.0.1', port: 0 } });
    try {
      a.setNeighbour('10.0.0.2', b.address());
      b.setNeighbour('10.0.0.1', a.address());
      const got = new Promise<Uint8Array>((resolve) => b.onReceive(resolve));
      const pkt = new Uint8Array(300).map((_, i) => i & 0xff);
      a.send(pkt, parseAddr('10.0.0.2')!);
      assert.deepEqual(await got, pkt);
      a.send(pkt, parseAddr('10.0.0.9')!);
      assert.equal(a.stats.noNeighbour, 1);
      a.send(new Uint8Array(a.mtu + 1), parseAddr('10.0.0.2')!);
      assert.equal(a.stats.tooBig, 1);
    } finally {
      a.close();
      b.close();
    }
  });

  it('says why it cannot bind (address in use)', async () => {
    const a = await UdpUnderlay.open({ bind: { host: '127.0.0.1', port: 0 } });
    try {
      await assert.rejects(UdpUnderlay.open({ bind: { host: '127.0.0.1', port: a.address().port } }), /EADDRINUSE/);
    } finally {
      a.close();
    }
  });
});
