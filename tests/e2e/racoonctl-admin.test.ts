// racoonctl against the shipped racoon, each a separate process (uipsecd + racoon per host, racoon-pair.ts), in
// racoon's binary admin protocol: show-event left running sees the phase 1 come and go, establish-sa -w waits
// for it, show-sa isakmp prints ipsec-tools' table (and --json), flush-sa isakmp deletes it. The adminsock is
// 0600 root: a local unprivileged user cannot connect. Both racoons run with -d: their logs show the phase 1
// proposals, and never the pre-shared key. ipsec-tools' own racoonctl (Debian's .deb, unpacked,
// tests/support/ipsec-tools-deb.ts) drives the same racoon when the archive still has it.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { A, B, pairHosts, run, transportPolicies, uipsecdArgs, until } from './racoon-pair.js';
import { ipsecToolsRacoonctl } from '../support/ipsec-tools-deb.js';

const exit = (p: ChildProcess) => new Promise<number | null>((r) => p.on('exit', r));

const racoonConf = (peer: string, admin: string, psk: string) => `path pre_shared_key "${psk}";
listen { adminsock "${admin}"; }
timer { counter 5; interval 2 sec; }
remote ${peer} {
  exchange_mode main;
  proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method pre_shared_key; dh_group modp2048; }
}
sainfo anonymous {
  encryption_algorithm aes 128;
  authentication_algorithm hmac_sha256;
  compression_algorithm deflate;
}
`;

