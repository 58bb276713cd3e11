// The npm package as a user gets it: `npm pack` (scripts off, from the built dist/), the tarball checked for what
// it holds (dist/ without tests, benchmarks or examples; declarations for every entry point; the bins), then
// installed with `npm install --offline` into an empty project in a temporary directory. The dependencies come
// from this repository's node_modules, packed into tarballs and installed in the same command, so nothing is
// fetched and no npm cache is needed. From that project, as separate processes: an .mjs program imports
// 'uipsec', 'uipsec/pfkey', 'uipsec/setkey', 'uipsec/racoon' and 'uipsec/channel' and uses them; tsc type-checks
// a .ts program against the shipped declarations; the installed bins run (uipsecd serving PF_KEY, setkey
// loading and dumping SAs through it, uipsec --version, racoon -C).
// Skipped, with the reason, when dist/ is not built (npm run build) or npm is not on PATH.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../support/root.js';

const ROOT = repoRoot();
/** The environment of the child npm: without the npm_* variables of an `npm test` run around this one. */
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
/** Why the suite cannot run here, or '' when it can. */
const SKIP = !existsSync(join(ROOT, 'dist', 'index.js'))
  ? 'dist/ not built: npm run build'
  : spawnSync('npm', ['--version'], { env: ENV }).status !== 0
    ? 'npm not on PATH'
    : '';

interface Run {
  code: number | null;
  out: string;
  err: string;
}

function run(cmd: string, args: string[], cwd: string, input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
    child.stdin.end(input ?? '');
  });
}

async function ok(cmd: string, args: string[], cwd: string): Promise<string> {
  const r = await run(cmd, args, cwd);
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')} failed (${r.code}):\n${r.out}\n${r.err}`);
  return r.out;
}

/** The package's runtime dependencies and theirs, each a directory under this repository's node_modules. */
function dependencyDirs(): string[] {
  const seen = new Map<string, string>();
  const visit = (pkgJson: string) => {
    const deps = (JSON.parse(readFileSync(pkgJson, 'utf8')) as { dependencies?: Record<string, string> }).dependencies;
    for (const name of Object.keys(deps ?? {})) {
      if (seen.has(name)) continue;
      const dir = join(ROOT, 'node_modules', name);
      seen.set(name, dir);
      visit(join(dir, 'package.json'));
    }
  };
  visit(join(ROOT, 'package.json'));
  return [...seen.values()];
}

