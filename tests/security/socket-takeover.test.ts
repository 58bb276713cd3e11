// Issue 11 item 3: a local user takes over the socket path. User `nobody` pre-creates the socket directory in a
// world-writable sticky directory (as `mkdir -p /tmp/ua` in an old quickstart allowed) and listens there on
// pfkey.sock, ike.sock and racoon.sock. Root's setkey -f (with keys), uipsec status/ping, racoonctl and racoon
// must refuse to connect, and uipsecd must refuse to serve there; the attacker must see no connection and no
// byte. Then the other way round: a directory uipsecd made itself (0700) cannot be renamed or emptied by nobody.
import { strict as assert } from 'node:assert';
import { type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Proc } from '../e2e/proc.js';
import { collect, commandArgs, nobodySkipReason, runCommand, skipBecause, spawnAsNobody } from './support.js';

const KEY = '0x' + 'a5'.repeat(16);
const AUTH_KEY = '0x' + '5a'.repeat(32);
const KEYS_CONF = `add 10.0.0.1 10.0.0.2 esp 0x1001 -E aes-cbc ${KEY} -A hmac-sha256 ${AUTH_KEY};\n`;

// The attacker: listens on each socket name in its directory and reports every connection and byte.
const ATTACKER = `
import { createServer } from 'node:net';
import { chmodSync, mkdirSync } from 'node:fs';
const [dir, ...names] = process.argv.slice(2);
mkdirSync(dir, { recursive: true, mode: 0o755 });
let pending = names.length;
for (const n of names) {
  const path = dir + '/' + n;
  createServer((s) => {
    console.log('conn ' + n);
    // Keep what was sent and hang up, so that a client that did connect fails at once rather than waits.
    s.on('data', (d) => {
      console.log('data ' + n + ' ' + d.length);
      s.destroy();
    });
    s.on('error', () => {});
    setTimeout(() => s.destroy(), 500);
  }).listen(path, () => {
    chmodSync(path, 0o777);
    if (--pending === 0) console.log('ready');
  });
}
process.on('SIGTERM', () => process.exit(0));
`;

// What nobody tries against a directory root's daemon made: replace it, or the socket in it.
const TAMPER = `
import { mkdirSync, renameSync, unlinkSync } from 'node:fs';
const dir = process.argv[2];
const r = {};
for (const [what, fn] of [
  ['rename', () => renameSync(dir, dir + '.old')],
  ['unlink', () => unlinkSync(dir + '/pfkey.sock')],
  ['mkdir', () => mkdirSync(dir + '/evil')],
]) {
  try { fn(); r[what] = 'done'; } catch (e) { r[what] = e.code; }
}
console.log(JSON.stringify(r));
`;

/** Runs uipsecd expecting it to refuse; one that starts anyway is stopped (and its exit status is then 0). */
async function refusedDaemon(args: string[]): Promise<{ code: number | null; err: string }> {
  const p = new Proc('uipsecd', commandArgs('uipsecd', args));
  const started = await Promise.race([
    p.exited.then(() => false),
    p.waitFor(/up:/).then(
      () => true,
      () => false,
    ),
  ]);
  const code = started ? (await p.stop(), 0) : await p.exited;
  return { code, err: p.err };
}

