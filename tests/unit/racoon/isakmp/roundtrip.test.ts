// Property round trips (fast-check, fixed seed) for every payload codec and for whole messages:
// decode(encode(v)) == v, encodedLength(v) == encode(v).length, and encoding at an offset leaves the
// surrounding bytes alone. The golden-byte tests (payloads.test.ts) pin the encodings themselves.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { checkCodec } from '../support/codec-check.js';
import type { Codec } from '../../../../racoon/isakmp/codec.js';
import * as C from '../../../../racoon/isakmp/constants.js';
import { isakmpHeader, type IsakmpHeader } from '../../../../racoon/isakmp/header.js';
import { attributes, type IsakmpAttribute } from '../../../../racoon/isakmp/payloads/attributes.js';
import { sa, type IsakmpSa } from '../../../../racoon/isakmp/payloads/sa.js';
import { id, type IsakmpId } from '../../../../racoon/isakmp/payloads/id.js';
import { cert, certRequest } from '../../../../racoon/isakmp/payloads/cert.js';
import { notify } from '../../../../racoon/isakmp/payloads/notify.js';
import { del } from '../../../../racoon/isakmp/payloads/delete.js';
import { natOa } from '../../../../racoon/isakmp/payloads/nat-oa.js';
import { cfg } from '../../../../racoon/isakmp/payloads/attr.js';
import { nonce } from '../../../../racoon/isakmp/payloads/nonce.js';
import { ke } from '../../../../racoon/isakmp/payloads/ke.js';
import {
  decodeIsakmpMessage,
  encodeIsakmpMessage,
  isakmpMessage,
  type IsakmpPayload,
} from '../../../../racoon/isakmp/message.js';

const SEED = 0x4007;
const RUNS = 300;
/** Records with a normal prototype, so deepStrictEqual can compare them with decoded values. */
const rec = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }) =>
  fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<T>;
const u8 = fc.integer({ min: 0, max: 255 });
const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });

const attr: fc.Arbitrary<IsakmpAttribute> = fc.oneof(
  rec({
    type: fc.integer({ min: 0, max: 0x7fff }),
    tv: fc.constant(true as const),
    value: fc.integer({ min: 0, max: 0xffff }),
  }),
  rec({ type: fc.integer({ min: 0, max: 0x7fff }), tv: fc.constant(false as const), data: bytes(0, 24) }),
);
// In SA transforms Basic classes must be TV (RFC 2409 App. A, RFC 2407 §4.5): TLV only for variable/unknown classes.
const saAttr: fc.Arbitrary<IsakmpAttribute> = fc.oneof(
  rec({
    type: fc.integer({ min: 0, max: 0x7fff }),
    tv: fc.constant(true as const),
    value: fc.integer({ min: 0, max: 0xffff }),
  }),
  rec({ type: fc.constantFrom(9, 12, 16, 16384, 20, 30, 0x7fff), tv: fc.constant(false as const), data: bytes(0, 24) }),
);
const transform = rec({ num: u8, id: u8, attrs: fc.array(saAttr, { maxLength: 6 }) });
const proposal = rec({
  num: u8,
  protoId: u8,
  spi: bytes(0, 16),
  transforms: fc.array(transform, { minLength: 1, maxLength: 4 }),
});
const saValue: fc.Arbitrary<IsakmpSa> = rec({
  doi: fc.constantFrom(C.ISAKMP_DOI_ISAKMP, C.IPSEC_DOI),
  situation: fc.nat().map((s) => s & ~(C.IPSECDOI_SIT_SECRECY | C.IPSECDOI_SIT_INTEGRITY)),
  proposals: fc.array(proposal, { minLength: 1, maxLength: 3 }),
});
const ADDR_LEN: Record<number, number> = { 1: 4, 4: 8, 5: 16, 6: 32, 7: 8, 8: 32 };
const idValue: fc.Arbitrary<IsakmpId> = fc.integer({ min: 1, max: 12 }).chain((idType) =>
  rec({
    idType: fc.constant(idType),
    protocol: u8,
    port: fc.integer({ min: 0, max: 0xffff }),
    data: ADDR_LEN[idType] ? bytes(ADDR_LEN[idType]!, ADDR_LEN[idType]!) : bytes(1, 40),
  }),
);
const notifyValue = rec({
  doi: fc.nat(),
  protoId: u8,
  notifyType: fc.integer({ min: 0, max: 0xffff }),
  spi: bytes(0, 16),
  data: bytes(0, 32),
});
const deleteValue = fc.integer({ min: 1, max: 16 }).chain((spiSize) =>
  rec({
    doi: fc.nat(),
    protoId: u8,
    spiSize: fc.constant(spiSize),
    spis: fc.array(bytes(spiSize, spiSize), { maxLength: 5 }),
  }),
);
const header: fc.Arbitrary<IsakmpHeader> = rec({
  icookie: bytes(8, 8),
  rcookie: bytes(8, 8),
  np: fc.constant(0),
  majorVersion: fc.constant(1),
  minorVersion: fc.constant(0),
  etype: u8,
  flags: u8.map((f) => f & ~C.ISAKMP_FLAG_E),
  msgid: fc.nat(),
  length: fc.constant(0),
});

