// Cross-check against Wireshark's ISAKMP dissector (tshark), a second independent implementation: our
// encoded messages are written into a pcap (raw IPv4/UDP 500) and tshark's field values are compared.
// Skipped, with the reason, when tshark is not installed.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hex } from '../support/codec-check.js';
import * as C from '../../../../racoon/isakmp/constants.js';
import { attrTLVNumber, attrTV } from '../../../../racoon/isakmp/payloads/attributes.js';
import { encodeIsakmpMessage, type IsakmpPayload } from '../../../../racoon/isakmp/message.js';
import { KNOWN_VENDOR_IDS } from '../../../../racoon/isakmp/vendor-ids.js';

/** A pcap (linktype 101, raw IP) with one IPv4/UDP datagram per message, 192.0.2.1:500 → 192.0.2.2:500. */
function pcapOf(messages: Uint8Array[]): Buffer {
  const parts: Buffer[] = [];
  const gh = Buffer.alloc(24);
  gh.writeUInt32LE(0xa1b2c3d4, 0);
  gh.writeUInt16LE(2, 4);
  gh.writeUInt16LE(4, 6);
  gh.writeUInt32LE(65535, 16);
  gh.writeUInt32LE(101, 20);
  parts.push(gh);
  messages.forEach((m, i) => {
    const ip = Buffer.alloc(28);
    ip[0] = 0x45;
    ip.writeUInt16BE(28 + m.length, 2);
    ip[8] = 64;
    ip[9] = 17;
    Buffer.from([192, 0, 2, 1, 192, 0, 2, 2]).copy(ip, 12);
    let sum = 0;
    for (let k = 0; k < 20; k += 2) sum += ip.readUInt16BE(k);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    ip.writeUInt16BE(~sum & 0xffff, 10);
    ip.writeUInt16BE(500, 20);
    ip.writeUInt16BE(500, 22);
    ip.writeUInt16BE(8 + m.length, 24); // UDP checksum 0 = none
    const rh = Buffer.alloc(16);
    rh.writeUInt32LE(1700000000 + i, 0);
    rh.writeUInt32LE(28 + m.length, 8);
    rh.writeUInt32LE(28 + m.length, 12);
    parts.push(rh, ip, Buffer.from(m));
  });
  return Buffer.concat(parts);
}

const FIELDS = [
  'isakmp.ispi',
  'isakmp.rspi',
  'isakmp.exchangetype',
  'isakmp.messageid',
  'isakmp.length',
  'isakmp.typepayload',
  'isakmp.prop.protoid',
  'isakmp.trans.id',
  'isakmp.spi',
  'isakmp.notify.msgtype',
  'isakmp.delete.spi',
  'isakmp.vid_bytes',
  'isakmp.ike.nat_hash',
  'isakmp.ike.nat_original_address_ipv4',
  'isakmp.id.data.ipv4_addr',
  'isakmp.id.data.ipv4_subnet',
  'isakmp.ipsec.attr.encap_mode',
  'isakmp.ipsec.attr.life_duration',
  'isakmp.nonce',
  '_ws.malformed',
  '_ws.expert.message',
];

