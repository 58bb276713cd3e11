// examples/systemd: the units pass `systemd-analyze verify` with no warning, and their command lines run as
// written — ExecStartPre checks, ExecStart starts the shipped uipsecd (TUN mode) and racoon in a network
// namespace, ExecReload (kill -HUP $MAINPID) reloads without a stop, and a stop leaves no pid file behind.
// Only the installation paths are mapped: /usr/local/bin to this repository's bin/, /etc, /run and /var/racoon
// to a private directory.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './support.js';
import { makePair, netnsSkipReason, NsProc, type Pair } from '../os/netns.js';

const ROOT = repoRoot();
const DIR = join(ROOT, 'examples/systemd');

/** `Key=value` lines of a unit's [Service] section (repeated keys kept in order). */
function serviceKeys(unit: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  let section = '';
  for (const raw of readFileSync(join(DIR, unit), 'utf8').split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[')) section = line;
    else if (section === '[Service]' && /^\w+=/.test(line)) {
      const i = line.indexOf('=');
      keys.set(line.slice(0, i), [...(keys.get(line.slice(0, i)) ?? []), line.slice(i + 1)]);
    }
  }
  return keys;
}

describe('examples/systemd: the units as systemd and a machine run them', function () {
  this.timeout(180_000);
  let root = '';
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'uipsec-systemd-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  /** A path of the installed system, in the private directory. */
  const mapPath = (text: string) =>
    text
      .replaceAll('/usr/local/bin/', `${process.execPath} ${ROOT}/bin/`)
      .replace(/\/(etc\/uipsec|etc\/racoon|run\/uipsec|var\/racoon)/g, `${root}/$1`);
  const words = (line: string) => mapPath(line).split(/\s+/);

  it('systemd-analyze verify finds nothing to say about either unit', function () {
    if (spawnSync('systemd-analyze', ['--version']).error) this.skip(); // systemd-analyze not installed
    // The ExecStart binaries must exist for verify: point them at this repository's launchers.
    for (const u of ['uipsecd.service', 'racoon.service']) {
      const text = readFileSync(join(DIR, u), 'utf8').replaceAll('/usr/local/bin/', `${ROOT}/bin/`);
      writeFileSync(join(root, u), text);
    }
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', 'uipsecd.service', 'racoon.service'], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    // verify also loads what multi-user.target pulls in: another package's unit may be warned about
    // (freeradius.service: MemoryLimit=); only lines about our two units count.
    const ours = r.stderr.split('\n').filter((l) => l.trim() && !/^\/(lib|usr\/lib|etc)\/systemd\/system\//.test(l));
    assert.deepEqual(ours, [], r.stderr);
  });

  describe('their command lines, in a network namespace', function () {
    const skip = netnsSkipReason();
    let pair: Pair | undefined;
    before(function () {
      if (skip) return this.skip(); // the reason: netnsSkipReason
      pair = makePair('sd', '192.0.2', '2001:db8:5d');
      for (const d of ['etc/uipsec', 'etc/racoon', 'run/uipsec', 'var/racoon'])
        mkdirSync(join(root, d), { recursive: true });
      for (const [f, d] of [
        ['uipsecd.conf', 'etc/uipsec'],
        ['policies.conf', 'etc/uipsec'],
        ['racoon.conf', 'etc/racoon'],
      ] as const)
        writeFileSync(join(root, d, f), mapPath(readFileSync(join(DIR, f), 'utf8')));
      writeFileSync(join(root, 'etc/racoon/psk.txt'), '192.0.2.2 an-example-key-for-this-test-only\n');
      chmodSync(join(root, 'etc/racoon/psk.txt'), 0o600);
    });
    after(() => pair?.destroy());

    const run = (line: string) => {
      const r = spawnSync('ip', ['netns', 'exec', pair!.a, ...words(line)], { encoding: 'utf8', timeout: 60_000 });
      return { code: r.status, out: (r.stdout ?? '') + (r.stderr ?? '') };
    };
    const reload = (line: string, pid: number) => {
      const r = spawnSync('sh', ['-c', line.replace('$MAINPID', String(pid))], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    };

    it('uipsecd.service then racoon.service: check, start, reload, stop', async () => {
      const u = serviceKeys('uipsecd.service');
      const pre = run(u.get('ExecStartPre')![0]!);
      assert.equal(pre.code, 0, pre.out);
      assert.match(pre.out, /configuration OK/);
      const uipsecd = new NsProc('uipsecd', pair!.a, words(u.get('ExecStart')![0]!));
      try {
        await uipsecd.waitFor(/up: TUN uipsec0/);
        const pidfile = mapPath(u.get('PIDFile')![0]!);
        assert.equal(Number(readFileSync(pidfile, 'utf8')), uipsecd.child.pid);
        reload(u.get('ExecReload')![0]!, uipsecd.child.pid!);
        await uipsecd.waitFor(/reloaded .*policies\.conf/);
        assert.ok(uipsecd.running, 'SIGHUP did not stop uipsecd');

        const r = serviceKeys('racoon.service');
        const rpre = run(r.get('ExecStartPre')![0]!);
        assert.equal(rpre.code, 0, rpre.out);
        const racoon = new NsProc('racoon', pair!.a, words(r.get('ExecStart')![0]!));
        try {
          await racoon.waitFor(/racoon started/);
          reload(r.get('ExecReload')![0]!, racoon.child.pid!);
          await racoon.waitFor(/configuration reloaded from .*racoon\.conf/);
          assert.ok(racoon.running, 'SIGHUP did not stop racoon');
        } finally {
          assert.equal(await racoon.stop('SIGTERM'), 0, racoon.out);
        }
        assert.equal(await uipsecd.stop('SIGTERM'), 0, uipsecd.out);
        assert.equal(existsSync(pidfile), false, 'the pid file is removed at a clean stop');
      } finally {
        await uipsecd.stop('SIGTERM');
      }
    });
  });
});
