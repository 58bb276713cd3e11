// racoon's command line, -C, the psk.txt mode refusal at start-up, and racoonctl against the admin socket.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRacoonArgs, startRacoon } from '../../../racoon/main.js';
import { parseRacoonConf } from '../../../racoon/conf/parser.js';
import { runRacoonctl } from '../../../racoon/racoonctl.js';
import { startDaemon } from '../../../kernel/daemon/main.js';
import { testConfig } from '../../daemon/support.js';

const args = (dir: string, over: Partial<Parameters<typeof startRacoon>[0]> = {}) => ({
  foreground: true,
  file: join(dir, 'r.conf'),
  debug: 0,
  verbose: false,
  check: false,
  socket: join(dir, 'none.sock'),
  ...over,
});

describe('racoon main', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'uipsec-racoon-main-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('parses racoon flags', () => {
    const a = parseRacoonArgs(
      ['-F', '-dd', '-f', '/x/r.conf', '-l', '/tmp/log', '-p', '7500', '-P', '7501', '--socket', '/s'],
      {},
    );
    assert.ok(typeof a !== 'string');
    assert.deepEqual(
      [a.foreground, a.debug, a.file, a.logfile, a.port, a.nattPort, a.socket, a.check],
      [true, 2, '/x/r.conf', '/tmp/log', 7500, 7501, '/s', false],
    );
    const c = parseRacoonArgs(['-C', '-f', 'x'], { UIPSEC_PFKEY_SOCKET: '/env.sock' });
    assert.ok(typeof c !== 'string' && c.check && c.socket === '/env.sock');
    assert.equal(typeof parseRacoonArgs(['-p', '0'], {}), 'string');
    assert.equal(typeof parseRacoonArgs(['-Z'], {}), 'string');
    assert.equal(typeof parseRacoonArgs(['-f'], {}), 'string');
  });

  it('refuses to start with a psk.txt others can read (racoon safefile)', async () => {
    const psk = join(dir, 'psk.txt');
    writeFileSync(psk, '192.0.2.2 secret\n', { mode: 0o644 });
    const conf = parseRacoonConf(`path pre_shared_key "${psk}";`, 'r.conf').conf;
    const lines: string[] = [];
    await assert.rejects(
      startRacoon(
        {
          foreground: true,
          file: join(dir, 'r.conf'),
          debug: 0,
          verbose: false,
          check: false,
          socket: join(dir, 'none.sock'),
        },
        conf,
        (l) => lines.push(l),
      ),
      /refusing to start: .*mode 0644.*\n.*path pre_shared_key .*chmod 600 it/,
    );
  });

  it('says how to start uipsecd when none listens on the PF_KEY socket', async () => {
    const psk = join(dir, 'psk-ok.txt');
    writeFileSync(psk, '192.0.2.2 secret\n', { mode: 0o600 });
    const conf = parseRacoonConf(`path pre_shared_key "${psk}";`, 'r.conf').conf;
    await assert.rejects(
      startRacoon(args(dir), conf, () => {}),
      /no uipsecd is listening on .*none\.sock \(ENOENT\)\.\nStart one with `uipsecd --socket .*none\.sock`/,
    );
  });

  it('names the admin socket it cannot create and how to choose another', async () => {
    const psk = join(dir, 'psk-ok2.txt');
    writeFileSync(psk, '192.0.2.2 secret\n', { mode: 0o600 });
    const d = await startDaemon(testConfig(mkdtempSync(join(tmpdir(), 'uipsec-rm-'))));
    try {
      // Its directory would be a regular file: mkdir fails (a missing directory is created 0700).
      const bad = join(psk, 'racoon.sock');
      const conf = parseRacoonConf(`path pre_shared_key "${psk}"; listen { adminsock "${bad}"; }`, 'r.conf').conf;
      await assert.rejects(
        startRacoon(args(dir, { socket: d.config.socketPath, port: 7500, nattPort: 7501 }), conf, () => {}),
        /cannot create the admin socket .*psk-ok2\.txt\/racoon\.sock \(.*psk-ok2\.txt is not a directory; E[A-Z]+\)\.\nChoose another path in racoon\.conf/,
      );
    } finally {
      await d.close();
    }
  });

  it('racoonctl reports a missing admin socket', async () => {
    const err: string[] = [];
    assert.equal(
      await runRacoonctl(
        ['-s', join(dir, 'nope.sock'), 'show-sa', 'isakmp'],
        () => {},
        (s) => err.push(s),
      ),
      1,
    );
    assert.match(err.join(''), /no racoon is listening on .*nope\.sock \(ENOENT\)\.\nStart racoon .* -s PATH/);
    assert.equal(
      await runRacoonctl(
        [],
        () => {},
        (s) => err.push(s),
      ),
      1,
    );
  });
});