const MJS = `
import { Host, KeySock, MemWire, parseAddr, runSetkeyInproc, PfkeyClient, InprocTransport } from 'uipsec';
import * as pfkey from 'uipsec/pfkey';
import { parseSetkey, statementToMessages } from 'uipsec/setkey';
import { parseRacoonConf, validateRacoonConf, startRacoon } from 'uipsec/racoon';
import { IkeChannel, encodeIkeFrame, decodeIkeFrame } from 'uipsec/channel';

const out = {};
// 'uipsec': two hosts on a wire, keys and policies by setkey text, one datagram through ESP.
const conf = (me, peer) => \`
add 10.7.0.1 10.7.0.2 esp 0x701 -m transport -E aes-gcm-16 0x00112233445566778899aabbccddeeff00112233;
add 10.7.0.2 10.7.0.1 esp 0x702 -m transport -E aes-gcm-16 0xffeeddccbbaa99887766554433221100ffeeddcc;
spdadd \${me} \${peer} udp -P out ipsec esp/transport//require;
spdadd \${peer} \${me} udp -P in ipsec esp/transport//require;\`;
const wire = new MemWire();
const hosts = ['10.7.0.1', '10.7.0.2'].map((addr, i) => {
  const host = new Host({ name: 'h' + i });
  host.addInterface('eth0', wire.attach('h' + i, [parseAddr(addr)]), [addr + '/24']);
  return { addr, host, keysock: new KeySock(host) };
});
const [a, b] = hosts;
for (const [me, peer] of [[a, b], [b, a]]) {
  const r = await runSetkeyInproc(me.keysock, ['-f', 'k.conf'], { files: { 'k.conf': conf(me.addr, peer.addr) } });
  if (r.code !== 0) throw new Error(r.err);
}
const server = b.host.udpSocket();
server.bind(9000);
const got = new Promise((resolve) => server.onMessage((data, from) => resolve({ text: new TextDecoder().decode(data), spi: from.layers.map((l) => l.sa.spi) })));
a.host.udpSocket().send(new TextEncoder().encode('packed'), b.addr, 9000);
out.received = await got;
const client = new PfkeyClient(new InprocTransport(a.keysock));
out.dumpedSpis = (await client.dumpAll(pfkey.SADB_DUMP)).map((m) => m.ext.sa.spi).sort();
client.close();
for (const h of hosts) { h.keysock.close(); h.host.close(); }

// 'uipsec/setkey' and 'uipsec/pfkey': text to statements to PF_KEY bytes and back.
const parsed = parseSetkey('add 10.0.0.1 10.0.0.2 esp 0x1234 -m transport -E null;');
const msgs = statementToMessages(parsed.statements[0], { pid: 7 });
const bytes = pfkey.encodeMessage(msgs.messages[0]);
const back = pfkey.decodeMessage(bytes);
out.setkey = { errors: parsed.errors.length, type: back.msg.type === pfkey.SADB_ADD, spi: back.ext.sa.spi, len: bytes.length };

// 'uipsec/racoon': a configuration parsed and validated.
const rc = parseRacoonConf('remote 192.0.2.2 { exchange_mode main; proposal { encryption_algorithm aes; hash_algorithm sha1; authentication_method pre_shared_key; dh_group modp1024; } }\\nsainfo anonymous { encryption_algorithm aes; authentication_algorithm hmac_sha1; compression_algorithm deflate; }\\n', 'racoon.conf');
out.racoon = { errors: rc.errors.length + validateRacoonConf(rc.conf).length, remotes: rc.conf.remotes.length, sainfos: rc.conf.sainfos.length, start: typeof startRacoon };

// 'uipsec/channel': a frame through the codec.
const f = decodeIkeFrame(encodeIkeFrame({ type: 'unbind', port: 4500 }).subarray(4));
out.channel = { frame: f, client: typeof IkeChannel.connect };

// Deep imports are not part of the package.
out.deep = await import('uipsec/dist/kernel/host.js').then(() => 'loaded', (e) => e.code);
console.log(JSON.stringify(out));
`;

const TS = `
import { Host, type HostOptions, ManualClock, SeededRng } from 'uipsec';
import { type PfkeyMessage, SADB_GETSPI, PfkeyClient } from 'uipsec/pfkey';
import { parseSetkey, type ParseResult } from 'uipsec/setkey';
import { type RacoonConf, parseRacoonConf } from 'uipsec/racoon';
import { type IkeFrame, IkeChannel } from 'uipsec/channel';

const opts: HostOptions = { name: 'typed', clock: new ManualClock(0), rng: new SeededRng(1) };
const host: Host = new Host(opts);
const r: ParseResult = parseSetkey('flush;');
const conf: RacoonConf = parseRacoonConf('', 'x.conf').conf;
const frame: IkeFrame = { type: 'statusreq' };
const type: number = SADB_GETSPI;
let m: PfkeyMessage | undefined;
void [host, r, conf, frame, type, m, PfkeyClient, IkeChannel];
// @ts-expect-error the package exports no deep paths
await import('uipsec/dist/kernel/host.js');
`;

