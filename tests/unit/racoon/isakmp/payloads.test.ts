// Golden bytes for every ISAKMP payload body, hand-built from the RFC diagrams (RFC 2408 §3.2–§3.16,
// RFC 2407 §4.6, RFC 3947 §3.2/§5.2, draft-dukes-ike-mode-cfg §3.2), plus the refusals each decoder owes.
import { strict as assert } from 'node:assert';
import { checkCodec, hex, refuses } from '../support/codec-check.js';
import * as C from '../../../../racoon/isakmp/constants.js';
import { isakmpHeader } from '../../../../racoon/isakmp/header.js';
import {
  attribute,
  attributes,
  attrNumber,
  attrTLV,
  attrTLVNumber,
  attrTV,
} from '../../../../racoon/isakmp/payloads/attributes.js';
import { sa, type IsakmpSa } from '../../../../racoon/isakmp/payloads/sa.js';
import { ke } from '../../../../racoon/isakmp/payloads/ke.js';
import { id, formatIdData } from '../../../../racoon/isakmp/payloads/id.js';
import { cert, certRequest } from '../../../../racoon/isakmp/payloads/cert.js';
import { hash } from '../../../../racoon/isakmp/payloads/hash.js';
import { sig } from '../../../../racoon/isakmp/payloads/sig.js';
import { nonce } from '../../../../racoon/isakmp/payloads/nonce.js';
import { notify } from '../../../../racoon/isakmp/payloads/notify.js';
import { del } from '../../../../racoon/isakmp/payloads/delete.js';
import { vendorId } from '../../../../racoon/isakmp/payloads/vendor-id.js';
import { natD } from '../../../../racoon/isakmp/payloads/nat-d.js';
import { natOa } from '../../../../racoon/isakmp/payloads/nat-oa.js';
import { cfg } from '../../../../racoon/isakmp/payloads/attr.js';
import { frag } from '../../../../racoon/isakmp/payloads/frag.js';

const seq = (n: number, from = 0) => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);

