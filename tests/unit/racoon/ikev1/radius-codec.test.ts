// The RADIUS codec of XAuth auth_source radius: RFC 2865 §7.1's Access-Request / Access-Accept example (the
// hidden password and the Response Authenticator), RFC 3579 §3.2's Message-Authenticator recomputed here with
// node's HMAC, responses refused for a wrong secret / identifier / tampering, and the response parser fuzzed
// (random and mutated packets, fixed seed): a reason string or a packet, never a throw.
import { strict as assert } from 'node:assert';
import { createHash, createHmac } from 'node:crypto';
import * as R from '../../../../racoon/ikev1/cfg/radius-codec.js';
import { prng } from '../../../support/prng.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const txt = (s: string) => new Uint8Array(Buffer.from(s));

// RFC 2865 §7.1: user "nemo", password "arctangent", secret "xyzzy5461".
const RFC_REQUEST = hex(`01 00 00 38 0f 40 3f 94 73 97 80 57 bd 83 d5 cb 98 f4 22 7a 01 06 6e 65 6d 6f 02 12
  0d be 70 8d 93 d4 13 ce 31 96 e4 3f 78 2a 0a ee 04 06 c0 a8 01 10 05 06 00 00 00 03`);
const RFC_ACCEPT = hex(`02 00 00 26 86 fe 22 0e 76 24 ba 2a 10 05 f6 bf 9b 55 e0 b2 06 06 00 00 00 01 0f 06
  00 00 00 00 0e 06 c0 a8 01 03`);
const SECRET = txt('xyzzy5461');

/** A server's answer to `req` (RFC 2865 §3), with a Message-Authenticator when asked (RFC 3579 §3.2). */
function answer(req: Uint8Array, code: number, secret: Uint8Array, attrs: R.RadiusAttr[], withMa: boolean): Uint8Array {
  const all = withMa ? [{ type: R.RAD_MESSAGE_AUTHENTICATOR, value: new Uint8Array(16) }, ...attrs] : attrs;
  const wire = R.encodeRadius({ code, identifier: req[1]!, authenticator: req.slice(4, 20), attrs: all });
  if (withMa) wire.set(createHmac('md5', secret).update(wire).digest(), 22);
  const ra = createHash('md5').update(wire).update(secret).digest();
  wire.set(ra, 4);
  return wire;
}

