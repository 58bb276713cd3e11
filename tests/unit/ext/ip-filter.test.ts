// IP filters (ipf_addv4/ipf_addv6): calling order (newest first), placement around IPsec (output: before the SPD
// lookup and again after ESP; input: the ESP packet, then the packet inside), every verdict, swallow + later
// inject, no re-entry of injected packets (the injector and the filters before it skip them), route decisions
// on injected output, and a filter that throws: counted, logged, the packet dropped, the host unharmed.
import { strict as assert } from 'node:assert';
import { settle } from '../../scenarios/lab.js';
import { ipFlow } from '../../../kernel/ext/flow.js';
import type { IpFilterInfo, IpFilterRef } from '../../../kernel/ext/ip-filter.js';
import { buildUdpPacket } from '../../../kernel/ip/packet.js';
import { parseAddr } from '../../../common/inet.js';
import type { Logger, LogLevel } from '../../../common/log.js';
import { A, B, B6, pair, ext, inbox, text } from './rig.js';

const proto = (p: Uint8Array) => ipFlow(p)?.protocol;

describe('ext: IP filters', () => {
  it('call the newest filter first, on input and output, for their own family only', async () => {
    const { a, b, close } = pair();
    const calls: string[] = [];
    await a.extensions.load(
      ext('t.order', (ctx) => {
        for (const n of ['first', 'second', 'third'])
          ctx.ipFilter(4, {
            name: n,
            output: () => void calls.push(`out ${n}`),
            input: () => void calls.push(`in ${n}`),
          });
        ctx.ipFilter(6, { name: 'v6', output: () => void calls.push('out v6'), input: () => void calls.push('in v6') });
      }),
    );
    const got = inbox(a, 9);
    const s = b.udpSocket();
    a.udpSocket().send(text('x'), B, 9);
    s.send(text('back'), A, 9);
    await settle();
    assert.deepEqual(got, ['back']);
    assert.deepEqual(calls, ['out third', 'out second', 'out first', 'in third', 'in second', 'in first']);
    calls.length = 0;
    a.udpSocket().send(text('6'), B6, 9);
    assert.deepEqual(calls, ['out v6']);
    close();
  });

  it('see the clear packet before the SPD and the ESP packet after it; on input the ESP packet, then the inner one', async () => {
    const { a, b, close } = pair({ esp: true });
    const seenA: string[] = [],
      seenB: string[] = [];
    const log = (to: string[]) => (p: Uint8Array, i: IpFilterInfo) =>
      void to.push(`${i.dir} ${proto(p)} ${i.afterIpsec ? 'after' : 'before'}`);
    await a.extensions.load(ext('t.a', (c) => void c.ipFilter(4, { name: 'f', output: log(seenA) })));
    await b.extensions.load(ext('t.b', (c) => void c.ipFilter(4, { name: 'f', input: log(seenB) })));
    const got = inbox(b, 9);
    a.udpSocket().send(text('secret'), B, 9);
    await settle();
    assert.deepEqual(got, ['secret']);
    assert.deepEqual(seenA, ['out 17 before', 'out 50 after']);
    assert.deepEqual(seenB, ['in 50 before', 'in 17 after']);
    close();
  });

  it('drop, swallow and change packets, each counted', async () => {
    const { a, b, close } = pair();
    const got = inbox(b, 9);
    let mode: 'drop' | 'swallow' | 'change' | 'pass' = 'drop';
    await a.extensions.load(
      ext('t.verdicts', (c) =>
        c.ipFilter(4, {
          name: 'v',
          output: () => {
            if (mode === 'pass') return 'continue';
            if (mode !== 'change') return mode;
            return buildUdpPacket({ src: parseAddr(A)!, dst: parseAddr(B)! }, 1234, 9, text('changed'));
          },
        }),
      ),
    );
    const s = a.udpSocket();
    assert.equal(s.send(text('one'), B, 9), false);
    mode = 'swallow';
    assert.equal(s.send(text('two'), B, 9), true, 'a swallowed packet is not a failure: the filter owns it');
    mode = 'change';
    s.send(text('three'), B, 9);
    mode = 'pass';
    s.send(text('four'), B, 9);
    await settle();
    assert.deepEqual(got, ['changed', 'four']);
    const st = a.extensions.stats;
    assert.equal(st.get('ipf_out_dropped'), 1);
    assert.equal(st.get('ipf_out_swallowed'), 1);
    assert.equal(st.get('ipf_changed'), 1);
    close();
  });

  it('swallow + later inject: the injected packet skips the injector and the newer filters, older ones see it', async () => {
    const { a, b, close } = pair();
    const got = inbox(b, 9);
    const held: Uint8Array[] = [];
    const seen: string[] = [];
    let holder!: IpFilterRef;
    await a.extensions.load(
      ext('t.hold', (c) => {
        c.ipFilter(4, { name: 'older', output: (p, i) => void seen.push(`older ${i.injected}`) });
        holder = c.ipFilter(4, {
          name: 'holder',
          output: (p) => {
            seen.push('holder');
            held.push(p.slice());
            return 'swallow';
          },
        });
        c.ipFilter(4, { name: 'newer', output: () => void seen.push('newer') });
      }),
    );
    a.udpSocket().send(text('later'), B, 9);
    await settle();
    assert.deepEqual(got, []);
    assert.deepEqual(seen, ['newer', 'holder']);
    assert.equal(holder.injectOutput(held[0]!), true);
    await settle();
    assert.deepEqual(got, ['later']);
    assert.deepEqual(seen, ['newer', 'holder', 'older true'], 'the holder did not see its own injection again');
    assert.equal(a.extensions.stats.get('ipf_inject_out'), 1);
    close();
  });

  it('inject input: swallowed incoming packets re-enter IP input past the injector, once', async () => {
    const { a, b, close } = pair();
    const got = inbox(b, 9);
    const held: Uint8Array[] = [];
    let calls = 0;
    const ref = await new Promise<IpFilterRef>(
      (resolve) =>
        void b.extensions.load(
          ext('t.in', (c) =>
            resolve(
              c.ipFilter(4, {
                name: 'delay',
                input: (p) => {
                  calls++;
                  held.push(p.slice());
                  return 'swallow';
                },
              }),
            ),
          ),
        ),
    );
    a.udpSocket().send(text('held'), B, 9);
    await settle();
    assert.deepEqual(got, []);
    ref.injectInput(held.pop()!);
    await settle();
    assert.deepEqual(got, ['held']);
    assert.equal(calls, 1);
    close();
  });

  it('a route decision on injected output replaces the routing table', async () => {
    const { a, b, seg, close } = pair();
    // a has no route to 198.51.100.7; the filter sends it to b, whose address holds it.
    b.interface('eth0')!.addAddress('198.51.100.7/32');
    seg.wire.addAddress(seg.wire['ports'].get('b.eth0')!, parseAddr('198.51.100.7')!);
    const got = inbox(b, 9);
    await a.extensions.load(
      ext('t.route', (c) => {
        const r: IpFilterRef = c.ipFilter(4, {
          name: 'r',
          output: (p) => (r.injectOutput(p, { nextHop: B, ifname: 'eth0' }), 'swallow'),
        });
      }),
    );
    const s = a.udpSocket();
    s.bind(0, A);
    assert.equal(s.send(text('routed'), '198.51.100.7', 9), true);
    await settle();
    assert.deepEqual(got, ['routed']);
    assert.equal(a.netstat.get('ips_noroute'), 0);
    close();
  });

  it('a filter that throws is contained: counted, logged (bounded), the packet dropped, the host fine', async () => {
    const lines: string[] = [];
    const log: Logger = { level: 'debug', enabled: () => true, log: (l: LogLevel, m: string) => void lines.push(m) };
    const { a, b, close } = pair();
    Object.defineProperty(a, 'log', { value: log });
    const got = inbox(b, 9);
    let broken = true;
    await a.extensions.load(
      ext('t.throw', (c) =>
        c.ipFilter(4, {
          name: 'bad',
          output: () => {
            if (broken) throw new Error('boom');
          },
        }),
      ),
    );
    const s = a.udpSocket();
    for (let i = 0; i < 25; i++) assert.equal(s.send(text(`x${i}`), B, 9), false);
    broken = false;
    s.send(text('ok'), B, 9);
    await settle();
    assert.deepEqual(got, ['ok']);
    assert.equal(a.extensions.stats.get('ext_faults'), 25);
    const faultLines = lines.filter((l) => l.includes('threw'));
    assert.equal(faultLines.length, 10);
    assert.match(faultLines[0]!, /t\.throw\/bad: output\(\) threw, packet dropped: boom/);
    close();
  });

  it('with no filter the hot path is one check: the count is zero and back to zero after detach', async () => {
    const { a, close } = pair();
    assert.equal(a.extensions.ip.count, 0);
    let ref!: IpFilterRef;
    await a.extensions.load(ext('t.count', (c) => void (ref = c.ipFilter(4, { name: 'n', input: () => {} }))));
    assert.equal(a.extensions.ip.count, 1);
    ref.detach();
    assert.equal(a.extensions.ip.count, 0);
    close();
  });
});
