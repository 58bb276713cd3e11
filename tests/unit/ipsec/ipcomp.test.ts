import { strict as assert } from 'node:assert';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import {
  ipcompOutput,
  ipcompInput,
  ipcompCpi,
  ipcompWireCpi,
  IPCOMP_HEADER_BYTES,
  IPCOMP_THRESHOLD_DEFAULT,
  type IpcompOutputResult,
} from '../../../kernel/ipsec/ipcomp.js';
import { Sad, type SaParams } from '../../../kernel/sad/sad.js';
import { SADB_X_EXT_RAWCPI } from '../../../pfkey/constants.js';
import { isStatName } from '../../../kernel/stats.js';
import type { SecAssoc } from '../../../kernel/sad/secassoc.js';
import { buildIpv4Packet } from '../../../kernel/ip/ipv4.js';
import { buildIpv6Packet, buildIpv6OptionsHeader } from '../../../kernel/ip/ipv6.js';
import { ManualClock } from '../../../common/clock.js';
import { SeededRng, randomBytes } from '../../../common/rng.js';
import { parseAddr } from '../../../common/inet.js';

// 100,000 in the normal suite; UIPSEC_SLOW=1 (npm run test:slow) runs ten times as many.
const FUZZ_RUNS = process.env.UIPSEC_SLOW ? 1_000_000 : 100_000;
const env = { rng: new SeededRng('ipcomp'), now: 0 };
const A4 = parseAddr('192.0.2.1')!,
  B4 = parseAddr('192.0.2.2')!;
const A6 = parseAddr('2001:db8::1')!,
  B6 = parseAddr('2001:db8::2')!;
const TEXT = new TextEncoder().encode('IP Payload Compression Protocol (IPComp), RFC 3173. '.repeat(30));

function mkSa(
  over: Partial<SaParams> = {},
  sad = new Sad({ clock: new ManualClock(), rng: new SeededRng('s') }),
): SecAssoc {
  const v6 = over.src?.length === 16;
  return sad.add({
    spi: 0x4100,
    proto: 'ipcomp',
    mode: 'transport',
    src: v6 ? A6 : A4,
    dst: v6 ? B6 : B4,
    compAlg: 'deflate',
    ...over,
  });
}

function v4(payload: Uint8Array, proto = 17): Uint8Array {
  return buildIpv4Packet(
    { protocol: proto, src: A4, dst: B4, ttl: 64, id: 7, options: new Uint8Array([148, 4, 0, 0]) },
    payload,
  );
}

function v6(payload: Uint8Array, proto = 17): Uint8Array {
  const hbh = buildIpv6OptionsHeader(proto, new Uint8Array([5, 2, 0, 0]));
  const body = new Uint8Array(hbh.length + payload.length);
  body.set(hbh);
  body.set(payload, hbh.length);
  return buildIpv6Packet({ nextHeader: 0, src: A6, dst: B6, flowLabel: 5 }, body);
}

function out(r: IpcompOutputResult): Uint8Array {
  if (!r.ok) assert.fail(`${r.reason} ${r.detail ?? ''}`);
  return r.packet;
}

function reason(r: { ok: boolean; reason?: string }): string {
  return r.ok ? 'ok' : r.reason!;
}

/** Where the IPComp header of one of our test packets starts. */
function compOff(p: Uint8Array): number {
  return p[0]! >> 4 === 4 ? (p[0]! & 0x0f) * 4 : 48;
}

