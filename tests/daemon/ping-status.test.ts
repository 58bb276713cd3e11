// PING and STATUS on the app channel, against two in-process uipsecd daemons joined by the real UDP underlay:
// ICMP echo from A's host to B (RFC 792) in the clear, then under transport-mode ESP once both hosts have a
// policy covering ICMP and the SAs (RFC 4303; the STATUS counters esps_output/esps_input rise on both sides),
// then refused (fail closed) when A has the policy but no SA. Also IPv6 (RFC 4443 §4.1), EBUSY, EHOSTUNREACH,
// and a client that goes away in the middle of a PING.
import assert from 'node:assert/strict';
import { SeededRng } from '../../common/rng.js';
import { ManualClock } from '../../common/clock.js';
import { nullLogger } from '../../common/log.js';
import { IkeChannel, type IkePingReply } from '../../channel/index.js';
import { startDaemon, type Daemon } from '../../kernel/daemon/main.js';
import { runSetkeyInproc } from '../../app/setkey-inproc.js';
import { ip } from '../unit/keysock/support.js';
import { settle, sockDir, testConfig } from './support.js';

const KEY_AB = '0x' + '11'.repeat(16),
  AUTH_AB = '0x' + '22'.repeat(32);
const KEY_BA = '0x' + '33'.repeat(16),
  AUTH_BA = '0x' + '44'.repeat(32);
/** Both hosts: ESP transport between them for every protocol (ICMP included), keys fixed by hand. */
const SAS = `
add 10.0.0.1 10.0.0.2 esp 0x1001 -m transport -E aes-cbc ${KEY_AB} -A hmac-sha256 ${AUTH_AB};
add 10.0.0.2 10.0.0.1 esp 0x2001 -m transport -E aes-cbc ${KEY_BA} -A hmac-sha256 ${AUTH_BA};
`;
const policies = (me: string, peer: string) => `
spdadd ${me} ${peer} any -P out ipsec esp/transport//require;
spdadd ${peer} ${me} any -P in ipsec esp/transport//require;
`;

type HostStatus = {
  ipsecCounters: Record<string, number>;
  netCounters: Record<string, number>;
  sadSize: number;
  spdSize: number;
  interfaces: { name: string; addresses: string[]; mtu: number; link: string }[];
  routes: { prefix: string; iface: string }[];
};

async function statusOf(d: Daemon): Promise<HostStatus> {
  const ch = await IkeChannel.connect(d.config.ikeSocketPath);
  try {
    return (await ch.status()) as unknown as HostStatus;
  } finally {
    ch.close();
  }
}

const count = (s: HostStatus, name: string) => s.ipsecCounters[name] ?? s.netCounters[name] ?? 0;

