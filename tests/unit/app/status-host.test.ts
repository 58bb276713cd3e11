// The host part of `uipsec status`: the daemon's STATUS JSON (kernel/daemon/ike-server.ts hostStatus) read
// back by hostPartFromStatus agrees with hostExtras(host) computed in-process (two independent paths over
// the same Host), stays inside one app-channel frame however large the host, and hostile JSON yields a
// report with the bad fields left out or a TypeError (fast-check, fixed seed). formatStatus shows the parts.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Host } from '../../../kernel/host/host.js';
import { MemWire } from '../../../kernel/link/memwire.js';
import { hostStatus } from '../../../kernel/daemon/ike-server.js';
import { IKE_FRAME_MAX, encodeIkeFrame } from '../../../channel/index.js';
import { formatStatus, hostExtras, hostPartFromStatus, statusJson, type StatusReport } from '../../../app/status.js';
import { ip } from '../keysock/support.js';

function twoHosts(): { a: Host; b: Host } {
  const wire = new MemWire();
  const a = new Host({ name: 'a' }),
    b = new Host({ name: 'b' });
  a.addInterface('mem0', wire.attach('a', [ip('10.5.0.1'), ip('fd05::1')]), ['10.5.0.1/24', 'fd05::1/64']);
  b.addInterface('mem0', wire.attach('b', [ip('10.5.0.2'), ip('fd05::2')]), ['10.5.0.2/24', 'fd05::2/64']);
  a.addRoute('10.6.0.0/16', 'mem0', '10.5.0.2');
  return { a, b };
}

describe('uipsec status: the host part from the daemon', () => {
  it('STATUS JSON read back equals hostExtras of the same host (interfaces, routes, counters, tables)', async () => {
    const { a, b } = twoHosts();
    const replies = await a.ping('10.5.0.2', { count: 2, intervalMs: 0, timeoutMs: 1000 });
    assert.equal(replies.length, 2);
    const viaJson = hostPartFromStatus(JSON.parse(JSON.stringify(hostStatus(a))) as Record<string, unknown>);
    const direct = hostExtras(a);
    assert.deepEqual(
      viaJson.interfaces!.map((i) => [i.name, i.addresses, i.mtu]),
      direct.interfaces!.map((i) => [i.name, i.addresses, i.mtu]),
    );
    assert.deepEqual(viaJson.routes, direct.routes);
    assert.deepEqual(viaJson.counters, direct.counters);
    assert.deepEqual(viaJson.tables, { sad: 0, spd: 0 });
    // Counters that moved: two IP packets (the replies) into a; b reflected two echo requests.
    assert.equal(viaJson.counters!.ips_total, 2);
    assert.equal(hostPartFromStatus(hostStatus(b) as Record<string, unknown>).counters!.icps_reflect, 2);
    a.close();
    b.close();
  });

  it('a host with hundreds of interfaces, addresses and routes still fits one frame; the totals tell', () => {
    const wire = new MemWire();
    const h = new Host({ name: 'big' });
    for (let i = 0; i < 100; i++) {
      const addrs = Array.from(
        { length: 40 },
        (_, k) => `fd${i.toString(16).padStart(2, '0')}:${k.toString(16)}::1/64`,
      );
      h.addInterface(`interface-with-a-long-name-${i}`, wire.attach(`p${i}`, []), addrs);
    }
    for (let r = 0; r < 1000; r++)
      h.addRoute(`fd99:${r.toString(16)}::/32`, 'interface-with-a-long-name-0', 'fd00:0::2');
    const st = hostStatus(h);
    const frame = encodeIkeFrame({ type: 'status', report: st });
    assert.ok(frame.length - 4 <= IKE_FRAME_MAX, `${frame.length} bytes`);
    assert.equal(st.interfacesTotal, 100);
    assert.equal(st.routesTotal, 1000 + 100 * 40);
    assert.equal((st.interfaces as unknown[]).length, 32);
    assert.equal((st.routes as unknown[]).length, 256);
    assert.deepEqual(
      (st.interfaces as { addresses: string[]; addressesTotal: number }[]).map((i) => [
        i.addresses.length,
        i.addressesTotal,
      ])[0],
      [16, 40],
    );
    h.close();
  });

  it('hostile STATUS JSON: fields of the wrong type are left out; not a host status at all is a TypeError (fixed seed)', () => {
    const part = hostPartFromStatus({
      interfaces: [{ name: 7, addresses: ['10.0.0.1/8', 5, null], mtu: 'big' }, 'x', null],
      routes: [{ prefix: '0.0.0.0/0', via: 1 }],
      ipsecCounters: { esps_output: 3, bad: 'x', inf: Number.POSITIVE_INFINITY },
      netCounters: [1, 2],
      sadSize: 2,
      spdSize: '1',
    });
    assert.deepEqual(part.interfaces, [{ name: '?', addresses: ['10.0.0.1/8'], mtu: undefined, link: undefined }]);
    assert.deepEqual(part.routes, [{ prefix: '0.0.0.0/0', via: undefined, iface: undefined }]);
    assert.deepEqual(part.counters, { esps_output: 3 });
    assert.equal(part.tables, undefined);
    assert.throws(() => hostPartFromStatus({ name: 'x' }), TypeError);
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom('interfaces', 'routes', 'ipsecCounters', 'netCounters', 'sadSize', 'spdSize', 'x'),
          fc.jsonValue({ maxDepth: 3 }),
        ),
        (j) => {
          let p;
          try {
            p = hostPartFromStatus(j as Record<string, unknown>);
          } catch (e) {
            return e instanceof TypeError;
          }
          // Whatever came in, what goes out prints and serialises.
          const r: StatusReport = { source: 's', ...p, sas: [], policies: [] };
          return (
            typeof formatStatus(r, 0) === 'string' &&
            typeof JSON.parse(statusJson(r)) === 'object' &&
            Object.values(p.counters ?? {}).every((v) => Number.isFinite(v))
          );
        },
      ),
      { seed: 0x57a7, numRuns: 2000 },
    );
  });

  it('formatStatus: interfaces, routes, table sizes and counters at a glance; offline says what is unknown', () => {
    const r: StatusReport = {
      source: '/run/a/pfkey.sock',
      interfaces: [{ name: 'ul0', addresses: ['10.7.0.1/24'], mtu: 1400, link: 'udp underlay 127.0.0.1:9' }],
      routes: [{ prefix: '10.7.0.0/24', iface: 'ul0' }],
      tables: { sad: 1, spd: 2 },
      counters: { esps_output: 3, icps_reflect: 1 },
      sas: [],
      policies: [],
    };
    const s = formatStatus(r, 0);
    assert.match(s, /ul0 +10\.7\.0\.1\/24 +1400 +udp underlay 127\.0\.0\.1:9\n/);
    assert.match(s, /10\.7\.0\.0\/24 +- +ul0/);
    assert.match(s, /SAD 1 SA, SPD 2 policies\n/);
    assert.match(s, /esps_output +3\n/);
    assert.match(s, /icps_reflect +1\n/);
    const off = formatStatus({ ...r, tables: undefined, counters: undefined, offline: 'no uipsecd on x' }, 0);
    assert.match(off, /uipsecd not reachable \(no uipsecd on x\)/);
    assert.doesNotMatch(off, /Security associations|Counters/);
    const j = JSON.parse(statusJson({ ...r, offline: 'gone' })) as {
      sas: unknown;
      policies: unknown;
      offline: string;
      tables: unknown;
    };
    assert.deepEqual([j.sas, j.policies, j.offline, j.tables], [null, null, 'gone', { sad: 1, spd: 2 }]);
  });
});
