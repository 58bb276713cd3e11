// fast-check fuzz of the racoon.conf parser with a fixed seed: mutated fixture files and random
// token soup must give a config plus ConfigErrors with sane positions — never another exception or a hang.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { fixturePath } from '../support/codec-check.js';
import { ConfigError } from '../../../../common/errors.js';
import { keywordList } from '../../../../racoon/conf/keywords.js';
import { parseRacoonConf, type ConfFs } from '../../../../racoon/conf/parser.js';
import { validateRacoonConf } from '../../../../racoon/conf/validate.js';

const SLOW = Boolean(process.env.UIPSEC_SLOW);
const SEED = 0x2ac00;
const FIXTURES = [
  'psk-minimal.conf',
  'full.conf',
  'inherit.conf',
  'roadwarrior-server.conf',
  'ipv6.conf',
  'later-features.conf',
  'roadwarrior-client.conf',
  'gssapi.conf',
  'compat.conf',
  'errors/syntax.conf',
  'errors/semantic.conf',
];

/** An in-memory file system: includes resolve to two tiny files or ENOENT, never the real disk. */
const memFs: ConfFs = {
  readFile(p) {
    if (p.endsWith('/a.conf')) return 'log debug;\n';
    if (p.endsWith('/self.conf')) return 'include "self.conf";\n';
    throw Object.assign(new Error('not found'), { code: 'ENOENT' });
  },
  readdir: () => ['a.conf', 'self.conf'],
};

function checkText(text: string): void {
  let errors: ConfigError[];
  try {
    const r = parseRacoonConf(text, '/fuzz/fuzz.conf', memFs);
    errors = [...r.errors, ...validateRacoonConf(r.conf)];
  } catch (e) {
    assert.fail(`parser threw ${String(e)} on ${JSON.stringify(text.slice(0, 300))}`);
  }
  const lines = text.split('\n').length;
  for (const e of errors) {
    assert.ok(e instanceof ConfigError);
    assert.ok(e.file.startsWith('/fuzz/'), e.message);
    if (e.file === '/fuzz/fuzz.conf')
      assert.ok(e.line >= 1 && e.line <= lines, `line ${e.line} of ${lines}: ${e.message}`);
  }
}

const PIECES = [
  ...keywordList(),
  '{',
  '}',
  ';',
  ',',
  '"',
  '"x"',
  '[500]',
  '[any]',
  '=',
  '(',
  ')',
  '10sec',
  '/24',
  'aes_256',
  '"a\nb"',
  '[',
  ']',
  '#',
  '\n',
  ' ',
  '\t',
  '0',
  '65536',
  '0x10',
  '192.0.2.1',
  '10.0.0.0/8',
  '2001:db8::1',
  'on',
  'off',
  'aes',
  '3des',
  '256',
  'sec',
  'min',
  'hour',
  'KB',
  'sha1',
  'modp1024',
  'pre_shared_key',
  'hmac_sha1',
  'deflate',
  'anonymous',
  'address',
  'subnet',
  'any',
  'tcp',
  '"a.conf"',
  '"self.conf"',
  '\u0000',
  'é',
  '__proto__',
];

type Edit = [kind: number, pos: number, pick: number];

function applyEdits(src: string, edits: Edit[]): string {
  let s = src;
  for (const [kind, p, pick] of edits) {
    const pos = s.length === 0 ? 0 : p % s.length;
    const piece = PIECES[pick % PIECES.length]!;
    if (kind === 0)
      s = s.slice(0, pos) + piece + s.slice(pos); // insert a token or punctuation
    else if (kind === 1)
      s = s.slice(0, pos) + s.slice(pos + 1 + (pick % 12)); // delete a few characters
    else if (kind === 2)
      s = s.slice(0, pos) + String.fromCharCode(pick % 128) + s.slice(pos + 1); // replace a char
    else {
      const end = s.indexOf('\n', pos);
      s = s.slice(0, pos) + (end < 0 ? '' : s.slice(end));
    } // cut to end of line
  }
  return s;
}

describe('racoon/conf fuzz (fast-check, fixed seed)', () => {
  const texts = FIXTURES.map((f) => readFileSync(fixturePath('conf', f), 'utf8'));

  it(`${SLOW ? '300,000' : '20,000'} mutated fixture files: ConfigErrors with positions, nothing thrown`, () => {
    fc.assert(
      fc.property(
        fc.nat({ max: texts.length - 1 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.nat(), fc.nat()), { minLength: 1, maxLength: 6 }),
        (i, edits) => {
          checkText(applyEdits(texts[i]!, edits));
        },
      ),
      { seed: SEED, numRuns: SLOW ? 300_000 : 20_000, endOnFailure: true },
    );
  });

  it(`${SLOW ? '100,000' : '5,000'} random token sequences`, () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: PIECES.length - 1 }), { maxLength: 60 }),
        fc.array(fc.constantFrom(' ', '\n', ''), { minLength: 60, maxLength: 60 }),
        (picks, seps) => {
          checkText(picks.map((p, k) => PIECES[p]! + seps[k]!).join(' '));
        },
      ),
      { seed: SEED + 1, numRuns: SLOW ? 100_000 : 5_000, endOnFailure: true },
    );
  });

  it('pathological inputs: deep nesting, long lines, unbalanced braces', () => {
    checkText('remote 192.0.2.1 '.repeat(1) + '{'.repeat(5000) + '}'.repeat(4000));
    checkText('}'.repeat(10000));
    checkText('sainfo anonymous { encryption_algorithm ' + 'aes, '.repeat(5000) + 'aes; }');
    checkText('"'.repeat(9999));
    checkText('['.repeat(5000) + ']'.repeat(5000));
    checkText('include "self.conf";\n'.repeat(50));
  });
});
