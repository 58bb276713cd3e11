// Kernel events (kernel/ext/events.ts, events-feed.ts): Darwin's vendor/class/subclass filtering, and what a
// Host posts — interface attach and addresses, SA added/expired/deleted, policy added/changed/deleted, ACQUIRE —
// with no keys in them, nothing built while nobody listens, and a throwing subscriber contained.
import { strict as assert } from 'node:assert';
import { ManualClock } from '../../../common/clock.js';
import { MemWire } from '../../../kernel/link/memwire.js';
import {
  KEV_FILTER_NAMES,
  KEV_VENDOR_APPLE,
  KEV_NETWORK_CLASS,
  KEV_INET6_SUBCLASS,
  KernEventBus,
  checkKevFilter,
  kevMatches,
  type KernEvent,
} from '../../../kernel/ext/events.js';
import { ip, makeHost, saParams } from '../../scenarios/lab.js';

const A = '192.0.2.1',
  B = '192.0.2.2';

function hostWithEvents(filter = KEV_FILTER_NAMES.all!) {
  const h = makeHost('ev', new ManualClock(1_700_000_000_000));
  const evs: KernEvent[] = [];
  const off = h.kernEvents.subscribe(filter, (e) => evs.push(e));
  return { h, evs, off };
}

describe('kernel events (SYSPROTO_EVENT)', () => {
  it('filters like SIOCSKEVFILT: 0 is any, a class needs a vendor, a subclass a class', () => {
    assert.equal(checkKevFilter({}), undefined);
    assert.match(checkKevFilter({ class: 1 })!, /vendor/);
    assert.match(checkKevFilter({ vendor: 1, subclass: 2 })!, /class/);
    const dl = { vendor: 1, class: 1, subclass: 2 };
    assert.ok(kevMatches({}, dl));
    assert.ok(kevMatches({ vendor: 1 }, dl));
    assert.ok(kevMatches(KEV_FILTER_NAMES.interface!, dl));
    assert.ok(!kevMatches(KEV_FILTER_NAMES.inet!, dl));
    assert.ok(!kevMatches(KEV_FILTER_NAMES.sa!, dl));
  });

  it('posts interface attach and its addresses with Darwin numbers (KEV_DL_IF_ATTACHED, KEV_INET*_NEW_ADDR)', () => {
    const { h, evs } = hostWithEvents(KEV_FILTER_NAMES.network);
    const w = new MemWire();
    h.addInterface('eth0', w.attach('x', [ip(A)]), [`${A}/24`, '2001:db8::1/64']);
    assert.deepEqual(
      evs.map((e) => [e.name, e.vendor, e.class, e.subclass, e.code]),
      [
        ['if-attached', KEV_VENDOR_APPLE, KEV_NETWORK_CLASS, 2, 9],
        ['addr-added', KEV_VENDOR_APPLE, KEV_NETWORK_CLASS, 1, 1],
        ['addr-added', KEV_VENDOR_APPLE, KEV_NETWORK_CLASS, KEV_INET6_SUBCLASS, 1],
      ],
    );
    assert.deepEqual(evs[1], { ...evs[1], ifname: 'eth0', addr: `${A}/24` });
    assert.ok(evs[0]!.id < evs[1]!.id && evs[1]!.id < evs[2]!.id);
  });

  it('posts link on/off and address changes when the interface reports them (Interface.watch)', function () {
    const { h, evs } = hostWithEvents(KEV_FILTER_NAMES.network);
    const ifc = h.addInterface('eth0', new MemWire().attach('x', [ip(A)]), [`${A}/24`]);
    evs.length = 0;
    ifc.setUp(false);
    ifc.setUp(true);
    ifc.removeAddress(A);
    assert.deepEqual(
      evs.map((e) => e.name),
      ['link-off', 'link-on', 'addr-deleted'],
    );
  });

  it('posts SA added/deleted/expired and policy added/changed/deleted, never a key', () => {
    const { h, evs } = hostWithEvents(KEV_FILTER_NAMES.ipsec);
    h.sad.add(
      saParams({ proto: 'esp', enc: 'aes-cbc', auth: 'hmac-sha256', hard: { addtimeSec: 5 } as never }, A, B, 0x1001),
    );
    h.sad.add(saParams({ proto: 'esp' }, B, A, 0x1002));
    h.sad.delete(ip(B), ip(A), 'esp', 0x1002);
    const sel = { src: `${A}/32`, dst: `${B}/32` };
    h.spd.addPolicy({
      ...sel,
      dir: 'out',
      action: 'ipsec',
      requests: [{ proto: 'esp', mode: 'transport', level: 'require' }],
    });
    h.spd.updatePolicy({ ...sel, dir: 'out', action: 'discard' });
    h.spd.flush();
    (h.clock as ManualClock).advance(6000);
    h.sad.tick();
    assert.deepEqual(
      evs.map((e) => e.name),
      ['sa-added', 'sa-added', 'sa-deleted', 'policy-added', 'policy-changed', 'policy-deleted', 'sa-expired'],
    );
    const first = evs[0] as Extract<KernEvent, { name: 'sa-added' }>;
    assert.deepEqual(first.sa, {
      proto: 'esp',
      mode: 'transport',
      src: A,
      dst: B,
      spi: '0x1001',
      reqid: 0,
      state: 'mature',
      enc: first.sa.enc,
      auth: first.sa.auth,
    });
    assert.ok(first.sa.enc && first.sa.auth);
    assert.deepEqual(evs[6], { ...evs[6], kind: 'hard', reason: 'addtime' });
    assert.doesNotMatch(JSON.stringify(evs), /key/i);
    const pol = evs[3] as Extract<KernEvent, { name: 'policy-added' }>;
    assert.deepEqual(pol.policy.requests, ['esp/transport//require']);
  });

  it('posts ACQUIRE when a require policy finds no SA', () => {
    const { h, evs } = hostWithEvents(KEV_FILTER_NAMES.acquire);
    h.addInterface('eth0', new MemWire().attach('x', [ip(A)]), [`${A}/24`]);
    h.spd.addPolicy({
      src: `${A}/32`,
      dst: `${B}/32`,
      dir: 'out',
      action: 'ipsec',
      requests: [{ proto: 'esp', mode: 'transport', level: 'require' }],
    });
    const s = h.udpSocket();
    s.bind(5000);
    s.send(new Uint8Array(4), ip(B), 5000);
    assert.equal(evs.length, 1);
    assert.deepEqual(evs[0], { ...evs[0], name: 'acquire', proto: 'esp', src: A, dst: B });
  });

  it('builds nothing while nobody listens, and contains a subscriber that throws', () => {
    const h = makeHost('quiet', new ManualClock(0));
    h.sad.add(saParams({ proto: 'esp' }, A, B, 0x2000));
    assert.equal(h.kernEvents.stats.posted, 0);
    const errors: unknown[] = [];
    const bus = new KernEventBus({ onSubscriberError: (e) => errors.push(e) });
    const got: string[] = [];
    bus.subscribe({}, () => {
      throw new Error('bad subscriber');
    });
    const off = bus.subscribe({}, (e) => got.push(e.name));
    bus.post({ name: 'link-on', ifname: 'x' });
    off();
    bus.post({ name: 'link-on', ifname: 'x' });
    assert.deepEqual(got, ['link-on']);
    assert.equal(bus.stats.subscriberErrors, 2);
    assert.equal(errors.length, 2);
  });

  it('bounds its subscribers', () => {
    const bus = new KernEventBus({ maxSubscribers: 2 });
    bus.subscribe({}, () => {});
    bus.subscribe({}, () => {});
    assert.throws(() => bus.subscribe({}, () => {}), /too many/);
    assert.throws(() => new KernEventBus().subscribe({ class: 3 }, () => {}), /vendor/);
  });
});
