// Property (fast-check, fixed seed): for a random bundle (a random subset of ESP/AH/IPComp in a random order,
// each in transport or tunnel mode), random family, payload size, ESP suite, ESP-in-UDP or not, and link MTU
// (1280-1500, so packets are fragmented after IPsec), installed on both hosts as
// setkey would, a UDP datagram arrives intact and exactly once; the inbound policy accepts it; the receiver's
// ESP/AH history is the bundle's ESP/AH layers outermost first; and when ESP is in the bundle no frame on
// the wire carries the plaintext.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { ManualClock } from '../../../common/clock.js';
import type { IpsecProto } from '../../../kernel/sad/secassoc.js';
import {
  settle,
  makeHost,
  attach,
  segment,
  addSaPair,
  policyPair,
  anyFrameContains,
  type Req,
} from '../../scenarios/lab.js';

const RUNS = process.env.UIPSEC_SLOW ? 3_000 : 120;

interface Layer {
  proto: IpsecProto;
  mode: 'transport' | 'tunnel';
}

const bundleArb = fc
  .uniqueArray(fc.constantFrom<IpsecProto>('esp', 'ah', 'ipcomp'), { minLength: 1, maxLength: 3 })
  .chain((protos) =>
    fc.tuple(
      ...protos.map((p) =>
        fc.constantFrom<'transport' | 'tunnel'>('transport', 'tunnel').map((mode): Layer => ({ proto: p, mode })),
      ),
    ),
  );

describe(`host bundles (${RUNS} random bundles, fixed seed)`, () => {
  it('deliver intact, pass the inbound check, peel in order, and never leak ESP-protected plaintext', async () => {
    await fc.assert(
      fc.asyncProperty(
        bundleArb,
        fc.boolean(),
        fc.integer({ min: 1, max: 3000 }),
        fc.constantFrom('gcm', 'cbc'),
        fc.boolean(),
        fc.integer({ min: 0, max: 220 }),
        async (bundle, v6, size, suite, natt, mtuCut) => {
          const [A, B, len] = v6 ? ['2001:db8::1', '2001:db8::2', 128] : ['192.0.2.1', '192.0.2.2', 32];
          const clock = new ManualClock(1_700_000_000_000);
          const seg = segment({ mtu: 1500 - mtuCut }); // fragmentation after IPsec, reassembly before it
          const a = makeHost('a', clock),
            b = makeHost('b', clock);
          attach(a, seg, 'eth0', [`${A}/${len === 32 ? 24 : 64}`]);
          attach(b, seg, 'eth0', [`${B}/${len === 32 ? 24 : 64}`]);
          bundle.forEach((l, i) =>
            addSaPair(
              [a, b],
              {
                proto: l.proto,
                mode: l.mode,
                ...(l.proto === 'esp' && suite === 'cbc' ? { enc: 'aes-cbc', auth: 'hmac-sha1' } : {}),
                ...(l.proto === 'esp' && natt ? { natt: { sport: 4500, dport: 4500 } } : {}),
              },
              A,
              B,
              0x1000 + 0x10 * i,
            ),
          );
          const reqs: Req[] = bundle.map((l) => ({
            proto: l.proto,
            mode: l.mode,
            tunnel: l.mode === 'tunnel' ? [A, B] : undefined,
          }));
          policyPair(a, b, `${A}/${len}`, `${B}/${len}`, reqs);
          const text = new TextEncoder().encode('the quick brown fox jumps over the lazy dog ');
          const data = Uint8Array.from({ length: size }, (_, i) => text[i % text.length]!);
          const rx = b.udpSocket();
          rx.bind(9);
          const got: { data: Uint8Array; layers: string[] }[] = [];
          rx.onMessage((d, from) => got.push({ data: d, layers: from.layers.map((l) => l.proto) }));
          assert.equal(a.udpSocket().send(data, B, 9), true);
          await settle();
          assert.equal(
            got.length,
            1,
            JSON.stringify({ bundle, a: a.stats.nonZero(), b: b.stats.nonZero(), bn: b.netstat.nonZero() }),
          );
          assert.deepEqual(got[0]!.data, data);
          const expect = bundle
            .filter((l) => l.proto !== 'ipcomp')
            .map((l) => l.proto)
            .reverse();
          assert.deepEqual(
            got[0]!.layers.filter((p) => p !== 'ipcomp'),
            expect,
          );
          assert.equal(b.stats.get('ips_in_polvio'), 0);
          if (bundle.some((l) => l.proto === 'esp') && size >= 44)
            assert.equal(anyFrameContains(seg.frames, data.subarray(0, 44)), false);
          a.close();
          b.close();
        },
      ),
      { seed: 4301, numRuns: RUNS },
    );
  });
});

/** The naive oracle: is every ESP/AH request of `need` (innermost first) found, in order and mode, in `sent`? */
function naiveAccepts(need: Layer[], sent: Layer[]): boolean {
  let at = 0;
  for (const r of need) {
    if (r.proto === 'ipcomp') continue;
    while (at < sent.length && !(sent[at]!.proto === r.proto && sent[at]!.mode === r.mode)) at++;
    if (at === sent.length) return false;
    at++;
  }
  return true;
}

