// Strict validation: each malformation KAME's key_parse/key_align/key_validate_ext (and key_msg2sp for
// ipsecrequests) refuses gives a PfkeyError with errno EINVAL (EAFNOSUPPORT for an unknown sockaddr family),
// never another exception. Inputs are assembled by hand with raw.ts; the naive oracle must agree on each.
import { strict as assert } from 'node:assert';
import { PfkeyError, type PfkeyErrno } from '../../../pfkey/errors.js';
import { decodeMessage } from '../../../pfkey/msg.js';
import * as R from './raw.js';
import { oracleVerdict } from './oracle.js';

const V4A = [192, 0, 2, 1];
const V4B = [198, 51, 100, 7];
const V6A = Array.from({ length: 16 }, (_, i) => i);

function expectError(bytes: Uint8Array, errno: PfkeyErrno = 'EINVAL', re?: RegExp): void {
  assert.equal(oracleVerdict(bytes), errno, 'the naive oracle agrees');
  assert.throws(
    () => decodeMessage(bytes),
    (e: unknown) => {
      assert.ok(e instanceof PfkeyError, `expected PfkeyError, got ${String(e)}`);
      assert.equal(e.errno, errno, e.message);
      if (re) assert.match(e.message, re);
      return true;
    },
  );
}

/** A raw extension with an explicit length field (8-byte units) and body (no padding added). */
function rawExt(type: number, lenUnits: number, body: Uint8Array): Buffer {
  return new R.Raw().u16(lenUnits).u16(type).bytes(body).build();
}

const ADDR_SRC = R.rawAddress(5, 255, 32, R.rawSin(V4A));
const ADDR_DST = R.rawAddress(6, 255, 32, R.rawSin(V4B));
const SPDADD = (policy: Buffer) => R.rawMsg({ type: 14, satype: 0 }, [ADDR_SRC, ADDR_DST, policy]);

