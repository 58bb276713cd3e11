// examples/container: the entry point the compose file's two containers run, run as it is in two network
// namespaces standing in for the containers (no Docker daemon is needed): it writes the policies, racoon.conf
// and psk.txt from PEER and the key file, starts the shipped uipsecd (TUN mode) and racoon, and the first
// ping between the two negotiates ESP SAs; SIGTERM stops both daemons and removes the TUN.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot } from './support.js';
import { makePair, netnsSkipReason, NsProc, nsRun, type Pair } from '../os/netns.js';

const ROOT = repoRoot();
const ENTRY = join(ROOT, 'examples/container/entrypoint.sh');

describe('examples/container: the entry point of both containers, in two namespaces', function () {
  this.timeout(180_000);
  const skip = netnsSkipReason(['bash']);
  let pair: Pair | undefined;
  let dir = '';
  before(function () {
    if (skip) return this.skip(); // the reason: netnsSkipReason
    dir = mkdtempSync(join(tmpdir(), 'uipsec-container-'));
    pair = makePair('ct', '172.30.0', 'fd00:30');
  });
  after(() => {
    pair?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const start = (side: 'a' | 'b', ns: string, peer: string) => {
    writeFileSync(join(dir, 'psk'), 'an-example-key-for-this-test-only\n', { mode: 0o600 });
    const env = [
      `PATH=${dirname(process.execPath)}:${process.env.PATH}`,
      `PEER=${peer}`,
      `PSK_FILE=${join(dir, 'psk')}`,
      `UIPSEC=${ROOT}`,
      `CONF_DIR=${join(dir, side, 'conf')}`,
      `RUN_DIR=${join(dir, side, 'run')}`,
    ];
    return new NsProc(`container ${side}`, ns, ['env', ...env, 'bash', ENTRY]);
  };

  it('the two sides negotiate on the first ping and protect it; SIGTERM stops both daemons cleanly', async () => {
    const { a, b, addrA, addrB } = pair!;
    const left = start('a', a, addrB);
    const right = start('b', b, addrA);
    try {
      await Promise.all([left.waitFor(/racoon started/), right.waitFor(/racoon started/)]);
      assert.equal(statSync(join(dir, 'a/conf/psk.txt')).mode & 0o777, 0o600);
      assert.match(
        readFileSync(join(dir, 'a/conf/policies.conf'), 'utf8'),
        /spdadd 172\.30\.0\.1 172\.30\.0\.2 any -P out ipsec/,
      );
      let ok = false;
      for (let i = 0; i < 15 && !ok; i++) ok = nsRun(a, ['ping', '-c', '1', '-W', '2', addrB]).code === 0;
      assert.ok(ok, `no ping through the tunnel:\n${left.out.slice(-2000)}\n${right.out.slice(-2000)}`);
      const sad = nsRun(a, [
        process.execPath,
        join(ROOT, 'bin/setkey'),
        '--socket',
        join(dir, 'a/run/pfkey.sock'),
        '-D',
      ]);
      assert.match(sad.out, /esp mode=transport/);
      assert.match(sad.out, new RegExp(`${addrA.replace(/\./g, '\\.')} ${addrB.replace(/\./g, '\\.')}`));
    } finally {
      await Promise.all([left.stop('SIGTERM', 20_000), right.stop('SIGTERM', 20_000)]);
    }
    assert.match(left.out, /SIGTERM: shutting down/);
    assert.notEqual(spawnSync('ip', ['-n', a, 'link', 'show', 'uipsec0']).status, 0, 'the TUN is gone');
  });
});
