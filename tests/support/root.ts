// The repository root for tests run from source (tests/...) or compiled (dist/tests/...): the nearest
// directory above this module that holds package.json. Shared test support; the one copy of this walk.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The directory holding package.json, found by walking up from this module's own location. */
export function repoRoot(): string {
  if (cached !== undefined) return cached;
  const here = fileURLToPath(import.meta.url);
  let d = dirname(here);
  while (!existsSync(join(d, 'package.json'))) {
    const up = dirname(d);
    if (up === d) throw new Error('package.json not found above ' + here);
    d = up;
  }
  cached = d;
  return d;
}
