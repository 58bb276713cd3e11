// The routes a TUN-mode host asks of the machine, from its SPD alone (kernel/os/route-plan.ts), and how
// iproute2's destinations compare with them (kernel/os/route-sync.ts normalizeDst).
import { strict as assert } from 'node:assert';
import { Spd } from '../../../kernel/spd/spd.js';
import type { PolicySpec } from '../../../kernel/spd/policy.js';
import { ManualClock } from '../../../common/clock.js';
import { parseAddr } from '../../../common/inet.js';
import { planRoutes, KILL_SWITCH_METRIC } from '../../../kernel/os/route-plan.js';
import { normalizeDst } from '../../../kernel/os/route-sync.js';

const esp = (level: 'require' | 'use' | 'unique' | 'default') => [
  { proto: 'esp' as const, mode: 'transport' as const, level },
];

function spdWith(specs: PolicySpec[]): Spd {
  const spd = new Spd({ clock: new ManualClock(0) });
  for (const s of specs) spd.addPolicy(s);
  return spd;
}

describe('os/route-plan: routes and kill-switch from the SPD', () => {
  const A = parseAddr('10.0.0.1')!;

  it('host-to-host transport: the peer into the TUN with our address as source, a kill-switch for require', () => {
    const spd = spdWith([
      { dir: 'out', src: '10.0.0.1', dst: '10.0.0.2', action: 'ipsec', requests: esp('require') },
      { dir: 'in', src: '10.0.0.2', dst: '10.0.0.1', action: 'ipsec', requests: esp('require') },
    ]);
    assert.deepEqual(planRoutes(spd.dump(), [A]), [
      { family: 4, prefix: '10.0.0.2/32', killSwitch: true, src: '10.0.0.1' },
    ]);
    assert.equal(KILL_SWITCH_METRIC, 4500);
  });

  it('use/default levels route into the TUN without a kill-switch; discard gets one; none/bypass and in/fwd are not routed', () => {
    const spd = spdWith([
      { dir: 'out', src: '10.0.0.1', dst: '10.1.0.0/16', action: 'ipsec', requests: esp('use') },
      { dir: 'out', src: '10.0.0.1', dst: '10.2.0.0/16', action: 'ipsec', requests: esp('default') },
      { dir: 'out', src: '10.0.0.1', dst: '10.3.0.0/16', action: 'discard' },
      { dir: 'out', src: '10.0.0.1', dst: '10.4.0.0/16', action: 'none' },
      { dir: 'in', src: '10.5.0.0/16', dst: '10.0.0.1', action: 'ipsec', requests: esp('require') },
      { dir: 'fwd', src: '10.6.0.0/16', dst: '10.0.0.1', action: 'ipsec', requests: esp('require') },
    ]);
    assert.deepEqual(
      planRoutes(spd.dump(), [A]).map((r) => [r.prefix, r.killSwitch]),
      [
        ['10.1.0.0/16', false],
        ['10.2.0.0/16', false],
        ['10.3.0.0/16', true],
      ],
    );
  });

  it('policies with ports or protocols share their destination route; any require among them gives the kill-switch', () => {
    const spd = spdWith([
      { dir: 'out', src: '10.0.0.1', dst: '10.0.0.2', proto: 'tcp', dport: 22, action: 'ipsec', requests: esp('use') },
      { dir: 'out', src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', action: 'ipsec', requests: esp('require') },
    ]);
    assert.deepEqual(planRoutes(spd.dump(), [A]), [
      { family: 4, prefix: '10.0.0.2/32', killSwitch: true, src: '10.0.0.1' },
    ]);
  });

  it('no source when it is a prefix, not ours, or differs between policies (the kernel chooses)', () => {
    const spd = spdWith([
      { dir: 'out', src: '10.0.0.0/24', dst: '10.9.0.0/16', action: 'ipsec', requests: esp('require') },
      { dir: 'out', src: '192.0.2.7', dst: '10.8.0.0/16', action: 'ipsec', requests: esp('require') },
      { dir: 'out', src: '10.0.0.1', dst: '10.7.0.0/16', proto: 'tcp', action: 'ipsec', requests: esp('require') },
      { dir: 'out', src: '10.0.0.3', dst: '10.7.0.0/16', proto: 'udp', action: 'ipsec', requests: esp('require') },
    ]);
    for (const r of planRoutes(spd.dump(), [A, parseAddr('10.0.0.3')!])) assert.equal(r.src, undefined, r.prefix);
  });

  it('IPv6 and IPv4 together, sorted by family then prefix', () => {
    const spd = spdWith([
      { dir: 'out', src: '2001:db8::1', dst: '2001:db8::2', action: 'ipsec', requests: esp('require') },
      { dir: 'out', src: '10.0.0.1', dst: '10.0.0.9', action: 'ipsec', requests: esp('require') },
      { dir: 'out', src: '10.0.0.1', dst: '10.0.0.2', action: 'ipsec', requests: esp('require') },
    ]);
    const plan = planRoutes(spd.dump(), [A, parseAddr('2001:db8::1')!]);
    assert.deepEqual(
      plan.map((r) => [r.family, r.prefix, r.src]),
      [
        [4, '10.0.0.2/32', '10.0.0.1'],
        [4, '10.0.0.9/32', '10.0.0.1'],
        [6, '2001:db8::2/128', '2001:db8::1'],
      ],
    );
  });

  it('normalizeDst reads iproute2 destinations (default, bare host, prefix) in our spelling', () => {
    assert.equal(normalizeDst('default', 4), '0.0.0.0/0');
    assert.equal(normalizeDst('default', 6), '::/0');
    assert.equal(normalizeDst('10.0.0.2', 4), '10.0.0.2/32');
    assert.equal(normalizeDst('10.1.0.0/16', 4), '10.1.0.0/16');
    assert.equal(normalizeDst('2001:db8:0:0::2', 6), '2001:db8::2/128');
    assert.equal(normalizeDst('not an address', 4), undefined);
  });
});
