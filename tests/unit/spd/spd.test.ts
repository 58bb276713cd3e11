// SPD semantics: add/update/delete/get/flush/dump, ids, generation, priorities and KAME tie-break, ports,
// ICMP type/code, families, directions, lifetimes (X_SPDEXPIRE), reqid allocation, and API-edge errors.
import { strict as assert } from 'node:assert';
import { Spd } from '../../../kernel/spd/spd.js';
import { SpdError, resolvePriority } from '../../../kernel/spd/policy.js';
import { PRIORITY_DEFAULT, IPSEC_MANUAL_REQID_MAX } from '../../../pfkey/constants.js';
import type { PolicySpec } from '../../../kernel/spd/policy.js';
import { ManualClock } from '../../../common/clock.js';
import { parseAddr } from '../../../common/inet.js';

const A = (s: string) => parseAddr(s)!;
const esp = [{ proto: 'esp' as const, mode: 'transport' as const, level: 'require' as const }];

function errCode(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof SpdError, `expected SpdError, got ${String(e)}`);
    return e.code;
  }
  return 'no error';
}

function mk(opts: { cache?: boolean } = {}) {
  const clock = new ManualClock(1_700_000_000_000);
  return { clock, spd: new Spd({ clock, cacheEntries: opts.cache === false ? 0 : undefined }) };
}

