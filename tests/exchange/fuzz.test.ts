// Bad input: fuzzed ISAKMP datagrams (fixed seed) fed to a racoon that has live phase 1 and phase 2 SAs.
// Mutations of real messages (main mode, quick mode, informational) and random bytes must never throw out of
// input(), never leave an unhandled rejection, keep half-open state bounded, and leave the daemon able to
// negotiate afterwards.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import type { Host } from '../../kernel/host/host.js';
import { policyPair } from '../scenarios/lab.js';
import { confFor, ikeLab, ip, settle, type Datagram, type IkeLab } from './ike-lab.js';

const A = '192.0.2.1',
  B = '192.0.2.2';
const esp = (a: Host, b: Host) => policyPair(a, b, `${A}/32`, `${B}/32`, [{ proto: 'esp' }]);
const RUNS = process.env.UIPSEC_SLOW ? 50_000 : 3_000;

describe('exchange fuzz: malformed ISAKMP never crashes racoon', function () {
  let lab: IkeLab;
  const rejections: unknown[] = [];
  const onRej = (e: unknown) => rejections.push(e);
  before(() => process.on('unhandledRejection', onRej));
  after(() => process.off('unhandledRejection', onRej));
  afterEach(() => lab?.close());

  it(`${RUNS} mutated or random datagrams (seed 20260611)`, async () => {
    lab = await ikeLab({
      confA: confFor(B, { pfs: 'modp1024' }),
      confB: confFor(A, { pfs: 'modp1024' }),
      policies: esp,
      racoon: { maxHalfOpen: 16 },
    });
    // Record one full negotiation: the corpus.
    const corpus: Datagram[] = [];
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await settle(8);
    while (lab.queue.length) {
      corpus.push(lab.queue[0]!);
      await lab.deliver();
    }
    assert.equal(corpus.length, 9);
    const toB = corpus.filter((d) => d.sender === 'a');
    const toA = corpus.filter((d) => d.sender === 'b');

    const mutation = fc.record({
      base: fc.nat(toB.length - 1),
      flips: fc.array(fc.record({ at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }), { maxLength: 6 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
      random: fc.option(fc.uint8Array({ maxLength: 120 }), { nil: undefined, freq: 8 }),
    });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(mutation, fc.boolean(), async (m, atInitiator) => {
        // Half the inputs go to the initiator (mutated responder messages), half to the responder.
        const list = atInitiator ? toA : toB;
        const d = list[m.base % list.length]!;
        const target = atInitiator ? lab.a : lab.b;
        let bytes = m.random ?? new Uint8Array(d.data);
        for (const f of m.flips) if (bytes.length) bytes[f.at % bytes.length] = f.v;
        if (m.cut !== undefined && bytes.length) bytes = bytes.subarray(0, m.cut % bytes.length);
        target.racoon.input(bytes, d.to, d.from); // must not throw
        if (++n % 100 === 0) await settle(2);
      }),
      { seed: 20260611, numRuns: RUNS },
    );
    await settle(8);
    assert.deepEqual(rejections, []);
    assert.ok(
      lab.b.racoon.stats.malformed > 0 && lab.a.racoon.stats.malformed > 0,
      'some inputs were counted as malformed on each side',
    );
    assert.ok(lab.b.racoon.ph1s.size <= 16 + 1, 'half-open state stays capped');

    // Still alive: the established phase 1 carries a new quick mode.
    lab.queue.length = 0;
    const before = lab.a.racoon.stats.ph2Established;
    const sp = [...lab.a.racoon.bridge.spd.values()].find((s) => s.dir === 2)!;
    lab.a.racoon.startPh2(sp, { addr: ip(A), port: 500 }, { addr: ip(B), port: 500 }, 0);
    await lab.run();
    assert.equal(lab.a.racoon.stats.ph2Established, before + 1, lab.b.log.slice(-5).join('\n'));
  });
});
