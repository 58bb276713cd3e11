// `setkey -c`: lines joined until a `;` (ipsec-tools setkey.c stdin_loop), comments cut per line.
import { strict as assert } from 'node:assert';
import { StatementJoiner, joinStatements, parseJoined } from '../../../setkey/stdin-joiner.js';

describe('setkey/stdin-joiner: the -c line joiner', () => {
  it('joins lines with one space until a ; and cuts # comments per line', () => {
    const got = [
      ...joinStatements([
        'add 10.0.0.1 10.0.0.2 esp 0x1000   # first part',
        '',
        '# a whole comment line; with a semicolon',
        '  -E null;',
        'flush; dump',
        ' esp;spddump;',
        'spdflush',
      ]),
    ];
    assert.deepEqual(
      got.map((s) => s.text),
      ['add 10.0.0.1 10.0.0.2 esp 0x1000      -E null;', 'flush;', ' dump  esp;', 'spddump;'],
    );
    assert.deepEqual(
      got.map((s) => [s.firstLine, s.lastLine]),
      [
        [1, 4],
        [5, 5],
        [5, 6],
        [6, 6],
      ],
    );
  });

  it('keeps text without ; pending (dropped at end of input, as ipsec-tools does)', () => {
    const j = new StatementJoiner();
    assert.deepEqual(j.push('spdflush'), []);
    assert.equal(j.pending(), 'spdflush');
    assert.deepEqual(j.push('').length, 0);
    assert.equal(j.push(';')[0]!.text, 'spdflush ;');
    assert.equal(j.pending(), '');
  });

  it('a line that is only blanks still joins (only empty lines are skipped)', () => {
    const got = [...joinStatements(['flush', '   ', ';'])];
    assert.equal(got[0]!.text, 'flush     ;');
  });

  it('maps error columns back to the physical line that was typed', () => {
    const sts = [...joinStatements(['add 10.0.0.1 10.0.0.2 esp 0x1000', '  -E aes-cbc 0x00;', 'bogus;'])];
    const r1 = parseJoined(sts[0]!);
    assert.deepEqual(
      r1.errors.map((e) => e.message),
      ["line 2: invalid key length 8 bits for aes-cbc, which takes 128, 192 or 256 bits near 'aes-cbc'"],
    );
    const r2 = parseJoined(sts[1]!);
    assert.deepEqual(
      r2.errors.map((e) => e.message),
      ["line 3: syntax error: unknown command near 'bogus'"],
    );
    const ok = parseJoined([...joinStatements(['', 'spdadd 10.0.0.1 10.0.0.2 any', '-P out none;'])][0]!);
    assert.deepEqual(ok.errors, []);
    assert.deepEqual([ok.statements[0]!.line, ok.statements[0]!.endLine], [2, 3]);
  });
});
