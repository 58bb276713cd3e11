// Comments, docs and golden-file headers cite public sources (an RFC, a manual page, an ipsec-tools or BSD
// source file), never notes that live outside the repository: a reader must be able to open what is cited.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '../support/root.js';

const root = repoRoot();
const SKIP = new Set(['node_modules', 'dist', '.git']);
const TEXT = /\.(ts|js|mjs|md|py|txt|json|conf|inc)$|^run$/;
/** Paths and names of notes kept outside the repository. */
const PRIVATE = /\/work\/|shared\/reference|reference\/[\w-]+\.md|\b(perf|peer)-notes\b|STYLE habit/;

function textFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...textFiles(p));
    else if (TEXT.test(name)) out.push(p);
  }
  return out;
}

describe('architecture: citations are public', () => {
  it('the pattern catches the forms it is meant for', () => {
    for (const s of ['see /work/shared/x.md', 'shared/reference/setkey.md §4', '(reference/pfkey.md §5)', 'peer-notes'])
      assert.match(s, PRIVATE, s);
    for (const s of ['RFC 2367 §3.1.1', 'docs/setkey.md', 'ipsec-tools src/libipsec/pfkey_dump.c', 'a reference SPD'])
      assert.doesNotMatch(s, PRIVATE, s);
  });

  it('no source, doc or fixture cites a note outside the repository', () => {
    const bad: string[] = [];
    for (const f of textFiles(root)) {
      if (f === join(root, 'tests', 'arch', 'citations.test.ts')) continue;
      readFileSync(f, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (PRIVATE.test(line)) bad.push(`${relative(root, f)}:${i + 1}: ${line.trim()}`);
        });
    }
    assert.deepEqual(bad, [], `cite an RFC, a man page or a public source file instead:\n${bad.join('\n')}`);
  });
});
