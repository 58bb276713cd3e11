// setkey end to end as real processes against a real uipsecd process over its Unix socket: `setkey -f` loads
// a sample configuration and `-D`/`-DP` print it; a `setkey -x` process watches a negotiation's traffic (an
// app sends through the daemon's stack and needs an SA: ACQUIRE; a `setkey -c` process adds SAs: ADD; the
// SA's hard lifetime ends: EXPIRE) and stops on SIGINT; and a setkey with no daemon says how to start one.
// Runs bin/setkey and bin/uipsecd when dist/ is built, else the same entry points from source through tsx.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IkeChannel } from '../../channel/index.js';
import { parseAddr } from '../../common/inet.js';
import { repoRoot } from '../support/root.js';
import { daemonArgv } from '../daemon/support.js';

const ROOT = repoRoot();
const BUILT = existsSync(join(ROOT, 'dist/setkey/main.js')) && existsSync(join(ROOT, 'dist/kernel/daemon/main.js'));

function setkeyArgv(args: string[]): string[] {
  if (BUILT) return [join(ROOT, 'bin/setkey'), ...args];
  return ['--import', 'tsx', join(ROOT, 'setkey/main.ts'), ...args];
}

interface Proc {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exit: Promise<number | null>;
}

function start(argv: string[], stdin?: string, env: NodeJS.ProcessEnv = process.env): Proc {
  const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env });
  let out = '',
    err = '';
  child.stdout!.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr!.on('data', (b: Buffer) => {
    err += b.toString();
  });
  if (stdin !== undefined) child.stdin!.end(stdin);
  else child.stdin!.end();
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exit };
}

async function setkey(
  args: string[],
  stdin?: string,
  env?: NodeJS.ProcessEnv,
): Promise<{ code: number | null; out: string; err: string }> {
  const p = start(setkeyArgv(args), stdin, env);
  const code = await p.exit;
  return { code, out: p.out(), err: p.err() };
}

/** Resolves once `pred` holds for the process's output (checked on every chunk); rejects if it exits first. */
function waitFor(p: Proc, pred: () => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (pred()) {
        cleanup();
        resolve();
      }
    };
    const onExit = () => {
      cleanup();
      if (pred()) resolve();
      else reject(new Error(`exited before ${what}:\n${p.out()}\n${p.err()}`));
    };
    const cleanup = () => {
      p.child.stdout!.off('data', check);
      p.child.stderr!.off('data', check);
      p.child.off('close', onExit);
    };
    p.child.stdout!.on('data', check);
    p.child.stderr!.on('data', check);
    p.child.on('close', onExit);
    check();
  });
}

