// The example extensions (examples/extensions/) doing what they claim: the stateful firewall passes replies
// to what the host started and drops the rest (ICMP and UDP, in clear and inside ESP, expiring idle flows);
// the custom router sends matching packets to another next hop and interface; the socket limiter logs and
// rate-limits one socket; the IP-in-IP tunnel carries packets as protocol 4.
import { strict as assert } from 'node:assert';
import { ManualClock } from '../../../common/clock.js';
import { ErrnoError } from '../../../common/errors.js';
import { MemWire } from '../../../kernel/link/memwire.js';
import { attach, makeHost, segment, settle, ip, protocols } from '../../scenarios/lab.js';
import { StatefulFirewall } from '../../../examples/extensions/stateful-firewall.js';
import { CustomRouter } from '../../../examples/extensions/custom-router.js';
import { SocketLimiter } from '../../../examples/extensions/socket-limiter.js';
import { IpipTunnel } from '../../../examples/extensions/ipip-tunnel.js';
import { pair, inbox, text, A, B } from './rig.js';
import type { Host } from '../../../kernel/host/host.js';

/** ping with the manual clock: sends, lets the wire run, then moves time past the timeout. */
async function pingN(h: Host, dst: string, count: number, clock: ManualClock): Promise<number> {
  const p = h.ping(dst, { count, intervalMs: 0, timeoutMs: 100 });
  await settle(8);
  clock.advance(200);
  return (await p).length;
}

