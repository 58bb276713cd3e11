// Constants: BSD-only numbers against tests/vectors/pfkey-numbers.json (sources per entry), name tables
// consistent with the exported constants, and nameOf never throwing.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as C from '../../../pfkey/constants.js';
import {
  IPSEC_DIR_NAMES,
  IPSEC_LEVEL_NAMES,
  IPSEC_MODE_NAMES,
  IPSEC_POLICYSCOPE_NAMES,
  IPSEC_POLICY_NAMES,
  SADB_AALG_NAMES,
  SADB_CALG_NAMES,
  SADB_EALG_NAMES,
  SADB_EXT_NAMES,
  SADB_IDENTTYPE_NAMES,
  SADB_MSG_NAMES,
  SADB_SAFLAG_NAMES,
  SADB_SASTATE_NAMES,
  SADB_SATYPE_NAMES,
  formatSaFlags,
  nameOf,
} from '../../../pfkey/names.js';
import { repoRoot } from '../../support/root.js';

const numbers = JSON.parse(readFileSync(join(repoRoot(), 'tests/vectors/pfkey-numbers.json'), 'utf8')) as {
  cases: { name: string; value: number; source: string }[];
};
const TABLES: [string, ReadonlyMap<number, string>][] = [
  ['SADB_MSG_NAMES', SADB_MSG_NAMES],
  ['SADB_EXT_NAMES', SADB_EXT_NAMES],
  ['SADB_SATYPE_NAMES', SADB_SATYPE_NAMES],
  ['SADB_SASTATE_NAMES', SADB_SASTATE_NAMES],
  ['SADB_AALG_NAMES', SADB_AALG_NAMES],
  ['SADB_EALG_NAMES', SADB_EALG_NAMES],
  ['SADB_CALG_NAMES', SADB_CALG_NAMES],
  ['SADB_IDENTTYPE_NAMES', SADB_IDENTTYPE_NAMES],
  ['IPSEC_MODE_NAMES', IPSEC_MODE_NAMES],
  ['IPSEC_DIR_NAMES', IPSEC_DIR_NAMES],
  ['IPSEC_POLICY_NAMES', IPSEC_POLICY_NAMES],
  ['IPSEC_LEVEL_NAMES', IPSEC_LEVEL_NAMES],
  ['IPSEC_POLICYSCOPE_NAMES', IPSEC_POLICYSCOPE_NAMES],
  ['SADB_SAFLAG_NAMES', SADB_SAFLAG_NAMES],
];

describe('pfkey constants', () => {
  for (const v of numbers.cases) {
    it(`${v.name} = ${v.value} (${v.source})`, () => {
      assert.equal((C as unknown as Record<string, number>)[v.name], v.value);
    });
  }

  for (const [tableName, table] of TABLES) {
    it(`${tableName}: every name is the exported constant with that value`, () => {
      assert.ok(table.size > 0);
      for (const [value, name] of table) assert.equal((C as unknown as Record<string, unknown>)[name], value, name);
    });
  }

  it('names every message type 0..24 and every extension type 0..28', () => {
    for (let t = 0; t <= C.SADB_DECODE_MAX; t++) assert.ok(SADB_MSG_NAMES.has(t), `message ${t}`);
    for (let t = 0; t <= C.SADB_EXT_MAX; t++) assert.ok(SADB_EXT_NAMES.has(t), `extension ${t}`);
  });

  it('nameOf falls back to the decimal number', () => {
    assert.equal(nameOf(SADB_MSG_NAMES, C.SADB_X_SPDADD), 'SADB_X_SPDADD');
    assert.equal(nameOf(SADB_EXT_NAMES, 99), '99');
  });

  it('formatSaFlags names each set bit and keeps unknown bits in hex', () => {
    assert.equal(formatSaFlags(0), '0');
    assert.equal(formatSaFlags(C.SADB_X_EXT_CYCSEQ | C.SADB_X_EXT_PZERO), 'SADB_X_EXT_CYCSEQ|SADB_X_EXT_PZERO');
    assert.equal(formatSaFlags(0x80000001), 'SADB_X_EXT_OLD|0x80000000');
  });

  it('pfkeyAlign8 rounds up to 8 (PFKEY_ALIGN8)', () => {
    assert.deepEqual([0, 1, 7, 8, 9, 16, 28, 36].map(C.pfkeyAlign8), [0, 8, 8, 8, 16, 16, 32, 40]);
  });
});