describe('security: socket-path takeover by a local user (issue 11 item 3)', function () {
  let base = '';
  let attacker: ChildProcess | undefined;
  const seen: string[] = [];

  before(function () {
    const why = nobodySkipReason();
    if (why) skipBecause(this, why);
    base = mkdtempSync(join(tmpdir(), 'uipsec-takeover-'));
    chmodSync(base, 0o1777); // a /tmp of our own: world-writable and sticky
    writeFileSync(join(base, 'attacker.mjs'), ATTACKER, { mode: 0o644 });
    writeFileSync(join(base, 'tamper.mjs'), TAMPER, { mode: 0o644 });
  });
  after(() => {
    attacker?.kill('SIGTERM');
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it("nobody's directory: every client refuses, uipsecd refuses, and no byte reaches the attacker", async () => {
    const dir = join(base, 'ua');
    attacker = spawnAsNobody([join(base, 'attacker.mjs'), dir, 'pfkey.sock', 'ike.sock', 'racoon.sock']);
    attacker.stdout!.on('data', (d: Buffer) => seen.push(...d.toString().trim().split('\n')));
    const exited = collect(attacker);
    for (let i = 0; !seen.includes('ready'); i++) {
      if (attacker.exitCode !== null) assert.fail(`attacker exited: ${(await exited).err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const sock = join(dir, 'pfkey.sock');
    writeFileSync(join(base, 'keys.conf'), KEYS_CONF, { mode: 0o600 });
    const refusal = new RegExp(`refusing ${dir}/\\S+: directory ${dir} is owned by uid 65534, not by root`);

    const runs = {
      'setkey -f': await runCommand('setkey', ['--socket', sock, '-f', join(base, 'keys.conf')]),
      'setkey -f ($UIPSEC_PFKEY_SOCKET)': await runCommand('setkey', ['-f', join(base, 'keys.conf')], {
        env: { ...process.env, UIPSEC_PFKEY_SOCKET: sock },
      }),
      'setkey -c': await runCommand('setkey', ['--socket', sock, '-c'], { stdin: KEYS_CONF }),
      'uipsec status': await runCommand('uipsec', ['status', '--socket', sock]),
      'uipsec ping': await runCommand('uipsec', ['ping', '10.0.0.2', '-c', '1', '--socket', sock]),
      racoonctl: await runCommand('racoonctl', ['-s', join(dir, 'racoon.sock'), 'show-sa', 'esp']),
      uipsecd: await refusedDaemon(['--socket', sock]),
    };
    attacker.kill('SIGTERM');
    await exited;
    const got = seen.filter((l) => l !== 'ready');
    for (const [what, r] of Object.entries(runs))
      console.log(`      ${what}: exit ${r.code}, ${r.err.trim().split('\n')[0]}`);
    console.log(`      attacker saw: ${got.join(', ') || 'no connection, no byte'}`);
    assert.deepEqual(got, [], 'nothing may reach the socket of another user');
    for (const [what, r] of Object.entries(runs)) {
      assert.notEqual(r.code, 0, `${what} must fail`);
      assert.match(r.err, refusal, what);
    }
    assert.match(runs['setkey -f'].err, /nothing was sent/);
  });

  it('racoon refuses a PF_KEY socket in a directory nobody owns', async () => {
    const dir = join(base, 'ua');
    const conf = join(base, 'racoon.conf');
    writeFileSync(join(base, 'psk.txt'), '10.0.0.2 0x0102030405060708\n', { mode: 0o600 });
    writeFileSync(
      conf,
      `path pre_shared_key "${join(base, 'psk.txt')}";\nlisten { adminsock disabled; }\n` +
        'remote anonymous { exchange_mode main; proposal { encryption_algorithm aes 128; hash_algorithm sha256; ' +
        'authentication_method pre_shared_key; dh_group modp2048; } }\n',
    );
    const r = await runCommand('racoon', ['-F', '-f', conf, '--socket', join(dir, 'pfkey.sock')]);
    console.log(`      racoon: exit ${r.code}, ${r.err.trim()}`);
    assert.equal(r.code, 1);
    assert.match(r.err, /racoon: refusing .*pfkey\.sock: directory .* is owned by uid 65534/);
  });

  it('a root-owned directory others can write to (0777, not sticky): uipsecd and setkey refuse it', async () => {
    const dir = join(base, 'loose');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const d = await refusedDaemon(['--socket', join(dir, 'pfkey.sock')]);
    assert.equal(d.code, 1);
    assert.match(d.err, /directory .*loose has mode 0777: others can replace what is in it/);
    const s = await runCommand('setkey', ['--socket', join(dir, 'pfkey.sock'), '-D']);
    assert.equal(s.code, 1);
    assert.match(s.err, /refusing .*loose has mode 0777/);
  });

  it('uipsecd makes its own directory 0700; nobody can neither rename it nor replace its socket', async () => {
    const dir = join(base, 'ub');
    const sock = join(dir, 'pfkey.sock');
    const d = new Proc('uipsecd', commandArgs('uipsecd', ['--socket', sock]));
    try {
      await d.waitFor(/up:/);
      const t = await collect(spawnAsNobody([join(base, 'tamper.mjs'), dir]));
      console.log(`      nobody's attempts on ${dir}: ${t.out.trim()}`);
      assert.deepEqual(JSON.parse(t.out), { rename: 'EPERM', unlink: 'EACCES', mkdir: 'EACCES' });
      const add = await runCommand('setkey', ['--socket', sock, '-c'], { stdin: KEYS_CONF });
      assert.equal(add.code, 0, add.err);
      const dump = await runCommand('setkey', ['--socket', sock, '-D']);
      assert.match(dump.out, /esp mode=any spi=4097\(0x00001001\)/);
    } finally {
      await d.stop();
    }
  });
});