describe('e2e: racoonctl and the shipped racoon over the admin socket (binary admin protocol)', function () {
  const logs: string[] = [];
  const procs: ChildProcess[] = [];
  let dir = '';
  after(() => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const wait = (what: string, cond: () => boolean | Promise<boolean>) =>
    until(
      what,
      cond,
      () => {
        const dead = procs.find((p) => p.exitCode !== null && p.spawnargs.includes('-F'));
        return dead && `racoon exited (${dead.exitCode})`;
      },
      () => logs.join(''),
    );
  async function ctl(admin: string, ...args: string[]): Promise<{ code: number | null; out: string }> {
    const out: string[] = [];
    const code = await exit(run('racoonctl', ['-s', admin, ...args], out));
    return { code, out: out.join('') };
  }

  it('show-event, establish-sa -w, show-sa isakmp, flush-sa; the socket is closed to other users', async function () {
    dir = mkdtempSync(join(tmpdir(), 'uipsec-racoonctl-e2e-'));
    chmodSync(dir, 0o755);
    const hosts = pairHosts(dir, 23000 + (process.pid % 20000));
    for (const h of hosts) h.admin = join(dir, `${h.name}-run`, 'racoon.sock');
    for (const h of hosts) procs.push(run('uipsecd', uipsecdArgs(h), logs));
    await wait('uipsecd sockets', () => hosts.every((h) => existsSync(h.sock) && existsSync(h.ike)));
    for (const h of hosts) {
      const pol = join(dir, `${h.name}.setkey`);
      writeFileSync(pol, transportPolicies(h));
      assert.equal(await exit(run('setkey', ['--socket', h.sock, '-f', pol], logs)), 0, logs.join(''));
      const psk = join(dir, `${h.name}.psk`);
      writeFileSync(psk, `${h.peer}\tthe-admin-e2e-secret\n`, { mode: 0o600 });
      const conf = join(dir, `${h.name}.conf`);
      writeFileSync(conf, racoonConf(h.peer, h.admin, psk));
      mkdirSync(join(dir, `${h.name}-run`), { mode: 0o755 });
      procs.push(run('racoon', ['-F', '-d', '-f', conf, '-v', '--socket', h.sock, '--ike-socket', h.ike], logs));
    }
    await wait('racoon admin sockets', () => hosts.every((h) => existsSync(h.admin)));
    const a = hosts[0]!;
    assert.equal(statSync(a.admin).mode & 0o777, 0o600);

    // show-event, left running: every event of racoon a, one line each.
    const events: string[] = [];
    const watcher = run('racoonctl', ['-s', a.admin, 'show-event'], events);
    procs.push(watcher);
    const jsonEvents: string[] = [];
    procs.push(run('racoonctl', ['-s', a.admin, '--json', 'se'], jsonEvents));
    await new Promise((r) => setTimeout(r, 300)); // both subscribed before the phase 1 starts

    const es = await ctl(a.admin, 'establish-sa', '-w', 'isakmp', 'inet', A, B);
    assert.deepEqual(es, { code: 0, out: 'VPN connexion established\n' }, logs.join(''));
    await wait('show-event: Phase 1 established', () => events.join('').includes('Phase 1 established'));
    assert.match(events.join(''), /^Phase 1 established : 10\.0\.0\.1\[500\] -> 10\.0\.0\.2\[500\]\n/);
    assert.deepEqual(await ctl(a.admin, 'es', 'isakmp', 'inet', A, B), { code: 0, out: '' }, 'already up: exit 0');

    const ss = await ctl(a.admin, 'show-sa', 'isakmp');
    assert.equal(ss.code, 0);
    assert.match(
      ss.out,
      /^Destination {12}Cookies {27}Created\n10\.0\.0\.2\.500 {11}[0-9a-f]{16}:[0-9a-f]{16} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \n$/,
    );
    const js = JSON.parse((await ctl(a.admin, '--json', 'ss', 'isakmp')).out) as Record<string, unknown>[];
    assert.deepEqual(
      js.map((p) => [p['local'], p['remote'], p['side'], p['status']]),
      [['10.0.0.1[500]', '10.0.0.2[500]', 'initiator', 9]],
    );

    assert.deepEqual(await ctl(a.admin, 'flush-sa', 'isakmp'), { code: 0, out: '' });
    await wait('show-event: Phase 1 deleted', () => events.join('').includes('Phase 1 deleted'));
    assert.equal(
      (await ctl(a.admin, 'ss', 'isakmp')).out,
      'Destination            Cookies                           Created\n',
    );
    const parsed = jsonEvents
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string });
    assert.deepEqual(
      parsed.map((e) => e.event).filter((e) => e.startsWith('Phase 1 e') || e === 'Phase 1 deleted'),
      ['Phase 1 established', 'Phase 1 deleted'],
    );
    // racoon -d shows the proposals: b (the responder) every one it received, then the one it chose; a the answer.
    const all = logs.join('');
    assert.match(all, /phase 1 proposals received:[^]*prop#=1, prot-id=ISAKMP, spi-size=0, #trns=1/);
    assert.match(all, /type=Encryption Algorithm, flag=0x8000, lorv=AES-CBC/);
    assert.match(all, /type=Hash Algorithm, flag=0x8000, lorv=SHA2-256/);
    assert.match(all, /an acceptable proposal found: trns#=1/);
    assert.match(all, /phase 1 proposal chosen by the responder:/);
    assert.ok(!all.includes('the-admin-e2e-secret'), 'the PSK is in no log line, even at -d');

    // A local unprivileged user cannot connect: the socket is 0600 root (racoon's adminsock default).
    if (process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0) {
      const probe = `require('net').connect(${JSON.stringify(a.admin)}).on('error', (e) => { console.log(e.code); }).on('connect', () => console.log('connected'))`;
      const r = spawnSync(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', probe],
        {
          encoding: 'utf8',
          timeout: 20_000,
        },
      );
      assert.equal(r.stdout.trim(), 'EACCES', r.stderr);
    }

    watcher.kill('SIGINT');
    await exit(watcher);
  });

  it("ipsec-tools' racoonctl (Debian's racoon .deb) drives our racoon", async function () {
    const it = ipsecToolsRacoonctl();
    if ('skip' in it) {
      this.test!.title += ` — skipped: ${it.skip}`;
      this.skip();
    }
    const bin = it.racoonctl;
    const a = pairHosts(dir, 0)[0];
    const admin = join(dir, 'a-run', 'racoon.sock');
    const theirs = (...args: string[]) => spawnSync(bin, ['-s', admin, ...args], { encoding: 'utf8', timeout: 60_000 });
    const ev: string[] = [];
    const se = spawn(bin, ['-s', admin, 'show-event'], { stdio: ['ignore', 'pipe', 'pipe'] });
    se.stdout.on('data', (c: Buffer) => ev.push(c.toString()));
    procs.push(se);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(theirs('establish-sa', 'isakmp', 'inet', A, B).status, 0);
    await wait('their show-event: Phase 1 established', () => ev.join('').includes('Phase 1 established'));
    const ours = (await ctl(admin, 'ss', 'isakmp')).out;
    assert.equal(theirs('show-sa', 'isakmp').stdout, ours, 'the same table from both racoonctls');
    assert.equal(theirs('flush-sa', 'isakmp').status, 0);
    await wait('their show-event: Phase 1 deleted', () => ev.join('').includes('Phase 1 deleted'));
    assert.match(ev.join(''), /Phase 1 established : 10\.0\.0\.1\[500\] -> 10\.0\.0\.2\[500\]/);
    void a;
    se.kill('SIGTERM');
  });
});
