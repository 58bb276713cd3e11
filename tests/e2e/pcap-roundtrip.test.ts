// `uipsec pcap` round trip (issue 7 "must show"): a plain capture (IPv4 and IPv6, UDP and ICMP, raw and
// Ethernet link types) is encapsulated with the SAs and policies of a setkey file (ESP transport with
// AES-CBC + HMAC-SHA-256 and AES-GCM, ESP tunnel, IPComp+ESP), tshark (an independent dissector) decrypts
// it with the esp_sa table `--wireshark-keys` wrote and verifies the HMAC ICVs, and `pcap decap` gives back
// the original packets byte for byte. Skipped, with the reason, when tshark is not installed.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildEchoRequestPacket, buildUdpPacket } from '../../kernel/ip/packet.js';
import { parseAddr } from '../../common/inet.js';
import { main } from '../../app/uipsec.js';
import type { CliIo } from '../../app/cli-io.js';
import { decodePcap, encodePcap, LINKTYPE_ETHERNET, LINKTYPE_RAW, type PcapRecord } from '../../app/pcap/pcap-file.js';
import { programArgs } from './support.js';

function tsharkMissing(): string | undefined {
  const r = spawnSync('tshark', ['-v'], { encoding: 'utf8' });
  if (r.error) return 'tshark not installed (Debian package: tshark)';
  return r.status === 0 ? undefined : 'tshark -v failed';
}
const skip = tsharkMissing();

// Keys are test values. 192.0.2.1 <-> 192.0.2.2: AES-CBC + HMAC-SHA-256 (tshark checks the ICV);
// 2001:db8::1 <-> 2001:db8::2: AES-GCM-16; 10.1.0.0/24 <-> 10.2.0.0/24 tunnelled between 192.0.2.1 and .2;
// 198.51.100.1 <-> .2: IPComp (deflate) inside ESP.
export const CONF = `
add 192.0.2.1 192.0.2.2 esp 0x100 -m transport -E aes-cbc 0x000102030405060708090a0b0c0d0e0f -A hmac-sha256 0x101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f;
add 192.0.2.2 192.0.2.1 esp 0x101 -m transport -E aes-cbc 0x303132333435363738393a3b3c3d3e3f -A hmac-sha256 0x404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f;
add 2001:db8::1 2001:db8::2 esp 0x200 -m transport -E aes-gcm-16 0x606162636465666768696a6b6c6d6e6f70717273;
add 2001:db8::2 2001:db8::1 esp 0x201 -m transport -E aes-gcm-16 0x808182838485868788898a8b8c8d8e8f90919293;
add 192.0.2.1 192.0.2.2 esp 0x300 -m tunnel -E aes-gcm-16 0xa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3;
add 198.51.100.1 198.51.100.2 esp 0x400 -m transport -E aes-cbc 0xc0c1c2c3c4c5c6c7c8c9cacbcccdcecf -A hmac-sha1 0xd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3;
add 198.51.100.1 198.51.100.2 ipcomp 0x4000 -m transport -C deflate;
spdadd 192.0.2.1 192.0.2.2 any -P out ipsec esp/transport//require;
spdadd 192.0.2.2 192.0.2.1 any -P out ipsec esp/transport//require;
spdadd 192.0.2.1 192.0.2.2 any -P in ipsec esp/transport//require;
spdadd 192.0.2.2 192.0.2.1 any -P in ipsec esp/transport//require;
spdadd 2001:db8::1 2001:db8::2 any -P out ipsec esp/transport//require;
spdadd 2001:db8::2 2001:db8::1 any -P out ipsec esp/transport//require;
spdadd 2001:db8::1 2001:db8::2 any -P in ipsec esp/transport//require;
spdadd 2001:db8::2 2001:db8::1 any -P in ipsec esp/transport//require;
spdadd 10.1.0.0/24 10.2.0.0/24 any -P out ipsec esp/tunnel/192.0.2.1-192.0.2.2/require;
spdadd 10.1.0.0/24 10.2.0.0/24 any -P in ipsec esp/tunnel/192.0.2.1-192.0.2.2/require;
spdadd 198.51.100.1 198.51.100.2 udp -P out ipsec ipcomp/transport//use esp/transport//require;
spdadd 198.51.100.1 198.51.100.2 udp -P in ipsec ipcomp/transport//use esp/transport//require;
`;