describe('kernel/spd table operations', () => {
  it('adds with KAME ids 1, 2, ..., clock times, the default priority and a normalised selector', () => {
    const { spd, clock } = mk();
    const p1 = spd.addPolicy({
      dir: 'out',
      src: '10.0.0.1/8',
      dst: '192.0.2.0/24',
      proto: 'tcp',
      dport: 22,
      action: 'ipsec',
      requests: esp,
    });
    clock.advance(5000);
    const p2 = spd.addPolicy({ dir: 'in', src: '2001:db8::/32', dst: '::/0', action: 'discard' });
    assert.deepEqual([p1.id, p2.id], [1, 2]);
    assert.equal(p1.createdMs, 1_700_000_000_000);
    assert.equal(p2.createdMs, 1_700_000_005_000);
    assert.equal(p1.lastusedMs, p1.createdMs);
    assert.equal(p1.priority, 0x80000000); // ipsec-tools sends PRIORITY_DEFAULT when no priority is given
    assert.deepEqual([...p1.selector.src.addr], [10, 0, 0, 0]); // host bits masked
    assert.equal(p1.selector.proto, 6);
    assert.equal(p1.selector.sport, 0);
    assert.equal(p1.selector.family, 4);
    assert.equal(p2.selector.family, 6);
    assert.equal(p2.selector.proto, 255);
    assert.equal(spd.size, 2);
  });

  it('refuses a duplicate selector+direction with EEXIST, but not another direction or port', () => {
    const { spd } = mk();
    const base: PolicySpec = {
      dir: 'out',
      src: '10.0.0.0/8',
      dst: '0.0.0.0/0',
      proto: 'udp',
      dport: 500,
      action: 'none',
    };
    spd.addPolicy(base);
    assert.equal(
      errCode(() => spd.addPolicy({ ...base, action: 'discard' })),
      'EEXIST',
    );
    // Same prefix written with host bits set is the same selector.
    assert.equal(
      errCode(() => spd.addPolicy({ ...base, src: '10.9.9.9/8' })),
      'EEXIST',
    );
    spd.addPolicy({ ...base, dir: 'in' });
    spd.addPolicy({ ...base, dir: 'fwd' });
    spd.addPolicy({ ...base, dport: 4500 });
    spd.addPolicy({ ...base, proto: 'any' });
    assert.equal(spd.size, 5);
  });

  it('update replaces with a new id (KAME SPDUPDATE) and adds when absent', () => {
    const { spd } = mk();
    const sel = { src: '10.0.0.0/24', dst: '10.0.1.0/24' };
    const old = spd.addPolicy({ dir: 'out', ...sel, action: 'discard' });
    const neu = spd.updatePolicy({ dir: 'out', ...sel, action: 'none', priority: 7 });
    assert.notEqual(neu.id, old.id);
    assert.equal(spd.size, 1);
    assert.equal(
      errCode(() => spd.getPolicy(old.id)),
      'ENOENT',
    );
    assert.equal(spd.getPolicy(neu.id).action, 'none');
    assert.equal(spd.findBySelector(sel, 'out'), neu);
    const added = spd.updatePolicy({ dir: 'in', ...sel, action: 'none' });
    assert.equal(spd.size, 2);
    assert.equal(spd.getPolicy(added.id), added);
  });

  it('deletes by selector (SPDDELETE) and by id (SPDDELETE2), ENOENT when absent', () => {
    const { spd } = mk();
    const a = spd.addPolicy({
      dir: 'out',
      src: '10.0.0.0/8',
      dst: '10.1.0.0/16',
      proto: 'icmp',
      icmpType: 8,
      action: 'discard',
    });
    const b = spd.addPolicy({ dir: 'in', src: '10.0.0.0/8', dst: '10.1.0.0/16', action: 'discard' });
    assert.equal(
      errCode(() => spd.deletePolicy({ src: '10.0.0.0/8', dst: '10.1.0.0/16' }, 'out')),
      'ENOENT',
    );
    assert.equal(spd.deletePolicy({ src: '10.0.0.0/8', dst: '10.1.0.0/16', proto: 1, sport: 8 }, 'out'), a);
    assert.equal(
      errCode(() => spd.deletePolicy({ src: '10.0.0.0/8', dst: '10.1.0.0/16', proto: 1, sport: 8 }, 'out')),
      'ENOENT',
    );
    assert.equal(spd.deletePolicyById(b.id), b);
    assert.equal(
      errCode(() => spd.deletePolicyById(b.id)),
      'ENOENT',
    );
    assert.equal(
      errCode(() => spd.getPolicy(12345)),
      'ENOENT',
    );
    assert.equal(spd.findPolicy(b.id), undefined);
    assert.equal(spd.size, 0);
  });

  it('flushes everything and counts generations on changes only', () => {
    const { spd } = mk();
    const g0 = spd.generation;
    spd.addPolicy({ dir: 'out', src: '10.0.0.0/8', dst: '0.0.0.0/0', action: 'none' });
    spd.addPolicy({ dir: 'in', src: '0.0.0.0/0', dst: '10.0.0.0/8', action: 'none' });
    assert.equal(spd.generation, g0 + 2);
    spd.lookupPolicy('out', A('10.1.1.1'), A('8.8.8.8'), 6, 1, 2);
    assert.equal(spd.generation, g0 + 2);
    assert.equal(
      errCode(() => spd.addPolicy({ dir: 'in', src: '0.0.0.0/0', dst: '10.0.0.0/8', action: 'none' })),
      'EEXIST',
    );
    assert.equal(spd.generation, g0 + 2, 'a refused add changes nothing');
    assert.equal(spd.flush(), 2);
    assert.equal(spd.generation, g0 + 3);
    assert.equal(spd.size, 0);
    assert.equal(spd.lookupPolicy('out', A('10.1.1.1'), A('8.8.8.8'), 6, 1, 2), undefined);
    assert.equal(spd.flush(), 0);
    assert.equal(spd.generation, g0 + 3);
  });

  it('dumps in a stable order: in, out, fwd; then priority; then age', () => {
    const { spd } = mk();
    const o1 = spd.addPolicy({ dir: 'out', src: '10.0.0.1', dst: '10.0.0.2', action: 'none' });
    const f1 = spd.addPolicy({ dir: 'fwd', src: '10.0.0.1', dst: '10.0.0.2', action: 'none' });
    const i1 = spd.addPolicy({ dir: 'in', src: '10.0.0.1', dst: '10.0.0.2', action: 'none' });
    const o2 = spd.addPolicy({ dir: 'out', src: '10.0.0.3', dst: '10.0.0.2', action: 'none', priority: 5 });
    const o3 = spd.addPolicy({ dir: 'out', src: '10.0.0.4', dst: '10.0.0.2', action: 'none' });
    assert.deepEqual(
      spd.dump().map((p) => p.id),
      [i1.id, o2.id, o1.id, o3.id, f1.id],
    );
  });

  it('allocates policy ids past the last one, wrapping to 1 and skipping ids in use (key_getnewspid)', () => {
    const { spd } = mk();
    const first = spd.addPolicy({ dir: 'out', src: '10.0.0.1', dst: '10.0.0.2', action: 'none' });
    // Jump the allocator near the top of the 32-bit range (white-box: the counter is private).
    (spd as unknown as { lastId: number }).lastId = 0xfffffffe;
    const top = spd.addPolicy({ dir: 'out', src: '10.0.0.3', dst: '10.0.0.2', action: 'none' });
    const wrapped = spd.addPolicy({ dir: 'out', src: '10.0.0.4', dst: '10.0.0.2', action: 'none' });
    assert.equal(first.id, 1);
    assert.equal(top.id, 0xffffffff);
    assert.equal(wrapped.id, 2, 'id 1 is in use, so the wrap lands on 2');
  });

  it('replaces a unique reqid above IPSEC_MANUAL_REQID_MAX with its own, as KAME key_msg2sp does', () => {
    const { spd } = mk();
    const p = spd.addPolicy({
      dir: 'out',
      src: '10.0.0.0/24',
      dst: '10.0.1.0/24',
      action: 'ipsec',
      requests: [
        { proto: 'esp', mode: 'transport', level: 'unique', reqid: 28000 },
        { proto: 'ah', mode: 'transport', level: 'unique', reqid: IPSEC_MANUAL_REQID_MAX },
      ],
    });
    assert.ok(p.requests[0]!.reqid > IPSEC_MANUAL_REQID_MAX);
    assert.notEqual(p.requests[0]!.reqid, 28000);
    assert.equal(p.requests[1]!.reqid, IPSEC_MANUAL_REQID_MAX);
  });

  it('assigns kernel reqids above IPSEC_MANUAL_REQID_MAX to unique requests without one', () => {
    const { spd } = mk();
    const p = spd.addPolicy({
      dir: 'out',
      src: '10.0.0.0/24',
      dst: '10.0.1.0/24',
      action: 'ipsec',
      requests: [
        { proto: 'esp', mode: 'tunnel', src: '192.0.2.1', dst: '192.0.2.2', level: 'unique' },
        { proto: 'ah', mode: 'transport', level: 'unique', reqid: 7 },
        { proto: 'ipcomp', mode: 'transport', level: 'use' },
      ],
    });
    const q = spd.addPolicy({
      dir: 'in',
      src: '10.0.1.0/24',
      dst: '10.0.0.0/24',
      action: 'ipsec',
      requests: [{ proto: 'esp', mode: 'transport', level: 'unique' }],
    });
    assert.ok(p.requests[0]!.reqid > IPSEC_MANUAL_REQID_MAX);
    assert.equal(p.requests[1]!.reqid, 7);
    assert.equal(p.requests[2]!.reqid, 0);
    assert.ok(q.requests[0]!.reqid > IPSEC_MANUAL_REQID_MAX);
    assert.notEqual(q.requests[0]!.reqid, p.requests[0]!.reqid);
    assert.deepEqual([...p.requests[0]!.dst!], [192, 0, 2, 2]);
    assert.equal(p.requests[0]!.mode, 'tunnel');
  });
});

