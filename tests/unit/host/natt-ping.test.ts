// NattSocket on bad input (fixed-seed fast-check datagrams sent over a real socket: nothing throws, every
// datagram is counted in exactly one class) and its refusal of anything but ESP-in-UDP on output; ping timing
// with a manual clock (interval, timeout, partial answers).
import { strict as assert } from 'node:assert';
import { createSocket } from 'node:dgram';
import fc from 'fast-check';
import { NattSocket } from '../../../kernel/link/natt-socket.js';
import { Host } from '../../../kernel/host/host.js';
import { SeededRng } from '../../../common/rng.js';
import { ManualClock } from '../../../common/clock.js';
import { buildUdpPacket, buildIpPacket } from '../../../kernel/ip/packet.js';
import { ip, settle, makeHost, attach, segment } from '../../scenarios/lab.js';

const RUNS = process.env.UIPSEC_SLOW ? 20_000 : 400;

describe('kernel/link/natt-socket on bad input', () => {
  it(`${RUNS} random datagrams (fixed seed): counted as ESP, IKE, keepalive or short; the host never throws`, async () => {
    const n = await NattSocket.open({ bind: { host: '127.0.0.1', port: 0 } });
    const h = new Host({ name: 'n', rng: new SeededRng('n') });
    h.addInterface('natt0', n, ['127.0.0.1/8']);
    let ike = 0;
    n.onIke(() => ike++);
    const tx = createSocket('udp4');
    await new Promise<void>((r) => tx.bind(0, '127.0.0.1', () => r()));
    const sent = { n: 0 };
    try {
      const datagram = fc.oneof(
        fc.uint8Array({ minLength: 0, maxLength: 64 }),
        fc.uint8Array({ minLength: 0, maxLength: 40 }).map((b) => Uint8Array.from([0, 0, 0, 0, ...b])),
        fc.constant(Uint8Array.of(0xff)),
        fc.uint8Array({ minLength: 8, maxLength: 200 }).map((b) => {
          b[0] = b[0]! | 1;
          return b;
        }),
      );
      const s = n.stats;
      const counted = () => s.espIn + s.ikeIn + s.keepalivesIn + s.short;
      await fc.assert(
        fc.asyncProperty(datagram, async (d) => {
          await new Promise<void>((r) => tx.send(d, n.encapPort, '127.0.0.1', () => r()));
          sent.n++;
          // One at a time: loopback UDP drops what the receive buffer cannot hold, and that is not under test.
          for (let i = 0; i < 1000 && counted() < sent.n; i++) await new Promise((r) => setImmediate(r));
        }),
        { seed: 3948, numRuns: RUNS },
      );
      assert.equal(s.espIn + s.ikeIn + s.keepalivesIn + s.short, sent.n, JSON.stringify(s));
      assert.equal(ike, s.ikeIn);
      assert.ok(s.espIn > 0 && s.ikeIn > 0 && s.keepalivesIn > 0 && s.short > 0);
      assert.equal(h.stats.get('esps_input'), 0, 'no random datagram opened as ESP');
      assert.ok(h.stats.get('esps_notdb') > 0);
    } finally {
      tx.close();
      h.close();
    }
  });

  it('refuses on output anything that is not ESP-in-UDP from its own port', async () => {
    const n = await NattSocket.open({ bind: { host: '127.0.0.1', port: 0 } });
    try {
      const src = ip('127.0.0.1'),
        dst = ip('127.0.0.2');
      n.send(buildUdpPacket({ src, dst }, 1234, 4500, new Uint8Array(16).fill(1)), dst); // wrong source port
      n.send(buildUdpPacket({ src, dst }, n.encapPort, 4500, new Uint8Array(16)), dst); // zero SPI (IKE marker)
      n.send(buildUdpPacket({ src, dst }, n.encapPort, 4500, new Uint8Array(4).fill(1)), dst); // shorter than ESP
      n.send(buildIpPacket({ src, dst }, 1, new Uint8Array(16)), dst); // not UDP
      n.send(new Uint8Array(3), dst);
      assert.equal(n.stats.notEspInUdp, 5);
      assert.equal(n.stats.espOut, 0);
    } finally {
      n.close();
    }
  });

  it('needs a specific local address', async () => {
    await assert.rejects(NattSocket.open({ bind: { host: '0.0.0.0', port: 0 } }), RangeError);
  });
});

describe('kernel/ping timing (manual clock)', () => {
  function pair() {
    const clock = new ManualClock(1_000_000);
    const seg = segment();
    const a = makeHost('a', clock),
      b = makeHost('b', clock);
    attach(a, seg, 'eth0', ['192.0.2.1/24']);
    attach(b, seg, 'eth0', ['192.0.2.2/24']);
    return { a, b, clock, seg };
  }

  it('sends one request per interval and measures rtt on the injected clock', async () => {
    const { a, clock, seg } = pair();
    const p = a.ping('192.0.2.2', { count: 3, intervalMs: 1000, timeoutMs: 500 });
    await settle();
    assert.equal(seg.frames.length, 2, 'first request and its reply');
    clock.advance(1000);
    await settle();
    clock.advance(1000);
    await settle();
    const r = await p;
    assert.deepEqual(
      r.map((x) => x.seq),
      [0, 1, 2],
    );
    assert.ok(
      r.every((x) => x.rttMs === 0),
      'the memwire delivers within the same clock instant',
    );
  });

  it('resolves with the replies received when the timeout after the last request runs out', async () => {
    const { a, b, clock } = pair();
    const p = a.ping('192.0.2.2', { count: 2, intervalMs: 100, timeoutMs: 300 });
    await settle();
    b.close(); // the second request goes unanswered
    clock.advance(100);
    await settle();
    clock.advance(300);
    const r = await p;
    assert.deepEqual(
      r.map((x) => x.seq),
      [0],
    );
  });
});
