// Interop: what the real UDP underlay and the real NAT-T socket carry, decoded by tshark (Wireshark 4.0,
// an independent dissector). The packets each link sends and receives are written to a pcap file
// (tests/support/pcap.ts, LINKTYPE_RAW); `tshark -r file -V` must show the expected ESP/AH/IPComp headers
// (SPIs/CPIs, sequence numbers 1, 2, 3... per SA), and with the SA keys in `-o uat:esp_sa:...`
// (the ESP SA table of Wireshark's ESP dissector, epan/dissectors/packet-ipsec.c) tshark decrypts the ESP and shows the inner ICMP and UDP.
// Skipped, with the reason, when tshark is not installed (Debian: tshark).
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter, capturingLink } from '../support/pcap.js';
import { underlayPair, protectPair, receiveN, saParams, UA, UB } from '../scenarios/lab.js';
import { nattPair, nattEsp } from '../scenarios/natt-lab.js';
import type { IpsecProto } from '../../kernel/sad/secassoc.js';
import type { Host } from '../../kernel/host/host.js';
import { toHex } from '../../common/bytes.js';

function tsharkMissing(): string | undefined {
  const r = spawnSync('tshark', ['-v'], { encoding: 'utf8' });
  if (r.error) return 'tshark not installed (Debian package: tshark)';
  return r.status === 0 ? undefined : 'tshark -v failed';
}

/** Wireshark's ESP preference names (epan/dissectors/packet-ipsec.c UAT choices) for our algorithms. */
const WS_ENC: Record<string, string> = {
  'aes-gcm-16': 'AES-GCM with 16 octet ICV [RFC4106]',
  'aes-cbc': 'AES-CBC [RFC3602]',
  null: 'NULL',
};
const WS_AUTH: Record<string, string> = {
  'hmac-sha1': 'HMAC-SHA-1-96 [RFC2404]',
  'hmac-sha256': 'HMAC-SHA-256-128 [RFC4868]',
};

interface EspKey {
  family: 4 | 6;
  src: string;
  dst: string;
  spi: number;
  enc: string;
  auth?: string;
  mode: 'transport' | 'tunnel';
}

/** One `-o uat:esp_sa:` record with the SA's keys, rebuilt from the same deterministic parameters. */
function uat(k: EspKey): string {
  const p = saParams({ proto: 'esp', mode: k.mode, enc: k.enc, auth: k.auth }, k.src, k.dst, k.spi);
  const q = (s: string) => `"${s}"`;
  return `uat:esp_sa:${[
    q(k.family === 4 ? 'IPv4' : 'IPv6'),
    q(k.src),
    q(k.dst),
    q(`0x${k.spi.toString(16).padStart(8, '0')}`),
    q(WS_ENC[k.enc]!),
    q(`0x${toHex(p.encKey!)}`),
    q(k.auth ? WS_AUTH[k.auth]! : 'NULL'),
    q(p.authKey ? `0x${toHex(p.authKey)}` : ''),
  ].join(',')}`;
}

