// Fuzzing keysock (fast-check, fixed seed): 100,000 messages per normal run (x10 under UIPSEC_SLOW), a mix
// of plausible SA/SPD messages, the same with a few bytes changed or cut short, and random bytes. Checks:
// no exception and no internal error; every refused message leaves the SAD and SPD untouched; and the
// tables after the run equal those produced by replaying only the accepted messages on a fresh kernel.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { makeLogger } from '../../../common/log.js';
import { KeySock } from '../../../kernel/keysock/keysock.js';
import { bareKernel, openRec } from './support.js';
import { messageArb, sadFingerprint, sadState, spdState } from './arbitraries.js';

const SLOW = Boolean(process.env.UIPSEC_SLOW);
const RUNS = SLOW ? 2000 : 200;
const PER_RUN = 500; // 200 x 500 = 100,000 messages in the normal suite

describe('keysock fuzz (fast-check, fixed seed)', () => {
  it(`${RUNS * PER_RUN} messages: no exception, refused messages change nothing, accepted ones replay to the same tables`, () => {
    let total = 0,
      accepted = 0;
    const errors: string[] = [];
    const log = makeLogger('error', (l) => errors.push(l));
    const details = fc.check(
      fc.property(fc.array(messageArb, { minLength: PER_RUN, maxLength: PER_RUN }), (list) => {
        const k = bareKernel('fuzz');
        const ks = new KeySock(k, { log });
        const socks = [openRec(ks), openRec(ks)];
        const ok: [number, Uint8Array][] = [];
        // The SAD fingerprint is recomputed only after accepted messages: a refused one must not change it.
        let sadPrint = '';
        let dirty = true;
        list.forEach((bytes, i) => {
          const s = i % 2;
          const errsBefore = ks.stats.errors + ks.stats.tooShort;
          const genBefore = k.spd.generation;
          if (dirty) {
            sadPrint = sadFingerprint(k.sad);
            dirty = false;
          }
          socks[s]!.send(bytes);
          socks[s]!.clear();
          if (ks.stats.errors + ks.stats.tooShort === errsBefore) {
            ok.push([s, bytes]);
            dirty = true;
            return;
          }
          assert.equal(k.spd.generation, genBefore, 'a refused message changed the SPD');
          assert.equal(sadFingerprint(k.sad), sadPrint, 'a refused message changed the SAD');
        });
        assert.equal(ks.stats.internalErrors, 0, errors[0]);
        total += list.length;
        accepted += ok.length;
        // The same accepted messages on a fresh kernel give the same tables, and are all accepted again.
        const k2 = bareKernel('fuzz');
        const ks2 = new KeySock(k2);
        const socks2 = [openRec(ks2), openRec(ks2)];
        for (const [s, bytes] of ok) {
          socks2[s]!.send(bytes);
          socks2[s]!.clear();
        }
        assert.equal(ks2.stats.errors, 0);
        assert.equal(sadState(k2.sad), sadState(k.sad));
        assert.equal(spdState(k2.spd), spdState(k.spd));
        k.sad.close();
        k2.sad.close();
        k.spd.flush();
        k2.spd.flush();
      }),
      { seed: 0x4b4559, numRuns: RUNS, endOnFailure: true },
    );
    // fc.check, not fc.assert: a counterexample of 500 messages is too long to print usefully.
    if (details.failed) assert.fail(`run ${details.numRuns}: ${(details.errorInstance as Error)?.message ?? 'failed'}`);
    assert.equal(total, RUNS * PER_RUN);
    assert.ok(accepted > total / 10, `only ${accepted} of ${total} accepted: the generator is too hostile`);
  });
});
