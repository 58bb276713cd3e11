// Kernel controls (kernel/ext/control.ts): kern_ctl semantics without a socket — names, privilege, units,
// options, enqueue bounded by the client's room (ENOBUFS and the client told to go), deregistration refused
// while clients are connected, and an extension's thrown bugs contained.
import { strict as assert } from 'node:assert';
import { ErrnoError } from '../../../common/errors.js';
import { ControlRegistry, type ControlSink } from '../../../kernel/ext/control.js';
import { startCounter, COUNTER, ADMIN, OPT_COUNT, OPT_STEP } from '../../../examples/extensions/counter-control.js';

const OWNER = 1000;

/** A client that holds `room` bytes and records what it got. */
function sink(room = 1 << 20) {
  const got: string[] = [];
  let overflowed = 0;
  let closed = 0;
  let left = room;
  const s: ControlSink = {
    room: () => left,
    deliver: (d) => {
      left -= d.length;
      got.push(new TextDecoder().decode(d));
    },
    overflow: () => void overflowed++,
    closed: () => void closed++,
  };
  return { s, got, overflowed: () => overflowed, closed: () => closed, read: () => (left = room) };
}

function errno(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof ErrnoError, String(e));
    return e.errno;
  }
  return 'no error';
}

describe('kernel controls (kern_ctl)', () => {
  it('takes reverse-DNS names, unique per registry', () => {
    const r = new ControlRegistry({ ownerUid: OWNER });
    assert.equal(
      errno(() => r.register({ name: 'nodots', callbacks: {} })),
      'EINVAL',
    );
    assert.equal(
      errno(() => r.register({ name: 'a.' + 'b'.repeat(95), callbacks: {} })),
      'EINVAL',
    );
    assert.equal(
      errno(() => r.register({ name: 'org.x/y', callbacks: {} })),
      'EINVAL',
    );
    r.register({ name: 'org.example.a', callbacks: {} });
    assert.equal(
      errno(() => r.register({ name: 'org.example.a', callbacks: {} })),
      'EEXIST',
    );
    assert.equal(
      errno(() => r.connect('org.example.none', 0, { uid: OWNER }, sink().s)),
      'ENOENT',
    );
  });

  it('admits only the owner and root to a privileged control', () => {
    const r = new ControlRegistry({ ownerUid: OWNER });
    const seen: number[] = [];
    r.register({ name: 'org.example.p', privileged: true, callbacks: { connect: (u, p) => void seen.push(p.uid!) } });
    assert.equal(
      errno(() => r.connect('org.example.p', 0, { uid: 65534 }, sink().s)),
      'EPERM',
    );
    assert.equal(
      errno(() => r.connect('org.example.p', 0, {}, sink().s)),
      'EPERM',
    ); // unknown peer: refused
    r.connect('org.example.p', 0, { uid: OWNER }, sink().s);
    r.connect('org.example.p', 0, { uid: 0 }, sink().s);
    assert.deepEqual(seen, [OWNER, 0]);
    assert.equal(r.list()[0]!.stats.refused, 2);
  });

  it('picks the lowest free unit for 0, refuses a taken unit (EBUSY) and past maxUnits (ENOBUFS)', () => {
    const r = new ControlRegistry({ ownerUid: OWNER });
    const h = r.register({ name: 'org.example.u', maxUnits: 3, callbacks: {} });
    const a = r.connect('org.example.u', 0, {}, sink().s);
    const b = r.connect('org.example.u', 5, {}, sink().s);
    assert.equal(
      errno(() => r.connect('org.example.u', 5, {}, sink().s)),
      'EBUSY',
    );
    const c = r.connect('org.example.u', 0, {}, sink().s);
    assert.deepEqual([a.unit, b.unit, c.unit], [1, 5, 2]);
    assert.equal(
      errno(() => r.connect('org.example.u', 0, {}, sink().s)),
      'ENOBUFS',
    );
    a.close();
    assert.deepEqual(h.units(), [2, 5]);
  });

  it('refuses to deregister while a client is connected (EBUSY), then lets go', () => {
    const r = new ControlRegistry({ ownerUid: OWNER });
    const gone: number[] = [];
    const h = r.register({ name: 'org.example.d', callbacks: { disconnect: (u) => void gone.push(u) } });
    const c = r.connect('org.example.d', 0, {}, sink().s);
    assert.equal(
      errno(() => h.deregister()),
      'EBUSY',
    );
    c.close();
    c.close(); // idempotent
    assert.deepEqual(gone, [1]);
    h.deregister();
    assert.equal(r.list().length, 0);
    assert.equal(
      errno(() => c.send(new Uint8Array(1))),
      'ENOTCONN',
    );
  });

  it('bounds what waits for a client: ENOBUFS when it has no room, and its owner is told to drop it', () => {
    const r = new ControlRegistry({ ownerUid: OWNER });
    const h = r.register({ name: 'org.example.q', recvSize: 100, callbacks: {} });
    const slow = sink(250);
    const fast = sink();
    const cs = r.connect('org.example.q', 0, {}, slow.s);
    const cf = r.connect('org.example.q', 0, {}, fast.s);
    assert.equal(h.enqueue(cs.unit, new Uint8Array(101)), 'ENOBUFS'); // over recvSize
    assert.equal(h.enqueue(cs.unit, new Uint8Array(100)), undefined);
    assert.equal(h.enqueue(cs.unit, new Uint8Array(100)), undefined);
    assert.equal(h.space(cs.unit), 50);
    assert.equal(h.enqueue(cs.unit, new Uint8Array(100)), 'ENOBUFS');
    assert.equal(slow.overflowed(), 2);
    for (let i = 0; i < 50; i++) assert.equal(h.enqueue(cf.unit, new Uint8Array(100)), undefined);
    assert.equal(fast.got.length, 50);
    assert.equal(h.enqueue(99, new Uint8Array(1)), 'ENOTCONN');
    assert.equal(h.enqueue(cf.unit, new Uint8Array(70000)), 'EMSGSIZE');
    assert.equal(r.list()[0]!.stats.enqueueNoRoom, 2);
  });

  it('passes an ErrnoError from a callback through and turns any other throw into a counted EINVAL', () => {
    const errors: string[] = [];
    const r = new ControlRegistry({ ownerUid: OWNER, onError: (w) => void errors.push(w) });
    r.register({
      name: 'org.example.bug',
      callbacks: {
        send: () => {
          throw new TypeError('oops');
        },
        setopt: () => {
          throw new ErrnoError('EPERM', 'read-only');
        },
      },
    });
    const c = r.connect('org.example.bug', 0, {}, sink().s);
    assert.equal(
      errno(() => c.send(new Uint8Array(1))),
      'EINVAL',
    );
    assert.equal(
      errno(() => c.setopt(1, new Uint8Array(0))),
      'EPERM',
    );
    assert.equal(
      errno(() => c.getopt(1, 4)),
      'ENOPROTOOPT',
    );
    assert.deepEqual(errors, ['control org.example.bug send']);
    assert.equal(r.list()[0]!.stats.callbackErrors, 1);
  });

  it('closing the registry disconnects every client and tells its transport', () => {
    const r = new ControlRegistry({ ownerUid: OWNER });
    const gone: number[] = [];
    r.register({ name: 'org.example.c', callbacks: { disconnect: (u) => void gone.push(u) } });
    const k = sink();
    r.connect('org.example.c', 0, {}, k.s);
    r.connect('org.example.c', 0, {}, k.s);
    r.close();
    assert.deepEqual(gone, [1, 2]);
    assert.equal(k.closed(), 2);
  });

  it('runs the example counter extension: echo with a count, options, privileged admin', () => {
    const r = new ControlRegistry({ ownerUid: OWNER });
    const host = { controls: r } as unknown as Parameters<typeof startCounter>[0];
    const ext = startCounter(host);
    const k = sink();
    const c = r.connect(COUNTER, 0, { uid: 65534 }, k.s);
    c.send(new TextEncoder().encode('hi'));
    const step = new Uint8Array([0, 0, 0, 10]);
    c.setopt(OPT_STEP, step);
    c.send(new TextEncoder().encode('there'));
    assert.deepEqual(k.got, ['#1 hi', '#11 there']);
    assert.equal(new TextDecoder().decode(c.getopt(OPT_COUNT, 16)), '11');
    assert.equal(new TextDecoder().decode(c.getopt(OPT_COUNT, 1)), '1'); // truncated to maxLen
    assert.equal(
      errno(() => c.setopt(OPT_COUNT, step)),
      'ENOPROTOOPT',
    );
    assert.equal(
      errno(() => r.connect(ADMIN, 0, { uid: 65534 }, sink().s)),
      'EPERM',
    );
    const admin = r.connect(ADMIN, 0, { uid: OWNER }, sink().s);
    assert.equal(new TextDecoder().decode(admin.getopt(1, 8)), '1');
    assert.equal(
      errno(() => ext.stop()),
      'EBUSY',
    );
    c.close();
    admin.close();
    ext.stop();
    assert.equal(r.list().length, 0);
  });
});
