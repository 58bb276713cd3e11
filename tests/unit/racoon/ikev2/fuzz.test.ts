// fast-check fuzz of every IKEv2 decoder (in the style of iked regress/parser), fixed seeds, bounded runs:
// whole messages, each payload body codec alone, SK/SKF opening and fragment reassembly, and method-14 AUTH data.
// Any input must give a value or an Ikev2Error (or a drop result), never another exception; whatever decodes must
// re-encode to bytes that decode and re-encode identically.
import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { hex, loadIkev2Vectors } from './support.js';
import { INIT_BYTES, INIT_HEADER } from './fixtures.js';
import { SeededRng } from '../../../../common/rng.js';
import * as K from '../../../../racoon/ikev2/constants.js';
import { Ikev2Error, type Codec } from '../../../../racoon/ikev2/codec.js';
import { decodeIkev2Message, encodeIkev2Message } from '../../../../racoon/ikev2/message.js';
import { decodePayloadChain, isKnownPayloadType, type Ikev2Payload } from '../../../../racoon/ikev2/payload-chain.js';
import { ikeEncr, ikeInteg } from '../../../../racoon/ikev2/suite.js';
import { openSk, openSkf, type SkKeys } from '../../../../racoon/ikev2/sk-protect.js';
import { fragmentSk, SkfReassembly } from '../../../../racoon/ikev2/fragment.js';
import { verifyAuth } from '../../../../racoon/ikev2/signature.js';
import { sa } from '../../../../racoon/ikev2/payloads/sa.js';
import { ke } from '../../../../racoon/ikev2/payloads/ke.js';
import { id } from '../../../../racoon/ikev2/payloads/id.js';
import { cert, certReq } from '../../../../racoon/ikev2/payloads/cert.js';
import { auth } from '../../../../racoon/ikev2/payloads/auth.js';
import { nonce } from '../../../../racoon/ikev2/payloads/nonce.js';
import { notify } from '../../../../racoon/ikev2/payloads/notify.js';
import { del } from '../../../../racoon/ikev2/payloads/delete.js';
import { vendorId } from '../../../../racoon/ikev2/payloads/vendor-id.js';
import { ts } from '../../../../racoon/ikev2/payloads/ts.js';
import { sk } from '../../../../racoon/ikev2/payloads/sk.js';
import { cp } from '../../../../racoon/ikev2/payloads/cp.js';
import { eap } from '../../../../racoon/ikev2/payloads/eap.js';
import { skf } from '../../../../racoon/ikev2/payloads/skf.js';

const SLOW = Boolean(process.env.UIPSEC_SLOW);
const RUNS = SLOW ? 1_000_000 : 60_000;
const SEED = 0x1e2f;

interface SkCase {
  encr: string;
  encrId: number;
  keyBits: number | null;
  integ: string | null;
  integId: number;
  encKey: string;
  integKey?: string;
  innerNp: number;
  inner: string;
  message: string;
}
const { sk: SK_CASES } = loadIkev2Vectors<{ sk: SkCase[] }>();

function keysOf(c: SkCase): SkKeys {
  const k: SkKeys = { encr: ikeEncr(c.encrId, c.keyBits ?? undefined)!, encKey: hex(c.encKey) };
  if (c.integ) {
    k.integ = ikeInteg(c.integId)!;
    k.integKey = hex(c.integKey!);
  }
  return k;
}

