// Issue 11 item 13: `include "/dev/zero"` in racoon.conf never finished (2.3 GB RSS in 4 s). Each reader of a
// configuration runs as a process on the files an attacker or a slip of the hand gives it: /dev/zero, a FIFO
// nobody writes to, a 5 MB file. racoon -C, racoon's psk.txt and uipsecd -f refuse all three with file:line;
// setkey -f stops /dev/zero at its first 1 MiB line (256 MiB in all) and still reads a script from
// /dev/stdin or `-`.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../e2e/support.js';
import { commandArgs, runCommand, type Ran } from './support.js';

async function timed(name: string, args: string[], stdin?: string): Promise<Ran & { ms: number }> {
  const t0 = process.hrtime.bigint();
  const r = await runCommand(name, args, { stdin });
  return { ...r, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}

describe('security: configuration files are regular and bounded (issue 11 item 13)', () => {
  let dir = '';
  let fifo = '';
  let big = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'uipsec-confsize-'));
    fifo = join(dir, 'fifo');
    assert.equal(spawnSync('mkfifo', ['-m', '600', fifo]).status, 0, 'mkfifo');
    big = join(dir, 'big.conf');
    writeFileSync(big, '#'.repeat(5_000_000) + '\n', { mode: 0o600 });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('racoon -C: include "/dev/zero", a FIFO or a 5 MB file is an error at the include line', async () => {
    for (const [target, why] of [
      ['/dev/zero', /a character device, not a regular file/],
      [fifo, /a FIFO, not a regular file/],
      [big, /5000001 bytes, larger than 4 MiB/],
    ] as const) {
      const conf = join(dir, 'racoon.conf');
      writeFileSync(conf, `log notify;\ninclude "${target}";\n`);
      const r = await timed('racoon', ['-C', '-f', conf]);
      console.log(
        `      include "${target.replace(dir, '…')}": exit ${r.code} after ${r.ms.toFixed(0)} ms: ${r.err.trim()}`,
      );
      assert.equal(r.code, 1);
      assert.match(r.err, new RegExp(`racoon\\.conf:2: cannot read ${target}: ${why.source}`));
    }
  });

  it("racoon's psk.txt as a FIFO or a 5 MB file: refused, racoon does not start", async () => {
    for (const [psk, why] of [
      [fifo, /a FIFO, not a regular file/],
      [big, /larger than 4 MiB/],
    ] as const) {
      const conf = join(dir, 'psk-racoon.conf');
      writeFileSync(conf, `path pre_shared_key "${psk}";\nlisten { adminsock disabled; }\n`);
      const r = await timed('racoon', ['-F', '-f', conf, '--socket', join(dir, 'none', 'pfkey.sock')]);
      console.log(`      psk.txt ${psk.replace(dir, '…')}: exit ${r.code} after ${r.ms.toFixed(0)} ms`);
      assert.equal(r.code, 1);
      assert.match(r.err, new RegExp(`refusing to start: ${psk}:0: cannot read: [^\\n]*${why.source}`));
    }
  });

  it('uipsecd -n -f /dev/zero, a FIFO or a 5 MB file: a configuration error (exit 2)', async () => {
    for (const [file, why] of [
      ['/dev/zero', /a character device, not a regular file/],
      [fifo, /a FIFO, not a regular file/],
      [big, /larger than 4 MiB/],
    ] as const) {
      const r = await timed('uipsecd', ['-n', '-f', file]);
      console.log(`      uipsecd -f ${file.replace(dir, '…')}: exit ${r.code} after ${r.ms.toFixed(0)} ms`);
      assert.equal(r.code, 2);
      assert.match(r.err, new RegExp(`uipsecd: ${file}: cannot read: [^\\n]*${why.source}`));
    }
  });

  it('setkey -f /dev/zero stops at its first 1 MiB line; -f /dev/stdin and -f - still read a piped script', async () => {
    const z = await timed('setkey', ['-n', '-f', '/dev/zero']);
    console.log(`      setkey -n -f /dev/zero: exit ${z.code} after ${z.ms.toFixed(0)} ms: ${z.err.trim()}`);
    assert.equal(z.code, 1);
    assert.match(z.err, /setkey: \/dev\/zero: line 1 longer than 1 MiB; refusing to read on/);
    const script = 'add 10.0.0.1 10.0.0.2 esp 0x1001 -E aes-cbc 0x00112233445566778899aabbccddeeff;\n';
    for (const f of ['/dev/stdin', '-']) {
      const r = await runCommand('setkey', ['-n', '-f', f], { stdin: script });
      assert.equal(r.code, 0, `setkey -n -f ${f}: ${r.err}`);
      const bad = await runCommand('setkey', ['-n', '-f', f], { stdin: 'add 10.0.0.1;\n' });
      assert.equal(bad.code, 1, `setkey -n -f ${f} parses what it read`);
    }
    // And through a real pipe, as a shell user types it.
    const sh = spawnSync(
      'sh',
      ['-c', `printf '%s' "$0" | "$1" "$2" -n -f /dev/stdin`, script, process.execPath, ...commandArgs('setkey', [])],
      {
        cwd: repoRoot(),
        encoding: 'utf8',
      },
    );
    assert.equal(sh.status, 0, sh.stderr);
  });
});
