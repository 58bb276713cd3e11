// Import-cycle test: the relative imports of every source file (type-only imports included, since a cycle
// of types still ties two files together for a reader) form a graph without cycles. Tarjan's strongly
// connected components; every component of more than one file, or a file importing itself, is reported.
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot } from '../support/root.js';
import { importSpecifiers } from './boundaries.test.js';

const root = repoRoot();
/** What tsconfig.json compiles: its `include` list (folders and single files). */
function sourceFiles(): string[] {
  const include = (JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')) as { include: string[] }).include;
  return include.flatMap((p) => {
    const abs = join(root, p);
    if (!existsSync(abs)) return [];
    return statSync(abs).isDirectory() ? tsFiles(abs) : [abs];
  });
}

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The source file a relative specifier names (`./x.js` -> `./x.ts`), or undefined outside the tree. */
function resolveSpec(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(from), spec);
  for (const c of [base.replace(/\.js$/, '.ts'), base + '.ts', join(base, 'index.ts')]) if (existsSync(c)) return c;
  return undefined;
}

/** file -> the files it imports. */
export function importGraph(files: readonly string[]): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of files) {
    const deps = importSpecifiers(readFileSync(f, 'utf8'))
      .map((s) => resolveSpec(f, s))
      .filter((d): d is string => d !== undefined);
    g.set(f, [...new Set(deps)]);
  }
  return g;
}

/** Strongly connected components with a cycle (Tarjan, iterative so deep chains cannot overflow the stack). */
export function cycles(g: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  let next = 0;
  for (const start of g.keys()) {
    if (index.has(start)) continue;
    const work: { v: string; i: number }[] = [{ v: start, i: 0 }];
    index.set(start, next);
    low.set(start, next++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const deps = g.get(top.v) ?? [];
      if (top.i < deps.length) {
        const w = deps[top.i++]!;
        if (!index.has(w)) {
          index.set(w, next);
          low.set(w, next++);
          stack.push(w);
          onStack.add(w);
          work.push({ v: w, i: 0 });
        } else if (onStack.has(w)) {
          low.set(top.v, Math.min(low.get(top.v)!, index.get(w)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.v, Math.min(low.get(parent.v)!, low.get(top.v)!));
      if (low.get(top.v) !== index.get(top.v)) continue;
      const comp: string[] = [];
      for (let w = stack.pop()!; ; w = stack.pop()!) {
        onStack.delete(w);
        comp.push(w);
        if (w === top.v) break;
      }
      if (comp.length > 1 || (g.get(top.v) ?? []).includes(top.v)) out.push(comp.sort());
    }
  }
  return out;
}

describe('architecture: no import cycles', () => {
  it('finds cycles of two, of three and self-imports, and none in a chain', () => {
    const g = new Map<string, string[]>([
      ['a', ['b']],
      ['b', ['a']],
      ['c', ['d']],
      ['d', ['e']],
      ['e', ['c', 'f']],
      ['f', []],
      ['s', ['s']],
      ['x', ['y']],
      ['y', ['f']],
    ]);
    assert.deepEqual(
      cycles(g)
        .map((c) => c.join(','))
        .sort(),
      ['a,b', 'c,d,e', 's'],
    );
  });

  it('resolves type-only imports too (a type cycle is still a cycle)', () => {
    assert.deepEqual(importSpecifiers("import type { Racoon } from './handler.js';"), ['./handler.js']);
  });

  it('the source tree has no import cycle', () => {
    const files = sourceFiles();
    assert.ok(files.length > 100, `only ${files.length} source files found under ${root}`);
    const found = cycles(importGraph(files)).map((c) => c.map((f) => relative(root, f)).join(' <-> '));
    assert.deepEqual(found, [], `import cycles:\n${found.join('\n')}`);
  });
});
