// Loads tests/vectors/crypto-*.json from the repository root (found by walking up to package.json,
// so the same code works from source and from dist/tests/...).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex } from '../../../common/bytes.js';
import { repoRoot } from '../../support/root.js';

export { repoRoot };

export function loadVectors<T>(name: string): T {
  return JSON.parse(readFileSync(join(repoRoot(), 'tests', 'vectors', name), 'utf8')) as T;
}

export const hex = fromHex;

export interface CipherVector {
  alg: string;
  source: string;
  key: string;
  iv: string;
  plaintext: string;
  ciphertext: string;
}
export interface AeadVector extends CipherVector {
  aad: string;
  tag: string;
}
export interface IcvVector {
  alg: string;
  source: string;
  key: string;
  data: string;
  icv: string;
}
export interface PrfVector {
  hash: string;
  source: string;
  key: string;
  data: string;
  mac: string;
  truncatedTo?: number;
}
