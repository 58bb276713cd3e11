// racoon's script hooks (script-hooks.ts): unsafe files refused (owner, group/world write, not a file), the
// event as argv[1] and the environment passed, at most MAX_RUNNING at once with a bounded queue, and a script
// that hangs killed after the timeout.
import { strict as assert } from 'node:assert';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_QUEUED, MAX_RUNNING, SpawnScripts, unsafeScript } from '../../../racoon/script-hooks.js';

async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('racoon script hooks', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'uipsec-script-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const script = (name: string, body: string, mode = 0o755) => {
    const p = join(dir, name);
    writeFileSync(p, `#!/bin/sh\n${body}\n`);
    chmodSync(p, mode);
    return p;
  };

  it('refuses group- or world-writable files, directories, missing and non-executable files', () => {
    assert.equal(unsafeScript(script('ok.sh', 'true')), undefined);
    assert.match(unsafeScript(script('w.sh', 'true', 0o757))!, /writable by everyone/);
    assert.match(unsafeScript(script('g.sh', 'true', 0o775))!, /writable by its group/);
    assert.match(unsafeScript(script('x.sh', 'true', 0o644))!, /not executable/);
    assert.match(unsafeScript(dir)!, /not a regular file/);
    assert.match(unsafeScript(join(dir, 'none'))!, /ENOENT/);
    // Someone else's file: root's and ours are allowed, any other owner's refused (chown needs root).
    if (process.geteuid?.() === 0) {
      const o = script('o.sh', 'true');
      chownSync(o, 4242, 4242);
      assert.match(unsafeScript(o)!, /owned by uid 4242, not root/);
    }
  });

  it('runs with argv[1] = event and racoon variables; refuses an unsafe file at run time with a log line', async () => {
    const lines: string[] = [];
    const s = new SpawnScripts((_l, m) => lines.push(m));
    const out = join(dir, 'out');
    s.run(script('up.sh', `echo "$1 $REMOTE_ADDR $INTERNAL_ADDR4" > ${out}`), 'phase1_up', {
      REMOTE_ADDR: '192.0.2.2',
      INTERNAL_ADDR4: '10.99.0.1',
    });
    await until(() => readFileSync(out, { flag: 'a+' }).length > 0, 'the script output');
    assert.equal(readFileSync(out, 'utf8'), 'phase1_up 192.0.2.2 10.99.0.1\n');
    s.run(script('bad.sh', 'true', 0o777), 'phase1_down', {});
    await until(() => lines.some((l) => /refused: writable by everyone/.test(l)), 'the refusal');
  });

  it(`at most ${MAX_RUNNING} run at once, ${MAX_QUEUED} wait, the rest are dropped; a hung script is killed`, async () => {
    const lines: string[] = [];
    const s = new SpawnScripts((_l, m) => lines.push(m), 300);
    const marks = join(dir, 'marks');
    const hang = script('hang.sh', `echo x >> ${marks}; sleep 30`);
    for (let i = 0; i < MAX_RUNNING + MAX_QUEUED + 3; i++) s.run(hang, 'phase1_dead', {});
    assert.equal(s.dropped, 3);
    await until(() => lines.filter((l) => /killed/.test(l)).length >= MAX_RUNNING, 'the first kills');
    const started = readFileSync(marks, 'utf8').split('\n').filter(Boolean).length;
    assert.ok(started >= MAX_RUNNING && started <= 2 * MAX_RUNNING, `${started} started`);
    // Every queued one runs in turn, each killed at its timeout: nothing is left behind.
    await until(
      () => lines.filter((l) => /still running/.test(l)).length === MAX_RUNNING + MAX_QUEUED,
      'all kills',
      40_000,
    );
  });
});
