// Every source file stays under MAX_LINES lines (STYLE: "Target under 400 lines per file"; issue 12: "no source
// file over 400 lines"), so the file list keeps telling a newcomer what each file holds. A file that grows past
// the limit is split by concern (small files named for what they hold), not cut in half.
//
// Scanned: every .ts file of the repository outside tests/, dist/, node_modules/ and hidden directories
// (.git): the library, the tools, bench/ and examples/. Test files are not held to it: a test file is a list
// of cases, read one case at a time. An exception names its file and why it cannot be split yet; one that no
// longer applies (the file is gone or back under the limit) fails too, so the list only shrinks.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '../support/root.js';

const MAX_LINES = 400;
const SKIPPED_DIRS = new Set(['tests', 'dist', 'node_modules']);

/** Files allowed past MAX_LINES, by path from the repository root, each with the reason it cannot be split. */
const EXCEPTIONS: Readonly<Record<string, string>> = {};

/** The .ts files under `dir`, skipping SKIPPED_DIRS at the top and hidden directories anywhere. */
export function sourceFiles(root: string, dir = root): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name.startsWith('.') || (dir === root && SKIPPED_DIRS.has(e.name))) continue;
      out.push(...sourceFiles(root, p));
    } else if (e.isFile() && e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Lines as `wc -l` counts them: newline characters (a last line without one counts too). */
export function lineCount(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return text.length > 0 && !text.endsWith('\n') ? n + 1 : n;
}

describe('arch: source file size', () => {
  const root = repoRoot();
  const files = sourceFiles(root).map((p) => {
    const path = relative(root, p);
    return { path, lines: lineCount(readFileSync(p, 'utf8')) };
  });

  it('counts lines as wc -l does', () => {
    assert.equal(lineCount(''), 0);
    assert.equal(lineCount('a\n'), 1);
    assert.equal(lineCount('a\nb'), 2);
    assert.equal(lineCount('a\n\nb\n'), 3);
  });

  it('scans the library, the tools and the benchmarks, not the tests or the build', () => {
    const paths = new Set(files.map((f) => f.path));
    for (const p of ['racoon/daemon.ts', 'kernel/host/host.ts', 'setkey/main.ts', 'common/bytes.ts'])
      assert.ok(paths.has(p), `${p} not scanned`);
    assert.ok(
      files.some((f) => f.path.startsWith('bench/')),
      'bench/ not scanned',
    );
    for (const f of files) assert.ok(!/^(tests|dist|node_modules)\//.test(f.path), `${f.path} scanned`);
    assert.ok(files.length > 300, `only ${files.length} files scanned`);
  });

  it(`has no source file over ${MAX_LINES} lines`, () => {
    const over = files
      .filter((f) => f.lines > MAX_LINES && !Object.hasOwn(EXCEPTIONS, f.path))
      .sort((a, b) => b.lines - a.lines)
      .map((f) => `${f.path}: ${f.lines} lines`);
    assert.deepEqual(over, [], `split these by concern:\n${over.join('\n')}`);
  });

  it('lists only exceptions that are still needed', () => {
    const byPath = new Map(files.map((f) => [f.path, f.lines]));
    for (const [path, reason] of Object.entries(EXCEPTIONS)) {
      assert.ok(reason.length > 0, `${path}: an exception needs a reason`);
      const lines = byPath.get(path);
      assert.ok(lines !== undefined && lines > MAX_LINES, `${path} no longer needs its exception`);
    }
  });
});
