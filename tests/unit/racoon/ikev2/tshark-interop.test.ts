// Cross-check against Wireshark's IKEv2 dissector (tshark 4.0), an independent implementation: our messages go
// into a pcap as IPv4/UDP 500 datagrams; tshark must read every field we wrote, and, given the keys through its
// ikev2_decryption_table, decrypt our SK and SKF payloads, find their ICVs "[correct]" and show the payloads
// inside. Skipped, with the reason, when tshark is not installed.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hex, loadIkev2Vectors, toh } from './support.js';
import { INIT_BYTES, INIT_HEADER } from './fixtures.js';
import { PcapWriter } from '../../../support/pcap.js';
import { SeededRng } from '../../../../common/rng.js';
import * as K from '../../../../racoon/ikev2/constants.js';
import * as N from '../../../../racoon/ikev2/notify-types.js';
import { encodeIkev2Message } from '../../../../racoon/ikev2/message.js';
import { decodePayloadChain, type Ikev2Payload } from '../../../../racoon/ikev2/payload-chain.js';
import { ikeEncr, ikeInteg } from '../../../../racoon/ikev2/suite.js';
import { fragmentSk } from '../../../../racoon/ikev2/fragment.js';
import type { SkKeys } from '../../../../racoon/ikev2/sk-protect.js';
import { encodeHashAlgorithms } from '../../../../racoon/ikev2/notify-data.js';
import { ikeNotify } from '../../../../racoon/ikev2/payloads/notify.js';

interface SkCase {
  encr: string;
  encrId: number;
  keyBits: number | null;
  integ: string | null;
  integId: number;
  encKey: string;
  integKey?: string;
  spii: string;
  spir: string;
  innerNp: number;
  inner: string;
  message: string;
}
const { sk: CASES } = loadIkev2Vectors<{ sk: SkCase[] }>();

/** Wireshark's names for IKEv2 algorithms (its ikev2_encr_algs / ikev2_auth_algs tables); absent: unsupported. */
function wiresharkEncr(c: SkCase): string | undefined {
  const b = c.keyBits;
  const icv = /_(8|12|16)$/.exec(c.encr)?.[1];
  if (c.encr === 'ENCR_AES_CBC') return `AES-CBC-${b} [RFC3602]`;
  if (c.encr === 'ENCR_AES_CTR') return `AES-CTR-${b} [RFC5930]`;
  if (c.encr === 'ENCR_3DES') return '3DES [RFC2451]';
  if (c.encr.startsWith('ENCR_AES_GCM')) return `AES-GCM-${b} with ${icv} octet ICV [RFC5282]`;
  if (c.encr.startsWith('ENCR_AES_CCM')) return `AES-CCM-${b} with ${icv} octet ICV [RFC5282]`;
  return undefined; // ChaCha20-Poly1305: not in tshark 4.0
}
const WS_INTEG: Record<string, string> = {
  AUTH_HMAC_MD5_96: 'HMAC_MD5_96 [RFC2403]',
  AUTH_HMAC_SHA1_96: 'HMAC_SHA1_96 [RFC2404]',
  AUTH_HMAC_SHA2_256_128: 'HMAC_SHA2_256_128 [RFC4868]',
  AUTH_HMAC_SHA2_384_192: 'HMAC_SHA2_384_192 [RFC4868]',
  AUTH_HMAC_SHA2_512_256: 'HMAC_SHA2_512_256 [RFC4868]',
};
function uatRow(c: SkCase): string | undefined {
  const e = wiresharkEncr(c);
  const i = c.integ ? WS_INTEG[c.integ] : 'NONE [RFC4306]';
  if (!e || !i) return undefined; // XCBC/CMAC integrity: not in tshark 4.0
  const z = (s: string) => '0'.repeat(s.length); // the responder's keys: unused, any value of the right size
  return [c.spii, c.spir, c.encKey, z(c.encKey), `"${e}"`, c.integKey ?? '', z(c.integKey ?? ''), `"${i}"`].join(',');
}

function udp4(payload: Uint8Array): Uint8Array {
  const ip = Buffer.alloc(28 + payload.length);
  ip[0] = 0x45;
  ip.writeUInt16BE(ip.length, 2);
  ip[8] = 64;
  ip[9] = 17;
  ip.set([192, 0, 2, 1, 192, 0, 2, 2], 12);
  let sum = 0;
  for (let k = 0; k < 20; k += 2) sum += ip.readUInt16BE(k);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  ip.writeUInt16BE(~sum & 0xffff, 10);
  ip.writeUInt16BE(500, 20);
  ip.writeUInt16BE(500, 22);
  ip.writeUInt16BE(8 + payload.length, 24);
  ip.set(payload, 28);
  return ip;
}