for (const cache of [true, false]) {
  describe(`kernel/spd lookup (${cache ? 'with' : 'without'} flow cache)`, () => {
    it('a lower priority value wins over a more specific selector', () => {
      const { spd } = mk({ cache });
      const broad = spd.addPolicy({ dir: 'out', src: '0.0.0.0/0', dst: '0.0.0.0/0', action: 'discard', priority: 100 });
      spd.addPolicy({
        dir: 'out',
        src: '10.0.0.1',
        dst: '10.0.0.2',
        proto: 'tcp',
        dport: 22,
        action: 'none',
        priority: 200,
      });
      assert.equal(spd.lookupPolicy('out', A('10.0.0.1'), A('10.0.0.2'), 6, 4000, 22), broad);
    });

    it('on equal priority the older policy wins even if the newer is more specific (KAME list order)', () => {
      const { spd } = mk({ cache });
      const old = spd.addPolicy({ dir: 'out', src: '10.0.0.0/8', dst: '0.0.0.0/0', action: 'discard' });
      const specific = spd.addPolicy({ dir: 'out', src: '10.0.0.1', dst: '10.0.0.2', action: 'none' });
      assert.equal(spd.lookupPolicy('out', A('10.0.0.1'), A('10.0.0.2'), 17, 1, 2), old);
      // An update re-inserts behind equal priorities, so the other one now wins.
      const upd = spd.updatePolicy({ dir: 'out', src: '10.0.0.0/8', dst: '0.0.0.0/0', action: 'discard' });
      assert.equal(spd.lookupPolicy('out', A('10.0.0.1'), A('10.0.0.2'), 17, 1, 2), specific);
      spd.deletePolicyById(specific.id);
      assert.equal(spd.lookupPolicy('out', A('10.0.0.1'), A('10.0.0.2'), 17, 1, 2), upd);
    });

    it('matches ports and protocols with 0 and 255 as wildcards', () => {
      const { spd } = mk({ cache });
      const ssh = spd.addPolicy({
        dir: 'in',
        src: '0.0.0.0/0',
        dst: '10.0.0.0/8',
        proto: 'tcp',
        dport: 22,
        action: 'none',
        priority: 1,
      });
      const fromIke = spd.addPolicy({
        dir: 'in',
        src: '0.0.0.0/0',
        dst: '10.0.0.0/8',
        proto: 17,
        sport: 500,
        action: 'none',
        priority: 2,
      });
      const rest = spd.addPolicy({
        dir: 'in',
        src: '0.0.0.0/0',
        dst: '10.0.0.0/8',
        action: 'ipsec',
        requests: esp,
        priority: 3,
      });
      const l = (proto: number, sport: number, dport: number) =>
        spd.lookupPolicy('in', A('1.2.3.4'), A('10.9.9.9'), proto, sport, dport);
      assert.equal(l(6, 5555, 22), ssh);
      assert.equal(l(17, 5555, 22), rest, 'udp/22 is not tcp/22');
      assert.equal(l(17, 500, 500), fromIke);
      assert.equal(l(17, 501, 500), rest);
      assert.equal(l(50, 0, 0), rest);
      assert.equal(spd.lookupPolicy('in', A('1.2.3.4'), A('11.0.0.1'), 6, 5555, 22), undefined, 'outside the prefix');
    });

    it('matches ICMP type in the source port and code in the destination port; 0 is any', () => {
      const { spd } = mk({ cache });
      const ns = spd.addPolicy({
        dir: 'in',
        src: '::/0',
        dst: '::/0',
        proto: 'icmp6',
        icmpType: 135,
        icmpCode: 0,
        action: 'none',
        priority: 1,
      });
      const unreachPort = spd.addPolicy({
        dir: 'in',
        src: '::/0',
        dst: '::/0',
        proto: 58,
        icmpType: 1,
        icmpCode: 4,
        action: 'none',
        priority: 2,
      });
      const all = spd.addPolicy({ dir: 'in', src: '::/0', dst: '::/0', action: 'discard', priority: 3 });
      const l = (type: number, code: number) => spd.lookupPolicy('in', A('fe80::1'), A('fe80::2'), 58, type, code);
      assert.equal(l(135, 0), ns);
      assert.equal(l(135, 9), ns, 'code 0 in the policy is a wildcard');
      assert.equal(l(136, 0), all);
      assert.equal(l(1, 4), unreachPort);
      assert.equal(l(1, 3), all);
      assert.equal(ns.selector.sport, 135);
      assert.equal(unreachPort.selector.dport, 4);
    });

    it('keeps families and directions apart', () => {
      const { spd } = mk({ cache });
      const v4 = spd.addPolicy({ dir: 'out', src: '0.0.0.0/0', dst: '0.0.0.0/0', action: 'none' });
      const v6 = spd.addPolicy({ dir: 'out', src: '::/0', dst: '::/0', action: 'discard' });
      const fwd = spd.addPolicy({ dir: 'fwd', src: '0.0.0.0/0', dst: '0.0.0.0/0', action: 'discard' });
      assert.equal(spd.lookupPolicy('out', A('1.1.1.1'), A('2.2.2.2'), 6, 1, 2), v4);
      assert.equal(spd.lookupPolicy('out', A('::ffff:1.1.1.1'), A('::ffff:2.2.2.2'), 6, 1, 2), v6);
      assert.equal(spd.lookupPolicy('fwd', A('1.1.1.1'), A('2.2.2.2'), 6, 1, 2), fwd);
      assert.equal(spd.lookupPolicy('in', A('1.1.1.1'), A('2.2.2.2'), 6, 1, 2), undefined);
      assert.equal(spd.lookupPolicy('out', A('1.1.1.1'), A('::1'), 6, 1, 2), undefined, 'mixed families');
      assert.equal(spd.lookupPolicy('out', new Uint8Array(5), new Uint8Array(5), 6, 1, 2), undefined);
    });

    it('records lastused and sees changes at once', () => {
      const { spd, clock } = mk({ cache });
      const a = spd.addPolicy({ dir: 'out', src: '10.0.0.0/8', dst: '10.0.0.0/8', action: 'none' });
      clock.advance(1234);
      assert.equal(spd.lookupPolicy('out', A('10.0.0.1'), A('10.0.0.2'), 6, 1, 2), a);
      assert.equal(a.lastusedMs, a.createdMs + 1234);
      clock.advance(1);
      assert.equal(spd.lookupPolicy('out', A('10.0.0.1'), A('10.0.0.2'), 6, 1, 2), a);
      assert.equal(a.lastusedMs, a.createdMs + 1235, 'a cached answer updates lastused too');
      const b = spd.addPolicy({ dir: 'out', src: '10.0.0.1', dst: '10.0.0.2', action: 'discard', priority: 1 });
      assert.equal(spd.lookupPolicy('out', A('10.0.0.1'), A('10.0.0.2'), 6, 1, 2), b);
      spd.deletePolicyById(b.id);
      assert.equal(spd.lookupPolicy('out', A('10.0.0.1'), A('10.0.0.2'), 6, 1, 2), a);
      clock.advance(10);
      spd.deletePolicyById(a.id);
      assert.equal(a.lastusedMs, a.createdMs + 1235, 'lastused survives removal (last use was at +1235)');
      assert.equal(spd.lookupPolicy('out', A('10.0.0.1'), A('10.0.0.2'), 6, 1, 2), undefined);
      const c = spd.addPolicy({ dir: 'out', src: '10.0.0.0/8', dst: '10.0.0.0/8', action: 'none' });
      clock.advance(7);
      spd.lookupPolicy('out', A('10.0.0.1'), A('10.0.0.2'), 6, 1, 2);
      spd.flush();
      assert.equal(c.lastusedMs, c.createdMs + 7, 'and a flush');
    });
  });
}

