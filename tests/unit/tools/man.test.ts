// The man pages (tools/md-roff.ts, tools/build-man.ts): the converter on small documents; every page generated
// from docs/commands renders with groff -ww and `man --warnings -l` without a warning; each command's page names
// every option its --help lists; the config file pages cover the keywords their parsers know, and their examples
// are accepted by those parsers; package.json's "man" lists exactly the pages the build writes.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManSourceError, escapeRoff, markdownToMan } from '../../../tools/md-roff.js';
import { buildManPages } from '../../../tools/build-man.js';
import { helpTexts, optionsOf } from '../../support/help-texts.js';
import { keywordList } from '../../../racoon/conf/keywords.js';
import { parseRacoonConf } from '../../../racoon/conf/parser.js';
import { validateRacoonConf } from '../../../racoon/conf/validate.js';
import { applyConfigText, defaultConfig } from '../../../kernel/daemon/config.js';
import { repoRoot } from '../../support/root.js';

const O = { source: 'x.md', version: '9.9.9' };

/** The text of a roff page with the escapes we emit undone (what a reader sees, near enough). */
function plain(roff: string): string {
  return roff
    .replace(/\\f[BIR]/g, '')
    .replace(/\\-/g, '-')
    .replace(/\\e/g, '\\')
    .replace(/\\&/g, '');
}

function hasTool(cmd: string): boolean {
  return !spawnSync(cmd, ['--version']).error;
}

describe('man pages: Markdown to roff', () => {
  it('escapes backslashes, hyphens and non-ASCII characters', () => {
    assert.equal(escapeRoff('a\\b -x → é'), 'a\\eb \\-x \\[u2192] \\[u00E9]');
  });

  it('title, synopsis, description, options table, list, code block, see also', () => {
    const md = [
      '# tool(8) — does `things`',
      '',
      '```',
      'tool [-a] FILE',
      '```',
      '',
      'It does **things**.',
      '.starts with a dot',
      '',
      '## Options',
      '',
      '| option | meaning |',
      '|---|---|',
      '| `-a` | all of them \\| some |',
      '',
      '- one',
      '  continued',
      '- two',
      '',
      '<!-- doctest: a directive that man pages leave out -->',
      '```',
      '.hidden request?',
      'tool -a x',
      '```',
    ].join('\n');
    const p = markdownToMan(md, { ...O, seeAlso: ['other(5)', 'more(8)'] });
    assert.equal(p.name, 'tool');
    assert.equal(p.section, '8');
    assert.equal(
      p.roff,
      [
        '.\\" Generated from x.md by tools/build-man.ts (npm run build); edit the Markdown, not this file.',
        '.TH "TOOL" 8 "" "uipsec 9.9.9" "System Manager\'s Manual"',
        '.SH NAME',
        'tool \\- does \\fBthings\\fR',
        '.SH "SYNOPSIS"',
        '.nf',
        'tool [\\-a] FILE',
        '.fi',
        '.SH "DESCRIPTION"',
        'It does \\fBthings\\fR.',
        '\\&.starts with a dot',
        '.SH "OPTIONS"',
        '.TP',
        '\\fB\\-a\\fR',
        'all of them | some',
        '.IP \\(bu 2',
        'one',
        'continued',
        '.IP \\(bu 2',
        'two',
        '.PP',
        '.RS 4',
        '.nf',
        '\\&.hidden request?',
        'tool \\-a x',
        '.fi',
        '.RE',
        '.SH "SEE ALSO"',
        '.BR other (5),',
        '.BR more (8)',
        '',
      ].join('\n'),
    );
  });

  it('refuses a document outside the subset, with file:line', () => {
    assert.throws(() => markdownToMan('# no section — x\n', O), ManSourceError);
    assert.throws(() => markdownToMan('# t(8) — x\n\n```\nopen\n', O), /x\.md:3: code block without its closing/);
  });
});

