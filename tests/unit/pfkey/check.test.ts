// The kernel-side acceptance check (RFC 2367 §3.1 required extensions; FreeBSD key_parse satype rules,
// src/dst consistency, key_add/key_update/key_spdadd/key_msg2sp rules): each row names the message and the
// errno a KAME kernel answers with (undefined = accepted).
import { strict as assert } from 'node:assert';
import * as C from '../../../pfkey/constants.js';
import { checkUserMessage } from '../../../pfkey/check.js';
import { type PfkeyExts, type PfkeyMessage, makeSadbMsg } from '../../../pfkey/msg.js';
import type { SadbAddress } from '../../../pfkey/ext/address.js';
import type { SadbXPolicy } from '../../../pfkey/ext/x-policy.js';

const v4 = (last: number, prefixlen = 32, proto = 255): SadbAddress => ({
  proto,
  prefixlen,
  addr: { family: 4, port: 0, addr: Uint8Array.from([10, 0, 0, last]) },
});
const v6 = (prefixlen = 128): SadbAddress => ({
  proto: 255,
  prefixlen,
  addr: { family: 6, port: 0, addr: new Uint8Array(16), flowinfo: 0, scopeId: 0 },
});
const SA = { spi: 0x1000, replay: 4, state: 0, auth: 3, encrypt: 12, flags: 0 };
const KEY = { bits: 128, key: new Uint8Array(16) };
const EMPTY = { bits: 0, key: new Uint8Array(0) };
const LT = { allocations: 0, bytes: 0n, addtime: 60n, usetime: 0n };
const ENDS = { addressSrc: v4(1), addressDst: v4(2) };
const ESP_TUNNEL = {
  proto: C.IPPROTO_ESP,
  mode: C.IPSEC_MODE_TUNNEL,
  level: C.IPSEC_LEVEL_REQUIRE,
  reqid: 0,
  src: v4(1).addr,
  dst: v4(2).addr,
};
const pol = (over: Partial<SadbXPolicy> = {}): SadbXPolicy => ({
  type: C.IPSEC_POLICY_IPSEC,
  dir: C.IPSEC_DIR_OUTBOUND,
  scope: 0,
  id: 0,
  priority: 0,
  requests: [ESP_TUNNEL],
  ...over,
});

function m(type: number, satype: number, ext: PfkeyExts, errno = 0): PfkeyMessage {
  return { msg: { ...makeSadbMsg(type, satype, 1, 100), errno }, ext };
}