describe('kernel/spd lifetimes (X_SPDEXPIRE)', () => {
  it('expires on the hard addtime and tells the listeners after removing the policy', () => {
    const { spd, clock } = mk();
    const seen: [number, string, boolean][] = [];
    spd.onExpire((p, why) => seen.push([p.id, why, spd.findPolicy(p.id) === undefined]));
    const p = spd.addPolicy({
      dir: 'out',
      src: '10.0.0.0/8',
      dst: '0.0.0.0/0',
      action: 'none',
      lifetime: { addtimeSec: 30 },
    });
    const g = spd.generation;
    clock.advance(29_999);
    assert.deepEqual(seen, []);
    assert.equal(spd.lookupPolicy('out', A('10.0.0.1'), A('1.1.1.1'), 6, 1, 2), p, 'use does not extend the addtime');
    clock.advance(1);
    assert.deepEqual(seen, [[p.id, 'addtime', true]]);
    assert.equal(spd.size, 0);
    assert.equal(spd.generation, g + 1);
    assert.equal(spd.lookupPolicy('out', A('10.0.0.1'), A('1.1.1.1'), 6, 1, 2), undefined);
  });

  it('expires on the usetime (validtime) measured from the last use', () => {
    const { spd, clock } = mk();
    const seen: string[] = [];
    const off = spd.onExpire((_p, why) => seen.push(why));
    const p = spd.addPolicy({
      dir: 'in',
      src: '0.0.0.0/0',
      dst: '10.0.0.0/8',
      action: 'none',
      lifetime: { usetimeSec: 10 },
    });
    clock.advance(8000);
    spd.lookupPolicy('in', A('1.1.1.1'), A('10.0.0.1'), 6, 1, 2);
    clock.advance(8000); // 16 s since creation, 8 s since use
    assert.equal(spd.findPolicy(p.id), p);
    clock.advance(2000);
    assert.deepEqual(seen, ['usetime']);
    off();
    spd.addPolicy({ dir: 'in', src: '0.0.0.0/0', dst: '10.0.0.0/8', action: 'none', lifetime: { usetimeSec: 1 } });
    clock.advance(1000);
    assert.deepEqual(seen, ['usetime'], 'unsubscribed listener is not called');
    assert.equal(spd.size, 0);
  });

  it('handles lifetimes longer than a timer can wait (2^31-1 ms, about 24.8 days)', () => {
    const clock = new ManualClock(0);
    const delays: number[] = [];
    const spy = {
      now: () => clock.now(),
      setTimer: (ms: number, fn: () => void) => {
        delays.push(ms);
        return clock.setTimer(ms, fn);
      },
    };
    const spd = new Spd({ clock: spy });
    const seen: string[] = [];
    spd.onExpire((_p, why) => seen.push(why));
    spd.addPolicy({
      dir: 'out',
      src: '10.0.0.0/8',
      dst: '0.0.0.0/0',
      action: 'none',
      lifetime: { addtimeSec: 60 * 86400 },
    });
    clock.advance(59 * 86400_000);
    assert.deepEqual(seen, []);
    assert.equal(spd.size, 1);
    clock.advance(86400_000);
    assert.deepEqual(seen, ['addtime']);
    assert.ok(delays.length >= 3 && delays.every((d) => d <= 0x7fffffff), delays.join(','));
  });

  it('a deleted, updated or flushed policy never expires later', () => {
    const { spd, clock } = mk();
    let calls = 0;
    spd.onExpire(() => calls++);
    const sel = { src: '10.0.0.0/8', dst: '0.0.0.0/0' };
    const a = spd.addPolicy({ dir: 'out', ...sel, action: 'none', lifetime: { addtimeSec: 5 } });
    spd.deletePolicyById(a.id);
    spd.addPolicy({ dir: 'in', ...sel, action: 'none', lifetime: { addtimeSec: 5 } });
    spd.updatePolicy({ dir: 'in', ...sel, action: 'none' });
    spd.addPolicy({ dir: 'fwd', ...sel, action: 'none', lifetime: { addtimeSec: 5 } });
    spd.flush();
    clock.advance(60_000);
    assert.equal(calls, 0);
  });
});

