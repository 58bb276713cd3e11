// pfkey/layout.ts: the field tables are records keyed by the C member names, so a codec names a member
// without a non-null assertion and a misspelt member fails to compile (the @ts-expect-error lines below
// stop compiling if the tables ever lose their key types). The byte offsets themselves are checked against
// a C compiler in c-layout.test.ts.
import { strict as assert } from 'node:assert';
import {
  ALL_LAYOUTS,
  type FieldName,
  type FieldSpec,
  SADB_COMB,
  SADB_SA,
  SOCKADDR_IN6,
} from '../../../pfkey/layout.js';

describe('pfkey/layout: typed field tables', () => {
  it('a member is a FieldSpec by name; a misspelt one is a compile error', () => {
    const spi: FieldSpec = SADB_SA.fields.spi;
    assert.deepEqual(spi, { off: 4, size: 4, kind: 'n32' });
    // @ts-expect-error sadb_sa has no member "spii"
    assert.equal(SADB_SA.fields.spii, undefined);
    // @ts-expect-error "scopeid" is spelt scope_id
    const bad: FieldName<typeof SOCKADDR_IN6> = 'scopeid';
    assert.equal(bad in SOCKADDR_IN6.fields, false);
  });

  it('FieldName lists the declared members in order, laid out back to back', () => {
    const names: FieldName<typeof SADB_SA>[] = ['len', 'exttype', 'spi', 'replay', 'state', 'auth', 'encrypt', 'flags'];
    assert.deepEqual(Object.keys(SADB_SA.fields), names);
    for (const l of ALL_LAYOUTS) {
      let off = 0;
      for (const f of Object.values(l.fields)) {
        assert.equal(f.off, off, `${l.name}: members back to back`);
        off += f.size;
      }
      assert.equal(off, l.size, `${l.name}: sizeof is the sum of its members`);
    }
    assert.equal(SADB_COMB.size, 72);
  });

  it('the tables are frozen', () => {
    assert.ok(Object.isFrozen(SADB_SA) && Object.isFrozen(SADB_SA.fields) && Object.isFrozen(SADB_SA.fields.spi));
  });
});
