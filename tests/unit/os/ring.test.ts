// The I/O worker's packet ring (kernel/os/ring.ts): records come out as they went in, in order, across
// wrap-arounds; a full ring refuses (the worker counts a drop) instead of overwriting; checked against a
// plain queue on random sizes with a fixed seed, producer and consumer interleaved.
import { strict as assert } from 'node:assert';
import { createRing, RingReader, RingWriter } from '../../../kernel/os/ring.js';
import { prng } from '../../support/prng.js';
import { isUnicastBeyondLink } from '../../../kernel/link/tun-link.js';

describe('os/ring: the SharedArrayBuffer packet ring', () => {
  it('matches a plain queue over 20,000 random records with wrap-arounds and full-ring refusals', () => {
    const b = createRing(16384);
    const w = new RingWriter(b);
    const r = new RingReader(b);
    const rnd = prng(0x5eed);
    const queue: { tag: number; bytes: Uint8Array }[] = [];
    let refused = 0;
    let seen = 0;
    for (let i = 0; i < 20_000; i++) {
      const len = Math.floor(rnd() * 1600);
      const room = w.reserve(len);
      if (!room) {
        w.drop();
        refused++;
      } else {
        for (let k = 0; k < len; k++) room[k] = (i + k) & 0xff;
        w.commit(len, i);
        queue.push({ tag: i, bytes: room.slice(0, len) });
      }
      if (rnd() < 0.3) w.publish();
      if (rnd() < 0.2) {
        w.publish();
        r.drain((p, tag) => {
          const want = queue.shift()!;
          assert.equal(tag, want.tag);
          assert.deepEqual(p, want.bytes);
          seen++;
        });
      }
    }
    w.publish();
    r.drain((p, tag) => {
      const want = queue.shift()!;
      assert.equal(tag, want.tag);
      assert.deepEqual(p, want.bytes);
      seen++;
    });
    assert.equal(queue.length, 0);
    assert.ok(refused > 0 && seen > 5000, `refused ${refused}, seen ${seen}`);
    assert.equal(r.drops, refused);
  });

  it('an unpublished record is not visible; drain honours its maximum', () => {
    const b = createRing(8192);
    const w = new RingWriter(b);
    const r = new RingReader(b);
    for (let i = 0; i < 3; i++) {
      w.reserve(10)!.fill(i);
      w.commit(10, i);
    }
    assert.equal(
      r.drain(() => {}),
      0,
    );
    w.publish();
    const tags: number[] = [];
    assert.equal(
      r.drain((_p, t) => tags.push(t), 2),
      2,
    );
    assert.equal(
      r.drain((_p, t) => tags.push(t)),
      1,
    );
    assert.deepEqual(tags, [0, 1, 2]);
  });

  it('refuses sizes that are not whole words or too small', () => {
    assert.throws(() => createRing(4095), RangeError);
    assert.throws(() => createRing(1000), RangeError);
  });
});

describe('link/tun-link: what the machine writes into the TUN that may go to a peer', () => {
  const v4 = (d: number[]) => Uint8Array.from([0x45, ...new Array(15).fill(0), ...d]);
  const v6 = (d0: number, d1: number) => {
    const p = new Uint8Array(40);
    p[0] = 0x60;
    p[24] = d0;
    p[25] = d1;
    return p;
  };
  it('unicast goes; multicast, broadcast, IPv6 link-local and runts stay', () => {
    assert.equal(isUnicastBeyondLink(v4([10, 0, 0, 2])), true);
    assert.equal(isUnicastBeyondLink(v4([224, 0, 0, 1])), false);
    assert.equal(isUnicastBeyondLink(v4([255, 255, 255, 255])), false);
    assert.equal(isUnicastBeyondLink(v6(0x20, 0x01)), true);
    assert.equal(isUnicastBeyondLink(v6(0xff, 0x02)), false);
    assert.equal(isUnicastBeyondLink(v6(0xfe, 0x80)), false);
    assert.equal(isUnicastBeyondLink(new Uint8Array(10)), false);
    assert.equal(isUnicastBeyondLink(Uint8Array.from([0x70, ...new Array(39).fill(0)])), false);
  });
});
