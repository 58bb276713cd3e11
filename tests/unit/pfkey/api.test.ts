// Smaller API promises: encoders refuse values that do not fit instead of truncating them, error replies
// copy the original message, errno numbers map both ways, and sockaddr helpers.
import { strict as assert } from 'node:assert';
import * as C from '../../../pfkey/constants.js';
import { ERRNO_NUMBERS, PfkeyError, errnoName } from '../../../pfkey/errors.js';
import {
  type PfkeyMessage,
  decodeMessage,
  encodeMessage,
  extNameOf,
  makeSadbMsg,
  withErrno,
} from '../../../pfkey/msg.js';
import { makeSockaddr } from '../../../pfkey/sockaddr.js';

function expectEinval(f: () => unknown, re: RegExp): void {
  assert.throws(f, (e: unknown) => e instanceof PfkeyError && e.errno === 'EINVAL' && re.test(e.message));
}

const BASE: PfkeyMessage = { msg: makeSadbMsg(C.SADB_ADD, C.SADB_SATYPE_ESP, 1, 2), ext: {} };

describe('pfkey API edges', () => {
  it('refuses an SPI above 32 bits', () => {
    expectEinval(
      () =>
        encodeMessage({ ...BASE, ext: { sa: { spi: 2 ** 32, replay: 0, state: 0, auth: 0, encrypt: 0, flags: 0 } } }),
      /sadb_sa_spi/,
    );
  });
  it('refuses a negative or fractional field', () => {
    expectEinval(() => encodeMessage({ ...BASE, msg: { ...BASE.msg, seq: -1 } }), /sadb_msg_seq/);
    expectEinval(() => encodeMessage({ ...BASE, msg: { ...BASE.msg, pid: 1.5 } }), /sadb_msg_pid/);
  });
  it('refuses a 64-bit lifetime counter above 2^64-1', () => {
    expectEinval(
      () =>
        encodeMessage({
          ...BASE,
          ext: { lifetimeHard: { allocations: 0, bytes: 2n ** 64n, addtime: 0n, usetime: 0n } },
        }),
      /bytes/,
    );
  });
  it('refuses a key whose length disagrees with its bits', () => {
    expectEinval(
      () => encodeMessage({ ...BASE, ext: { keyAuth: { bits: 160, key: new Uint8Array(16) } } }),
      /sadb_key/,
    );
  });
  it('refuses an ipsecrequest with only one endpoint or mixed families', () => {
    const src = makeSockaddr(Uint8Array.of(10, 0, 0, 1));
    const dst6 = makeSockaddr(new Uint8Array(16));
    const policy = (r: object) => ({
      type: 2,
      dir: 2,
      scope: 0,
      id: 0,
      priority: 0,
      requests: [{ proto: 50, mode: 2, level: 2, reqid: 0, ...r }],
    });
    expectEinval(() => encodeMessage({ ...BASE, ext: { policy: policy({ src }) } }), /both/);
    expectEinval(() => encodeMessage({ ...BASE, ext: { policy: policy({ src, dst: dst6 }) } }), /families/);
  });
  it('refuses an identity string containing NUL, and X_ADDR without an address', () => {
    expectEinval(
      () => encodeMessage({ ...BASE, ext: { identitySrc: { type: 2, id: 0n, data: Uint8Array.of(0x61, 0, 0x62) } } }),
      /NUL/,
    );
    expectEinval(
      () =>
        encodeMessage({
          ...BASE,
          ext: { identitySrc: { type: C.SADB_X_IDENTTYPE_ADDR, id: 0n, data: new Uint8Array(0) } },
        }),
      /without an address/,
    );
  });
  it('an identity string filling its padded space needs no NUL (libipsec sends such)', () => {
    const m = decodeMessage(
      encodeMessage({ ...BASE, ext: { identitySrc: { type: 2, id: 0n, data: new TextEncoder().encode('abcdefgh') } } }),
    );
    assert.equal(new TextDecoder().decode(m.ext.identitySrc!.data), 'abcdefgh');
    assert.equal(encodeMessage(m).length, 16 + 16 + 8);
  });
  it('refuses a message too long for sadb_msg_len (over 65535 units)', () => {
    expectEinval(
      () => encodeMessage({ ...BASE, ext: { kmprivate: { data: new Uint8Array(0xffff * 8) } } }),
      /exceeds sadb_msg_len/,
    );
    assert.equal(
      encodeMessage({ ...BASE, ext: { kmprivate: { data: new Uint8Array(0xffff * 8 - 24) } } }).length,
      0xffff * 8,
      'the largest message fits',
    );
  });
  it('refuses payloads the wire cannot carry: wrong address length, ragged bitmaps and KM data', () => {
    expectEinval(
      () =>
        encodeMessage({
          ...BASE,
          ext: { addressSrc: { proto: 0, prefixlen: 0, addr: { family: 4, port: 0, addr: new Uint8Array(16) } } },
        }),
      /address of 16 bytes/,
    );
    expectEinval(
      () =>
        encodeMessage({
          ...BASE,
          ext: {
            sensitivity: {
              dpd: 0,
              sensLevel: 0,
              sensBitmap: new Uint8Array(5),
              integLevel: 0,
              integBitmap: new Uint8Array(0),
            },
          },
        }),
      /bitmap/,
    );
    expectEinval(() => encodeMessage({ ...BASE, ext: { kmprivate: { data: new Uint8Array(3) } } }), /multiple of 8/);
  });
  it('withErrno copies the original message and sets sadb_msg_errno', () => {
    const orig = Buffer.from(encodeMessage(BASE));
    const reply = withErrno(orig, ERRNO_NUMBERS.EEXIST);
    assert.equal(reply[2], 17);
    assert.equal(orig[2], 0, 'the original (a Buffer) is untouched');
    assert.deepEqual(reply.subarray(3), new Uint8Array(orig.subarray(3)));
    assert.equal(withErrno(Uint8Array.of(1, 2), 22).length, 2, 'too short to carry errno: returned unchanged');
  });
  it('errno names and FreeBSD numbers map both ways', () => {
    for (const [name, n] of Object.entries(ERRNO_NUMBERS)) assert.equal(errnoName(n), name);
    assert.equal(errnoName(200), undefined);
    assert.equal(new PfkeyError('ENOBUFS', 'x').errnoNumber, 55);
  });
  it('extNameOf maps wire types to extension names', () => {
    assert.equal(extNameOf(C.SADB_X_EXT_POLICY), 'policy');
    assert.equal(extNameOf(C.SADB_X_EXT_NAT_T_OAR), 'natTOar');
    assert.equal(extNameOf(0), undefined);
    assert.equal(extNameOf(29), undefined);
  });
  it('makeSockaddr builds inet/inet6 and refuses other lengths', () => {
    assert.deepEqual(makeSockaddr(Uint8Array.of(1, 2, 3, 4), 500), {
      family: 4,
      port: 500,
      addr: Uint8Array.of(1, 2, 3, 4),
    });
    assert.equal(makeSockaddr(new Uint8Array(16)).family, 6);
    expectEinval(() => makeSockaddr(new Uint8Array(5)), /5 bytes/);
  });
});