const ROWS: [string, PfkeyMessage, string | undefined][] = [
  // satype rules (key_parse)
  ['GETSPI with satype UNSPEC', m(C.SADB_GETSPI, 0, ENDS), 'EINVAL'],
  ['ADD with satype UNSPEC', m(C.SADB_ADD, 0, { sa: SA, ...ENDS, keyEncrypt: KEY }), 'EINVAL'],
  ['SPDADD with satype ESP', m(C.SADB_X_SPDADD, C.SADB_SATYPE_ESP, { ...ENDS, policy: pol() }), 'EINVAL'],
  ['ADD with satype RSVP', m(C.SADB_ADD, C.SADB_SATYPE_RSVP, { sa: SA, ...ENDS }), 'EOPNOTSUPP'],
  ['DUMP with satype MIP', m(C.SADB_DUMP, C.SADB_SATYPE_MIP, {}), 'EOPNOTSUPP'],
  ['FLUSH with satype 1', m(C.SADB_FLUSH, 1, {}), 'EINVAL'],
  ['FLUSH with satype 4 (unassigned)', m(C.SADB_FLUSH, 4, {}), 'EINVAL'],
  ['FLUSH with satype 200', m(C.SADB_FLUSH, 200, {}), 'EINVAL'],
  ['X_PROMISC on (satype 1)', m(C.SADB_X_PROMISC, 1, {}), undefined],
  ['X_PROMISC off (satype 0)', m(C.SADB_X_PROMISC, 0, {}), undefined],
  ['X_PROMISC with satype ESP', m(C.SADB_X_PROMISC, C.SADB_SATYPE_ESP, {}), 'EINVAL'],
  ['REGISTER UNSPEC (setkey learns key sizes)', m(C.SADB_REGISTER, 0, {}), undefined],
  ['REGISTER ESP', m(C.SADB_REGISTER, C.SADB_SATYPE_ESP, {}), undefined],
  ['FLUSH all', m(C.SADB_FLUSH, 0, {}), undefined],
  ['DUMP ESP', m(C.SADB_DUMP, C.SADB_SATYPE_ESP, {}), undefined],
  // src/dst consistency
  [
    'DELETE with differing upper-layer protocols',
    m(C.SADB_DELETE, C.SADB_SATYPE_ESP, { addressSrc: v4(1, 32, 6), addressDst: v4(2, 32, 17) }),
    'EINVAL',
  ],
  [
    'DELETE with v4 src and v6 dst',
    m(C.SADB_DELETE, C.SADB_SATYPE_ESP, { addressSrc: v4(1), addressDst: v6() }),
    'EINVAL',
  ],
  [
    'DELETE with prefixlen 33 on IPv4',
    m(C.SADB_DELETE, C.SADB_SATYPE_ESP, { addressSrc: v4(1, 33), addressDst: v4(2) }),
    'EINVAL',
  ],
  [
    'DELETE with prefixlen 129 on IPv6',
    m(C.SADB_DELETE, C.SADB_SATYPE_ESP, { addressSrc: v6(), addressDst: v6(129) }),
    'EINVAL',
  ],
  [
    'DELETE with prefixlen 0 (all addresses)',
    m(C.SADB_DELETE, C.SADB_SATYPE_ESP, { addressSrc: v4(1, 0), addressDst: v4(2, 0) }),
    undefined,
  ],
  // required extensions
  ['GETSPI without dst', m(C.SADB_GETSPI, C.SADB_SATYPE_ESP, { addressSrc: v4(1) }), 'EINVAL'],
  ['GETSPI minimal', m(C.SADB_GETSPI, C.SADB_SATYPE_ESP, ENDS), undefined],
  [
    'GETSPI with NAT-T type but no ports',
    m(C.SADB_GETSPI, C.SADB_SATYPE_ESP, { ...ENDS, natTType: { type: 2 } }),
    'EINVAL',
  ],
  ['ADD without SA', m(C.SADB_ADD, C.SADB_SATYPE_ESP, { ...ENDS, keyEncrypt: KEY }), 'EINVAL'],
  ['ADD ESP without encryption key', m(C.SADB_ADD, C.SADB_SATYPE_ESP, { sa: SA, ...ENDS, keyAuth: KEY }), 'EINVAL'],
  ['ADD AH without auth key', m(C.SADB_ADD, C.SADB_SATYPE_AH, { sa: SA, ...ENDS }), 'EINVAL'],
  [
    'ADD AH with an encryption key',
    m(C.SADB_ADD, C.SADB_SATYPE_AH, { sa: SA, ...ENDS, keyAuth: KEY, keyEncrypt: KEY }),
    'EINVAL',
  ],
  ['ADD IPComp with an auth key', m(C.SADB_ADD, C.SADB_X_SATYPE_IPCOMP, { sa: SA, ...ENDS, keyAuth: KEY }), 'EINVAL'],
  ['ADD IPComp without keys', m(C.SADB_ADD, C.SADB_X_SATYPE_IPCOMP, { sa: SA, ...ENDS }), undefined],
  [
    'ADD IPComp with an empty KEY_ENCRYPT',
    m(C.SADB_ADD, C.SADB_X_SATYPE_IPCOMP, { sa: SA, ...ENDS, keyEncrypt: EMPTY }),
    undefined,
  ],
  [
    'ADD IPComp with a KEY_ENCRYPT',
    m(C.SADB_ADD, C.SADB_X_SATYPE_IPCOMP, { sa: SA, ...ENDS, keyEncrypt: KEY }),
    'EINVAL',
  ],
  [
    'ADD ESP aes-cbc with an empty key',
    m(C.SADB_ADD, C.SADB_SATYPE_ESP, { sa: SA, ...ENDS, keyEncrypt: EMPTY }),
    'EINVAL',
  ],
  [
    'ADD ESP null cipher with an empty key',
    m(C.SADB_ADD, C.SADB_SATYPE_ESP, { sa: { ...SA, encrypt: C.SADB_EALG_NULL }, ...ENDS, keyEncrypt: EMPTY }),
    undefined,
  ],
  [
    'ADD ESP hmac-sha1 with an empty auth key',
    m(C.SADB_ADD, C.SADB_SATYPE_ESP, { sa: SA, ...ENDS, keyEncrypt: KEY, keyAuth: EMPTY }),
    'EINVAL',
  ],
  [
    'ADD AH null auth with an empty key',
    m(C.SADB_ADD, C.SADB_SATYPE_AH, { sa: { ...SA, auth: C.SADB_X_AALG_NULL, encrypt: 0 }, ...ENDS, keyAuth: EMPTY }),
    undefined,
  ],
  [
    'ADD ESP with hard lifetime only',
    m(C.SADB_ADD, C.SADB_SATYPE_ESP, { sa: SA, ...ENDS, keyEncrypt: KEY, lifetimeHard: LT }),
    'EINVAL',
  ],
  [
    'ADD ESP with soft lifetime only',
    m(C.SADB_ADD, C.SADB_SATYPE_ESP, { sa: SA, ...ENDS, keyEncrypt: KEY, lifetimeSoft: LT }),
    'EINVAL',
  ],
  [
    'ADD ESP with both lifetimes',
    m(C.SADB_ADD, C.SADB_SATYPE_ESP, { sa: SA, ...ENDS, keyEncrypt: KEY, lifetimeHard: LT, lifetimeSoft: LT }),
    undefined,
  ],
  [
    'UPDATE ESP with NAT-T type and both ports',
    m(C.SADB_UPDATE, C.SADB_SATYPE_ESP, {
      sa: SA,
      ...ENDS,
      keyEncrypt: KEY,
      natTType: { type: 2 },
      natTSport: { port: 4500 },
      natTDport: { port: 4500 },
    }),
    undefined,
  ],
  [
    'UPDATE ESP of a mature SA: lifetimes only, no keys (FreeBSD)',
    m(C.SADB_UPDATE, C.SADB_SATYPE_ESP, { sa: SA, ...ENDS, lifetimeHard: LT, lifetimeSoft: LT }),
    undefined,
  ],
  [
    'UPDATE ESP with NAT-T type 1 (non-IKE)',
    m(C.SADB_UPDATE, C.SADB_SATYPE_ESP, {
      sa: SA,
      ...ENDS,
      keyEncrypt: KEY,
      natTType: { type: 1 },
      natTSport: { port: 4500 },
      natTDport: { port: 4500 },
    }),
    'EINVAL',
  ],
  [
    'ADD ESP with NAT-T dport 0',
    m(C.SADB_ADD, C.SADB_SATYPE_ESP, {
      sa: SA,
      ...ENDS,
      keyEncrypt: KEY,
      natTType: { type: 2 },
      natTSport: { port: 4500 },
      natTDport: { port: 0 },
    }),
    'EINVAL',
  ],
  [
    'UPDATE ESP with NAT-T type and one port',
    m(C.SADB_UPDATE, C.SADB_SATYPE_ESP, {
      sa: SA,
      ...ENDS,
      keyEncrypt: KEY,
      natTType: { type: 2 },
      natTSport: { port: 4500 },
    }),
    'EINVAL',
  ],
  [
    'ADD with sa_flags above SADB_KEY_FLAGS_MAX',
    m(C.SADB_ADD, C.SADB_SATYPE_ESP, { sa: { ...SA, flags: 0x1000 }, ...ENDS, keyEncrypt: KEY }),
    'EINVAL',
  ],
  [
    'ADD with the ESN flag',
    m(C.SADB_ADD, C.SADB_SATYPE_ESP, { sa: { ...SA, flags: C.SADB_X_SAFLAGS_ESN }, ...ENDS, keyEncrypt: KEY }),
    undefined,
  ],
  [
    'ADD with SA_REPLAY of 2^32-33 packets',
    m(C.SADB_ADD, C.SADB_SATYPE_ESP, { sa: SA, ...ENDS, keyEncrypt: KEY, saReplay: { replay: 0xffffffff - 32 } }),
    undefined,
  ],
  [
    'ADD with SA_REPLAY of 2^32-32 packets',
    m(C.SADB_ADD, C.SADB_SATYPE_ESP, { sa: SA, ...ENDS, keyEncrypt: KEY, saReplay: { replay: 0xffffffff - 31 } }),
    'EINVAL',
  ],
  ['DELETE without SA (deleteall)', m(C.SADB_DELETE, C.SADB_SATYPE_ESP, ENDS), undefined],
  ['GET without SA', m(C.SADB_GET, C.SADB_SATYPE_ESP, ENDS), 'EINVAL'],
  ['ACQUIRE failure report (errno set, base only)', m(C.SADB_ACQUIRE, C.SADB_SATYPE_ESP, {}, 60), undefined],
  [
    'ACQUIRE base only without errno (ignored by the kernel, no reply)',
    m(C.SADB_ACQUIRE, C.SADB_SATYPE_ESP, {}),
    undefined,
  ],
  ['ACQUIRE with errno but an incomplete body', m(C.SADB_ACQUIRE, C.SADB_SATYPE_ESP, ENDS, 60), 'EINVAL'],
  ['ACQUIRE request without proposal', m(C.SADB_ACQUIRE, C.SADB_SATYPE_ESP, ENDS), 'EINVAL'],
  ['EXPIRE from user space', m(C.SADB_EXPIRE, C.SADB_SATYPE_ESP, { sa: SA, ...ENDS }), 'EINVAL'],
  ['X_SPDEXPIRE from user space', m(C.SADB_X_SPDEXPIRE, 0, { policy: pol() }), 'EINVAL'],
  ['X_SPDACQUIRE from user space', m(C.SADB_X_SPDACQUIRE, 0, { policy: pol() }), 'EINVAL'],
  ['X_PCHANGE from user space', m(C.SADB_X_PCHANGE, 0, {}), 'EINVAL'],
  ['X_MIGRATE (Linux only)', m(C.SADB_X_MIGRATE, C.SADB_SATYPE_ESP, {}), 'EINVAL'],
  // policies
  ['SPDADD ipsec tunnel', m(C.SADB_X_SPDADD, 0, { ...ENDS, policy: pol() }), undefined],
  ['SPDADD without policy', m(C.SADB_X_SPDADD, 0, ENDS), 'EINVAL'],
  ['SPDADD without src', m(C.SADB_X_SPDADD, 0, { addressDst: v4(2), policy: pol() }), 'EINVAL'],
  ['SPDADD dir any', m(C.SADB_X_SPDADD, 0, { ...ENDS, policy: pol({ dir: C.IPSEC_DIR_ANY }) }), 'EINVAL'],
  ['SPDADD dir 3 (Linux fwd)', m(C.SADB_X_SPDADD, 0, { ...ENDS, policy: pol({ dir: 3 }) }), 'EINVAL'],
  [
    'SPDADD type entrust',
    m(C.SADB_X_SPDADD, 0, { ...ENDS, policy: pol({ type: C.IPSEC_POLICY_ENTRUST, requests: [] }) }),
    'EINVAL',
  ],
  [
    'SPDADD type bypass',
    m(C.SADB_X_SPDADD, 0, { ...ENDS, policy: pol({ type: C.IPSEC_POLICY_BYPASS, requests: [] }) }),
    'EINVAL',
  ],
  [
    'SPDADD discard',
    m(C.SADB_X_SPDADD, 0, { ...ENDS, policy: pol({ type: C.IPSEC_POLICY_DISCARD, requests: [] }) }),
    undefined,
  ],
  ['SPDADD ipsec without requests', m(C.SADB_X_SPDADD, 0, { ...ENDS, policy: pol({ requests: [] }) }), 'EINVAL'],
  [
    'SPDADD with 5 requests',
    m(C.SADB_X_SPDADD, 0, { ...ENDS, policy: pol({ requests: Array(5).fill(ESP_TUNNEL) }) }),
    'EINVAL',
  ],
  [
    'SPDADD request proto UDP',
    m(C.SADB_X_SPDADD, 0, { ...ENDS, policy: pol({ requests: [{ ...ESP_TUNNEL, proto: 17 }] }) }),
    'EPROTONOSUPPORT',
  ],
  [
    'SPDADD request mode any',
    m(C.SADB_X_SPDADD, 0, { ...ENDS, policy: pol({ requests: [{ ...ESP_TUNNEL, mode: 0 }] }) }),
    'EINVAL',
  ],
  [
    'SPDADD request level 4',
    m(C.SADB_X_SPDADD, 0, { ...ENDS, policy: pol({ requests: [{ ...ESP_TUNNEL, level: 4 }] }) }),
    'EINVAL',
  ],
  [
    'SPDADD tunnel request without endpoints',
    m(C.SADB_X_SPDADD, 0, { ...ENDS, policy: pol({ requests: [{ proto: 50, mode: 2, level: 2, reqid: 0 }] }) }),
    'EINVAL',
  ],
  [
    'SPDADD transport request without endpoints',
    m(C.SADB_X_SPDADD, 0, { ...ENDS, policy: pol({ requests: [{ proto: 50, mode: 1, level: 2, reqid: 0 }] }) }),
    undefined,
  ],
  ['SPDUPDATE ipsec', m(C.SADB_X_SPDUPDATE, 0, { ...ENDS, policy: pol() }), undefined],
  [
    'SPDSETIDX none',
    m(C.SADB_X_SPDSETIDX, 0, { ...ENDS, policy: pol({ type: C.IPSEC_POLICY_NONE, requests: [] }) }),
    undefined,
  ],
  ['SPDDELETE by selector', m(C.SADB_X_SPDDELETE, 0, { ...ENDS, policy: pol({ requests: [] }) }), undefined],
  ['SPDDELETE dir any', m(C.SADB_X_SPDDELETE, 0, { ...ENDS, policy: pol({ dir: 0 }) }), 'EINVAL'],
  ['SPDDELETE2 by id', m(C.SADB_X_SPDDELETE2, 0, { policy: pol({ id: 5 }) }), undefined],
  ['SPDDELETE2 without policy', m(C.SADB_X_SPDDELETE2, 0, {}), 'EINVAL'],
  ['SPDGET without policy', m(C.SADB_X_SPDGET, 0, {}), 'EINVAL'],
  ['SPDDUMP', m(C.SADB_X_SPDDUMP, 0, {}), undefined],
  ['SPDDUMP scope global (setkey -DPg)', m(C.SADB_X_SPDDUMP, C.IPSEC_POLICYSCOPE_GLOBAL, {}), undefined],
  ['SPDDUMP scope ifnet (setkey -DPt)', m(C.SADB_X_SPDDUMP, C.IPSEC_POLICYSCOPE_IFNET, {}), undefined],
  ['SPDDUMP scope pcb', m(C.SADB_X_SPDDUMP, C.IPSEC_POLICYSCOPE_PCB, {}), undefined],
  ['SPDDUMP scope 3 (global|ifnet)', m(C.SADB_X_SPDDUMP, 3, {}), 'EINVAL'],
  ['SPDDUMP scope 9', m(C.SADB_X_SPDDUMP, 9, {}), 'EINVAL'],
  ['SPDFLUSH with satype AH', m(C.SADB_X_SPDFLUSH, C.SADB_SATYPE_AH, {}), 'EINVAL'],
  ['SPDFLUSH', m(C.SADB_X_SPDFLUSH, 0, {}), undefined],
];

describe('pfkey checkUserMessage (what the kernel answers)', () => {
  for (const [name, msg, errno] of ROWS) {
    it(`${name} -> ${errno ?? 'accepted'}`, () => {
      const r = checkUserMessage(msg);
      assert.equal(r?.errno, errno, r?.reason);
      if (r) assert.ok(r.reason.length > 0);
    });
  }
});
