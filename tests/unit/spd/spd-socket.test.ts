// Per-socket policies (IP_IPSEC_POLICY) applied before the SPD, as KAME ipsec4/6_getpolicybysock does:
// privileged sockets use their own bypass/ipsec and entrust the rest to the SPD; unprivileged sockets
// consult the SPD first; then the system default (ip4_def_policy).
import { strict as assert } from 'node:assert';
import { Spd, createSocketPolicy } from '../../../kernel/spd/spd.js';
import { SpdError } from '../../../kernel/spd/policy.js';
import { ManualClock } from '../../../common/clock.js';
import { parseAddr } from '../../../common/inet.js';

const A = (s: string) => parseAddr(s)!;
const ah = [{ proto: 'ah' as const, mode: 'transport' as const, level: 'require' as const }];
const esp = [{ proto: 'esp' as const, mode: 'transport' as const, level: 'require' as const }];

function errCode(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof SpdError, String(e));
    return e.code;
  }
  return 'no error';
}

function setup(defaultPolicy: 'none' | 'discard' = 'none') {
  const spd = new Spd({ clock: new ManualClock(0), defaultPolicy });
  // The SPD protects 10.0.0.0/8 with ESP and discards 192.0.2.0/24, outbound only.
  const protect = spd.addPolicy({ dir: 'out', src: '0.0.0.0/0', dst: '10.0.0.0/8', action: 'ipsec', requests: esp });
  const drop = spd.addPolicy({ dir: 'out', src: '0.0.0.0/0', dst: '192.0.2.0/24', action: 'discard' });
  const r = (sock: Parameters<Spd['resolvePolicy']>[0], dst: string, dir: 'in' | 'out' | 'fwd' = 'out') =>
    spd.resolvePolicy(sock, dir, A('198.51.100.1'), A(dst), 6, 4000, 80);
  return { spd, protect, drop, r };
}

describe('kernel/spd socket policies', () => {
  it('creates socket policies: entrust by default; bypass only when privileged; no discard/none', () => {
    const s = createSocketPolicy({});
    assert.deepEqual([s.privileged, s.in.action, s.out.action], [false, 'entrust', 'entrust']);
    assert.equal(
      errCode(() => createSocketPolicy({ out: { action: 'bypass' } })),
      'EACCES',
    );
    assert.equal(createSocketPolicy({ privileged: true, out: { action: 'bypass' } }).out.action, 'bypass');
    assert.equal(
      errCode(() => createSocketPolicy({ out: { action: 'discard' as never } })),
      'EINVAL',
    );
    assert.equal(
      errCode(() => createSocketPolicy({ out: { action: 'none' as never } })),
      'EINVAL',
    );
    assert.equal(
      errCode(() => createSocketPolicy({ out: { action: 'ipsec' } })),
      'EINVAL',
    );
    assert.equal(
      errCode(() => createSocketPolicy({ in: { action: 'entrust', requests: ah } })),
      'EINVAL',
    );
    assert.equal(
      errCode(() => createSocketPolicy(null as never)),
      'EINVAL',
    );
    const ipsec = createSocketPolicy({ in: { action: 'ipsec', requests: ah } });
    assert.equal(ipsec.in.action === 'ipsec' && ipsec.in.requests[0]!.proto, 'ah');
  });

  it('without a socket policy: the SPD, then the system default', () => {
    const { r, protect, drop } = setup();
    assert.deepEqual(r(undefined, '10.1.1.1'), {
      action: 'ipsec',
      requests: protect.requests,
      source: 'spd',
      policy: protect,
    });
    assert.equal(r(undefined, '192.0.2.7').policy, drop);
    assert.equal(r(undefined, '192.0.2.7').action, 'discard');
    assert.deepEqual(r(undefined, '203.0.113.5'), { action: 'none', requests: [], source: 'default' });
    assert.deepEqual(setup('discard').r(undefined, '203.0.113.5'), {
      action: 'discard',
      requests: [],
      source: 'default',
    });
  });

  it('privileged bypass wins over the SPD (-> none); privileged ipsec uses the socket requests', () => {
    const { r } = setup();
    const bypass = createSocketPolicy({ privileged: true, out: { action: 'bypass' } });
    assert.deepEqual(r(bypass, '10.1.1.1'), { action: 'none', requests: [], source: 'socket' });
    assert.deepEqual(r(bypass, '192.0.2.7'), { action: 'none', requests: [], source: 'socket' });
    const own = createSocketPolicy({ privileged: true, out: { action: 'ipsec', requests: ah } });
    const res = r(own, '10.1.1.1');
    assert.equal(res.source, 'socket');
    assert.equal(res.action, 'ipsec');
    assert.equal(res.requests[0]!.proto, 'ah');
  });

  it('entrust defers to the SPD and then to the default, privileged or not', () => {
    const { r, protect } = setup();
    for (const privileged of [true, false]) {
      const s = createSocketPolicy({ privileged });
      assert.equal(r(s, '10.1.1.1').policy, protect);
      assert.equal(r(s, '203.0.113.5').source, 'default');
    }
  });

  it('an unprivileged ipsec socket policy applies only when the SPD has no policy', () => {
    const { r, protect, drop } = setup();
    const s = createSocketPolicy({ out: { action: 'ipsec', requests: ah } });
    assert.equal(r(s, '10.1.1.1').policy, protect);
    assert.equal(r(s, '192.0.2.7').policy, drop);
    const res = r(s, '203.0.113.5');
    assert.deepEqual([res.source, res.action, res.requests[0]!.proto], ['socket', 'ipsec', 'ah']);
  });

  it('uses the direction of the packet, and ignores sockets for fwd', () => {
    const { spd, r } = setup();
    const fwd = spd.addPolicy({ dir: 'fwd', src: '0.0.0.0/0', dst: '10.0.0.0/8', action: 'discard' });
    const s = createSocketPolicy({
      privileged: true,
      in: { action: 'bypass' },
      out: { action: 'ipsec', requests: ah },
    });
    assert.deepEqual(r(s, '10.1.1.1', 'in'), { action: 'none', requests: [], source: 'socket' });
    assert.equal(r(s, '10.1.1.1', 'out').requests[0]!.proto, 'ah');
    assert.equal(r(s, '10.1.1.1', 'fwd').policy, fwd);
  });

  it('reads SPD bypass as none and SPD entrust as "no policy here"', () => {
    const spd = new Spd({ clock: new ManualClock(0), defaultPolicy: 'discard' });
    const b = spd.addPolicy({ dir: 'in', src: '0.0.0.0/0', dst: '10.0.0.0/8', action: 'bypass' });
    spd.addPolicy({ dir: 'in', src: '0.0.0.0/0', dst: '172.16.0.0/12', action: 'entrust' });
    const res = spd.resolvePolicy(undefined, 'in', A('1.1.1.1'), A('10.0.0.1'), 17, 1, 2);
    assert.deepEqual([res.action, res.source, res.policy], ['none', 'spd', b]);
    assert.deepEqual(spd.resolvePolicy(undefined, 'in', A('1.1.1.1'), A('172.16.0.1'), 17, 1, 2), {
      action: 'discard',
      requests: [],
      source: 'default',
    });
  });

  it('drops for a hand-made unprivileged bypass the SPD does not cover (KAME: EINVAL)', () => {
    const { r } = setup();
    const forged = { privileged: false, in: { action: 'entrust' as const }, out: { action: 'bypass' as const } };
    assert.equal(r(forged, '10.1.1.1').source, 'spd');
    assert.deepEqual(r(forged, '203.0.113.5'), { action: 'discard', requests: [], source: 'socket' });
  });
});