/** A clear message with every payload type, so mutations reach every body codec through the chain. */
function kitchenSink(): Uint8Array {
  const payloads: Ikev2Payload[] = [
    { type: K.IKEV2_PAYLOAD_IDI, body: { idType: 1, data: hex('c0000201') } },
    { type: K.IKEV2_PAYLOAD_IDR, body: { idType: 2, data: new TextEncoder().encode('r.example') } },
    { type: K.IKEV2_PAYLOAD_CERT, body: { encoding: 4, data: hex('308201') } },
    { type: K.IKEV2_PAYLOAD_CERTREQ, body: { encoding: 4, authority: new Uint8Array(20).fill(3) } },
    { type: K.IKEV2_PAYLOAD_AUTH, body: { method: 14, data: hex('0c300a06082a8648ce3d0403023006020101020102') } },
    { type: K.IKEV2_PAYLOAD_DELETE, body: { protocol: 3, spis: [hex('01020304')] } },
    {
      type: K.IKEV2_PAYLOAD_TSI,
      body: {
        selectors: [
          { tsType: 7, protocol: 6, startPort: 1, endPort: 2, startAddr: hex('0a000001'), endAddr: hex('0a000002') },
          { tsType: 10, protocol: 0, body: hex('0004abcd') },
        ],
      },
    },
    {
      type: K.IKEV2_PAYLOAD_TSR,
      body: {
        selectors: [
          {
            tsType: 8,
            protocol: 0,
            startPort: 0,
            endPort: 65535,
            startAddr: new Uint8Array(16),
            endAddr: new Uint8Array(16).fill(255),
          },
        ],
      },
    },
    {
      type: K.IKEV2_PAYLOAD_CP,
      body: {
        cfgType: 2,
        attrs: [
          { type: 1, value: hex('0a000005') },
          { type: 7, value: hex('41') },
        ],
      },
    },
    { type: K.IKEV2_PAYLOAD_EAP, body: { code: 2, identifier: 1, type: 1, data: hex('6d65') } },
    {
      type: K.IKEV2_PAYLOAD_NOTIFY,
      body: { protocol: 3, notifyType: 16393, spi: hex('0a0b0c0d'), data: new Uint8Array(0) },
    },
    { type: K.IKEV2_PAYLOAD_SKF, body: { fragmentNumber: 1, totalFragments: 2, data: hex('00112233') }, innerNp: 35 },
  ];
  return encodeIkev2Message({ header: { ...INIT_HEADER, exchangeType: 37 }, payloads });
}

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
    if (kind === 0) b[pos] = val & 0xff;
    else if (kind === 1) b[pos]! ^= 1 << (val & 7);
    else if (kind === 2 || kind === 3) {
      const v = kind === 2 ? INTERESTING16[val % INTERESTING16.length]! : val;
      b[pos] = v >> 8;
      if (pos + 1 < b.length) b[pos + 1] = v & 0xff;
    } else if (kind === 4) b = b.slice(0, pos);
    else {
      const n = new Uint8Array(b.length + 1 + (val & 7));
      n.set(b.subarray(0, pos));
      n.fill(val >> 8, pos, pos + 1 + (val & 7));
      n.set(b.subarray(pos), pos + 1 + (val & 7));
      b = n;
    }
  }
  // Most mutants keep a consistent header length so the payload walk (not the length check) sees them.
  if (fixLength && b.length >= 28) new DataView(b.buffer, b.byteOffset).setUint32(24, b.length);
  return b;
}

function checkMessage(b: Uint8Array): 'ok' | 'error' {
  try {
    const m = decodeIkev2Message(b).value;
    const once = encodeIkev2Message(m);
    const twice = encodeIkev2Message(decodeIkev2Message(once).value);
    if (Buffer.compare(once, twice) !== 0) assert.fail(`re-encoding differs for ${Buffer.from(b).toString('hex')}`);
    return 'ok';
  } catch (e) {
    if (e instanceof Ikev2Error) return 'error';
    throw e;
  }
}

const CODECS: [string, Codec<unknown>][] = [
  ['SA', sa],
  ['KE', ke],
  ['ID', id],
  ['CERT', cert],
  ['CERTREQ', certReq],
  ['AUTH', auth],
  ['Nonce', nonce],
  ['Notify', notify],
  ['Delete', del],
  ['Vendor ID', vendorId],
  ['TS', ts],
  ['SK', sk],
  ['CP', cp],
  ['EAP', eap],
  ['SKF', skf],
] as [string, Codec<unknown>][];

