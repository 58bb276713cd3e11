// SK payload protection (RFC 7296 §3.14; RFC 5282 §5.1; RFC 5930; RFC 7634) for every IKE suite, byte for byte
// against IKE_AUTH messages that Python's cryptography protected (tests/vectors/gen-ikev2.py); the ICV checked
// before any decryption; tampering, truncation and bad padding; RFC 7383 fragments and their reassembly.
import { strict as assert } from 'node:assert';
import { createCipheriv, createHmac } from 'node:crypto';
import { hex, loadIkev2Vectors, toh } from './support.js';
import { SeededRng } from '../../../../common/rng.js';
import * as K from '../../../../racoon/ikev2/constants.js';
import * as T from '../../../../racoon/ikev2/transforms.js';
import type { Ikev2Header } from '../../../../racoon/ikev2/header.js';
import { decodeIkev2Message } from '../../../../racoon/ikev2/message.js';
import { decodePayloadChain, type Ikev2Payload } from '../../../../racoon/ikev2/payload-chain.js';
import { ikeEncr, ikeInteg } from '../../../../racoon/ikev2/suite.js';
import { openSk, openSkf, sealSk, type SkKeys } from '../../../../racoon/ikev2/sk-protect.js';
import { fragmentSk, SkfReassembly, skMessageLength } from '../../../../racoon/ikev2/fragment.js';
import type { CipherAlg, CipherCtx } from '../../../../crypto/types.js';

interface SkCase {
  encr: string;
  encrId: number;
  keyBits: number | null;
  integ: string | null;
  integId: number;
  encKey: string;
  integKey?: string;
  iv: string;
  spii: string;
  spir: string;
  messageId: number;
  innerNp: number;
  inner: string;
  message: string;
}
const { sk: CASES } = loadIkev2Vectors<{ sk: SkCase[] }>();

export function keysOf(c: SkCase): SkKeys {
  const encr = ikeEncr(c.encrId, c.keyBits ?? undefined)!;
  const k: SkKeys = { encr, encKey: hex(c.encKey) };
  if (c.integ) {
    k.integ = ikeInteg(c.integId)!;
    k.integKey = hex(c.integKey!);
  }
  return k;
}

function headerOf(c: SkCase): Ikev2Header {
  return {
    spiI: hex(c.spii),
    spiR: hex(c.spir),
    np: 0,
    majorVersion: 2,
    minorVersion: 0,
    exchangeType: K.IKEV2_EXCHANGE_IKE_AUTH,
    flags: K.IKEV2_FLAG_INITIATOR,
    messageId: c.messageId,
    length: 0,
  };
}

function innerOf(c: SkCase): Ikev2Payload[] {
  return decodePayloadChain(c.innerNp, hex(c.inner), 0, undefined, { inner: true }).value.payloads;
}

function open(raw: Uint8Array, k: SkKeys) {
  return openSk(raw, decodeIkev2Message(raw).value, k);
}

