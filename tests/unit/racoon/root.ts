// The repository root for tests run from source (tsx) or compiled (dist/tests/...): the nearest directory
// above this file that holds package.json.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) {
    const up = dirname(d);
    if (up === d) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    d = up;
  }
  return d;
}

export function readJson<T>(rel: string): T {
  return JSON.parse(readFileSync(join(repoRoot(), rel), 'utf8')) as T;
}

export const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
export const toh = (b: Uint8Array): string => Buffer.from(b).toString('hex');