describe('uipsecd app channel: PING (ICMP echo from the host) and STATUS', () => {
  let A: Daemon, B: Daemon;
  before(async () => {
    const under = { host: '127.0.0.1', port: 0 };
    A = await startDaemon(
      testConfig(sockDir(), { name: 'A', addresses: ['10.0.0.1/24', 'fd00::1/64'], underlay: under }),
      { rng: new SeededRng('A'), log: nullLogger },
    );
    B = await startDaemon(
      testConfig(sockDir(), { name: 'B', addresses: ['10.0.0.2/24', 'fd00::2/64'], underlay: under }),
      { rng: new SeededRng('B'), log: nullLogger },
    );
    A.underlay!.setNeighbour('10.0.0.2', B.underlay!.address());
    A.underlay!.setNeighbour('fd00::2', B.underlay!.address());
    B.underlay!.setNeighbour('10.0.0.1', A.underlay!.address());
    B.underlay!.setNeighbour('fd00::1', A.underlay!.address());
  });
  after(async () => {
    await A?.close();
    await B?.close();
  });

  it('STATUS: interfaces with addresses, MTU and link, connected routes, empty tables', async () => {
    const s = await statusOf(A);
    assert.deepEqual(
      s.interfaces.map((i) => [i.name, i.addresses, i.mtu]),
      [['ul0', ['10.0.0.1/24', 'fd00::1/64'], A.underlay!.mtu]],
    );
    assert.equal(s.interfaces[0]!.link, `udp underlay 127.0.0.1:${A.underlay!.address().port}`);
    assert.deepEqual(s.routes.map((r) => [r.prefix, r.iface]).sort(), [
      ['10.0.0.0/24', 'ul0'],
      ['fd00::/64', 'ul0'],
    ]);
    assert.deepEqual([s.sadSize, s.spdSize], [0, 0]);
  });

  it('PING in the clear: each reply as it arrives (seq, bytes = 8 + size, ttl 64, from B), then the summary', async () => {
    const ch = await IkeChannel.connect(A.config.ikeSocketPath);
    const replies: IkePingReply[] = [];
    const done = await ch.ping(ip('10.0.0.2'), { count: 3, size: 100, intervalMs: 5, timeoutMs: 5000 }, (r) =>
      replies.push(r),
    );
    ch.close();
    assert.deepEqual(done, { transmitted: 3, received: 3, errno: 0 });
    assert.deepEqual(
      replies.map((r) => [r.seq, r.bytes, r.ttl, [...r.from]]).sort(),
      [0, 1, 2].map((q) => [q, 108, 64, [10, 0, 0, 2]]),
    );
    assert.ok(replies.every((r) => r.rttUs > 0));
    const b = await statusOf(B);
    assert.equal(count(b, 'icps_reflect'), 3, 'B answered three echo requests');
    assert.equal(count(b, 'esps_input'), 0);
  });

  it('PING over IPv6 (ICMPv6 echo, RFC 4443 §4.1)', async () => {
    const ch = await IkeChannel.connect(A.config.ikeSocketPath);
    const replies: IkePingReply[] = [];
    const done = await ch.ping(ip('fd00::2'), { count: 2, size: 0, intervalMs: 0, timeoutMs: 5000 }, (r) =>
      replies.push(r),
    );
    ch.close();
    assert.deepEqual(done, { transmitted: 2, received: 2, errno: 0 });
    assert.ok(replies.every((r) => r.bytes === 8 && r.ttl === 64 && r.from.length === 16));
    assert.equal(count(await statusOf(B), 'icp6s_reflect'), 2);
  });

  it('PING under an ESP policy covering ICMP: replies come back, esps_output/esps_input rise on both hosts', async () => {
    for (const [d, me, peer] of [
      [A, '10.0.0.1', '10.0.0.2'],
      [B, '10.0.0.2', '10.0.0.1'],
    ] as const) {
      const r = await runSetkeyInproc(d.keysock, ['-c'], { stdin: SAS + policies(me, peer) });
      assert.equal(r.code, 0, r.err);
    }
    const [a0, b0] = [await statusOf(A), await statusOf(B)];
    assert.deepEqual([a0.sadSize, a0.spdSize], [2, 2]);
    const ch = await IkeChannel.connect(A.config.ikeSocketPath);
    const done = await ch.ping(ip('10.0.0.2'), { count: 4, size: 56, intervalMs: 0, timeoutMs: 5000 });
    ch.close();
    assert.deepEqual(done, { transmitted: 4, received: 4, errno: 0 });
    const [a1, b1] = [await statusOf(A), await statusOf(B)];
    assert.equal(count(a1, 'esps_output') - count(a0, 'esps_output'), 4, 'A sent four requests in ESP');
    assert.equal(count(b1, 'esps_input') - count(b0, 'esps_input'), 4, 'B took four requests out of ESP');
    assert.equal(count(b1, 'esps_output') - count(b0, 'esps_output'), 4, 'B answered in ESP');
    assert.equal(count(a1, 'esps_input') - count(a0, 'esps_input'), 4, 'A took four replies out of ESP');
    // The SAs' own lifetimes agree: four packets each way.
    assert.equal(A.host.sad.get(ip('10.0.0.1'), ip('10.0.0.2'), 'esp', 0x1001)!.current.allocations, 4);
  });

  it("fail closed: with the policy but without A's outbound SA, nothing goes out and nothing comes back", async () => {
    const r = await runSetkeyInproc(A.keysock, ['-c'], { stdin: 'delete 10.0.0.1 10.0.0.2 esp 0x1001;\n' });
    assert.equal(r.code, 0, r.err);
    const a0 = await statusOf(A);
    const ch = await IkeChannel.connect(A.config.ikeSocketPath);
    const done = await ch.ping(ip('10.0.0.2'), { count: 2, size: 56, intervalMs: 0, timeoutMs: 100 });
    ch.close();
    assert.deepEqual(done, { transmitted: 2, received: 0, errno: 0 });
    const a1 = await statusOf(A);
    assert.equal(count(a1, 'esps_output'), count(a0, 'esps_output'));
    assert.equal(count(a1, 'ips_out_nosa') - count(a0, 'ips_out_nosa'), 2, 'both requests refused for want of an SA');
  });

  it('EHOSTUNREACH without a route, EBUSY for a second PING on one client, and a client leaving mid-PING', async () => {
    const ch = await IkeChannel.connect(A.config.ikeSocketPath);
    assert.deepEqual(await ch.ping(ip('192.0.2.1'), { count: 1, size: 56, intervalMs: 0, timeoutMs: 100 }), {
      transmitted: 0,
      received: 0,
      errno: 65,
    });
    const long = ch.ping(ip('10.0.0.2'), { count: 3, size: 56, intervalMs: 60_000, timeoutMs: 100 });
    assert.deepEqual(await ch.ping(ip('10.0.0.2'), { count: 1, size: 56, intervalMs: 0, timeoutMs: 100 }), {
      transmitted: 0,
      received: 0,
      errno: 16,
    });
    ch.close();
    await assert.rejects(long, (e: { errno?: number }) => e.errno === 32);
    await settle();
    // The daemon still serves after the client left in the middle of its PING.
    assert.deepEqual(
      (await statusOf(A)).interfaces.map((i) => i.name),
      ['ul0'],
    );
  });

  it('a client leaving stops its PING: no request after it, on a manual clock', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const M = await startDaemon(
      testConfig(sockDir(), { name: 'M', addresses: ['10.3.0.1/24'], underlay: { host: '127.0.0.1', port: 0 } }),
      { clock, log: nullLogger },
    );
    try {
      const ch = await IkeChannel.connect(M.config.ikeSocketPath);
      const first = new Promise<IkePingReply>((r) => {
        void ch.ping(ip('10.3.0.1'), { count: 5, size: 8, intervalMs: 1000, timeoutMs: 1000 }, r).catch(() => {});
      });
      assert.equal((await first).seq, 0);
      assert.equal(M.host.netstat.get('icps_reflect'), 1);
      clock.advance(1000); // the second request goes out on the host's own clock
      for (let i = 0; i < 50 && M.host.netstat.get('icps_reflect') < 2; i++) await settle();
      assert.equal(M.host.netstat.get('icps_reflect'), 2);
      const gone = new Promise((r) => ch.onClose(() => r(undefined)));
      ch.close();
      await gone;
      for (let i = 0; i < 50 && M.ike.stats.connections > 0 && M.host.netstat.get('icps_reflect') === 2; i++)
        await settle();
      await settle(10);
      clock.advance(10_000);
      await settle(10);
      assert.equal(M.host.netstat.get('icps_reflect'), 2, 'requests 3..5 never left');
    } finally {
      await M.close();
    }
  });
});
