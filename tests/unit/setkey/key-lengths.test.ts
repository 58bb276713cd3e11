// Key lengths accepted and refused per algorithm (tests/fixtures/setkey/key-lengths.json records its sources),
// each tried as a full `add` statement so the check runs where setkey runs it.
import { strict as assert } from 'node:assert';
import { parseSetkey } from '../../../setkey/parser.js';
import { fixtureText } from './fixtures.js';

interface Row {
  alg: string;
  valid: number[];
  invalid: number[];
}
const table = JSON.parse(fixtureText('key-lengths.json')) as {
  source: string;
  encryption: Row[];
  authentication: Row[];
};

const key = (bits: number): string => (bits === 0 ? '""' : `0x${'ab'.repeat(bits / 8)}`);
const esp = (alg: string, bits: number): string => `add 10.0.0.1 10.0.0.2 esp 0x1000 -E ${alg} ${key(bits)};`;
const ah = (alg: string, bits: number): string => `add 10.0.0.1 10.0.0.2 ah 0x1000 -A ${alg} ${key(bits)};`;

describe('setkey/check: key lengths per algorithm', () => {
  assert.ok(table.source.length > 0);
  for (const [kind, rows, stmt] of [
    ['-E', table.encryption, esp],
    ['-A', table.authentication, ah],
  ] as const) {
    for (const row of rows) {
      it(`${kind} ${row.alg}: accepts ${row.valid.join('/')} bits, refuses ${row.invalid.join('/')}`, () => {
        for (const bits of row.valid)
          assert.deepEqual(
            parseSetkey(stmt(row.alg, bits)).errors.map((e) => e.message),
            [],
            `${row.alg} ${bits}`,
          );
        for (const bits of row.invalid) {
          const r = parseSetkey(stmt(row.alg, bits));
          assert.equal(r.statements.length, 0, `${row.alg} ${bits}`);
          assert.match(
            r.errors[0]!.reason,
            new RegExp(`^invalid key length ${bits} bits for ${row.alg}, which takes `),
          );
        }
      });
    }
  }
});
