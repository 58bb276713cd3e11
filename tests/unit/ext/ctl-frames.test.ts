// The control channel's frames (channel/ctl-frames.ts): every type round-trips, lengths and reserved bits are
// checked, the splitter reassembles frames cut anywhere and stops at an impossible length, and random bytes
// (fixed-seed fuzz, bounded) only ever raise CtlFrameError.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import * as F from '../../../channel/ctl-frames.js';

const RUNS = process.env.UIPSEC_SLOW ? 100_000 : 3_000;
const bytes = (...b: number[]) => Uint8Array.from(b);

const SAMPLES: F.CtlFrame[] = [
  { type: F.CTL_CONNECT, seq: 1, unit: 0, name: 'org.example.counter' },
  { type: F.CTL_SEND, seq: 2, ref: 1, data: bytes(1, 2, 3) },
  { type: F.CTL_SETOPT, seq: 3, ref: 1, opt: 2, value: bytes(0, 0, 0, 10) },
  { type: F.CTL_GETOPT, seq: 4, ref: 1, opt: 1, maxLen: 4096 },
  { type: F.CTL_DISCONNECT, seq: 5, ref: 1 },
  { type: F.CTL_SUBSCRIBE, seq: 6, vendor: 1000, class: 1, subclass: 0 },
  { type: F.CTL_UNSUBSCRIBE, seq: 7 },
  { type: F.CTL_LIST, seq: 8 },
  { type: F.CTL_REPLY, seq: 9, errno: 1, data: bytes() },
  { type: F.CTL_DATA, seq: 0, ref: 3, data: bytes(9) },
  { type: F.CTL_CLOSED, seq: 0, ref: 3 },
  { type: F.CTL_EVENT, seq: 0, json: '{"name":"sa-added"}' },
];

describe('control channel frames', () => {
  it('round-trips every frame type', () => {
    for (const f of SAMPLES) assert.deepEqual(F.decodeCtlFrame(F.encodeCtlFrame(f)), f);
  });

  it('refuses bad lengths, reserved bits, trailing bytes, names and fields', () => {
    const good = F.encodeCtlFrame(SAMPLES[3]!);
    assert.throws(() => F.decodeCtlFrame(good.subarray(0, 11)), F.CtlFrameError);
    assert.throws(() => F.decodeCtlFrame(good.subarray(0, good.length - 1)), /length/);
    const res = good.slice();
    res[6] = 1;
    assert.throws(() => F.decodeCtlFrame(res), /reserved/);
    const extra = new Uint8Array(good.length + 1);
    extra.set(good);
    new DataView(extra.buffer).setUint32(0, extra.length);
    assert.throws(() => F.decodeCtlFrame(extra), /trailing/);
    const typ = good.slice();
    typ[4] = 200;
    assert.throws(() => F.decodeCtlFrame(typ), /unknown/);
    const long = F.encodeCtlFrame({ type: F.CTL_EVENT, seq: 0, json: 'x'.repeat(97) });
    long[4] = F.CTL_CONNECT; // the same bytes read as CONNECT: a 93-byte name is fine, an empty one not
    assert.equal((F.decodeCtlFrame(long) as { name: string }).name.length, 93);
    assert.throws(() => F.encodeCtlFrame({ type: F.CTL_SEND, seq: 0, ref: -1, data: bytes() }), /u32/);
    assert.throws(
      () => F.encodeCtlFrame({ type: F.CTL_SEND, seq: 0, ref: 1, data: new Uint8Array(F.CTL_FRAME_MAX) }),
      /over/,
    );
  });

  it('splits a stream cut anywhere, and stops at an impossible length', () => {
    const all = Buffer.concat(SAMPLES.map(F.encodeCtlFrame));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: all.length }), { maxLength: 20 }), (cuts) => {
        const sp = new F.CtlFrameSplitter();
        const out: Uint8Array[] = [];
        let p = 0;
        for (const c of [...cuts.sort((a, b) => a - b), all.length]) {
          out.push(...sp.push(all.subarray(p, Math.max(p, c))).frames);
          p = Math.max(p, c);
        }
        assert.deepEqual(out.map(F.decodeCtlFrame), SAMPLES);
      }),
      { seed: 16, numRuns: 200 },
    );
    const sp = new F.CtlFrameSplitter();
    const r = sp.push(bytes(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0));
    assert.ok(r.error);
    assert.deepEqual(sp.push(F.encodeCtlFrame(SAMPLES[7]!)).frames, []);
  });

  it('raises only CtlFrameError on random input (fixed-seed fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 255 }), (b, type) => {
        const f = new Uint8Array(F.CTL_HEADER + b.length);
        f.set(b, F.CTL_HEADER);
        new DataView(f.buffer).setUint32(0, f.length);
        f[4] = type;
        try {
          const d = F.decodeCtlFrame(f);
          assert.deepEqual(F.decodeCtlFrame(F.encodeCtlFrame(d)), d);
        } catch (e) {
          assert.ok(e instanceof F.CtlFrameError, String(e));
        }
      }),
      { seed: 1616, numRuns: RUNS },
    );
  });
});
