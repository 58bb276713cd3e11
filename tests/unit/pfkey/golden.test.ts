// Golden bytes for every message type: the expected bytes are assembled by hand in raw.ts from the RFC 2367
// / KAME struct layouts (Buffer writes, no codec code), then compared with encodeMessage, and decoded back.
// Each case uses the extensions a KAME kernel or key manager puts in that message (RFC 2367 §3.1, key.c).
import { strict as assert } from 'node:assert';
import * as C from '../../../pfkey/constants.js';
import { type PfkeyMessage, decodeMessage, encodeMessage, makeSadbMsg } from '../../../pfkey/msg.js';
import { HOST_LITTLE_ENDIAN } from '../../../pfkey/layout.js';
import type { SadbAddress } from '../../../pfkey/ext/address.js';
import type { SadbComb } from '../../../pfkey/ext/proposal.js';
import * as R from './raw.js';

const V4A = [192, 0, 2, 1];
const V4B = [198, 51, 100, 7];
const V6A = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const V6B = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
const KEY20 = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
const KEY16 = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);

function a4(addr: number[], prefixlen = 32, proto = 255, port = 0): SadbAddress {
  return { proto, prefixlen, addr: { family: 4, port, addr: Uint8Array.from(addr) } };
}
function a6(addr: number[], prefixlen = 128, proto = 255, port = 0, flowinfo = 0, scopeId = 0): SadbAddress {
  return { proto, prefixlen, addr: { family: 6, port, addr: Uint8Array.from(addr), flowinfo, scopeId } };
}
const COMB: SadbComb = {
  auth: C.SADB_AALG_SHA1HMAC,
  encrypt: C.SADB_X_EALG_AESCBC,
  flags: 0,
  authMinbits: 160,
  authMaxbits: 160,
  encryptMinbits: 128,
  encryptMaxbits: 256,
  softAllocations: 0,
  hardAllocations: 0,
  softBytes: 0n,
  hardBytes: 0n,
  softAddtime: 3240n,
  hardAddtime: 3600n,
  softUsetime: 0n,
  hardUsetime: 0n,
};
const RAW_COMB: R.RawComb = {
  auth: 3,
  encrypt: 12,
  flags: 0,
  aMin: 160,
  aMax: 160,
  eMin: 128,
  eMax: 256,
  softAlloc: 0,
  hardAlloc: 0,
  softBytes: 0n,
  hardBytes: 0n,
  softAdd: 3240n,
  hardAdd: 3600n,
  softUse: 0n,
  hardUse: 0n,
};

interface Case {
  name: string;
  raw: Buffer;
  msg: PfkeyMessage;
}

function msg(
  type: number,
  satype: number,
  ext: PfkeyMessage['ext'],
  extOrder: number[],
  extra: Partial<PfkeyMessage['msg']> = {},
): PfkeyMessage {
  return { msg: { ...makeSadbMsg(type, satype, 42, 4242), ...extra }, ext, extOrder };
}
const H = (type: number, satype: number, extra: Partial<R.Hdr> = {}): R.Hdr => ({
  type,
  satype,
  seq: 42,
  pid: 4242,
  ...extra,
});

