// Import-boundary test (the module table in CONTRIBUTING.md): scans the import specifiers of every source file
// and checks that each module imports only what the table allows.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';
import { repoRoot } from '../support/root.js';

const root = repoRoot();

// app/ (the demo and the uipsec tool) may import anything; no library module imports app/. channel/ is
// uipsecd's IKE/app channel (datagrams, PING, STATUS over ike.sock): the daemon (kernel/), racoon, setkey and
// app may use it; it needs only common/, and PF_KEY knows nothing of it.
const FORBIDDEN: Record<string, string[]> = {
  common: ['crypto', 'pfkey', 'channel', 'kernel', 'setkey', 'racoon', 'app'],
  crypto: ['pfkey', 'channel', 'kernel', 'setkey', 'racoon', 'app'],
  pfkey: ['crypto', 'channel', 'kernel', 'setkey', 'racoon', 'app'],
  channel: ['crypto', 'pfkey', 'kernel', 'setkey', 'racoon', 'app'],
  kernel: ['setkey', 'racoon', 'app'],
  setkey: ['kernel', 'racoon', 'crypto', 'app'],
  racoon: ['kernel', 'setkey', 'app'],
  // Build tooling (man pages, figures): reads files and common/ only.
  tools: ['crypto', 'pfkey', 'channel', 'kernel', 'setkey', 'racoon', 'app'],
};
/** Top-level folders that may import any module (programs, tests, benchmarks, examples). */
const UNRESTRICTED = ['app', 'tests', 'bench', 'examples'];

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

/** Every module specifier in `import ... from '...'`, `export ... from '...'` and `import('...')`. */
export function importSpecifiers(src: string): string[] {
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g;
  const out: string[] = [];
  for (let m = re.exec(src); m; m = re.exec(src)) out.push(m[1]!);
  return out;
}

function topModule(file: string): string | undefined {
  const rel = relative(root, file);
  if (rel.startsWith('..')) return undefined;
  return rel.split(sep)[0];
}

describe('architecture: import boundaries', () => {
  it('finds the source tree', () => {
    assert.ok(existsSync(join(root, 'package.json')), `no package.json at ${root}`);
    assert.ok(tsFiles(join(root, 'common')).length > 0);
  });

  it('parses import specifiers of every form', () => {
    const src = `import a from './x.js';\nimport type { B } from "../kernel/y.js";\nexport * from './z.js';\nconst m = await import('../racoon/w.js');\nimport './side.js';`;
    assert.deepEqual(importSpecifiers(src), ['./x.js', '../kernel/y.js', './z.js', '../racoon/w.js', './side.js']);
  });

  it('every top-level source folder has a row in the table', () => {
    const folders = readdirSync(root).filter(
      (d) =>
        !['node_modules', 'dist'].includes(d) &&
        !d.startsWith('.') &&
        statSync(join(root, d)).isDirectory() &&
        tsFiles(join(root, d)).length > 0,
    );
    const unlisted = folders.filter((d) => !(d in FORBIDDEN) && !UNRESTRICTED.includes(d));
    assert.deepEqual(unlisted, [], `folders without boundary rules: ${unlisted.join(', ')}`);
    assert.ok(folders.includes('channel'), 'channel/ (uipsecd IKE/app channel) is a top-level module');
  });

  it('no module imports the package by name or its entry (index.ts re-exports them: cycles)', () => {
    const bad: string[] = [];
    for (const mod of [...Object.keys(FORBIDDEN), 'app']) {
      for (const f of tsFiles(join(root, mod))) {
        for (const spec of importSpecifiers(readFileSync(f, 'utf8'))) {
          const target = spec.startsWith('.') ? relative(root, resolve(dirname(f), spec)) : spec;
          if (target === 'index.js' || /^uipsec(\/|$)/.test(spec)) bad.push(`${relative(root, f)} -> ${spec}`);
        }
      }
    }
    assert.deepEqual(bad, [], `imports of the package entry:\n${bad.join('\n')}`);
  });

  for (const [mod, banned] of Object.entries(FORBIDDEN)) {
    it(`${mod}/ imports none of ${banned.join(', ')}`, () => {
      const bad: string[] = [];
      for (const f of tsFiles(join(root, mod))) {
        for (const spec of importSpecifiers(readFileSync(f, 'utf8'))) {
          if (!spec.startsWith('.')) continue;
          const target = topModule(resolve(dirname(f), spec));
          if (target && banned.includes(target)) bad.push(`${relative(root, f)} -> ${spec}`);
        }
      }
      assert.deepEqual(bad, [], `forbidden imports:\n${bad.join('\n')}`);
    });
  }
});
