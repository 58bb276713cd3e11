// Builds the man pages (npm run build): every docs/commands/*.md through tools/md-roff.ts into dist/man/NAME.N,
// the files package.json's "man" lists, so that `man setkey` works after `npm install -g`. No network, no
// dependency: the converter is ours.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot, packageVersion } from '../common/version.js';
import { markdownToMan, type ManPage } from './md-roff.js';

/** The Markdown sources of the man pages, relative to the package root. */
export function manSources(root = packageRoot()): string[] {
  return readdirSync(join(root, 'docs', 'commands'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => join('docs', 'commands', f));
}

/** `name(N)` of a source from its title line. */
function pageId(root: string, source: string): string {
  const m = /^# (\S+\(\d\))/.exec(readFileSync(join(root, source), 'utf8'));
  return m ? m[1]! : source;
}

/** Converts every source; each page's SEE ALSO lists the others. */
export function buildManPages(root = packageRoot()): ManPage[] {
  const sources = manSources(root);
  const ids = sources.map((s) => pageId(root, s));
  const version = packageVersion();
  return sources.map((source, i) =>
    markdownToMan(readFileSync(join(root, source), 'utf8'), {
      source,
      version,
      seeAlso: ids
        .filter((_, j) => j !== i)
        .sort((a, b) => a.slice(-2).localeCompare(b.slice(-2)) || a.localeCompare(b)),
    }),
  );
}

/** Writes the pages into `dir` (default dist/man); returns the file paths. */
export function writeManPages(dir = join(packageRoot(), 'dist', 'man')): string[] {
  mkdirSync(dir, { recursive: true });
  return buildManPages().map((p) => {
    const file = join(dir, `${p.name}.${p.section}`);
    writeFileSync(file, p.roff);
    return file;
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const files = writeManPages(process.argv[2]);
  process.stdout.write(`man pages: ${files.length} written to ${process.argv[2] ?? 'dist/man'}\n`);
}