describe('racoon/ikev2 SK protection (RFC 7296 §3.14)', () => {
  for (const c of CASES) {
    const label = `${c.encr}${c.keyBits ? `-${c.keyBits}` : ''}${c.integ ? ` + ${c.integ}` : ''}`;
    it(`${label}: sealSk matches Python's IKE_AUTH byte for byte; openSk returns the payloads`, () => {
      const k = keysOf(c);
      const raw = sealSk(headerOf(c), [], innerOf(c), k, hex(c.iv));
      assert.equal(toh(raw), c.message);
      const r = open(raw, k);
      assert.ok(r.ok, JSON.stringify(r));
      assert.deepEqual(r.inner, innerOf(c));
      assert.deepEqual(
        r.inner.map((p) => p.type),
        [
          K.IKEV2_PAYLOAD_IDI,
          K.IKEV2_PAYLOAD_AUTH,
          K.IKEV2_PAYLOAD_NOTIFY,
          K.IKEV2_PAYLOAD_SA,
          K.IKEV2_PAYLOAD_TSI,
          K.IKEV2_PAYLOAD_TSR,
        ],
      );
    });

    it(`${label}: any flipped bit (header, SK header, IV, ciphertext, ICV) is a silent 'icv' drop`, () => {
      const k = keysOf(c);
      const raw = hex(c.message);
      const ivOff = 28 + 4;
      for (const at of [0, 20, 29, ivOff, ivOff + k.encr.ivLen, raw.length - 20, raw.length - 1]) {
        const bad = raw.slice();
        bad[at]! ^= 0x04;
        assert.deepEqual(open(bad, k), { ok: false, reason: 'icv' }, `byte ${at}`);
      }
    });
  }

  it('a message without SK, or an SK too short for IV and ICV, is dropped before any crypto', () => {
    const c = CASES[1]!;
    const k = keysOf(c);
    const init = hex(c.message).slice(0, 28);
    init[16] = 0;
    new DataView(init.buffer).setUint32(24, 28);
    assert.deepEqual(open(init, k), { ok: false, reason: 'no-sk' });
    const short = new Uint8Array(28 + 4 + 20);
    short.set(init.subarray(0, 16));
    short.set([46, 0x20, 35, 0x08, 0, 0, 0, 1, 0, 0, 0, short.length], 16);
    short.set([35, 0, 0, 24], 28);
    assert.deepEqual(open(short, k), { ok: false, reason: 'length' });
  });

  it('checks the ICV before decrypting: a forged message never reaches the cipher', () => {
    const c = CASES.find((x) => x.encr === 'ENCR_AES_CBC' && x.integ === 'AUTH_HMAC_SHA1_96')!;
    const real = keysOf(c);
    let decrypts = 0;
    const spy: CipherAlg = {
      ...real.encr.cipher!,
      create(key: Uint8Array): CipherCtx {
        const inner = real.encr.cipher!.create(key);
        return {
          ...inner,
          decrypt: (...a) => (decrypts++, inner.decrypt(...a)),
          encrypt: inner.encrypt,
          wipe: inner.wipe,
        };
      },
    };
    const k: SkKeys = { ...real, encr: { ...real.encr, cipher: spy } };
    const raw = hex(c.message);
    assert.equal(open(raw, k).ok, true);
    assert.equal(decrypts, 1);
    const bad = raw.slice();
    bad[bad.length - 1]! ^= 1;
    assert.deepEqual(open(bad, k), { ok: false, reason: 'icv' });
    assert.equal(decrypts, 1);
  });

  it("an authentic message with a bad Pad Length or garbage inside is 'syntax' (INVALID_SYNTAX, §2.21.2)", () => {
    const k: SkKeys = {
      encr: ikeEncr(T.IKEV2_ENCR_AES_CBC, 128)!,
      integ: ikeInteg(T.IKEV2_AUTH_HMAC_SHA1_96)!,
      encKey: hex('00'.repeat(16)),
      integKey: hex('11'.repeat(20)),
    };
    const build = (pt: Uint8Array): Uint8Array => {
      const iv = hex('22'.repeat(16));
      const c = createCipheriv('aes-128-cbc', k.encKey, iv).setAutoPadding(false);
      const ct = Buffer.concat([c.update(pt), c.final()]);
      const msg = Buffer.alloc(28 + 4 + 16 + ct.length + 12);
      msg.set(hex('0011223344556677 8899aabbccddeeff 2e 20 23 08 00000001'), 0);
      msg.writeUInt32BE(msg.length, 24);
      msg.set([43, 0, 0, 4 + 16 + ct.length + 12], 28);
      msg.set(iv, 32);
      msg.set(ct, 48);
      msg.set(
        createHmac('sha1', k.integKey!)
          .update(msg.subarray(0, msg.length - 12))
          .digest()
          .subarray(0, 12),
        msg.length - 12,
      );
      return new Uint8Array(msg);
    };
    const badPad = open(build(new Uint8Array(16).fill(0xff)), k);
    assert.equal(badPad.ok, false);
    assert.equal(!badPad.ok && badPad.reason, 'syntax');
    // A Vendor ID payload claiming 200 bytes inside: the inner chain does not decode.
    const garbage = new Uint8Array(16);
    garbage.set([0, 0, 0, 200]);
    garbage[15] = 3;
    const r = open(build(garbage), k);
    assert.ok(!r.ok && r.reason === 'syntax' && r.error.notifyType === 7, JSON.stringify(r));
    // The same chain with a correct length decodes.
    garbage.set([0, 0, 0, 12]);
    const ok = open(build(garbage), k);
    assert.ok(ok.ok && ok.inner[0]!.type === K.IKEV2_PAYLOAD_VENDOR);
  });

  it('suite table: key, IV and ICV sizes (RFC 5282 §7.1 salts, RFC 5930, RFC 7634), and refused key lengths', () => {
    assert.deepEqual(
      [ikeEncr(T.IKEV2_ENCR_AES_GCM_16, 256)!.keyLen, ikeEncr(T.IKEV2_ENCR_AES_CCM_8, 128)!.keyLen],
      [36, 19],
    );
    assert.deepEqual([ikeEncr(T.IKEV2_ENCR_CHACHA20_POLY1305)!.keyLen, ikeEncr(T.IKEV2_ENCR_3DES)!.keyLen], [36, 24]);
    assert.deepEqual([ikeEncr(T.IKEV2_ENCR_AES_CTR, 192)!.keyLen, ikeEncr(T.IKEV2_ENCR_AES_CBC, 256)!.ivLen], [28, 16]);
    assert.equal(ikeEncr(T.IKEV2_ENCR_AES_CBC), undefined); // AES needs a Key Length (§3.3.5)
    assert.equal(ikeEncr(T.IKEV2_ENCR_AES_CBC, 512), undefined);
    assert.equal(ikeEncr(T.IKEV2_ENCR_3DES, 192), undefined); // fixed-size ciphers take none
    assert.equal(ikeEncr(T.IKEV2_ENCR_DES), undefined); // RFC 8247: MUST NOT
    assert.deepEqual(
      [ikeInteg(T.IKEV2_AUTH_HMAC_SHA2_512_256)!.keyLen, ikeInteg(T.IKEV2_AUTH_HMAC_SHA2_512_256)!.icvLen],
      [64, 32],
    );
    assert.equal(ikeInteg(T.IKEV2_AUTH_NONE), undefined);
  });
});