function tshark(file: string, args: string[]): string {
  const r = spawnSync('tshark', ['-r', file, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** `-T fields` rows split on tabs. */
function fields(file: string, names: string[], extra: string[] = []): string[][] {
  const out = tshark(file, [...extra, '-T', 'fields', ...names.flatMap((n) => ['-e', n])]);
  return out
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => l.split('\t'));
}

async function exchange(a: Host, b: Host, dst: string, size: number): Promise<void> {
  const replies = await a.ping(dst, { count: 2, intervalMs: 0, timeoutMs: 5000, size });
  assert.equal(replies.length, 2);
  const got = receiveN(b, 4242, 1);
  a.udpSocket().send(
    new TextEncoder().encode('tshark sees this after decryption '.repeat(size > 500 ? 30 : 1)),
    dst,
    4242,
  );
  await got;
}

const skip = tsharkMissing();

/** One exchange captured into a shared pcap: which SAs it used and what tshark must show for it. */
interface Case {
  name: string;
  proto: IpsecProto;
  fam: 'v4' | 'v6';
  mode: 'transport' | 'tunnel';
  spi: number; // a -> b; b -> a is spi + 1
  keys: string[]; // uat:esp_sa records (ESP only)
}

const ESP_SUITES = [{ enc: 'aes-gcm-16' }, { enc: 'aes-cbc', auth: 'hmac-sha1' }] as const;

/** Runs every underlay case, each on its own pair of hosts, capturing host a's link (both ways) into `pcap`. */
async function underlayCases(pcap: PcapWriter): Promise<Case[]> {
  const cases: Case[] = [];
  let spi = 0x1000;
  const run = async (c: Omit<Case, 'spi' | 'keys'>, suite?: { enc: string; auth?: string }) => {
    const p = await underlayPair((l, n) => (n === 'a' ? capturingLink(l, pcap, true) : l));
    const keys: string[] = [];
    try {
      if (suite) {
        for (const h of [p.a, p.b]) {
          h.sad.add(saParams({ proto: 'esp', mode: c.mode, ...suite }, UA[c.fam], UB[c.fam], spi));
          h.sad.add(saParams({ proto: 'esp', mode: c.mode, ...suite }, UB[c.fam], UA[c.fam], spi + 1));
        }
        protectPairPolicies(p, 'esp', c.mode, c.fam);
        const family = c.fam === 'v4' ? 4 : 6;
        keys.push(
          uat({ family, src: UA[c.fam], dst: UB[c.fam], spi, mode: c.mode, ...suite }),
          uat({ family, src: UB[c.fam], dst: UA[c.fam], spi: spi + 1, mode: c.mode, ...suite }),
        );
      } else {
        protectPair(p, c.proto, c.mode, c.fam, spi);
      }
      await exchange(p.a, p.b, UB[c.fam], c.proto === 'ipcomp' ? 1000 : 64);
    } finally {
      p.close();
    }
    cases.push({ ...c, spi, keys });
    spi += 0x10;
  };
  for (const fam of ['v4', 'v6'] as const) {
    for (const mode of ['transport', 'tunnel'] as const) {
      for (const suite of ESP_SUITES)
        await run({ name: `ESP ${suite.enc} ${mode} ${fam}`, proto: 'esp', fam, mode }, suite);
    }
  }
  for (const mode of ['transport', 'tunnel'] as const) {
    await run({ name: `AH ${mode} v4`, proto: 'ah', fam: 'v4', mode });
    await run({ name: `IPComp ${mode} v4`, proto: 'ipcomp', fam: 'v4', mode });
  }
  return cases;
}

const spiText = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

/** tshark shows a field once per occurrence, comma-separated: the outermost is the first. */
const first = (v: string | undefined) => (v ?? '').split(',')[0]!;

describe('interop tshark: the UDP underlay and the NAT-T socket decode as ESP/AH/IPComp', function () {
  let dir = '';
  let cases: Case[] = [];
  let underlay = '';
  before(async function () {
    if (skip) {
      this.skip();
      return;
    }
    dir = mkdtempSync(join(tmpdir(), 'uipsec-tshark-'));
    const pcap = new PcapWriter();
    cases = await underlayCases(pcap);
    underlay = join(dir, 'underlay.pcap');
    pcap.write(underlay);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  if (skip)
    it(`skipped: ${skip}`, function () {
      this.skip();
    });

  it('tshark -V names ESP, AH and IPComp and every SPI we used', () => {
    const v = tshark(underlay, ['-V']);
    assert.match(v, /Encapsulating Security Payload/);
    assert.match(v, /Authentication Header/);
    assert.match(v, /IP Payload Compression/);
    for (const c of cases) {
      if (c.proto === 'esp')
        for (const s of [c.spi, c.spi + 1]) assert.match(v, new RegExp(`ESP SPI: ${spiText(s)} `), c.name);
      if (c.proto === 'ah')
        for (const s of [c.spi, c.spi + 1]) assert.match(v, new RegExp(`AH SPI: ${spiText(s)}`), c.name);
    }
  });

  it('per SA: sequence numbers 1, 2, 3 (a -> b: two echoes and a datagram) and 1, 2 (b -> a: two replies); with the keys tshark decrypts ESP to the inner ICMP/UDP', () => {
    const keys = cases.flatMap((c) => c.keys.flatMap((k) => ['-o', k]));
    const names = [
      'esp.spi',
      'esp.sequence',
      'ah.spi',
      'ah.sequence',
      'ip.proto',
      'ipcomp.cpi',
      'ipcomp.next_header',
      'icmp.type',
      'icmpv6.type',
      'udp.dstport',
      'esp.icv_good',
    ];
    const rows = fields(underlay, names, [
      '-o',
      'esp.enable_encryption_decode:TRUE',
      '-o',
      'esp.enable_authentication_check:TRUE',
      ...keys,
    ]);
    const col = (r: string[], n: string) => r[names.indexOf(n)] ?? '';
    for (const c of cases) {
      if (c.proto === 'ipcomp') continue;
      const spiF = c.proto === 'esp' ? 'esp.spi' : 'ah.spi',
        seqF = c.proto === 'esp' ? 'esp.sequence' : 'ah.sequence';
      const mine = rows.filter((r) => [spiText(c.spi), spiText(c.spi + 1)].includes(first(col(r, spiF))));
      assert.deepEqual(
        mine.map((r) => `${first(col(r, spiF))}#${first(col(r, seqF))}`),
        [
          `${spiText(c.spi)}#1`,
          `${spiText(c.spi)}#2`,
          `${spiText(c.spi + 1)}#1`,
          `${spiText(c.spi + 1)}#2`,
          `${spiText(c.spi)}#3`,
        ],
        c.name,
      );
      // Decrypted (ESP) or in clear (AH): echo request, request, reply, reply, then the UDP datagram to 4242.
      const icmp = c.fam === 'v4' ? 'icmp.type' : 'icmpv6.type';
      const want = c.fam === 'v4' ? ['8', '8', '0', '0', ''] : ['128', '128', '129', '129', ''];
      assert.deepEqual(
        mine.map((r) => col(r, icmp)),
        want,
        `${c.name}: inner ICMP`,
      );
      assert.ok(col(mine[4]!, 'udp.dstport').split(',').includes('4242'), `${c.name}: inner UDP`);
      // tshark recomputes the HMAC-SHA1-96 ICV itself (it does not check GCM tags).
      if (c.name.includes('aes-cbc'))
        assert.deepEqual(
          mine.map((r) => col(r, 'esp.icv_good')),
          ['1', '1', '1', '1', '1'],
          `${c.name}: ICV`,
        );
    }
    const comp = rows.filter((r) => first(col(r, 'ip.proto')) === '108');
    assert.equal(comp.length, 10, 'five compressed packets per IPComp case');
    // Without SADB_X_EXT_RAWCPI the wire carries deflate's well-known CPI 2 (RFC 2407 §4.4.5, RFC 3173 §2.2).
    for (const r of comp) assert.equal(parseInt(col(r, 'ipcomp.cpi'), 16), 2);
    const nhs = comp.map((r) => parseInt(col(r, 'ipcomp.next_header'), 16));
    assert.deepEqual(nhs.filter((x) => x === 4).length, 5, 'tunnel mode: IPv4 inside');
    assert.deepEqual(nhs.filter((x) => x === 1 || x === 17).length, 5, 'transport mode: ICMP or UDP inside');
  });

  it('NAT-T socket, live capture on lo: real datagrams (ESP, IKE with the non-ESP marker, keepalive) decode and decrypt', async function () {
    const p = await nattPair();
    const [pa, pb] = [p.na.encapPort, p.nb.encapPort];
    const file = join(dir, 'natt-live.pcapng');
    // -c 7: tshark stops by itself after the seven datagrams below, so nothing has to be interrupted; the
    // duration autostop only guarantees that the capture process always ends (a lost datagram would else hang).
    const cap = spawn(
      'tshark',
      ['-i', 'lo', '-c', '7', '-a', 'duration:60', '-f', `udp port ${pa} or udp port ${pb}`, '-w', file],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const exited = new Promise<void>((resolve) => {
      cap.once('exit', () => resolve());
      cap.once('error', () => resolve());
    });
    let err = '';
    try {
      const started = await new Promise<boolean>((resolve) => {
        cap.stderr!.on('data', (d: Buffer) => {
          err += d.toString();
          if (/Capture started/.test(err)) resolve(true);
        });
        void exited.then(() => resolve(false));
      });
      if (!started) {
        this.skip();
        return;
      } // no capture permission here; the pcap-writer tests above still ran
      nattEsp(p, 'transport', 0x8200);
      p.na.sendIke(
        Uint8Array.from({ length: 28 }, (_, i) => i + 1),
        p.nb.address(),
      );
      p.na.sendKeepalive(p.nb.address());
      await exchange(p.a, p.b, '127.0.0.2', 64);
      await exited;
    } finally {
      p.close();
      if (cap.exitCode === null && cap.signalCode === null) {
        cap.kill('SIGTERM');
        await exited;
      }
    }
    const keys = [
      uat({ family: 4, src: '127.0.0.1', dst: '127.0.0.2', spi: 0x8200, mode: 'transport', enc: 'aes-gcm-16' }),
      uat({ family: 4, src: '127.0.0.2', dst: '127.0.0.1', spi: 0x8201, mode: 'transport', enc: 'aes-gcm-16' }),
    ];
    const opts = [
      '-d',
      `udp.port==${pa},udpencap`,
      '-d',
      `udp.port==${pb},udpencap`,
      '-o',
      'esp.enable_encryption_decode:TRUE',
      ...keys.flatMap((k) => ['-o', k]),
    ];
    const rows = fields(
      file,
      [
        'udp.srcport',
        'udp.dstport',
        'udpencap.non_esp_marker',
        'udpencap.nat_keepalive',
        'esp.spi',
        'esp.sequence',
        'icmp.type',
      ],
      opts,
    );
    const show = rows.map((r) =>
      r[2] ? 'ike' : r[3] ? 'keepalive' : `${first(r[0])}>${first(r[1])} ${r[4]}#${r[5]} ${r[6]}`,
    );
    // UDP delivery order between the IKE/keepalive sends and the ESP ones is the kernel's: compare as sets.
    assert.deepEqual(
      show.sort(),
      [
        'ike',
        'keepalive',
        `${pa}>${pb} 0x00008200#1 8`,
        `${pa}>${pb} 0x00008200#2 8`,
        `${pb}>${pa} 0x00008201#1 0`,
        `${pb}>${pa} 0x00008201#2 0`,
        `${pa}>${pb} 0x00008200#3 `,
      ].sort(),
      err,
    );
  });

  for (const mode of ['transport', 'tunnel'] as const) {
    it(`NAT-T socket ${mode}: UDP-encapsulated ESP between the real ports, decrypted`, async () => {
      const pcap = new PcapWriter();
      const p = await nattPair((l, n) => (n === 'a' ? capturingLink(l, pcap, true) : l));
      const spi = mode === 'transport' ? 0x8000 : 0x8100;
      const [pa, pb] = [p.na.encapPort, p.nb.encapPort];
      try {
        nattEsp(p, mode, spi);
        await exchange(p.a, p.b, mode === 'transport' ? '127.0.0.2' : '10.8.0.2', 64);
      } finally {
        p.close();
      }
      const file = join(dir, `natt-${mode}.pcap`);
      pcap.write(file);
      const keys = [
        uat({ family: 4, src: '127.0.0.1', dst: '127.0.0.2', spi, mode, enc: 'aes-gcm-16' }),
        uat({ family: 4, src: '127.0.0.2', dst: '127.0.0.1', spi: spi + 1, mode, enc: 'aes-gcm-16' }),
      ];
      const opts = [
        '-d',
        `udp.port==${pa},udpencap`,
        '-d',
        `udp.port==${pb},udpencap`,
        '-o',
        'esp.enable_encryption_decode:TRUE',
        ...keys.flatMap((k) => ['-o', k]),
      ];
      const names = ['udp.srcport', 'udp.dstport', 'esp.spi', 'esp.sequence', 'icmp.type'];
      const rows = fields(file, names, opts);
      assert.deepEqual(
        rows.map((r) => `${first(r[0])}>${first(r[1])} ${r[2]}#${r[3]} ${r[4]}`),
        [
          `${pa}>${pb} ${spiText(spi)}#1 8`,
          `${pa}>${pb} ${spiText(spi)}#2 8`,
          `${pb}>${pa} ${spiText(spi + 1)}#1 0`,
          `${pb}>${pa} ${spiText(spi + 1)}#2 0`,
          `${pa}>${pb} ${spiText(spi)}#3 `,
        ],
      );
      assert.ok(rows[4]![1]!.split(',').includes('4242'), 'the inner UDP datagram to 4242, decrypted');
    });
  }
});

/** The policy half of protectPair (the SAs are added by the caller with a chosen suite). */
function protectPairPolicies(
  p: { a: Host; b: Host },
  proto: IpsecProto,
  mode: 'transport' | 'tunnel',
  fam: 'v4' | 'v6',
): void {
  const a = UA[fam],
    b = UB[fam],
    host = fam === 'v4' ? 32 : 128;
  const req = (s: string, d: string) => [
    { proto, mode, level: 'require' as const, ...(mode === 'tunnel' ? { src: s, dst: d } : {}) },
  ];
  p.a.spd.addPolicy({ src: `${a}/${host}`, dst: `${b}/${host}`, dir: 'out', action: 'ipsec', requests: req(a, b) });
  p.a.spd.addPolicy({ src: `${b}/${host}`, dst: `${a}/${host}`, dir: 'in', action: 'ipsec', requests: req(b, a) });
  p.b.spd.addPolicy({ src: `${b}/${host}`, dst: `${a}/${host}`, dir: 'out', action: 'ipsec', requests: req(b, a) });
  p.b.spd.addPolicy({ src: `${a}/${host}`, dst: `${b}/${host}`, dir: 'in', action: 'ipsec', requests: req(a, b) });
}