function tshark(messages: Uint8Array[], args: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'uipsec-tshark-ikev2-'));
  try {
    const pcap = new PcapWriter();
    messages.forEach((m, i) => pcap.add(udp4(m), 1_700_000_000_000 + i));
    const file = join(dir, 'ikev2.pcap');
    writeFileSync(file, pcap.bytes());
    const r = spawnSync('tshark', ['-n', '-r', file, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function fields(messages: Uint8Array[], names: string[], extra: string[] = []): string[][] {
  const out = tshark(messages, [
    ...extra,
    '-T',
    'fields',
    '-E',
    'separator=|',
    '-E',
    'occurrence=a',
    '-E',
    'aggregator=,',
    ...names.flatMap((f) => ['-e', f]),
  ]);
  return out
    .trim()
    .split('\n')
    .map((l) => l.split('|'));
}

function tsharkAvailable(): boolean {
  return spawnSync('tshark', ['-v'], { encoding: 'utf8' }).status === 0;
}

describe('racoon/ikev2 vs tshark (Wireshark IKEv2 dissector and decryption)', function () {
  before(function () {
    if (!tsharkAvailable()) {
      console.log('    (skipped: tshark not installed)');
      this.skip();
    }
  });

  it('reads our IKE_SA_INIT request field for field', () => {
    const [row] = fields(
      [INIT_BYTES],
      [
        'isakmp.ispi',
        'isakmp.version',
        'isakmp.exchangetype',
        'isakmp.flag_i',
        'isakmp.length',
        'isakmp.prop.protoid',
        'isakmp.tf.id.encr',
        'isakmp.ike2.attr.key_length',
        'isakmp.tf.id.prf',
        'isakmp.tf.id.integ',
        'isakmp.tf.id.dh',
        'isakmp.spi',
        'isakmp.key_exchange.dh_group',
        'isakmp.nonce',
        'isakmp.notify.msgtype',
        'isakmp.vid_bytes',
        '_ws.malformed',
        '_ws.expert.message',
      ],
    );
    assert.deepEqual(row, [
      toh(INIT_HEADER.spiI),
      '0x20',
      '34',
      '1',
      String(INIT_BYTES.length),
      '1,3',
      '12,20',
      '256,128',
      '5',
      '12',
      '19',
      'deadbeef',
      '19',
      toh(Uint8Array.from({ length: 32 }, (_, i) => i)),
      '16388,16389,16430',
      '882fe56d6fd20dbc2251613b2ebe5beb',
      '',
      '',
    ]);
  });

  it('reads Delete, CP, EAP, CERT, CERTREQ, AUTH (RFC 7427), KE 31 and SIGNATURE_HASH_ALGORITHMS', () => {
    const payloads: Ikev2Payload[] = [
      { type: K.IKEV2_PAYLOAD_DELETE, body: { protocol: 3, spis: [hex('01020304'), hex('05060708')] } },
      {
        type: K.IKEV2_PAYLOAD_CP,
        body: {
          cfgType: K.IKEV2_CFG_REPLY,
          attrs: [
            { type: K.IKEV2_CFG_ATTR_INTERNAL_IP4_ADDRESS, value: hex('0a000005') },
            { type: K.IKEV2_CFG_ATTR_INTERNAL_IP4_DNS, value: hex('0a000001') },
            { type: K.IKEV2_CFG_ATTR_INTERNAL_IP6_ADDRESS, value: hex('20010db8000000000000000000000005 40') },
          ],
        },
      },
      { type: K.IKEV2_PAYLOAD_EAP, body: { code: 1, identifier: 9, type: 1, data: new TextEncoder().encode('me') } },
      { type: K.IKEV2_PAYLOAD_CERTREQ, body: { encoding: 4, authority: new Uint8Array(20).fill(0xca) } },
      {
        type: K.IKEV2_PAYLOAD_CERT,
        body: {
          encoding: K.IKEV2_CERT_HASH_URL_X509,
          data: new Uint8Array([...new Uint8Array(20).fill(0x5a), ...new TextEncoder().encode('http://ca.example/c')]),
        },
      },
      { type: K.IKEV2_PAYLOAD_AUTH, body: { method: 14, data: hex('0c 300a06082a8648ce3d040302 3006020101020102') } },
      { type: K.IKEV2_PAYLOAD_KE, body: { group: 31, data: new Uint8Array(32).fill(9) } },
      {
        type: K.IKEV2_PAYLOAD_NOTIFY,
        body: ikeNotify(N.IKEV2_N_SIGNATURE_HASH_ALGORITHMS, encodeHashAlgorithms([2, 3, 4])),
      },
      { type: K.IKEV2_PAYLOAD_DELETE, body: { protocol: 1, spis: [] } },
    ];
    const msg = encodeIkev2Message({
      header: { ...INIT_HEADER, exchangeType: K.IKEV2_EXCHANGE_INFORMATIONAL, messageId: 7 },
      payloads,
    });
    const [row] = fields(
      [msg],
      [
        'isakmp.exchangetype',
        'isakmp.messageid',
        'isakmp.delete.protoid',
        'isakmp.spinum',
        'isakmp.delete.spi',
        'isakmp.cfg.type',
        'isakmp.cfg.attr.internal_ip4_address',
        'isakmp.cfg.attr.internal_ip4_dns',
        'isakmp.cfg.attr.internal_ip6_address',
        'isakmp.cfg.attr.internal_ip6_address.prefix',
        'eap.code',
        'eap.id',
        'eap.identity',
        'isakmp.certreq.type',
        'isakmp.ike.certreq.authority',
        'isakmp.cert.encoding',
        'isakmp.cert.x509.url',
        'isakmp.auth.method',
        'isakmp.auth.data.sig.asn1.len',
        'isakmp.auth.data.sig.value',
        'isakmp.key_exchange.dh_group',
        'isakmp.notify.data.signature_hash_algorithms',
        '_ws.malformed',
      ],
    );
    assert.deepEqual(row, [
      '37',
      '0x00000007',
      '3,1',
      '2,0',
      '01020304,05060708',
      '2',
      '10.0.0.5',
      '10.0.0.1',
      '2001:db8::5',
      '64',
      '1',
      '9',
      'me',
      '4',
      'ca'.repeat(20),
      '12',
      'http://ca.example/c',
      '14',
      '12',
      '3006020101020102',
      '31',
      '2,3,4',
      '',
    ]);
  });

  it('decrypts our IKE_AUTH for every suite it knows, ICV "[correct]", and shows the inner payloads', () => {
    const cases = CASES.filter((c) => uatRow(c) !== undefined);
    assert.ok(cases.length >= 14, `${cases.length} suites`);
    const uat = cases.map((c) => `uat:ikev2_decryption_table:${uatRow(c)!}`).flatMap((u) => ['-o', u]);
    const rows = fields(
      cases.map((c) => hex(c.message)),
      [
        'isakmp.ispi',
        'isakmp.id.data.fqdn',
        'isakmp.auth.method',
        'isakmp.notify.msgtype',
        'isakmp.tf.id.encr',
        'isakmp.ts.start_ipv4',
        'isakmp.ts.end_ipv6',
        'isakmp.ts.protoid',
        'isakmp.enc.pad_length',
        '_ws.malformed',
      ],
      uat,
    );
    rows.forEach((row, i) => {
      const c = cases[i]!;
      const pad = c.encr === 'ENCR_AES_CBC' ? '2' : c.encr === 'ENCR_3DES' ? '2' : '0';
      assert.deepEqual(
        row,
        [
          c.spii,
          'initiator.example',
          '2',
          '16384',
          '12',
          '10.0.0.0',
          '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff',
          '0,17',
          pad,
          '',
        ],
        `${c.encr}/${c.integ}`,
      );
    });
    const text = tshark(
      cases.map((c) => hex(c.message)),
      [...uat, '-V'],
    );
    assert.equal(
      text.match(/Integrity Checksum Data: [0-9a-f]+ \(\d+ bytes\)( <[^>]+>)?\[correct\]/g)?.length,
      cases.length,
    );
    assert.doesNotMatch(text, /\[incorrect/);
  });

  for (const [label, pick] of [
    ['AES-CBC + HMAC-SHA2-256', (x: SkCase) => x.encr === 'ENCR_AES_CBC' && x.integ === 'AUTH_HMAC_SHA2_256_128'],
    ['AES-GCM-16 (AAD through Total Fragments)', (x: SkCase) => x.encr === 'ENCR_AES_GCM_16'],
  ] as const) {
    it(`${label}: decrypts each SKF fragment, ICV "[correct]", reassembles the message (RFC 7383)`, () => {
      const c = CASES.find(pick)!;
      const k: SkKeys = { encr: ikeEncr(c.encrId, c.keyBits ?? undefined)!, encKey: hex(c.encKey) };
      if (c.integ) {
        k.integ = ikeInteg(c.integId)!;
        k.integKey = hex(c.integKey!);
      }
      const inner = decodePayloadChain(c.innerNp, hex(c.inner), 0, undefined, { inner: true }).value.payloads;
      const header = { ...INIT_HEADER, spiI: hex(c.spii), spiR: hex(c.spir), exchangeType: 35, messageId: 1 };
      const frags = fragmentSk(header, inner, k, 140, new SeededRng('skf'));
      assert.ok(frags.length >= 3);
      const uat = ['-o', `uat:ikev2_decryption_table:${uatRow(c)!}`];
      const rows = fields(
        frags,
        ['isakmp.frag.number', 'isakmp.frag.total', 'isakmp.id.data.fqdn', 'isakmp.ts.end_ipv6'],
        uat,
      );
      const last = rows[rows.length - 1]!;
      assert.deepEqual(last.slice(0, 2), [String(frags.length), String(frags.length)]);
      assert.deepEqual(last.slice(2), ['initiator.example', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff']);
      const text = tshark(frags, [...uat, '-V']);
      assert.equal(text.match(/\[correct\]/g)?.length, frags.length);
    });
  }
});
