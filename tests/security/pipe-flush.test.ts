// Issue 11 item 10: piped output was cut off (`uipsec status --json | jq` got 65,536 bytes of 77 MB) because the
// process exited before stdout drained. Every command runs as a process in a real shell pipeline whose reader
// starts late (`CMD | (sleep 0.5; wc -lc)`), so that the command has finished and wants to exit while most of
// its output still waits in its own buffer; the reader must count as many lines as the same command wrote to
// a file (where writes are synchronous), and the last one whole. Lines, not bytes: `setkey -D` prints each SA's
// age, which may gain a digit between the two runs.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as W from '../../racoon/admin-wire.js';
import { Proc } from '../e2e/proc.js';
import { repoRoot } from '../e2e/support.js';
import { commandArgs, runCommand } from './support.js';

const N_SAS = 3000;

const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs `name args` in sh with stdout (or stderr) redirected as `redirect` says; resolves with sh's stdout. */
function shell(name: string, args: string[], redirect: string): Promise<string> {
  const cmd = [process.execPath, ...commandArgs(name, args)].map(sh).join(' ');
  const child = spawn('sh', ['-c', `${cmd} ${redirect}`], { cwd: repoRoot(), stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.on('close', () => resolve(out)));
}

interface Count {
  lines: number;
  bytes: number;
}

/** Lines and bytes of `stream` written to a file, and read through a pipe by a reader that starts late. */
async function fileAndPipe(dir: string, name: string, args: string[], stream: 1 | 2): Promise<[Count, Count]> {
  const file = join(dir, `out-${name}.txt`);
  const toFile = stream === 1 ? `> ${sh(file)} 2>/dev/null` : `2> ${sh(file)} > /dev/null`;
  await shell(name, args, toFile);
  const toPipe = stream === 1 ? '2>/dev/null | (sleep 0.5; wc -lc)' : '2>&1 >/dev/null | (sleep 0.5; wc -lc)';
  const [lines, bytes] = (await shell(name, args, toPipe)).trim().split(/\s+/).map(Number);
  const text = readFileSync(file, 'utf8');
  return [
    { lines: text.split('\n').length - 1, bytes: statSync(file).size },
    { lines: lines!, bytes: bytes! },
  ];
}

describe('security: every command drains a pipe before it exits (issue 11 item 10)', () => {
  let dir = '';
  let d: Proc | undefined;
  let admin: Server | undefined;
  let sock = '';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'uipsec-pipe-'));
    sock = join(dir, 'pfkey.sock');
    d = new Proc('uipsecd', commandArgs('uipsecd', ['--socket', sock]));
    await d.waitFor(/up:/);
    const lines = Array.from(
      { length: N_SAS },
      (_, i) =>
        `add 10.0.${i >> 8}.${i & 255} 10.1.0.1 esp ${0x1000 + i} -E aes-cbc 0x${i.toString(16).padStart(32, '0')}` +
        ` -A hmac-sha256 0x${i.toString(16).padStart(64, '0')};`,
    );
    writeFileSync(join(dir, 'sas.conf'), lines.join('\n') + '\n');
    const add = await runCommand('setkey', ['--socket', sock, '-f', join(dir, 'sas.conf')]);
    assert.equal(add.code, 0, add.err);
  });
  after(async () => {
    admin?.close();
    await d?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const check = async (what: string, name: string, args: string[], stream: 1 | 2 = 1) => {
    const [file, piped] = await fileAndPipe(dir, name, args, stream);
    console.log(
      `      ${what}: ${piped.lines} of ${file.lines} lines (${piped.bytes} of ${file.bytes} bytes) through the pipe`,
    );
    assert.ok(file.bytes > 256 * 1024, `${what}: a large output (${file.bytes} bytes)`);
    assert.equal(piped.lines, file.lines, what);
  };

  it(`uipsec status --json and setkey -D / -D --json with ${N_SAS} SAs`, async () => {
    await check('uipsec status --json', 'uipsec', ['status', '--json', '--socket', sock]);
    await check('setkey -D', 'setkey', ['--socket', sock, '-D']);
    await check('setkey -D --json', 'setkey', ['--socket', sock, '-D', '--json']);
  });

  it('racoon -C and uipsecd -n with 20,000 errors (stderr)', async () => {
    const bad = Array.from({ length: 20000 }, (_, i) => `bogus_directive_${i};`).join('\n');
    writeFileSync(join(dir, 'bad-racoon.conf'), bad);
    writeFileSync(join(dir, 'bad-uipsecd.conf'), bad.replace(/;/g, ' x'));
    await check('racoon -C', 'racoon', ['-C', '-f', join(dir, 'bad-racoon.conf')], 2);
    await check('uipsecd -n', 'uipsecd', ['-n', '-f', join(dir, 'bad-uipsecd.conf')], 2);
  });

  it('racoonctl show-sa with a 50,000-line reply', async () => {
    // A stand-in for racoon's admin socket (its binary admin protocol, racoon/admin-wire.ts): the output size
    // is what matters here, and a racoon holding 50,000 SAs would take minutes to build. 15 MB: a long reply.
    const path = join(dir, 'racoon.sock');
    const ends = {
      remote: { addr: Uint8Array.of(10, 0, 0, 2), port: 500 },
      local: { addr: Uint8Array.of(10, 0, 0, 1), port: 500 },
    };
    const dumps = Array.from({ length: 50000 }, (_, i) => {
      const icookie = new Uint8Array(8);
      new DataView(icookie.buffer).setUint32(4, i);
      return {
        icookie,
        rcookie: new Uint8Array(8),
        status: 9,
        side: 0,
        ...ends,
        version: 0x10,
        etype: 2,
        created: 0,
        ph2cnt: 0,
      };
    });
    const body = W.encodePh1Dumps(dumps);
    admin = createServer((s) =>
      s.once('data', () => s.end(W.encodeReply(W.ADMIN_SHOW_SA, W.ADMIN_PROTO_ISAKMP, 0, body))),
    );
    await new Promise<void>((r) => admin!.listen(path, () => r()));
    await check('racoonctl show-sa isakmp', 'racoonctl', ['-s', path, 'show-sa', 'isakmp']);
    assert.match(
      readFileSync(join(dir, 'out-racoonctl.txt'), 'utf8'),
      /10\.0\.0\.2\.500 +000000000000c34f:0{16} {21}\n$/,
    );
  });
});
