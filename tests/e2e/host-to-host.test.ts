// Cross-process host-to-host transport mode (issue 7, docs/quickstart.md): two uipsecd processes on two
// loopback addresses joined by the UDP underlay, policies and SAs loaded with `setkey -f` (a process), the
// hosts' applications (`uipsec listen`/`send`/`ping --udp`, processes on uipsecd's app channel) protected by
// ESP, AH and IPComp+ESP, ICMP echo between the hosts (`uipsec ping`, sent by uipsecd's own stack) under ESP
// with the ESP counters of `uipsec status --json` rising on both hosts, seen on the wire by tshark (live
// capture on lo, decrypted with the SA keys), and refused when an SA is deleted (fail closed).
//
//   uipsec send ──app channel── uipsecd a (10.7.0.1) ══ UDP 127.0.0.1:PA <-> 127.0.0.2:PB ══ uipsecd b (10.7.0.2) ──app channel── uipsec listen
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Proc, runProc } from './proc.js';
import { programArgs, underlayDaemonArgs } from './support.js';

const A = '10.7.0.1',
  B = '10.7.0.2';
const KEY = {
  esp: '0x11223344556677889900aabbccddeeff',
  espAuth: '0x00112233445566778899aabbccddeeff0011223344556677889900aabbccddee',
  espBack: '0xffeeddccbbaa00998877665544332211',
  espBackAuth: '0xeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100ff',
  ah: '0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20',
};
const SA_ESP = `add ${A} ${B} esp 0x1001 -m transport -E aes-cbc ${KEY.esp} -A hmac-sha256 ${KEY.espAuth};`;

/** The same SAs on both hosts; each host's policies from its own point of view (out on a = in on b). */
function setkeyConf(self: 'a' | 'b'): string {
  const out = self === 'a' ? 'out' : 'in',
    back = self === 'a' ? 'in' : 'out';
  return `flush;
spdflush;
${SA_ESP}
add ${B} ${A} esp 0x2001 -m transport -E aes-cbc ${KEY.espBack} -A hmac-sha256 ${KEY.espBackAuth};
add ${A} ${B} ah 0x1002 -m transport -A hmac-sha256 ${KEY.ah};
add ${A} ${B} ipcomp 0x1003 -m transport -C deflate;
spdadd ${A} ${B}[5001] udp -P ${out} ipsec esp/transport//require;
spdadd ${A} ${B}[5002] udp -P ${out} ipsec ah/transport//require;
spdadd ${A} ${B}[5003] udp -P ${out} ipsec ipcomp/transport//use esp/transport//require;
spdadd ${A} ${B}[7] udp -P ${out} ipsec esp/transport//require;
spdadd ${B}[7] ${A} udp -P ${back} ipsec esp/transport//require;
spdadd ${A} ${B} icmp -P ${out} ipsec esp/transport//require;
spdadd ${B} ${A} icmp -P ${back} ipsec esp/transport//require;
`;
}

function tsharkMissing(): string | undefined {
  const r = spawnSync('tshark', ['-v'], { encoding: 'utf8' });
  return r.error ? 'tshark not installed (Debian package: tshark)' : undefined;
}

