// psk.txt reader: the format of racoon's getpsk (identifier, blanks, key; `#` comments; 0x hex keys) and
// racoon's safefile() refusal of secrets files open to group or others.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPskMode, loadPskFile, lookupPsk, parsePskText, pskMatches } from '../../../racoon/psk.js';

const text = [
  '# peers of gw1',
  '192.0.2.2\tsimple-secret',
  '  2001:db8::2   key with  spaces ',
  '',
  'gw2.example.net 0x0102abcdef',
  'ops@example.org\t\t0XFFEE',
  'bad.example 0x123',
  'lonely.example',
  'lonely2.example   ',
  'hexbad 0xzz',
  '192.0.2.2 second-entry-for-same-id',
  'crlf.example secret\r',
].join('\n');

describe('racoon/psk', () => {
  it('parses identifiers and keys, hex keys, comments and blank lines', () => {
    const f = parsePskText(text, 'psk.txt');
    assert.deepEqual(
      f.entries.map((e) => [e.id, Buffer.from(e.key).toString('latin1'), e.line]),
      [
        ['192.0.2.2', 'simple-secret', 2],
        ['2001:db8::2', 'key with  spaces ', 3],
        ['gw2.example.net', '\x01\x02\xab\xcd\xef', 5],
        ['ops@example.org', '\xff\xee', 6],
        ['crlf.example', 'secret', 12],
      ],
    );
  });

  it('reports each bad line as file:line', () => {
    const f = parsePskText(text, 'psk.txt');
    assert.deepEqual(
      f.errors.map((e) => e.message),
      [
        'psk.txt:7: bad hex key (needs an even number of hex digits after 0x)',
        'psk.txt:8: not IDENTIFIER <blanks> KEY (the line is not shown: it may hold a key)',
        'psk.txt:9: not IDENTIFIER <blanks> KEY (the line is not shown: it may hold a key)',
        'psk.txt:10: bad hex key (needs an even number of hex digits after 0x)',
        'psk.txt:11: same identifier as line 2; this line is ignored',
      ],
    );
  });

  it('looks keys up by exact identifier and compares in constant time', () => {
    const f = parsePskText(text, 'psk.txt');
    assert.equal(Buffer.from(lookupPsk(f, '192.0.2.2')!).toString(), 'simple-secret');
    assert.equal(lookupPsk(f, '192.0.2.20'), undefined);
    assert.equal(lookupPsk(f, '192.0.2'), undefined);
    assert.ok(pskMatches(f, 'ops@example.org', Uint8Array.of(0xff, 0xee)));
    assert.ok(!pskMatches(f, 'ops@example.org', Uint8Array.of(0xff, 0xef)));
    assert.ok(!pskMatches(f, 'nobody', Uint8Array.of(0xff, 0xee)));
  });

  it('refuses a file with any group/other permission, and one owned by someone else', () => {
    assert.equal(checkPskMode({ mode: 0o100600, uid: 1000 }, 'p', 1000), undefined);
    assert.equal(checkPskMode({ mode: 0o100400, uid: 0 }, 'p', 1000), undefined);
    for (const mode of [0o640, 0o604, 0o620, 0o602, 0o644, 0o666, 0o610]) {
      const e = checkPskMode({ mode: 0o100000 | mode, uid: 1000 }, 'p', 1000);
      assert.ok(e, mode.toString(8));
      assert.match(e.message, new RegExp(`has mode 0${mode.toString(8)}: group/others must have no access`));
    }
    assert.match(checkPskMode({ mode: 0o100600, uid: 1234 }, 'p', 1000)!.message, /owned by uid 1234/);
  });

  it('loads a real file only when its mode is 0600 (or stricter)', function () {
    if (process.platform === 'win32') this.skip();
    const dir = mkdtempSync(join(tmpdir(), 'uipsec-psk-'));
    try {
      const p = join(dir, 'psk.txt');
      writeFileSync(p, '10.0.0.1 s3cret\n');
      chmodSync(p, 0o644);
      const open = loadPskFile(p);
      assert.deepEqual(open.entries, []);
      assert.match(open.errors[0]!.message, /mode 0644/);
      chmodSync(p, 0o600);
      const ok = loadPskFile(p);
      assert.deepEqual(ok.errors, []);
      assert.equal(Buffer.from(lookupPsk(ok, '10.0.0.1')!).toString(), 's3cret');
      assert.match(loadPskFile(join(dir, 'absent.txt')).errors[0]!.message, /cannot stat: ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fuzz: 5,000 random psk files give entries and file:line errors, never an exception', () => {
    const piece = fc.constantFrom(
      '192.0.2.1',
      'a@b',
      '#',
      ' ',
      '\t',
      '0x',
      '0xab',
      'zz',
      'key',
      '\r',
      '',
      'é',
      '\u0000',
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.array(piece, { maxLength: 6 }).map((p) => p.join('')),
          { maxLength: 20 },
        ),
        (lines) => {
          const f = parsePskText(lines.join('\n'), 'r.txt');
          for (const e of f.errors) assert.ok(e.line >= 1 && e.line <= lines.length, e.message);
          for (const e of f.entries) {
            assert.ok(!/\s/.test(e.id) && e.id.length > 0 && !e.id.startsWith('#'));
            assert.ok(e.line >= 1 && e.line <= lines.length);
          }
          assert.equal(new Set(f.entries.map((e) => e.id)).size, f.entries.length);
        },
      ),
      { seed: 0x95c, numRuns: 5000 },
    );
  });
});
