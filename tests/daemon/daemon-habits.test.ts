// uipsecd behaves like a system daemon (issue 17): --version and --help exit 0; SIGHUP never kills it but
// re-applies its --load files; --pidfile is written, guards a second start and is removed at a clean stop;
// --log-file keeps its lines in a 0600 file; under systemd (JOURNAL_STREAM) stderr lines carry journald's
// `<N>` priority and no timestamp of their own.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as C from '../../pfkey/constants.js';
import { connectPfkey } from '../../pfkey/transport-unix.js';
import { sockDir } from './support.js';
import { run, waitFor } from './process.js';

const POLICY = (n: number) => `spdadd 10.9.0.1 10.9.0.${n} any -P out ipsec esp/transport//require;\n`;

async function policyCount(sock: string): Promise<number> {
  const c = await connectPfkey(sock, { pid: 4242 });
  try {
    return (await c.dumpAll(C.SADB_X_SPDDUMP)).length;
  } finally {
    c.close();
  }
}

describe('uipsecd: the habits of a system daemon', () => {
  it('--version and --help exit 0; --help has examples and the signals', async () => {
    const v = run(['--version']);
    assert.equal(await v.exit, 0);
    assert.match(v.stderr(), /^uipsecd @\(#\) uipsec \d+\.\d+\.\d+/);
    const h = run(['-h']);
    assert.equal(await h.exit, 0);
    assert.match(h.stderr(), /--pidfile <path>[\s\S]*Examples:\n {2}uipsecd [\s\S]*SIGHUP re-applies the --load files/);
  });

  it('SIGHUP re-applies the --load files and the daemon lives on; without them it is ignored', async () => {
    const dir = sockDir();
    const sock = join(dir, 'pfkey.sock');
    const file = join(dir, 'policies.conf');
    writeFileSync(file, `spdflush;\n${POLICY(2)}`);
    const d = run(['--socket', sock, '--load', file]);
    try {
      await waitFor(d, `loaded ${file}`);
      assert.equal(await policyCount(sock), 1);
      writeFileSync(file, `spdflush;\n${POLICY(2)}${POLICY(3)}`);
      d.child.kill('SIGHUP');
      await waitFor(d, `reloaded ${file}`);
      assert.equal(await policyCount(sock), 2);
      writeFileSync(file, 'spdadd bogus;\n');
      d.child.kill('SIGHUP');
      await waitFor(d, 'reload: setkey -f');
      assert.equal(await policyCount(sock), 2, 'a bad file changes nothing and the daemon still serves');
    } finally {
      d.child.kill('SIGTERM');
    }
    assert.equal(await d.exit, 0);

    const bare = run(['--socket', join(dir, 'bare.sock')]);
    await waitFor(bare, 'up: no addresses');
    bare.child.kill('SIGHUP');
    await waitFor(bare, 'SIGHUP: nothing to reload');
    assert.equal(await policyCount(join(dir, 'bare.sock')), 0);
    bare.child.kill('SIGTERM');
    assert.equal(await bare.exit, 0);
  });

  it('--pidfile names the daemon, refuses a second start on it, and is removed at a clean stop', async () => {
    const dir = sockDir();
    const pidfile = join(dir, 'uipsecd.pid');
    const d = run(['--socket', join(dir, 'a.sock'), '--pidfile', pidfile]);
    await waitFor(d, 'up: ');
    assert.equal(readFileSync(pidfile, 'utf8'), `${d.child.pid}\n`);
    assert.equal(statSync(pidfile).mode & 0o777, 0o644);
    const second = run(['--socket', join(dir, 'b.sock'), '--pidfile', pidfile]);
    assert.equal(await second.exit, 1);
    assert.match(
      second.stderr(),
      /pid file: .*uipsecd\.pid names a running process \(pid \d+\): is uipsecd already running\?/,
    );
    assert.equal(existsSync(join(dir, 'b.sock')), false, 'refused before serving anything');
    d.child.kill('SIGTERM');
    assert.equal(await d.exit, 0);
    assert.equal(existsSync(pidfile), false);
  });

  it('--log-file: the lines go to a file kept mode 0600, an existing wider one is narrowed', async () => {
    const dir = sockDir();
    const logf = join(dir, 'uipsecd.log');
    writeFileSync(logf, '');
    chmodSync(logf, 0o644);
    const d = run(['--socket', join(dir, 'a.sock'), '--log-file', logf]);
    await waitFor(d, ''); // started; the lines themselves are in the file
    for (let i = 0; i < 200 && !readFileSync(logf, 'utf8').includes(' up: '); i++)
      await new Promise((r) => setTimeout(r, 50));
    d.child.kill('SIGTERM');
    assert.equal(await d.exit, 0);
    const text = readFileSync(logf, 'utf8');
    assert.match(text, /WARN uipsecd: log file .*uipsecd\.log was mode 644: narrowed to 600/);
    assert.match(text, /NOTICE uipsecd: uipsecd up: no addresses/);
    assert.match(text, /SIGTERM: shutting down/);
    assert.equal(statSync(logf).mode & 0o777, 0o600);
    assert.doesNotMatch(d.stderr(), /up: /, 'nothing on stderr but what the file could not take');
  });

  it('under systemd (JOURNAL_STREAM) each stderr line is `<priority>uipsecd: text`, without a timestamp', async () => {
    const dir = sockDir();
    const d = run(['--socket', join(dir, 'a.sock')], { env: { ...process.env, JOURNAL_STREAM: '9:12345' } });
    await waitFor(d, 'up: no addresses');
    d.child.kill('SIGTERM');
    assert.equal(await d.exit, 0);
    const lines = d.stderr().trim().split('\n');
    assert.ok(lines.includes('<5>uipsecd: uipsecd up: no addresses'), d.stderr());
    assert.ok(
      lines.includes(
        '<4>uipsecd: no link: this host has no way to reach a peer (it serves PF_KEY only). Give it addresses and a link: -a ADDR/LEN -u HOST:PORT --neighbour IP=HOST:PORT, or -f uipsecd.conf, or --tun NAME (see uipsecd --help)',
      ),
    );
    assert.ok(
      lines.every((l) => /^<[3-7]>uipsecd: /.test(l)),
      d.stderr(),
    );
  });
});
