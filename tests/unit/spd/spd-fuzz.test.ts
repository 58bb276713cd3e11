// Fuzz of the SPD API edge with fast-check and a fixed seed: any input to add/update/
// delete/createSocketPolicy gives a value or an SpdError, never another exception; lookups never throw;
// and a random mix of operations keeps the index equal to the linear oracle.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { Spd, createSocketPolicy } from '../../../kernel/spd/spd.js';
import { SpdError } from '../../../kernel/spd/policy.js';
import type { PolicySpec, PolicyDir, Policy } from '../../../kernel/spd/policy.js';
import { ManualClock } from '../../../common/clock.js';
import { maskAddr } from '../../../common/inet.js';
import { LinearSpd } from '../../oracle/spd-linear.js';

const SEED = 0x5bd1e995;
const RUNS = process.env.UIPSEC_SLOW ? 200_000 : 3000;

/** Values that look almost like valid fields, plus junk. */
const junk = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.integer({ min: -5, max: 70000 }),
  fc.double(),
  fc.string({ maxLength: 12 }),
  fc.constantFrom(
    'in',
    'out',
    'fwd',
    'esp',
    'ah',
    'ipcomp',
    'tunnel',
    'transport',
    'unique',
    'require',
    'use',
    'default',
    'tcp',
    'icmp6',
    'any',
    'ipsec',
    'none',
    'discard',
    'entrust',
    'bypass',
    '10.0.0.0/8',
    '::/0',
    '2001:db8::1',
    '192.0.2.1',
    '10.0.0.0/33',
    '__proto__',
  ),
  fc.uint8Array({ maxLength: 17 }),
  fc.record({
    family: fc.constantFrom(4, 6, 5),
    addr: fc.uint8Array({ maxLength: 17 }),
    len: fc.integer({ min: -2, max: 130 }),
  }),
);
const requestish = fc.oneof(
  junk,
  fc.record(
    {
      proto: junk,
      mode: junk,
      src: junk,
      dst: junk,
      level: junk,
      reqid: junk,
      sport: junk,
      dport: junk,
    },
    { requiredKeys: [] },
  ),
);
const specish = fc.oneof(
  junk,
  fc.record(
    {
      dir: junk,
      src: junk,
      dst: junk,
      proto: junk,
      sport: junk,
      dport: junk,
      icmpType: junk,
      icmpCode: junk,
      action: junk,
      requests: fc.oneof(junk, fc.array(requestish, { maxLength: 8 })),
      priority: junk,
      lifetime: fc.oneof(junk, fc.record({ addtimeSec: junk, usetimeSec: junk }, { requiredKeys: [] })),
    },
    { requiredKeys: [] },
  ),
);

function onlySpdErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof SpdError)) throw e;
    assert.ok(['EINVAL', 'EEXIST', 'ENOENT', 'EACCES'].includes(e.code), e.code);
  }
}

