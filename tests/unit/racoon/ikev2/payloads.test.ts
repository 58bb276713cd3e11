// Every IKEv2 payload body codec against hand-written bytes laid out from the RFC 7296 §3 diagrams (RFC 7383 §2.5
// for SKF, RFC 3748 §4 for EAP), through the shared round-trip helper (decode∘encode, length, at an offset),
// and the refusals each decoder owes: lengths, counts, Last Substruc, SPI sizes, duplicates.
import { strict as assert } from 'node:assert';
import { checkCodec, hex, refusesV2 } from './support.js';
import { IKEV2_N_INVALID_SYNTAX as SYNTAX } from '../../../../racoon/ikev2/notify-types.js';
import * as K from '../../../../racoon/ikev2/constants.js';
import { sa, transformKeyLength } from '../../../../racoon/ikev2/payloads/sa.js';
import { SA_BYTES, SA_VALUE } from './fixtures.js';
import { ke } from '../../../../racoon/ikev2/payloads/ke.js';
import { id, formatIkev2Id } from '../../../../racoon/ikev2/payloads/id.js';
import { cert, certReq, caHashes } from '../../../../racoon/ikev2/payloads/cert.js';
import { auth } from '../../../../racoon/ikev2/payloads/auth.js';
import { nonce } from '../../../../racoon/ikev2/payloads/nonce.js';
import { notify, ikeNotify } from '../../../../racoon/ikev2/payloads/notify.js';
import { del } from '../../../../racoon/ikev2/payloads/delete.js';
import { vendorId } from '../../../../racoon/ikev2/payloads/vendor-id.js';
import { ts, type Ikev2Ts } from '../../../../racoon/ikev2/payloads/ts.js';
import { sk } from '../../../../racoon/ikev2/payloads/sk.js';
import { cp } from '../../../../racoon/ikev2/payloads/cp.js';
import { eap } from '../../../../racoon/ikev2/payloads/eap.js';
import { skf } from '../../../../racoon/ikev2/payloads/skf.js';

const ascii = (s: string) => new TextEncoder().encode(s);

function patched(b: Uint8Array, at: number, ...bytes: number[]): Uint8Array {
  const c = b.slice();
  c.set(bytes, at);
  return c;
}