const ip = (s: string) => parseAddr(s)!;
const text = (s: string) => new TextEncoder().encode(s);

/** The plain packets, with which SA protects each (for the tshark checks). */
export function plainPackets(): { packet: Uint8Array; spi: number; what: string }[] {
  const big = text('compressible '.repeat(60));
  return [
    {
      packet: buildUdpPacket({ src: ip('192.0.2.1'), dst: ip('192.0.2.2'), id: 1 }, 40000, 5000, text('udp v4 a->b')),
      spi: 0x100,
      what: 'udp',
    },
    {
      packet: buildUdpPacket({ src: ip('192.0.2.2'), dst: ip('192.0.2.1'), id: 2 }, 5000, 40000, text('udp v4 b->a')),
      spi: 0x101,
      what: 'udp',
    },
    {
      packet: buildEchoRequestPacket({ src: ip('192.0.2.1'), dst: ip('192.0.2.2'), id: 3 }, 77, 1, text('ping v4')),
      spi: 0x100,
      what: 'icmp',
    },
    {
      packet: buildUdpPacket({ src: ip('2001:db8::1'), dst: ip('2001:db8::2') }, 40001, 5001, text('udp v6 a->b')),
      spi: 0x200,
      what: 'udp',
    },
    {
      packet: buildEchoRequestPacket({ src: ip('2001:db8::2'), dst: ip('2001:db8::1') }, 78, 2, text('ping v6')),
      spi: 0x201,
      what: 'icmpv6',
    },
    {
      packet: buildUdpPacket({ src: ip('10.1.0.5'), dst: ip('10.2.0.7'), id: 4 }, 40002, 5002, text('udp tunnelled')),
      spi: 0x300,
      what: 'udp',
    },
    {
      packet: buildUdpPacket({ src: ip('198.51.100.1'), dst: ip('198.51.100.2'), id: 5 }, 40003, 5003, big),
      spi: 0x400,
      what: 'ipcomp',
    },
    {
      packet: buildUdpPacket(
        { src: ip('203.0.113.1'), dst: ip('203.0.113.2'), id: 6 },
        40004,
        5004,
        text('no policy: passes'),
      ),
      spi: 0,
      what: 'plain',
    },
  ];
}

function ether(p: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + p.length);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]);
  f.set(p[0]! >> 4 === 6 ? [0x86, 0xdd] : [0x08, 0x00], 12);
  f.set(p, 14);
  return f;
}

/** An ARP request frame: not IP, must be copied through unchanged. */
const ARP = Uint8Array.from([
  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 192, 0, 2,
  1, 0, 0, 0, 0, 0, 0, 192, 0, 2, 2,
]);

function capture(linktype: number): Uint8Array {
  const recs: PcapRecord[] = plainPackets().map((p, i) => {
    const data = linktype === LINKTYPE_ETHERNET ? ether(p.packet) : p.packet;
    return { tsSec: 1_700_000_000 + i, tsFrac: 250_000, data, origLen: data.length };
  });
  if (linktype === LINKTYPE_ETHERNET) recs.push({ tsSec: 1_700_000_100, tsFrac: 0, data: ARP, origLen: ARP.length });
  return encodePcap({ linktype, snaplen: 65535, nanos: false, records: recs });
}

function memIo(dir: string): CliIo & { text: () => string } {
  let out = '';
  return {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      out += s;
    },
    readFile: (p) => readFileSync(join(dir, p)),
    writeFile: (p, d) => writeFileSync(join(dir, p), d),
    env: {},
    readStdin: async () => '',
    text: () => out,
  };
}

