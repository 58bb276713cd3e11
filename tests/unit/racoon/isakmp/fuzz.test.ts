// fast-check fuzz of the ISAKMP decoder: 100,000 mutated valid messages with a fixed seed.
// Any input must decode or throw IsakmpError; whatever decodes must re-encode to bytes that decode and
// re-encode identically (no silent corruption).
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { fixturePath, hex } from '../support/codec-check.js';
import { IsakmpError } from '../../../../racoon/isakmp/codec.js';
import * as C from '../../../../racoon/isakmp/constants.js';
import { attrTLV, attrTV } from '../../../../racoon/isakmp/payloads/attributes.js';
import {
  decodeIsakmpMessage,
  decodePayload,
  decodePayloadChain,
  encodeIsakmpMessage,
  encodePayloadChain,
  isKnownPayloadType,
  type IsakmpPayload,
} from '../../../../racoon/isakmp/message.js';

const SLOW = Boolean(process.env.UIPSEC_SLOW);
const RUNS = SLOW ? 1_000_000 : 100_000; // the slow count stays well inside mocha's 120 s default
const SEED = 0x15a4a9;

function corpus(): Uint8Array[] {
  const fx = JSON.parse(readFileSync(fixturePath('isakmp-messages.json'), 'utf8')) as { messages: { hex: string }[] };
  const out = fx.messages.map((m) => hex(m.hex));
  const header = (etype: number, msgid = 0) => ({
    icookie: hex('0011223344556677'),
    rcookie: hex('8899aabbccddeeff'),
    np: 0,
    majorVersion: 1,
    minorVersion: 0,
    etype,
    flags: 0,
    msgid,
    length: 0,
  });
  const chains: [number, IsakmpPayload[]][] = [
    [
      C.ISAKMP_ETYPE_QUICK,
      [
        { type: C.ISAKMP_NPTYPE_HASH, body: new Uint8Array(20).fill(0x11) },
        {
          type: C.ISAKMP_NPTYPE_SA,
          body: {
            doi: 1,
            situation: 1,
            proposals: [
              {
                num: 1,
                protoId: 2,
                spi: hex('00001000'),
                transforms: [
                  { num: 1, id: 3, attrs: [attrTV(5, 2), attrTV(4, 1), attrTV(1, 1), attrTLV(2, hex('00000e10'))] },
                ],
              },
              {
                num: 1,
                protoId: 3,
                spi: hex('00001001'),
                transforms: [
                  { num: 1, id: 12, attrs: [attrTV(6, 128)] },
                  { num: 2, id: 3, attrs: [] },
                ],
              },
              { num: 2, protoId: 4, spi: hex('1002'), transforms: [{ num: 1, id: 2, attrs: [attrTV(4, 61443)] }] },
            ],
          },
        },
        { type: C.ISAKMP_NPTYPE_NONCE, body: new Uint8Array(16).fill(0x22) },
        { type: C.ISAKMP_NPTYPE_KE, body: new Uint8Array(96).fill(0x33) },
        { type: C.ISAKMP_NPTYPE_ID, body: { idType: 6, protocol: 6, port: 22, data: new Uint8Array(32).fill(0xfe) } },
        {
          type: C.ISAKMP_NPTYPE_ID,
          body: { idType: 2, protocol: 0, port: 0, data: new TextEncoder().encode('peer.example') },
        },
        { type: C.ISAKMP_NPTYPE_NATOA_DRAFT, body: { addr: hex('0a000001') } },
      ],
    ],
    [
      C.ISAKMP_ETYPE_INFO,
      [
        {
          type: C.ISAKMP_NPTYPE_N,
          body: { doi: 1, protoId: 1, notifyType: 36136, spi: new Uint8Array(16).fill(5), data: hex('00000001') },
        },
        { type: C.ISAKMP_NPTYPE_D, body: { doi: 1, protoId: 3, spiSize: 4, spis: [hex('01020304'), hex('05060708')] } },
      ],
    ],
    [
      C.ISAKMP_ETYPE_IDENT,
      [
        { type: C.ISAKMP_NPTYPE_KE, body: new Uint8Array(64).fill(0x44) },
        { type: C.ISAKMP_NPTYPE_NONCE, body: new Uint8Array(20).fill(0x55) },
        { type: C.ISAKMP_NPTYPE_CR, body: { certType: 4, authority: new Uint8Array(0) } },
        { type: C.ISAKMP_NPTYPE_NATD_RFC, body: new Uint8Array(20).fill(0x66) },
        { type: C.ISAKMP_NPTYPE_NATD_RFC, body: new Uint8Array(20).fill(0x67) },
      ],
    ],
    [
      C.ISAKMP_ETYPE_IDENT,
      [
        {
          type: C.ISAKMP_NPTYPE_ID,
          body: { idType: 3, protocol: 17, port: 500, data: new TextEncoder().encode('me@example') },
        },
        { type: C.ISAKMP_NPTYPE_CERT, body: { encoding: 4, data: new Uint8Array(40).fill(0x30) } },
        { type: C.ISAKMP_NPTYPE_SIG, body: new Uint8Array(64).fill(0x77) },
      ],
    ],
    [
      C.ISAKMP_ETYPE_CFG,
      [
        { type: C.ISAKMP_NPTYPE_HASH, body: new Uint8Array(16).fill(0x12) },
        {
          type: C.ISAKMP_NPTYPE_ATTR,
          body: { cfgType: 2, identifier: 9, attrs: [attrTLV(1, hex('0a000005')), attrTV(0x4088, 1)] },
        },
      ],
    ],
  ];
  for (const [etype, payloads] of chains) out.push(encodeIsakmpMessage({ header: header(etype, 5), payloads }));
  return out;
}

