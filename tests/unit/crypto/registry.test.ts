// The registry: names and aliases resolve, refused names say why and list what is supported,
// and wrong key lengths are a RangeError naming the accepted lengths.
import { strict as assert } from 'node:assert';
import {
  AUTH_ALGS,
  AUTH_ALG_NAMES,
  COMP_ALG_NAMES,
  ENC_ALGS,
  ENC_ALG_NAMES,
  UnsupportedAlgorithmError,
  findAuthAlg,
  findCompAlg,
  findEncAlg,
  isAead,
} from '../../../crypto/registry.js';

describe('crypto: registry', () => {
  it('resolves every name and alias, case-insensitively', () => {
    for (const a of ENC_ALGS) for (const n of [a.name, ...a.aliases]) assert.equal(findEncAlg(n.toUpperCase()), a);
    for (const a of AUTH_ALGS) for (const n of [a.name, ...a.aliases]) assert.equal(findAuthAlg(n), a);
    assert.equal(findCompAlg('deflate').name, 'deflate');
  });

  it('knows the setkey spellings', () => {
    assert.equal(findEncAlg('rijndael-cbc').name, 'aes-cbc');
    assert.equal(findAuthAlg('hmac-sha2-256').name, 'hmac-sha256');
    assert.equal(findAuthAlg('hmac-sha2-512').icvLen, 32);
    assert.equal(findEncAlg('aes-gcm-16').kind, 'aead');
    assert.ok(isAead(findEncAlg('aes-gcm-16')));
    assert.ok(!isAead(findEncAlg('aes-cbc')));
  });

  it('knows the racoon.conf spellings', () => {
    for (const [n, want] of [
      ['aes', 'aes-cbc'],
      ['rijndael', 'aes-cbc'],
      ['3des', '3des-cbc'],
      ['des', 'des-cbc'],
      ['camellia', 'camellia-cbc'],
      ['null_enc', 'null'],
    ] as const) {
      assert.equal(findEncAlg(n).name, want, n);
    }
    for (const [n, want] of [
      ['hmac_md5', 'hmac-md5'],
      ['hmac_sha1', 'hmac-sha1'],
      ['hmac_sha2_256', 'hmac-sha256'],
      ['hmac_sha2_384', 'hmac-sha384'],
      ['hmac_sha2_512', 'hmac-sha512'],
      ['non_auth', 'null'],
    ] as const) {
      assert.equal(findAuthAlg(n).name, want, n);
    }
  });

  it('has no alias shared by two algorithms', () => {
    const seen = new Map<string, string>();
    for (const list of [ENC_ALGS, AUTH_ALGS]) {
      seen.clear();
      for (const a of list)
        for (const n of [a.name, ...a.aliases]) {
          assert.ok(!seen.has(n.toLowerCase()), `${n} used by ${seen.get(n.toLowerCase())} and ${a.name}`);
          seen.set(n.toLowerCase(), a.name);
        }
    }
  });

  for (const name of ['blowfish-cbc', 'cast128-cbc', 'twofish-cbc']) {
    it(`refuses legacy ${name} naming the supported ciphers`, () => {
      assert.throws(
        () => findEncAlg(name),
        (e: unknown) => {
          assert.ok(e instanceof UnsupportedAlgorithmError);
          assert.equal(e.code, 'EALGUNSUPP');
          assert.match(e.message, /no maintained library/);
          for (const n of ENC_ALG_NAMES) assert.ok(e.message.includes(n), `message lacks ${n}`);
          return true;
        },
      );
    });
  }

  it('refuses unknown auth and compression names with the supported lists', () => {
    assert.throws(
      () => findAuthAlg('keyed-md5'),
      (e: unknown) => e instanceof UnsupportedAlgorithmError && AUTH_ALG_NAMES.every((n) => e.message.includes(n)),
    );
    assert.throws(
      () => findCompAlg('lzs'),
      (e: unknown) => e instanceof UnsupportedAlgorithmError && COMP_ALG_NAMES.every((n) => e.message.includes(n)),
    );
    assert.throws(() => findEncAlg('no-such-cipher'), UnsupportedAlgorithmError);
  });

  it('rejects a wrong key length with a RangeError naming the accepted lengths', () => {
    assert.throws(
      () => findEncAlg('aes-cbc').create(new Uint8Array(15)),
      /aes-cbc: key must be 128, 192 or 256 bits, got 120 bits/,
    );
    assert.throws(
      () => findEncAlg('aes-gcm-16').create(new Uint8Array(16)),
      /aes-gcm-16: key must be 160, 224 or 288 bits, got 128 bits/,
    );
    assert.throws(
      () => findAuthAlg('hmac-sha1').create(new Uint8Array(16)),
      /hmac-sha1: key must be 160 bits, got 128 bits/,
    );
    assert.throws(() => findEncAlg('null').create(new Uint8Array(1)), RangeError);
    for (const a of [...ENC_ALGS, ...AUTH_ALGS]) {
      const bad = (Math.max(...a.keyBits) + 8) / 8;
      assert.throws(() => a.create(new Uint8Array(bad)), RangeError, a.name);
    }
  });

  it('refuses a back-end an algorithm does not list', () => {
    assert.throws(
      () => findEncAlg('camellia-cbc').create(new Uint8Array(16), 'noble'),
      /no 'noble' back-end; available: node/,
    );
  });

  it('lists key sizes as setkey counts them (with nonce/salt)', () => {
    assert.deepEqual(findEncAlg('aes-gcm-16').keyBits, [160, 224, 288]);
    assert.deepEqual(findEncAlg('3des-cbc').keyBits, [192]);
    assert.deepEqual(findAuthAlg('hmac-sha384').keyBits, [384]);
  });
});
