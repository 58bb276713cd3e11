// uipsec AH <-> scapy AH (scapy.layers.ipsec.SecurityAssociation), both directions, for every HMAC scapy
// and uipsec share, transport and tunnel, IPv4 and IPv6 (options, hop-by-hop with a mutable option, a type 0
// routing header, destination options), with and without ESN. One python process per file run.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ahOutput, ahInput } from '../../kernel/ipsec/ah.js';
import { Sad } from '../../kernel/sad/sad.js';
import type { SecAssoc } from '../../kernel/sad/secassoc.js';
import { ManualClock } from '../../common/clock.js';
import { SeededRng } from '../../common/rng.js';
import { toHex, fromHex } from '../../common/bytes.js';
import { formatAddr } from '../../common/inet.js';
import { ipv4Packet, ipv6Packet, mutateInTransit, routeHops, ahOffsetOf, V4, V6 } from './scapy-ah-packets.js';
import { repoRoot } from '../support/root.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(repoRoot(), 'tests', 'interop', 'scapy-ah.py');
const ALGS: [string, number][] = [
  ['hmac-md5', 16],
  ['hmac-sha1', 20],
  ['hmac-sha256', 32],
  ['hmac-sha384', 48],
  ['hmac-sha512', 64],
];
const env = { rng: new SeededRng('ah-interop'), now: 0 };

type Fam = 4 | 6 | 46 | 64; // 46 = IPv4 inner in an IPv6 tunnel, 64 = IPv6 inside IPv4
interface Combo {
  alg: string;
  keyLen: number;
  mode: 'transport' | 'tunnel';
  fam: Fam;
  esn: boolean;
  noRouting?: boolean;
  moreOptions?: boolean;
}

const combos: Combo[] = [];
for (const [alg, keyLen] of ALGS) {
  for (const mode of ['transport', 'tunnel'] as const) {
    for (const fam of [4, 6] as const) for (const esn of [false, true]) combos.push({ alg, keyLen, mode, fam, esn });
  }
  combos.push(
    { alg, keyLen, mode: 'tunnel', fam: 46, esn: false },
    { alg, keyLen, mode: 'tunnel', fam: 64, esn: true },
  );
  combos.push({ alg, keyLen, mode: 'transport', fam: 6, esn: alg.endsWith('256'), noRouting: true });
  combos.push({ alg, keyLen, mode: 'transport', fam: 4, esn: alg.endsWith('384'), moreOptions: true });
}

function key(c: Combo): Uint8Array {
  const k = new Uint8Array(c.keyLen);
  for (let i = 0; i < k.length; i++) k[i] = (i * 7 + c.alg.length + c.fam) & 0xff;
  return k;
}
const innerV6 = (c: Combo) => c.fam === 6 || c.fam === 64;
const outerV6 = (c: Combo) => c.fam === 6 || c.fam === 46;
const plain = (c: Combo) =>
  innerV6(c) ? ipv6Packet(c.noRouting ? 'no-routing' : true) : ipv4Packet(c.moreOptions ? 'more' : true);
const ends = (c: Combo) => (outerV6(c) ? [V6.src, V6.dst] : [V4.src, V4.dst]);
const spiOf = (i: number) => 0x1000 + i;

function sa(c: Combo, spi: number): SecAssoc {
  const sad = new Sad({ clock: new ManualClock(), rng: new SeededRng('x') });
  const [src, dst] = ends(c);
  return sad.add({
    spi,
    proto: 'ah',
    mode: c.mode,
    src: src!,
    dst: dst!,
    authAlg: c.alg,
    authKey: key(c),
    replayBits: 64,
    esn: c.esn,
  });
}

function saFields(c: Combo, spi: number) {
  const [src, dst] = ends(c);
  return {
    alg: c.alg,
    key: toHex(key(c)),
    spi,
    esn: c.esn,
    esnHi: c.esn ? 7 : 0,
    tunnel: c.mode === 'tunnel' ? [formatAddr(src!), formatAddr(dst!)] : null,
  };
}

function runScapy(cases: object[]): { status: number | null; results: Record<string, unknown>[]; stderr: string } {
  const r = spawnSync(PYTHON, [SCRIPT], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) return { status: -1, results: [], stderr: String(r.error) };
  return { status: r.status, results: r.status === 0 ? JSON.parse(r.stdout) : [], stderr: r.stderr };
}

/** The UDP datagram at the end of a plain test packet (what every mode must deliver unchanged). */
function udpOf(p: Uint8Array): Uint8Array {
  return p.subarray(p.length - 48); // 8-byte UDP header + 40 bytes of data
}

