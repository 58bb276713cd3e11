// Issue 11 item 11: setkey's syntax errors quoted up to 35 hex digits of a key (all of a 128-bit one). The
// mistakes people make around keys (a bad digit, a missing ';', a key too many, a key where an algorithm
// goes, an unterminated quoted key, a missing 0x) go through `setkey -n -f` and `setkey -n -c` as processes,
// then 3,000 mutated statements through the parser (fixed seed): no diagnostic may hold 6 characters in a row
// of a key, and every hidden token is located by column. racoon -C likewise never quotes a string back.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSetkey } from '../../setkey/parser.js';
import { runCommand } from './support.js';

const ENC = '9c3e0fa1b27d4e58a6c1f0937be2d415';
const AUTH = '5f2a8c71e04b9d36a1c8e72f09b4d6a3e8c15f7092ab4c6d1e3f5a7b9c0d2e4f';
const QUOTED = 'Qz7pass-phrase-Kw4';

/** Every 6-character run of each secret: none may appear in a diagnostic. */
const WINDOWS = [ENC, AUTH, QUOTED].flatMap((k) => Array.from({ length: k.length - 5 }, (_, i) => k.slice(i, i + 6)));
const leaks = (text: string) => WINDOWS.filter((w) => text.includes(w));

const MISTAKES = [
  `add 10.0.0.1 10.0.0.2 esp 0x1001 -E aes-cbc 0x${ENC}zz -A hmac-sha256 0x${AUTH};`,
  `add 10.0.0.1 10.0.0.2 esp 0x1002 -E aes-cbc 0x${ENC} -A hmac-sha256 0x${AUTH}`,
  `add 10.0.0.1 10.0.0.2 esp 0x1003 -E aes-cbc 0x${ENC} 0x${AUTH};`,
  `add 10.0.0.1 10.0.0.2 esp 0x1004 -A 0x${AUTH};`,
  `add 10.0.0.1 10.0.0.2 esp 0x1005 -E aes-cbc ${ENC};`,
  `add 10.0.0.1 10.0.0.2 esp 0x1006 -E aes-cbc "${QUOTED}" "${QUOTED}";`,
  `add 10.0.0.1 10.0.0.2 esp 0x1007 -E aes-cbc "${QUOTED}`,
];

describe('security: diagnostics never quote key material (issue 11 item 11)', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'uipsec-diagkeys-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('setkey -n -f and -n -c: an error per mistake, located by line and column, no key in it', async () => {
    const file = join(dir, 'keys.conf');
    writeFileSync(file, MISTAKES.join('\n') + '\n');
    const f = await runCommand('setkey', ['-n', '-f', file]);
    const c = await runCommand('setkey', ['-n', '-c'], { stdin: MISTAKES.join('\n') + '\n' });
    for (const [what, r] of [
      ['-f', f],
      ['-c', c],
    ] as const) {
      console.log(`      setkey -n ${what}:\n${r.err.trim().replace(/^/gm, '        ')}`);
      assert.equal(r.code, 1);
      assert.deepEqual(leaks(r.err), [], `setkey -n ${what}`);
      assert.match(r.err, /at column \d+ \(not shown: may be key material\)/);
    }
    // -f goes on after an error (ipsec-tools' resync at ';'): one error a line; line 2's is the missing ';',
    // said at the end of its statement (column only: the last word is a key).
    assert.deepEqual(
      [...f.err.matchAll(/keys\.conf:(\d+):/g)].map((m) => Number(m[1])),
      [1, 2, 3, 4, 5, 6, 7],
    );
    assert.match(f.err, /keys\.conf:2: missing ';' at the end of the statement at column \d+ \(not shown/);
  });

  it('3,000 mutated statements around keys: no diagnostic holds a piece of a key (fixed seed)', () => {
    const tokens = ['add', '10.0.0.1', '10.0.0.2', 'esp', '0x1001', '-E', 'aes-cbc', `0x${ENC}`, '-A'];
    const base = [...tokens, 'hmac-sha256', `0x${AUTH}`, ';'];
    const keyish = [`0x${ENC}`, `0x${AUTH}`, ENC, `"${QUOTED}"`, `"${QUOTED}`, `0x${ENC}g`, `0x${AUTH.slice(1)}`];
    const mutation = fc.oneof(
      fc.record({ op: fc.constant('drop' as const), at: fc.nat(base.length - 1) }),
      fc.record({ op: fc.constant('dup' as const), at: fc.nat(base.length - 1) }),
      fc.record({ op: fc.constant('swap' as const), at: fc.nat(base.length - 2) }),
      fc.record({ op: fc.constant('key' as const), at: fc.nat(base.length - 1), k: fc.constantFrom(...keyish) }),
    );
    let errors = 0,
      hidden = 0;
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ms) => {
        const t = [...base];
        for (const m of ms) {
          const at = Math.min(m.at, t.length - 1);
          if (m.op === 'drop') t.splice(at, 1);
          else if (m.op === 'dup') t.splice(at, 0, t[at]!);
          else if (m.op === 'swap' && at + 1 < t.length) [t[at], t[at + 1]] = [t[at + 1]!, t[at]!];
          else if (m.op === 'key') t[at] = m.k;
        }
        const r = parseSetkey(t.join(' ') + '\n', { file: 'x.conf' });
        for (const e of [...r.errors, ...r.warnings]) {
          errors++;
          if (e.message.includes('not shown')) hidden++;
          assert.deepEqual(leaks(e.message), [], e.message);
        }
      }),
      { seed: 11, numRuns: 3000 },
    );
    console.log(`      ${errors} diagnostics, ${hidden} of them with the token hidden; none holds a piece of a key`);
    assert.ok(hidden > 0);
  });

  it('racoon -C: a misplaced quoted string (ldapcfg/radiuscfg secrets are strings) is located, not quoted', async () => {
    const conf = join(dir, 'racoon.conf');
    writeFileSync(
      conf,
      [
        `"${QUOTED}";`,
        `remote 10.0.0.2 { my_identifier fqdn "gw.example" "${QUOTED}"; }`,
        `timer { counter 0x${ENC}; }`,
        `ldapcfg { bind_pw "${QUOTED}" }`,
      ].join('\n') + '\n',
    );
    const r = await runCommand('racoon', ['-C', '-f', conf]);
    console.log(`      racoon -C:\n${r.err.trim().replace(/^/gm, '        ')}`);
    assert.equal(r.code, 1);
    assert.deepEqual(leaks(r.out + r.err), []);
    assert.match(r.err, /racoon\.conf:1: expected a directive, found a quoted string at column 1 \(not shown\)/);
    assert.match(r.err, /racoon\.conf:3: counter out of range .*; the value at column 17 is not shown/);
  });
});
