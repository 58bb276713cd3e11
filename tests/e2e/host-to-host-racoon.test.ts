// The cross-process recipe of docs/quickstart.md with racoon negotiating instead of manual keys: two uipsecd
// processes on the UDP underlay, a racoon process next to each (IKE through uipsecd's app/IKE channel),
// policies only from `setkey -f`, applications' datagrams through `uipsec send`/`listen`. The first datagram
// finds no SA and is dropped (fail closed) while racoon negotiates; tshark on lo sees IKE on UDP 500 and then
// only ESP with the negotiated SPI; after a DELETE the next datagram is again dropped, never sent in clear,
// and a new SA pair is negotiated. Complements tests/e2e/racoon-e2e.test.ts (rekey, DELETE propagation).
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Proc, runProc } from './proc.js';
import { compiled, programArgs, underlayDaemonArgs } from './support.js';
import { PfkeyClient } from '../../pfkey/client.js';
import { UnixTransport } from '../../pfkey/transport-unix.js';
import * as P from '../../pfkey/constants.js';
import { formatAddr } from '../../common/inet.js';

const A = '10.8.0.1',
  B = '10.8.0.2';
const here = fileURLToPath(import.meta.url);

/** racoon through tests/e2e/racoon-launch (the racoon helper's launcher), from source or compiled. */
function racoonArgs(args: string[]): string[] {
  const launcher = join(here, '..', compiled ? 'racoon-launch.js' : 'racoon-launch.ts');
  return [...programArgs('tests/e2e/racoon-launch').slice(0, compiled ? 0 : 2), launcher, 'racoon', ...args];
}

function racoonConf(peer: string, admin: string, psk: string): string {
  return `path pre_shared_key "${psk}";
listen { adminsock "${admin}"; }
timer { counter 5; interval 2 sec; }
remote ${peer} {
  exchange_mode main;
  proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method pre_shared_key; dh_group modp2048; }
}
sainfo anonymous {
  lifetime time 1 hour;
  encryption_algorithm aes 128;
  authentication_algorithm hmac_sha256;
  compression_algorithm deflate;
}
`;
}

interface SaJson {
  src: string;
  dst: string;
  spi: number;
  satype: string;
  state: string;
}

function tsharkMissing(): string | undefined {
  return spawnSync('tshark', ['-v']).error ? 'tshark not installed (Debian package: tshark)' : undefined;
}

