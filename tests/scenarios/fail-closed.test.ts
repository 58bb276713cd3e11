// Scenario: the fail-closed rules. Output under `require` with no SA sends nothing (checked on a tap of the
// wire) and raises ACQUIRE once, rate-limited as KAME does (blockacq_count 10, blockacq_lifetime 20 s, a
// GETSPI/larval SA holding the state); `use` sends in plain and still asks for an SA. Input that policy wants
// protected but arrives in plain, or protected the wrong way, is dropped and counted (ipsecstat in_polvio).
import { strict as assert } from 'node:assert';
import { ManualClock } from '../../common/clock.js';
import type { Host, HostEvent } from '../../kernel/host/host.js';
import { createSocketPolicy } from '../../kernel/spd/spd.js';
import { BLOCKACQ_COUNT, BLOCKACQ_LIFETIME_SEC } from '../../kernel/sad/acquire.js';
import { formatAddr } from '../../common/inet.js';
import { settle, makeHost, attach, segment, addSaPair, ip, anyFrameContains, protocols, type Segment } from './lab.js';

const A = '192.0.2.1',
  B = '192.0.2.2';
const SECRET = new TextEncoder().encode('this must never be seen in plaintext');

function pair(): {
  a: Host;
  b: Host;
  seg: Segment;
  clock: ManualClock;
  acq: Extract<HostEvent, { type: 'acquire' }>[];
} {
  const clock = new ManualClock(1_700_000_000_000);
  const seg = segment();
  const a = makeHost('a', clock),
    b = makeHost('b', clock);
  attach(a, seg, 'eth0', [`${A}/24`]);
  attach(b, seg, 'eth0', [`${B}/24`]);
  const acq: Extract<HostEvent, { type: 'acquire' }>[] = [];
  a.onEvent((ev) => {
    if (ev.type === 'acquire') acq.push(ev);
  });
  return { a, b, seg, clock, acq };
}

function requireOut(
  h: Host,
  src: string,
  dst: string,
  level: 'require' | 'use' | 'unique' = 'require',
  proto: 'esp' | 'ah' = 'esp',
) {
  return h.spd.addPolicy({
    src: `${src}/32`,
    dst: `${dst}/32`,
    dir: 'out',
    action: 'ipsec',
    requests: [{ proto, mode: 'transport', level }],
  });
}

function requireIn(h: Host, src: string, dst: string, mode: 'transport' | 'tunnel' = 'transport') {
  const req =
    mode === 'tunnel'
      ? { proto: 'esp' as const, mode, src, dst, level: 'require' as const }
      : { proto: 'esp' as const, mode, level: 'require' as const };
  return h.spd.addPolicy({ src: `${src}/32`, dst: `${dst}/32`, dir: 'in', action: 'ipsec', requests: [req] });
}