describe('racoon XAuth RADIUS codec (RFC 2865, RFC 3579)', () => {
  it('RFC 2865 §7.1: the hidden "arctangent" and the Access-Accept Response Authenticator', () => {
    const ra = RFC_REQUEST.slice(4, 20);
    const p = R.decodeRadius(RFC_REQUEST);
    assert.ok(typeof p !== 'string');
    assert.deepEqual(R.radiusAttr(p, R.RAD_USER_PASSWORD), R.hidePassword(txt('arctangent'), SECRET, ra));
    assert.equal(
      Buffer.from(R.revealPassword(R.radiusAttr(p, R.RAD_USER_PASSWORD)!, SECRET, ra)).toString(),
      'arctangent',
    );
    const ok = R.verifyResponse(RFC_ACCEPT, 0, ra, SECRET, false);
    assert.ok(typeof ok !== 'string', String(ok));
    assert.equal(ok.code, R.RADIUS_ACCESS_ACCEPT);
    assert.match(String(R.verifyResponse(RFC_ACCEPT, 0, ra, txt('xyzzy5462'), false)), /Response Authenticator/);
    assert.match(String(R.verifyResponse(RFC_ACCEPT, 1, ra, SECRET, false)), /Identifier 0, expected 1/);
    assert.match(String(R.verifyResponse(RFC_ACCEPT, 0, ra, SECRET, true)), /without Message-Authenticator/);
  });

  it('password hiding round-trips for 0..128 bytes, in 16-byte blocks, and refuses more', () => {
    const ra = hex('00112233445566778899aabbccddeeff');
    for (let n = 0; n <= R.RADIUS_MAX_PASSWORD_BYTES; n++) {
      const pw = Uint8Array.from({ length: n }, (_, i) => 1 + ((i * 7) % 250));
      const h = R.hidePassword(pw, SECRET, ra);
      assert.equal(h.length, Math.max(16, Math.ceil(n / 16) * 16));
      assert.deepEqual(R.revealPassword(h, SECRET, ra), pw);
    }
    assert.throws(() => R.hidePassword(new Uint8Array(129), SECRET, ra), RangeError);
  });

  it('an Access-Request carries a Message-Authenticator a server recomputes (RFC 3579 §3.2)', () => {
    const ra = hex('0f403f9473978057bd83d5cb98f4227a');
    const extra = [{ type: R.RAD_NAS_IDENTIFIER, value: txt('racoon') }];
    const wire = R.encodeAccessRequest(7, ra, SECRET, txt('nemo'), txt('arctangent'), extra);
    const p = R.decodeRadius(wire);
    assert.ok(typeof p !== 'string');
    assert.deepEqual(
      p.attrs.map((a) => a.type),
      [R.RAD_MESSAGE_AUTHENTICATOR, R.RAD_USER_NAME, R.RAD_USER_PASSWORD, R.RAD_NAS_IDENTIFIER],
    );
    const zeroed = wire.slice();
    zeroed.fill(0, 22, 38);
    assert.deepEqual(
      R.radiusAttr(p, R.RAD_MESSAGE_AUTHENTICATOR),
      new Uint8Array(createHmac('md5', SECRET).update(zeroed).digest()),
    );
    assert.deepEqual(
      R.radiusAttr(p, R.RAD_USER_PASSWORD),
      RFC_REQUEST.slice(28, 44),
      'the same hiding as RFC 2865 §7.1',
    );
  });

  it('a response with a Message-Authenticator: accepted when right, refused when tampered or missing', () => {
    const ra = hex('0f403f9473978057bd83d5cb98f4227a');
    const req = R.encodeAccessRequest(9, ra, SECRET, txt('nemo'), txt('pw'), []);
    const acc = answer(
      req,
      R.RADIUS_ACCESS_ACCEPT,
      SECRET,
      [{ type: R.RAD_FRAMED_IP_ADDRESS, value: hex('0a630005') }],
      true,
    );
    const ok = R.verifyResponse(acc, 9, ra, SECRET, true);
    assert.ok(typeof ok !== 'string', String(ok));
    assert.deepEqual(R.radiusAttr(ok, R.RAD_FRAMED_IP_ADDRESS), hex('0a630005'));
    // A changed Message-Authenticator with a Response Authenticator recomputed over it: only the HMAC catches it.
    const bad = acc.slice();
    bad[30] = bad[30]! ^ 1;
    bad.set(
      createHash('md5').update(bad.subarray(0, 4)).update(ra).update(bad.subarray(20)).update(SECRET).digest(),
      4,
    );
    assert.match(String(R.verifyResponse(bad, 9, ra, SECRET, false)), /Message-Authenticator does not match/);
    const none = answer(req, R.RADIUS_ACCESS_REJECT, SECRET, [], false);
    assert.ok(typeof R.verifyResponse(none, 9, ra, SECRET, false) !== 'string');
    assert.match(String(R.verifyResponse(none, 9, ra, SECRET, true)), /without Message-Authenticator/);
  });

  it('an Accounting-Request authenticator is MD5 over the packet with zeros and the secret (RFC 2866 §3)', () => {
    const attrs = [
      { type: R.RAD_ACCT_STATUS_TYPE, value: hex('00000001') },
      { type: R.RAD_USER_NAME, value: txt('nemo') },
    ];
    const wire = R.encodeAccountingRequest(3, SECRET, attrs);
    const z = wire.slice();
    z.fill(0, 4, 20);
    assert.deepEqual(wire.slice(4, 20), new Uint8Array(createHash('md5').update(z).update(SECRET).digest()));
  });

  it('fuzz: 20,000 random and mutated datagrams decode to a packet or a reason, never a throw', () => {
    const rnd = prng(2865);
    const int = (n: number) => Math.floor(rnd() * n);
    const ra = hex('0f403f9473978057bd83d5cb98f4227a');
    const base = answer(RFC_REQUEST, R.RADIUS_ACCESS_ACCEPT, SECRET, [{ type: 8, value: hex('0a000001') }], true);
    let packets = 0;
    for (let i = 0; i < 20000; i++) {
      let d: Uint8Array;
      if (i % 2) d = Uint8Array.from({ length: int(80) }, () => int(256));
      else {
        d = base.slice(0, int(base.length + 8));
        for (let j = int(4); j > 0; j--) if (d.length) d[int(d.length)] = int(256);
      }
      const p = R.decodeRadius(d);
      if (typeof p !== 'string') {
        packets++;
        for (const a of p.attrs) assert.ok(a.value.length <= 253);
      }
      R.verifyResponse(d, 0, ra, SECRET, i % 3 === 0);
    }
    assert.ok(packets > 100, `${packets} decodable`);
  });
});