describe(`host inbound policy vs a naive oracle (${RUNS} random sender/receiver bundle pairs, fixed seed)`, () => {
  it("a datagram is delivered exactly when the receiver's required layers were applied, else counted in_polvio", async () => {
    await fc.assert(
      fc.asyncProperty(bundleArb, bundleArb, async (sent, need) => {
        const [A, B] = ['192.0.2.1', '192.0.2.2'];
        const clock = new ManualClock(1_700_000_000_000);
        const seg = segment();
        const a = makeHost('a', clock),
          b = makeHost('b', clock);
        attach(a, seg, 'eth0', [`${A}/24`]);
        attach(b, seg, 'eth0', [`${B}/24`]);
        // Both hosts hold SAs for every protocol and mode the sender uses; only the policies differ.
        sent.forEach((l, i) => addSaPair([a, b], { proto: l.proto, mode: l.mode }, A, B, 0x1000 + 0x10 * i));
        const req = (ls: Layer[]) =>
          ls.map((l) => ({
            proto: l.proto,
            mode: l.mode,
            level: 'require' as const,
            ...(l.mode === 'tunnel' ? { src: A, dst: B } : {}),
          }));
        a.spd.addPolicy({ src: `${A}/32`, dst: `${B}/32`, dir: 'out', action: 'ipsec', requests: req(sent) });
        b.spd.addPolicy({ src: `${A}/32`, dst: `${B}/32`, dir: 'in', action: 'ipsec', requests: req(need) });
        const rx = b.udpSocket();
        rx.bind(9);
        let n = 0;
        rx.onMessage(() => n++);
        a.udpSocket().send(new Uint8Array(300).fill(0x61), B, 9);
        await settle();
        const ok = naiveAccepts(need, sent);
        assert.equal(n, ok ? 1 : 0, JSON.stringify({ sent, need }));
        assert.equal(b.stats.get('ips_in_polvio'), ok ? 0 : 1);
        a.close();
        b.close();
      }),
      { seed: 4302, numRuns: RUNS },
    );
  });
});

describe(`gateway tunnel bundles (${Math.ceil(RUNS / 2)} random bundles, fixed seed)`, () => {
  it('hosts behind two gateways reach each other through any ESP/AH/IPComp tunnel bundle, both families, any MTU', async () => {
    const tunnelArb = fc.uniqueArray(fc.constantFrom<IpsecProto>('esp', 'ah', 'ipcomp'), {
      minLength: 1,
      maxLength: 3,
    });
    await fc.assert(
      fc.asyncProperty(
        tunnelArb,
        fc.boolean(),
        fc.integer({ min: 1, max: 2500 }),
        fc.integer({ min: 0, max: 220 }),
        async (protos, v6, size, mtuCut) => {
          const P = v6
            ? { l1: '2001:db8:1::', l2: '2001:db8:2::', w: '2001:db8:ff::', len: 64, any: '::/0' }
            : { l1: '10.1.0.', l2: '10.2.0.', w: '198.51.100.', len: 24, any: '0.0.0.0/0' };
          const at = (net: string, n: number) => `${net}${n}`;
          const clock = new ManualClock(1_700_000_000_000);
          const lan1 = segment(),
            lan2 = segment(),
            wan = segment({ mtu: 1500 - mtuCut });
          const h1 = makeHost('h1', clock),
            h2 = makeHost('h2', clock);
          const g1 = makeHost('g1', clock, { forwarding: true }),
            g2 = makeHost('g2', clock, { forwarding: true });
          attach(h1, lan1, 'eth0', [`${at(P.l1, 10)}/${P.len}`]);
          attach(g1, lan1, 'eth0', [`${at(P.l1, 1)}/${P.len}`]);
          attach(g1, wan, 'eth1', [`${at(P.w, 1)}/${P.len}`]);
          attach(g2, wan, 'eth1', [`${at(P.w, 2)}/${P.len}`]);
          attach(g2, lan2, 'eth0', [`${at(P.l2, 1)}/${P.len}`]);
          attach(h2, lan2, 'eth0', [`${at(P.l2, 10)}/${P.len}`]);
          h1.addRoute(P.any, 'eth0', at(P.l1, 1));
          h2.addRoute(P.any, 'eth0', at(P.l2, 1));
          const [w1, w2] = [at(P.w, 1), at(P.w, 2)];
          protos.forEach((p, i) => addSaPair([g1, g2], { proto: p, mode: 'tunnel' }, w1, w2, 0x2000 + 0x10 * i));
          policyPair(
            g1,
            g2,
            `${at(P.l1, 0)}/${P.len}`,
            `${at(P.l2, 0)}/${P.len}`,
            protos.map((p) => ({ proto: p, mode: 'tunnel' as const, tunnel: [w1, w2] as [string, string] })),
          );
          const rx = h2.udpSocket();
          rx.bind(9);
          const got: Uint8Array[] = [];
          rx.onMessage((d) => got.push(d));
          const data = Uint8Array.from({ length: size }, (_, i) => 0x41 + (i % 23));
          h1.udpSocket().send(data, at(P.l2, 10), 9);
          await settle();
          assert.equal(
            got.length,
            1,
            JSON.stringify({ protos, v6, size, g2: g2.stats.nonZero(), g2n: g2.netstat.nonZero() }),
          );
          assert.deepEqual(got[0], data);
          if (protos.includes('esp') && size >= 40)
            assert.equal(anyFrameContains(wan.frames, data.subarray(0, 40)), false);
          for (const h of [g1, g2]) assert.equal(h.stats.get('ips_in_polvio'), 0);
          for (const h of [h1, h2, g1, g2]) h.close();
        },
      ),
      { seed: 4303, numRuns: Math.ceil(RUNS / 2) },
    );
  });
});