const CASES: Case[] = [
  {
    name: 'SADB_GETSPI (racoon: SA2, addresses, SPI range)',
    raw: R.rawMsg(H(1, 3), [
      R.rawSa2(2, 0, 16385),
      R.rawAddress(5, 255, 32, R.rawSin(V4B)),
      R.rawAddress(6, 255, 32, R.rawSin(V4A)),
      R.rawSpirange(0x100, 0x0fffffff),
    ]),
    msg: msg(
      C.SADB_GETSPI,
      C.SADB_SATYPE_ESP,
      {
        sa2: { mode: 2, sequence: 0, reqid: 16385 },
        addressSrc: a4(V4B),
        addressDst: a4(V4A),
        spirange: { min: 0x100, max: 0x0fffffff },
      },
      [19, 5, 6, 16],
    ),
  },
  {
    name: 'SADB_UPDATE (ESP tunnel, keys, lifetimes, NAT-T)',
    raw: R.rawMsg(H(2, 3), [
      R.rawSa(0xc0ffee01, 4, 1, 3, 12, 0x40),
      R.rawSa2(2, 0, 7),
      R.rawLifetime(3, 0, 0n, 3600n, 0n),
      R.rawLifetime(4, 0, 0n, 2880n, 0n),
      R.rawAddress(5, 255, 32, R.rawSin(V4B, 4500)),
      R.rawAddress(6, 255, 32, R.rawSin(V4A, 4500)),
      R.rawKey(8, 160, KEY20),
      R.rawKey(9, 128, KEY16),
      R.rawNatTType(2),
      R.rawNatTPort(21, 4500),
      R.rawNatTPort(22, 4500),
    ]),
    msg: msg(
      C.SADB_UPDATE,
      C.SADB_SATYPE_ESP,
      {
        sa: { spi: 0xc0ffee01, replay: 4, state: 1, auth: 3, encrypt: 12, flags: 0x40 },
        sa2: { mode: 2, sequence: 0, reqid: 7 },
        lifetimeHard: { allocations: 0, bytes: 0n, addtime: 3600n, usetime: 0n },
        lifetimeSoft: { allocations: 0, bytes: 0n, addtime: 2880n, usetime: 0n },
        addressSrc: a4(V4B, 32, 255, 4500),
        addressDst: a4(V4A, 32, 255, 4500),
        keyAuth: { bits: 160, key: KEY20 },
        keyEncrypt: { bits: 128, key: KEY16 },
        natTType: { type: 2 },
        natTSport: { port: 4500 },
        natTDport: { port: 4500 },
      },
      [1, 19, 3, 4, 5, 6, 8, 9, 20, 21, 22],
    ),
  },
  {
    name: 'SADB_ADD (ESP over IPv6, AES-GCM key with salt, large replay window)',
    raw: R.rawMsg(H(3, 3), [
      R.rawSa(0x1001, 255, 1, 0, 20, 0),
      R.rawAddress(5, 255, 128, R.rawSin6(V6A, 0, 0x12345, 3)),
      R.rawAddress(6, 255, 128, R.rawSin6(V6B)),
      R.rawKey(9, 160, KEY20),
      R.rawSaReplay(4096),
    ]),
    msg: msg(
      C.SADB_ADD,
      C.SADB_SATYPE_ESP,
      {
        sa: { spi: 0x1001, replay: 255, state: 1, auth: 0, encrypt: 20, flags: 0 },
        addressSrc: a6(V6A, 128, 255, 0, 0x12345, 3),
        addressDst: a6(V6B),
        keyEncrypt: { bits: 160, key: KEY20 },
        saReplay: { replay: 4096 },
      },
      [1, 5, 6, 9, 26],
    ),
  },
  {
    name: 'SADB_DELETE',
    raw: R.rawMsg(H(4, 2), [
      R.rawSa(0x2000, 0, 0, 0, 0, 0),
      R.rawAddress(5, 255, 32, R.rawSin(V4A)),
      R.rawAddress(6, 255, 32, R.rawSin(V4B)),
    ]),
    msg: msg(
      C.SADB_DELETE,
      C.SADB_SATYPE_AH,
      {
        sa: { spi: 0x2000, replay: 0, state: 0, auth: 0, encrypt: 0, flags: 0 },
        addressSrc: a4(V4A),
        addressDst: a4(V4B),
      },
      [1, 5, 6],
    ),
  },
  {
    name: 'SADB_GET',
    raw: R.rawMsg(H(5, 9), [
      R.rawSa(0x4001, 0, 0, 0, 2, 0x80),
      R.rawAddress(5, 255, 32, R.rawSin(V4A)),
      R.rawAddress(6, 255, 32, R.rawSin(V4B)),
    ]),
    msg: msg(
      C.SADB_GET,
      C.SADB_X_SATYPE_IPCOMP,
      {
        sa: { spi: 0x4001, replay: 0, state: 0, auth: 0, encrypt: 2, flags: 0x80 },
        addressSrc: a4(V4A),
        addressDst: a4(V4B),
      },
      [1, 5, 6],
    ),
  },
  {
    name: 'SADB_ACQUIRE (kernel: addresses, policy id, proposal)',
    raw: R.rawMsg(H(6, 3, { pid: 0 }), [
      R.rawAddress(5, 255, 32, R.rawSin(V4A)),
      R.rawAddress(6, 255, 32, R.rawSin(V4B)),
      R.rawPolicy(2, 2, 9),
      R.rawProp(32, [RAW_COMB, { ...RAW_COMB, auth: 5, aMin: 256, aMax: 256 }]),
    ]),
    msg: msg(
      C.SADB_ACQUIRE,
      C.SADB_SATYPE_ESP,
      {
        addressSrc: a4(V4A),
        addressDst: a4(V4B),
        policy: { type: 2, dir: 2, scope: 0, id: 9, priority: 0, requests: [] },
        proposal: { replay: 32, combs: [COMB, { ...COMB, auth: 5, authMinbits: 256, authMaxbits: 256 }] },
      },
      [5, 6, 18, 13],
      { pid: 0 },
    ),
  },
  {
    name: 'SADB_REGISTER (kernel reply: supported algorithms)',
    raw: R.rawMsg(H(7, 3), [
      R.rawSupported(14, [
        [2, 0, 128, 128],
        [3, 0, 160, 160],
        [5, 0, 256, 256],
      ]),
      R.rawSupported(15, [
        [12, 16, 128, 256],
        [20, 8, 160, 288],
      ]),
    ]),
    msg: msg(
      C.SADB_REGISTER,
      C.SADB_SATYPE_ESP,
      {
        supportedAuth: {
          algs: [
            { id: 2, ivlen: 0, minbits: 128, maxbits: 128 },
            { id: 3, ivlen: 0, minbits: 160, maxbits: 160 },
            { id: 5, ivlen: 0, minbits: 256, maxbits: 256 },
          ],
        },
        supportedEncrypt: {
          algs: [
            { id: 12, ivlen: 16, minbits: 128, maxbits: 256 },
            { id: 20, ivlen: 8, minbits: 160, maxbits: 288 },
          ],
        },
      },
      [14, 15],
    ),
  },
  {
    name: 'SADB_EXPIRE (soft)',
    raw: R.rawMsg(H(8, 3), [
      R.rawSa(0x3000, 4, 2, 3, 12, 0),
      R.rawSa2(1, 77, 0),
      R.rawLifetime(2, 5, 123456n, 1700000000n, 1700000100n),
      R.rawLifetime(4, 0, 0n, 30n, 0n),
      R.rawAddress(5, 255, 32, R.rawSin(V4A)),
      R.rawAddress(6, 255, 32, R.rawSin(V4B)),
    ]),
    msg: msg(
      C.SADB_EXPIRE,
      C.SADB_SATYPE_ESP,
      {
        sa: { spi: 0x3000, replay: 4, state: 2, auth: 3, encrypt: 12, flags: 0 },
        sa2: { mode: 1, sequence: 77, reqid: 0 },
        lifetimeCurrent: { allocations: 5, bytes: 123456n, addtime: 1700000000n, usetime: 1700000100n },
        lifetimeSoft: { allocations: 0, bytes: 0n, addtime: 30n, usetime: 0n },
        addressSrc: a4(V4A),
        addressDst: a4(V4B),
      },
      [1, 19, 2, 4, 5, 6],
    ),
  },
  { name: 'SADB_FLUSH', raw: R.rawMsg(H(9, 0), []), msg: msg(C.SADB_FLUSH, 0, {}, []) },
  {
    name: 'SADB_DUMP (one SA with identities, sensitivity and refcount)',
    raw: R.rawMsg(H(10, 3, { reserved: 2, seq: 0 }), [
      R.rawSa(0x5000, 8, 1, 7, 12, 0x100),
      R.rawLifetime(2, 0, 0n, 1700000000n, 0n),
      R.rawAddress(5, 6, 24, R.rawSin([10, 1, 2, 0], 80)),
      R.rawAddress(6, 6, 16, R.rawSin([10, 9, 0, 0], 0)),
      R.rawKey(8, 512, new Uint8Array(64).fill(0x5a)),
      R.rawKey(9, 256, new Uint8Array(32).fill(0xa5)),
      R.rawIdent(10, 2, 0n, Buffer.from('vpn.example.org')),
      R.rawIdent(11, 4, 7n, R.rawSin([10, 0, 0, 9])),
      R.rawSens(1, 3, new Uint8Array(8).fill(1), 2, new Uint8Array(16).fill(2)),
    ]),
    msg: msg(
      C.SADB_DUMP,
      C.SADB_SATYPE_ESP,
      {
        sa: { spi: 0x5000, replay: 8, state: 1, auth: 7, encrypt: 12, flags: 0x100 },
        lifetimeCurrent: { allocations: 0, bytes: 0n, addtime: 1700000000n, usetime: 0n },
        addressSrc: a4([10, 1, 2, 0], 24, 6, 80),
        addressDst: a4([10, 9, 0, 0], 16, 6, 0),
        keyAuth: { bits: 512, key: new Uint8Array(64).fill(0x5a) },
        keyEncrypt: { bits: 256, key: new Uint8Array(32).fill(0xa5) },
        identitySrc: { type: 2, id: 0n, data: new Uint8Array(Buffer.from('vpn.example.org')) },
        identityDst: {
          type: 4,
          id: 7n,
          data: new Uint8Array(0),
          addr: { family: 4, port: 0, addr: Uint8Array.from([10, 0, 0, 9]) },
        },
        sensitivity: {
          dpd: 1,
          sensLevel: 3,
          sensBitmap: new Uint8Array(8).fill(1),
          integLevel: 2,
          integBitmap: new Uint8Array(16).fill(2),
        },
      },
      [1, 2, 5, 6, 8, 9, 10, 11, 12],
      { reserved: 2, seq: 0 },
    ),
  },
  { name: 'SADB_X_PROMISC (on)', raw: R.rawMsg(H(11, 1), []), msg: msg(C.SADB_X_PROMISC, 1, {}, []) },
  {
    name: 'SADB_X_PCHANGE',
    raw: R.rawMsg(H(12, 0), [R.rawPolicy(1, 1, 3)]),
    msg: msg(C.SADB_X_PCHANGE, 0, { policy: { type: 1, dir: 1, scope: 0, id: 3, priority: 0, requests: [] } }, [18]),
  },
  {
    name: 'SADB_X_SPDUPDATE (IPv6 tunnel request, hard lifetime)',
    raw: R.rawMsg(H(13, 0), [
      R.rawAddress(5, 255, 64, R.rawSin6(V6A)),
      R.rawAddress(6, 255, 64, R.rawSin6(V6B)),
      R.rawLifetime(3, 0, 0n, 600n, 60n),
      R.rawPolicy(2, 2, 0, [R.rawRequest(50, 2, 3, 100, R.rawSin6(V6A), R.rawSin6(V6B))], 1, 7),
    ]),
    msg: msg(
      C.SADB_X_SPDUPDATE,
      0,
      {
        addressSrc: a6(V6A, 64),
        addressDst: a6(V6B, 64),
        lifetimeHard: { allocations: 0, bytes: 0n, addtime: 600n, usetime: 60n },
        policy: {
          type: 2,
          dir: 2,
          scope: 1,
          id: 0,
          priority: 7,
          requests: [{ proto: 50, mode: 2, level: 3, reqid: 100, src: a6(V6A).addr, dst: a6(V6B).addr }],
        },
      },
      [5, 6, 3, 18],
    ),
  },
  {
    name: 'SADB_X_SPDADD (ESP tunnel + AH transport; ports and upper-layer protocol)',
    raw: R.rawMsg(H(14, 0), [
      R.rawAddress(5, 6, 24, R.rawSin([10, 0, 1, 0], 1024)),
      R.rawAddress(6, 6, 24, R.rawSin([10, 0, 2, 0], 22)),
      R.rawPolicy(2, 2, 0, [R.rawRequest(50, 2, 2, 0, R.rawSin(V4A), R.rawSin(V4B)), R.rawRequest(51, 1, 1, 0)]),
    ]),
    msg: msg(
      C.SADB_X_SPDADD,
      0,
      {
        addressSrc: a4([10, 0, 1, 0], 24, 6, 1024),
        addressDst: a4([10, 0, 2, 0], 24, 6, 22),
        policy: {
          type: 2,
          dir: 2,
          scope: 0,
          id: 0,
          priority: 0,
          requests: [
            { proto: 50, mode: 2, level: 2, reqid: 0, src: a4(V4A).addr, dst: a4(V4B).addr },
            { proto: 51, mode: 1, level: 1, reqid: 0 },
          ],
        },
      },
      [5, 6, 18],
    ),
  },
  {
    name: 'SADB_X_SPDDELETE (by selector)',
    raw: R.rawMsg(H(15, 0), [
      R.rawAddress(5, 255, 0, R.rawSin([0, 0, 0, 0])),
      R.rawAddress(6, 255, 0, R.rawSin([0, 0, 0, 0])),
      R.rawPolicy(0, 1, 0),
    ]),
    msg: msg(
      C.SADB_X_SPDDELETE,
      0,
      {
        addressSrc: a4([0, 0, 0, 0], 0),
        addressDst: a4([0, 0, 0, 0], 0),
        policy: { type: 0, dir: 1, scope: 0, id: 0, priority: 0, requests: [] },
      },
      [5, 6, 18],
    ),
  },
  {
    name: 'SADB_X_SPDGET',
    raw: R.rawMsg(H(16, 0), [R.rawPolicy(0, 0, 12345)]),
    msg: msg(C.SADB_X_SPDGET, 0, { policy: { type: 0, dir: 0, scope: 0, id: 12345, priority: 0, requests: [] } }, [18]),
  },
  {
    name: 'SADB_X_SPDACQUIRE',
    raw: R.rawMsg(H(17, 0), [R.rawPolicy(2, 2, 5)]),
    msg: msg(C.SADB_X_SPDACQUIRE, 0, { policy: { type: 2, dir: 2, scope: 0, id: 5, priority: 0, requests: [] } }, [18]),
  },
  { name: 'SADB_X_SPDDUMP', raw: R.rawMsg(H(18, 0), []), msg: msg(C.SADB_X_SPDDUMP, 0, {}, []) },
  { name: 'SADB_X_SPDFLUSH', raw: R.rawMsg(H(19, 0), []), msg: msg(C.SADB_X_SPDFLUSH, 0, {}, []) },
  {
    name: 'SADB_X_SPDSETIDX',
    raw: R.rawMsg(H(20, 0), [
      R.rawAddress(5, 17, 32, R.rawSin(V4A, 500)),
      R.rawAddress(6, 17, 32, R.rawSin(V4B, 500)),
      R.rawPolicy(1, 1, 0),
    ]),
    msg: msg(
      C.SADB_X_SPDSETIDX,
      0,
      {
        addressSrc: a4(V4A, 32, 17, 500),
        addressDst: a4(V4B, 32, 17, 500),
        policy: { type: 1, dir: 1, scope: 0, id: 0, priority: 0, requests: [] },
      },
      [5, 6, 18],
    ),
  },
  {
    name: 'SADB_X_SPDEXPIRE',
    raw: R.rawMsg(H(21, 0), [
      R.rawLifetime(2, 0, 0n, 1700000000n, 1700000500n),
      R.rawLifetime(3, 0, 0n, 600n, 0n),
      R.rawAddress(5, 255, 32, R.rawSin(V4A)),
      R.rawAddress(6, 255, 32, R.rawSin(V4B)),
      R.rawPolicy(2, 2, 77, [R.rawRequest(50, 1, 2, 0)]),
    ]),
    msg: msg(
      C.SADB_X_SPDEXPIRE,
      0,
      {
        lifetimeCurrent: { allocations: 0, bytes: 0n, addtime: 1700000000n, usetime: 1700000500n },
        lifetimeHard: { allocations: 0, bytes: 0n, addtime: 600n, usetime: 0n },
        addressSrc: a4(V4A),
        addressDst: a4(V4B),
        policy: {
          type: 2,
          dir: 2,
          scope: 0,
          id: 77,
          priority: 0,
          requests: [{ proto: 50, mode: 1, level: 2, reqid: 0 }],
        },
      },
      [2, 3, 5, 6, 18],
    ),
  },
  {
    name: 'SADB_X_SPDDELETE2 (by id)',
    raw: R.rawMsg(H(22, 0), [R.rawPolicy(0, 2, 0xdeadbeef)]),
    msg: msg(
      C.SADB_X_SPDDELETE2,
      0,
      { policy: { type: 0, dir: 2, scope: 0, id: 0xdeadbeef, priority: 0, requests: [] } },
      [18],
    ),
  },
  {
    name: 'SADB_X_NAT_T_NEW_MAPPING (ports, original addresses, fragment size)',
    raw: R.rawMsg(H(23, 3), [
      R.rawSa(0x6000, 0, 1, 0, 0, 0),
      R.rawAddress(5, 17, 32, R.rawSin(V4A)),
      R.rawAddress(6, 17, 32, R.rawSin(V4B)),
      R.rawNatTPort(21, 40001),
      R.rawNatTPort(22, 4500),
      R.rawAddress(23, 0, 32, R.rawSin([172, 16, 0, 1])),
      R.rawAddress(24, 0, 32, R.rawSin([172, 16, 0, 2])),
      R.rawNatTFrag(1400),
    ]),
    msg: msg(
      C.SADB_X_NAT_T_NEW_MAPPING,
      3,
      {
        sa: { spi: 0x6000, replay: 0, state: 1, auth: 0, encrypt: 0, flags: 0 },
        addressSrc: a4(V4A, 32, 17),
        addressDst: a4(V4B, 32, 17),
        natTSport: { port: 40001 },
        natTDport: { port: 4500 },
        natTOai: a4([172, 16, 0, 1], 32, 0),
        natTOar: a4([172, 16, 0, 2], 32, 0),
        natTFrag: { fraglen: 1400 },
      },
      [1, 5, 6, 21, 22, 23, 24, 25],
    ),
  },
  {
    name: 'SADB_X_MIGRATE (proxy, new addresses, KM-private data)',
    raw: R.rawMsg(H(24, 3), [
      R.rawAddress(7, 255, 32, R.rawSin([10, 7, 7, 7])),
      R.rawKmprivate(new Uint8Array(16).fill(9)),
      R.rawAddress(27, 255, 32, R.rawSin([203, 0, 113, 1])),
      R.rawAddress(28, 255, 128, R.rawSin6(V6B)),
    ]),
    msg: msg(
      C.SADB_X_MIGRATE,
      3,
      {
        addressProxy: a4([10, 7, 7, 7]),
        kmprivate: { data: new Uint8Array(16).fill(9) },
        newAddressSrc: a4([203, 0, 113, 1]),
        newAddressDst: a6(V6B),
      },
      [7, 17, 27, 28],
    ),
  },
];

