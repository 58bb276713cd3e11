// Fuzz of the PF_KEY decoder with a fixed seed: random and mutated messages must either
// decode or raise PfkeyError — nothing else — with the same verdict (ok or errno) as the naive oracle in
// oracle.ts, and whatever decodes must be stable under encode∘decode (same value, same bytes again). checkUserMessage must accept any decoded message without
// throwing. 100,000 inputs in the normal suite; UIPSEC_SLOW=1 runs 1,000,000.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { PfkeyError } from '../../../pfkey/errors.js';
import { checkUserMessage } from '../../../pfkey/check.js';
import { EXT_TABLE, decodeMessage, encodeMessage } from '../../../pfkey/msg.js';
import { messageArbWith } from './arbitraries.js';
import { oracleVerdict } from './oracle.js';

const SEED = 0x2367;
const RUNS = process.env.UIPSEC_SLOW ? 1_000_000 : 100_000;

// A pool of valid encoded messages to mutate (generated once, with its own fixed seed).
const POOL: Uint8Array[] = fc.sample(messageArbWith(5), { seed: SEED, numRuns: 400 }).map(encodeMessage);

type Mutation =
  | { kind: 'set'; pos: number; val: number }
  | { kind: 'u16'; pos: number; val: number }
  | { kind: 'truncate'; by: number }
  | { kind: 'append'; bytes: Uint8Array }
  | { kind: 'splice'; pos: number; bytes: Uint8Array };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), pos: fc.nat(), val: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    kind: fc.constant('u16' as const),
    pos: fc.nat(),
    val: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 0xffff })),
  }),
  fc.record({ kind: fc.constant('truncate' as const), by: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 48 }) }),
  fc.record({
    kind: fc.constant('splice' as const),
    pos: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 24 }),
  }),
);

function mutate(base: Uint8Array, muts: Mutation[], fixLen: boolean): Uint8Array {
  let b = new Uint8Array(base);
  for (const m of muts) {
    if (m.kind === 'set' && b.length) b[m.pos % b.length] = m.val;
    if (m.kind === 'u16' && b.length >= 2) {
      const p = (m.pos % (b.length - 1)) & ~1;
      b[p] = m.val & 0xff;
      b[p + 1] = m.val >> 8;
    }
    if (m.kind === 'truncate') b = b.slice(0, Math.max(0, b.length - m.by));
    if (m.kind === 'append') b = Uint8Array.from([...b, ...m.bytes]);
    if (m.kind === 'splice') {
      const p = b.length ? m.pos % b.length : 0;
      b = Uint8Array.from([...b.subarray(0, p), ...m.bytes, ...b.subarray(p)]);
    }
  }
  // Usually keep the header consistent so the mutation reaches the extension parsers.
  if (fixLen && b.length >= 16 && b.length % 8 === 0) {
    b[0] = 2;
    b[4] = (b.length / 8) & 0xff;
    b[5] = (b.length / 8) >> 8;
  }
  return b;
}

/** A valid header followed by one extension of a chosen type with a random body (reaches each codec directly). */
const oneExtArb: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    fc.integer({ min: 1, max: 24 }),
    fc.integer({ min: 0, max: 30 }),
    fc.integer({ min: 1, max: 12 }),
    fc.uint8Array({ minLength: 92, maxLength: 92 }),
  )
  .map(([type, extType, units, body]) => {
    const b = new Uint8Array(16 + units * 8);
    b.set(body.subarray(0, b.length - 16 - 4), 20);
    b[0] = 2;
    b[1] = type;
    b[4] = b.length / 8;
    b[16] = units;
    b[18] = extType;
    return b;
  });

const inputArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 2, arbitrary: oneExtArb },
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.nat({ max: POOL.length - 1 }), fc.array(mutationArb, { minLength: 1, maxLength: 4 }), fc.boolean())
      .map(([i, m, fix]) => mutate(POOL[i]!, m, fix)),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 2, max: 24 })
      .chain((units) => fc.uint8Array({ minLength: units * 8, maxLength: units * 8 }))
      .map((b) => mutate(b, [], true)),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 96 }) },
);

const seenExts = new Set<string>();

/** The property: PfkeyError or a stable decode, agreeing with the naive oracle. Returns whether it decoded. */
function checkInput(bytes: Uint8Array): boolean {
  let decoded;
  const verdict = oracleVerdict(bytes);
  try {
    decoded = decodeMessage(bytes);
  } catch (e) {
    if (!(e instanceof PfkeyError)) throw e;
    assert.equal(e.errno, verdict, `oracle says ${verdict}, decoder refused: ${e.message}`);
    return false;
  }
  assert.equal(verdict, 'ok', 'the decoder accepted what the oracle refuses');
  for (const k of Object.keys(decoded.ext)) seenExts.add(k);
  checkUserMessage(decoded);
  const once = encodeMessage(decoded);
  const again = decodeMessage(once);
  assert.deepStrictEqual(again, decoded);
  assert.deepStrictEqual(encodeMessage(again), once);
  return true;
}

describe('pfkey decoder fuzz (fixed seed)', () => {
  it('every pooled valid message decodes and re-encodes to the same bytes', () => {
    for (const b of POOL) {
      assert.ok(checkInput(b));
      assert.deepStrictEqual(encodeMessage(decodeMessage(b)), b);
    }
  });

  it(`${RUNS.toLocaleString('en')} random and mutated messages: only PfkeyError, and decode∘encode is stable`, () => {
    let decodedCount = 0;
    let total = 0;
    seenExts.clear();
    fc.assert(
      fc.property(inputArb, (b) => {
        total++;
        if (checkInput(b)) decodedCount++;
      }),
      { seed: SEED, numRuns: RUNS },
    );
    assert.equal(total, RUNS);
    // Both outcomes must be exercised in bulk, or the fuzz is not reaching the parsers.
    assert.ok(decodedCount > RUNS / 50, `only ${decodedCount} inputs decoded`);
    assert.ok(RUNS - decodedCount > RUNS / 50, `only ${RUNS - decodedCount} inputs were refused`);
    assert.equal(seenExts.size, Object.keys(EXT_TABLE).length, 'every extension type decoded at least once');
  });
});
