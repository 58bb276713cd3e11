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

  it("a forgotten ';' is reported at the end of its own line, not as an error about the next command", () => {
    const msgs = (lines: string[]) =>
      [...joinStatements(lines)].flatMap((st) => parseJoined(st).errors.map((e) => e.message));
    assert.deepEqual(msgs(['spdadd 10.0.0.1 10.0.0.2 any -P out ipsec esp/transport//require', 'flush;']), [
      "line 1: missing ';' at the end of the statement near 'esp/transport//require'",
    ]);
    assert.deepEqual(
      msgs(['spdadd 10.0.0.1 10.0.0.2 any -P out none', '', 'spdadd 10.0.0.2 10.0.0.1 any -P in none;']),
      ["line 1: missing ';' at the end of the statement near 'none'"],
    );
    // The key before the missing ';' is never quoted.
    const key = msgs(['add 10.0.0.1 10.0.0.2 esp 0x100 -E aes-cbc 0x00112233445566778899aabbccddeeff', 'flush;']);
    assert.equal(key.length, 1);
    assert.match(key[0]!, /^line 1: missing ';' at the end of the statement/);
    assert.doesNotMatch(key[0]!, /0011223344/);
    // A statement that is fine across lines, and an error that is not a lost ';', stay as they were.
    assert.deepEqual(msgs(['spdadd 10.0.0.1 10.0.0.2 any', '-P out none;']), []);
    assert.deepEqual(msgs(['add 10.0.0.1 10.0.0.2 esp 0x1000', '  -E aes-cbc 0x00;']).length, 1);
  });
});