describe('racoon/ikev2 payload codecs (RFC 7296 §3)', () => {
  describe('SA, proposals, transforms, attributes (§3.3)', () => {
    it('round-trips two proposals with Key Length attributes', () => {
      checkCodec(sa, SA_VALUE, SA_BYTES, 'SA');
      assert.equal(transformKeyLength(SA_VALUE.proposals[0]!.transforms[0]!), 256);
      assert.equal(transformKeyLength(SA_VALUE.proposals[0]!.transforms[1]!), undefined);
    });
    it('refuses a Last Substruc that does not match the position (§3.3.1, §3.3.2)', () => {
      refusesV2(() => sa.decode(patched(SA_BYTES, 0, 0)), SYNTAX, /Last Substruc/); // first proposal says "last"
      refusesV2(() => sa.decode(patched(SA_BYTES, 44, 2)), SYNTAX, /Last Substruc/); // last says "more"
      refusesV2(() => sa.decode(patched(SA_BYTES, 36, 3)), SYNTAX, /Last Substruc/); // last transform says "more"
      refusesV2(() => sa.decode(patched(SA_BYTES, 8, 2)), SYNTAX, /Last Substruc/); // transform says "more proposals"
    });
    it('refuses bad lengths, counts and SPI sizes', () => {
      refusesV2(() => sa.decode(patched(SA_BYTES, 2, 0, 0x2d)), SYNTAX); // proposal 1 byte too long
      refusesV2(() => sa.decode(patched(SA_BYTES, 10, 0, 7)), SYNTAX, /transform length/); // transform < 8
      refusesV2(() => sa.decode(patched(SA_BYTES, 7, 5)), SYNTAX, /Num Transforms/);
      refusesV2(() => sa.decode(patched(SA_BYTES, 50, 3)), SYNTAX, /SPI size 3/); // ESP SPI of 3
      refusesV2(() => sa.decode(patched(SA_BYTES, 6, 4)), SYNTAX, /SPI size 4/); // IKE SPI of 4
      refusesV2(() => sa.decode(new Uint8Array(0)), SYNTAX, /without proposals/);
      refusesV2(() => sa.decode(hex('00000008 01010000')), SYNTAX, /without transforms/);
      refusesV2(() => sa.decode(SA_BYTES.subarray(0, 50)), SYNTAX);
    });
    it('refuses a Key Length in TLV form or given twice (§3.3.5), keeps unknown attributes', () => {
      const tlv = hex('0000 0014 01010001  0000 000c 01000014 000e 0000');
      refusesV2(() => sa.decode(tlv), SYNTAX, /Key Length/);
      const twice = hex('0000 0018 01010001  0000 0010 01000014 800e0080 800e0100');
      refusesV2(() => sa.decode(twice), SYNTAX, /Key Length/);
      const other = hex('0000 0018 01010001  0000 0010 01000014 800e0080 80110001');
      const got = sa.decode(other).value.proposals[0]!.transforms[0]!;
      assert.deepEqual(got.attrs[1], { type: 0x11, tv: true, value: 1 });
      assert.deepEqual(sa.encode(sa.decode(other).value), other);
    });
    it('encoders refuse what cannot be sent', () => {
      assert.throws(() => sa.encode({ proposals: [] }), RangeError);
      assert.throws(() => sa.encode({ proposals: [{ ...SA_VALUE.proposals[0]!, transforms: [] }] }), RangeError);
    });
  });

  it('KE (§3.4): group and data; empty data refused', () => {
    const data = Uint8Array.from({ length: 64 }, (_, i) => i);
    const bytes = new Uint8Array(68);
    bytes.set([0, 19, 0, 0]);
    bytes.set(data, 4);
    checkCodec(ke, { group: 19, data }, bytes, 'KE');
    refusesV2(() => ke.decode(hex('00130000')), SYNTAX);
    refusesV2(() => ke.decode(hex('0013')), SYNTAX, /truncated/);
  });

  it('IDi/IDr (§3.5): every ID type; address IDs have exact lengths', () => {
    checkCodec(id, { idType: K.IKEV2_ID_FQDN, data: ascii('vpn.example') }, hex('02000000 76706e2e6578616d706c65'));
    checkCodec(id, { idType: K.IKEV2_ID_IPV4_ADDR, data: hex('c0000201') }, hex('01000000 c0000201'));
    checkCodec(
      id,
      { idType: K.IKEV2_ID_IPV6_ADDR, data: hex('20010db8000000000000000000000001') },
      hex('05000000 20010db8000000000000000000000001'),
    );
    checkCodec(id, { idType: K.IKEV2_ID_RFC822_ADDR, data: ascii('a@b') }, hex('03000000 614062'));
    checkCodec(id, { idType: K.IKEV2_ID_DER_ASN1_DN, data: hex('3000') }, hex('09000000 3000'));
    checkCodec(id, { idType: K.IKEV2_ID_DER_ASN1_GN, data: hex('8203616263') }, hex('0a000000 8203616263'));
    checkCodec(id, { idType: K.IKEV2_ID_KEY_ID, data: hex('0102') }, hex('0b000000 0102'));
    checkCodec(id, { idType: K.IKEV2_ID_FC_NAME, data: hex('01') }, hex('0c000000 01'));
    checkCodec(id, { idType: K.IKEV2_ID_NULL, data: new Uint8Array(0) }, hex('0d000000'));
    refusesV2(() => id.decode(hex('01000000 c000020100')), SYNTAX, /ID_IPV4_ADDR of 5 bytes/);
    refusesV2(() => id.decode(hex('05000000 c0000201')), SYNTAX, /ID_IPV6_ADDR of 4 bytes/);
    refusesV2(() => id.decode(hex('02000000')), SYNTAX, /empty ID_FQDN/);
    refusesV2(() => id.decode(hex('020000')), SYNTAX, /truncated/);
    assert.equal(formatIkev2Id({ idType: 1, data: hex('c0000201') }), '192.0.2.1');
    assert.equal(formatIkev2Id({ idType: 2, data: ascii('vpn.example') }), 'vpn.example');
    assert.equal(formatIkev2Id({ idType: 11, data: hex('0102') }), 'ID_KEY_ID:0102');
  });

  it('CERT and CERTREQ (§3.6, §3.7): an X.509 CERTREQ is a list of 20-byte SHA-1 hashes', () => {
    checkCodec(cert, { encoding: 4, data: hex('3082') }, hex('04 3082'));
    refusesV2(() => cert.decode(hex('04')), SYNTAX);
    refusesV2(() => cert.decode(new Uint8Array(0)), SYNTAX);
    const two = new Uint8Array(41);
    two[0] = 4;
    two.fill(0x11, 1, 21).fill(0x22, 21, 41);
    checkCodec(certReq, { encoding: 4, authority: two.subarray(1) }, two);
    assert.deepEqual(caHashes(certReq.decode(two).value), [
      new Uint8Array(20).fill(0x11),
      new Uint8Array(20).fill(0x22),
    ]);
    checkCodec(certReq, { encoding: 4, authority: new Uint8Array(0) }, hex('04'));
    refusesV2(() => certReq.decode(two.subarray(0, 22)), SYNTAX, /SHA-1/);
    checkCodec(certReq, { encoding: 12, authority: hex('abcd') }, hex('0c abcd')); // other encodings: any CA field
  });

  it('AUTH (§3.8)', () => {
    checkCodec(auth, { method: 2, data: new Uint8Array(20).fill(7) }, hex(`02000000 ${'07'.repeat(20)}`));
    refusesV2(() => auth.decode(hex('02000000')), SYNTAX);
  });

  it('Nonce (§3.9): 16 to 256 bytes', () => {
    checkCodec(nonce, new Uint8Array(16).fill(1), new Uint8Array(16).fill(1));
    checkCodec(nonce, new Uint8Array(256).fill(2), new Uint8Array(256).fill(2));
    refusesV2(() => nonce.decode(new Uint8Array(15)), SYNTAX, /nonce of 15 bytes/);
    refusesV2(() => nonce.decode(new Uint8Array(257)), SYNTAX, /nonce of 257 bytes/);
    assert.throws(() => nonce.encode(new Uint8Array(8)), RangeError);
  });

  it('Notify (§3.10): with and without SPI and data', () => {
    checkCodec(notify, ikeNotify(16384), hex('00004000'));
    checkCodec(
      notify,
      { protocol: 3, notifyType: 16393, spi: hex('01020304'), data: new Uint8Array(0) },
      hex('03044009 01020304'),
    );
    checkCodec(notify, ikeNotify(16390, hex('0011223344556677')), hex('00004006 0011223344556677'));
    refusesV2(() => notify.decode(hex('03044009 010203')), SYNTAX, /notify SPI/);
    refusesV2(() => notify.decode(hex('000040')), SYNTAX);
  });

  it('Delete (§3.11): the IKE SA, or CHILD SAs by 4-byte SPI; the list fills the payload', () => {
    checkCodec(del, { protocol: 1, spis: [] }, hex('01000000'));
    checkCodec(del, { protocol: 3, spis: [hex('01020304'), hex('05060708')] }, hex('03040002 01020304 05060708'));
    refusesV2(() => del.decode(hex('01040001 01020304')), SYNTAX, /SPI size 4 for protocol 1/);
    refusesV2(() => del.decode(hex('03040003 01020304 05060708')), SYNTAX, /do not fill/);
    refusesV2(() => del.decode(hex('03080001 0102030405060708')), SYNTAX, /SPI size 8/);
    refusesV2(() => del.decode(hex('09000005')), SYNTAX);
  });

  it('Vendor ID (§3.12): non-empty', () => {
    checkCodec(vendorId, hex('882fe56d6fd20dbc2251613b2ebe5beb'), hex('882fe56d6fd20dbc2251613b2ebe5beb'));
    refusesV2(() => vendorId.decode(new Uint8Array(0)), SYNTAX);
  });

  describe('TSi/TSr (§3.13)', () => {
    const value: Ikev2Ts = {
      selectors: [
        { tsType: 7, protocol: 6, startPort: 0, endPort: 65535, startAddr: hex('0a000000'), endAddr: hex('0a0000ff') },
        {
          tsType: 8,
          protocol: 17,
          startPort: 500,
          endPort: 500,
          startAddr: hex('20010db8000000000000000000000000'),
          endAddr: hex('20010db8ffffffffffffffffffffffff'),
        },
        { tsType: 9, protocol: 0, body: hex('00000001 00000002 0304ff00') },
      ],
    };
    const bytes = hex(`03000000
      07 06 0010 0000 ffff 0a000000 0a0000ff
      08 11 0028 01f4 01f4 20010db8000000000000000000000000 20010db8ffffffffffffffffffffffff
      09 00 0010 00000001 00000002 0304ff00`);
    it('IPv4 and IPv6 ranges, and an unknown selector type carried whole', () => checkCodec(ts, value, bytes));
    it('refuses a wrong selector length, a short count and trailing bytes', () => {
      refusesV2(() => ts.decode(patched(bytes, 7, 0x14)), SYNTAX, /selector length 20/);
      refusesV2(() => ts.decode(patched(bytes, 0, 4)), SYNTAX, /truncated/);
      refusesV2(() => ts.decode(patched(bytes, 0, 2)), SYNTAX, /after 2 traffic selectors/);
      refusesV2(() => ts.decode(hex('01000000 07000002')), SYNTAX, /selector length 2/);
    });
  });

  it('SK (§3.14): opaque IV | ciphertext | ICV, non-empty', () => {
    checkCodec(sk, hex('00112233'), hex('00112233'));
    refusesV2(() => sk.decode(new Uint8Array(0)), SYNTAX);
  });

  describe('CP (§3.15)', () => {
    it('a CFG_REQUEST with empty attributes and a CFG_REPLY with values', () => {
      checkCodec(
        cp,
        {
          cfgType: K.IKEV2_CFG_REQUEST,
          attrs: [
            { type: 1, value: new Uint8Array(0) },
            { type: 3, value: new Uint8Array(0) },
            { type: 8, value: new Uint8Array(0) },
            { type: 14, value: hex('00010003') },
          ],
        },
        hex('01000000 00010000 00030000 00080000 000e0004 00010003'),
      );
      checkCodec(
        cp,
        {
          cfgType: K.IKEV2_CFG_REPLY,
          attrs: [
            { type: 1, value: hex('0a000005') },
            { type: 8, value: hex('20010db8000000000000000000000005 40') },
            { type: 13, value: hex('0a000000 ffffff00') },
            { type: 7, value: ascii('uipsec') },
          ],
        },
        hex(
          '02000000 00010004 0a000005 00080011 20010db800000000000000000000000540 000d0008 0a000000ffffff00 00070006 756970736563',
        ),
      );
    });
    it('ignores the R bit on receipt, refuses lengths the §3.15.1 table forbids', () => {
      assert.deepEqual(cp.decode(hex('01000000 80010000')).value.attrs, [{ type: 1, value: new Uint8Array(0) }]);
      refusesV2(() => cp.decode(hex('02000000 00010003 0a0000')), SYNTAX, /attribute 1 of 3 bytes/);
      refusesV2(() => cp.decode(hex('02000000 000a0004 0a000001')), SYNTAX, /attribute 10 of 4 bytes/);
      refusesV2(() => cp.decode(hex('01000000 000e0003 000100')), SYNTAX, /SUPPORTED_ATTRIBUTES/);
      refusesV2(() => cp.decode(hex('01000000 00010004 0a00')), SYNTAX, /truncated/);
    });
  });

  it('EAP (§3.16): Request/Response carry a type, Success/Failure are 4 bytes, Length matches', () => {
    checkCodec(eap, { code: 1, identifier: 7, type: 1, data: ascii('user') }, hex('01070009 01 75736572'));
    checkCodec(eap, { code: 3, identifier: 7, data: new Uint8Array(0) }, hex('03070004'));
    refusesV2(() => eap.decode(hex('0107000a 01 75736572')), SYNTAX, /EAP length 10/);
    refusesV2(() => eap.decode(hex('03070005 00')), SYNTAX);
    refusesV2(() => eap.decode(hex('09070004')), SYNTAX, /EAP code 9/);
    refusesV2(() => eap.decode(hex('01070004')), SYNTAX, /EAP type/);
  });

  it('SKF (RFC 7383 §2.5): numbers from 1 up to the total', () => {
    checkCodec(skf, { fragmentNumber: 2, totalFragments: 3, data: hex('aabbcc') }, hex('0002 0003 aabbcc'));
    refusesV2(() => skf.decode(hex('0000 0003 aa')), SYNTAX, /fragment 0 of 3/);
    refusesV2(() => skf.decode(hex('0004 0003 aa')), SYNTAX, /fragment 4 of 3/);
    refusesV2(() => skf.decode(hex('0001 0000 aa')), SYNTAX);
    refusesV2(() => skf.decode(hex('0001 0001')), SYNTAX, /truncated/);
  });
});
