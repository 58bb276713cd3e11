// Issue 11 item 8: a mistyped psk.txt line must not put any of itself in racoon's log. racoon runs as a process
// with a psk.txt of typical mistakes (a colon instead of blanks, a key alone, a hex key alone, a repeated
// identifier whose second line holds another key) and logs to stderr and to a -l file; neither may contain a
// piece of any of those lines, and each bad line is named by number.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from './support.js';

const BAD_LINES: Readonly<Record<number, string>> = {
  3: '10.8.0.2:Qx7Colon5epZw',
  4: 'Vq9KeyAl0neXr42',
  5: '0x5eC12e7a11a10e0011223344',
  7: '10.8.0.9 Zk2SeC0ndKyWq',
};
const PSK = [
  '# peers',
  '10.8.0.1 Hw8G00dKyPx',
  BAD_LINES[3],
  BAD_LINES[4],
  BAD_LINES[5],
  '10.8.0.9 Jb4F1rstKyQz',
  BAD_LINES[7],
  '',
].join('\n');

/** Every piece of `line` worth hiding: its blank-separated words, and each 6-character run of them. */
function pieces(line: string): string[] {
  const words = line.split(/[\s:]+/).filter((w) => w.length >= 4);
  const runs = words.flatMap((w) => Array.from({ length: Math.max(0, w.length - 5) }, (_, i) => w.slice(i, i + 6)));
  return [...words, ...runs];
}

describe('security: psk.txt lines never reach the log (issue 11 item 8)', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'uipsec-psklog-'));
    writeFileSync(join(dir, 'psk.txt'), PSK, { mode: 0o600 });
    writeFileSync(
      join(dir, 'racoon.conf'),
      `path pre_shared_key "${join(dir, 'psk.txt')}";\nlisten { adminsock disabled; }\n` +
        'remote anonymous { exchange_mode main; proposal { encryption_algorithm aes 128; hash_algorithm sha256; ' +
        'authentication_method pre_shared_key; dh_group modp2048; } }\n',
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('racoon names the bad lines by number and logs no part of them (stderr and -l file)', async () => {
    const log = join(dir, 'racoon.log');
    // No uipsecd at that socket: racoon reads psk.txt, logs its errors, then stops (exit 1).
    const nosock = join(dir, 'none', 'pfkey.sock');
    const toStderr = await runCommand('racoon', ['-F', '-d', '-f', join(dir, 'racoon.conf'), '--socket', nosock]);
    const toFile = await runCommand('racoon', [
      '-F',
      '-d',
      '-f',
      join(dir, 'racoon.conf'),
      '-l',
      log,
      '--socket',
      nosock,
    ]);
    const outputs = { stderr: toStderr.out + toStderr.err, '-l file': readFileSync(log, 'utf8') + toFile.err };
    for (const [where, text] of Object.entries(outputs)) {
      const lines = text.split('\n').filter((l) => l.includes('psk.txt'));
      console.log(`      ${where}:\n${lines.map((l) => `        ${l}`).join('\n')}`);
      for (const n of Object.keys(BAD_LINES)) assert.match(text, new RegExp(`psk\\.txt:${n}: `), `${where}: line ${n}`);
      for (const [n, line] of Object.entries(BAD_LINES))
        for (const p of pieces(line)) assert.ok(!text.includes(p), `${where}: '${p}' of line ${n} is in the log`);
      assert.ok(!text.includes('Hw8G00dKyPx') && !text.includes('Jb4F1rstKyQz'), `${where}: a good key leaked`);
    }
  });

  it('a psk.txt with only bad lines: the refusal to start quotes none of them either', async () => {
    const only = join(dir, 'only-bad.txt');
    writeFileSync(only, `${BAD_LINES[3]}\n${BAD_LINES[4]}\n`, { mode: 0o600 });
    const conf = join(dir, 'only-bad.conf');
    writeFileSync(conf, readFileSync(join(dir, 'racoon.conf'), 'utf8').replace(join(dir, 'psk.txt'), only));
    const r = await runCommand('racoon', ['-F', '-f', conf, '--socket', join(dir, 'none', 'pfkey.sock')]);
    console.log(`      ${r.err.trim().split('\n').join('\n      ')}`);
    assert.equal(r.code, 1);
    assert.match(r.err, /refusing to start: .*only-bad\.txt:1: /);
    for (const line of [BAD_LINES[3]!, BAD_LINES[4]!]) for (const p of pieces(line)) assert.ok(!r.err.includes(p), p);
  });
});