describe('man pages: generated from docs/commands', function () {
  const pages = buildManPages();
  const dir = mkdtempSync(join(tmpdir(), 'uipsec-man-'));
  const file = (p: (typeof pages)[number]) => join(dir, `${p.name}.${p.section}`);
  before(() => {
    for (const p of pages) writeFileSync(file(p), p.roff);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('one page per command (section 8) and per configuration file (section 5)', () => {
    assert.deepEqual(pages.map((p) => `${p.name}(${p.section})`).sort(), [
      'racoon(8)',
      'racoon.conf(5)',
      'racoonctl(8)',
      'setkey(8)',
      'uipsec(8)',
      'uipsecd(8)',
      'uipsecd.conf(5)',
    ]);
  });

  it('package.json "man" lists exactly the pages the build writes (dist/man/NAME.N)', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { man?: string[] };
    assert.deepEqual([...(pkg.man ?? [])].sort(), pages.map((p) => `./dist/man/${p.name}.${p.section}`).sort());
  });

  it('groff -man -ww renders every page without a warning', function () {
    if (!hasTool('groff')) this.skip(); // groff not installed (Debian package: groff-base)
    for (const p of pages) {
      const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z', file(p)], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${p.name}: ${r.stderr}`);
      assert.equal(r.stderr, '', `${p.name}(${p.section}) warnings`);
    }
  });

  it('man --warnings -l formats every page, NAME and SYNOPSIS first', function () {
    if (!hasTool('man')) this.skip(); // man not installed (Debian package: man-db)
    for (const p of pages) {
      const r = spawnSync('man', ['--warnings', '-l', file(p)], {
        encoding: 'utf8',
        env: { ...process.env, MANPAGER: 'cat', PAGER: 'cat', MANWIDTH: '100', LC_ALL: 'C.UTF-8' },
      });
      assert.equal(r.status, 0, `${p.name}: ${r.stderr}`);
      assert.equal(r.stderr, '', `${p.name}(${p.section}) warnings`);
      assert.match(r.stdout, new RegExp(`^NAME\\n +${p.name.replace('.', '\\.')} - \\S`, 'm'));
      assert.ok(r.stdout.indexOf('SYNOPSIS') < r.stdout.indexOf('DESCRIPTION'), `${p.name}: SYNOPSIS first`);
    }
  });

  it("each command's page names every option of its --help", async () => {
    const help = await helpTexts();
    const byName = new Map(pages.map((p) => [p.name, plain(p.roff)]));
    const missing: string[] = [];
    for (const [cmd, text] of Object.entries(help)) {
      const page = byName.get(cmd.split(' ')[0]!)!;
      for (const o of optionsOf(text)) {
        if (!new RegExp(`(?<![\\w-])${o}(?![\\w-])`).test(page)) missing.push(`${cmd}: ${o}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it('racoon.conf(5) names every racoon.conf keyword, and its examples parse and validate', () => {
    const page = plain(pages.find((p) => p.name === 'racoon.conf')!.roff);
    const missing = keywordList().filter((k) => !new RegExp(`(?<![\\w-])${k}(?![\\w-])`).test(page));
    assert.deepEqual(missing, []);
    const md = readFileSync(join(repoRoot(), 'docs/commands/racoon.conf.md'), 'utf8');
    const example = /## Example\n[^`]*```\n([^`]*)```/.exec(md)![1]!;
    const r = parseRacoonConf(example, 'example.conf');
    assert.deepEqual([...r.errors, ...validateRacoonConf(r.conf)], []);
  });

  it('uipsecd.conf(5): every statement it documents is one uipsecd knows; its examples load cleanly', () => {
    const md = readFileSync(join(repoRoot(), 'docs/commands/uipsecd.conf.md'), 'utf8');
    const documented = [...md.matchAll(/^\| `([a-z-]+)[ `]/gm)].map((m) => m[1]!);
    assert.ok(documented.length >= 12, documented.join(' '));
    for (const k of documented) {
      const errs = applyConfigText(defaultConfig({}), k, 'x.conf');
      assert.ok(
        errs.every((e) => !/unknown keyword/.test(e.message)),
        `${k}: ${errs.map((e) => e.message)}`,
      );
    }
    const blocks = [...md.matchAll(/```\n([^`]*)```/g)].map((m) => m[1]!).slice(1);
    assert.equal(blocks.length, 2);
    for (const b of blocks) assert.deepEqual(applyConfigText(defaultConfig({}), b, 'example.conf'), []);
  });
});