function tshark(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync('tshark', ['-r', file, ...args], { encoding: 'utf8', env, maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe('e2e: uipsec pcap encap -> tshark decrypts with the exported keys -> decap gives the original bytes', function () {
  let dir = '';
  before(function () {
    if (skip) {
      this.skip();
      return;
    }
    dir = mkdtempSync(join(tmpdir(), 'uipsec-pcap-'));
    writeFileSync(join(dir, 'ipsec.conf'), CONF);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  if (skip)
    it(`skipped: ${skip}`, function () {
      this.skip();
    });

  for (const [name, linktype] of [
    ['raw (101)', LINKTYPE_RAW],
    ['ethernet (1)', LINKTYPE_ETHERNET],
  ] as const) {
    it(`link type ${name}`, async () => {
      const tag = String(linktype);
      writeFileSync(join(dir, `plain${tag}.pcap`), capture(linktype));
      const io = memIo(dir);
      const enc = await main(
        [
          'pcap',
          'encap',
          '--config',
          'ipsec.conf',
          `plain${tag}.pcap`,
          `esp${tag}.pcap`,
          '--wireshark-keys',
          `esp_sa${tag}`,
        ],
        io,
      );
      assert.equal(enc, 0, io.text());
      assert.match(io.text(), /7 encapsulated, 1 unchanged/);
      const encFile = join(dir, `esp${tag}.pcap`);
      const plain = plainPackets();

      // Without keys tshark sees ESP with our SPIs and sequence numbers, and none of the payload text.
      const rows = tshark(encFile, [
        '-T',
        'fields',
        '-e',
        'esp.spi',
        '-e',
        'esp.sequence',
        '-e',
        'ip.proto',
        '-e',
        'ipv6.nxt',
      ])
        .trimEnd()
        .split('\n')
        .filter((l) => !l.startsWith('\t\t'));
      const spis = rows
        .map((r) => r.split('\t')[0])
        .filter(Boolean)
        .map((s) => parseInt(s!, 16));
      assert.deepEqual(
        spis,
        plain.filter((p) => p.spi).map((p) => p.spi),
      );
      const seqOf = rows.map((r) => r.split('\t')[1]).filter(Boolean);
      assert.deepEqual(seqOf, ['1', '1', '2', '1', '1', '1', '1'], 'per-SA sequence numbers from 1');
      const bytes = readFileSync(encFile).toString('latin1');
      for (const s of ['udp v4 a->b', 'ping v4', 'udp v6 a->b', 'udp tunnelled', 'compressible'])
        assert.ok(!bytes.includes(s), `"${s}" is not in clear`);
      assert.ok(bytes.includes('no policy: passes'), 'the packet without a policy passes in clear');

      // With the esp_sa table we exported, tshark decrypts every ESP packet and checks the HMAC ICVs.
      const keys = readFileSync(join(dir, `esp_sa${tag}`), 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('"'));
      assert.equal(keys.length, 6, 'six ESP SAs (the IPComp SA is a comment)');
      const dec = tshark(encFile, [
        '-o',
        'esp.enable_encryption_decode:TRUE',
        '-o',
        'esp.enable_authentication_check:TRUE',
        ...keys.flatMap((k) => ['-o', `uat:esp_sa:${k}`]),
        '-T',
        'fields',
        '-e',
        'esp.spi',
        '-e',
        'udp.dstport',
        '-e',
        'icmp.type',
        '-e',
        'icmpv6.type',
        '-e',
        'ipcomp.cpi',
        '-e',
        'esp.icv_good',
      ])
        .trimEnd()
        .split('\n')
        .map((l) => l.split('\t'));
      const espRows = dec.filter((r) => r[0]);
      for (const [i, p] of plain.filter((x) => x.spi).entries()) {
        const r = espRows[i]!;
        if (p.what === 'udp')
          assert.ok(r[1]!.split(',').length >= 1 && r[1] !== '', `${p.spi.toString(16)}: inner UDP decrypted`);
        if (p.what === 'icmp') assert.equal(r[2], '8');
        if (p.what === 'icmpv6') assert.equal(r[3], '128');
        if (p.what === 'ipcomp')
          assert.equal(parseInt(r[4]!, 16), 2, 'IPComp (CPI 2, deflate) inside the decrypted ESP');
      }
      // tshark recomputes every ICV: four HMACs and three AES-GCM tags.
      assert.deepEqual(
        espRows.map((r) => r[5]),
        ['1', '1', '1', '1', '1', '1', '1'],
        'tshark verified every ICV',
      );

      // The same table as a Wireshark profile file (comments and all) works too.
      const prof = join(dir, `profile${tag}`);
      mkdirSync(prof);
      writeFileSync(join(prof, 'esp_sa'), readFileSync(join(dir, `esp_sa${tag}`)));
      const viaProfile = tshark(
        encFile,
        ['-o', 'esp.enable_encryption_decode:TRUE', '-Y', 'udp.dstport == 5000', '-T', 'fields', '-e', 'esp.spi'],
        { ...process.env, WIRESHARK_CONFIG_DIR: prof },
      );
      assert.equal(viaProfile.trim(), '0x00000100');

      // Back: decap restores the original packets byte for byte (the non-IP frame was copied through).
      const io2 = memIo(dir);
      const d = await main(['pcap', 'decap', '-c', 'ipsec.conf', `esp${tag}.pcap`, `back${tag}.pcap`], io2);
      assert.equal(d, 0, io2.text());
      const orig = decodePcap(readFileSync(join(dir, `plain${tag}.pcap`)));
      const back = decodePcap(readFileSync(join(dir, `back${tag}.pcap`)));
      assert.equal(back.records.length, orig.records.length);
      back.records.forEach((r, i) => {
        assert.deepEqual(Buffer.from(r.data), Buffer.from(orig.records[i]!.data), `packet ${i + 1}`);
        assert.equal(r.tsSec, orig.records[i]!.tsSec);
        assert.equal(r.tsFrac, orig.records[i]!.tsFrac);
      });
    });
  }

  it('as a process: `uipsec pcap decap` of a capture encapsulated with other keys drops the packets of the wrong SAs (exit 3, reasons listed)', async () => {
    writeFileSync(join(dir, 'plain.pcap'), capture(LINKTYPE_RAW));
    // Seeded IVs: the garbage the wrong key decrypts to is the same on every run.
    assert.equal(
      await main(
        ['pcap', 'encap', '-q', '--seed', 'wrong-key', '-c', 'ipsec.conf', 'plain.pcap', 'esp.pcap'],
        memIo(dir),
      ),
      0,
    );
    writeFileSync(
      join(dir, 'wrong.conf'),
      CONF.replace(/-E aes-cbc 0x00/, '-E aes-cbc 0xff').replace(/aes-gcm-16 0x60/, 'aes-gcm-16 0x61'),
    );
    const r = spawnSync(
      process.execPath,
      [...programArgs('app/uipsec'), 'pcap', 'decap', '-c', 'wrong.conf', 'esp.pcap', 'out.pcap'],
      { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } },
    );
    assert.equal(r.status, 3, r.stdout + r.stderr);
    // 0x100 (two packets): the HMAC key is right, the AES key wrong -> the decrypted trailer is garbage: a bad
    // padding or a bad next header, whichever the random bytes give; 0x200 (one packet): AES-GCM with a wrong
    // key -> the tag check fails.
    assert.match(r.stdout, /3 dropped/);
    const count = (name: string) => Number(new RegExp(`${name}\\s+(\\d+)\\n`).exec(r.stdout)?.[1] ?? 0);
    assert.equal(count('esps_badpad') + count('esps_badenc'), 2, r.stdout);
    assert.equal(count('esps_badauth'), 1, r.stdout);
  });
});
