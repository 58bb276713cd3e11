// Retransmission and duplicate handling shared by every exchange: `counter` transmissions `interval` apart
// (racoon isakmp_ph1resend: fixed, not doubling), giveUp one interval after the last, nothing once the record
// moved on; a repeated request makes the responder resend its answer, at most `counter` times, not sooner
// than a second after the last copy, within the daemon's resend budget (issue 11 item 6).
import { strict as assert } from 'node:assert';
import { ManualClock } from '../../../../common/clock.js';
import { nullLogger } from '../../../../common/log.js';
import { SeededRng } from '../../../../common/rng.js';
import { emptyConf } from '../../../../racoon/conf/parser.js';
import type { EngineCtx } from '../../../../racoon/engine/context.js';
import type { IkePath } from '../../../../racoon/engine/datagram.js';
import { HalfOpenLimit } from '../../../../racoon/engine/half-open.js';
import { TokenBucket } from '../../../../racoon/engine/rate-limit.js';
import {
  DUP_RESEND_MIN_GAP_MS,
  answer,
  armRetransmit,
  resendOnDuplicate,
  sendAndWait,
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
  it('sends `counter` times in all, a fixed interval apart, and gives up one interval after the last', () => {
    const { c, clock, sent } = ctx(6, 10);
    const rec: Retransmittable = { state: 'msg1-sent', retries: 0, lastSent: Uint8Array.of(1, 2, 3) };
    let gaveUp = -1;
    armRetransmit(c, path, rec, () => (gaveUp = clock.now()));
    clock.advance(1_000_000);
    // The first copy went before armRetransmit (sendAndWait): five resends make six transmissions.
    assert.deepEqual(
      sent.map((s) => s.at / 1000),
      [10, 20, 30, 40, 50],
    );
    assert.equal(gaveUp / 1000, 60);
    assert.equal(c.stats.retransmits, 5);
    assert.ok(sent.every((s) => s.bytes === rec.lastSent));
  });

  it('racoon.conf "counter 5; interval 20 sec": the peer is given up after 100 s, not ~16 minutes', () => {
    const { c, clock, sent } = ctx(5, 20);
    const rec: Retransmittable = { state: 'msg1-sent', retries: 0 };
    let gaveUp = -1;
    sendAndWait(c, path, rec, undefined, Uint8Array.of(7), () => (gaveUp = clock.now()));
    clock.advance(2_000_000);
    console.log(`      counter 5, interval 20 s: ${sent.length} transmissions, given up after ${gaveUp / 1000} s`);
    assert.deepEqual(
      sent.map((s) => s.at / 1000),
      [0, 20, 40, 60, 80],
    );
    assert.equal(gaveUp / 1000, 100);
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
    const { c, clock, sent } = ctx(3, 1);
    const rec: Retransmittable = { state: 'msg2-sent', retries: 0 };
    const req = Uint8Array.of(1, 2, 3, 4);
    const out = Uint8Array.of(5, 6);
    answer(c, path, rec, req, out);
    clock.advance(DUP_RESEND_MIN_GAP_MS);
    assert.equal(resendOnDuplicate(c, path, rec, Uint8Array.of(1, 2, 3, 4)), true);
    assert.equal(resendOnDuplicate(c, path, rec, Uint8Array.of(1, 2, 3, 5)), false);
    assert.equal(resendOnDuplicate(c, path, rec, Uint8Array.of(1, 2, 3)), false);
    assert.deepEqual(
      sent.map((s) => s.bytes),
      [out, out],
    );
    assert.equal(c.stats.duplicates, 1);
  });

  it('5,000 copies of one request draw at most `counter` resends: no reflector (issue 11 item 6)', () => {
    const { c, clock, sent } = ctx(5, 10);
    const rec: Retransmittable = { state: 'msg2-sent', retries: 0 };
    const req = Uint8Array.of(1, 2, 3, 4);
    answer(c, path, rec, req, Uint8Array.of(5, 6));
    // A burst: all within the first second after the answer, no copy at all.
    for (let i = 0; i < 1000; i++) resendOnDuplicate(c, path, rec, req);
    assert.equal(sent.length, 1);
    // Spread over 20 s: one copy a second at most, `counter` in all.
    for (let i = 0; i < 4000; i++) {
      clock.advance(5);
      resendOnDuplicate(c, path, rec, req);
    }
    console.log(`      5,000 copies of one request: ${sent.length} answers (1 + ${sent.length - 1} resent)`);
    assert.equal(sent.length, 1 + 5);
    assert.equal(c.stats.duplicates, 5000);
    assert.equal(c.stats.resendsSuppressed, 5000 - 5);
  });

  it('the daemon-wide resend budget bounds copies across many records', () => {
    const { c, clock, sent } = ctx(5, 10);
    const budget = new TokenBucket(10, 20);
    const cb: EngineCtx = { ...c, resendBudget: budget };
    const recs = Array.from({ length: 100 }, (_, i) => {
      const rec: Retransmittable = { state: 'msg2-sent', retries: 0 };
      answer(cb, path, rec, Uint8Array.of(i), Uint8Array.of(0));
      return rec;
    });
    sent.length = 0;
    clock.advance(1000);
    recs.forEach((r, i) => resendOnDuplicate(cb, path, r, Uint8Array.of(i)));
    assert.equal(sent.length, 20, 'the burst');
    clock.advance(1000);
    recs.forEach((r, i) => resendOnDuplicate(cb, path, r, Uint8Array.of(i)));
    assert.equal(sent.length, 30, 'then 10 a second');
  });
});

describe('racoon engine: half-open limit', () => {
  it('adds counts kept outside the slots and is full at the maximum', () => {
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