describe('e2e: host-to-host across processes with racoon negotiating (uipsecd + racoon + setkey -f + uipsec, tshark on lo)', function () {
  const dir = mkdtempSync(join(tmpdir(), 'uipsec-e2e-racoon-'));
  const sock = { a: join(dir, 'a', 'pfkey.sock'), b: join(dir, 'b', 'pfkey.sock') };
  const base = 40000 + Math.floor(Math.random() * 20000);
  const port = { a: base, b: base + 1 };
  const procs: Proc[] = [];
  let capture: ReturnType<typeof spawn> | undefined;
  let captureSkip = tsharkMissing();
  const captureFile = join(dir, 'lo.pcapng');

  const uipsec = (h: 'a' | 'b', args: string[]) =>
    runProc(`uipsec ${args[0]}`, [...programArgs('app/uipsec'), ...args, '--socket', sock[h]]);
  /** Mature ESP SAs of a host, read over PF_KEY in this process (polling through processes would be slow). */
  const esp = async (h: 'a' | 'b'): Promise<SaJson[]> => {
    const c = new PfkeyClient(await UnixTransport.connect(sock[h]), { pid: 50000 + Math.floor(Math.random() * 10000) });
    try {
      return (await c.dumpAll(P.SADB_DUMP, P.SADB_SATYPE_ESP))
        .filter((m) => m.msg.errno === 0 && m.ext.sa?.state === P.SADB_SASTATE_MATURE)
        .map((m) => ({
          src: formatAddr(m.ext.addressSrc!.addr.addr),
          dst: formatAddr(m.ext.addressDst!.addr.addr),
          spi: m.ext.sa!.spi >>> 0,
          satype: 'esp',
          state: 'mature',
        }));
    } finally {
      c.close();
    }
  };
  /** Polls both hosts' SADs until each holds an ESP pair (no wall-clock bound: mocha's timeout applies). */
  const pairs = async (): Promise<SaJson[]> => {
    for (;;) {
      const [x, y] = [await esp('a'), await esp('b')];
      if (x.length >= 2 && y.length >= 2) return x;
      await new Promise((r) => setTimeout(r, 50));
      const dead = procs.find((p) => p.child.exitCode !== null && !p.label.startsWith('listen'));
      if (dead) throw new Error(`${dead.label} exited: ${dead.out}${dead.err}`);
    }
  };

  before(async function () {
    for (const h of ['a', 'b'] as const) {
      const me = h === 'a' ? A : B,
        peer = h === 'a' ? B : A,
        other = h === 'a' ? 'b' : 'a';
      const d = new Proc(
        `uipsecd ${h}`,
        underlayDaemonArgs({
          name: h,
          socket: sock[h],
          address: me,
          peer,
          underlay: `127.0.0.1:${port[h]}`,
          peerUnderlay: `127.0.0.1:${port[other]}`,
        }),
      );
      procs.push(d);
      await d.waitFor(/ up: /);
      const out = h === 'a' ? 'out' : 'in';
      writeFileSync(
        join(dir, `${h}.conf`),
        `spdadd ${A} ${B}[5001] udp -P ${out} ipsec esp/transport//require;\n` +
          `spdadd ${B}[5001] ${A} udp -P ${h === 'a' ? 'in' : 'out'} ipsec esp/transport//require;\n`,
      );
      const r = await runProc('setkey', [
        ...programArgs('setkey/main'),
        '--socket',
        sock[h],
        '-f',
        join(dir, `${h}.conf`),
      ]);
      assert.equal(r.code, 0, r.out + r.err);
      const psk = join(dir, `${h}.psk`);
      writeFileSync(psk, `${peer}\tuipsec-e2e-secret\n`, { mode: 0o600 });
      writeFileSync(join(dir, `${h}-racoon.conf`), racoonConf(peer, join(dir, `${h}-admin.sock`), psk));
      const rc = new Proc(
        `racoon ${h}`,
        racoonArgs(['-F', '-f', join(dir, `${h}-racoon.conf`), '-v', '--socket', sock[h]]),
      );
      procs.push(rc);
      await rc.waitFor(/policies mirrored/);
    }
    if (!captureSkip) {
      capture = spawn('tshark', ['-i', 'lo', '-f', `udp port ${port.a} or udp port ${port.b}`, '-w', captureFile], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      captureSkip = await new Promise<string | undefined>((resolve) => {
        let err = '';
        capture!.stderr!.on('data', (x: Buffer) => {
          err += x.toString();
          if (/Capturing on|Capture started/.test(err)) resolve(undefined);
        });
        capture!.on('exit', () => resolve(`live capture on lo not permitted here: ${err.trim().split('\n').pop()}`));
        capture!.on('error', (e) => resolve(e.message));
      });
    }
  });

  after(async () => {
    if (capture && capture.exitCode === null) {
      const done = new Promise((r) => capture!.once('exit', r));
      capture.kill('SIGINT');
      await done;
    }
    await Promise.all(procs.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('first datagram dropped while racoon negotiates; then ESP with the negotiated SPIs; after DELETE dropped again, then renegotiated', async function () {
    const l = new Proc('listen 5001', [
      ...programArgs('app/uipsec'),
      'listen',
      '5001',
      '--count',
      '2',
      '--socket',
      sock.b,
    ]);
    procs.push(l);
    await l.waitFor(/listening on UDP port/);
    const first = await uipsec('a', ['send', B, '5001', 'first, before any SA']);
    assert.equal(first.code, 1, 'the first datagram is dropped, and uipsec send says so');
    assert.match(first.err, /\(ips_out_nosa\): .*ACQUIRE/);
    const negotiated = await pairs();
    const spiAb = negotiated.find((s) => s.src === A)!.spi;
    assert.equal((await uipsec('a', ['send', B, '5001', 'second, under ESP'])).code, 0);
    // b deletes the pair's inbound SA; racoon b tells racoon a (ISAKMP DELETE), both pairs go.
    const del = await runProc(
      'setkey',
      [...programArgs('setkey/main'), '--socket', sock.b, '-c'],
      `delete ${A} ${B} esp 0x${spiAb.toString(16)};\n`,
    );
    assert.equal(del.code, 0, del.err);
    while ((await esp('a')).some((s) => s.spi === spiAb)) await new Promise((r) => setTimeout(r, 50));
    assert.equal((await uipsec('a', ['send', B, '5001', 'third, after the DELETE'])).code, 1);
    const again = await pairs();
    const spiAb2 = again.find((s) => s.src === A)!.spi;
    assert.notEqual(spiAb2, spiAb, 'a new SA pair was negotiated');
    assert.equal((await uipsec('a', ['send', B, '5001', 'fourth, under the new SA'])).code, 0);
    assert.equal(await l.exited, 0, l.out + l.err);
    const got = [...l.out.matchAll(/ \d+ bytes {2}"(.*)"\n/g)].map((m) => m[1]);
    assert.deepEqual(got, ['second, under ESP', 'fourth, under the new SA']);

    if (captureSkip) return;
    // dumpcap writes with a delay: wait (bounded) until the last datagram, ESP under the new SA, is in the file.
    const decode = ['-d', `udp.port==${port.a},ip`, '-d', `udp.port==${port.b},ip`];
    for (let i = 0; i < 100; i++) {
      const seen = spawnSync('tshark', ['-r', captureFile, ...decode, '-Y', `esp.spi == ${spiAb2}`], {
        encoding: 'utf8',
      }).stdout.trim();
      if (seen) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const done = new Promise((r) => capture!.once('exit', r));
    capture!.kill('SIGINT');
    await done;
    const t = spawnSync(
      'tshark',
      [
        '-r',
        captureFile,
        ...decode,
        '-T',
        'fields',
        '-e',
        'ip.proto',
        '-e',
        'udp.dstport',
        '-e',
        'esp.spi',
        '-e',
        'isakmp.ispi',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(t.status, 0, t.stderr);
    const rows = t.stdout
      .trimEnd()
      .split('\n')
      .map((x) => x.split('\t'));
    const kind = rows.map((r) => (r[2] ? `esp ${parseInt(r[2], 16)}` : r[3] ? 'ike' : `other ${r[0]} ${r[1]}`));
    assert.ok(
      kind.every((k) => k === 'ike' || k.startsWith('esp')),
      `only IKE and ESP between the hosts: ${kind.join(', ')}`,
    );
    const espA = kind.filter((k) => k === `esp ${spiAb}` || k === `esp ${spiAb2}`);
    assert.deepEqual(
      espA,
      [`esp ${spiAb}`, `esp ${spiAb2}`],
      'a -> b: one datagram under each SA; the two without an SA never left',
    );
    assert.ok(kind.indexOf(`esp ${spiAb}`) > kind.indexOf('ike'), 'ESP after the negotiation');
    const bytes = readFileSync(captureFile).toString('latin1');
    for (const s of ['first, before', 'second, under', 'third, after', 'fourth, under'])
      assert.ok(!bytes.includes(s), `"${s}" not in clear`);
  });
});