describe('kernel/spd fuzz (fast-check, fixed seed)', () => {
  it(`add/update/delete on arbitrary specs: a policy or an SpdError (${RUNS} runs)`, () => {
    const spd = new Spd({ clock: new ManualClock(0), cacheEntries: 64 });
    fc.assert(
      fc.property(specish, junk, (spec, dir) => {
        onlySpdErrors(() => spd.addPolicy(spec as PolicySpec));
        onlySpdErrors(() => spd.updatePolicy(spec as PolicySpec));
        onlySpdErrors(() => spd.deletePolicy(spec as PolicySpec, dir as PolicyDir));
        onlySpdErrors(() => spd.deletePolicyById(dir as number));
        onlySpdErrors(() => createSocketPolicy({ privileged: dir === 'in', in: spec as never, out: spec as never }));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('lookups and resolutions on arbitrary packets never throw', () => {
    const spd = new Spd({ clock: new ManualClock(0), cacheEntries: 64 });
    spd.addPolicy({ dir: 'out', src: '0.0.0.0/0', dst: '0.0.0.0/0', action: 'none' });
    spd.addPolicy({ dir: 'in', src: '::/0', dst: '::/0', proto: 'tcp', dport: 22, action: 'discard' });
    const sock = createSocketPolicy({ privileged: true, out: { action: 'bypass' } });
    const num = fc.oneof(fc.integer({ min: -1, max: 70000 }), fc.double(), fc.constant(2 ** 40));
    fc.assert(
      fc.property(
        fc.constantFrom('in', 'out', 'fwd', 'x'),
        fc.uint8Array({ maxLength: 17 }),
        fc.uint8Array({ maxLength: 17 }),
        num,
        num,
        num,
        (dir, src, dst, proto, sport, dport) => {
          const p = spd.lookupPolicy(dir as PolicyDir, src, dst, proto, sport, dport);
          assert.ok(p === undefined || typeof p.id === 'number');
          spd.resolvePolicy(sock, dir as PolicyDir, src, dst, proto, sport, dport);
          spd.resolvePolicy(undefined, dir as PolicyDir, src, dst, proto, sport, dport);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('random operation sequences keep index and oracle equal', () => {
    const dirs: PolicyDir[] = ['in', 'out'];
    const prefix4 = fc
      .tuple(
        fc.constantFrom(0x0a000000, 0x0a010000, 0xc0000200),
        fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: 0, max: 255 }),
      )
      .map(([base, len, low]) => {
        const a = Uint8Array.of(base >>> 24, (base >>> 16) & 255, (base >>> 8) & 255, low);
        return { family: 4 as const, addr: maskAddr(a, len), len };
      });
    const spec = fc
      .record({
        dir: fc.constantFrom(...dirs),
        src: prefix4,
        dst: prefix4,
        proto: fc.constantFrom(255, 6, 17),
        dport: fc.constantFrom(0, 22, 80),
        priority: fc.constantFrom(1, 2, 0x80000000),
      })
      .map((s): PolicySpec => ({ ...s, action: 'discard' }));
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), spec }),
      fc.record({ kind: fc.constant('update' as const), spec }),
      fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('compact' as const) }),
      fc.record({
        kind: fc.constant('lookup' as const),
        dir: fc.constantFrom(...dirs),
        src: prefix4,
        dst: prefix4,
        proto: fc.constantFrom(6, 17, 1),
        dport: fc.constantFrom(22, 80, 443),
      }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.boolean(), (ops, cached) => {
        const spd = new Spd({ clock: new ManualClock(0), cacheEntries: cached ? 8 : 0 });
        const oracle = new LinearSpd();
        const entry = (p: Policy) => ({
          id: p.id,
          dir: p.dir,
          src: p.selector.src,
          dst: p.selector.dst,
          proto: p.selector.proto,
          sport: p.selector.sport,
          dport: p.selector.dport,
          priority: p.priority,
        });
        for (const o of ops) {
          if (o.kind === 'add') {
            try {
              oracle.add(entry(spd.addPolicy(o.spec)));
            } catch (e) {
              assert.ok(e instanceof SpdError && e.code === 'EEXIST');
            }
          } else if (o.kind === 'update') oracle.update(entry(spd.updatePolicy(o.spec)));
          else if (o.kind === 'delete') {
            const victim = oracle.entries[o.pick % Math.max(1, oracle.entries.length)];
            if (victim) {
              spd.deletePolicyById(victim.id);
              oracle.removeById(victim.id);
            }
          } else if (o.kind === 'compact') spd.compact();
          else {
            const src = o.src.addr,
              dst = o.dst.addr;
            assert.equal(
              spd.lookupPolicy(o.dir, src, dst, o.proto, 1234, o.dport)?.id,
              oracle.lookup(o.dir, src, dst, o.proto, 1234, o.dport)?.id,
            );
          }
        }
        assert.equal(spd.size, oracle.entries.length);
      }),
      { seed: SEED, numRuns: process.env.UIPSEC_SLOW ? 5000 : 300 },
    );
  });
});
