// Fuzz (fast-check, fixed seeds): mutated ESP packets into espInput, datagrams into the ESP-in-UDP path,
// and inner packets into the tunnel strip. Every input gives a result or a named drop, never an exception.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { espOutput, espInput } from '../../../kernel/ipsec/esp.js';
import { classifyUdpEncap, stripUdpEncap, fixupTransportChecksum } from '../../../kernel/ipsec/udp-encap.js';
import { stripOuter } from '../../../kernel/ipsec/tunnel.js';
import type { SecAssoc } from '../../../kernel/sad/secassoc.js';
import type { TransformResult } from '../../../kernel/ipsec/transform.js';
import { makeSa, peerSa, env, ipv4, ipv6, udp, tcp, bytes, type SaSpec } from './esp-support.js';

const SLOW = Boolean(process.env.UIPSEC_SLOW);
const ESP_RUNS = SLOW ? 2_000_000 : 100_000;
const OTHER_RUNS = SLOW ? 500_000 : 20_000;

interface Base {
  rx: SecAssoc;
  pkt: Uint8Array;
  espOffset: number;
}

/** Valid packets from a few SAs; the NULL/no-ICV ones let mutations reach padding and header checks. */
function bases(): Base[] {
  const specs: SaSpec[] = [
    { enc: 'null', mode: 'transport', replayBits: 0 },
    { enc: 'null', mode: 'tunnel', replayBits: 0 },
    { enc: 'null', mode: 'any', replayBits: 0, esn: true },
    { enc: 'aes-cbc', auth: 'hmac-sha1', mode: 'transport' },
    { enc: 'aes-gcm-16', mode: 'tunnel', esn: true },
    { enc: 'null', auth: 'hmac-sha256', mode: 'tunnel', tfcPadTo: 120, replayBits: 0 },
  ];
  const packets = [
    ipv4('192.0.2.1', '192.0.2.2', 17, udp('192.0.2.1', '192.0.2.2', 1, 2, bytes(23))),
    ipv6('2001:db8::1', '2001:db8::2', 6, tcp('2001:db8::1', '2001:db8::2', 3, 4, bytes(7))),
    ipv4('192.0.2.1', '192.0.2.2', 59, new Uint8Array(0)),
    ipv6('2001:db8::1', '2001:db8::2', 17, bytes(1), 0, 0, {
      firstNh: 0,
      bytes: new Uint8Array([17, 0, 1, 4, 0, 0, 0, 0]),
    }),
  ];
  const out: Base[] = [];
  for (const s of specs) {
    for (const p of packets) {
      const v6 = p[0]! >> 4 === 6;
      const tx = makeSa({ ...s, src: v6 ? '2001:db8::1' : '192.0.2.1', dst: v6 ? '2001:db8::2' : '192.0.2.2' });
      const r = espOutput(tx, p, env());
      if (!r.ok) continue;
      const espOffset = v6 ? (p[6] === 0 && s.mode !== 'tunnel' ? 48 : 40) : 20;
      out.push({ rx: peerSa(tx), pkt: r.packet, espOffset });
    }
  }
  return out;
}

function checkResult(r: TransformResult): void {
  assert.equal(typeof r.ok, 'boolean');
  if (!r.ok) assert.match(r.reason, /^esps_[a-z]+$/);
  else assert.ok(r.packet instanceof Uint8Array);
}

const mutation = fc.record({
  base: fc.nat(),
  edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
  cut: fc.option(fc.nat(), { nil: undefined }),
  extra: fc.option(fc.uint8Array({ maxLength: 24 }), { nil: undefined }),
  offset: fc.option(fc.integer({ min: -4, max: 90 }), { nil: undefined }),
});

function mutate(b: Base, m: { edits: [number, number][]; cut?: number; extra?: Uint8Array }): Uint8Array {
  let p = Uint8Array.from(b.pkt);
  for (const [pos, v] of m.edits) if (p.length) p[pos % p.length] = v;
  if (m.cut !== undefined) p = p.subarray(0, m.cut % (p.length + 1));
  if (m.extra) p = new Uint8Array([...p, ...m.extra]);
  return p;
}