describe('racoon/ikev2 fuzz (fast-check, fixed seeds)', () => {
  const seeds = [INIT_BYTES, kitchenSink(), ...SK_CASES.slice(0, 4).map((c) => hex(c.message))];

  it('every seed message decodes', () => {
    for (const s of seeds) assert.equal(checkMessage(s), 'ok');
  });

  it(`${RUNS.toLocaleString('en')} mutated messages: a value or an Ikev2Error, re-encoding a fixpoint`, () => {
    const seen = { ok: 0, error: 0 };
    fc.assert(
      fc.property(
        fc.nat({ max: seeds.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (i, ms, fix) => {
          seen[checkMessage(mutate(seeds[i]!, ms, fix || ms.length > 1))]++;
        },
      ),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    assert.ok(seen.ok > RUNS / 50, `only ${seen.ok} mutants decoded`);
    assert.ok(seen.error > RUNS / 4, `only ${seen.error} mutants refused`);
  });

  it('every payload type: 3,000 random and 3,000 mutated bodies each, through its codec and the chain', () => {
    const types = Array.from({ length: 256 }, (_, t) => t).filter(isKnownPayloadType);
    assert.equal(types.length, 17);
    const bodies = new Map<string, Uint8Array[]>();
    for (const s of seeds) {
      for (const p of decodeIkev2Message(s).value.payloads) {
        const key = String(p.type);
        const enc = encodeIkev2Message({ header: INIT_HEADER, payloads: [p] }).subarray(32);
        bodies.set(key, [...(bodies.get(key) ?? []), enc]);
      }
    }
    for (const [name, codec] of CODECS) {
      let decoded = 0;
      fc.assert(
        fc.property(
          fc.uint8Array({ maxLength: 96 }),
          fc.array(mutation, { maxLength: 3 }),
          fc.boolean(),
          (raw, ms, useSeed) => {
            const pool = [...bodies.values()].flat();
            const body = useSeed && pool.length > 0 ? mutate(pool[raw.length % pool.length]!, ms, false) : raw;
            try {
              const v = codec.decode(body, 0, body.length).value;
              decoded++;
              const again = codec.encode(v);
              assert.equal(again.length, codec.encodedLength(v));
              assert.deepEqual(codec.decode(again).value, codec.decode(codec.encode(codec.decode(again).value)).value);
            } catch (e) {
              if (!(e instanceof Ikev2Error))
                throw new Error(`${name}: ${String(e)} for ${Buffer.from(body).toString('hex')}`);
            }
          },
        ),
        { seed: SEED + name.length, numRuns: 6_000, endOnFailure: true },
      );
      assert.ok(decoded > 0, `${name}: nothing decoded`);
    }
    for (const t of types) {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64 }), (body) => {
          const b = Uint8Array.from([0, 0, (body.length + 4) >> 8, (body.length + 4) & 0xff, ...body]);
          try {
            decodePayloadChain(t, b, 0);
          } catch (e) {
            if (!(e instanceof Ikev2Error)) throw e;
          }
        }),
        { seed: SEED + t, numRuns: 500, endOnFailure: true },
      );
    }
  });

  it('opening mutated SK messages: a result or an Ikev2Error from the outer decode, never a crash', () => {
    const outcomes = new Map<string, number>();
    for (const c of SK_CASES.filter((_, i) => i % 3 === 0)) {
      const k = keysOf(c);
      const raw = hex(c.message);
      fc.assert(
        fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (ms) => {
          const b = mutate(raw, ms, true);
          let r;
          try {
            r = openSk(b, decodeIkev2Message(b).value, k);
          } catch (e) {
            if (e instanceof Ikev2Error) return;
            throw e;
          }
          const key = r.ok ? 'ok' : r.reason;
          outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        }),
        { seed: SEED + c.encrId, numRuns: 3_000, endOnFailure: true },
      );
    }
    assert.ok((outcomes.get('icv') ?? 0) > 1000, JSON.stringify([...outcomes]));
  });

  it('fragments: random pieces and mutated SKF messages never break the reassembly', () => {
    const c = SK_CASES.find((x) => x.encr === 'ENCR_AES_GCM_16')!;
    const k = keysOf(c);
    const inner = decodePayloadChain(c.innerNp, hex(c.inner), 0, undefined, { inner: true }).value.payloads;
    const frags = fragmentSk({ ...INIT_HEADER, exchangeType: 35 }, inner, k, 100, new SeededRng('fz'));
    const re = new SkfReassembly();
    fc.assert(
      fc.property(
        fc.nat({ max: frags.length - 1 }),
        fc.array(mutation, { maxLength: 2 }),
        fc.record({
          n: fc.integer({ min: 0, max: 3 }),
          t: fc.integer({ min: 0, max: 70 }),
          np: fc.nat(255),
          c: fc.uint8Array({ maxLength: 40 }),
        }),
        (i, ms, piece) => {
          const b = mutate(frags[i]!, ms, true);
          try {
            const r = openSkf(b, decodeIkev2Message(b).value, k);
            if (r.ok) re.add(r);
          } catch (e) {
            if (!(e instanceof Ikev2Error)) throw e;
          }
          try {
            re.add({ fragmentNumber: piece.n, totalFragments: piece.t, innerNp: piece.np, content: piece.c });
          } catch (e) {
            if (!(e instanceof Ikev2Error)) throw e;
          }
          assert.ok(re.held <= 64);
        },
      ),
      { seed: SEED + 7, numRuns: 5_000, endOnFailure: true },
    );
  });

  it('method-14 AUTH data: 3,000 random or mutated blobs verify false, never throw', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const seed = hex('0c300a06082a8648ce3d0403023006020101020102');
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 80 }),
        fc.array(mutation, { maxLength: 3 }),
        fc.boolean(),
        (raw, ms, m) => {
          const data = m ? mutate(seed, ms, false) : raw;
          for (const method of [1, 9, 14]) assert.equal(verifyAuth(method, publicKey, hex('00'), data), false);
        },
      ),
      { seed: SEED + 14, numRuns: 3_000, endOnFailure: true },
    );
  });
});
