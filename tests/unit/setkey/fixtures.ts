// Locates tests/fixtures/setkey from the repository root (found by walking up to package.json),
// so the tests run from source (tsx) and compiled (dist/tests/...).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../support/root.js';

export { repoRoot };

/** A golden output: the file's text after its `# source` header and the `---` line. */
export function golden(name: string): string {
  const text = readFileSync(join(repoRoot(), 'tests', 'fixtures', 'setkey', name), 'utf8');
  const cut = text.indexOf('\n---\n');
  if (cut < 0 || !text.startsWith('# source:'))
    throw new Error(`${name}: golden files start with '# source:' and a '---' line`);
  return text.slice(cut + 5);
}

export function fixtureText(name: string): string {
  return readFileSync(join(repoRoot(), 'tests', 'fixtures', 'setkey', name), 'utf8');
}
