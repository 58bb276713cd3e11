// Interface filters (iflt_attach): the packets a link delivers and sends, in attach order, events for up/down
// and address changes, a down interface passing nothing, and injection past the injector.
import { strict as assert } from 'node:assert';
import { settle } from '../../scenarios/lab.js';
import { ipFlow } from '../../../kernel/ext/flow.js';
import type { IfEvent, IfFilterRef } from '../../../kernel/ext/iface-filter.js';
import { formatAddr } from '../../../common/inet.js';
import { pair, ext, inbox, text, B } from './rig.js';

describe('ext: interface filters', () => {
  it('see frames in and out in attach order, with the next hop; drop and swallow + inject', async () => {
    const { a, b, close } = pair();
    const got = inbox(b, 9);
    const seen: string[] = [];
    const held: Uint8Array[] = [];
    let holder!: IfFilterRef;
    await a.extensions.load(
      ext('t.if', (c) => {
        c.interfaceFilter('eth0', {
          name: 'one',
          output: (p, ifn, hop) => void seen.push(`one ${ifn} ${formatAddr(hop)} ${ipFlow(p)?.protocol}`),
        });
        holder = c.interfaceFilter('eth0', {
          name: 'two',
          output: (p) => {
            seen.push('two');
            if (ipFlow(p)?.dport === 10) return 'drop';
            if (ipFlow(p)?.dport !== 11) return 'continue';
            held.push(p.slice());
            return 'swallow';
          },
        });
        c.interfaceFilter('eth0', { name: 'three', output: () => void seen.push('three') });
      }),
    );
    const gotB11 = inbox(b, 11);
    const s = a.udpSocket();
    s.send(text('plain'), B, 9);
    s.send(text('dropped'), B, 10);
    s.send(text('held'), B, 11);
    await settle();
    assert.deepEqual(got, ['plain']);
    assert.deepEqual(gotB11, []);
    assert.deepEqual(seen, [`one eth0 ${B} 17`, 'two', 'three', `one eth0 ${B} 17`, 'two', `one eth0 ${B} 17`, 'two']);
    seen.length = 0;
    assert.equal(holder.injectOutput(held[0]!, new Uint8Array([192, 0, 2, 2])), true);
    await settle();
    assert.deepEqual(gotB11, ['held']);
    assert.deepEqual(seen, ['three'], 'only the filters after the injector');
    assert.equal(a.extensions.stats.get('iflt_out_dropped'), 1);
    close();
  });

  it('see frames in; receive up/down and address events; a down interface passes nothing', async () => {
    const { a, b, close } = pair();
    const got = inbox(b, 9);
    const events: IfEvent[] = [];
    let inbound = 0;
    await b.extensions.load(
      ext('t.ev', (c) =>
        c.interfaceFilter('eth0', { name: 'watch', input: () => void inbound++, event: (e) => void events.push(e) }),
      ),
    );
    const ifc = b.interface('eth0')!;
    ifc.setUp(false);
    a.udpSocket().send(text('while down'), B, 9);
    await settle();
    assert.deepEqual(got, []);
    assert.equal(inbound, 0);
    assert.equal(b.udpSocket().send(text('out while down'), '192.0.2.1', 9), false);
    ifc.setUp(true);
    a.udpSocket().send(text('up again'), B, 9);
    await settle();
    assert.deepEqual(got, ['up again']);
    assert.equal(inbound, 1);
    ifc.addAddress('192.0.2.9/24');
    ifc.removeAddress('192.0.2.9');
    assert.deepEqual(events, [
      { type: 'down', ifname: 'eth0' },
      { type: 'up', ifname: 'eth0' },
      { type: 'address-added', ifname: 'eth0', address: '192.0.2.9/24' },
      { type: 'address-removed', ifname: 'eth0', address: '192.0.2.9/24' },
    ]);
    assert.ok(b.extensions.stats.get('iflt_ifdown') >= 2);
    close();
  });

  it('an interface that detaches (Host.removeInterface): its filters hear it, then are detached; events; routes go', async () => {
    const { a, b, close } = pair();
    const events: IfEvent[] = [];
    const kev: string[] = [];
    b.kernEvents.subscribe({}, (e) =>
      kev.push(
        `${e.name} ${e.vendor}/${e.class}/${e.subclass}/${e.code} ${'addr' in e ? e.addr : 'ifname' in e ? e.ifname : ''}`,
      ),
    );
    let detached = 0;
    let ref!: IfFilterRef;
    await b.extensions.load(
      ext(
        't.det',
        (c) => {
          ref = c.interfaceFilter('eth0', {
            name: 'w',
            event: (e) => void events.push(e),
            detached: () => void detached++,
          });
        },
        (c) => {
          for (const x of c.attachments()) x.detach();
        },
      ),
    );
    const got = inbox(b, 9);
    assert.equal(b.removeInterface('nope0'), undefined);
    const link = b.removeInterface('eth0');
    assert.ok(link, 'the link is handed back to the caller');
    assert.equal(b.interface('eth0'), undefined);
    assert.deepEqual(b.routes.list(), []);
    assert.deepEqual(events, [
      { type: 'address-removed', ifname: 'eth0', address: '192.0.2.2/24' },
      { type: 'address-removed', ifname: 'eth0', address: '2001:db8::2/64' },
      { type: 'detached', ifname: 'eth0' },
    ]);
    assert.equal(detached, 1, 'iff_detached once');
    assert.throws(() => ref.injectInput(new Uint8Array(20)), /detached/);
    assert.deepEqual(kev, [
      'addr-deleted 1/1/1/3 192.0.2.2/24',
      'addr-deleted 1/1/6/3 2001:db8::2/64',
      'if-detached 1/1/2/11 eth0',
    ]);
    // What the link still delivers is dropped: the interface is down and gone.
    a.udpSocket().send(text('after detach'), B, 9);
    await settle();
    assert.deepEqual(got, []);
    await b.extensions.stop('t.det'); // nothing left attached: it stops
    link!.close();
    close();
  });

  it('refuse an unknown interface and an empty filter', async () => {
    const { a, close } = pair();
    await assert.rejects(
      a.extensions.load(ext('t.bad', (c) => void c.interfaceFilter('nope0', { name: 'x', input: () => {} }))),
      /ENXIO/,
    );
    await assert.rejects(
      a.extensions.load(ext('t.bad2', (c) => void c.interfaceFilter('eth0', { name: 'x' }))),
      /EINVAL/,
    );
    close();
  });
});