describe('racoon/ikev2 SKF fragments (RFC 7383)', () => {
  const c = CASES.find((x) => x.encr === 'ENCR_AES_CBC' && x.integ === 'AUTH_HMAC_SHA2_256_128')!;
  const gcm = CASES.find((x) => x.encr === 'ENCR_AES_GCM_16')!;
  for (const [name, cc] of [
    ['AES-CBC + HMAC-SHA2-256', c],
    ['AES-GCM-16', gcm],
  ] as const) {
    it(`${name}: fragments fit the size, each verifies, reassembly in any order gives the payloads`, () => {
      const k = keysOf(cc);
      const inner = innerOf(cc);
      const rng = new SeededRng('skf');
      const frags = fragmentSk(headerOf(cc), inner, k, 120, rng);
      assert.ok(frags.length > 2, `${frags.length} fragments`);
      const pieces = frags.map((f) => {
        assert.ok(f.length <= 120, `fragment of ${f.length} bytes`);
        const r = openSkf(f, decodeIkev2Message(f).value, k);
        assert.ok(r.ok);
        return r;
      });
      assert.equal(pieces[0]!.innerNp, K.IKEV2_PAYLOAD_IDI);
      assert.ok(pieces.slice(1).every((p) => p.innerNp === 0));
      const re = new SkfReassembly();
      const order = [...pieces].reverse();
      let done;
      for (const p of order) {
        assert.equal(done, undefined);
        done = re.add(p);
        if (!done) assert.equal(re.add(p), undefined); // a duplicate is ignored
      }
      assert.deepEqual(done!.inner, inner);
      assert.equal(re.held, 0);
      const tampered = frags[1]!.slice();
      tampered[tampered.length - 2]! ^= 1;
      assert.deepEqual(openSkf(tampered, decodeIkev2Message(tampered).value, k), { ok: false, reason: 'icv' });
    });
  }

  it('a fragment announcing a larger total restarts the collection (§2.6.1); a smaller one is ignored', () => {
    const re = new SkfReassembly();
    const piece = (n: number, total: number) => ({
      fragmentNumber: n,
      totalFragments: total,
      innerNp: n === 1 ? K.IKEV2_PAYLOAD_VENDOR : 0,
      content: n === 1 ? hex('00000006') : hex('0102'),
    });
    assert.equal(re.add(piece(1, 3)), undefined);
    assert.equal(re.add(piece(2, 3)), undefined);
    assert.equal(re.add(piece(2, 4)), undefined); // restart
    assert.equal(re.held, 1);
    assert.equal(re.add(piece(1, 2)), undefined); // smaller total: ignored
    assert.equal(re.held, 1);
    assert.equal(re.add(piece(9, 200)), undefined); // beyond the bound
    assert.equal(re.held, 1);
    assert.equal(new SkfReassembly().add(piece(0, 0)), undefined); // fragment numbers start at 1 (RFC 7383 §2.5)
    assert.equal(new SkfReassembly().add({ ...piece(0, 1) }), undefined);
  });

  it('skMessageLength is the length sealSk produces', () => {
    const k = keysOf(c);
    const inner = innerOf(c);
    const raw = sealSk(headerOf(c), [], inner, k, new SeededRng('x'));
    assert.equal(skMessageLength(k, 0, hex(c.inner).length), raw.length);
  });
});
