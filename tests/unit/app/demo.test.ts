// The demo (app/demo.ts) run in-process: exit status, the sections a person reads, and what its tables
// claim checked against the configuration it loaded (SPIs, keys, sequence numbers 1, 2, 3...).
import { strict as assert } from 'node:assert';
import { main } from '../../../app/demo.js';
import { DEMO_KEY, DEMO_SPI } from '../../../app/demo-config.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '',
    err = '';
  const code = await main(argv, {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
  });
  return { code, out, err };
}

/** Rows of the wire table: [#, sent by, addresses, proto, SPI, seq, bytes]. */
function wireRows(out: string): string[][] {
  const s = out.split('== 5.')[1]!.split('\n==')[0]!;
  return s
    .split('\n')
    .slice(3)
    .filter((l) => /^\s+\d+\s/.test(l))
    .map((l) => l.trim().split(/\s{2,}/));
}

describe('app/demo', function () {
  it('--manual: keys from setkey text, ping and UDP in ESP, the wire, setkey -D, fail closed; exit 0', async () => {
    const r = await run(['--manual']);
    assert.equal(r.code, 0, r.out + r.err);
    for (const t of ['== 1.', '== 2.', '== 3.', '== 4.', '== 5.', '== 6.', '== 7.', '== 8.', '== Result =='])
      assert.ok(r.out.includes(t), t);
    assert.match(r.out, /all \d+ checks passed/);
    assert.doesNotMatch(r.out, /FAILED/);
    // The wire: a -> b uses SPI 0x1001 with sequence numbers 1..6 (3 echo requests, 3 datagrams), b -> a 0x2001 1..3.
    const rows = wireRows(r.out);
    const ab = rows.filter((x) => x[4] === `0x0000${DEMO_SPI.ab.toString(16)}`).map((x) => Number(x[5]));
    const ba = rows.filter((x) => x[4] === `0x0000${DEMO_SPI.ba.toString(16)}`).map((x) => Number(x[5]));
    assert.deepEqual(ab, [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(ba, [1, 2, 3]);
    assert.ok(
      rows.every((x) => x[3] === 'ESP'),
      'only ESP on the wire',
    );
    // setkey -D shows the key that the script loaded, in pfkey_dump's 4-byte groups.
    const hex = DEMO_KEY.ab.slice(2).match(/.{8}/g)!.join(' ');
    assert.ok(r.out.includes(`\tE: aes-gcm-16  ${hex}\n`), 'the a->b key as setkey -D prints it');
    assert.match(r.out, /\tesp mode=transport spi=4097\(0x00001001\) reqid=0\(0x00000000\)\n/);
    assert.match(r.out, /allocated: 6\thard: 0\tsoft: 0/);
    // Fail closed: the counters named in the text moved by exactly one.
    assert.match(r.out, /esps_notdb 0 -> 1/);
    assert.match(r.out, /ips_out_nosa 0 -> 1/);
    assert.match(r.out, /ips_in_polvio 0 -> 1/);
    assert.match(r.out, /got 1 SADB_ACQUIRE/);
  });

  it('default (racoon): IKE on UDP 500 then ESP with negotiated SPIs; exit 0', async () => {
    const r = await run([]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /keying: racoon/);
    const rows = wireRows(r.out);
    const ike = rows.filter((x) => x[3] === 'IKE');
    assert.ok(ike.length >= 6, `main mode (6) + quick mode (3) messages, saw ${ike.length}`);
    assert.ok(ike.every((x) => x[4] === '500 > 500'));
    const esp = rows.filter((x) => x[3] === 'ESP');
    assert.equal(esp.length, 9);
    const lastIke = rows.map((x) => x[3]).lastIndexOf('IKE');
    assert.ok(rows.findIndex((x) => x[3] === 'ESP') > lastIke, 'ESP only after the negotiation');
    const spis = new Set(esp.map((x) => x[4]));
    assert.equal(spis.size, 2);
    assert.ok(![...spis].includes('0x00001001'), 'negotiated SPIs, not the manual ones');
  });

  it('--help lists examples and exit codes; --version; bad usage is exit 2', async () => {
    const h = await run(['--help']);
    assert.equal(h.code, 0);
    assert.match(h.out, /Examples:/);
    assert.match(h.out, /Exit status: 0/);
    const v = await run(['--version']);
    assert.equal(v.code, 0);
    assert.match(v.out, /^\d+\.\d+\.\d+\n$/);
    const bad = await run(['--nope']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /unknown option/);
    const both = await run(['--manual', '--racoon']);
    assert.equal(both.code, 2);
  });
});