describe('scenario fail-closed output', () => {
  it('require with no SA: nothing leaves, every packet is a counted drop, one ACQUIRE per blockacq_count+1 triggers', async () => {
    const { a, seg, acq } = pair();
    const pol = requireOut(a, A, B);
    const s = a.udpSocket();
    for (let i = 0; i < BLOCKACQ_COUNT + 1; i++) assert.equal(s.send(SECRET, B, 9), false);
    await settle();
    assert.equal(seg.frames.length, 0, 'no frame at all left the host');
    assert.equal(a.stats.get('ips_out_nosa'), BLOCKACQ_COUNT + 1);
    assert.equal(acq.length, 1);
    const ev = acq[0]!;
    assert.equal(ev.policyId, pol.id);
    assert.equal(ev.saidx.proto, 'esp');
    assert.equal(ev.saidx.mode, 'transport');
    assert.equal(formatAddr(ev.saidx.src), A);
    assert.equal(formatAddr(ev.saidx.dst), B);
    assert.equal(ev.selector.proto, 17);
    assert.equal(ev.selector.dport, 9);
    // The next trigger after the suppressed ones asks again, with the same sequence number (same acq entry).
    s.send(SECRET, B, 9);
    assert.equal(acq.length, 2);
    assert.equal(acq[1]!.seq, ev.seq);
    const pings = a.ping(B, { count: 1, intervalMs: 0, timeoutMs: 10 });
    await settle();
    (a.clock as ManualClock).advance(10);
    assert.deepEqual(await pings, []);
    assert.equal(anyFrameContains(seg.frames, SECRET), false);
  });

  it('a larval SA (GETSPI in progress) holds the acquire state; the entry expires after blockacq_lifetime', async () => {
    const { a, clock, acq } = pair();
    requireOut(a, A, B);
    const s = a.udpSocket();
    s.send(SECRET, B, 9);
    assert.equal(acq.length, 1);
    // racoon: GETSPI for the inbound SA (B -> A) with the ACQUIRE's seq.
    a.sad.getSpi({ proto: 'esp', src: ip(B), dst: ip(A), pid: 42, seq: acq[0]!.seq });
    assert.equal(a.acquireRefresh(acq[0]!.seq), true);
    for (let i = 0; i < 3 * (BLOCKACQ_COUNT + 1); i++) s.send(SECRET, B, 9);
    assert.equal(acq.length, 1, 'the larval SA keeps the kernel quiet');
    clock.advance((BLOCKACQ_LIFETIME_SEC + 1) * 1000); // larval SA (30 s) still there, acq entry (20 s) gone
    s.send(SECRET, B, 9);
    assert.equal(acq.length, 2);
    assert.notEqual(acq[1]!.seq, acq[0]!.seq, 'a new acquire entry');
    assert.equal(a.acquireRefresh(999_999), false);
  });

  it('once the SA is installed the same socket traffic flows encrypted', async () => {
    const { a, b, seg, acq } = pair();
    requireOut(a, A, B);
    requireOut(b, B, A);
    const sb = b.udpSocket();
    sb.bind(9);
    const got: Uint8Array[] = [];
    sb.onMessage((d) => got.push(d));
    a.udpSocket().send(SECRET, B, 9);
    assert.equal(acq.length, 1);
    addSaPair([a, b], { proto: 'esp' }, A, B, 0x5000);
    a.udpSocket().send(SECRET, B, 9);
    await settle();
    assert.equal(got.length, 1);
    assert.deepEqual(protocols(seg.frames), [50]);
    assert.equal(anyFrameContains(seg.frames, SECRET), false);
    // The SA served its index, so the acquire entry is gone: losing the SA asks again at once.
    a.sad.delete(ip(A), ip(B), 'esp', 0x5000);
    assert.equal(a.udpSocket().send(SECRET, B, 9), false);
    assert.equal(acq.length, 2);
    assert.notEqual(acq[1]!.seq, acq[0]!.seq);
  });

  it('use with no SA: sent in plain (that is what use means) and an ACQUIRE is still raised', async () => {
    const { a, b, seg, acq } = pair();
    requireOut(a, A, B, 'use');
    const sb = b.udpSocket();
    sb.bind(9);
    let n = 0;
    sb.onMessage(() => n++);
    assert.equal(a.udpSocket().send(SECRET, B, 9), true);
    await settle();
    assert.equal(n, 1);
    assert.deepEqual(protocols(seg.frames), [17]);
    assert.equal(acq.length, 1);
    assert.equal(acq[0]!.level, 'use');
  });

  it('unique:N looks the SA up by reqid and asks for that reqid', async () => {
    const { a, acq } = pair();
    a.spd.addPolicy({
      src: `${A}/32`,
      dst: `${B}/32`,
      dir: 'out',
      action: 'ipsec',
      requests: [{ proto: 'esp', mode: 'transport', level: 'unique', reqid: 77 }],
    });
    addSaPair([a], { proto: 'esp', reqid: 5 }, A, B, 0x5100); // wrong reqid: must not be used
    assert.equal(a.udpSocket().send(SECRET, B, 9), false);
    assert.equal(acq.length, 1);
    assert.equal(acq[0]!.saidx.reqid, 77);
    addSaPair([a], { proto: 'esp', reqid: 77 }, A, B, 0x5200);
    assert.equal(a.udpSocket().send(SECRET, B, 9), true);
  });

  it('discard policies drop (ips_out_polvio); a privileged bypass socket passes a require policy (the IKE hole)', async () => {
    const { a, b, seg } = pair();
    requireOut(a, A, B);
    a.spd.addPolicy({ src: `${A}/32`, dst: '192.0.2.3/32', dir: 'out', action: 'discard' });
    assert.equal(a.udpSocket().send(SECRET, '192.0.2.3', 9), false);
    assert.equal(a.stats.get('ips_out_polvio'), 1);
    const ike = a.udpSocket();
    ike.bind(500);
    ike.setPolicy(createSocketPolicy({ privileged: true, in: { action: 'bypass' }, out: { action: 'bypass' } }));
    const sb = b.udpSocket();
    sb.bind(500);
    let n = 0;
    sb.onMessage(() => n++);
    assert.equal(ike.send(new Uint8Array(28), B, 500), true);
    await settle();
    assert.equal(n, 1);
    assert.equal(seg.frames.length, 1);
  });

  it('a socket policy (IP_IPSEC_POLICY) requiring ESP on a host without SPD entries: ACQUIRE with policy id 0', async () => {
    const { a, seg, acq } = pair();
    const s = a.udpSocket();
    s.setPolicy(
      createSocketPolicy({
        out: { action: 'ipsec', requests: [{ proto: 'esp', mode: 'transport', level: 'require' }] },
      }),
    );
    assert.equal(s.send(SECRET, B, 9), false);
    assert.equal(a.udpSocket().send(SECRET, B, 9), true, 'another socket of the same host is not affected');
    await settle();
    assert.equal(acq.length, 1);
    assert.equal(acq[0]!.policyId, 0);
    assert.equal(seg.frames.length, 1);
  });

  it('an SA past its hard lifetime is gone: require drops again and ACQUIREs', async () => {
    const { a, b, clock, acq } = pair();
    requireOut(a, A, B);
    for (const h of [a, b]) {
      h.sad.add({
        spi: 0x6000,
        proto: 'esp',
        mode: 'transport',
        src: ip(A),
        dst: ip(B),
        encAlg: 'aes-gcm-16',
        encKey: new Uint8Array(20).fill(7),
        hard: { addtimeSec: 60 },
      });
    }
    assert.equal(a.udpSocket().send(SECRET, B, 9), true);
    const events: string[] = [];
    a.onEvent((ev) => {
      if (ev.type === 'expire') events.push(`${ev.kind}:${ev.reason}`);
    });
    clock.advance(61_000);
    assert.deepEqual(events, ['hard:addtime']);
    assert.equal(a.udpSocket().send(SECRET, B, 9), false);
    assert.equal(acq.length, 1);
  });
});

