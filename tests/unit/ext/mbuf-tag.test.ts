// Packet tags (mbuf_tag_id_find / allocate / find / free, kernel/ext/mbuf-tag.ts): the API's rules and bounds,
// and what later filters see: a newer filter's tag found by the older filter after it, on a packet a filter
// changed, on the ESP packet of the output's second pass and the inner packet after decapsulation, and on a
// swallowed packet re-injected; never on another packet.
import { strict as assert } from 'node:assert';
import { settle } from '../../scenarios/lab.js';
import { ipFlow } from '../../../kernel/ext/flow.js';
import {
  PacketTags,
  MBUF_TAG_MAX_PER_PACKET,
  MBUF_TAG_MAX_LENGTH,
  MBUF_TAG_MAX_IDS,
} from '../../../kernel/ext/mbuf-tag.js';
import type { IpFilterRef } from '../../../kernel/ext/ip-filter.js';
import { pair, ext, inbox, text, B } from './rig.js';

describe('ext: packet tags (mbuf_tag)', () => {
  it('ids by name, allocate / find / free, and the bounds per packet and per host', () => {
    const t = new PacketTags();
    const id = t.idFind('org.example.fw');
    assert.equal(t.idFind('org.example.fw'), id, 'the same name, the same id');
    assert.notEqual(t.idFind('org.example.other'), id);
    const p = new Uint8Array(40);
    const q = new Uint8Array(40);
    const d = t.allocate(p, id, 1, 4);
    assert.deepEqual([...d], [0, 0, 0, 0]);
    d[0] = 7;
    assert.equal(t.find(p, id, 1)![0], 7);
    assert.equal(t.find(p, id, 2), undefined, 'another type');
    assert.equal(t.find(q, id, 1), undefined, 'another packet');
    assert.throws(() => t.allocate(p, id, 1, 1), /EEXIST/);
    assert.throws(() => t.allocate(p, 999, 1, 1), /EINVAL/);
    assert.throws(() => t.allocate(p, id, 0x10000, 1), /EINVAL/);
    assert.throws(() => t.allocate(p, id, 3, MBUF_TAG_MAX_LENGTH + 1), /EINVAL/);
    assert.throws(() => t.idFind(''), /EINVAL/);
    for (let type = 2; type <= MBUF_TAG_MAX_PER_PACKET; type++) t.allocate(p, id, type, 1);
    assert.throws(() => t.allocate(p, id, 100, 1), /ENOBUFS/, 'tags per packet');
    for (let type = 1; type <= 4; type++) t.allocate(q, id, type, MBUF_TAG_MAX_LENGTH);
    assert.throws(() => t.allocate(q, id, 5, 1), /ENOBUFS/, 'bytes per packet');
    assert.equal(t.free(p, id, 1), true);
    assert.equal(t.free(p, id, 1), false);
    assert.equal(t.find(p, id, 1), undefined);
    t.allocate(p, id, 1, 0); // room again
    for (let i = 3; i <= MBUF_TAG_MAX_IDS; i++) t.idFind(`org.example.n${i}`);
    assert.throws(() => t.idFind('org.example.one-too-many'), /ENOBUFS/);
  });

  it('a tag set by a newer filter is found by the older one after it, also on a changed packet', async () => {
    const { a, b, close } = pair();
    const got = inbox(b, 9);
    const seen: (number | undefined)[] = [];
    await a.extensions.load(
      ext('t.tag', (c) => {
        const id = c.tags.idFind('org.example.mark');
        // Filters run newest first: 'reader' is added first, so it runs last.
        c.ipFilter(4, { name: 'reader', output: (p) => void seen.push(c.tags.find(p, id, 1)?.[0]) });
        c.ipFilter(4, { name: 'changer', output: (p) => (ipFlow(p)?.dport === 9 ? p.slice() : 'continue') });
        c.ipFilter(4, {
          name: 'marker',
          output: (p) => {
            if (ipFlow(p)?.dport === 9) c.tags.allocate(p, id, 1, 1)[0] = 42;
          },
        });
      }),
    );
    a.udpSocket().send(text('tagged'), B, 9);
    a.udpSocket().send(text('not tagged'), B, 10);
    await settle();
    assert.deepEqual(got, ['tagged']);
    assert.deepEqual(seen, [42, undefined]);
    close();
  });

  it('follows the packet through ESP: the output second pass and the input pass after decapsulation', async () => {
    const { a, b, close } = pair({ esp: true });
    const got = inbox(b, 9);
    const out: string[] = [];
    const inb: string[] = [];
    // One tag id per host: the sender tags the clear packet, its ESP packet still carries the tag.
    await a.extensions.load(
      ext('t.esp-out', (c) => {
        const id = c.tags.idFind('org.example.esp');
        c.ipFilter(4, {
          name: 'out',
          output: (p, info) => {
            if (!info.afterIpsec) c.tags.allocate(p, id, 1, 1)[0] = 5;
            out.push(
              `${info.afterIpsec ? 'esp' : 'clear'} proto ${ipFlow(p)?.protocol} tag ${c.tags.find(p, id, 1)?.[0]}`,
            );
          },
        });
      }),
    );
    // The receiver tags the ESP packet as it arrives; the packet inside carries the tag.
    await b.extensions.load(
      ext('t.esp-in', (c) => {
        const id = c.tags.idFind('org.example.esp');
        c.ipFilter(4, {
          name: 'in',
          input: (p, info) => {
            if (!info.afterIpsec) c.tags.allocate(p, id, 2, 1)[0] = 6;
            inb.push(
              `${info.afterIpsec ? 'inner' : 'esp'} proto ${ipFlow(p)?.protocol} tag ${c.tags.find(p, id, 2)?.[0]}`,
            );
          },
        });
      }),
    );
    a.udpSocket().send(text('protected'), B, 9);
    await settle();
    assert.deepEqual(got, ['protected']);
    assert.deepEqual(out, ['clear proto 17 tag 5', 'esp proto 50 tag 5']);
    assert.deepEqual(inb, ['esp proto 50 tag 6', 'inner proto 17 tag 6']);
    close();
  });

  it('a swallowed packet re-injected keeps its tags for the filters after the injector', async () => {
    const { a, b, close } = pair();
    const got = inbox(b, 9);
    const seen: (number | undefined)[] = [];
    const held: Uint8Array[] = [];
    let holder!: IpFilterRef;
    await a.extensions.load(
      ext('t.inject', (c) => {
        const id = c.tags.idFind('org.example.held');
        c.ipFilter(4, { name: 'after', output: (p) => void seen.push(c.tags.find(p, id, 1)?.[0]) });
        holder = c.ipFilter(4, {
          name: 'holder',
          output: (p) => {
            c.tags.allocate(p, id, 1, 1)[0] = 9;
            held.push(p);
            return 'swallow';
          },
        });
      }),
    );
    a.udpSocket().send(text('later'), B, 9);
    await settle();
    assert.deepEqual([got, seen], [[], []]);
    assert.equal(holder.injectOutput(held[0]!), true);
    await settle();
    assert.deepEqual(got, ['later']);
    assert.deepEqual(seen, [9]);
    close();
  });
});
