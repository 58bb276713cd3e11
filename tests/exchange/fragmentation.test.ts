// Exchange tests for racoon's IKE fragmentation: main mode with modp8192 (1 KB KE payloads) under
// `ike_frag force` goes out in fragment datagrams of at most 548 bytes and completes; a responder with
// `ike_frag off` drops fragments (counted) and the negotiation does not complete; and a fuzz of random fragment
// datagrams from many sources (fixed seed, bounded count) never throws and never holds more than the limits.
import { strict as assert } from 'node:assert';
import type { Host } from '../../kernel/host/host.js';
import { ISAKMP_FRAG_MAXLEN, splitIsakmp } from '../../racoon/ikev1/fragments.js';
import * as C from '../../racoon/isakmp/constants.js';
import { policyPair } from '../scenarios/lab.js';
import { prng } from '../support/prng.js';
import { confFor, ikeLab, ip, settle, type IkeLab } from './ike-lab.js';

const A = '192.0.2.1',
  B = '192.0.2.2';
const esp = (a: Host, b: Host) => policyPair(a, b, `${A}/32`, `${B}/32`, [{ proto: 'esp' }]);
const mature = (h: Host) => h.sad.dump().filter((s) => s.state === 'mature').length;

/** Delivers everything queued (bounded), returning the largest datagram seen. */
async function runMeasured(lab: IkeLab, max = 200): Promise<number> {
  let largest = 0;
  await settle(8);
  for (let n = 0; lab.queue.length && n < max; n++) {
    largest = Math.max(largest, lab.queue[0]!.data.length);
    await lab.deliver();
  }
  return largest;
}

describe('exchange: IKE fragmentation (racoon vendor-ID scheme)', function () {
  let lab: IkeLab;
  afterEach(() => lab?.close());

  it('ike_frag force, modp8192: no datagram over 548 bytes, both sides reassemble, the SAs are installed', async () => {
    lab = await ikeLab({
      confA: confFor(B, { group: 'modp8192', remote: 'ike_frag force;' }),
      confB: confFor(A, { group: 'modp8192', remote: 'ike_frag on;' }),
      policies: esp,
    });
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    const largest = await runMeasured(lab);
    assert.ok(largest <= ISAKMP_FRAG_MAXLEN - 4, `largest datagram ${largest}`);
    assert.equal(mature(lab.a.host), 2, lab.a.log.join('\n'));
    assert.equal(mature(lab.b.host), 2);
    for (const side of [lab.a, lab.b]) {
      assert.ok(side.racoon.stats.fragSent >= 2, `${side.name} sent fragments`);
      assert.ok(side.racoon.stats.fragReassembled >= 1, `${side.name} reassembled`);
      assert.equal(side.racoon.stats.fragDropped, 0);
    }
    assert.deepEqual(lab.b.racoon.ikev1.frags.reassembly.held, { messages: 0, bytes: 0 });
  });

  it('without force the first message is whole; fragments start once the peer announced reassembly', async () => {
    lab = await ikeLab({
      confA: confFor(B, { group: 'modp8192', remote: 'ike_frag on;' }),
      confB: confFor(A, { group: 'modp8192', remote: 'ike_frag on;' }),
      policies: esp,
    });
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await settle(8);
    assert.notEqual(lab.queue[0]!.data[16], C.ISAKMP_NPTYPE_FRAG, 'message 1 is not a fragment');
    const largest = await runMeasured(lab);
    assert.ok(largest <= ISAKMP_FRAG_MAXLEN - 4);
    assert.equal(mature(lab.a.host), 2);
  });

  it('a responder with ike_frag off drops fragments (counted) and nothing is negotiated', async () => {
    lab = await ikeLab({
      confA: confFor(B, { group: 'modp8192', remote: 'ike_frag force;' }),
      confB: confFor(A, { group: 'modp8192', remote: 'ike_frag off;' }),
      policies: esp,
    });
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await runMeasured(lab);
    assert.ok(lab.b.racoon.stats.fragDropped >= 2);
    assert.equal(lab.b.racoon.stats.fragReassembled, 0);
    assert.equal(mature(lab.b.host), 0);
  });

  it('fuzz: 4,000 random fragment datagrams from 40 sources (seed 1313) never throw and stay within the bounds', async () => {
    const limits = {
      maxFragments: 16,
      maxMessageBytes: 8192,
      maxPerSource: 2,
      maxBytesPerSource: 8192,
      maxMessages: 12,
      maxBytes: 32768,
      timeoutMs: 30_000,
    };
    lab = await ikeLab({
      confA: confFor(B),
      confB: confFor('anonymous', { remote: 'ike_frag on;' }),
      policies: esp,
      racoon: { fragLimits: limits, maxHalfOpen: 8 },
    });
    const rnd = prng(1313);
    const int = (n: number) => Math.floor(rnd() * n);
    const cookies = Array.from({ length: 24 }, () => Uint8Array.from({ length: 8 }, () => int(256)));
    const r = lab.b.racoon;
    const me = { addr: ip(B), port: 500 };
    let whole = 0;
    for (let i = 0; i < 4000; i++) {
      if (rnd() < 0.05) {
        // Now and then a coherent message (random body) cut by our own sender, sent in order from one source.
        const m = Uint8Array.from({ length: 600 + int(1500) }, () => int(256));
        m.set(cookies[int(cookies.length)]!, 0);
        m.fill(0, 8, 16);
        m[16] = C.ISAKMP_NPTYPE_SA;
        const from = { addr: Uint8Array.of(198, 51, 100, 1 + int(40)), port: 500 };
        for (const f of splitIsakmp(m)) assert.doesNotThrow(() => r.input(f, me, from));
        whole++;
        continue;
      }
      const len = 1 + int(700);
      const d = new Uint8Array(C.ISAKMP_HEADER_LEN + 8 + len);
      d.set(cookies[int(cookies.length)]!, 0);
      d[16] = C.ISAKMP_NPTYPE_FRAG;
      d[17] = 0x10;
      d[18] = C.ISAKMP_ETYPE_IDENT;
      new DataView(d.buffer).setUint32(24, rnd() < 0.95 ? d.length : int(2000));
      new DataView(d.buffer).setUint16(30, rnd() < 0.95 ? 8 + len : int(1000));
      new DataView(d.buffer).setUint16(32, 1);
      d[34] = rnd() < 0.05 ? int(256) : 1 + int(18);
      d[35] = rnd() < 0.3 ? 1 : 0;
      for (let k = 36; k < d.length; k++) d[k] = int(256);
      const src = { addr: Uint8Array.of(198, 51, 100, 1 + int(40)), port: rnd() < 0.5 ? 500 : 1024 + int(60000) };
      assert.doesNotThrow(() => r.input(d, me, src));
      const held = r.ikev1.frags.reassembly.held;
      assert.ok(held.messages <= limits.maxMessages && held.bytes <= limits.maxBytes, JSON.stringify(held));
      if (i % 500 === 499) {
        lab.clock.advance(31_000);
        await settle(2);
      }
    }
    await settle(8);
    const s = r.stats;
    assert.ok(s.fragReceived > 4000 - whole, `received ${s.fragReceived}`);
    assert.ok(s.fragDropped > 1000, `dropped ${s.fragDropped}`);
    assert.ok(s.fragReassembled > 0, 'some random messages completed and went to the ordinary input');
    lab.clock.advance(31_000);
    r.ikev1.frags.reassembly.expire();
    assert.deepEqual(r.ikev1.frags.reassembly.held, { messages: 0, bytes: 0 }, 'everything expires');
  });
});