function countFrames(file: string): number {
  const r = spawnSync('tshark', ['-r', file], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n').filter(Boolean).length : 0;
}

/** Received datagram texts from `uipsec listen` output lines. */
function received(out: string): string[] {
  return [...out.matchAll(/ \d+ bytes {2}"(.*)"\n/g)].map((m) => JSON.parse(`"${m[1]}"`) as string);
}

describe('e2e: host-to-host transport mode across processes (uipsecd + setkey -f + uipsec, tshark on lo)', function () {
  const dir = mkdtempSync(join(tmpdir(), 'uipsec-e2e-'));
  const sock = { a: join(dir, 'a', 'pfkey.sock'), b: join(dir, 'b', 'pfkey.sock') };
  const base = 20000 + Math.floor(Math.random() * 20000);
  const port = { a: base, b: base + 1 };
  const procs: Proc[] = [];
  let capture: ReturnType<typeof spawn> | undefined;
  let captureFile = '';
  let captureSkip: string | undefined = tsharkMissing();

  const uipsec = (host: 'a' | 'b', args: string[]) =>
    runProc(`uipsec ${args[0]}`, [...programArgs('app/uipsec'), ...args, '--socket', sock[host]]);
  const setkey = (host: 'a' | 'b', args: string[], stdin?: string) =>
    runProc('setkey', [...programArgs('setkey/main'), '--socket', sock[host], ...args], stdin);
  const listen = async (p: number, extra: string[] = []) => {
    const l = new Proc(`listen ${p}`, [
      ...programArgs('app/uipsec'),
      'listen',
      String(p),
      '--socket',
      sock.b,
      ...extra,
    ]);
    procs.push(l);
    await l.waitFor(/listening on UDP port/);
    return l;
  };

  before(async function () {
    for (const h of ['a', 'b'] as const) {
      const me = h === 'a' ? A : B,
        peer = h === 'a' ? B : A;
      const lo = h === 'a' ? '127.0.0.1' : '127.0.0.2',
        peerLo = h === 'a' ? '127.0.0.2' : '127.0.0.1';
      const d = new Proc(
        `uipsecd ${h}`,
        underlayDaemonArgs({
          name: h,
          socket: sock[h],
          address: me,
          peer,
          underlay: `${lo}:${port[h]}`,
          peerUnderlay: `${peerLo}:${port[h === 'a' ? 'b' : 'a']}`,
        }),
      );
      procs.push(d);
      await d.waitFor(/ up: /);
    }
    if (!captureSkip) {
      captureFile = join(dir, 'lo.pcapng');
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
    for (const h of ['a', 'b'] as const) {
      writeFileSync(join(dir, `${h}.conf`), setkeyConf(h));
      const r = await setkey(h, ['-f', join(dir, `${h}.conf`)]);
      assert.equal(r.code, 0, `setkey -f ${h}.conf: ${r.out}${r.err}`);
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

  it('setkey -D through uipsecd shows the four SAs on each host', async () => {
    for (const h of ['a', 'b'] as const) {
      const r = await setkey(h, ['-D']);
      assert.equal(r.code, 0, r.err);
      for (const spi of ['0x00001001', '0x00002001', '0x00001002', '0x00001003'])
        assert.ok(r.out.includes(`(${spi})`), `${h}: ${spi}\n${r.out}`);
    }
  });

  it("ESP, AH and IPComp+ESP carry the applications' datagrams; UDP echo through ESP both ways; fail closed after DELETE; ICMP ping under ESP with status counters", async () => {
    const [l1, l2, l3, echo] = await Promise.all([
      listen(5001, ['--count', '3']),
      listen(5002, ['--count', '2']),
      listen(5003, ['--count', '2']),
      listen(7, ['--echo']),
    ]);
    const big = 'compress me '.repeat(50);
    for (const [p, msg] of [
      [5001, 'esp hidden'],
      [5002, 'ah signed'],
      [5003, big],
    ] as const) {
      const r = await uipsec('a', ['send', B, String(p), msg, '--count', '2']);
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(r.out, /sent 2 datagrams/);
    }
    assert.equal(await l2.exited, 0);
    assert.deepEqual(received(l2.out), ['ah signed', 'ah signed']);
    assert.equal(await l3.exited, 0);
    assert.deepEqual(received(l3.out), [big, big]);
    const ping = await uipsec('a', ['ping', '--udp', '7', B, '-c', '3', '-i', '50']);
    assert.equal(ping.code, 0, ping.out + ping.err);
    assert.match(ping.out, /3 packets transmitted, 3 packets received, 0\.0% packet loss/);

    // b loses the inbound SA: a still sends ESP; b cannot open it and the listener gets nothing.
    let r = await setkey('b', ['-c'], `delete ${A} ${B} esp 0x1001;\n`);
    assert.equal(r.code, 0, r.err);
    assert.equal((await uipsec('a', ['send', B, '5001', 'secret after b deleted'])).code, 0);
    // a loses its outbound SA: the datagram is refused by a's stack and never leaves.
    r = await setkey('a', ['-c'], `delete ${A} ${B} esp 0x1001;\n`);
    assert.equal(r.code, 0, r.err);
    const refused = await uipsec('a', ['send', B, '5001', 'secret after a deleted']);
    assert.equal(refused.code, 1, 'uipsec send reports the drop');
    assert.match(refused.err, /dropped by uipsecd's host \(ips_out_nosa\): a policy requires IPsec and there is no SA/);
    assert.equal(refused.out, '');
    // Both re-add the SA (fresh counters): the next datagram arrives, after the refused ones would have.
    for (const h of ['a', 'b'] as const) assert.equal((await setkey(h, ['-c'], `${SA_ESP}\n`)).code, 0);
    assert.equal((await uipsec('a', ['send', B, '5001', 'after restore'])).code, 0);
    assert.equal(await l1.exited, 0, l1.out + l1.err);
    assert.deepEqual(received(l1.out), ['esp hidden', 'esp hidden', 'after restore']);
    await echo.stop();

    // ICMP echo from a's stack to b's (RFC 792), under the ESP policies for ICMP: both status counters rise.
    type Status = {
      counters: Record<string, number>;
      interfaces: { name: string; addresses: string[]; mtu: number }[];
      tables: { sad: number; spd: number };
    };
    const status = async (h: 'a' | 'b') => {
      const st = await uipsec(h, ['status', '--json']);
      assert.equal(st.code, 0, st.err);
      return JSON.parse(st.out) as Status;
    };
    const c = (s: Status, k: string) => s.counters[k] ?? 0;
    const [a0, b0] = [await status('a'), await status('b')];
    assert.deepEqual(
      a0.interfaces.map((i) => [i.name, i.addresses]),
      [['ul0', [`${A}/24`]]],
    );
    assert.deepEqual(a0.tables, { sad: 4, spd: 7 });
    const icmp = await uipsec('a', ['ping', B, '-c', '3', '-i', '20']);
    assert.equal(icmp.code, 0, icmp.out + icmp.err);
    for (const seq of [0, 1, 2])
      assert.match(icmp.out, new RegExp(`64 bytes from 10\\.7\\.0\\.2: icmp_seq=${seq} ttl=64 time=`));
    assert.match(icmp.out, /3 packets transmitted, 3 packets received, 0\.0% packet loss/);
    const [a1, b1] = [await status('a'), await status('b')];
    assert.deepEqual(
      [c(a1, 'esps_output') - c(a0, 'esps_output'), c(b1, 'esps_input') - c(b0, 'esps_input')],
      [3, 3],
      'requests a -> b in ESP',
    );
    assert.deepEqual(
      [c(b1, 'esps_output') - c(b0, 'esps_output'), c(a1, 'esps_input') - c(a0, 'esps_input')],
      [3, 3],
      'replies b -> a in ESP',
    );
    assert.equal(c(b1, 'icps_reflect') - c(b0, 'icps_reflect'), 3, 'b answered three echo requests');
    // uipsec status (a process, over PF_KEY) counts the two AH datagrams on the AH SA at both ends.
    for (const h of ['a', 'b'] as const) {
      const st = await uipsec(h, ['status', '--json']);
      assert.equal(st.code, 0, st.err);
      const sas = (
        JSON.parse(st.out) as { sas: { spi: number; satype: string; lifetime: { current: { allocations: number } } }[] }
      ).sas;
      assert.equal(
        sas.find((x) => x.satype === 'ah' && x.spi === 0x1002)?.lifetime.current.allocations,
        2,
        `${h}: ${st.out}`,
      );
    }
    assert.equal([...echo.out.matchAll(/ -> 10\.7\.0\.2:7 {2}56 bytes /g)].length, 3, echo.out);
  });

  it('tshark on lo: only ESP/AH/IPComp between the hosts, SPIs and sequence numbers, decrypted with the keys (ICMP echo inside ESP); no secret in clear', async function () {
    if (captureSkip) {
      this.skip();
      return;
    }
    // dumpcap writes with a delay: wait until the 20 frames of the test above are in the file (bounded).
    for (let i = 0; i < 100 && countFrames(captureFile) < 20; i++) await new Promise((r) => setTimeout(r, 100));
    const done = new Promise((res) => capture!.once('exit', res));
    capture!.kill('SIGINT');
    await done;
    const dec = ['-d', `udp.port==${port.a},ip`, '-d', `udp.port==${port.b},ip`];
    const keys = [
      `"IPv4","${A}","${B}","0x00001001","AES-CBC [RFC3602]","${KEY.esp}","HMAC-SHA-256-128 [RFC4868]","${KEY.espAuth}"`,
      `"IPv4","${B}","${A}","0x00002001","AES-CBC [RFC3602]","${KEY.espBack}","HMAC-SHA-256-128 [RFC4868]","${KEY.espBackAuth}"`,
    ];
    const t = spawnSync(
      'tshark',
      [
        '-r',
        captureFile,
        ...dec,
        '-o',
        'esp.enable_encryption_decode:TRUE',
        '-o',
        'esp.enable_authentication_check:TRUE',
        ...keys.flatMap((k) => ['-o', `uat:esp_sa:${k}`]),
        '-T',
        'fields',
        '-e',
        'ip.src',
        '-e',
        'ip.proto',
        '-e',
        'esp.spi',
        '-e',
        'esp.sequence',
        '-e',
        'ah.spi',
        '-e',
        'ah.sequence',
        '-e',
        'ipcomp.cpi',
        '-e',
        'udp.dstport',
        '-e',
        'esp.icv_good',
        '-e',
        'icmp.type',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(t.status, 0, t.stderr);
    const rows = t.stdout
      .trimEnd()
      .split('\n')
      .map((l) => l.split('\t'));
    // The inner protocol (second ip.proto value) is always ESP (50) or AH (51) from the hosts' point of view.
    const outer = rows.map((r) => r[1]!.split(',')[1]);
    assert.ok(
      outer.every((p) => p === '50' || p === '51'),
      `only ESP/AH inside the underlay: ${outer.join(' ')}`,
    );
    const esp1001 = rows.filter((r) => r[2] === '0x00001001');
    // 2 ESP + 2 IPComp+ESP + 3 UDP echo requests, then "secret after b deleted" (seq 8), then after the re-add
    // seq 1, then the three ICMP echo requests.
    assert.deepEqual(
      esp1001.map((r) => r[3]),
      ['1', '2', '3', '4', '5', '6', '7', '8', '1', '2', '3', '4'],
      rows.map((r) => r.join(' ')).join('\n'),
    );
    assert.deepEqual(
      esp1001.filter((r) => r[9] !== '').map((r) => [r[3], r[9]]),
      [
        ['2', '8'],
        ['3', '8'],
        ['4', '8'],
      ],
      'ICMP echo requests inside ESP',
    );
    assert.ok(
      esp1001.every((r) => r[8] === '1'),
      'tshark verified every HMAC',
    );
    assert.deepEqual(
      rows.filter((r) => r[4] === '0x00001002').map((r) => r[5]),
      ['1', '2'],
      'AH sequence numbers',
    );
    assert.equal(rows.filter((r) => r[6] !== '').length, 2, 'two IPComp headers inside ESP (decrypted)');
    const esp2001 = rows.filter((r) => r[2] === '0x00002001');
    assert.deepEqual(
      esp2001.map((r) => [r[3], r[9]]),
      [
        ['1', ''],
        ['2', ''],
        ['3', ''],
        ['4', '0'],
        ['5', '0'],
        ['6', '0'],
      ],
      'UDP then ICMP echo replies b -> a under ESP',
    );
    assert.ok(
      esp1001.every((r) => r[9] !== '' || ['5001', '5003', '7'].includes(r[7]!.split(',').pop()!)),
      'decrypted: the inner UDP ports',
    );
    const bytes = readFileSync(captureFile).toString('latin1');
    for (const s of ['secret after', 'after restore', 'esp hidden', 'compress me'])
      assert.ok(!bytes.includes(s), `"${s}" never in clear on the wire`);
    assert.ok(
      bytes.includes('ah signed'),
      'AH authenticates but does not encrypt: its payload is visible, as RFC 4302 says',
    );
  });
});
