// Issue 10, first real test: two machines (network namespaces joined by a veth), each running
// `uipsecd --tun utun0 --load policies.conf` as its own process, as docs/protecting-real-traffic.md says.
// Host-to-host transport mode with manual keys between the machines' real addresses: curl fetches a file
// from `python3 -m http.server` on the other machine while tshark on the veth sees no cleartext TCP, only
// ESP (raw protocol 50) — and the same with AH, IPComp+ESP and ESP-in-UDP (RFC 3948); an iperf3 TCP run
// shares each capture. Then uipsecd is
// killed with SIGKILL in the middle of a transfer: the kill-switch keeps every packet of the flow off the
// wire, and after a restart with --load the fetch works again. A clean stop removes the rules and routes.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { programArgs } from '../e2e/support.js';
import { iperfSkipReason, runIperf } from '../support/iperf.js';
import { makePair, netnsSkipReason, nsRun, NsProc, startDaemon, type Pair } from './netns.js';

const KEY = {
  enc1: '0x11223344556677889900aabbccddeeff',
  auth1: '0x00112233445566778899aabbccddeeff0011223344556677889900aabbccddee',
  enc2: '0xffeeddccbbaa00998877665544332211',
  auth2: '0xeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100ff',
};

type Variant = 'esp' | 'ah' | 'ipcomp' | 'esp-udp' | 'esp6';

/** The setkey text for machine `self` (the same SAs on both; each side's policies from its own view). */
function policies(v: Variant, A: string, B: string, self: 'a' | 'b'): string {
  const sa = (src: string, dst: string, spi: number, enc: string, auth: string): string[] => {
    const esp = `-E aes-cbc ${enc} -A hmac-sha256 ${auth}`;
    if (v === 'ah') return [`add ${src} ${dst} ah ${spi} -m transport -A hmac-sha256 ${auth};`];
    // esp6: the same ESP SAs between the machines' IPv6 addresses (raw IPv6 sockets, IPV6_HDRINCL).
    if (v === 'esp-udp') return [`add ${src}[4500] ${dst}[4500] esp-udp ${spi} -m transport ${esp};`];
    const out = [`add ${src} ${dst} esp ${spi} -m transport ${esp};`];
    if (v === 'ipcomp') out.push(`add ${src} ${dst} ipcomp ${spi + 0x100} -m transport -C deflate;`);
    return out;
  };
  const req =
    v === 'ah'
      ? 'ah/transport//require'
      : v === 'ipcomp'
        ? 'ipcomp/transport//use esp/transport//require'
        : 'esp/transport//require';
  const [out, inn] = self === 'a' ? ['out', 'in'] : ['in', 'out'];
  return [
    'flush;',
    'spdflush;',
    ...sa(A, B, 0x1001, KEY.enc1, KEY.auth1),
    ...sa(B, A, 0x2001, KEY.enc2, KEY.auth2),
    `spdadd ${A} ${B} any -P ${out} ipsec ${req};`,
    `spdadd ${B} ${A} any -P ${inn} ipsec ${req};`,
    '',
  ].join('\n');
}