describe('kernel/spd priorities (ipsec-tools policy_parse.y forms)', () => {
  // source: ipsec-tools 0.8.2 src/libipsec/policy_parse.y and libpfkey.h (PRIORITY_* constants)
  const cases: [Parameters<typeof resolvePriority>[0], number][] = [
    [undefined, 0x80000000],
    [{ offset: 10 }, 0x7ffffff6], // `prio 10`: DEFAULT - 10
    [{ offset: -10 }, 0x8000000a], // `prio -10`
    [{ offset: 0x80000000 }, 0],
    [{ offset: -0x7fffffff }, 0xffffffff],
    [{ base: 'high' }, 0x40000000],
    [{ base: 'low' }, 0xc0000000],
    [{ base: 'def', offset: 0 }, 0x80000000],
    [{ base: 'high', offset: 5 }, 0x3ffffffb], // `prio high + 5`
    [{ base: 'low', offset: -7 }, 0xc0000007], // `prio low - 7`
    [{ base: 'def', offset: 0x40000000 }, 0x40000000], // PRIORITY_OFFSET_NEGATIVE_MAX
    [{ base: 'low', offset: -0x3fffffff }, 0xffffffff], // PRIORITY_OFFSET_POSITIVE_MAX
  ];
  for (const [form, want] of cases) {
    it(`${JSON.stringify(form)} -> 0x${want.toString(16)}`, () => assert.equal(resolvePriority(form), want));
  }
  it('refuses offsets beyond the parser limits', () => {
    assert.equal(
      errCode(() => resolvePriority({ base: 'high', offset: 0x40000001 })),
      'EINVAL',
    );
    assert.equal(
      errCode(() => resolvePriority({ base: 'low', offset: -0x40000000 })),
      'EINVAL',
    );
    assert.equal(
      errCode(() => resolvePriority({ offset: 0x80000001 })),
      'EINVAL',
    );
    assert.equal(
      errCode(() => resolvePriority({ offset: 1.5 })),
      'EINVAL',
    );
    assert.equal(
      errCode(() => resolvePriority({ base: 'mid' as never })),
      'EINVAL',
    );
  });
  it('uses the resolved priority in lookups (prio high beats the default)', () => {
    const { spd } = mk();
    spd.addPolicy({ dir: 'out', src: '0.0.0.0/0', dst: '0.0.0.0/0', action: 'discard' });
    const hi = spd.addPolicy({
      dir: 'out',
      src: '0.0.0.0/0',
      dst: '0.0.0.0/0',
      proto: 'tcp',
      action: 'none',
      priority: resolvePriority({ base: 'high' }),
    });
    assert.equal(hi.priority < PRIORITY_DEFAULT, true);
    assert.equal(spd.lookupPolicy('out', A('1.1.1.1'), A('2.2.2.2'), 6, 1, 2), hi);
  });
});

