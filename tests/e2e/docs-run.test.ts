// The quickstart and every example, run from their Markdown as written (tests/e2e/doctest.ts has the
// convention): the shipped commands (node bin/uipsecd, bin/setkey, bin/racoon, bin/uipsec, tshark) as separate
// processes in one bash, block by block, each block's exit statuses and output checked as its comment says.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './support.js';
import { DocShell, doctestSkipReason, missingPrograms, parseDoc } from './doctest.js';

const ROOT = repoRoot();
const SKIP = doctestSkipReason(ROOT);
/** Bound on one block (a hang, not a measurement: blocks take seconds). */
const BLOCK_BOUND_MS = 120_000;

const DOCS = [
  'docs/quickstart.md',
  ...readdirSync(join(ROOT, 'examples'))
    .filter((d) => existsSync(join(ROOT, 'examples', d, 'README.md')))
    .sort()
    .map((d) => `examples/${d}/README.md`),
];

describe('docs run as written: the quickstart and the examples', function () {
  this.timeout(BLOCK_BOUND_MS * 2);

  it('every ```sh block of these documents says how it is tested (a doctest comment)', () => {
    const bare: string[] = [];
    for (const doc of DOCS)
      for (const b of parseDoc(readFileSync(join(ROOT, doc), 'utf8')))
        if (b.lang === 'sh' && !b.directive) bare.push(`${doc}:${b.line}`);
    assert.deepEqual(bare, []);
    assert.ok(DOCS.length >= 6, DOCS.join(' '));
  });

  for (const doc of DOCS) {
    describe(`${doc}${SKIP ? ` (skipped: ${SKIP})` : ''}`, function () {
      const blocks = parseDoc(readFileSync(join(ROOT, doc), 'utf8')).filter((b) => b.directive);
      let sh: DocShell | undefined;
      let broken = '';

      before(function () {
        if (SKIP) this.skip();
        sh = new DocShell(ROOT);
      });
      after(async () => {
        await sh?.close();
      });

      blocks.forEach((b, n) => {
        const d = b.directive!;
        const what = d.file ? `writes ${d.file}` : b.body.trim().split('\n')[0]!.slice(0, 70);
        const needs = missingPrograms(d.needs);
        const why = d.skip ?? (needs.length ? `${needs.join(', ')} not installed` : '');
        it(`line ${b.line}: ${what}${why ? ` (skipped: ${why})` : ''}`, async function () {
          if (SKIP || why) return this.skip();
          if (broken) return this.skip(); // an earlier block failed: what follows depends on it
          broken = `line ${b.line}`;
          if (d.file) {
            sh!.writeFile(d.file, b.body);
            broken = '';
            return;
          }
          const from = sh!.text.length;
          const r = await sh!.run(n, b.body, BLOCK_BOUND_MS);
          assert.equal(r.fails, '', `${doc}:${b.line}: a command failed (${r.fails}):\n${r.out}`);
          assert.equal(r.last, d.status, `${doc}:${b.line}: the last command exited ${r.last}:\n${r.out}`);
          for (const re of d.expect) assert.match(r.out, re, `${doc}:${b.line}: no ${re} in:\n${r.out}`);
          for (const re of d.wait) await sh!.waitFor(re, from, BLOCK_BOUND_MS);
          broken = '';
        });
      });
    });
  }
});
