// Retransmission and duplicate handling shared by every exchange: resends after interval, 2x, 4x ... (capped
// at 16x), giveUp after timer.counter resends, nothing once the record moved on; a repeated request makes
// the responder resend its answer.
import { strict as assert } from 'node:assert';
import { ManualClock } from '../../../../common/clock.js';
import { nullLogger } from '../../../../common/log.js';
import { SeededRng } from '../../../../common/rng.js';
import { emptyConf } from '../../../../racoon/conf/parser.js';
import type { EngineCtx } from '../../../../racoon/engine/context.js';
import type { IkePath } from '../../../../racoon/engine/datagram.js';
import { HalfOpenLimit } from '../../../../racoon/engine/half-open.js';
import {
  answer,
  armRetransmit,
  resendOnDuplicate,
  type Retransmittable,
} from '../../../../racoon/engine/retransmit.js';
import { newRacoonStats } from '../../../../racoon/engine/stats.js';
import type { PfkeyBridge } from '../../../../racoon/sa/pfkey-bridge.js';
import { RemoteAuthTable } from '../../../../racoon/conf/remote-auth.js';

const path: IkePath = {
  local: { addr: new Uint8Array([192, 0, 2, 1]), port: 500 },
  remote: { addr: new Uint8Array([192, 0, 2, 2]), port: 500 },
};

function ctx(counter: number, intervalSec: number) {
  const clock = new ManualClock(0);
  const sent: { at: number; bytes: Uint8Array }[] = [];
  const conf = emptyConf();
  conf.timer = { ...conf.timer, counter, intervalSec };
  let closed = false;
  const c: EngineCtx = {
    conf,
    psk: { entries: [], errors: [] } as unknown as EngineCtx['psk'],
    auth: new RemoteAuthTable(conf),
    clock,
    rng: new SeededRng('retransmit'),
    stats: newRacoonStats(),
    bridge: undefined as unknown as PfkeyBridge,
    halfOpen: new HalfOpenLimit(1),
    port: 500,
    nattPort: 4500,
    log: nullLogger.log,
    newId: () => 1,
    closed: () => closed,
    send: (_p, bytes) => void sent.push({ at: clock.now(), bytes }),
    sendDatagram: () => {},
  };
  return { c, clock, sent, close: () => (closed = true) };
}

describe('racoon engine: retransmission', () => {
  it('resends at interval, 2x, 4x, 8x, 16x, 16x, then gives up after `counter` resends', () => {
    const { c, clock, sent } = ctx(6, 10);
    const rec: Retransmittable = { state: 'msg1-sent', retries: 0, lastSent: Uint8Array.of(1, 2, 3) };
    let gaveUp = -1;
    armRetransmit(c, path, rec, () => (gaveUp = clock.now()));
    clock.advance(1_000_000);
    assert.deepEqual(
      sent.map((s) => s.at / 1000),
      [10, 30, 70, 150, 310, 470],
    );
    assert.equal(gaveUp / 1000, 630);
    assert.equal(c.stats.retransmits, 6);
    assert.ok(sent.every((s) => s.bytes === rec.lastSent));
  });

  it('stops when the record changes state, and after the daemon closed', () => {
    const a = ctx(5, 1);
    const rec: { state: string; retries: number; lastSent?: Uint8Array } = {
      state: 'msg1-sent',
      retries: 0,
      lastSent: Uint8Array.of(9),
    };
    armRetransmit(a.c, path, rec, () => assert.fail('no give-up after the answer came'));
    a.clock.advance(1000);
    rec.state = 'established';
    a.clock.advance(100_000);
    assert.equal(a.sent.length, 1);
    const b = ctx(5, 1);
    armRetransmit(b.c, path, { state: 's', retries: 0, lastSent: Uint8Array.of(9) }, () => assert.fail('closed'));
    b.close();
    b.clock.advance(100_000);
    assert.equal(b.sent.length, 0);
  });

  it('a repeated request makes the responder resend its answer; other bytes are not a repeat', () => {
    const { c, sent } = ctx(3, 1);
    const rec: Retransmittable = { state: 'msg2-sent', retries: 0 };
    const req = Uint8Array.of(1, 2, 3, 4);
    const out = Uint8Array.of(5, 6);
    answer(c, path, rec, req, out);
    assert.equal(resendOnDuplicate(c, path, rec, Uint8Array.of(1, 2, 3, 4)), true);
    assert.equal(resendOnDuplicate(c, path, rec, Uint8Array.of(1, 2, 3, 5)), false);
    assert.equal(resendOnDuplicate(c, path, rec, Uint8Array.of(1, 2, 3)), false);
    assert.deepEqual(
      sent.map((s) => s.bytes),
      [out, out],
    );
    assert.equal(c.stats.duplicates, 1);
  });
});

describe('racoon engine: half-open limit', () => {
  it('sums every IKE version’s count and is full at the maximum', () => {
    const h = new HalfOpenLimit(3);
    let a = 1;
    let b = 0;
    h.countFrom(() => a);
    h.countFrom(() => b);
    assert.equal(h.full(), false);
    b = 2;
    assert.deepEqual([h.inUse(), h.full()], [3, true]);
    a = 0;
    assert.equal(h.full(), false);
  });
});
