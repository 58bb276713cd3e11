// fast-check generators for every PF_KEY extension value and whole messages (used by the round-trip
// and fuzz suites). Values stay inside what the wire can carry, so encode never refuses them.
import fc from 'fast-check';
import * as C from '../../../pfkey/constants.js';
import { EXT_TABLE, type ExtName, type PfkeyExts, type PfkeyMessage, type SadbMsg } from '../../../pfkey/msg.js';
import type { Sockaddr } from '../../../pfkey/sockaddr.js';
import type { SadbXIpsecrequest } from '../../../pfkey/ext/x-policy.js';

// fast-check records default to null-prototype objects; decoded values are plain objects.
const rec: typeof fc.record = ((model: never, opts?: object) =>
  fc.record(model, { noNullPrototype: true, ...opts } as never)) as never;

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u64 = fc.bigInt({ min: 0n, max: 0xffffffffffffffffn });
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

export const sockaddrArb: fc.Arbitrary<Sockaddr> = fc.oneof(
  rec({ family: fc.constant(4 as const), port: u16, addr: bytes(4) }),
  rec({ family: fc.constant(6 as const), port: u16, addr: bytes(16), flowinfo: u32, scopeId: u32 }),
);

const sockaddrPair = fc.oneof(
  rec({
    src: rec({ family: fc.constant(4 as const), port: u16, addr: bytes(4) }),
    dst: rec({ family: fc.constant(4 as const), port: u16, addr: bytes(4) }),
  }),
  rec({
    src: rec({ family: fc.constant(6 as const), port: u16, addr: bytes(16), flowinfo: u32, scopeId: u32 }),
    dst: rec({ family: fc.constant(6 as const), port: u16, addr: bytes(16), flowinfo: u32, scopeId: u32 }),
  }),
);

export const saArb = rec({ spi: u32, replay: u8, state: u8, auth: u8, encrypt: u8, flags: u32 });
export const lifetimeArb = rec({ allocations: u32, bytes: u64, addtime: u64, usetime: u64 });
export const addressArb = rec({ proto: u8, prefixlen: u8, addr: sockaddrArb });
export const keyArb = fc
  .integer({ min: 0, max: 2048 })
  .chain((bits) => rec({ bits: fc.constant(bits), key: bytes(Math.ceil(bits / 8)) }));
const identString = fc.uint8Array({ minLength: 0, maxLength: 40 }).map((b) => b.map((x) => (x === 0 ? 0x41 : x)));
export const identityArb = fc.oneof(
  rec({ type: fc.constantFrom(0, 1, 2, 3, 5, 0xffff), id: u64, data: identString }),
  rec({ type: fc.constant(C.SADB_X_IDENTTYPE_ADDR), id: u64, data: fc.constant(new Uint8Array(0)), addr: sockaddrArb }),
);
export const sensitivityArb = rec({
  dpd: u32,
  sensLevel: u8,
  integLevel: u8,
  sensBitmap: fc.integer({ min: 0, max: 4 }).chain((n) => bytes(8 * n)),
  integBitmap: fc.integer({ min: 0, max: 4 }).chain((n) => bytes(8 * n)),
});
export const combArb = rec({
  auth: u8,
  encrypt: u8,
  flags: u16,
  authMinbits: u16,
  authMaxbits: u16,
  encryptMinbits: u16,
  encryptMaxbits: u16,
  softAllocations: u32,
  hardAllocations: u32,
  softBytes: u64,
  hardBytes: u64,
  softAddtime: u64,
  hardAddtime: u64,
  softUsetime: u64,
  hardUsetime: u64,
});
export const proposalArb = rec({ replay: u8, combs: fc.array(combArb, { maxLength: 4 }) });
export const supportedArb = rec({
  algs: fc.array(rec({ id: u8, ivlen: u8, minbits: u16, maxbits: u16 }), { maxLength: 8 }),
});
export const spirangeArb = rec({ min: u32, max: u32 });
export const kmprivateArb = rec({ data: fc.integer({ min: 0, max: 4 }).chain((n) => bytes(8 * n)) });
export const requestArb: fc.Arbitrary<SadbXIpsecrequest> = rec({
  proto: u16,
  mode: u8,
  level: u8,
  reqid: u16,
  ends: fc.option(sockaddrPair, { nil: undefined }),
}).map(({ ends, ...r }) => (ends ? { ...r, src: ends.src, dst: ends.dst } : r));
export const policyArb = rec({
  type: u16,
  dir: u8,
  scope: u8,
  id: u32,
  priority: u32,
  requests: fc.array(requestArb, { maxLength: 4 }),
});
export const sa2Arb = rec({ mode: u8, sequence: u32, reqid: u32 });
export const natTTypeArb = rec({ type: u8 });
export const natTPortArb = rec({ port: u16 });
export const natTFragArb = rec({ fraglen: u16 });
export const saReplayArb = rec({ replay: u32 });

/** Generator per extension name. */
export const EXT_ARBS: { [K in keyof PfkeyExts]-?: fc.Arbitrary<NonNullable<PfkeyExts[K]>> } = {
  sa: saArb,
  lifetimeCurrent: lifetimeArb,
  lifetimeHard: lifetimeArb,
  lifetimeSoft: lifetimeArb,
  addressSrc: addressArb,
  addressDst: addressArb,
  addressProxy: addressArb,
  keyAuth: keyArb,
  keyEncrypt: keyArb,
  identitySrc: identityArb,
  identityDst: identityArb,
  sensitivity: sensitivityArb,
  proposal: proposalArb,
  supportedAuth: supportedArb,
  supportedEncrypt: supportedArb,
  spirange: spirangeArb,
  kmprivate: kmprivateArb,
  policy: policyArb,
  sa2: sa2Arb,
  natTType: natTTypeArb,
  natTSport: natTPortArb,
  natTDport: natTPortArb,
  natTOai: addressArb,
  natTOar: addressArb,
  natTFrag: natTFragArb,
  saReplay: saReplayArb,
  newAddressSrc: addressArb,
  newAddressDst: addressArb,
};

export const sadbMsgArb: fc.Arbitrary<SadbMsg> = rec({
  version: fc.constant(C.PF_KEY_V2),
  type: fc.integer({ min: 1, max: C.SADB_DECODE_MAX }),
  errno: u8,
  satype: u8,
  reserved: u16,
  seq: u32,
  pid: u32,
});

const EXT_NAMES = Object.keys(EXT_TABLE) as ExtName[];

/** A valid message with a random subset of at most `maxExts` extensions, in a random wire order. */
export function messageArbWith(maxExts: number): fc.Arbitrary<PfkeyMessage> {
  return fc.tuple(sadbMsgArb, fc.shuffledSubarray(EXT_NAMES, { maxLength: maxExts })).chain(([msg, names]) =>
    fc.tuple(...names.map((n) => EXT_ARBS[n] as fc.Arbitrary<unknown>)).map((values) => {
      const ext: Record<string, unknown> = {};
      names.forEach((n, i) => {
        ext[n] = values[i];
      });
      return { msg, ext: ext as PfkeyExts, extOrder: names.map((n) => EXT_TABLE[n].type) };
    }),
  );
}

/** Messages with any number of extensions (up to all 28). */
export const messageArb: fc.Arbitrary<PfkeyMessage> = messageArbWith(EXT_NAMES.length);