/** One mutation as a flat tuple (cheap to generate): [kind, position, value]. */
type Mutation = [kind: number, pos: number, val: number];

const INTERESTING16 = [0, 1, 3, 4, 5, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xfffe, 0xffff];

const mutation: fc.Arbitrary<Mutation> = fc.tuple(
  fc.integer({ min: 0, max: 5 }),
  fc.nat(),
  fc.integer({ min: 0, max: 0xffff }),
);

function mutate(src: Uint8Array, ms: Mutation[], fixLength: boolean): Uint8Array {
  let b = src.slice();
  for (const [kind, p, val] of ms) {
    if (b.length === 0) break;
    const pos = p % b.length;
    switch (kind) {
      case 0:
        b[pos] = val & 0xff;
        break; // set a byte
      case 1:
        b[pos]! ^= 1 << (val & 7);
        break; // flip a bit
      case 2:
      case 3: {
        // overwrite a 16-bit field (lengths, counts) with an interesting or random value
        const v = kind === 2 ? INTERESTING16[val % INTERESTING16.length]! : val;
        b[pos] = v >> 8;
        if (pos + 1 < b.length) b[pos + 1] = v & 0xff;
        break;
      }
      case 4:
        b = b.slice(0, pos);
        break; // truncate
      default: {
        // insert 1..8 bytes
        const n = new Uint8Array(b.length + 1 + (val & 7));
        n.set(b.subarray(0, pos));
        n.fill(val >> 8, pos, pos + 1 + (val & 7));
        n.set(b.subarray(pos), pos + 1 + (val & 7));
        b = n;
      }
    }
  }
  // Most mutants keep a consistent header length so the payload walker (not the length check) sees them.
  if (fixLength && b.length >= 28) Buffer.from(b.buffer, b.byteOffset, b.length).writeUInt32BE(b.length, 24);
  return b;
}

function checkOne(b: Uint8Array): 'ok' | 'error' {
  try {
    const m = decodeIsakmpMessage(b).value;
    // Re-encoding is a fixpoint: encode(decode(encode(m))) == encode(m).
    const once = encodeIsakmpMessage(m);
    const twice = encodeIsakmpMessage(decodeIsakmpMessage(once).value);
    if (Buffer.compare(once, twice) !== 0) assert.fail(`re-encoding differs for ${Buffer.from(b).toString('hex')}`);
    if (m.encrypted) decodePayloadChain(m.header.np, m.encrypted, 0, undefined, { allowTrailing: true });
    return 'ok';
  } catch (e) {
    if (e instanceof IsakmpError) return 'error';
    throw e;
  }
}

describe('racoon/isakmp fuzz (fast-check, fixed seed)', () => {
  const seeds = corpus();

  it('every seed message decodes', () => {
    for (const s of seeds) assert.equal(checkOne(s), 'ok');
  });

  it(`${RUNS.toLocaleString('en')} mutated messages: a value or an IsakmpError, nothing else`, () => {
    const seen = { ok: 0, error: 0 };
    fc.assert(
      fc.property(
        fc.nat({ max: seeds.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (i, ms, fix) => {
          seen[checkOne(mutate(seeds[i]!, ms, fix || ms.length > 1))]++;
        },
      ),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    // The mutants exercise both outcomes (a fuzz that only ever fails early tests nothing).
    assert.ok(seen.ok > RUNS / 50, `only ${seen.ok} mutants decoded`);
    assert.ok(seen.error > RUNS / 4, `only ${seen.error} mutants refused`);
  });

  it('10,000 random byte strings behind a valid-looking header', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        fc.uint8Array({ maxLength: 96 }),
        (np, flags, body) => {
          const b = new Uint8Array(28 + body.length);
          b.set(seeds[0]!.subarray(0, 28));
          b[16] = np;
          b[19] = flags;
          b.set(body, 28);
          Buffer.from(b.buffer).writeUInt32BE(b.length, 24);
          checkOne(b);
          for (const t of [np, C.ISAKMP_NPTYPE_SA, C.ISAKMP_NPTYPE_N]) {
            try {
              decodePayloadChain(t, body, 0, undefined, { allowTrailing: (flags & 1) === 1 });
            } catch (e) {
              if (!(e instanceof IsakmpError)) throw e;
            }
          }
        },
      ),
      { seed: SEED + 1, numRuns: 10_000, endOnFailure: true },
    );
  });

  it('every payload type alone: 2,000 random bodies each (iked-style per-payload fuzz)', () => {
    const types = Array.from({ length: 256 }, (_, t) => t).filter(isKnownPayloadType);
    assert.equal(types.length, 17);
    let typesDecoded = 0;
    for (const t of types) {
      let decoded = 0;
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (body, biasSa) => {
          // a generic header that declares exactly the body, optionally with an SA-like DOI/situation prefix
          const inner = biasSa ? Uint8Array.from([0, 0, 0, 1, 0, 0, 0, 1, ...body]) : body;
          const b = Uint8Array.from([0, 0, (inner.length + 4) >> 8, (inner.length + 4) & 0xff, ...inner]);
          try {
            const p = decodePayload(t, b, 0).value;
            decoded++;
            const again = encodePayloadChain([p]);
            assert.deepEqual(decodePayload(t, again, 0).value, p);
          } catch (e) {
            if (!(e instanceof IsakmpError)) throw e;
          }
        }),
        { seed: SEED + 2 + t, numRuns: 2000 },
      );
      if (decoded > 0) typesDecoded++;
    }
    // Random bytes rarely form a valid proposal nest, an exact SPI list or a NAT-OA; the mutation fuzz covers
    // those. The lenient bodies must still decode sometimes, or this fuzz would only test the refusals.
    assert.ok(typesDecoded >= 12, `only ${typesDecoded} payload types ever decoded`);
  });
});
