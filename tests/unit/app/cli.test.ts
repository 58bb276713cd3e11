// The uipsec command line in-process against a real uipsecd started in this process (its Unix sockets are
// real): status (text and --json) over PF_KEY and the app channel's STATUS, send/listen on the app channel,
// ping as ICMP echo from the daemon's host (PING frame) and as UDP echo (--udp), and the documented
// exit statuses for usage errors, missing daemons, unreadable or malformed files.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type Daemon } from '../../../kernel/daemon/main.js';
import { defaultConfig } from '../../../kernel/daemon/config.js';
import { main } from '../../../app/uipsec.js';
import { reportSend } from '../../../app/cmd-app-channel.js';
import type { CliIo } from '../../../app/cli-io.js';
import { runSetkeyInproc } from '../../../app/setkey-inproc.js';
import { nullLogger } from '../../../common/log.js';

interface TestIo extends CliIo {
  text(): string;
  errText(): string;
  abort(): void;
}

function io(dir: string, stdin = ''): TestIo {
  let out = '',
    err = '';
  const ac = new AbortController();
  return {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
    readFile: (p) => readFileSync(join(dir, p)),
    writeFile: (p, d) => writeFileSync(join(dir, p), d),
    env: {},
    readStdin: async () => stdin,
    interrupt: ac.signal,
    text: () => out,
    errText: () => err,
    abort: () => ac.abort(),
  };
}

async function until(pred: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !pred(); i++) await new Promise((r) => setTimeout(r, 5));
}

const CONF = `
add 10.9.0.1 10.9.0.2 esp 0x3001 -m transport -E aes-cbc 0x000102030405060708090a0b0c0d0e0f -A hmac-sha256 0x000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f;
add 10.9.0.1 10.9.0.2 ipcomp 0x3002 -C deflate;
spdadd 10.9.0.1 10.9.0.2[5000] udp -P out ipsec ipcomp/transport//use esp/transport//require;
`;

