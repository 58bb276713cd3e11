// Each wire number is defined once (STYLE: "Wire numbers are defined once"): PF_KEY and the IPPROTO numbers
// the kernel and the key managers share in pfkey/constants.ts, IP-only ones in kernel/ip/constants.ts,
// ISAKMP ones in racoon/isakmp/constants.ts. Everyone else imports them.
//
// What counts, kept simple: a top-level `const NAME = <number>` (or one NAME = <number> of a `const A = 1,
// B = 2` list), exported or not, with an UPPER_CASE name and a plain numeric literal as its value (decimal,
// hex, octal or binary, `_` separators, a sign, or literals joined by arithmetic such as `1 << 16`). A name
// that some file exports that way must not be defined that way in any other file: a second export is a
// second home, and a local copy is a number that can drift from its home. Re-exports and aliases
// (`export { X }`, `const X = C.X`) are not definitions. Constants no file exports (a module's private
// layout offsets, say) are left to their module. The rule goes by name, not value: where a hot loop needs a
// literal, a module keeps a private copy under a name of its own and names the home beside it
// (kernel/spd/policy-lists.ts), which this test cannot and does not try to catch.
//
// Scanned: the library and tool sources. tests/, bench/ and examples/ are not: a test states the numbers it
// expects on its own, as an independent oracle, instead of importing them from the code under test.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '../support/root.js';

const root = repoRoot();
const SCANNED = ['common', 'crypto', 'pfkey', 'channel', 'kernel', 'setkey', 'racoon', 'app', 'index.ts'];

const NUMBER = String.raw`[-+]?(?:0[xX][\da-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|\d[\d_]*(?:\.\d+)?(?:[eE][-+]?\d+)?)n?`;
/** A numeric literal, or literals joined by arithmetic operators (parentheses allowed). */
const NUMERIC_VALUE = new RegExp(
  String.raw`^\(?\s*${NUMBER}(?:\s*(?:<<|>>>|>>|\*\*|[-+*/%|&^])\s*\(?\s*${NUMBER}\s*\)?)*\s*\)?$`,
);

export interface ConstDef {
  name: string;
  exported: boolean;
}

/** The top-level `const NAME = <number>` definitions of one source text. */
export function numericConstDefs(src: string): ConstDef[] {
  const out: ConstDef[] = [];
  // A top-level statement starts in column 0; its declarators run to the `;` that ends it.
  const stmt = /^(export\s+)?const\s+([\s\S]*?);[ \t]*(?:\/\/[^\n]*)?$/gm;
  for (let m = stmt.exec(src); m; m = stmt.exec(src)) {
    const exported = m[1] !== undefined;
    for (const decl of splitDeclarators(m[2]!)) {
      const d = /^([A-Z][A-Z0-9_]*)\s*(?::\s*[\w\s|]+)?=\s*([\s\S]+)$/.exec(decl.trim());
      if (d && NUMERIC_VALUE.test(stripComments(d[2]!).trim())) out.push({ name: d[1]!, exported });
    }
  }
  return out;
}

function stripComments(s: string): string {
  return s.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
}

/** Splits `A = 1, B = [2, 3]` at the commas that are not inside brackets, braces or parentheses. */
function splitDeclarators(s: string): string[] {
  const out: string[] = [];
  let depth = 0,
    start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === ',' && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

function tsFiles(p: string): string[] {
  if (!existsSync(p)) return [];
  if (!statSync(p).isDirectory()) return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  return readdirSync(p).flatMap((n) => tsFiles(join(p, n)));
}

describe('architecture: each wire number is defined once', () => {
  it('reads definitions the way the rule above says', () => {
    const src = [
      'export const SADB_ADD = 3;',
      'export const A = 0x10,',
      '  B = 1 << 4, // a comment',
      '  C = [1, 2];',
      'const LOCAL_COPY = 17;',
      "export const NAME = 'x';",
      'export const ALIAS = C.SADB_ADD;',
      'export const BIG = 1_000_000;',
      'function f() {',
      '  const INNER = 5;',
      '}',
    ].join('\n');
    assert.deepEqual(numericConstDefs(src), [
      { name: 'SADB_ADD', exported: true },
      { name: 'A', exported: true },
      { name: 'B', exported: true },
      { name: 'LOCAL_COPY', exported: false },
      { name: 'BIG', exported: true },
    ]);
  });

  it('no exported numeric constant is defined in a second file', () => {
    const defs = new Map<string, { file: string; exported: boolean }[]>();
    const files = SCANNED.flatMap((d) => tsFiles(join(root, d)));
    assert.ok(files.length > 100, `scanned only ${files.length} files`);
    for (const f of files) {
      for (const d of numericConstDefs(readFileSync(f, 'utf8'))) {
        const list = defs.get(d.name) ?? [];
        list.push({ file: relative(root, f), exported: d.exported });
        defs.set(d.name, list);
      }
    }
    assert.ok(
      defs.get('SADB_ADD')?.some((d) => d.file === join('pfkey', 'constants.ts')),
      'found pfkey/constants.ts',
    );
    const bad: string[] = [];
    for (const [name, list] of defs) {
      const files = new Set(list.map((d) => d.file));
      if (files.size > 1 && list.some((d) => d.exported))
        bad.push(`${name}: ${list.map((d) => `${d.file}${d.exported ? '' : ' (local)'}`).join(', ')}`);
    }
    assert.deepEqual(bad, [], `defined more than once:\n${bad.join('\n')}`);
  });
});