describe('kernel/ipcomp', () => {
  describe('round trips (RFC 3173 §3)', () => {
    const shapes: [string, Partial<SaParams>, () => Uint8Array][] = [
      ['transport IPv4 (with options)', {}, () => v4(TEXT)],
      ['transport IPv6 (hop-by-hop stays outside)', { src: A6, dst: B6 }, () => v6(TEXT)],
      ['tunnel IPv4 in IPv4', { mode: 'tunnel' }, () => v4(TEXT)],
      ['tunnel IPv6 in IPv6', { mode: 'tunnel', src: A6, dst: B6 }, () => v6(TEXT)],
      ['tunnel IPv6 in IPv4', { mode: 'tunnel' }, () => v6(TEXT)],
      ['tunnel IPv4 in IPv6', { mode: 'tunnel', src: A6, dst: B6 }, () => v4(TEXT)],
    ];
    for (const [name, over, make] of shapes) {
      it(name, () => {
        const sa = mkSa(over);
        const plain = make();
        const r = ipcompOutput(sa, plain, env);
        const p = out(r);
        assert.equal(r.ok && r.stat, undefined, 'compressed, nothing to count');
        assert.ok(p.length < plain.length / 4, `compressed ${plain.length} -> ${p.length}`);
        const tunnel = over.mode === 'tunnel';
        const off = tunnel ? (over.src?.length === 16 ? 40 : 20) : compOff(plain);
        assert.equal(
          p[tunnel ? (over.src?.length === 16 ? 6 : 9) : plain[0]! >> 4 === 4 ? 9 : 40],
          108,
          'protocol/next header is IPComp',
        );
        assert.equal(p[off + 1], 0, 'flags zero');
        assert.equal(ipcompCpi(p, off), 2, 'well-known DEFLATE CPI without RAWCPI (KAME ipcomp_output)');
        // The body is a raw DEFLATE stream (RFC 2394 §2) that zlib itself inflates back to the payload.
        const inner = tunnel ? plain : plain.subarray(compOff(plain));
        assert.deepEqual(new Uint8Array(inflateRawSync(p.subarray(off + IPCOMP_HEADER_BYTES))), inner);
        assert.equal(p[off], tunnel ? (plain[0]! >> 4 === 4 ? 4 : 41) : 17, 'next header');
        const back = ipcompInput(mkSa(over), new Uint8Array(p), off, env);
        assert.ok(back.ok, reason(back));
        assert.deepEqual(new Uint8Array(back.packet), plain);
      });
    }
    it('puts the SPI on the wire with SADB_X_EXT_RAWCPI and accepts either CPI on input', () => {
      const sa = mkSa({ flags: SADB_X_EXT_RAWCPI, spi: 0x4321 });
      assert.equal(ipcompWireCpi(sa), 0x4321);
      const p = out(ipcompOutput(sa, v4(TEXT), env));
      assert.equal(ipcompCpi(p, 24), 0x4321);
      assert.ok(ipcompInput(mkSa({ spi: 0x4321 }), p, 24, env).ok, 'a receiver without RAWCPI still knows its SPI');
    });
    it('decompresses a stream made by another DEFLATE encoder (zlib level 1, fixed Huffman)', () => {
      const payload = TEXT.subarray(0, 500);
      const body = deflateRawSync(payload, { level: 1, strategy: 4 /* Z_FIXED */ });
      const p = v4(new Uint8Array([17, 0, 0, 2, ...body]), 108);
      const r = ipcompInput(mkSa(), p, 24, env);
      assert.ok(r.ok, reason(r));
      assert.deepEqual(new Uint8Array(r.packet.subarray(24)), payload);
      assert.equal(r.packet[9], 17);
      assert.equal((r.packet[2]! << 8) | r.packet[3]!, 24 + 500);
    });
  });

  describe('not compressing (RFC 3173 §2.2)', () => {
    it('sends payloads below the threshold (default 90) as they are, counted as ipcomps_threshold', () => {
      const sa = mkSa();
      const small = v4(TEXT.subarray(0, IPCOMP_THRESHOLD_DEFAULT - 1));
      const r = ipcompOutput(sa, small, env);
      assert.deepEqual([r.ok, r.ok && r.stat], [true, 'ipcomps_threshold']);
      assert.deepEqual(out(r), small);
      const r90 = ipcompOutput(sa, v4(TEXT.subarray(0, IPCOMP_THRESHOLD_DEFAULT)), env);
      assert.equal(out(r90)[9], 108, 'at the threshold it is compressed');
      const custom = ipcompOutput(sa, v4(TEXT.subarray(0, 500)), env, { thresholdBytes: 501 });
      assert.equal(custom.ok && custom.stat, 'ipcomps_threshold');
    });
    it('sends incompressible payloads as they are, counted as ipcomps_uncompr; tunnel mode then sends plain IP-in-IP', () => {
      const noise = randomBytes(new SeededRng('noise'), 800);
      const plain = v4(noise);
      const r = ipcompOutput(mkSa(), plain, env);
      assert.equal(r.ok && r.stat, 'ipcomps_uncompr');
      assert.deepEqual(out(r), plain);
      const t = ipcompOutput(mkSa({ mode: 'tunnel' }), plain, env);
      assert.equal(t.ok && t.stat, 'ipcomps_uncompr');
      const tp = out(t);
      assert.equal(tp[9], 4, 'outer protocol IPv4-in-IPv4, no IPComp header');
      assert.deepEqual(tp.subarray(20), plain);
    });
  });

  describe('drops with ipcompstat reasons', () => {
    const good = out(ipcompOutput(mkSa(), v4(TEXT), env));
    const cases: [string, () => { ok: boolean; reason?: string }, string][] = [
      ['empty', () => ipcompInput(mkSa(), new Uint8Array(0), 24, env), 'ipcomps_hdrops'],
      ['header cut short', () => ipcompInput(mkSa(), fixLen(good.slice(0, 26)), 24, env), 'ipcomps_hdrops'],
      ['wrong offset', () => ipcompInput(mkSa(), new Uint8Array(good), 20, env), 'ipcomps_hdrops'],
      [
        'wrong CPI',
        () => {
          const p = new Uint8Array(good);
          p[27] = 9;
          return ipcompInput(mkSa(), p, 24, env);
        },
        'ipcomps_notdb',
      ],
      [
        'IPComp inside IPComp',
        () => {
          const p = new Uint8Array(good);
          p[24] = 108;
          return ipcompInput(mkSa(), p, 24, env);
        },
        'ipcomps_hdrops',
      ],
      [
        'corrupt DEFLATE stream',
        () => {
          const p = new Uint8Array(good);
          p.fill(0xff, 28, 40);
          return ipcompInput(mkSa(), p, 24, env);
        },
        'ipcomps_crypto',
      ],
      [
        'stream cut short',
        () => ipcompInput(mkSa(), fixLen(good.slice(0, good.length - 5)), 24, env),
        'ipcomps_crypto',
      ],
      [
        'fragment',
        () => {
          const p = new Uint8Array(good);
          p[6] = 0x20;
          return ipcompInput(mkSa(), p, 24, env);
        },
        'ipcomps_hdrops',
      ],
      [
        'dead SA',
        () => {
          const s = mkSa();
          s.state = 'dead';
          return ipcompInput(s, new Uint8Array(good), 24, env);
        },
        'ipcomps_invalid',
      ],
      [
        'tunnel SA, inner not IP',
        () => ipcompInput(mkSa({ mode: 'tunnel' }), new Uint8Array(good), 24, env),
        'ipcomps_badinner',
      ],
    ];
    for (const [name, run, want] of cases)
      it(`${name} -> ${want}`, () => {
        assert.equal(reason(run()), want);
        assert.ok(isStatName(want));
      });

    it('decompression bombs: 16 MiB of zeros in ~16 KiB is refused as ipcomps_toobig, as is anything over a set cap', () => {
      const bomb = deflateRawSync(new Uint8Array(16 << 20), { level: 9 });
      assert.ok(bomb.length < 20_000);
      const p = new Uint8Array(24 + 4 + bomb.length);
      p.set(v4(new Uint8Array(0), 108).subarray(0, 24));
      p.set([17, 0, 0, 2], 24);
      p.set(bomb, 28);
      fixLen(p);
      assert.equal(reason(ipcompInput(mkSa(), p, 24, env)), 'ipcomps_toobig');
      const ok = out(ipcompOutput(mkSa(), v4(TEXT), env));
      assert.equal(
        reason(ipcompInput(mkSa(), new Uint8Array(ok), 24, env, { maxDecompressedBytes: TEXT.length - 1 })),
        'ipcomps_toobig',
      );
      assert.equal(
        reason(ipcompInput(mkSa(), new Uint8Array(ok), 24, env, { maxDecompressedBytes: TEXT.length })),
        'ok',
      );
      // The IP length field caps it too: a transport packet may not grow past 65535 bytes.
      const withBody = (n: number) => {
        const big = deflateRawSync(new Uint8Array(n));
        const q = new Uint8Array(28 + big.length);
        q.set(p.subarray(0, 28));
        q.set(big, 28);
        return fixLen(q);
      };
      assert.equal(reason(ipcompInput(mkSa(), withBody(65535 - 24), 24, env)), 'ok', 'exactly 65535 bytes');
      assert.equal(reason(ipcompInput(mkSa(), withBody(65535 - 24 + 1), 24, env)), 'ipcomps_toobig');
    });
  });

  it('SAD lookup by CPI: negotiated CPIs like SPIs, well-known CPIs by algorithm (KAME ipcomp_input)', () => {
    const sad = new Sad({ clock: new ManualClock(), rng: new SeededRng('l') });
    const raw = mkSa({ spi: 0x5000, flags: SADB_X_EXT_RAWCPI }, sad);
    const wk = mkSa({ spi: 0x6000 }, sad);
    assert.equal(sad.lookupIpcompIn(B4, 0x5000), raw);
    assert.equal(sad.lookupIpcompIn(B4, 0x6000), wk);
    assert.equal(sad.lookupIpcompIn(B4, 2), wk, 'CPI 2 = DEFLATE, the SA that sends it');
    assert.equal(sad.lookupIpcompIn(A4, 2), undefined, 'other destination');
    assert.equal(sad.lookupIpcompIn(B4, 3), undefined, 'LZS: none');
  });

  it('fuzz: 10,000 mutated plain packets into ipcompOutput (both modes), no exception (fixed seed)', () => {
    const sas = [mkSa(), mkSa({ mode: 'tunnel' }), mkSa({ src: A6, dst: B6 })];
    const plains = [v4(TEXT.subarray(0, 200)), v6(TEXT.subarray(0, 200))];
    fc.assert(
      fc.property(
        fc.nat({ max: 2 }),
        fc.nat({ max: 1 }),
        fc.array(fc.tuple(fc.nat({ max: 63 }), fc.nat({ max: 255 })), { maxLength: 4 }),
        fc.nat({ max: 250 }),
        (s, p, edits, cut) => {
          const q = plains[p]!.slice(0, Math.max(0, plains[p]!.length - cut));
          for (const [pos, val] of edits) if (q.length) q[pos % q.length] = val;
          const r = ipcompOutput(sas[s]!, q, env);
          if (!r.ok) assert.ok(isStatName(r.reason), r.reason);
          else if (r.stat) assert.ok(isStatName(r.stat));
        },
      ),
      { seed: 0x3173, numRuns: 10_000 },
    );
  });

  it('fuzz: 100,000 mutated IPComp packets into ipcompInput, no exception, only ipcompstat reasons (fixed seed)', () => {
    const bases = [
      { sa: mkSa(), p: out(ipcompOutput(mkSa(), v4(TEXT.subarray(0, 300)), env)) },
      {
        sa: mkSa({ src: A6, dst: B6 }),
        p: out(ipcompOutput(mkSa({ src: A6, dst: B6 }), v6(TEXT.subarray(0, 300)), env)),
      },
      { sa: mkSa({ mode: 'tunnel' }), p: out(ipcompOutput(mkSa({ mode: 'tunnel' }), v4(TEXT.subarray(0, 300)), env)) },
    ].map((b) => ({ ...b, off: b.sa.mode === 'tunnel' ? 20 : compOff(b.p) }));
    const seen = new Map<string, number>();
    // Most edits land in the headers (our parsing); one in twelve anywhere, mostly the DEFLATE body, where
    // a failing zlib inflate costs ~100-250 µs: that keeps 100,000 runs to a few seconds.
    const edit = fc.tuple(fc.nat({ max: 11 }), fc.nat({ max: 4095 }), fc.nat({ max: 255 }));
    fc.assert(
      fc.property(
        fc.nat({ max: bases.length - 1 }),
        fc.array(edit, { minLength: 1, maxLength: 3 }),
        fc.nat({ max: 100 }),
        (b, edits, cut) => {
          const base = bases[b]!;
          const p = base.p.slice(0, base.p.length - (cut > 97 ? cut - 97 : 0));
          for (const [where, pos, val] of edits) {
            if (p.length)
              p[where === 0 ? pos % p.length : pos % Math.min(p.length, base.off + IPCOMP_HEADER_BYTES)] = val;
          }
          const r = ipcompInput(base.sa, p, base.off, env);
          const k = reason(r);
          seen.set(k, (seen.get(k) ?? 0) + 1);
          if (!r.ok) assert.ok(isStatName(r.reason), r.reason);
        },
      ),
      { seed: 3173, numRuns: FUZZ_RUNS },
    );
    for (const want of ['ok', 'ipcomps_crypto', 'ipcomps_hdrops', 'ipcomps_notdb'])
      assert.ok(seen.has(want), `fuzz reached ${want}: ${[...seen.keys()]}`);
  });
});

function fixLen(p: Uint8Array): Uint8Array {
  p[2] = p.length >> 8;
  p[3] = p.length & 0xff;
  return p;
}
