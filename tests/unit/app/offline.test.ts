// app/pcap/offline.ts: the offline kernel loaded by setkey; encap/decap verdicts (transport, tunnel, no
// policy, discard, inbound policy check), seeded determinism, and a fixed-seed fuzz of decap over mutated
// ESP packets and random bytes: every packet gets a verdict, nothing throws.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { SeededRng } from '../../../common/rng.js';
import { parseAddr } from '../../../common/inet.js';
import { buildUdpPacket } from '../../../kernel/ip/packet.js';
import { OfflineIpsec } from '../../../app/pcap/offline.js';

const CONF = `
add 192.0.2.1 192.0.2.2 esp 0x500 -m transport -E aes-gcm-16 0x000102030405060708090a0b0c0d0e0f10111213;
add 192.0.2.1 192.0.2.9 esp 0x501 -m tunnel -E aes-cbc 0x000102030405060708090a0b0c0d0e0f -A hmac-sha1 0x000102030405060708090a0b0c0d0e0f10111213;
spdadd 192.0.2.1 192.0.2.2 any -P out ipsec esp/transport//require;
spdadd 192.0.2.1 192.0.2.2 any -P in ipsec esp/transport//require;
spdadd 10.0.0.0/8 10.9.0.0/16 any -P out ipsec esp/tunnel/192.0.2.1-192.0.2.9/require;
spdadd 10.0.0.0/8 10.9.0.0/16 any -P in ipsec esp/tunnel/192.0.2.1-192.0.2.9/require;
spdadd 192.0.2.1 192.0.2.66 any -P out discard;
`;

const ip = (s: string) => parseAddr(s)!;
const udp = (src: string, dst: string, text = 'payload') =>
  buildUdpPacket({ src: ip(src), dst: ip(dst), id: 9 }, 1000, 2000, new TextEncoder().encode(text));

async function engine(seed?: string, policyCheck = true): Promise<OfflineIpsec> {
  const e = new OfflineIpsec({ rng: seed ? new SeededRng(seed) : undefined, policyCheck });
  const r = await e.load('t.conf', CONF);
  assert.equal(r.code, 0, r.err);
  return e;
}

describe('app/pcap/offline', () => {
  it('transport ESP: encap changes the packet (protocol 50, SPI 0x500), decap gives the original bytes', async () => {
    const e = await engine();
    const p = udp('192.0.2.1', '192.0.2.2');
    const v = e.encap(p);
    assert.equal(v.kind, 'changed');
    if (v.kind !== 'changed') return;
    assert.equal(v.ip[9], 50);
    assert.deepEqual([...v.ip.subarray(20, 24)], [0, 0, 5, 0]);
    const d = e.decap(v.ip);
    assert.equal(d.kind, 'changed');
    if (d.kind === 'changed') assert.deepEqual(Buffer.from(d.ip), Buffer.from(p));
    e.close();
  });

  it('tunnel ESP: the outer header is 192.0.2.1 -> 192.0.2.9; decap returns the inner packet', async () => {
    const e = await engine();
    const p = udp('10.1.2.3', '10.9.8.7');
    const v = e.encap(p);
    assert.equal(v.kind, 'changed');
    if (v.kind !== 'changed') return;
    assert.deepEqual([...v.ip.subarray(12, 20)], [192, 0, 2, 1, 192, 0, 2, 9]);
    const d = e.decap(v.ip);
    assert.ok(d.kind === 'changed' && Buffer.from(d.ip).equals(Buffer.from(p)));
    e.close();
  });

  it('no policy: passed; discard: dropped as ips_out_polvio; plaintext where "in" requires ESP: ips_in_polvio unless the check is off', async () => {
    const e = await engine();
    assert.equal(e.encap(udp('192.0.2.1', '203.0.113.5')).kind, 'passed');
    assert.deepEqual(e.encap(udp('192.0.2.1', '192.0.2.66')), { kind: 'dropped', reason: 'ips_out_polvio' });
    assert.deepEqual(e.decap(udp('192.0.2.1', '192.0.2.2')), { kind: 'dropped', reason: 'ips_in_polvio' });
    e.close();
    const lax = await engine(undefined, false);
    assert.equal(lax.decap(udp('192.0.2.1', '192.0.2.2')).kind, 'passed');
    lax.close();
  });

  it('ESP-in-UDP (setkey esp-udp, RFC 3948): encap gives UDP 4500 -> 4500 with checksum 0 before the SPI; decap restores the packet', async () => {
    const e = new OfflineIpsec();
    const r = await e.load(
      'natt.conf',
      `add 192.0.2.1[4500] 192.0.2.2[4500] esp-udp 0x600 -m transport -E aes-gcm-16 0x000102030405060708090a0b0c0d0e0f10111213;
spdadd 192.0.2.1 192.0.2.2 any -P out ipsec esp/transport//require;
spdadd 192.0.2.1 192.0.2.2 any -P in ipsec esp/transport//require;`,
    );
    assert.equal(r.code, 0, r.err);
    const p = udp('192.0.2.1', '192.0.2.2', 'behind a NAT');
    const v = e.encap(p);
    assert.equal(v.kind, 'changed');
    if (v.kind !== 'changed') return;
    assert.equal(v.ip[9], 17, 'UDP');
    // UDP header: ports 4500/4500, length, checksum 0 (RFC 3948 §2.1), then the ESP SPI.
    assert.deepEqual([...v.ip.subarray(20, 24)], [0x11, 0x94, 0x11, 0x94]);
    assert.deepEqual([...v.ip.subarray(26, 32)], [0, 0, 0, 0, 6, 0]);
    const d = e.decap(v.ip);
    assert.ok(d.kind === 'changed' && Buffer.from(d.ip).equals(Buffer.from(p)));
    e.close();
  });

  it('a seeded engine gives the same bytes twice (IVs from the seed); another seed differs', async () => {
    const p = udp('10.1.2.3', '10.9.8.7');
    const run = async (seed: string) => {
      const e = await engine(seed);
      const v = e.encap(p);
      e.close();
      return v.kind === 'changed' ? Buffer.from(v.ip) : undefined;
    };
    const [x, y, z] = [await run('s1'), await run('s1'), await run('s2')];
    assert.ok(x && y && z);
    assert.ok(x.equals(y));
    assert.ok(!x.equals(z));
  });

  it('fuzz (fixed seed): mutated ESP packets and random bytes through decap and encap never throw; tampering never decaps to a changed packet', async () => {
    const e = await engine('fuzz');
    const good = e.encap(udp('192.0.2.1', '192.0.2.2', 'fuzz me'));
    assert.equal(good.kind, 'changed');
    const base = good.kind === 'changed' ? good.ip : new Uint8Array();
    const mutated = fc
      .array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 })
      .map((edits) => {
        const b = base.slice();
        for (const [i, x] of edits) b[i] = b[i]! ^ x;
        return b;
      });
    fc.assert(
      fc.property(mutated, (b) => {
        const v = e.decap(b);
        // Any change to the ESP part must fail the ICV; header-only changes may still decap (the IPv4
        // header is not covered by ESP) but never to a different payload.
        if (v.kind === 'changed')
          assert.ok(
            Buffer.from(v.ip.subarray(20)).equals(Buffer.from(udp('192.0.2.1', '192.0.2.2', 'fuzz me').subarray(20))),
          );
      }),
      { seed: 0xe5b, numRuns: process.env.UIPSEC_SLOW ? 100_000 : 2_000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
        e.decap(b);
        e.encap(b);
      }),
      { seed: 0xe5c, numRuns: process.env.UIPSEC_SLOW ? 100_000 : 2_000 },
    );
    e.close();
  });
});
