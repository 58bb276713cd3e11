// Whole IKEv2 messages (RFC 7296 §3.1-§3.2): the header's version, flags and length, the payload chain with the
// critical bit rule (§2.5), duplicate refusal, SK as the last payload (§3.14), and the name tables (§3.x, IANA).
import { strict as assert } from 'node:assert';
import { checkCodec, hex, refusesV2 } from './support.js';
import { INIT_BYTES, INIT_HEADER, INIT_PAYLOADS, KE_DATA, NI, gen, message } from './fixtures.js';
import * as K from '../../../../racoon/ikev2/constants.js';
import * as T from '../../../../racoon/ikev2/transforms.js';
import * as N from '../../../../racoon/ikev2/notify-types.js';
import { ikev2Header, ikeMajorVersion, isResponse } from '../../../../racoon/ikev2/header.js';
import { decodeIkev2Message, encodeIkev2Message, ikev2Message, payloadsOf } from '../../../../racoon/ikev2/message.js';
import { encodePayloadChain } from '../../../../racoon/ikev2/payload-chain.js';

describe('racoon/ikev2 messages (RFC 7296 §3.1-§3.2)', () => {
  it('an IKE_SA_INIT request round-trips byte for byte', () => {
    const value = { header: { ...INIT_HEADER, length: INIT_BYTES.length }, payloads: INIT_PAYLOADS };
    checkCodec(ikev2Message, value, INIT_BYTES, 'IKE_SA_INIT');
    assert.equal(payloadsOf(INIT_PAYLOADS, K.IKEV2_PAYLOAD_NOTIFY).length, 3);
    assert.equal(payloadsOf(INIT_PAYLOADS, K.IKEV2_PAYLOAD_KE)[0]!.group, 19);
  });

  it('header: version 2.0, I/V/R flags, reserved flag bits ignored on receipt (§3.1)', () => {
    const h = { ...INIT_HEADER, flags: K.IKEV2_FLAG_RESPONSE | K.IKEV2_FLAG_VERSION, length: 28 };
    checkCodec(ikev2Header, h, hex('0123456789abcdef 0000000000000000 21 20 22 30 00000000 0000001c'));
    assert.equal(isResponse(h), true);
    const noisy = hex('0123456789abcdef 0000000000000000 21 2f 22 cf 00000000 0000001c');
    assert.equal(ikev2Header.decode(noisy).value.flags, K.IKEV2_FLAG_INITIATOR);
    assert.equal(ikev2Header.decode(noisy).value.minorVersion, 15); // minor version: ignored, kept for logs
    assert.throws(() => ikev2Header.encode({ ...h, flags: 0x01 }), RangeError);
    assert.equal(ikeMajorVersion(INIT_BYTES), 2);
    assert.equal(ikeMajorVersion(new Uint8Array(17)), undefined);
  });

  it('answers other major versions with INVALID_MAJOR_VERSION (§1.5, §2.5)', () => {
    for (const v of [0x10, 0x30, 0xf0]) {
      const b = INIT_BYTES.slice();
      b[17] = v;
      refusesV2(() => decodeIkev2Message(b), N.IKEV2_N_INVALID_MAJOR_VERSION, /major version/);
    }
  });

  it('refuses a header Length that is not the datagram, and truncated payloads (INVALID_SYNTAX)', () => {
    refusesV2(
      () => decodeIkev2Message(INIT_BYTES.subarray(0, INIT_BYTES.length - 1)),
      N.IKEV2_N_INVALID_SYNTAX,
      /header says/,
    );
    refusesV2(() => decodeIkev2Message(INIT_BYTES.subarray(0, 20)), N.IKEV2_N_INVALID_SYNTAX, /truncated IKE header/);
    const short = INIT_BYTES.slice();
    short[31] = 3; // SA payload length 3 < 4
    refusesV2(() => decodeIkev2Message(short), N.IKEV2_N_INVALID_SYNTAX, /length 3 < 4/);
    const long = INIT_BYTES.slice();
    long[30] = 0x7f;
    refusesV2(() => decodeIkev2Message(long), N.IKEV2_N_INVALID_SYNTAX, /past the end/);
    const small = message({}, 0);
    small[27] = 27;
    refusesV2(() => decodeIkev2Message(small), N.IKEV2_N_INVALID_SYNTAX);
  });

  it('an unknown critical payload is UNSUPPORTED_CRITICAL_PAYLOAD with its type as data (§2.5, §3.10.1)', () => {
    const b = message({}, 40, gen(200, NI), gen(0, hex('abcdef'), true));
    const e = refusesV2(() => decodeIkev2Message(b), N.IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD, /payload type 200/);
    assert.deepEqual(e.notifyData, Uint8Array.of(200));
  });

  it('an unknown non-critical payload is skipped and listed; re-encoding leaves it out', () => {
    const b = message({}, 40, gen(201, NI), gen(43, hex('abcdef')), gen(0, hex('01')));
    const m = decodeIkev2Message(b).value;
    assert.deepEqual(m.ignored, [201]);
    assert.deepEqual(
      m.payloads.map((p) => p.type),
      [K.IKEV2_PAYLOAD_NONCE, K.IKEV2_PAYLOAD_VENDOR],
    );
    const again = decodeIkev2Message(encodeIkev2Message(m)).value;
    assert.equal(again.ignored, undefined);
    assert.deepEqual(again.payloads, m.payloads);
  });

  it('the critical bit of a known payload is ignored (its type is understood)', () => {
    const b = message({}, 40, gen(0, NI, true));
    assert.deepEqual(decodeIkev2Message(b).value.payloads, [{ type: K.IKEV2_PAYLOAD_NONCE, body: NI }]);
  });

  it('refuses duplicates of once-only payloads; Notify, Vendor ID, CERT repeat', () => {
    refusesV2(
      () => decodeIkev2Message(message({}, 40, gen(40, NI), gen(0, NI))),
      N.IKEV2_N_INVALID_SYNTAX,
      /duplicate Ni\/Nr/,
    );
    const ke = Buffer.concat([hex('00130000'), KE_DATA]);
    refusesV2(
      () => decodeIkev2Message(message({}, 34, gen(34, ke), gen(0, ke))),
      N.IKEV2_N_INVALID_SYNTAX,
      /duplicate KE/,
    );
    const v = hex('0102');
    assert.equal(decodeIkev2Message(message({}, 43, gen(43, v), gen(43, v), gen(0, v))).value.payloads.length, 3);
  });

  it('SK must be the last payload (§3.14); its Next Payload is the first inner type', () => {
    const skBody = hex('00112233445566778899');
    const m = decodeIkev2Message(message({ exchangeType: 35 }, 46, gen(35, skBody))).value;
    assert.deepEqual(m.payloads, [{ type: K.IKEV2_PAYLOAD_SK, body: skBody, innerNp: 35 }]);
    const withTail = message({ exchangeType: 35 }, 46, gen(35, skBody), gen(0, hex('01')));
    refusesV2(
      () => decodeIkev2Message(withTail),
      N.IKEV2_N_INVALID_SYNTAX,
      /payload length .* past the end|after the SK/,
    );
    // A payload chain inside SK may not hold another SK.
    assert.throws(
      () =>
        encodePayloadChain([
          { type: K.IKEV2_PAYLOAD_SK, body: skBody, innerNp: 0 },
          { type: 43, body: hex('01') },
        ]),
      RangeError,
    );
  });

  it('name tables cover every exported number (no drift between constants and logs)', () => {
    const all = { ...K, ...T, ...N } as unknown as Record<string, unknown>;
    const cases: [string, K.NameTable, RegExp?][] = [
      ['IKEV2_EXCHANGE_', K.IKEV2_EXCHANGE_NAMES],
      ['IKEV2_PAYLOAD_', K.IKEV2_PAYLOAD_NAMES],
      ['IKEV2_PROTO_', K.IKEV2_PROTO_NAMES],
      ['IKEV2_ID_', K.IKEV2_ID_NAMES],
      ['IKEV2_CERT_', K.IKEV2_CERT_NAMES],
      ['IKEV2_AUTH_METHOD_', K.IKEV2_AUTH_METHOD_NAMES],
      ['IKEV2_HASH_', K.IKEV2_HASH_NAMES],
      ['IKEV2_TS_', K.IKEV2_TS_NAMES],
      ['IKEV2_CFG_', K.IKEV2_CFG_NAMES, /_ATTR_/],
      ['IKEV2_CFG_ATTR_', K.IKEV2_CFG_ATTR_NAMES],
      ['IKEV2_EAP_', K.IKEV2_EAP_NAMES],
      ['IKEV2_TRANSFORM_', T.IKEV2_TRANSFORM_NAMES],
      ['IKEV2_ENCR_', T.IKEV2_ENCR_NAMES],
      ['IKEV2_PRF_', T.IKEV2_PRF_NAMES],
      ['IKEV2_AUTH_', T.IKEV2_INTEG_NAMES, /_METHOD_/],
      ['IKEV2_DH_', T.IKEV2_DH_NAMES],
      ['IKEV2_ESN_', T.IKEV2_ESN_NAMES],
      ['IKEV2_N_', N.IKEV2_N_NAMES, /STATUS_FIRST/],
    ];
    for (const [prefix, table, exclude] of cases) {
      const g = Object.entries(all).filter(
        ([k, v]) => k.startsWith(prefix) && typeof v === 'number' && !/_NAMES$/.test(k) && !(exclude?.test(k) ?? false),
      );
      assert.ok(g.length > 0, prefix);
      for (const [k, v] of g) assert.ok(table[v as number] !== undefined, `${k} = ${String(v)} has no name`);
    }
  });

  it('pins values to RFC 7296 and the RFCs that add them', () => {
    assert.deepEqual(
      [K.IKEV2_EXCHANGE_IKE_SA_INIT, K.IKEV2_EXCHANGE_INFORMATIONAL, K.IKEV2_EXCHANGE_IKE_INTERMEDIATE],
      [34, 37, 43],
    );
    assert.deepEqual(
      [K.IKEV2_PAYLOAD_SA, K.IKEV2_PAYLOAD_SK, K.IKEV2_PAYLOAD_EAP, K.IKEV2_PAYLOAD_SKF],
      [33, 46, 48, 53],
    );
    assert.deepEqual(
      [N.IKEV2_N_INVALID_KE_PAYLOAD, N.IKEV2_N_COOKIE, N.IKEV2_N_REDIRECT, N.IKEV2_N_SIGNATURE_HASH_ALGORITHMS],
      [17, 16390, 16407, 16431],
    );
    assert.deepEqual(
      [N.IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, N.IKEV2_N_IKEV2_MESSAGE_ID_SYNC, N.IKEV2_N_MOBIKE_SUPPORTED],
      [16430, 16422, 16396],
    );
    assert.deepEqual(
      [T.IKEV2_ENCR_AES_GCM_16, T.IKEV2_ENCR_CHACHA20_POLY1305, T.IKEV2_PRF_AES128_CMAC, T.IKEV2_AUTH_AES_CMAC_96],
      [20, 28, 8, 8],
    );
    assert.deepEqual(
      [T.IKEV2_DH_CURVE25519, T.IKEV2_DH_CURVE448, K.IKEV2_AUTH_METHOD_DIGITAL_SIGNATURE, K.IKEV2_ID_NULL],
      [31, 32, 14, 13],
    );
    assert.equal(N.isErrorNotify(N.IKEV2_N_TS_UNACCEPTABLE), true);
    assert.equal(N.isErrorNotify(N.IKEV2_N_INITIAL_CONTACT), false);
    assert.equal(T.transformIdNames(T.IKEV2_TRANSFORM_ADDKE1), T.IKEV2_DH_NAMES);
  });
});
