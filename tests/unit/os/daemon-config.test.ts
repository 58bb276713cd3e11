// uipsecd's TUN-mode statements (kernel/daemon/config.ts): tun, load, mark, table, from a file and from the
// command line, with file:line errors for bad values and the refusal to mix tun with the underlay.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { applyConfigText, defaultConfig, parseArgs } from '../../../kernel/daemon/config.js';
import { DEFAULT_MARK, DEFAULT_TABLE } from '../../../kernel/os/route-sync.js';

describe('daemon config: tun, load, mark, table', () => {
  it('a file: loads are relative to the file, in order; mark and table in any notation Number reads', () => {
    const cfg = defaultConfig({});
    const errs = applyConfigText(
      cfg,
      'tun utun0\nload a.conf\nload /etc/b.conf\nmark 0x99\ntable 77\n',
      '/etc/uipsec/uipsecd.conf',
    );
    assert.deepEqual(errs, []);
    assert.equal(cfg.tun, 'utun0');
    assert.deepEqual(cfg.loads, ['/etc/uipsec/a.conf', '/etc/b.conf']);
    assert.equal(cfg.mark, 0x99);
    assert.equal(cfg.table, 77);
  });

  it('defaults: no tun, no loads, mark and table 4500', () => {
    const cfg = defaultConfig({});
    assert.equal(cfg.tun, undefined);
    assert.deepEqual(cfg.loads, []);
    assert.equal(cfg.mark, DEFAULT_MARK);
    assert.equal(cfg.table, DEFAULT_TABLE);
  });

  it('bad values are reported with their line, every one', () => {
    const cfg = defaultConfig({});
    const errs = applyConfigText(
      cfg,
      'tun this-name-is-too-long\ntun a b\ntable 254\ntable x\nmark 0\nload\n',
      'f.conf',
    );
    assert.deepEqual(
      errs.map((e) => e.line),
      [1, 2, 3, 4, 5, 6],
    );
    assert.match(errs[2]!.message, /not 253, 254 or 255/);
  });

  it('--tun and repeated --load on the command line (paths made absolute); tun refuses underlay and address', () => {
    const a = parseArgs(['--tun', 'utun3', '--load', 'x.conf', '--load', 'y.conf'], {});
    assert.deepEqual(a.errors, []);
    assert.equal(a.config.tun, 'utun3');
    assert.deepEqual(a.config.loads, [resolve('x.conf'), resolve('y.conf')]);
    const b = parseArgs(['--tun', 'utun3', '-a', '10.0.0.1/24', '-u', '127.0.0.1:7000'], {});
    assert.equal(b.errors.length, 1);
    assert.match(b.errors[0]!.message, /cannot be combined with underlay, natt or address/);
  });

  it('-f FILE with tun and load', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uipsec-cfg-'));
    try {
      writeFileSync(join(dir, 'u.conf'), 'tun utun1\nload p.conf\n');
      const a = parseArgs(['-f', join(dir, 'u.conf')], {});
      assert.deepEqual(a.errors, []);
      assert.deepEqual(a.config.loads, [join(dir, 'p.conf')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
