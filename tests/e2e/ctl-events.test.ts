// Kernel controls and events with the shipped programs as separate processes: `uipsec events --json` against
// bin/uipsecd sees the SA that bin/setkey adds, and the interfaces detach at stop; `uipsec status` and SIGUSR1
// show the controls of `uipsecd --extension` with their counters; and, as root, that extension's privileged
// control refused to `nobody` through `uipsec ctl` while its unprivileged control answers them, the owner
// admitted to both.
import { strict as assert } from 'node:assert';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Proc, runProc } from './proc.js';
import { compiled, daemonArgs, repoRoot } from './support.js';

const ROOT = repoRoot();
const bin = (name: string) => join(ROOT, 'bin', name);

describe('kernel controls and events between the shipped processes', function () {
  before(function () {
    if (!compiled) this.skip(); // runs on dist/ (bin/ launchers need the build)
  });

  it('`uipsec events --json --class sa` sees the SA `setkey -c` adds to uipsecd, without keys', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uipsec-ev-'));
    const sock = join(dir, 'pfkey.sock');
    const d = new Proc('uipsecd', daemonArgs(['--socket', sock, '-v']));
    try {
      await d.waitFor(/kernel controls and events on/);
      const ev = new Proc('uipsec events', [
        bin('uipsec'),
        'events',
        '--json',
        '--class',
        'sa',
        '--count',
        '1',
        '-s',
        sock,
      ]);
      await ev.waitFor(/listening/);
      const conf =
        'add 10.1.0.1 10.1.0.2 esp 0x4242 -E aes-cbc 0x00112233445566778899aabbccddeeff -A hmac-sha256 0x' +
        '11'.repeat(32) +
        ';\nspdadd 10.1.0.1 10.1.0.2 any -P out ipsec esp/transport//require;\n';
      const s = await runProc('setkey', [bin('setkey'), '--socket', sock, '-c'], conf);
      assert.equal(s.code, 0, s.err);
      assert.equal(await ev.exited, 0, ev.err);
      const line = JSON.parse(ev.out.trim()) as Record<string, unknown>;
      assert.deepEqual(
        [line.name, line.vendor, line.class, line.subclass, (line.sa as Record<string, unknown>).spi],
        ['sa-added', 1000, 1, 1, '0x4242'],
      );
      assert.doesNotMatch(ev.out, /00112233|1111111111/);
    } finally {
      await d.stop();
    }
  });

  it('`uipsec events --class interface` hears the interfaces detach when uipsecd stops (KEV_DL_IF_DETACHED)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uipsec-evif-'));
    const sock = join(dir, 'pfkey.sock');
    const d = new Proc('uipsecd', daemonArgs(['--socket', sock, '-a', '10.9.0.1/24', '-u', '127.0.0.1:0', '-v']));
    await d.waitFor(/ up: 10\.9\.0\.1\/24/);
    const ev = new Proc('uipsec events', [bin('uipsec'), 'events', '--json', '--class', 'interface', '-s', sock]);
    try {
      await ev.waitFor(/listening/);
    } finally {
      assert.equal(await d.stop(), 0, d.err);
    }
    // The daemon gone, its control socket closed: the listener ends by itself, after the event.
    await ev.exited;
    const names = ev.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .map((e) => [e.name, e.ifname, e.vendor, e.class, e.subclass, e.code]);
    assert.deepEqual(names, [['if-detached', 'ul0', 1, 1, 2, 11]], ev.out + ev.err);
  });

  it('`uipsec status` and SIGUSR1 show each control of an `--extension` with its units, queued and dropped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uipsec-ctlstat-'));
    const sock = join(dir, 'pfkey.sock');
    const mod = join(ROOT, 'dist/examples/extensions/counter-control.js');
    const d = new Proc('uipsecd', daemonArgs(['--socket', sock, '--extension', mod, '-v']));
    try {
      await d.waitFor(/kernel controls and events on/);
      for (const msg of ['one', 'two']) {
        const r = await runProc('uipsec', [
          bin('uipsec'),
          'ctl',
          'org.uipsec.example.counter',
          'send',
          '-r',
          '1',
          msg,
          '-s',
          sock,
        ]);
        assert.equal(r.code, 0, r.err);
      }
      const text = await runProc('uipsec', [bin('uipsec'), 'status', '-s', sock]);
      assert.equal(text.code, 0, text.err);
      assert.match(text.out, /== Kernel controls \(2\) ==/);
      // control, access, units, connects, refused, queued, dropped, errors: two clients came and went.
      assert.match(text.out, /org\.uipsec\.example\.counter +open +0 +2 +0 +2 +0 +0\n/);
      assert.match(text.out, /org\.uipsec\.example\.admin +privileged +0 +0 +0 +0 +0 +0\n/);
      const json = await runProc('uipsec', [bin('uipsec'), 'status', '--json', '-s', sock]);
      const controls = (JSON.parse(json.out) as { controls: { name: string; queued: number }[] }).controls;
      assert.deepEqual(
        controls.map((c) => [c.name, c.queued]),
        [
          ['org.uipsec.example.counter', 2],
          ['org.uipsec.example.admin', 0],
        ],
      );
      d.child.kill('SIGUSR1');
      await d.waitFor(
        /controls org\.uipsec\.example\.counter units 0 queued 2 dropped 0, org\.uipsec\.example\.admin units 0/,
      );
      assert.match(d.err, /ctl clients 0 slow dropped 0 events sent 0;/);
    } finally {
      await d.stop();
    }
  });

  it('an `extension` statement in the config file; `uipsec ctl list`, then set, get and send as written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uipsec-ctlset-'));
    const sock = join(dir, 'pfkey.sock');
    const conf = join(dir, 'uipsecd.conf');
    writeFileSync(conf, `extension ${join(ROOT, 'dist/examples/extensions/counter-control.js')}\n`);
    const d = new Proc('uipsecd', daemonArgs(['--socket', sock, '-f', conf, '-v']));
    const ctl = (...a: string[]) => runProc('uipsec', [bin('uipsec'), 'ctl', ...a, '-s', sock]);
    try {
      await d.waitFor(/kernel controls and events on/);
      const list = await ctl('list');
      assert.equal(list.code, 0, list.err);
      assert.match(list.out, /org\.uipsec\.example\.counter/);
      assert.match(list.out, /org\.uipsec\.example\.admin/);
      // setopt 2: the counter's step, a big-endian u32; getopt 2 reads it back, getopt 1 the count.
      const set = await ctl('org.uipsec.example.counter', 'set', '2', '--hex', '0000000a');
      assert.equal(set.code, 0, set.err);
      const step = await ctl('org.uipsec.example.counter', 'get', '2', '--hex');
      assert.equal(step.out.trim(), '0x0000000a', step.err);
      const sent = await ctl('org.uipsec.example.counter', 'send', '-r', '1', 'hello');
      assert.equal(sent.code, 0, sent.err);
      assert.match(sent.out, /#10 hello/);
      assert.equal((await ctl('org.uipsec.example.counter', 'get', '1')).out.trim(), '10');
      const bad = await ctl('org.uipsec.example.counter', 'set', '1', 'x');
      assert.notEqual(bad.code, 0);
      assert.match(bad.err, /ENOPROTOOPT|read-only/);
    } finally {
      await d.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a privileged control and events to another user (nobody via setpriv); the owner gets both', async function () {
    if (process.getuid?.() !== 0) this.skip(); // needs root: a second uid to connect as
    if (spawnSync('setpriv', ['--version']).status !== 0) this.skip(); // setpriv (util-linux) not installed
    const dir = mkdtempSync(join(tmpdir(), 'uipsec-ctl-'));
    chmodSync(dir, 0o755); // others must reach ctl.sock; the PF_KEY socket itself stays 0600
    const sock = join(dir, 'pfkey.sock');
    const ctl = join(dir, 'ctl.sock');
    const mod = join(ROOT, 'dist/examples/extensions/counter-control.js');
    assert.ok(existsSync(mod));
    const d = new Proc('uipsecd --extension', daemonArgs(['--socket', sock, '--ctl-open', '--extension', mod, '-v']));
    /** `uipsec ARGS` as uid/gid 65534 (nobody), a separate process. */
    const asNobody = (args: string[]) => {
      const argv = ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, bin('uipsec'), ...args];
      const r = spawnSync('setpriv', [...argv, '--ctl-socket', ctl], { encoding: 'utf8', cwd: '/', timeout: 60_000 });
      return { code: r.status, out: r.stdout, err: r.stderr };
    };
    try {
      await d.waitFor(/kernel controls and events on .*open to all users/);
      const admin = asNobody(['ctl', 'org.uipsec.example.admin', 'get', '1']);
      assert.equal(admin.code, 1, admin.out + admin.err);
      assert.match(admin.err, /EPERM/);
      const events = asNobody(['events', '--count', '1']);
      assert.equal(events.code, 1);
      assert.match(events.err, /EPERM/);
      const counter = asNobody(['ctl', 'org.uipsec.example.counter', 'send', '--read', '1', 'from nobody']);
      assert.equal(counter.code, 0, counter.err);
      assert.equal(counter.out, '#1 from nobody\n');
      const own = await runProc('uipsec', [
        bin('uipsec'),
        'ctl',
        'org.uipsec.example.admin',
        'get',
        '1',
        '--ctl-socket',
        ctl,
      ]);
      assert.equal(own.code, 0, own.err);
      assert.equal(own.out, '0\n');
      assert.match(d.err, /uid 65534\) connected to org.uipsec.example.counter/);
    } finally {
      d.child.kill('SIGTERM');
      await d.exited;
    }
  });
});