function roundTrips<T>(name: string, codec: Codec<T>, arb: fc.Arbitrary<T>): void {
  it(name, () => {
    fc.assert(
      fc.property(arb, (v) => {
        checkCodec(codec, v, codec.encode(v), name);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
}

describe('racoon/isakmp round trips (fast-check, fixed seed)', () => {
  roundTrips('data attributes', attributes, fc.array(attr, { maxLength: 8 }));
  roundTrips('SA with proposals and transforms', sa, saValue);
  roundTrips('ID', id, idValue);
  roundTrips('CERT', cert, rec({ encoding: u8, data: bytes(0, 64) }));
  roundTrips('CR', certRequest, rec({ certType: u8, authority: bytes(0, 64) }));
  roundTrips('NOTIFY', notify, notifyValue);
  roundTrips('DELETE', del, deleteValue);
  roundTrips('NAT-OA', natOa, rec({ addr: fc.oneof(bytes(4, 4), bytes(16, 16)) }));
  roundTrips(
    'ATTR (mode config)',
    cfg,
    rec({ cfgType: u8, identifier: fc.integer({ min: 0, max: 0xffff }), attrs: fc.array(attr, { maxLength: 6 }) }),
  );
  roundTrips('NONCE', nonce, bytes(8, 256));
  roundTrips('KE', ke, bytes(1, 512));
  roundTrips(
    'header',
    isakmpHeader,
    header.map((h) => ({ ...h, length: 28 })),
  );

  it('whole messages: random payload lists encode and decode back', () => {
    const payload: fc.Arbitrary<IsakmpPayload> = fc.oneof(
      saValue.map((body) => ({ type: C.ISAKMP_NPTYPE_SA, body }) as IsakmpPayload),
      idValue.map((body) => ({ type: C.ISAKMP_NPTYPE_ID, body }) as IsakmpPayload),
      notifyValue.map((body) => ({ type: C.ISAKMP_NPTYPE_N, body }) as IsakmpPayload),
      deleteValue.map((body) => ({ type: C.ISAKMP_NPTYPE_D, body }) as IsakmpPayload),
      bytes(1, 32).map((body) => ({ type: C.ISAKMP_NPTYPE_VID, body }) as IsakmpPayload),
      bytes(16, 64).map((body) => ({ type: C.ISAKMP_NPTYPE_NATD_RFC, body }) as IsakmpPayload),
      rec({ addr: bytes(4, 4) }).map((body) => ({ type: C.ISAKMP_NPTYPE_NATOA_DRAFT, body }) as IsakmpPayload),
      rec({ certType: u8, authority: bytes(0, 8) }).map(
        (body) => ({ type: C.ISAKMP_NPTYPE_CR, body }) as IsakmpPayload,
      ),
    );
    const single = fc.subarray([
      { type: C.ISAKMP_NPTYPE_KE, body: new Uint8Array(64).fill(1) },
      { type: C.ISAKMP_NPTYPE_NONCE, body: new Uint8Array(16).fill(2) },
      { type: C.ISAKMP_NPTYPE_HASH, body: new Uint8Array(20).fill(3) },
      { type: C.ISAKMP_NPTYPE_SIG, body: new Uint8Array(32).fill(4) },
    ] as IsakmpPayload[]);
    fc.assert(
      fc.property(header, fc.array(payload, { maxLength: 6 }), single, (h, many, once) => {
        const ids = many.filter((p) => p.type === C.ISAKMP_NPTYPE_ID).length;
        const payloads = ids > 2 ? many.filter((p) => p.type !== C.ISAKMP_NPTYPE_ID) : many;
        const m = { header: h, payloads: [...once, ...payloads] };
        const b = encodeIsakmpMessage(m);
        assert.equal(isakmpMessage.encodedLength(m), b.length);
        const back = decodeIsakmpMessage(b).value;
        assert.deepEqual(back.payloads, m.payloads);
        assert.deepEqual(back.header, { ...h, np: m.payloads[0]?.type ?? 0, length: b.length });
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