describe('scenario fail-closed input', () => {
  it('plaintext that the inbound policy requires protected is dropped and counted; pings go unanswered', async () => {
    const { a, b, clock } = pair();
    requireIn(b, A, B);
    const sb = b.udpSocket();
    sb.bind(9);
    let n = 0;
    sb.onMessage(() => n++);
    a.udpSocket().send(SECRET, B, 9);
    const p = a.ping(B, { count: 2, intervalMs: 0, timeoutMs: 100 });
    await settle();
    clock.advance(100);
    assert.deepEqual(await p, []);
    assert.equal(n, 0);
    assert.equal(b.stats.get('ips_in_polvio'), 3);
    assert.equal(b.netstat.get('icps_reflect'), 0);
  });

  it('a socket whose inbound policy requires ESP does not receive plaintext; a socket without one does', async () => {
    const { a, b } = pair();
    const strict = b.udpSocket();
    strict.bind(9);
    strict.setPolicy(
      createSocketPolicy({
        in: { action: 'ipsec', requests: [{ proto: 'esp', mode: 'transport', level: 'require' }] },
      }),
    );
    const lax = b.udpSocket();
    lax.bind(10);
    let nStrict = 0,
      nLax = 0;
    strict.onMessage(() => nStrict++);
    lax.onMessage(() => nLax++);
    a.udpSocket().send(SECRET, B, 9);
    a.udpSocket().send(SECRET, B, 10);
    await settle();
    assert.deepEqual([nStrict, nLax], [0, 1]);
    assert.equal(b.stats.get('ips_in_polvio'), 1);
  });

  it('protected the wrong way (AH when ESP is required, transport when tunnel is required) is dropped', async () => {
    const { a, b } = pair();
    addSaPair([a, b], { proto: 'ah' }, A, B, 0x7000);
    requireOut(a, A, B, 'require', 'ah');
    requireIn(b, A, B);
    const sb = b.udpSocket();
    sb.bind(9);
    let n = 0;
    sb.onMessage(() => n++);
    a.udpSocket().send(SECRET, B, 9);
    await settle();
    assert.equal(b.stats.get('ahs_input'), 1, 'AH itself verified');
    assert.equal(b.stats.get('ips_in_polvio'), 1);
    assert.equal(n, 0);

    const c = pair();
    addSaPair([c.a, c.b], { proto: 'esp' }, A, B, 0x7100);
    requireOut(c.a, A, B);
    requireIn(c.b, A, B, 'tunnel');
    c.b.udpSocket().bind(9); // the check runs with the receiving socket's policy, so there must be one
    c.a.udpSocket().send(SECRET, B, 9);
    await settle();
    assert.equal(c.b.stats.get('esps_input'), 1);
    assert.equal(c.b.stats.get('ips_in_polvio'), 1);
  });
});