/** Frames in a capture that match a display filter. */
function frames(file: string, filter: string): number {
  const r = spawnSync('tshark', ['-r', file, '-Y', filter], { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0 ? r.stdout.split('\n').filter(Boolean).length : -1;
}

describe('os: host-to-host transport mode through TUN devices (uipsecd --tun --load, curl, iperf3, tshark on the veth)', function () {
  this.timeout(300_000);
  const skip =
    netnsSkipReason(['curl', 'tshark']) ??
    iperfSkipReason() ??
    (spawnSync('/usr/bin/python3', ['-V']).error ? '/usr/bin/python3 missing' : undefined);
  let pair: Pair;
  let dir = '';
  const procs: NsProc[] = [];
  let bigSize = 0;

  before(function () {
    if (skip) this.skip();
    pair = makePair('tun', '10.201.7', 'fd00:201:7');
    dir = mkdtempSync(join(tmpdir(), 'uipsec-tun-'));
    mkdirSync(join(dir, 'www'));
    writeFileSync(join(dir, 'www', 'small.bin'), randomBytes(300_000));
    // Compressible, so that IPComp (RFC 3173 §2.2: sent only when it helps) is really applied.
    writeFileSync(join(dir, 'www', 'text.txt'), 'uipsec protects real traffic. '.repeat(10_000));
    bigSize = 6_000_000;
    writeFileSync(join(dir, 'www', 'big.bin'), randomBytes(bigSize));
    // Bound to :: (dual stack): the same server answers over IPv4 and IPv6.
    const http = new NsProc(
      'http.server',
      pair.b,
      ['/usr/bin/python3', '-m', 'http.server', '8080', '--bind', '::'],
      join(dir, 'www'),
    );
    procs.push(http);
    return http.waitFor(/Serving HTTP/, 20_000);
  });

  after(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGTERM')));
    pair?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const daemon = (v: Variant, side: 'a' | 'b'): NsProc => {
    const conf = join(dir, `${v}-${side}.conf`);
    const [A, B] = v === 'esp6' ? [pair.addr6A, pair.addr6B] : [pair.addrA, pair.addrB];
    writeFileSync(conf, policies(v, A, B, side));
    const d = startDaemon(side === 'a' ? pair.a : pair.b, `uipsecd ${side}`, [
      '--socket',
      join(dir, v, side, 'pfkey.sock'),
      '--tun',
      'utun0',
      '--load',
      conf,
      '-v',
    ]);
    procs.push(d);
    return d;
  };

  const capture = async (name: string, peer = pair.addrB): Promise<{ file: string; stop: () => Promise<void> }> => {
    const file = join(dir, `${name}.pcapng`);
    const t = new NsProc('tshark', pair.a, ['tshark', '-i', pair.ifA, '-f', `host ${peer}`, '-w', file]);
    procs.push(t);
    await t.waitFor(/Capturing on/, 20_000);
    return {
      file,
      stop: async () => {
        await new Promise((r) => setTimeout(r, 300));
        await t.stop('SIGINT');
      },
    };
  };

  const fetch = (file: string, extra: string[] = [], timeoutS = 30, host = pair.addrB) =>
    nsRun(
      pair.a,
      [
        'curl',
        '-sS',
        '--max-time',
        String(timeoutS),
        ...extra,
        '-o',
        join(dir, 'got.bin'),
        '-w',
        '%{http_code} %{size_download}',
        `http://${host.includes(':') ? `[${host}]` : host}:8080/${file}`,
      ],
      (timeoutS + 10) * 1000,
    );

  const outerProto: Record<Variant, string> = {
    esp: 'ip.proto == 50',
    ah: 'ip.proto == 51',
    ipcomp: 'ip.proto == 50',
    'esp-udp': 'udp.port == 4500 && esp',
    esp6: 'ipv6.nxt == 50',
  };
  const re = (s: string) => s.replace(/[.:]/g, (c) => `\\${c}`);

  for (const v of ['esp', 'ah', 'ipcomp', 'esp-udp', 'esp6'] as const) {
    it(`${v}: curl gets the file, iperf3 TCP runs; the veth carries only ${outerProto[v]}, never cleartext TCP; a clean stop removes rules and routes`, async () => {
      const [da, db] = [daemon(v, 'a'), daemon(v, 'b')];
      await Promise.all([da.waitFor(/ up: TUN utun0/), db.waitFor(/ up: TUN utun0/)]);
      const v6 = v === 'esp6';
      const [A, B] = v6 ? [pair.addr6A, pair.addr6B] : [pair.addrA, pair.addrB];
      const fam = v6 ? '-6' : '-4';
      const rules = nsRun(pair.a, ['ip', fam, 'rule', 'show']).out;
      assert.match(rules, /4500:\s+not from all fwmark 0x4500 lookup 4500/);
      const table = nsRun(pair.a, ['ip', fam, 'route', 'show', 'table', '4500']).out;
      assert.match(table, new RegExp(`${re(B)} dev utun0 .*src ${re(A)}`), table);
      assert.match(table, new RegExp(`prohibit ${re(B)} .*metric 4500`), table);
      const cap = await capture(v, B);
      const file = v === 'ipcomp' ? 'text.txt' : 'small.bin';
      const r = fetch(file, [], 30, B);
      // An iperf3 TCP run in the same capture: 2 s, paced (-b) so that the capture stays small.
      const perf = await runIperf({
        serverNs: pair.b,
        serverAddr: B,
        clientNs: pair.a,
        clientAddr: A,
        seconds: 2,
        bitrate: '20M',
      });
      await cap.stop();
      assert.equal(r.out, '200 300000', r.out + da.out.slice(-2000));
      assert.ok(perf.bytes > 0, `iperf3 received ${perf.bytes} bytes`);
      assert.deepEqual(readFileSync(join(dir, 'got.bin')), readFileSync(join(dir, 'www', file)));
      if (v === 'ipcomp') {
        // The server's host compressed the body (inside ESP, where tshark cannot look): its own counters say so.
        const st = nsRun(pair.b, [
          process.execPath,
          ...programArgs('app/uipsec'),
          'status',
          '--json',
          '--socket',
          join(dir, v, 'b', 'pfkey.sock'),
        ]);
        const counters = (JSON.parse(st.out) as { counters: Record<string, number> }).counters;
        assert.ok((counters.ipcomps_output ?? 0) > 10, `ipcomps_output on b: ${st.out.slice(0, 2000)}`);
      }
      assert.equal(frames(cap.file, 'ip.proto == 6 || ipv6.nxt == 6'), 0, 'cleartext TCP on the wire');
      // AH authenticates without encrypting: there the iperf3 flow is visible, and only inside AH.
      if (v === 'ah') assert.ok(frames(cap.file, 'ah && tcp.port == 5201') > 10, 'the iperf3 flow in AH');
      assert.equal(
        frames(cap.file, 'tcp'),
        v === 'ah' ? frames(cap.file, 'ah && tcp') : 0,
        'TCP outside the IPsec header',
      );
      assert.ok(frames(cap.file, outerProto[v]) > 50, `${outerProto[v]} frames`);
      if (v === 'esp' || v === 'esp6') {
        // The daemon's own ICMP echo (uipsec ping) still works: b's machine answers, through its TUN, under ESP.
        const ping = nsRun(pair.a, [
          process.execPath,
          ...programArgs('app/uipsec'),
          'ping',
          B,
          '-c',
          '2',
          '-i',
          '100',
          '--socket',
          join(dir, v, 'a', 'pfkey.sock'),
        ]);
        assert.match(ping.out, /2 packets transmitted, 2 packets received/, ping.out);
      }
      assert.equal(await da.stop('SIGTERM'), 0);
      assert.equal(await db.stop('SIGTERM'), 0);
      assert.doesNotMatch(nsRun(pair.a, ['ip', 'rule', 'show']).out, /fwmark 0x4500/);
      assert.equal(nsRun(pair.a, ['ip', 'route', 'show', 'table', '4500']).out.trim(), '');
    });
  }

  it('strict rp_filter: ESP passes the reverse-path check (wire rules), cleartext from the protected peer is dropped', async () => {
    for (const ns of [pair.a, pair.b]) nsRun(ns, ['sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=1']);
    try {
      const [da, db] = [daemon('esp', 'a'), daemon('esp', 'b')];
      await Promise.all([da.waitFor(/ up: TUN utun0/), db.waitFor(/ up: TUN utun0/)]);
      assert.match(nsRun(pair.a, ['ip', 'rule', 'show']).out, /4499:\s+from all ipproto esp lookup main/);
      const r = fetch('small.bin');
      assert.equal(r.out, '200 300000', r.out);
      // A UDP listener on a; b sends it a datagram in clear from a socket carrying the daemon's mark (so it
      // skips b's own TUN, as a misconfigured or hostile peer would): a's kernel refuses it.
      const listen = new NsProc('udp listener', pair.a, [
        '/usr/bin/python3',
        '-c',
        `import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(('${pair.addrA}',9999)); s.settimeout(3)
print('listening',flush=True)
try: print('GOT',s.recvfrom(100)[0],flush=True)
except socket.timeout: print('nothing',flush=True)`,
      ]);
      procs.push(listen);
      await listen.waitFor(/listening/, 10_000);
      const sent = nsRun(pair.b, [
        '/usr/bin/python3',
        '-c',
        `import socket; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.setsockopt(socket.SOL_SOCKET,36,0x4500); s.sendto(b'clear',('${pair.addrA}',9999)); print('sent')`,
      ]);
      assert.match(sent.out, /sent/);
      await listen.waitFor(/nothing|GOT/, 10_000);
      assert.match(listen.out, /nothing/, listen.out);
      assert.equal(await da.stop('SIGTERM'), 0);
      assert.equal(await db.stop('SIGTERM'), 0);
      assert.doesNotMatch(nsRun(pair.a, ['ip', 'rule', 'show']).out, /4499:/);
    } finally {
      for (const ns of [pair.a, pair.b]) nsRun(ns, ['sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=0']);
    }
  });

  it('kill -9 in the middle of a transfer: not one packet of the flow leaves in clear; after a restart with --load it flows again', async () => {
    let da = daemon('esp', 'a');
    const db = daemon('esp', 'b');
    await Promise.all([da.waitFor(/ up: TUN utun0/), db.waitFor(/ up: TUN utun0/)]);
    const cap = await capture('kill9');
    const slow = new NsProc('curl', pair.a, [
      'curl',
      '-sS',
      '--max-time',
      '12',
      '--limit-rate',
      '400k',
      '-o',
      join(dir, 'partial.bin'),
      `http://${pair.addrB}:8080/big.bin`,
    ]);
    procs.push(slow);
    await new Promise((r) => setTimeout(r, 2000));
    assert.ok(slow.running, `curl ended early: ${slow.out}`);
    da.child.kill('SIGKILL');
    await da.exited;
    // TCP keeps retransmitting into the machine's routing: the prohibit route refuses every segment.
    await new Promise((r) => setTimeout(r, 3000));
    await slow.stop('SIGTERM');
    await cap.stop();
    assert.equal(frames(cap.file, 'ip.proto == 6'), 0, 'cleartext TCP on the wire after the kill');
    assert.ok(frames(cap.file, 'ip.proto == 50') > 20, 'ESP before the kill');
    const left = nsRun(pair.a, ['ip', 'route', 'show', 'table', '4500']).out;
    assert.match(left, /prohibit/, `the kill-switch outlives the daemon: ${left}`);
    assert.doesNotMatch(left, /utun0/);
    assert.match(nsRun(pair.a, ['ip', 'rule', 'show']).out, /fwmark 0x4500/);

    da = daemon('esp', 'a');
    await da.waitFor(/ up: TUN utun0/);
    const cap2 = await capture('after-restart');
    const r = fetch('small.bin');
    await cap2.stop();
    assert.equal(r.out, '200 300000', r.out + da.out.slice(-2000));
    assert.deepEqual(readFileSync(join(dir, 'got.bin')), readFileSync(join(dir, 'www', 'small.bin')));
    assert.equal(frames(cap2.file, 'ip.proto == 6'), 0);
    assert.equal(await da.stop('SIGTERM'), 0);
    assert.equal(await db.stop('SIGTERM'), 0);
  });
});
