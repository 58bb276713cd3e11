// Fuzzing uipsecd through its Unix socket (fast-check, fixed seed): 5,000 plausible, mutated and random
// PF_KEY messages, each made frameable (version 2, sadb_msg_len = its length), sent back to back on one
// connection. The daemon must answer and stay up, count no internal error, end with the same SAD and SPD
// as an in-process kernel fed the same bytes (compared every 250 messages), and keep serving the connection and a second client.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as C from '../../pfkey/constants.js';
import { connectPfkey } from '../../pfkey/transport-unix.js';
import { KeySock } from '../../kernel/keysock/keysock.js';
import { startDaemon } from '../../kernel/daemon/main.js';
import { messageArb, spdState } from '../unit/keysock/arbitraries.js';
import { bareKernel, msg, openRec, T0 } from '../unit/keysock/support.js';
import { ManualClock } from '../../common/clock.js';
import type { Sad } from '../../kernel/sad/sad.js';
import { sockDir, testConfig } from './support.js';

const COUNT = process.env.UIPSEC_SLOW ? 50_000 : 5_000;

/** version 2, a whole number of 8-byte units, sadb_msg_len matching: the stream splitter accepts it. */
function frameable(b: Uint8Array): Uint8Array {
  const n = Math.max(16, b.length - (b.length % 8));
  const out = new Uint8Array(n);
  out.set(b.subarray(0, n));
  out[0] = C.PF_KEY_V2;
  new DataView(out.buffer).setUint16(4, n / 8, true);
  return out;
}

/** Mature/dying SAs only: larval SPIs may come from each kernel's own RNG. */
function settledSas(sad: Sad): string {
  return sad
    .dump()
    .filter((s) => s.state !== 'larval')
    .map((s) => `${s.proto}:${s.spi}:${s.state}:${s.mode}:${s.reqid}:${s.encAlg?.name}:${s.authAlg?.name}`)
    .join('\n');
}

describe('uipsecd stream fuzz (fast-check, fixed seed)', () => {
  it(`${COUNT} fuzzed messages on one connection: daemon answers, stays consistent and keeps serving`, async () => {
    const list = fc.sample(messageArb, { seed: 0x50f7, numRuns: COUNT }).map(frameable);
    const d = await startDaemon(testConfig(sockDir()), { clock: new ManualClock(T0) });
    try {
      const c = await connectPfkey(d.config.socketPath, { pid: 3 });
      let received = 0;
      c.onMessage(() => {
        received++;
      });
      const k = bareKernel('stream');
      const s = openRec(new KeySock(k));
      let compared = 0,
        nonEmpty = 0;
      for (let i = 0; i < list.length; i += 250) {
        const part = list.slice(i, i + 250);
        for (const b of part) c.send(b);
        // A request after them: its reply proves every earlier message was processed, in order.
        const r = await c.request(msg(C.SADB_REGISTER, 0, {}, c.nextSeq(), c.pid));
        assert.equal(r.msg.errno, 0);
        for (const b of part) {
          s.send(b);
          s.clear();
        }
        assert.equal(settledSas(d.host.sad), settledSas(k.sad), `SAD after ${i + part.length} messages`);
        assert.equal(spdState(d.host.spd), spdState(k.spd), `SPD after ${i + part.length} messages`);
        compared++;
        if (d.host.sad.size + d.host.spd.size > 0) nonEmpty++;
      }
      assert.ok(received > 0);
      assert.ok(nonEmpty > compared / 2, `tables non-empty at only ${nonEmpty} of ${compared} checkpoints`);
      assert.ok(d.keysock.stats.errors > 0 && d.keysock.stats.errors < COUNT, 'a mix of refused and accepted messages');
      assert.equal(d.keysock.stats.internalErrors, 0);
      assert.equal(d.pfkey.stats.framingErrors, 0);
      const other = await connectPfkey(d.config.socketPath, { pid: 4 });
      assert.equal((await other.request(msg(C.SADB_REGISTER, 0, {}, other.nextSeq(), other.pid))).msg.errno, 0);
      c.close();
      other.close();
    } finally {
      await d.close();
    }
  });
});
