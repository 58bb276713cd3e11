// Recorded vectors in tests/vectors/pfkey-*.json: hand-typed golden messages (each with its source) must
// decode to the recorded value and encode back to the same bytes; the algorithm key-length table must
// agree with NetBSD's tests/net/ipsec/algorithms.sh and the RFCs listed per entry.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as C from '../../../pfkey/constants.js';
import {
  ALGORITHMS,
  type AlgorithmKind,
  REFUSED_ALGORITHMS,
  algorithmById,
  isKeyBitsAccepted,
  keyBitsRange,
  lookupAlgorithm,
} from '../../../pfkey/algorithms.js';
import { type PfkeyMessage, decodeMessage, encodeMessage } from '../../../pfkey/msg.js';
import { HOST_LITTLE_ENDIAN } from '../../../pfkey/layout.js';
import { repoRoot } from '../../support/root.js';

function loadVectors<T>(name: string): T {
  return JSON.parse(readFileSync(join(repoRoot(), 'tests', 'vectors', name), 'utf8'), (_k, v) => {
    if (typeof v === 'string' && v.startsWith('hex:')) return new Uint8Array(Buffer.from(v.slice(4), 'hex'));
    if (typeof v === 'string' && v.startsWith('big:')) return BigInt(v.slice(4));
    return v;
  }) as T;
}

interface GoldenCase {
  name: string;
  source: string;
  hex: string;
  expect: PfkeyMessage;
}
interface AlgCase {
  name: string;
  kind: AlgorithmKind;
  id: number;
  valid: number[];
  invalid: number[];
  source: string;
}

describe('pfkey recorded vectors', () => {
  const golden = loadVectors<{ cases: GoldenCase[] }>('pfkey-golden.json');
  for (const c of golden.cases) {
    it(`golden: ${c.name}`, function () {
      if (!HOST_LITTLE_ENDIAN) {
        console.log('      (skipped: the vectors are typed in little-endian host order and this host is big-endian)');
        this.skip();
      }
      assert.ok(c.source.length > 0);
      const bytes = new Uint8Array(Buffer.from(c.hex.replace(/\s+/g, ''), 'hex'));
      assert.deepStrictEqual(decodeMessage(bytes), c.expect);
      assert.equal(Buffer.from(encodeMessage(c.expect)).toString('hex'), Buffer.from(bytes).toString('hex'));
    });
  }

  const algs = loadVectors<{ cases: AlgCase[]; refused: { name: string; source: string }[] }>('pfkey-algorithms.json');
  for (const a of algs.cases) {
    it(`algorithm ${a.kind} ${a.name}: id ${a.id}, accepts ${a.valid.join('/')} bits, refuses ${a.invalid.join('/')}`, () => {
      const spec = lookupAlgorithm(a.kind, a.name);
      assert.ok(spec, `${a.name} missing from ALGORITHMS`);
      assert.equal(spec.id, a.id);
      for (const bits of a.valid) assert.ok(isKeyBitsAccepted(spec, bits), `${bits} should be accepted`);
      for (const bits of a.invalid) assert.ok(!isKeyBitsAccepted(spec, bits), `${bits} should be refused`);
    });
  }

  it('every ALGORITHMS row is covered by a recorded vector', () => {
    for (const spec of ALGORITHMS) {
      assert.ok(
        algs.cases.some((a) => a.kind === spec.kind && a.name === spec.name),
        `${spec.kind} ${spec.name} has no vector`,
      );
    }
  });

  it('legacy algorithms are recognised and refused, not silently unknown', () => {
    for (const r of algs.refused) {
      assert.ok(REFUSED_ALGORITHMS.has(r.name), r.name);
      assert.equal(lookupAlgorithm('encrypt', r.name), undefined);
    }
  });

  it('REGISTER ranges derive from the key lengths (aes-ctr announces 160..288)', () => {
    assert.deepEqual(keyBitsRange(lookupAlgorithm('encrypt', 'aes-ctr')!), { minBits: 160, maxBits: 288 });
    assert.equal(algorithmById('auth', C.SADB_X_AALG_SHA2_256)?.name, 'hmac-sha256');
  });
});