describe('kernel/spd bad input at the API edge -> EINVAL', () => {
  const ok: PolicySpec = { dir: 'out', src: '10.0.0.0/8', dst: '10.1.0.0/16', action: 'ipsec', requests: esp };
  const bad: [string, unknown][] = [
    ['v4 prefix length 33', { ...ok, src: { family: 4, addr: new Uint8Array(4), len: 33 } }],
    ['v6 prefix length 129', { ...ok, src: '::/0', dst: { family: 6, addr: new Uint8Array(16), len: 129 } }],
    ['negative prefix length', { ...ok, dst: { family: 4, addr: new Uint8Array(4), len: -1 } }],
    ['fractional prefix length', { ...ok, dst: { family: 4, addr: new Uint8Array(4), len: 1.5 } }],
    ['text prefix /33', { ...ok, src: '10.0.0.0/33' }],
    ['5-byte address', { ...ok, src: { family: 4, addr: new Uint8Array(5), len: 8 } }],
    ['mismatched families', { ...ok, dst: '2001:db8::/32' }],
    ['bad direction', { ...ok, dir: 'sideways' }],
    ['bad action', { ...ok, action: 'allow' }],
    ['ipsec without requests', { ...ok, requests: [] }],
    ['requests on discard', { ...ok, action: 'discard' }],
    ['too many requests', { ...ok, requests: Array(7).fill(esp[0]) }],
    ['mode any', { ...ok, requests: [{ proto: 'esp', mode: 'any' }] }],
    ['tunnel without endpoints', { ...ok, requests: [{ proto: 'esp', mode: 'tunnel' }] }],
    ['tunnel with one endpoint', { ...ok, requests: [{ proto: 'esp', mode: 'tunnel', src: '192.0.2.1' }] }],
    [
      'tunnel endpoint families differ',
      { ...ok, requests: [{ proto: 'esp', mode: 'tunnel', src: '192.0.2.1', dst: '2001:db8::1' }] },
    ],
    ['bad request proto', { ...ok, requests: [{ proto: 'gre', mode: 'transport' }] }],
    ['bad level', { ...ok, requests: [{ proto: 'esp', mode: 'transport', level: 'always' }] }],
    ['reqid over 16 bits', { ...ok, requests: [{ proto: 'esp', mode: 'transport', level: 'unique', reqid: 0x10000 }] }],
    ['endpoint ports without endpoints', { ...ok, requests: [{ proto: 'esp', mode: 'transport', sport: 4500 }] }],
    ['upper protocol 256', { ...ok, proto: 256 }],
    ['upper protocol name', { ...ok, proto: 'sctp' }],
    ['upper protocol __proto__', { ...ok, proto: '__proto__' }],
    ['port 65536', { ...ok, dport: 65536 }],
    ['ICMP type with tcp', { ...ok, proto: 'tcp', icmpType: 8 }],
    ['ICMP type 256', { ...ok, proto: 'icmp', icmpType: 256 }],
    ['ICMP type and ports', { ...ok, proto: 'icmp', icmpType: 8, dport: 1 }],
    ['priority 2^32', { ...ok, priority: 2 ** 32 }],
    ['negative priority', { ...ok, priority: -1 }],
    ['lifetime not an object', { ...ok, lifetime: 5 }],
    ['negative lifetime', { ...ok, lifetime: { addtimeSec: -1 } }],
    ['not an object', 'spdadd'],
    ['null', null],
  ];
  for (const [name, spec] of bad) {
    it(name, () => {
      const { spd } = mk();
      assert.equal(
        errCode(() => spd.addPolicy(spec as PolicySpec)),
        'EINVAL',
      );
      assert.equal(
        errCode(() => spd.updatePolicy(spec as PolicySpec)),
        'EINVAL',
      );
      assert.equal(spd.size, 0);
      assert.equal(spd.generation, 0);
    });
  }
  it('kameStrict refuses fwd, entrust and bypass as the KAME kernel does', () => {
    const spd = new Spd({ clock: new ManualClock(0), kameStrict: true });
    assert.equal(
      errCode(() => spd.addPolicy({ ...ok, dir: 'fwd' })),
      'EINVAL',
    );
    assert.equal(
      errCode(() => spd.addPolicy({ ...ok, action: 'entrust', requests: undefined })),
      'EINVAL',
    );
    assert.equal(
      errCode(() => spd.addPolicy({ ...ok, action: 'bypass', requests: undefined })),
      'EINVAL',
    );
    spd.addPolicy(ok);
    assert.equal(spd.size, 1);
  });
  it('delete with a bad selector or direction is EINVAL, not ENOENT', () => {
    const { spd } = mk();
    assert.equal(
      errCode(() => spd.deletePolicy({ src: '10.0.0.0/40', dst: '10.0.0.0/8' }, 'out')),
      'EINVAL',
    );
    assert.equal(
      errCode(() => spd.deletePolicy({ src: '10.0.0.0/8', dst: '10.0.0.0/8' }, 'up' as never)),
      'EINVAL',
    );
  });
});