describe('kernel/esp: fuzz', () => {
  const all = bases();

  it(`has a spread of base packets (${all.length})`, () => {
    assert.ok(all.length >= 20);
    for (const b of all) {
      const r = espInput(peerSa(b.rx), Uint8Array.from(b.pkt), b.espOffset, env());
      assert.ok(r.ok || r.reason === 'esps_dummy', r.ok ? '' : r.reason);
    }
  });

  it(`${ESP_RUNS} mutated packets into espInput: a result or a named esps_* drop, never a throw (seed 4303)`, () => {
    const e = env('fuzz');
    const reasons = new Map<string, number>();
    let accepted = 0;
    fc.assert(
      fc.property(mutation, (m) => {
        const b = all[m.base % all.length]!;
        const r = espInput(b.rx, mutate(b, m), m.offset ?? b.espOffset, e);
        checkResult(r);
        if (r.ok) accepted++;
        else reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + 1);
      }),
      { seed: 4303, numRuns: ESP_RUNS },
    );
    // The mutations must reach the deep checks, not only the length gate.
    for (const want of ['esps_hdrops', 'esps_badauth', 'esps_badpad', 'esps_badenc', 'esps_replay']) {
      assert.ok((reasons.get(want) ?? 0) > 0, `no ${want} among ${[...reasons.keys()].join(', ')}`);
    }
    assert.ok(accepted > 0);
  });

  it(`${OTHER_RUNS} datagrams through classify -> strip -> espInput -> fix-up (seed 3948)`, () => {
    const tx = makeSa({ enc: 'null', mode: 'transport', replayBits: 0, natt: { sport: 4500, dport: 4500 } });
    const rx = peerSa(tx);
    const seeds = [
      (
        espOutput(tx, ipv4('192.0.2.1', '192.0.2.2', 6, tcp('192.0.2.1', '192.0.2.2', 1, 2, bytes(30))), env()) as {
          packet: Uint8Array;
        }
      ).packet,
      ipv4('192.0.2.1', '192.0.2.2', 17, udp('192.0.2.1', '192.0.2.2', 4500, 4500, new Uint8Array([0xff]))),
      ipv6(
        '2001:db8::1',
        '2001:db8::2',
        17,
        udp('2001:db8::1', '2001:db8::2', 4500, 4500, new Uint8Array([0, 0, 0, 0, 1, 2, 3])),
      ),
    ];
    fc.assert(
      fc.property(mutation, (m) => {
        const p = mutate({ rx, pkt: seeds[m.base % seeds.length]!, espOffset: 0 }, m);
        const k = classifyUdpEncap(p);
        if (k.kind === 'drop') {
          assert.match(k.reason, /^(udps|esps)_[a-z]+$/);
          return;
        }
        if (k.kind !== 'esp') return;
        const s = stripUdpEncap(p);
        if (!s) return;
        const r = espInput(rx, s.packet, s.espOffset, env());
        checkResult(r);
        if (r.ok) fixupTransportChecksum(r.packet, rx.natt);
      }),
      { seed: 3948, numRuns: OTHER_RUNS },
    );
  });

  it(`${OTHER_RUNS} byte strings into stripOuter (seed 6040)`, () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 80 }),
        fc.nat(),
        fc.constantFrom(4, 41, 0, 50),
        fc.integer({ min: 0, max: 3 }),
        (b, start, nh, ecn) => {
          const s = b.length ? start % b.length : 0;
          const r = stripOuter(b, s, b.length, nh, ecn);
          if (r.ok) assert.ok(r.packet.length <= b.length - s);
          else assert.ok(['inner-proto', 'inner-short', 'inner-length', 'ecn-drop'].includes(r.error));
        },
      ),
      { seed: 6040, numRuns: OTHER_RUNS },
    );
  });
});
