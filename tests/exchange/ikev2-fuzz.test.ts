// Bad input for IKEv2: fuzzed datagrams (fixed seed) fed to racoons with a live IKE SA and child. Mutations of
// real IKE_SA_INIT, IKE_AUTH and CREATE_CHILD_SA messages and random bytes with an IKEv2 header must never throw
// out of input(), never leave an unhandled rejection, keep half-open IKE SAs bounded, and leave the IKE SA
// able to negotiate a new child afterwards.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import type { Host } from '../../kernel/host/host.js';
import { policyPair } from '../scenarios/lab.js';
import { ikeLab, ip, settle, type Datagram, type IkeLab } from './ike-lab.js';
import { v2Conf } from './ikev2-conf.js';

const A = '192.0.2.1',
  B = '192.0.2.2';
const esp = (a: Host, b: Host) => policyPair(a, b, `${A}/32`, `${B}/32`, [{ proto: 'esp' }]);
const RUNS = process.env.UIPSEC_SLOW ? 50_000 : 3_000;
const MAX_HALF_OPEN = 16;

describe('exchange fuzz: malformed IKEv2 never crashes racoon', function () {
  let lab: IkeLab;
  const rejections: unknown[] = [];
  const onRej = (e: unknown) => rejections.push(e);
  before(() => process.on('unhandledRejection', onRej));
  after(() => process.off('unhandledRejection', onRej));
  afterEach(() => lab?.close());

  it(`${RUNS} mutated or random datagrams (seed 20261207)`, async () => {
    lab = await ikeLab({
      confA: v2Conf(B, { pfs: 'modp1024', groups: ['modp1024'] }),
      confB: v2Conf(A, { pfs: 'modp1024', groups: ['modp1024'] }),
      policies: esp,
      racoon: { maxHalfOpen: MAX_HALF_OPEN },
    });
    // Record a negotiation and a child rekey: the corpus.
    const corpus: Datagram[] = [];
    const record = async () => {
      await settle(8);
      while (lab.queue.length) {
        corpus.push(lab.queue[0]!);
        await lab.deliver();
      }
    };
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await record();
    const child = [...lab.a.racoon.ikev2.children.all][0]!;
    lab.a.racoon.ikev2.children.expire({
      msg: { satype: 3 } as never,
      ext: { sa: { spi: Buffer.from(child.mySpi!).readUInt32BE() }, lifetimeSoft: {} } as never,
    });
    await record();
    assert.equal(corpus.length, 8, 'IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL, each both ways');
    const toB = corpus.filter((d) => d.sender === 'a');
    const toA = corpus.filter((d) => d.sender === 'b');

    const mutation = fc.record({
      base: fc.nat(toB.length - 1),
      flips: fc.array(fc.record({ at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }), { maxLength: 6 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
      random: fc.option(fc.uint8Array({ minLength: 28, maxLength: 200 }), { nil: undefined, freq: 8 }),
    });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(mutation, fc.boolean(), async (m, atInitiator) => {
        const list = atInitiator ? toA : toB;
        const d = list[m.base % list.length]!;
        const target = atInitiator ? lab.a : lab.b;
        let bytes = m.random ? new Uint8Array(m.random) : new Uint8Array(d.data);
        if (m.random) bytes[17] = 0x20; // an IKEv2 header: the dispatch hands it to the IKEv2 handler
        for (const f of m.flips) if (bytes.length) bytes[f.at % bytes.length] = f.v;
        if (m.cut !== undefined && bytes.length) bytes = bytes.subarray(0, m.cut % bytes.length);
        target.racoon.input(bytes, d.to, d.from); // must not throw
        if (++n % 100 === 0) await settle(2);
      }),
      { seed: 20261207, numRuns: RUNS },
    );
    await settle(8);
    assert.deepEqual(rejections, []);
    assert.ok(lab.b.racoon.stats.malformed > 0 && lab.a.racoon.stats.malformed > 0, 'malformed inputs counted');
    const halfOpen = lab.b.racoon.ikev2.ikes.halfOpen();
    assert.ok(halfOpen <= MAX_HALF_OPEN, `half-open IKE SAs stay capped (${halfOpen})`);

    // Still alive: the established IKE SA carries a new child (a rekey of the current one).
    lab.queue.length = 0;
    const sa = lab.a.racoon.ikev2.ikes.all().find((s) => s.state === 'established' && s.initiator)!;
    assert.ok(sa, 'the IKE SA survived');
    const before = lab.a.racoon.ikev2.stats.childEstablished;
    const c = [...sa.children].find((x) => x.state === 'installed')!;
    lab.a.racoon.ikev2.children.expire({
      msg: { satype: 3 } as never,
      ext: { sa: { spi: Buffer.from(c.mySpi!).readUInt32BE() }, lifetimeSoft: {} } as never,
    });
    await lab.run(200);
    assert.equal(lab.a.racoon.ikev2.stats.childEstablished, before + 1, lab.a.log.slice(-8).join('\n'));
  });
});
