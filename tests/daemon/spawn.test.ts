// uipsecd as a real process: `node bin/uipsecd` when dist/ is built (the compiled suite), else the same
// cli() from source through tsx. Start, serve a PF_KEY client, refuse a second daemon on the live socket,
// stop on SIGTERM removing the socket; bad configuration reported as file:line; -n; permission denied.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import * as C from '../../pfkey/constants.js';
import { connectPfkey } from '../../pfkey/transport-unix.js';
import { msg, saMsg } from '../unit/keysock/support.js';
import { repoRoot, sockDir } from './support.js';
import { BUILT, run, waitFor } from './process.js';

const ROOT = repoRoot();

describe(`uipsecd as a process (${BUILT ? 'node bin/uipsecd' : 'source via tsx; dist/ not built'})`, () => {
  it('serves PF_KEY, refuses a second daemon on its live socket, and stops on SIGTERM removing the socket', async () => {
    const dir = sockDir();
    const sock = join(dir, 'pfkey.sock');
    const d = run(['--socket', sock, '-v']);
    await waitFor(d, 'PF_KEY listening');
    const c = await connectPfkey(sock, { pid: 31337 });
    const reg = await c.request(msg(C.SADB_REGISTER, C.SADB_SATYPE_ESP, {}, c.nextSeq(), c.pid));
    assert.ok(reg.ext.supportedAuth!.algs.length > 0);
    await c.request(saMsg({ spi: 0x5000, pid: c.pid, seq: c.nextSeq() }));
    const dump = await c.dumpAll(C.SADB_DUMP);
    assert.deepEqual(
      dump.map((m) => [m.ext.sa!.spi, m.msg.seq, m.msg.pid]),
      [[0x5000, 0, 31337]],
    );

    d.child.kill('SIGUSR1');
    await waitFor(d, 'SAs 1 SPs 0; pfkey clients 1');

    const second = run(['--socket', sock]);
    assert.equal(await second.exit, 1);
    assert.match(second.stderr(), /in use/);

    c.close();
    d.child.kill('SIGTERM');
    assert.equal(await d.exit, 0);
    assert.match(d.stderr(), /SIGTERM: shutting down/);
    assert.equal(existsSync(sock), false);
  });

  it('started with no link, it says what is missing; with an underlay it does not', async () => {
    const dir = sockDir();
    const bare = run(['--socket', join(dir, 'a.sock')]);
    await waitFor(bare, 'up: no addresses');
    await waitFor(bare, 'no link: this host has no way to reach a peer');
    assert.match(bare.stderr(), /WARN uipsecd: no link: .*-a ADDR\/LEN -u HOST:PORT .*-f uipsecd\.conf.*--tun NAME/);
    bare.child.kill('SIGTERM'); // its exit status is the first test's business (the handler may not be in yet)
    await bare.exit;
    const linked = run(['--socket', join(dir, 'b.sock'), '-a', '10.0.0.1/24', '-u', '127.0.0.1:0']);
    await waitFor(linked, ' up: 10.0.0.1/24 on underlay');
    linked.child.kill('SIGTERM');
    await linked.exit;
    assert.doesNotMatch(linked.stderr(), /no link/);
  });

  it('reports configuration errors as file:line and exits 2; -n checks and exits 0', async () => {
    const dir = sockDir();
    const bad = join(dir, 'bad.conf');
    writeFileSync(bad, '# uipsecd test\nname x\nbogus 1\n\naddress 10.0.0.1\nunderlay 127.0.0.1:0\n');
    const r = run(['-f', bad, '--socket', join(dir, 'p.sock')]);
    assert.equal(await r.exit, 2);
    assert.match(r.stderr(), new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3: unknown keyword "bogus"`));
    assert.match(r.stderr(), /bad\.conf:5: address needs ADDR\/PREFIXLEN/);
    assert.equal(existsSync(join(dir, 'p.sock')), false);

    const good = join(dir, 'good.conf');
    writeFileSync(good, 'address 10.0.0.1/24\nunderlay 127.0.0.1:0\nneighbour 10.0.0.2=127.0.0.1:7002\nlog info\n');
    const ok = run(['-n', '-f', good]);
    assert.equal(await ok.exit, 0);
    assert.match(ok.stderr(), /configuration OK/);
  });

  it('node bin/uipsecd itself: -n says "configuration OK" when built, else names the missing build', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/uipsecd'), '-n'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      out += b.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (BUILT) {
      assert.equal(code, 0, out);
      assert.match(out, /configuration OK/);
    } else {
      assert.equal(code, 1);
      assert.match(out, /npm run build/);
    }
  });

  it('says "permission denied" when it may not create its socket (run as nobody)', async function () {
    // Needs root to drop to uid 65534, and a repository that user can read; otherwise there is no way
    // to provoke EACCES here, and the test says so by skipping.
    if (process.getuid?.() !== 0) this.skip();
    try {
      accessSync(join(ROOT, 'package.json'), constants.R_OK);
    } catch {
      this.skip();
    }
    const dir = sockDir();
    chmodSync(dir, 0o700); // root-owned, nobody cannot create files in it
    const r = run(['--socket', join(dir, 'pfkey.sock')], { uid: 65534, gid: 65534 });
    const code = await r.exit;
    if (
      /Cannot find|EACCES: permission denied, open|ERR_MODULE_NOT_FOUND/.test(r.stderr()) &&
      !/uipsecd:/.test(r.stderr())
    )
      this.skip(); // nobody cannot load the code
    assert.equal(code, 1, r.stderr());
    assert.match(r.stderr(), /permission denied/);
  });
});
