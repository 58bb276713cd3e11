// Per-source log limiting (issue 11 item 7): a few lines per source and per window, the rest counted and
// summarised when the window ends; lines below the log level are neither written nor counted.
import { strict as assert } from 'node:assert';
import { ManualClock } from '../../../../common/clock.js';
import { SourceLog } from '../../../../racoon/engine/log-limit.js';

function setup(level: 'info' | 'notice' = 'info') {
  const clock = new ManualClock(0);
  const lines: string[] = [];
  let suppressed = 0;
  const order = ['error', 'warn', 'notice', 'info', 'debug', 'debug2'];
  const log = new SourceLog(
    clock,
    (l, m) => lines.push(`${l}: ${m}`),
    (l) => order.indexOf(l) <= order.indexOf(level),
    () => suppressed++,
    { perSource: 3, total: 10, windowMs: 10_000 },
  );
  return { clock, lines, log, suppressed: () => suppressed };
}

describe('racoon engine: per-source log limit', () => {
  it('10,000 lines about one source: 3 written, then one summary line when the window ends', () => {
    const { clock, lines, log, suppressed } = setup();
    for (let i = 0; i < 10_000; i++) log.log('info', '10.0.0.66', `respond new phase 1 negotiation ${i}`);
    assert.equal(lines.length, 3);
    clock.advance(10_000);
    console.log(`      10,000 lines about one source -> ${lines.length} in the log; last: "${lines.at(-1)}"`);
    assert.deepEqual(lines.slice(3), [
      'warn: 9997 more messages about packets from 10.0.0.66 suppressed in the last 10 s',
    ]);
    assert.equal(suppressed(), 9997);
  });

  it('forged sources: the total per window bounds the log; the summary names the worst and counts the rest', () => {
    const { clock, lines, log } = setup();
    for (let i = 0; i < 5000; i++) log.log('warn', `10.1.${i >> 8}.${i & 255}`, `line ${i}`);
    log.log('warn', '10.9.9.9', 'x');
    log.log('warn', '10.9.9.9', 'y');
    assert.equal(lines.length, 10);
    clock.advance(10_000);
    assert.equal(lines.length, 14);
    assert.match(lines[10]!, /^warn: 2 more messages about packets from 10\.9\.9\.9 suppressed in the last 10 s$/);
    assert.match(
      lines[13]!,
      /^warn: 4988 more messages about packets from 4988 other sources suppressed in the last 10 s$/,
    );
    // A new window: the source may speak again.
    log.log('warn', '10.9.9.9', 'after');
    assert.equal(lines.at(-1), 'warn: after');
  });

  it('lines below the level are not counted; close() summarises at once', () => {
    const { lines, log, suppressed } = setup('notice');
    for (let i = 0; i < 100; i++) log.log('info', '10.0.0.1', 'quiet');
    assert.equal(lines.length + suppressed(), 0);
    for (let i = 0; i < 5; i++) log.log('warn', '10.0.0.1', 'loud');
    log.close();
    assert.equal(lines.length, 4);
    assert.match(lines[3]!, /2 more messages about packets from 10\.0\.0\.1/);
  });
});