describe('racoon/isakmp payloads: golden bytes', () => {
  it('header (RFC 2408 §3.1): cookies, np, version 1.0, exchange, flags, message id, length', () => {
    const h = {
      icookie: seq(8, 1),
      rcookie: seq(8, 0x11),
      np: C.ISAKMP_NPTYPE_HASH,
      majorVersion: 1,
      minorVersion: 0,
      etype: C.ISAKMP_ETYPE_QUICK,
      flags: C.ISAKMP_FLAG_E | C.ISAKMP_FLAG_C,
      msgid: 0xdeadbeef,
      length: 0x5c,
    };
    checkCodec(isakmpHeader, h, hex(`0102030405060708 1112131415161718  08 10 20 03  deadbeef  0000005c`), 'header');
  });

  it('header refuses major version 2 (INVALID-MAJOR-VERSION) and minor 1 (INVALID-MINOR-VERSION)', () => {
    const b = hex('0102030405060708 0000000000000000 01 20 02 00 00000000 0000001c');
    refuses(() => isakmpHeader.decode(b), C.ISAKMP_NTYPE_INVALID_MAJOR_VERSION);
    b[17] = 0x11;
    refuses(() => isakmpHeader.decode(b), C.ISAKMP_NTYPE_INVALID_MINOR_VERSION);
    refuses(() => isakmpHeader.decode(b.subarray(0, 27)), C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, /truncated/);
  });

  it('data attributes (RFC 2408 §3.3): TV sets AF, TLV carries a length', () => {
    checkCodec(attribute, attrTV(C.OAKLEY_ATTR_ENC_ALG, C.OAKLEY_ATTR_ENC_ALG_AES), hex('8001 0007'), 'TV');
    checkCodec(attribute, attrTLV(C.OAKLEY_ATTR_SA_LD, hex('00015180')), hex('000c 0004 00015180'), 'TLV');
    checkCodec(
      attributes,
      [attrTV(1, 5), attrTLV(2, new Uint8Array(0)), attrTV(0x7fff, 0xffff)],
      hex('80010005 00020000 ffffffff'),
      'list',
    );
    assert.deepEqual(attrTLVNumber(12, 86400), attrTLV(12, hex('015180')));
    assert.equal(attrNumber(attrTLV(12, hex('00015180'))), 86400);
    assert.equal(attrNumber(attrTLV(12, seq(7))), undefined);
    refuses(() => attributes.decode(hex('000c 0005 00015180')), C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, /attribute 12 value/);
    refuses(() => attributes.decode(hex('8001 00')), C.ISAKMP_NTYPE_PAYLOAD_MALFORMED);
  });

  // Phase 1 SA of RFC 2409 §5 / App. A: AES-128, SHA, PSK, modp1024, lifetime 28800 s.
  const p1: IsakmpSa = {
    doi: C.IPSEC_DOI,
    situation: C.IPSECDOI_SIT_IDENTITY_ONLY,
    proposals: [
      {
        num: 1,
        protoId: C.IPSECDOI_PROTO_ISAKMP,
        spi: new Uint8Array(0),
        transforms: [
          {
            num: 1,
            id: C.IPSECDOI_KEY_IKE,
            attrs: [
              attrTV(1, 7),
              attrTV(14, 128),
              attrTV(2, 2),
              attrTV(3, 1),
              attrTV(4, 2),
              attrTV(11, 1),
              attrTLV(12, hex('00007080')),
            ],
          },
          { num: 2, id: C.IPSECDOI_KEY_IKE, attrs: [attrTV(1, 5), attrTV(2, 1), attrTV(3, 1), attrTV(4, 2)] },
        ],
      },
    ],
  };
  const p1Bytes = hex(`
    00000001 00000001                       # DOI IPsec, SIT_IDENTITY_ONLY
    00 00 0048  01 01 00 02                 # proposal: last, len 72, #1, ISAKMP, spi 0, 2 transforms
    03 00 0028  01 01 0000                  # transform 1 (more follow), len 40, KEY_IKE
      8001 0007  800e 0080  8002 0002  8003 0001  8004 0002  800b 0001  000c 0004 00007080
    00 00 0018  02 01 0000                  # transform 2 (last), len 24
      8001 0005  8002 0001  8003 0001  8004 0002`);

  it('SA/proposal/transform (RFC 2408 §3.4–§3.6): phase 1 with two transforms', () => {
    checkCodec(sa, p1, p1Bytes, 'phase 1 SA');
  });

  it('SA: quick mode AND-bundle AH+ESP with SPIs and RFC 3947 encapsulation mode', () => {
    const v: IsakmpSa = {
      doi: 1,
      situation: 1,
      proposals: [
        {
          num: 1,
          protoId: C.IPSECDOI_PROTO_IPSEC_AH,
          spi: hex('0000c001'),
          transforms: [
            {
              num: 1,
              id: C.IPSECDOI_AH_SHA,
              attrs: [attrTV(C.IPSECDOI_ATTR_AUTH, 2), attrTV(C.IPSECDOI_ATTR_ENC_MODE, C.IPSECDOI_ATTR_ENC_MODE_TRNS)],
            },
          ],
        },
        {
          num: 1,
          protoId: C.IPSECDOI_PROTO_IPSEC_ESP,
          spi: hex('0000c002'),
          transforms: [
            {
              num: 1,
              id: C.IPSECDOI_ESP_AES,
              attrs: [attrTV(6, 256), attrTV(4, C.IPSECDOI_ATTR_ENC_MODE_UDPTUNNEL_RFC)],
            },
          ],
        },
      ],
    };
    checkCodec(
      sa,
      v,
      hex(`00000001 00000001
      02 00 001c 01 02 04 01 0000c001  00 00 0010 01 03 0000 80050002 80040002
      00 00 001c 01 03 04 01 0000c002  00 00 0010 01 0c 0000 80060100 80040003`),
      'QM SA',
    );
  });

  it('SA refuses inconsistent nesting with the notify a responder would send', () => {
    const bad = (patch: (b: Uint8Array) => void) => {
      const b = p1Bytes.slice();
      patch(b);
      return b;
    };
    refuses(
      () =>
        sa.decode(
          bad((b) => {
            b[3] = 2;
          }),
        ),
      C.ISAKMP_NTYPE_DOI_NOT_SUPPORTED,
    );
    refuses(
      () =>
        sa.decode(
          bad((b) => {
            b[7] = 3;
          }),
        ),
      C.ISAKMP_NTYPE_SITUATION_NOT_SUPPORTED,
    );
    refuses(
      () =>
        sa.decode(
          bad((b) => {
            b[11] = 0x49;
          }),
        ),
      C.ISAKMP_NTYPE_PAYLOAD_MALFORMED,
      /runs past/,
    ); // proposal too long
    refuses(
      () =>
        sa.decode(
          bad((b) => {
            b[11] = 0x47;
          }),
        ),
      C.ISAKMP_NTYPE_PAYLOAD_MALFORMED,
    ); // proposal too short
    refuses(
      () =>
        sa.decode(
          bad((b) => {
            b[15] = 3;
          }),
        ),
      C.ISAKMP_NTYPE_BAD_PROPOSAL_SYNTAX,
      /transform 2 of 3/,
    ); // #transforms says 3
    refuses(
      () =>
        sa.decode(
          bad((b) => {
            b[15] = 1;
          }),
        ),
      C.ISAKMP_NTYPE_BAD_PROPOSAL_SYNTAX,
      /transform 1 of 1/,
    ); // #transforms says 1
    refuses(
      () =>
        sa.decode(
          bad((b) => {
            b[15] = 0;
          }),
        ),
      C.ISAKMP_NTYPE_BAD_PROPOSAL_SYNTAX,
      /no transforms/,
    );
    refuses(
      () =>
        sa.decode(
          bad((b) => {
            b[8] = 5;
          }),
        ),
      C.ISAKMP_NTYPE_BAD_PROPOSAL_SYNTAX,
    ); // proposal np must be 2/0
    refuses(
      () =>
        sa.decode(
          bad((b) => {
            b[16] = 0;
          }),
        ),
      C.ISAKMP_NTYPE_BAD_PROPOSAL_SYNTAX,
    ); // transform 1 says last
    refuses(
      () =>
        sa.decode(
          bad((b) => {
            b[19] = 0x07;
          }),
        ),
      C.ISAKMP_NTYPE_PAYLOAD_MALFORMED,
    ); // transform len < 8
    refuses(
      () =>
        sa.decode(
          bad((b) => {
            b[50] = 0x00;
            b[51] = 0x09;
          }),
        ),
      C.ISAKMP_NTYPE_PAYLOAD_MALFORMED,
      /attribute 12/,
    );
    refuses(() => sa.decode(p1Bytes.subarray(0, 8)), C.ISAKMP_NTYPE_BAD_PROPOSAL_SYNTAX, /without proposals/);
    const extra = new Uint8Array(p1Bytes.length + 2);
    extra.set(p1Bytes);
    refuses(() => sa.decode(extra), C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, /after the last proposal/);
    refuses(
      () =>
        sa.decode(
          bad((b) => {
            b[8] = 2;
          }),
        ),
      C.ISAKMP_NTYPE_BAD_PROPOSAL_SYNTAX,
      /another follows/,
    );
  });

  it('SA refuses a Basic attribute in TLV form (RFC 2409 App. A, RFC 2407 §4.5); variable ones may be TV', () => {
    const withAttrs = (protoId: number, attrs: IsakmpSa['proposals'][0]['transforms'][0]['attrs']): IsakmpSa => ({
      doi: 1,
      situation: 1,
      proposals: [
        { num: 1, protoId, spi: new Uint8Array(protoId === 1 ? 0 : 4), transforms: [{ num: 1, id: 1, attrs }] },
      ],
    });
    // phase 1: Encryption Algorithm (1) is Basic; Life Duration (12) is Variable and may be TV
    refuses(
      () => sa.decode(sa.encode(withAttrs(C.IPSECDOI_PROTO_ISAKMP, [attrTLV(1, hex('0007'))]))),
      C.ISAKMP_NTYPE_BAD_PROPOSAL_SYNTAX,
      /basic attribute 1/,
    );
    assert.equal(
      sa.decode(sa.encode(withAttrs(C.IPSECDOI_PROTO_ISAKMP, [attrTV(12, 3600)]))).value.proposals.length,
      1,
    );
    // phase 2: Encapsulation Mode (4) is Basic; SA Life Duration (2) is Variable — but class 2 is Basic in phase 1
    refuses(
      () => sa.decode(sa.encode(withAttrs(C.IPSECDOI_PROTO_IPSEC_ESP, [attrTLV(4, hex('0001'))]))),
      C.ISAKMP_NTYPE_BAD_PROPOSAL_SYNTAX,
    );
    assert.equal(
      sa.decode(sa.encode(withAttrs(C.IPSECDOI_PROTO_IPSEC_ESP, [attrTLV(2, hex('00000e10'))]))).value.proposals.length,
      1,
    );
    refuses(
      () => sa.decode(sa.encode(withAttrs(C.IPSECDOI_PROTO_ISAKMP, [attrTLV(2, hex('0002'))]))),
      C.ISAKMP_NTYPE_BAD_PROPOSAL_SYNTAX,
    );
  });

  it('KE, HASH, SIG, VID, NAT-D: opaque bodies; empty ones refused', () => {
    const d = seq(20, 0x40);
    for (const [name, codec] of [
      ['ke', ke],
      ['hash', hash],
      ['sig', sig],
      ['vid', vendorId],
      ['natd', natD],
    ] as const) {
      checkCodec(codec, d, d, name);
      refuses(() => codec.decode(new Uint8Array(0)), C.ISAKMP_NTYPE_PAYLOAD_MALFORMED);
    }
  });

  it('fragment (racoon isakmp_frag, type 132): ID, number, flags, then data; a short header refused', () => {
    const f = { fragmentId: 1, number: 3, flags: 1, data: seq(5, 0x40) };
    checkCodec(frag, f, hex('0001 03 01 4041424344'), 'fragment');
    checkCodec(
      frag,
      { fragmentId: 0xbeef, number: 255, flags: 0, data: new Uint8Array(0) },
      hex('beef ff 00'),
      'empty',
    );
    refuses(() => frag.decode(hex('0001 03')), C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, /fragment header/);
  });

  it('NONCE: 8..256 bytes (RFC 2409 §5)', () => {
    checkCodec(nonce, seq(8), seq(8), 'nonce 8');
    checkCodec(nonce, seq(256), seq(256), 'nonce 256');
    refuses(() => nonce.decode(seq(7)), C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, /nonce of 7 bytes/);
    refuses(() => nonce.decode(seq(257)), C.ISAKMP_NTYPE_PAYLOAD_MALFORMED);
  });

  it('ID (RFC 2407 §4.6.2): address, subnet, range, FQDN, USER_FQDN; wrong sizes refused', () => {
    const v4 = { idType: C.IPSECDOI_ID_IPV4_ADDR, protocol: 17, port: 500, data: hex('c0000201') };
    checkCodec(id, v4, hex('01 11 01f4 c0000201'), 'ipv4');
    assert.equal(formatIdData(v4), '192.0.2.1');
    const sub = { idType: C.IPSECDOI_ID_IPV4_ADDR_SUBNET, protocol: 0, port: 0, data: hex('0a010000 ffff0000') };
    checkCodec(id, sub, hex('04 00 0000 0a010000ffff0000'), 'subnet');
    assert.equal(formatIdData(sub), '10.1.0.0/16');
    const v6 = {
      idType: C.IPSECDOI_ID_IPV6_ADDR_SUBNET,
      protocol: 6,
      port: 80,
      data: hex('20010db8000000000000000000000000 ffffffff000000000000000000000000'),
    };
    assert.equal(formatIdData(id.decode(id.encode(v6)).value), '2001:db8::/32');
    const rng = { idType: C.IPSECDOI_ID_IPV4_ADDR_RANGE, protocol: 0, port: 0, data: hex('0a000001 0a0000ff') };
    assert.equal(formatIdData(rng), '10.0.0.1-10.0.0.255');
    const fq = { idType: C.IPSECDOI_ID_FQDN, protocol: 0, port: 0, data: new TextEncoder().encode('gw.example.net') };
    checkCodec(id, fq, hex('02 00 0000 67772e6578616d706c652e6e6574'), 'fqdn');
    assert.equal(formatIdData(fq), 'gw.example.net');
    refuses(
      () => id.decode(hex('01 00 0000 c00002')),
      C.ISAKMP_NTYPE_INVALID_ID_INFORMATION,
      /ID_IPV4_ADDR with 3 bytes/,
    );
    refuses(() => id.decode(hex('06 00 0000 c0000201')), C.ISAKMP_NTYPE_INVALID_ID_INFORMATION);
    refuses(() => id.decode(hex('03 00 0000')), C.ISAKMP_NTYPE_INVALID_ID_INFORMATION, /empty/);
    refuses(() => id.decode(hex('01 00 00')), C.ISAKMP_NTYPE_PAYLOAD_MALFORMED);
  });

  it('CERT and CR (RFC 2408 §3.9/§3.10); CR with no CA is legal', () => {
    checkCodec(cert, { encoding: C.ISAKMP_CERT_X509SIGN, data: seq(5) }, hex('04 0001020304'), 'cert');
    checkCodec(certRequest, { certType: C.ISAKMP_CERT_X509SIGN, authority: new Uint8Array(0) }, hex('04'), 'cr empty');
    checkCodec(certRequest, { certType: 4, authority: seq(3, 0x30) }, hex('04 303132'), 'cr');
    refuses(() => cert.decode(new Uint8Array(0)), C.ISAKMP_NTYPE_PAYLOAD_MALFORMED);
  });

  it('NOTIFY (RFC 2408 §3.14): INITIAL-CONTACT with cookies as SPI; R-U-THERE with a sequence (RFC 3706 §5)', () => {
    checkCodec(
      notify,
      { doi: 1, protoId: 1, notifyType: C.IPSECDOI_NTYPE_INITIAL_CONTACT, spi: seq(16, 1), data: new Uint8Array(0) },
      hex('00000001 01 10 6002 0102030405060708090a0b0c0d0e0f10'),
      'initial-contact',
    );
    checkCodec(
      notify,
      { doi: 1, protoId: 1, notifyType: C.ISAKMP_NTYPE_R_U_THERE, spi: seq(16, 1), data: hex('00000007') },
      hex('00000001 01 10 8d28 0102030405060708090a0b0c0d0e0f10 00000007'),
      'dpd',
    );
    checkCodec(
      notify,
      {
        doi: 1,
        protoId: 3,
        notifyType: C.ISAKMP_NTYPE_NO_PROPOSAL_CHOSEN,
        spi: new Uint8Array(0),
        data: new Uint8Array(0),
      },
      hex('00000001 03 00 000e'),
      'error notify',
    );
    refuses(() => notify.decode(hex('00000001 01 10 6002 0102')), C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, /notify SPI/);
    refuses(() => notify.decode(hex('00000001 01 10 60')), C.ISAKMP_NTYPE_PAYLOAD_MALFORMED);
  });

  it('DELETE (RFC 2408 §3.15): two ESP SPIs; the SPI list must fill the payload', () => {
    checkCodec(
      del,
      { doi: 1, protoId: 3, spiSize: 4, spis: [hex('11223344'), hex('55667788')] },
      hex('00000001 03 04 0002 11223344 55667788'),
      'delete',
    );
    checkCodec(
      del,
      { doi: 1, protoId: 1, spiSize: 16, spis: [seq(16)] },
      hex('00000001 01 10 0001 000102030405060708090a0b0c0d0e0f'),
      'delete isakmp',
    );
    refuses(() => del.decode(hex('00000001 03 04 0003 11223344 55667788')), C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, /3 SPIs/);
    refuses(() => del.decode(hex('00000001 03 04 0001 11223344 55')), C.ISAKMP_NTYPE_PAYLOAD_MALFORMED);
    refuses(() => del.decode(hex('00000001 03 00 0001')), C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, /zero-size/);
  });

  it('NAT-OA (RFC 3947 §5.2): IPv4 and IPv6; a wrong id type or size is refused', () => {
    checkCodec(natOa, { addr: hex('c0a80102') }, hex('01 000000 c0a80102'), 'nat-oa v4');
    checkCodec(
      natOa,
      { addr: hex('20010db8000000000000000000000001') },
      hex('05 000000 20010db8000000000000000000000001'),
      'nat-oa v6',
    );
    refuses(() => natOa.decode(hex('02 000000 c0a80102')), C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, /id type 2/);
    refuses(() => natOa.decode(hex('05 000000 c0a80102')), C.ISAKMP_NTYPE_PAYLOAD_MALFORMED);
  });

  it('ATTR (mode config): REQUEST for INTERNAL_IP4_ADDRESS and NETMASK with empty values', () => {
    checkCodec(
      cfg,
      {
        cfgType: C.ISAKMP_CFG_REQUEST,
        identifier: 0x1234,
        attrs: [attrTLV(1, new Uint8Array(0)), attrTLV(2, new Uint8Array(0))],
      },
      hex('01 00 1234 0001 0000 0002 0000'),
      'cfg',
    );
    checkCodec(
      cfg,
      { cfgType: C.ISAKMP_CFG_REPLY, identifier: 1, attrs: [attrTLV(1, hex('0a000005'))] },
      hex('02 00 0001 0001 0004 0a000005'),
      'cfg reply',
    );
    refuses(() => cfg.decode(hex('01 00 12')), C.ISAKMP_NTYPE_PAYLOAD_MALFORMED);
  });

  it('encoders refuse values that do not fit their fields instead of truncating them', () => {
    const h = {
      icookie: seq(8),
      rcookie: seq(8),
      np: 0,
      majorVersion: 1,
      minorVersion: 0,
      etype: 2,
      flags: 0,
      msgid: 0,
      length: 28,
    };
    assert.throws(() => isakmpHeader.encode({ ...h, etype: 256 }), RangeError);
    assert.throws(() => isakmpHeader.encode({ ...h, majorVersion: 16 }), RangeError);
    assert.throws(() => isakmpHeader.encode({ ...h, msgid: -1 }), RangeError);
    assert.throws(() => isakmpHeader.encode({ ...h, icookie: seq(7) }), RangeError);
    assert.throws(() => id.encode({ idType: 1, protocol: 0, port: 65536, data: seq(4) }), RangeError);
    assert.throws(
      () => notify.encode({ doi: 1, protoId: 1, notifyType: 70000, spi: seq(0), data: seq(0) }),
      RangeError,
    );
    assert.throws(() => sa.encode({ ...p1, proposals: [{ ...p1.proposals[0]!, protoId: 300 }] }), RangeError);
    assert.throws(() => attribute.encode(attrTV(1, 0x10000)), RangeError);
    assert.throws(() => attribute.encode(attrTV(0x8000, 1)), RangeError);
    assert.throws(() => del.encode({ doi: 1, protoId: 3, spiSize: 4, spis: [seq(3)] }), RangeError);
    assert.throws(() => natOa.encode({ addr: seq(5) }), RangeError);
    assert.throws(() => hash.encode(seq(4), new Uint8Array(3)), RangeError); // no room in the caller's buffer
  });

  it('name tables cover the values and print unknowns', () => {
    assert.equal(C.nameOf(C.ISAKMP_NTYPE_NAMES, 16), 'PAYLOAD-MALFORMED');
    assert.equal(C.nameOf(C.ISAKMP_NTYPE_NAMES, 36137), 'R-U-THERE-ACK');
    assert.equal(C.nameOf(C.IPSECDOI_ATTR_ENC_MODE_NAMES, 61443), 'UDP-Encapsulated-Tunnel(draft)');
    assert.equal(C.nameOf(C.ISAKMP_NPTYPE_NAMES, 99), 'unknown(99)');
  });
});