describe('pfkey decoder refuses malformed messages with PfkeyError', () => {
  it('accepts the unmodified base messages used below', () => {
    for (const b of [
      R.rawMsg({ type: 3, satype: 3 }, [R.rawSa(0x1000, 0, 0, 0, 0, 0), ADDR_SRC, ADDR_DST]),
      SPDADD(R.rawPolicy(2, 2, 0, [R.rawRequest(50, 2, 2, 0, R.rawSin(V4A), R.rawSin(V4B))])),
    ]) {
      decodeMessage(b);
      assert.equal(oracleVerdict(b), 'ok');
    }
  });

  describe('header', () => {
    it('shorter than sadb_msg', () => expectError(new Uint8Array(15), 'EINVAL', /sadb_msg/));
    it('empty input', () => expectError(new Uint8Array(0)));
    for (const v of [0, 1, 3, 255]) {
      it(`version ${v}`, () => {
        const b = R.rawMsg({ type: 9, satype: 0 }, []);
        b[0] = v;
        expectError(b, 'EINVAL', /version/);
      });
    }
    for (const units of [0, 1, 3, 0xffff]) {
      it(`sadb_msg_len ${units} for a 16-byte message`, () => {
        const b = R.rawMsg({ type: 9, satype: 0 }, []);
        b.writeUInt16LE(units, 4);
        expectError(b, 'EINVAL', /sadb_msg_len/);
      });
    }
    it('bytes beyond sadb_msg_len (trailing garbage)', () => {
      expectError(Buffer.concat([R.rawMsg({ type: 9, satype: 0 }, []), Buffer.alloc(8)]), 'EINVAL', /sadb_msg_len/);
    });
    for (const t of [0, 25, 200]) {
      it(`message type ${t}`, () => expectError(R.rawMsg({ type: t, satype: 0 }, []), 'EINVAL', /type/));
    }
  });

  describe('extension framing', () => {
    it('a repeated extension', () =>
      expectError(R.rawMsg({ type: 4, satype: 3 }, [ADDR_SRC, ADDR_SRC]), 'EINVAL', /duplicate/));
    for (const t of [0, 29, 31, 0xffff]) {
      it(`unknown extension type ${t}`, () =>
        expectError(
          R.rawMsg({ type: 4, satype: 3 }, [rawExt(t, 1, new Uint8Array(4))]),
          'EINVAL',
          /unknown extension/,
        ));
    }
    it('an extension of length 0', () =>
      expectError(R.rawMsg({ type: 4, satype: 3 }, [rawExt(1, 0, new Uint8Array(4))]), 'EINVAL', /length 0/));
    it('an extension running past the end', () => {
      expectError(
        R.rawMsg({ type: 4, satype: 3 }, [rawExt(1, 3, new Uint8Array(12))]),
        'EINVAL',
        /past the message end/,
      );
    });
  });

  describe('fixed-size extensions of the wrong size', () => {
    const cases: [string, number, number][] = [
      ['sadb_sa', 1, 16],
      ['sadb_lifetime', 2, 32],
      ['sadb_lifetime', 3, 32],
      ['sadb_lifetime', 4, 32],
      ['sadb_spirange', 16, 16],
      ['sadb_x_sa2', 19, 16],
      ['sadb_x_nat_t_type', 20, 8],
      ['sadb_x_nat_t_port', 21, 8],
      ['sadb_x_nat_t_port', 22, 8],
      ['sadb_x_nat_t_frag', 25, 8],
      ['sadb_x_sa_replay', 26, 8],
    ];
    for (const [what, type, size] of cases) {
      for (const bytes of [size - 8, size + 8].filter((n) => n >= 8)) {
        it(`${what} (type ${type}) of ${bytes} bytes instead of ${size}`, () => {
          expectError(
            R.rawMsg({ type: 3, satype: 3 }, [rawExt(type, bytes / 8, new Uint8Array(bytes - 4))]),
            'EINVAL',
            new RegExp(what),
          );
        });
      }
    }
  });

  describe('sockaddrs', () => {
    const addrExt = (lenUnits: number, sa: Uint8Array) =>
      R.rawMsg({ type: 4, satype: 3 }, [rawExt(5, lenUnits, new R.Raw().u8(255).u8(32).u16(0).bytes(sa).build())]);
    const sin = (saLen: number, family: number, total: number) =>
      new R.Raw()
        .u8(saLen)
        .u8(family)
        .zero(total - 2)
        .build();
    it('AF_INET with sa_len 15', () => expectError(addrExt(3, sin(15, 2, 16)), 'EINVAL', /sa_len 15/));
    it('AF_INET with sa_len 28', () => expectError(addrExt(5, sin(28, 2, 32)), 'EINVAL', /sa_len 28/));
    it('AF_INET6 with sa_len 16', () => expectError(addrExt(3, sin(16, 28, 16)), 'EINVAL', /sa_len 16/));
    it('sockaddr_in in an extension padded to 40 bytes', () =>
      expectError(addrExt(5, sin(16, 2, 32)), 'EINVAL', /does not match/));
    it('sockaddr_in6 cut short by its extension', () =>
      expectError(addrExt(3, sin(28, 28, 16)), 'EINVAL', /runs past/));
    it('address extension with no room for a sockaddr', () => expectError(addrExt(1, new Uint8Array(0))));
    for (const family of [0, 1, 24, 30]) {
      it(`unknown family ${family} (AF_INET6 of NetBSD/macOS included)`, () =>
        expectError(addrExt(3, sin(16, family, 16)), 'EAFNOSUPPORT'));
    }
    it('identity of type X_ADDR whose length does not match its sockaddr', () => {
      const body = new R.Raw().u16(4).u16(0).u64(0n).bytes(R.rawSin(V4A)).zero(8).build();
      expectError(R.rawMsg({ type: 3, satype: 3 }, [rawExt(10, 5, body)]), 'EINVAL', /sadb_ident/);
    });
  });

  describe('variable-size extensions', () => {
    it('key bits larger than the key data', () => {
      expectError(
        R.rawMsg({ type: 3, satype: 3 }, [rawExt(9, 3, new R.Raw().u16(256).u16(0).zero(16).build())]),
        'EINVAL',
        /sadb_key/,
      );
    });
    it('key extension with 8 or more bytes of padding', () => {
      expectError(
        R.rawMsg({ type: 3, satype: 3 }, [rawExt(9, 3, new R.Raw().u16(64).u16(0).zero(16).build())]),
        'EINVAL',
        /sadb_key/,
      );
    });
    it('sensitivity bitmap counts that do not fill the extension', () => {
      const body = new R.Raw().u32(0).u8(0).u8(1).u8(0).u8(1).u32(0).zero(8).build();
      expectError(R.rawMsg({ type: 3, satype: 3 }, [rawExt(12, 3, body)]), 'EINVAL', /sadb_sens/);
    });
    it('proposal body that is not whole sadb_combs', () => {
      expectError(R.rawMsg({ type: 6, satype: 3 }, [rawExt(13, 9, new Uint8Array(68))]), 'EINVAL', /sadb_comb/);
    });
  });

  describe('x_policy ipsecrequests (length in bytes)', () => {
    const policyWith = (req: Buffer) =>
      SPDADD(rawExt(18, (16 + req.length) / 8, new R.Raw().u16(2).u8(2).u8(0).u32(0).u32(0).bytes(req).build()));
    const req = (len: number, tail: Buffer) => new R.Raw().u16(len).u16(50).u8(2).u8(2).u16(0).bytes(tail).build();
    it('request length 0', () => expectError(policyWith(req(0, Buffer.alloc(0))), 'EINVAL', /ipsecrequest/));
    it('request length 4', () => expectError(policyWith(req(4, Buffer.alloc(0))), 'EINVAL', /ipsecrequest/));
    it('request length not a multiple of 8', () =>
      expectError(policyWith(req(12, Buffer.alloc(8))), 'EINVAL', /ipsecrequest/));
    it('request longer than the policy extension', () =>
      expectError(policyWith(req(48, Buffer.alloc(32))), 'EINVAL', /ipsecrequest/));
    it('request length too short for its two sockaddrs', () => {
      expectError(policyWith(Buffer.concat([req(24, R.rawSin(V4A)), R.rawSin(V4B)])), 'EINVAL');
    });
    it('request length with extra room after its sockaddrs', () => {
      expectError(
        policyWith(req(48, Buffer.concat([R.rawSin(V4A), R.rawSin(V4B), Buffer.alloc(8)]))),
        'EINVAL',
        /does not match/,
      );
    });
    it('src and dst of different families', () => {
      const tail = Buffer.concat([R.rawSin(V4A), R.rawSin6(V6A)]);
      expectError(policyWith(req(56, Buffer.concat([tail, Buffer.alloc(4)]))), 'EINVAL', /families/);
    });
    it('second sockaddr with a bad sa_len', () => {
      const bad = R.rawSin(V4B);
      bad[0] = 12;
      expectError(policyWith(req(40, Buffer.concat([R.rawSin(V4A), bad]))), 'EINVAL', /sa_len 12/);
    });
  });
});
