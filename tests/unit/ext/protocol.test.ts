// Protocol handlers (net_add_proto): a handler gets its protocol's packets for this host after the inbound
// policy check, sends its protocol through the output path, cannot take a stack protocol or a taken one.
import { strict as assert } from 'node:assert';
import { settle } from '../../scenarios/lab.js';
import type { ProtocolPacket, ProtocolRef } from '../../../kernel/ext/protocol.js';
import { parseAddr, formatAddr } from '../../../common/inet.js';
import { pair, ext, text, A, B } from './rig.js';

describe('ext: protocol handlers', () => {
  it('receive their protocol and send it; without a handler the packet is noproto', async () => {
    const { a, b, close } = pair();
    const got: ProtocolPacket[] = [];
    let ref!: ProtocolRef;
    assert.equal(a.sendIp(parseAddr(B)!, 47, text('before')), true);
    await settle();
    assert.equal(b.netstat.get('ips_noproto'), 1);
    await b.extensions.load(ext('t.gre', (c) => void c.protocol(47, { name: 'gre', input: (p) => void got.push(p) })));
    await a.extensions.load(ext('t.gre', (c) => void (ref = c.protocol(47, { name: 'gre', input: () => {} }))));
    assert.equal(ref.send(parseAddr(B)!, text('payload')), true);
    await settle();
    assert.equal(got.length, 1);
    assert.equal(formatAddr(got[0]!.src), A);
    assert.equal(Buffer.from(got[0]!.payload).toString(), 'payload');
    assert.equal(got[0]!.ipsecLayers, 0);
    assert.equal(b.netstat.get('ips_noproto'), 1);
    close();
  });

  it('the inbound IPsec policy applies before the handler: a clear packet a require policy covers is refused', async () => {
    const { a, b, close } = pair({ esp: true });
    const got: ProtocolPacket[] = [];
    await b.extensions.load(ext('t.p', (c) => void c.protocol(47, { name: 'gre', input: (p) => void got.push(p) })));
    a.sendIp(parseAddr(B)!, 47, text('protected'));
    await settle();
    assert.equal(got.length, 1);
    assert.equal(got[0]!.ipsecLayers, 1, 'it came through ESP');
    b.input(new Uint8Array(got[0]!.packet)); // the same packet in clear: the require policy refuses it
    await settle();
    assert.equal(got.length, 1);
    close();
  });

  it('refuse stack protocols, taken ones and bad numbers; a throwing handler is contained', async () => {
    const { a, b, close } = pair();
    for (const p of [1, 17, 50, 51, 58, 108])
      await assert.rejects(
        a.extensions.load(ext(`t.${p}`, (c) => void c.protocol(p, { name: 'x', input: () => {} }))),
        /EEXIST/,
      );
    await assert.rejects(
      a.extensions.load(ext('t.256', (c) => void c.protocol(256, { name: 'x', input: () => {} }))),
      /EINVAL/,
    );
    await b.extensions.load(
      ext('t.throw', (c) =>
        c.protocol(99, {
          name: 'x',
          input: () => {
            throw new Error('bad handler');
          },
        }),
      ),
    );
    await assert.rejects(
      b.extensions.load(ext('t.dup', (c) => void c.protocol(99, { name: 'y', input: () => {} }))),
      /EEXIST/,
    );
    a.sendIp(parseAddr(B)!, 99, text('x'));
    await settle();
    assert.equal(b.extensions.stats.get('ext_faults'), 1);
    close();
  });
});