function tshark(messages: Uint8Array[], fields: string[]): string[][] {
  const dir = mkdtempSync(join(tmpdir(), 'uipsec-tshark-'));
  try {
    const file = join(dir, 'ike.pcap');
    writeFileSync(file, pcapOf(messages));
    const r = spawnSync(
      'tshark',
      [
        '-n',
        '-r',
        file,
        '-T',
        'fields',
        '-E',
        'separator=|',
        '-E',
        'occurrence=a',
        '-E',
        'aggregator=\t',
        ...fields.flatMap((f) => ['-e', f]),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    return r.stdout
      .trim()
      .split('\n')
      .map((line) => line.split('|'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function tsharkAvailable(): boolean {
  return spawnSync('tshark', ['-v'], { encoding: 'utf8' }).status === 0;
}

describe('racoon/isakmp vs tshark (Wireshark ISAKMP dissector)', function () {
  before(function () {
    if (!tsharkAvailable()) {
      console.log('    (skipped: tshark not installed)');
      this.skip();
    }
  });

  it('tshark reads our main mode, quick mode and informational messages field for field', () => {
    const hdr = (etype: number, msgid: number) => ({
      icookie: hex('1111222233334444'),
      rcookie: hex('5555666677778888'),
      np: 0,
      majorVersion: 1,
      minorVersion: 0,
      etype,
      flags: 0,
      msgid,
      length: 0,
    });
    const mm3: IsakmpPayload[] = [
      { type: C.ISAKMP_NPTYPE_KE, body: new Uint8Array(128).fill(0x42) },
      { type: C.ISAKMP_NPTYPE_NONCE, body: hex('0102030405060708090a0b0c0d0e0f10') },
      { type: C.ISAKMP_NPTYPE_NATD_RFC, body: hex('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa') },
      { type: C.ISAKMP_NPTYPE_NATD_RFC, body: hex('bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb') },
    ];
    const qm: IsakmpPayload[] = [
      { type: C.ISAKMP_NPTYPE_HASH, body: new Uint8Array(20).fill(0x33) },
      {
        type: C.ISAKMP_NPTYPE_SA,
        body: {
          doi: 1,
          situation: 1,
          proposals: [
            {
              num: 1,
              protoId: C.IPSECDOI_PROTO_IPSEC_ESP,
              spi: hex('c0ffee01'),
              transforms: [
                {
                  num: 1,
                  id: C.IPSECDOI_ESP_AES,
                  attrs: [
                    attrTV(C.IPSECDOI_ATTR_SA_LD_TYPE, 1),
                    attrTLVNumber(C.IPSECDOI_ATTR_SA_LD, 3600),
                    attrTV(C.IPSECDOI_ATTR_ENC_MODE, C.IPSECDOI_ATTR_ENC_MODE_UDPTUNNEL_RFC),
                    attrTV(C.IPSECDOI_ATTR_AUTH, 2),
                    attrTV(C.IPSECDOI_ATTR_KEY_LENGTH, 128),
                  ],
                },
              ],
            },
          ],
        },
      },
      { type: C.ISAKMP_NPTYPE_NONCE, body: new Uint8Array(16).fill(0x77) },
      {
        type: C.ISAKMP_NPTYPE_ID,
        body: { idType: C.IPSECDOI_ID_IPV4_ADDR_SUBNET, protocol: 0, port: 0, data: hex('0a010000ffff0000') },
      },
      {
        type: C.ISAKMP_NPTYPE_ID,
        body: { idType: C.IPSECDOI_ID_IPV4_ADDR_SUBNET, protocol: 0, port: 0, data: hex('0a020000ffffff00') },
      },
      { type: C.ISAKMP_NPTYPE_NATOA_RFC, body: { addr: hex('c0a80a05') } },
    ];
    const info: IsakmpPayload[] = [
      {
        type: C.ISAKMP_NPTYPE_N,
        body: {
          doi: 1,
          protoId: 1,
          notifyType: C.ISAKMP_NTYPE_R_U_THERE,
          spi: hex('11112222333344445555666677778888'),
          data: hex('00000009'),
        },
      },
      { type: C.ISAKMP_NPTYPE_D, body: { doi: 1, protoId: 3, spiSize: 4, spis: [hex('c0ffee01'), hex('c0ffee02')] } },
      { type: C.ISAKMP_NPTYPE_VID, body: hex('afcad71368a1f1c96b8696fc77570100') },
    ];
    const msgs = [
      encodeIsakmpMessage({ header: hdr(C.ISAKMP_ETYPE_IDENT, 0), payloads: mm3 }),
      encodeIsakmpMessage({ header: hdr(C.ISAKMP_ETYPE_QUICK, 0x0a0b0c0d), payloads: qm }),
      encodeIsakmpMessage({ header: hdr(C.ISAKMP_ETYPE_INFO, 0x01020304), payloads: info }),
    ];
    const dir = mkdtempSync(join(tmpdir(), 'uipsec-tshark-'));
    try {
      const file = join(dir, 'ike.pcap');
      writeFileSync(file, pcapOf(msgs));
      const r = spawnSync(
        'tshark',
        [
          '-n',
          '-r',
          file,
          '-T',
          'fields',
          '-E',
          'separator=|',
          '-E',
          'occurrence=a',
          '-E',
          'aggregator=,',
          ...FIELDS.flatMap((f) => ['-e', f]),
        ],
        { encoding: 'utf8' },
      );
      assert.equal(r.status, 0, r.stderr);
      const rows = r.stdout
        .trim()
        .split('\n')
        .map((line) => Object.fromEntries(line.split('|').map((v, i) => [FIELDS[i]!, v])));
      assert.equal(rows.length, 3);
      for (const [i, row] of rows.entries()) {
        assert.equal(row['isakmp.ispi'], '1111222233334444');
        assert.equal(row['isakmp.rspi'], '5555666677778888');
        assert.equal(Number(row['isakmp.length']), msgs[i]!.length);
        assert.equal(row['_ws.malformed'], '', `tshark says malformed: ${row['_ws.expert.message']}`);
      }
      // main mode 3: KE, NONCE, NAT-D x2 (RFC 3947 payload 20)
      assert.equal(rows[0]!['isakmp.exchangetype'], '2');
      assert.equal(rows[0]!['isakmp.typepayload'], '4,10,20,20');
      assert.equal(rows[0]!['isakmp.nonce'], '0102030405060708090a0b0c0d0e0f10');
      assert.equal(
        rows[0]!['isakmp.ike.nat_hash'],
        'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
      );
      // quick mode 1: HASH, SA(P(T)), NONCE, ID, ID, NAT-OA
      assert.equal(rows[1]!['isakmp.exchangetype'], '32');
      assert.equal(Number(rows[1]!['isakmp.messageid']), 0x0a0b0c0d);
      assert.equal(rows[1]!['isakmp.typepayload'], '8,1,2,3,10,5,5,21');
      assert.equal(rows[1]!['isakmp.prop.protoid'], '3');
      assert.equal(rows[1]!['isakmp.trans.id'], '12');
      assert.equal(rows[1]!['isakmp.spi'], 'c0ffee01');
      assert.equal(rows[1]!['isakmp.ipsec.attr.encap_mode'], '3');
      assert.equal(rows[1]!['isakmp.ipsec.attr.life_duration'], '3600');
      assert.equal(rows[1]!['isakmp.id.data.ipv4_addr'], '10.1.0.0,10.2.0.0'); // Wireshark shows address and mask apart
      assert.equal(rows[1]!['isakmp.id.data.ipv4_subnet'], '255.255.0.0,255.255.255.0');
      assert.equal(rows[1]!['isakmp.ike.nat_original_address_ipv4'], '192.168.10.5');
      // informational: R-U-THERE (RFC 3706), DELETE of two ESP SPIs, DPD vendor id
      assert.equal(rows[2]!['isakmp.exchangetype'], '5');
      assert.equal(rows[2]!['isakmp.typepayload'], '11,12,13');
      assert.equal(rows[2]!['isakmp.notify.msgtype'], String(C.ISAKMP_NTYPE_R_U_THERE));
      assert.equal(rows[2]!['isakmp.delete.spi'], 'c0ffee01,c0ffee02');
      assert.equal(rows[2]!['isakmp.vid_bytes'], 'afcad71368a1f1c96b8696fc77570100');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tshark names every vendor id we know the way we do (RFC 3947 §3.1, RFC 3706 §5, racoon vendorid.c)', () => {
    const header = {
      icookie: hex('0101010101010101'),
      rcookie: new Uint8Array(8),
      np: 0,
      majorVersion: 1,
      minorVersion: 0,
      etype: C.ISAKMP_ETYPE_IDENT,
      flags: 0,
      msgid: 0,
      length: 0,
    };
    const payloads = KNOWN_VENDOR_IDS.map((k) => ({ type: C.ISAKMP_NPTYPE_VID, body: k.vid }) as IsakmpPayload);
    const [row] = tshark([encodeIsakmpMessage({ header, payloads })], ['isakmp.vid_string']);
    const theirs = row![0]!.split('\t');
    const WIRESHARK_NAME: Record<string, string> = {
      'RFC 3947': 'RFC 3947 Negotiation of NAT-Traversal in the IKE',
      DPD: 'RFC 3706 DPD (Dead Peer Detection)',
      FRAGMENTATION: 'Cisco Fragmentation',
    };
    assert.deepEqual(
      theirs,
      KNOWN_VENDOR_IDS.map((k) => WIRESHARK_NAME[k.name] ?? k.name),
    );
  });
});