describe('uipsec command line (in-process uipsecd)', function () {
  let dir = '';
  let d: Daemon;
  let sock = '';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'uipsec-cli-'));
    sock = join(dir, 'pfkey.sock');
    d = await startDaemon(
      {
        ...defaultConfig({}),
        name: 'cli',
        socketPath: sock,
        ikeSocketPath: join(dir, 'ike.sock'),
        logLevel: 'error',
        addresses: ['10.9.0.1/24'],
        underlay: { host: '127.0.0.1', port: 0 },
      },
      { log: nullLogger },
    );
    const r = await runSetkeyInproc(d.keysock, ['-f', 'c.conf'], { files: { 'c.conf': CONF } });
    assert.equal(r.code, 0, r.err);
  });
  after(async () => {
    await d?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('status: interfaces, tables, SAs and the policy at a glance; --json has the setkey -D/-DP --json fields and the host part', async () => {
    const t = io(dir);
    assert.equal(await main(['status', '--socket', sock], t), 0, t.errText());
    const s = t.text();
    const ul = d.underlay!.address();
    assert.match(s, new RegExp(`ul0 +10\\.9\\.0\\.1/24 +1400 +udp underlay 127\\.0\\.0\\.1:${ul.port}\n`));
    assert.match(s, /10\.9\.0\.0\/24 +- +ul0/);
    assert.match(s, /SAD 2 SAs, SPD 1 policy/);
    assert.match(s, /Security associations \(2\)/);
    assert.match(s, /10\.9\.0\.1 > 10\.9\.0\.2 +esp +transport +0x00003001 +mature +aes-cbc \+ hmac-sha256 +0 +0 /);
    assert.match(s, /10\.9\.0\.1 > 10\.9\.0\.2 +ipcomp +\S+ +0x00003002 +mature +deflate/);
    assert.match(s, /Policies \(1\)/);
    assert.match(
      s,
      /10\.9\.0\.1\/32 > 10\.9\.0\.2\/32\[5000\] +udp +out ipsec ipcomp\/transport\/\/use esp\/transport\/\/require/,
    );
    const j = io(dir);
    assert.equal(await main(['status', '--socket', sock, '--json'], j), 0);
    const o = JSON.parse(j.text()) as {
      sas: { spi: number; satype: string; encryption?: { key: string } }[];
      policies: { dir: string; requests: unknown[] }[];
      interfaces: { name: string; addresses: string[]; mtu: number }[];
      tables: { sad: number; spd: number };
      counters: Record<string, number>;
      offline: null;
    };
    assert.deepEqual(
      o.interfaces.map((i) => [i.name, i.addresses, i.mtu]),
      [['ul0', ['10.9.0.1/24'], 1400]],
    );
    assert.deepEqual(o.tables, { sad: 2, spd: 1 });
    assert.equal(o.offline, null);
    assert.equal(typeof o.counters, 'object');
    assert.deepEqual(o.sas.map((x) => [x.satype, x.spi]).sort(), [
      ['esp', 0x3001],
      ['ipcomp', 0x3002],
    ]);
    assert.deepEqual(o.sas.find((x) => x.satype === 'esp')!.encryption, { alg: 'aes-cbc' }, 'no key without --keys');
    const k = io(dir);
    assert.equal(await main(['status', '--socket', sock, '--json', '--keys'], k), 0);
    const ok = JSON.parse(k.text()) as typeof o;
    assert.equal(ok.sas.find((x) => x.satype === 'esp')!.encryption!.key, '000102030405060708090a0b0c0d0e0f');
    const bad = io(dir);
    assert.equal(await main(['status', '--socket', sock, '--keys'], bad), 2);
    assert.match(bad.errText(), /--keys goes with --json/);
    assert.deepEqual(
      o.policies.map((p) => [p.dir, p.requests.length]),
      [['out', 2]],
    );
  });

  it("status -f uipsecd.conf: the daemon's own view wins when it answers; offline, the config's interfaces and routes", async () => {
    writeFileSync(
      join(dir, 'uipsecd.conf'),
      'address 10.9.0.1/24\nunderlay 127.0.0.1:7001\nneighbour 10.9.0.2=127.0.0.2:7002\nroute 10.8.0.0/16 10.9.0.2\n',
    );
    const t = io(dir);
    assert.equal(await main(['status', '-s', sock, '-f', join(dir, 'uipsecd.conf')], t), 0, t.errText());
    assert.match(t.text(), new RegExp(`udp underlay 127\\.0\\.0\\.1:${d.underlay!.address().port}\n`));
    assert.doesNotMatch(t.text(), /127\.0\.0\.1:7001/);
    const off = io(dir);
    const nope = join(dir, 'nope.sock');
    assert.equal(await main(['status', '-s', nope, '-f', join(dir, 'uipsecd.conf')], off), 0, off.errText());
    assert.match(
      off.text(),
      /ul0 +10\.9\.0\.1\/24 +1400 +udp underlay 127\.0\.0\.1:7001; neighbours 10\.9\.0\.2=127\.0\.0\.2:7002/,
    );
    assert.match(off.text(), /10\.8\.0\.0\/16 +10\.9\.0\.2 +ul0/);
    assert.match(off.text(), /uipsecd not reachable \(no uipsecd on .*nope\.sock/);
    assert.doesNotMatch(off.text(), /Security associations/);
    const offJ = io(dir);
    assert.equal(await main(['status', '-s', nope, '-f', join(dir, 'uipsecd.conf'), '--json'], offJ), 0);
    const oj = JSON.parse(offJ.text()) as { sas: unknown; policies: unknown; offline: string; interfaces: unknown[] };
    assert.deepEqual([oj.sas, oj.policies, oj.interfaces.length], [null, null, 1]);
    assert.match(oj.offline, /nope\.sock/);
    // Without -s, the daemon is the one at the file's `socket` (and its IKE channel beside it).
    writeFileSync(join(dir, 'own.conf'), `socket ${sock}\naddress 10.9.0.1/24\nunderlay 127.0.0.1:7001\n`);
    const own = io(dir);
    assert.equal(await main(['status', '-f', join(dir, 'own.conf')], own), 0, own.errText());
    assert.match(own.text(), new RegExp(`udp underlay 127\\.0\\.0\\.1:${d.underlay!.address().port}\n`));
    assert.equal(own.errText(), '');
    writeFileSync(join(dir, 'bad.conf'), 'address nonsense\n');
    const b = io(dir);
    assert.equal(await main(['status', '-s', sock, '-f', join(dir, 'bad.conf')], b), 2);
    assert.match(b.errText(), /bad\.conf:1/);
  });

  it("listen / send / ping through the app channel (to the host's own address, no policy there)", async () => {
    const l = io(dir);
    const listening = main(['listen', '6000', '--count', '2', '--json', '--socket', sock], l);
    await until(
      () => d.ike.stats.connections >= 1 && d.host.udpTable.lookup(new Uint8Array([10, 9, 0, 1]), 6000) !== undefined,
    );
    const s = io(dir, 'line one\nline two\n');
    assert.equal(await main(['send', '--stdin', '10.9.0.1', '6000', '--socket', sock], s), 0, s.errText());
    assert.match(s.text(), /sent 2 datagrams from port \d+ to 10\.9\.0\.1:6000/);
    assert.equal(await listening, 0);
    const got = l
      .text()
      .trim()
      .split('\n')
      .map((x) => JSON.parse(x) as { from: string; to: string; port: number; text: string });
    assert.deepEqual(
      got.map((g) => [g.from, g.to, g.port, g.text]),
      [
        ['10.9.0.1', '10.9.0.1', 6000, '"line one"'],
        ['10.9.0.1', '10.9.0.1', 6000, '"line two"'],
      ],
    );

    // ICMP echo from the daemon's host to its own address (RFC 792: 8 header bytes + 56 data bytes).
    const icmpBefore = d.host.netstat.get('icps_reflect');
    const p = io(dir);
    assert.equal(
      await main(['ping', '10.9.0.1', '-c', '3', '-i', '0', '--socket', sock], p),
      0,
      p.text() + p.errText(),
    );
    assert.match(p.text(), /^PING 10\.9\.0\.1: 56 data bytes/);
    for (const seq of [0, 1, 2])
      assert.match(p.text(), new RegExp(`64 bytes from 10\\.9\\.0\\.1: icmp_seq=${seq} ttl=64 time=\\d+\\.\\d{3} ms`));
    assert.match(
      p.text(),
      /3 packets transmitted, 3 packets received, 0\.0% packet loss\nround-trip min\/avg\/max\/stddev = /,
    );
    assert.equal(d.host.netstat.get('icps_reflect'), icmpBefore + 3, 'the host answered three echo requests');
    const big = io(dir);
    assert.equal(await main(['ping', '10.9.0.1', '-c', '1', '-s', '3000', '--socket', sock], big), 0, big.errText());
    assert.match(big.text(), /3008 bytes from 10\.9\.0\.1: icmp_seq=0/);

    // UDP echo (RFC 862) answered by `uipsec listen --echo`.
    const e = io(dir);
    const echo = main(['listen', '7', '--echo', '--socket', sock], e);
    await until(() => e.text().includes('listening'));
    const u = io(dir);
    assert.equal(
      await main(['ping', '--udp', '7', '10.9.0.1', '-c', '3', '-i', '0', '--socket', sock], u),
      0,
      u.text() + u.errText(),
    );
    assert.match(u.text(), /3 packets transmitted, 3 packets received, 0\.0% packet loss/);
    assert.match(u.text(), /56 bytes from 10\.9\.0\.1:7: seq=2 time=/);
    e.abort();
    assert.equal(await echo, 0);
  });

  it('ping without replies exits 1: no neighbour on the link, no route (EHOSTUNREACH), nobody on the UDP echo port', async () => {
    const lost = io(dir);
    assert.equal(await main(['ping', '10.9.0.2', '-c', '2', '-i', '0', '-W', '50', '--socket', sock], lost), 1);
    assert.match(lost.text(), /2 packets transmitted, 0 packets received, 100\.0% packet loss\n$/);
    const noRoute = io(dir);
    assert.equal(await main(['ping', '192.0.2.1', '-c', '1', '--socket', sock], noRoute), 1);
    assert.match(noRoute.errText(), /192\.0\.2\.1: no route to host/);
    const bad = io(dir);
    assert.equal(await main(['ping', 'nonsense', '--socket', sock], bad), 2);
    assert.equal(await main(['ping', '10.9.0.1', '-c', '0', '--socket', sock], io(dir)), 2);
  });

  it('ping interrupted (SIGINT) after the first reply: the summary counts what came back, exit 0', async () => {
    const p = io(dir);
    const running = main(['ping', '10.9.0.1', '-c', '5', '-i', '60000', '--socket', sock], p);
    await until(() => p.text().includes('icmp_seq=0'));
    p.abort();
    assert.equal(await running, 0, p.errText());
    assert.match(p.text(), /1 packets transmitted, 1 packets received, 0\.0% packet loss/);
  });

  it('UDP ping with nobody echoing: exit 1; a policy that needs a missing SA refuses the datagrams', async () => {
    const p = io(dir);
    assert.equal(await main(['ping', '10.9.0.1', '--udp', '9', '-c', '1', '-W', '50', '--socket', sock], p), 1);
    assert.match(p.text(), /1 packets transmitted, 0 packets received, 100\.0% packet loss/);
    const before = d.host.stats.get('ips_out_nosa');
    await runSetkeyInproc(d.keysock, ['-c'], {
      stdin: 'spdadd 10.9.0.1 10.9.0.1[6001] udp -P out ipsec esp/transport//require;\n',
    });
    const s = io(dir);
    assert.equal(await main(['send', '10.9.0.1', '6001', 'x', '--socket', sock], s), 1, 'the drop is reported');
    assert.equal(d.host.stats.get('ips_out_nosa'), before + 1, 'refused by the SPD (no SA): fail closed');
    assert.match(s.errText(), /the datagram to 10\.9\.0\.1:6001 dropped by uipsecd's host \(ips_out_nosa\)/);
    // Three datagrams, all refused: exit 1 and how many; stdin lines refused by a discard policy.
    const m = io(dir);
    assert.equal(await main(['send', '10.9.0.1', '6001', 'x', '-n', '3', '--socket', sock], m), 1);
    assert.match(m.errText(), /3 of 3 datagrams to 10\.9\.0\.1:6001 dropped .*\(ips_out_nosa\)/);
    const mixed = io(dir, 'a\nb\n');
    await runSetkeyInproc(d.keysock, ['-c'], { stdin: 'spdadd 10.9.0.1 10.9.0.1[6002] udp -P out discard;\n' });
    assert.equal(await main(['send', '--stdin', '10.9.0.1', '6002', '--socket', sock], mixed), 1);
    assert.match(mixed.errText(), /2 of 2 datagrams .* \(ips_out_polvio\): a policy discards this traffic/);
  });

  it('send: some datagrams out and some dropped is exit 3 (partial), each reason once with its count', () => {
    const p = io(dir);
    const ok = { errno: 0, reason: '' };
    const nosa = { errno: 13, reason: 'ips_out_nosa' };
    assert.equal(reportSend([ok, nosa, ok, nosa], '10.9.0.1:7', 1234, p), 3);
    assert.equal(p.text(), 'sent 2 datagrams from port 1234 to 10.9.0.1:7\n');
    assert.match(
      p.errText(),
      /^uipsec send: 2 of 4 datagrams to 10\.9\.0\.1:7 dropped by uipsecd's host \(ips_out_nosa\)/,
    );
    assert.equal(p.errText().split('\n').filter(Boolean).length, 1);
    assert.equal(reportSend([ok], '10.9.0.1:7', 1234, io(dir)), 0);
  });

  it('exit statuses: usage 2, no daemon 1, unreadable/malformed files 1, bad setkey file 2; --version and --help 0', async () => {
    const cases: [string[], number, RegExp][] = [
      [['send', 'not-an-address', '5000', 'x', '--socket', sock], 2, /is not an IPv4 or IPv6 address/],
      [['send', '10.9.0.1', '99999', 'x'], 2, /<port> must be a whole number in 1\.\.65535/],
      [['frobnicate'], 2, /unknown command 'frobnicate'/],
      [['status', '--socket', join(dir, 'nope.sock')], 1, /no uipsecd is listening on .*nope\.sock/],
      [['listen', '5000', '--app-socket', join(dir, 'nope.sock')], 1, /no uipsecd app channel at/],
      [['pcap', 'encap', '-c', 'missing.conf', 'a.pcap', 'b.pcap'], 1, /cannot read the setkey file missing\.conf/],
      [['pcap', 'encap', 'a.pcap', 'b.pcap'], 2, /required option '-c, --config <setkey\.conf>' not specified/],
    ];
    for (const [argv, code, re] of cases) {
      const t = io(dir);
      assert.equal(await main(argv, t), code, argv.join(' '));
      assert.match(t.errText(), re, argv.join(' '));
    }
    writeFileSync(join(dir, 'ok.conf'), CONF);
    writeFileSync(join(dir, 'junk.pcap'), 'not a capture');
    let t = io(dir);
    assert.equal(await main(['pcap', 'decap', '-c', 'ok.conf', 'junk.pcap', 'o.pcap'], t), 1);
    assert.match(t.errText(), /junk\.pcap: not a pcap file: magic/);
    writeFileSync(join(dir, 'bad.setkey'), 'add 10.0.0.1 10.0.0.2 esp 0x100 -E aes-cbc 0x00;\n');
    writeFileSync(
      join(dir, 'empty.pcap'),
      Uint8Array.from([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 101, 0, 0, 0]),
    );
    t = io(dir);
    assert.equal(await main(['pcap', 'encap', '-c', 'bad.setkey', 'empty.pcap', 'o.pcap'], t), 2);
    assert.match(t.errText(), /bad\.setkey:1: .*invalid key length/);
    t = io(dir);
    assert.equal(await main(['--version'], t), 0);
    assert.match(t.text(), /^uipsec \d+\.\d+\.\d+\n$/);
    for (const cmd of [
      [],
      ['pcap', 'encap'],
      ['pcap', 'decap'],
      ['status'],
      ['send'],
      ['listen'],
      ['ping'],
      ['demo'],
    ]) {
      t = io(dir);
      assert.equal(await main([...cmd, '--help'], t), 0, cmd.join(' '));
      assert.match(t.text(), /Examples:/, cmd.join(' '));
      assert.match(t.text(), /Exit status: 0/, cmd.join(' '));
    }
  });
});