describe('examples/extensions', () => {
  for (const esp of [false, true])
    it(`stateful firewall: established flows pass, new inbound ones are dropped${esp ? ' (under ESP)' : ''}`, async () => {
      const { a, b, clock, close } = pair({ esp });
      const fw = new StatefulFirewall({ idleMs: 30_000 });
      await b.extensions.load(fw);
      const atB = inbox(b, 7);
      const sB = b.udpSocket();
      sB.bind(5000);
      const replies: string[] = [];
      sB.onMessage((d) => void replies.push(Buffer.from(d).toString()));
      const sA = a.udpSocket();
      sA.bind(9);
      sA.onMessage((d, from) => void sA.send(text(`re:${Buffer.from(d).toString()}`), from.address, from.port));
      sB.send(text('hello'), A, 9); // b starts the flow: a's reply passes
      a.udpSocket().send(text('unsolicited'), B, 7); // nobody on b started this
      await settle(8);
      assert.deepEqual(replies, ['re:hello']);
      assert.deepEqual(atB, []);
      assert.equal(await pingN(b, A, 2, clock), 2, "echo replies to b's requests pass");
      assert.equal(await pingN(a, B, 1, clock), 0, "a's echo request is a new inbound flow: dropped");
      clock.advance(31_000); // the hello flow has been idle past idleMs
      sA.send(text('late reply'), B, 5000);
      await settle(8);
      assert.deepEqual(replies, ['re:hello']);
      assert.equal(fw.counters.passed, 3, fw.summary());
      assert.equal(fw.counters.dropped, 3, fw.summary());
      assert.equal(fw.counters.expired, 1, fw.summary());
      assert.equal(fw.counters.ipsec, esp ? 6 : 0, fw.summary()); // every inbound packet came as ESP
      await b.extensions.stop(fw.name);
      assert.equal(b.extensions.ip.count, 0);
      close();
    });

  it('custom router: packets a rule matches leave on its interface toward its next hop; the rest follow the table', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const [w1, w2] = [segment(), segment()];
    const a = makeHost('a', clock),
      b = makeHost('b', clock),
      c = makeHost('c', clock);
    attach(a, w1, 'eth0', ['10.1.0.1/24']);
    attach(a, w2, 'eth1', ['10.2.0.1/24']);
    attach(b, w1, 'eth0', ['10.1.0.2/24']);
    attach(c, w2, 'eth0', ['10.2.0.2/24']);
    // The same service address on b and c (anycast): where a packet lands shows the route it took.
    for (const h of [b, c]) h.addInterface('lo0', new MemWire().attach(`${h.name}.lo0`, []), ['203.0.113.5/32']);
    a.addRoute('203.0.113.0/24', 'eth0', '10.1.0.2');
    const router = new CustomRouter([{ to: '203.0.113.0/24', proto: 17, dport: 53, via: '10.2.0.2', dev: 'eth1' }]);
    await a.extensions.load(router);
    const [b9, b53, c9, c53] = [inbox(b, 9), inbox(b, 53), inbox(c, 9), inbox(c, 53)];
    const s = a.udpSocket();
    s.send(text('web'), '203.0.113.5', 9);
    s.send(text('dns'), '203.0.113.5', 53);
    await settle(8);
    assert.deepEqual([b9, b53, c9, c53], [['web'], [], [], ['dns']]);
    assert.deepEqual(router.hits(), [1]);
    assert.equal(router.unmatched, 1);
    assert.deepEqual(protocols(w2.frames), [17]);
    for (const h of [a, b, c]) h.close();
  });

  it('socket limiter: logs one socket and rate-limits it (ENOBUFS out, drops in), other sockets untouched', async () => {
    const { a, b, clock, close } = pair();
    const lim = new SocketLimiter({ rate: 1, burst: 3 });
    await a.extensions.load(lim);
    const got = inbox(b, 9);
    const s = a.udpSocket();
    lim.watch(s);
    s.bind(4000);
    const errors: string[] = [];
    for (let i = 0; i < 5; i++) {
      try {
        s.send(text(`m${i}`), B, 9);
      } catch (e) {
        errors.push((e as ErrnoError).errno);
      }
    }
    clock.advance(2000);
    s.send(text('m5'), B, 9);
    for (let i = 0; i < 5; i++) a.udpSocket().send(text(`free${i}`), B, 9);
    await settle();
    assert.deepEqual(errors, ['ENOBUFS', 'ENOBUFS']);
    assert.deepEqual(got.slice(0, 4), ['m0', 'm1', 'm2', 'm5']);
    assert.equal(got.length, 9);
    const received: string[] = [];
    s.onMessage((d) => void received.push(Buffer.from(d).toString()));
    const tx = b.udpSocket();
    for (let i = 0; i < 5; i++) tx.send(text(`in${i}`), A, 4000);
    await settle();
    assert.deepEqual(received, ['in0', 'in1', 'in2']);
    assert.deepEqual(lim.counters, { in: 3, out: 4, inLimited: 2, outLimited: 2 });
    assert.equal(lim.lines[0], 'bind port 4000');
    assert.match(lim.lines[1]!, /^out 192\.0\.2\.2:9 2 bytes$/);
    assert.ok(lim.lines.includes('out 192.0.2.2:9 2 bytes: rate limited'));
    s.close();
    assert.equal(lim.lines.at(-1), 'close port 4000');
    await a.extensions.stop(lim.name);
    close();
  });

  it('IP-in-IP tunnel: packets into the prefix cross the wire as protocol 4 and come out on the far side', async () => {
    const { a, b, seg, close } = pair();
    b.addInterface('lo0', new MemWire().attach('b.lo0', []), ['172.16.2.1/24']);
    a.addRoute('172.16.2.0/24', 'eth0', B);
    const ta = new IpipTunnel({ local: A, remote: B, prefix: '172.16.2.0/24' });
    const tb = new IpipTunnel({ local: B, remote: A, prefix: '172.16.1.0/24' });
    await a.extensions.load(ta);
    await b.extensions.load(tb);
    const got = inbox(b, 9);
    seg.frames.length = 0;
    a.udpSocket().send(text('through the tunnel'), '172.16.2.1', 9);
    await settle(8);
    assert.deepEqual(got, ['through the tunnel']);
    assert.deepEqual(protocols(seg.frames), [4]);
    assert.equal(ta.counters.encapsulated, 1);
    assert.equal(tb.counters.decapsulated, 1);
    // Protocol 4 from an address that is not the tunnel's remote end is refused.
    a.sendIp(ip(B), 4, new Uint8Array(28), undefined, ip('192.0.2.77'));
    await settle();
    assert.equal(tb.counters.refused, 1);
    await a.extensions.stop(ta.name);
    await b.extensions.stop(tb.name);
    close();
  });
});