describe(`npm package: packed, installed offline into an empty project, used from there${SKIP ? ` (skipped: ${SKIP})` : ''}`, function () {
  this.timeout(600_000); // a bound for a hung npm on a loaded machine, not a measurement
  let dir: string;
  let proj: string;
  let files: string[] = [];
  let tarball = '';
  let depTarballs: string[] = [];
  const bin = (name: string) => join(proj, 'node_modules', '.bin', name);

  before(async function () {
    if (SKIP) {
      this.skip();
      return;
    }
    dir = mkdtempSync(join(tmpdir(), 'uipsec-pack-'));
    proj = join(dir, 'project');
    mkdirSync(join(dir, 'deps'));
    mkdirSync(proj);
    const packed = JSON.parse(await ok('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT));
    files = (packed as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    tarball = join(dir, (packed as { filename: string }[])[0]!.filename);
    await ok('npm', ['pack', '--offline', '--ignore-scripts', ...dependencyDirs()], join(dir, 'deps'));
    writeFileSync(join(proj, 'package.json'), '{ "name": "uipsec-user", "private": true, "type": "module" }\n');
    const deps = readdirSync(join(dir, 'deps')).filter((f) => f.endsWith('.tgz'));
    depTarballs = deps.map((d) => join(dir, 'deps', d));
    const install = [
      'install',
      '--offline',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      '--cache',
      join(dir, 'cache'),
    ];
    await ok('npm', [...install, tarball, ...depTarballs], proj);
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the tarball holds dist/ without tests, benchmarks or examples, the declarations, the bins and the docs', () => {
    assert.deepEqual(
      files.filter((f) => /^dist\/(tests|bench|examples)\//.test(f)),
      [],
    );
    assert.deepEqual(
      files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')),
      [],
      'no TypeScript sources',
    );
    for (const entry of [
      'dist/index',
      'dist/pfkey/index',
      'dist/setkey/index',
      'dist/racoon/index',
      'dist/channel/index',
    ])
      for (const ext of ['.js', '.d.ts']) assert.ok(files.includes(entry + ext), `${entry}${ext} in the tarball`);
    for (const b of ['setkey', 'racoon', 'racoonctl', 'uipsecd', 'uipsec']) assert.ok(files.includes(`bin/${b}`), b);
    assert.ok(files.includes('docs/api.md') && files.includes('README.md') && files.includes('package.json'));
    for (const page of [
      'setkey.8',
      'racoon.8',
      'racoonctl.8',
      'uipsecd.8',
      'uipsec.8',
      'racoon.conf.5',
      'uipsecd.conf.5',
    ])
      assert.ok(files.includes(`dist/man/${page}`), `man page ${page} in the tarball`);
    assert.deepEqual(
      files.filter((f) => f.startsWith('dist/tools/')),
      [],
      'no build tooling',
    );
  });

  it('an .mjs program uses every entry point; deep imports are refused', async () => {
    writeFileSync(join(proj, 'use.mjs'), MJS);
    const got = JSON.parse(await ok(process.execPath, ['use.mjs'], proj));
    assert.deepEqual(got.received, { text: 'packed', spi: [0x701] });
    assert.deepEqual(got.dumpedSpis, [0x701, 0x702]);
    assert.deepEqual(got.setkey, { errors: 0, type: true, spi: 0x1234, len: got.setkey.len });
    assert.ok(got.setkey.len > 16 && got.setkey.len % 8 === 0, `PF_KEY message of ${got.setkey.len} bytes`);
    assert.deepEqual(got.racoon, { errors: 0, remotes: 1, sainfos: 1, start: 'function' });
    assert.deepEqual(got.channel, { frame: { type: 'unbind', port: 4500 }, client: 'function' });
    assert.equal(got.deep, 'ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  it('a TypeScript program type-checks against the shipped declarations of every entry point', async () => {
    writeFileSync(join(proj, 'use.ts'), TS);
    // A misspelt import beside it: the one error tsc must report, so the declarations are really what it read.
    writeFileSync(join(proj, 'bad.ts'), "import { Hots } from 'uipsec';\nvoid Hots;\n");
    const tsconfig = {
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node'],
        typeRoots: [join(ROOT, 'node_modules', '@types')],
      },
      files: ['use.ts', 'bad.ts'],
    };
    writeFileSync(join(proj, 'tsconfig.json'), JSON.stringify(tsconfig));
    const r = await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], proj);
    const errors = (r.out + r.err).split('\n').filter((l) => /error TS\d+/.test(l));
    assert.equal(errors.length, 1, r.out + r.err);
    assert.match(errors[0]!, /^bad\.ts\(1,10\): error TS\d+: .*has no exported member (named )?'Hots'/);
  });

  it('the installed bins run: uipsecd serves PF_KEY, setkey loads and dumps SAs, uipsec and racoon start', async () => {
    assert.equal((await ok(bin('uipsec'), ['--version'], proj)).trim(), `uipsec ${readPackageVersion()}`);
    const sock = join(dir, 'pfkey.sock');
    const daemonArgs = [
      '--socket',
      sock,
      '--ike-socket',
      join(dir, 'ike.sock'),
      '-a',
      '10.0.0.1/24',
      '-u',
      '127.0.0.1:0',
    ];
    const daemon = spawn(bin('uipsecd'), daemonArgs, { cwd: proj, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await new Promise<void>((resolve, reject) => {
        let err = '';
        daemon.stderr.on('data', (d: Buffer) => {
          err += d.toString();
          if (err.includes(' up: ')) resolve();
        });
        daemon.on('exit', (code) => reject(new Error(`uipsecd exited (${code}) before it was up:\n${err}`)));
      });
      writeFileSync(join(proj, 'k.conf'), 'add 10.0.0.1 10.0.0.2 esp 0x4242 -m transport -E null;\n');
      await ok(bin('setkey'), ['--socket', sock, '-f', 'k.conf'], proj);
      const dump = await ok(bin('setkey'), ['--socket', sock, '-D'], proj);
      assert.match(dump, /^10\.0\.0\.1 10\.0\.0\.2 \n\tesp mode=transport spi=16962\(0x00004242\)/);
    } finally {
      daemon.kill('SIGTERM');
      if (daemon.exitCode === null) await new Promise((r) => daemon.once('exit', r));
    }
    cpSync(join(ROOT, 'tests/fixtures/racoon/conf/psk-minimal.conf'), join(proj, 'racoon.conf'));
    const check = await run(bin('racoon'), ['-C', '-f', 'racoon.conf'], proj);
    assert.equal(check.code, 0, check.out + check.err);
  });

  it('a global install with --prefix (docs/install.md) puts the five commands on PATH and the man pages in MANPATH', async () => {
    const prefix = join(dir, 'global');
    const flags = ['--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--cache', join(dir, 'cache')];
    await ok('npm', ['install', '-g', '--prefix', prefix, ...flags, tarball, ...depTarballs], dir);
    const env = { ...ENV, PATH: `${join(prefix, 'bin')}:${ENV.PATH ?? ''}`, MANPATH: join(prefix, 'share', 'man') };
    const sh = (cmd: string) => spawnSync('sh', ['-c', cmd], { cwd: dir, env, encoding: 'utf8' });
    const version = readPackageVersion();
    for (const c of ['setkey', 'racoon', 'racoonctl', 'uipsec']) {
      const r = sh(`command -v ${c} && ${c} --version`);
      assert.equal(r.status, 0, `${c}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stdout.split('\n')[0], join(prefix, 'bin', c), `${c} is the one under the prefix`);
      assert.match(r.stdout, new RegExp(`uipsec ${version.replace(/\./g, '\\.')}`), c);
    }
    const d = sh('uipsecd --help');
    assert.equal(d.status, 0, d.stderr);
    assert.match(d.stdout, /Usage: uipsecd/);
    for (const page of ['man8/setkey.8', 'man8/racoon.8', 'man8/racoonctl.8', 'man8/uipsecd.8', 'man8/uipsec.8'])
      assert.ok(existsSync(join(prefix, 'share', 'man', page)), page);
    for (const page of ['man5/racoon.conf.5', 'man5/uipsecd.conf.5'])
      assert.ok(existsSync(join(prefix, 'share', 'man', page)), page);
    if (sh('command -v man').status !== 0) return; // the files are checked above; man-db renders them elsewhere
    const w = sh('man -w setkey && man -w 5 racoon.conf');
    assert.equal(w.status, 0, w.stderr);
    assert.deepEqual(
      w.stdout
        .trim()
        .split('\n')
        .map((l) => l.replace(/.*\/uipsec\//, 'uipsec/')),
      ['uipsec/dist/man/setkey.8', 'uipsec/dist/man/racoon.conf.5'],
    );
  });
});

function readPackageVersion(): string {
  return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}
