// The repository root for tests run from source (tsx) or compiled (dist/tests/...): the nearest directory
// above this file that holds package.json.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../support/root.js';

export { repoRoot };

export function readJson<T>(rel: string): T {
  return JSON.parse(readFileSync(join(repoRoot(), rel), 'utf8')) as T;
}

export const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
export const toh = (b: Uint8Array): string => Buffer.from(b).toString('hex');