const types = (out: string) =>
  [...out.matchAll(/^sadb_msg\{ version=2 type=(\d+) errno=\d+ satype=(\d+)$/gm)].map((m) => `${m[1]}/${m[2]}`);

describe(`setkey and uipsecd as processes (${BUILT ? 'bin/ launchers' : 'source via tsx; dist/ not built'})`, () => {
  let dir: string;
  let daemon: Proc;
  let sock: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'setkey-e2e-'));
    sock = join(dir, 'pfkey.sock');
    daemon = start(
      daemonArgv(
        ['--socket', sock, '--ike-socket', join(dir, 'ike.sock'), '-a', '10.0.0.1/24', '-u', '127.0.0.1:0'],
        BUILT,
      ),
    );
    await waitFor(daemon, () => daemon.err().includes(' up: '), 'the daemon came up');
  });

  after(async () => {
    daemon.child.kill('SIGTERM');
    await daemon.exit;
    rmSync(dir, { recursive: true, force: true });
  });

  it('setkey -f loads a sample configuration; -D and -DP print it; flush and spdflush empty the tables', async () => {
    const conf = join(ROOT, 'tests/fixtures/setkey/gateway-tunnel.conf');
    const load = await setkey(['--socket', sock, '-f', conf]);
    assert.deepEqual([load.code, load.err, load.out], [0, '', '']);
    const d = await setkey(['-D'], undefined, { ...process.env, UIPSEC_PFKEY_SOCKET: sock });
    assert.equal(d.code, 0);
    assert.match(
      d.out,
      /^198\.51\.100\.1 203\.0\.113\.1 \n\tesp mode=tunnel spi=65536\(0x00010000\) reqid=101\(0x00000065\)\n\tE: aes-gcm-16 {2}00010203 04050607 08090a0b 0c0d0e0f 10111213\n/m,
    );
    const p = await setkey(['--socket', sock, '-DP']);
    assert.match(
      p.out,
      /^10\.1\.0\.0\/16\[any\] 10\.2\.0\.0\/16\[any\] 255\n\tout ipsec\n\tesp\/tunnel\/198\.51\.100\.1-203\.0\.113\.1\/unique:101\n/m,
    );
    // leave the tables empty for the next test (-F/-FP are checked in-process in tests/unit/setkey)
    assert.deepEqual(await setkey(['--socket', sock, '-c'], 'flush;\nspdflush;\n'), { code: 0, out: '', err: '' });
  });

  it('bsd-regress.conf (the BSD regression-test features) loads through the daemon; --json dumps count its entries', async () => {
    const load = await setkey(['--socket', sock, '-f', join(ROOT, 'tests/fixtures/setkey/bsd-regress.conf')]);
    assert.equal(load.err, '');
    assert.equal(load.code, 0);
    assert.match(load.out, /^10\.0\.0\.1 10\.0\.0\.2 \n\tesp mode=transport spi=10000\(0x00002710\)/); // the script's `get`
    const sad = JSON.parse((await setkey(['--socket', sock, '-D', '--json'])).out) as { spi: number }[];
    assert.deepEqual(
      sad.map((s) => s.spi).sort((a, b) => a - b),
      [10000, 10001, 10002, 10003, 10004, 10005, 10006, 10007],
    );
    const spd = JSON.parse((await setkey(['--socket', sock, '-DP', '--json'])).out) as { dir: string }[];
    assert.deepEqual(
      spd.map((p) => p.dir),
      ['in', 'in', 'in', 'out', 'out', 'out', 'out', 'out'],
    );
    assert.deepEqual(await setkey(['--socket', sock, '-c'], 'flush;\nspdflush;\n'), { code: 0, out: '', err: '' });
  });

  it('setkey -x shows ACQUIRE, ADD and EXPIRE of a negotiation, and stops on SIGINT', async () => {
    assert.equal(
      (await setkey(['--socket', sock, '-c'], 'spdadd 10.0.0.1 10.0.0.2 any -P out ipsec esp/transport//require;\n'))
        .code,
      0,
    );
    const mon = start(setkeyArgv(['--socket', sock, '-x']));
    await waitFor(mon, () => types(mon.out()).includes('11/1'), 'the monitor saw its own X_PROMISC');

    // an application sends through the daemon's stack: the policy needs an SA that does not exist
    const app = await IkeChannel.connect(join(dir, 'ike.sock'));
    const port = await app.bind(0);
    app.send(port, parseAddr('10.0.0.2')!, 9, new Uint8Array([1, 2, 3]));
    await waitFor(mon, () => types(mon.out()).includes('6/3'), 'ACQUIRE');

    // the key manager's answer, with a 1 s soft / 2 s hard lifetime on the outbound SA
    const add = await setkey(
      ['--socket', sock, '-c'],
      [
        'add 10.0.0.1 10.0.0.2 esp 0x3001 -m transport -lh 2 -ls 1 -E aes-cbc 0x000102030405060708090a0b0c0d0e0f;',
        'add 10.0.0.2 10.0.0.1 esp 0x3002 -m transport -E aes-cbc 0x0f0e0d0c0b0a09080706050403020100;',
      ].join('\n') + '\n',
    );
    assert.deepEqual([add.code, add.err], [0, '']);
    await waitFor(mon, () => types(mon.out()).includes('8/3'), 'EXPIRE');
    app.close();
    mon.child.kill('SIGINT');
    assert.equal(await mon.exit, 0);

    const seen = types(mon.out()).filter((t) => t !== '11/1' && t !== '11/0');
    const first = (t: string) => seen.indexOf(t);
    assert.ok(
      first('6/3') >= 0 && first('3/3') > first('6/3') && first('8/3') > first('3/3'),
      `order ACQUIRE, ADD, EXPIRE: ${seen.join(' ')}`,
    );
    assert.equal(
      seen.filter((t) => t === '3/3').length,
      6,
      'each ADD: the request, the wrapped and the plain broadcast reply',
    );
    // every message is preceded by setkey's HH:MM:SS.usec line
    assert.match(mon.out(), /^\d\d:\d\d:\d\d\.\d{6} \nsadb_msg\{ version=2 type=6 /m);
  });

  it('with no daemon on the socket it says so and how to start one', async () => {
    const r = await setkey(['--socket', join(dir, 'none.sock'), '-D']);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /no uipsecd is listening on .*none\.sock \((ENOENT|ECONNREFUSED)\)\.\nStart one with `uipsecd --socket .*none\.sock` \(see `uipsecd --help`\)/,
    );
  });

  it('--help prints usage, options and examples', async () => {
    const h = await setkey(['--help']);
    assert.equal(h.code, 0);
    assert.match(h.out, /Examples:\n/);
    assert.match(readFileSync(join(ROOT, 'bin/setkey'), 'utf8'), /^#!\/usr\/bin\/env node\n/);
  });
});