describe('interop: AH against scapy (tests/interop/scapy-ah.py)', function () {
  // Built once: uipsec's packets for scapy to verify, and the plain packets scapy protects for us.
  const cases: object[] = [];
  const expect: { kind: 'ours' | 'tampered' | 'theirs'; c: Combo; plain: Uint8Array; built?: Uint8Array }[] = [];
  combos.forEach((c, i) => {
    const out = sa(c, spiOf(i));
    if (c.esn) {
      out.seqOutHi = 7;
      out.seqOutLo = 0xfffffffe;
    } // the packet carries 7:ffffffff
    else out.seqOutLo = 41;
    const p = plain(c);
    const r = ahOutput(out, p, env);
    if (!r.ok) throw new Error(`ahOutput failed: ${r.reason} ${r.detail ?? ''}`);
    const wire = mutateInTransit(routeHops(r.packet));
    const fields = { ...saFields(c, spiOf(i)), esnHi: c.esn ? 7 : 0 };
    cases.push({ op: 'verify', ...fields, packet: toHex(wire) });
    expect.push({ kind: 'ours', c, plain: p, built: r.packet });
    const bad = new Uint8Array(wire);
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
    cases.push({ op: 'verify', ...fields, packet: toHex(bad) });
    expect.push({ kind: 'tampered', c, plain: p });
    cases.push({ op: 'build', ...fields, seq: c.esn ? 5 : 1000 + i, packet: toHex(p) });
    expect.push({ kind: 'theirs', c, plain: p });
  });

  let run: ReturnType<typeof runScapy>;
  before(function () {
    if (!existsSync(PYTHON)) {
      console.log(`      (skipped: ${PYTHON} is missing; install the Debian packages python3 and python3-scapy)`);
      this.skip();
    }
    run = runScapy(cases);
    if (run.status === 3) {
      console.log(
        `      (skipped: scapy is not installed for ${PYTHON}; install the Debian package python3-scapy: ${run.stderr.trim()})`,
      );
      this.skip();
    }
    assert.equal(run.status, 0, `scapy-ah.py failed: ${run.stderr}`);
    assert.equal(run.results.length, cases.length);
  });

  combos.forEach((c, i) => {
    const name = `${c.alg} ${c.mode} ${c.fam === 46 ? '4-in-6' : c.fam === 64 ? '6-in-4' : `IPv${c.fam}`}${c.noRouting ? ' (dest opts, no routing header)' : ''}${c.moreOptions ? ' (+ security, timestamp options)' : ''}${c.esn ? ' ESN' : ''}`;
    it(`${name}: scapy verifies ours (after routers changed mutable fields), rejects a flipped bit`, () => {
      const ok = run.results[3 * i]!;
      assert.equal(ok.ok, true, String(ok.error));
      const inner = fromHex(String(ok.inner));
      const e = expect[3 * i]!;
      if (c.mode === 'tunnel') assert.deepEqual(inner, e.plain, 'inner packet unchanged');
      else assert.deepEqual(udpOf(inner), udpOf(e.plain), 'upper layer unchanged');
      const bad = run.results[3 * i + 1]!;
      assert.equal(bad.ok, false);
      assert.match(String(bad.error), /IPSecIntegrityError/);
    });
    it(`${name}: uipsec verifies scapy's`, () => {
      const built = run.results[3 * i + 2]!;
      assert.equal(built.ok, true, String(built.error));
      const wire = routeHops(fromHex(String(built.packet)));
      const inSa = sa(c, spiOf(i));
      if (c.esn) inSa.replay.acceptSeq(7, 1); // the receiver has seen 7:00000001, so low 5 means 7:00000005
      const r = ahInput(inSa, wire, ahOffsetOf(wire), env);
      assert.ok(r.ok, r.ok ? '' : `${r.reason} ${r.detail ?? ''}`);
      const want = c.mode === 'tunnel' ? expect[3 * i + 2]!.plain : routeHops(expect[3 * i + 2]!.plain);
      assert.deepEqual(new Uint8Array(r.packet), want);
      assert.equal(inSa.replay.lastLo, c.esn ? 5 : 1000 + i);
      assert.equal(inSa.replay.lastHi, c.esn ? 7 : 0);
      // Replaying it is refused.
      const again = routeHops(fromHex(String(built.packet)));
      const r2 = ahInput(inSa, again, ahOffsetOf(again), env);
      assert.deepEqual(r2.ok ? 'accepted' : r2.reason, 'ahs_replay');
    });
  });
});