describe('pfkey golden bytes (hand-assembled from the RFC 2367 layouts)', function () {
  before(function () {
    if (!HOST_LITTLE_ENDIAN) {
      console.log('      (skipped: raw.ts writes little-endian host order and this host is big-endian)');
      this.skip();
    }
  });

  it('covers every message type from SADB_GETSPI to SADB_X_MIGRATE', () => {
    const types = new Set(CASES.map((c) => c.msg.msg.type));
    for (let t = C.SADB_GETSPI; t <= C.SADB_DECODE_MAX; t++) assert.ok(types.has(t), `no golden case for type ${t}`);
  });

  it('the hand builder agrees with the RFC sizes (sockaddr_in 16, sockaddr_in6 28, address ext 24/40)', () => {
    assert.equal(R.rawSin(V4A).length, 16);
    assert.equal(R.rawSin6(V6A).length, 28);
    assert.equal(R.rawAddress(5, 0, 0, R.rawSin(V4A)).length, 24);
    assert.equal(R.rawAddress(5, 0, 0, R.rawSin6(V6A)).length, 40);
    assert.equal(R.rawRequest(50, 2, 2, 0, R.rawSin6(V6A), R.rawSin6(V6B)).length, 64);
    assert.equal(R.rawProp(0, [RAW_COMB]).length, 8 + 72);
  });

  for (const c of CASES) {
    it(`${c.name}: encode gives the golden bytes, decode gives the message`, () => {
      assert.equal(Buffer.from(encodeMessage(c.msg)).toString('hex'), c.raw.toString('hex'));
      assert.deepStrictEqual(decodeMessage(new Uint8Array(c.raw)), c.msg);
    });
  }

  it('without extOrder, extensions go out in ascending type order', () => {
    const c = CASES.find((x) => x.msg.msg.type === C.SADB_X_SPDUPDATE)!;
    const sorted = encodeMessage({ msg: c.msg.msg, ext: c.msg.ext });
    const types: number[] = [];
    const dv = new DataView(sorted.buffer);
    for (let p = 16; p < sorted.length; p += dv.getUint16(p, true) * 8) types.push(dv.getUint16(p + 2, true));
    assert.deepEqual(types, [3, 5, 6, 18]);
  });
});
