// TUN mode with racoon (issue 10): two machines in network namespaces, each running `uipsecd --tun utun0
// --load policies.conf` (policies only, no SAs) and `racoon -F -f racoon.conf` as separate processes. The
// first curl raises ACQUIRE; racoon's main mode and quick mode travel over the machines' real UDP 500
// (through the host's sockets and the marked wire socket); the file then arrives under ESP, and tshark on
// the veth sees ISAKMP and ESP only, never cleartext TCP, during the fetch and an iperf3 TCP run after it.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iperfSkipReason, runIperf } from '../support/iperf.js';
import { makePair, netnsSkipReason, nsRun, NsProc, startDaemon, type Pair } from './netns.js';
import { racoonCmd } from './racoon-machine.js';

function racoonConf(peer: string, dir: string, side: string): string {
  return `path pre_shared_key "${join(dir, `${side}.psk`)}";
listen { adminsock "${join(dir, `${side}-admin.sock`)}"; }
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

function frames(file: string, filter: string): number {
  const r = spawnSync('tshark', ['-r', file, '-Y', filter], { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0 ? r.stdout.split('\n').filter(Boolean).length : -1;
}

describe('os: racoon negotiates over the machines’ real UDP 500 between two TUN hosts (uipsecd --tun, racoon, curl, tshark)', function () {
  this.timeout(180_000);
  const skip =
    netnsSkipReason(['curl', 'tshark']) ??
    iperfSkipReason() ??
    (spawnSync('/usr/bin/python3', ['-V']).error ? '/usr/bin/python3 missing' : undefined);
  let pair: Pair;
  let dir = '';
  const procs: NsProc[] = [];

  before(function () {
    if (skip) this.skip();
    pair = makePair('rcn', '10.201.8', 'fd00:201:8');
    dir = mkdtempSync(join(tmpdir(), 'uipsec-tunrc-'));
    mkdirSync(join(dir, 'www'));
    writeFileSync(join(dir, 'www', 'f.bin'), randomBytes(200_000));
  });

  after(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGTERM')));
    pair?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ACQUIRE, main mode and quick mode on UDP 500, then the transfer under ESP; nothing in clear', async () => {
    const { addrA: A, addrB: B } = pair;
    for (const side of ['a', 'b'] as const) {
      const [ns, peer, out, inn] = side === 'a' ? [pair.a, B, 'out', 'in'] : [pair.b, A, 'in', 'out'];
      writeFileSync(
        join(dir, `${side}.conf`),
        `flush;\nspdflush;\nspdadd ${A} ${B} any -P ${out} ipsec esp/transport//require;\nspdadd ${B} ${A} any -P ${inn} ipsec esp/transport//require;\n`,
      );
      writeFileSync(join(dir, `${side}.psk`), `${peer}\tuipsec-tun-secret\n`, { mode: 0o600 });
      writeFileSync(join(dir, `${side}-racoon.conf`), racoonConf(peer, dir, side));
      const sock = join(dir, side, 'pfkey.sock');
      const d = startDaemon(ns, `uipsecd ${side}`, [
        '--socket',
        sock,
        '--tun',
        'utun0',
        '--load',
        join(dir, `${side}.conf`),
      ]);
      procs.push(d);
      await d.waitFor(/ up: TUN utun0/);
      const r = new NsProc(
        `racoon ${side}`,
        ns,
        racoonCmd(['-F', '-f', join(dir, `${side}-racoon.conf`), '-v', '--socket', sock]),
      );
      procs.push(r);
      await r.waitFor(/racoon started/);
    }
    const http = new NsProc(
      'http.server',
      pair.b,
      ['/usr/bin/python3', '-m', 'http.server', '8080', '--bind', B],
      join(dir, 'www'),
    );
    procs.push(http);
    await http.waitFor(/Serving HTTP/, 20_000);
    const file = join(dir, 'cap.pcapng');
    const cap = new NsProc('tshark', pair.a, ['tshark', '-i', pair.ifA, '-f', `host ${B}`, '-w', file]);
    procs.push(cap);
    await cap.waitFor(/Capturing on/, 20_000);
    // The first SYN raises ACQUIRE and is dropped (require, no SA yet); TCP retransmits once racoon is done.
    const got = nsRun(
      pair.a,
      ['curl', '-sS', '--max-time', '40', '-o', join(dir, 'got.bin'), '-w', '%{http_code}', `http://${B}:8080/f.bin`],
      60_000,
    );
    // Then an iperf3 TCP run over the SAs racoon installed (2 s, paced so that the capture stays small).
    const perf = await runIperf({
      serverNs: pair.b,
      serverAddr: B,
      clientNs: pair.a,
      clientAddr: A,
      seconds: 2,
      bitrate: '20M',
    });
    await new Promise((r) => setTimeout(r, 300));
    await cap.stop('SIGINT');
    assert.equal(got.out, '200', got.out + procs.map((p) => p.out.slice(-1500)).join('\n'));
    assert.ok(perf.bytes > 0, `iperf3 received ${perf.bytes} bytes`);
    assert.deepEqual(readFileSync(join(dir, 'got.bin')), readFileSync(join(dir, 'www', 'f.bin')));
    assert.ok(frames(file, 'isakmp && udp.port == 500') >= 6, 'main mode and quick mode on UDP 500');
    assert.ok(frames(file, 'ip.proto == 50') > 50, 'the transfer in ESP');
    assert.equal(frames(file, 'ip.proto == 6'), 0, 'cleartext TCP');
    const racoonA = procs.find((p) => p.label === 'racoon a')!;
    assert.match(racoonA.out, /ISAKMP-SA established/);
    assert.match(racoonA.out, /IPsec-SA established/);
  });
});
