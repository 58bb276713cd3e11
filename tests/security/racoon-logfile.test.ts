// Issue 11 item 12: `racoon -l FILE` created its log 0644. racoon runs as a process (under umask 000, the worst
// case) with a configuration that stops after the first log lines (no uipsecd at its socket); the log must be
// created 0600, an existing 0644 log narrowed to 0600 (and the log says so), and a symlink, a FIFO or a file of
// another user refused at once.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../e2e/support.js';
import { collect, commandArgs, NOBODY_UID, nobodySkipReason, skipBecause, type Ran } from './support.js';

const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

describe('security: racoon -l creates and keeps its log file 0600 (issue 11 item 12)', () => {
  let dir = '';
  let conf = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'uipsec-racoonlog-'));
    writeFileSync(join(dir, 'psk.txt'), '10.0.0.2 Kx9logtestKey\n', { mode: 0o600 });
    conf = join(dir, 'racoon.conf');
    writeFileSync(
      conf,
      `path pre_shared_key "${join(dir, 'psk.txt')}";\nlisten { adminsock disabled; }\n` +
        'remote anonymous { exchange_mode main; proposal { encryption_algorithm aes 128; hash_algorithm sha256; ' +
        'authentication_method pre_shared_key; dh_group modp2048; } }\n',
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** racoon -F -l LOG under umask 000; it logs why it cannot reach uipsecd and exits 1. */
  function racoon(log: string): Promise<Ran> {
    const args = commandArgs('racoon', ['-F', '-f', conf, '-l', log, '--socket', join(dir, 'none', 'pfkey.sock')]);
    const cmd = [process.execPath, ...args].map(sh).join(' ');
    return collect(spawn('sh', ['-c', `umask 000; exec ${cmd}`], { cwd: repoRoot(), stdio: ['pipe', 'pipe', 'pipe'] }));
  }
  const mode = (p: string) => (statSync(p).mode & 0o7777).toString(8).padStart(4, '0');

  it('a new log file is created 0600 under umask 000', async () => {
    const log = join(dir, 'new.log');
    const r = await racoon(log);
    console.log(`      new log: mode ${mode(log)}, ${readFileSync(log, 'utf8').split('\n').length - 1} lines`);
    assert.equal(r.code, 1);
    assert.equal(statSync(log).mode & 0o777, 0o600);
    assert.match(readFileSync(log, 'utf8'), /racoon: .*ENOENT/);
  });

  it('an existing 0644 log is narrowed to 0600, and the log says so', async () => {
    const log = join(dir, 'old.log');
    writeFileSync(log, 'earlier line\n', { mode: 0o644 });
    await racoon(log);
    console.log(`      existing 0644 log: now ${mode(log)}`);
    assert.equal(statSync(log).mode & 0o777, 0o600);
    const text = readFileSync(log, 'utf8');
    assert.match(text, /^earlier line\nracoon: log file .*old\.log was mode 0644; now 0600\n/);
  });

  it('a symlink, a FIFO and a directory at the log path are refused at once', async () => {
    const target = join(dir, 'target');
    writeFileSync(target, 'not a log\n', { mode: 0o644 });
    const link = join(dir, 'link.log');
    symlinkSync(target, link);
    const fifo = join(dir, 'fifo.log');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    for (const [p, why] of [
      [link, /is a symbolic link; refusing to follow it/],
      [fifo, /is not a regular file/],
      [dir, /is not a regular file \(a directory\)/],
    ] as const) {
      const r = await racoon(p);
      console.log(`      ${p.slice(dir.length + 1) || '(directory)'}: exit ${r.code}, ${r.err.trim()}`);
      assert.equal(r.code, 1);
      assert.match(r.err, why);
    }
    assert.equal(readFileSync(target, 'utf8'), 'not a log\n');
    assert.equal(statSync(target).mode & 0o777, 0o644, 'the symlink target is left alone');
  });

  it('a log file owned by another user is refused (it could read what racoon logs)', async function () {
    const why = nobodySkipReason();
    if (why) skipBecause(this, why);
    const log = join(dir, 'theirs.log');
    writeFileSync(log, '', { mode: 0o600 });
    chownSync(log, NOBODY_UID, NOBODY_UID);
    const r = await racoon(log);
    assert.equal(r.code, 1);
    assert.match(r.err, /log file .*theirs\.log: is owned by uid 65534, not by root/);
    assert.equal(readFileSync(log, 'utf8'), '');
  });
});