describe('kernel/spd flow cache', () => {
  it('tells apart flows that differ in one key field, even when they share a cache set', () => {
    // Two ways in one set: every flow lands in the same set, so only the key comparison separates them.
    const spd = new Spd({ clock: new ManualClock(0), cacheEntries: 2 });
    const pol = (dir: 'in' | 'out', src: string, dst: string, proto: number, sport: number, dport: number) =>
      spd.addPolicy({ dir, src, dst, proto, sport, dport, action: 'none' });
    const base = pol('out', '10.0.0.1', '10.0.0.2', 6, 1000, 22);
    const variants = [
      [pol('in', '10.0.0.1', '10.0.0.2', 6, 1000, 22), 'in', '10.0.0.1', '10.0.0.2', 6, 1000, 22],
      [pol('out', '10.0.0.9', '10.0.0.2', 6, 1000, 22), 'out', '10.0.0.9', '10.0.0.2', 6, 1000, 22],
      [pol('out', '10.0.0.1', '10.0.0.9', 6, 1000, 22), 'out', '10.0.0.1', '10.0.0.9', 6, 1000, 22],
      [pol('out', '10.0.0.1', '10.0.0.2', 17, 1000, 22), 'out', '10.0.0.1', '10.0.0.2', 17, 1000, 22],
      [pol('out', '10.0.0.1', '10.0.0.2', 6, 1001, 22), 'out', '10.0.0.1', '10.0.0.2', 6, 1001, 22],
      [pol('out', '10.0.0.1', '10.0.0.2', 6, 1000, 23), 'out', '10.0.0.1', '10.0.0.2', 6, 1000, 23],
      [pol('out', '::a', '::b', 6, 1000, 22), 'out', '::a', '::b', 6, 1000, 22],
      [pol('out', '::a', '::c', 6, 1000, 22), 'out', '::a', '::c', 6, 1000, 22],
      [undefined, 'out', '10.0.0.1', '10.0.0.2', 6, 999, 22],
    ] as const;
    for (let round = 0; round < 3; round++) {
      for (const [want, dir, s, d, proto, sp, dp] of variants) {
        assert.equal(spd.lookupPolicy('out', A('10.0.0.1'), A('10.0.0.2'), 6, 1000, 22), base);
        assert.equal(spd.lookupPolicy(dir, A(s), A(d), proto, sp, dp), want, `${dir} ${s} ${d} ${proto} ${sp} ${dp}`);
      }
    }
    const st = spd.cacheStats!;
    assert.ok(st.hits > 0 && st.misses > 0, JSON.stringify(st));
  });

  it('serves lookups with out-of-range numbers from the index (no key aliasing)', () => {
    const spd = new Spd({ clock: new ManualClock(0), cacheEntries: 2 });
    const p = spd.addPolicy({
      dir: 'out',
      src: '10.0.0.1',
      dst: '10.0.0.2',
      proto: 6,
      sport: 1,
      dport: 22,
      action: 'none',
    });
    assert.equal(spd.lookupPolicy('out', A('10.0.0.1'), A('10.0.0.2'), 6, 1, 22), p);
    // 0x10001 would pack like port 1 if it reached the cache key.
    assert.equal(spd.lookupPolicy('out', A('10.0.0.1'), A('10.0.0.2'), 6, 0x10001, 22), undefined);
    assert.equal(spd.lookupPolicy('out', A('10.0.0.1'), A('10.0.0.2'), 6 + 256, 1, 22), undefined);
  });
});
