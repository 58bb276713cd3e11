import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Stats,
  STAT_NAMES,
  ESPSTAT_NAMES,
  AHSTAT_NAMES,
  IPCOMPSTAT_NAMES,
  IPSECSTAT_NAMES,
  EXTRA_STAT_DOCS,
  isStatName,
  statGroupOf,
} from '../../../kernel/stats.js';
import { repoRoot } from '../../support/root.js';

describe('kernel/stats', () => {
  it('has the KAME counter names (netipsec/esp_var.h, ah_var.h, ipcomp_var.h, ipsec.h)', () => {
    assert.equal(ESPSTAT_NAMES.length, 20);
    assert.equal(AHSTAT_NAMES.length, 19);
    assert.equal(IPCOMPSTAT_NAMES.length, 17);
    for (const n of [
      'esps_badauth',
      'esps_replay',
      'ahs_badauthl',
      'ipcomps_threshold',
      'ipcomps_uncompr',
      'ips_out_nosa',
      'ips_in_polvio',
    ]) {
      assert.ok(isStatName(n), n);
    }
    assert.equal(new Set(STAT_NAMES).size, STAT_NAMES.length, 'no duplicates');
    for (const n of Object.keys(EXTRA_STAT_DOCS)) assert.ok(statGroupOf(n), `extra ${n} carries a KAME prefix`);
    assert.ok(!isStatName('esps_nosuch'));
    void IPSECSTAT_NAMES;
  });

  it('bumps, adds bytes, groups and resets', () => {
    const s = new Stats();
    s.bump('esps_badauth');
    s.bump('esps_badauth');
    s.addBytes('esps_ibytes', 1400);
    s.bump('ahs_replay');
    assert.equal(s.get('esps_badauth'), 2);
    assert.equal(s.get('esps_ibytes'), 1400);
    const esp = s.group('esp');
    assert.equal(esp.esps_badauth, 2);
    assert.equal(esp.esps_replay, 0, 'zeros are listed');
    assert.equal(esp.ahs_replay, undefined);
    assert.deepEqual(s.nonZero(), { esps_badauth: 2, esps_ibytes: 1400, ahs_replay: 1 });
    s.reset();
    assert.deepEqual(s.nonZero(), {});
  });

  it('counts an unknown reason under its own name instead of throwing', () => {
    const s = new Stats();
    // @ts-expect-error -- a misspelt counter does not compile; forced past the type, it is still counted.
    s.bump('esps_typo');
    assert.equal(s.get('esps_typo'), 1);
    assert.deepEqual(s.unknownNames(), ['esps_typo']);
    assert.equal(s.group('esp').esps_typo, 1);
  });

  it('knows every drop reason the transforms return (scans kernel/*.ts for drop/reason/stat literals)', () => {
    const root = repoRoot();
    const files = [
      'kernel/ipsec/esp.ts',
      'kernel/ipsec/ah.ts',
      'kernel/ipsec/ipcomp.ts',
      'kernel/ipsec/tunnel.ts',
    ].filter((f) => existsSync(join(root, f)));
    assert.ok(files.length > 0);
    const reasons = new Set<string>();
    for (const f of files) {
      const src = readFileSync(join(root, f), 'utf8');
      for (const m of src.matchAll(/drop\('([a-z_]+)'/g)) reasons.add(m[1]!);
      for (const m of src.matchAll(/reason: '([a-z_]+)'/g)) reasons.add(m[1]!);
      for (const m of src.matchAll(/stat: '([a-z_]+)'/g)) reasons.add(m[1]!);
      for (const m of src.matchAll(/tunnelDropReason\('([a-z]+)'/g)) {
        for (const suffix of ['_hdrops', '_ecn', '_badinner']) reasons.add(m[1] + suffix);
      }
    }
    const unknown = [...reasons].filter((r) => !isStatName(r));
    assert.deepEqual(unknown, [], `reasons missing from kernel/stats.ts (from ${files.join(', ')})`);
  });
});
