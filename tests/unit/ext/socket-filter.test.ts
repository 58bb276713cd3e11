// Socket filters (sflt_register / SO_NKE): global filters on UDP sockets created after they register, one
// socket's filters placed before/after another, data in/out, bind/connect/close notifications, error and
// swallow verdicts, re-injection past every filter, and a filter that throws.
import { strict as assert } from 'node:assert';
import { settle } from '../../scenarios/lab.js';
import { ErrnoError } from '../../../common/errors.js';
import type { SocketFilterRef } from '../../../kernel/ext/socket-filter.js';
import { parseAddr } from '../../../common/inet.js';
import { pair, ext, inbox, text, A, B } from './rig.js';

const str = (d: Uint8Array) => Buffer.from(d).toString();

describe('ext: socket filters', () => {
  it('a global filter is on every UDP socket created after it registers, not before', async () => {
    const { a, b, close } = pair();
    const seen: string[] = [];
    const before = a.udpSocket();
    await a.extensions.load(
      ext('t.global', (c) =>
        c.socketFilter({ name: 'g', dataOut: (s, d) => void seen.push(str(d)) }, { global: true }),
      ),
    );
    const after = a.udpSocket();
    const got = inbox(b, 9);
    before.send(text('old'), B, 9);
    after.send(text('new'), B, 9);
    await settle();
    assert.deepEqual(got, ['old', 'new']);
    assert.deepEqual(seen, ['new']);
    close();
  });

  it('SO_NKE ordering: at the end, before and after another filter', async () => {
    const { a, close } = pair();
    const order: string[] = [];
    const refs: Record<string, SocketFilterRef> = {};
    await a.extensions.load(
      ext('t.order', (c) => {
        for (const n of ['x', 'y', 'z', 'w']) refs[n] = c.socketFilter({ name: n, dataOut: () => void order.push(n) });
      }),
    );
    const s = a.udpSocket();
    refs.x!.attach(s);
    refs.y!.attach(s);
    refs.z!.attach(s, { before: refs.x });
    refs.w!.attach(s, { after: refs.z });
    assert.throws(() => refs.x!.attach(s), /EEXIST/);
    s.send(text('.'), B, 9);
    assert.deepEqual(order, ['z', 'w', 'x', 'y']);
    close();
  });

  it('data in/out, bind, connect, close; errors fail the call, swallow + inject bypass the filters', async () => {
    const { a, b, close } = pair();
    const events: string[] = [];
    const held: Uint8Array[] = [];
    let ref!: SocketFilterRef;
    await b.extensions.load(
      ext('t.events', (c) => {
        ref = c.socketFilter({
          name: 'e',
          bind: (s, port) => (events.push(`bind ${port}`), port === 1 ? { error: 'EACCES' } : 'continue'),
          connect: (s, to) => void events.push(`connect ${to.port}`),
          dataOut: (s, d) =>
            str(d) === 'no' ? { error: 'EPERM' } : str(d) === 'keep' ? (held.push(d), 'swallow') : text(`${str(d)}!`),
          dataIn: (s, d) => (events.push(`in ${str(d)}`), str(d) === 'bad' ? { error: 'EINVAL' } : 'continue'),
          closed: () => void events.push('closed'),
          detached: () => void events.push('detached'),
        });
      }),
    );
    const s = b.udpSocket();
    ref.attach(s);
    assert.throws(
      () => s.bind(1),
      (e: unknown) => e instanceof ErrnoError && e.errno === 'EACCES',
    );
    s.bind(5000);
    const received: string[] = [];
    s.onMessage((d) => void received.push(str(d)));
    s.connect(A, 9);
    const got = inbox(a, 9);
    s.send(text('hi'));
    assert.throws(
      () => s.send(text('no')),
      (e: unknown) => e instanceof ErrnoError && e.errno === 'EPERM',
    );
    assert.equal(s.send(text('keep')), true);
    await settle();
    assert.deepEqual(got, ['hi!']);
    ref.injectDataOut(s, held[0]!, { address: parseAddr(A)!, port: 9 });
    const tx = a.udpSocket();
    tx.send(text('good'), B, 5000);
    tx.send(text('bad'), B, 5000);
    await settle();
    assert.deepEqual(got, ['hi!', 'keep'], 'the injected datagram is not changed by the filter again');
    assert.deepEqual(received, ['good']);
    ref.injectDataIn(s, text('injected'), { address: parseAddr(A)!, port: 9, local: parseAddr(B)!, layers: [] });
    assert.deepEqual(received, ['good', 'injected']);
    s.close();
    assert.deepEqual(events, ['bind 1', 'bind 5000', 'connect 9', 'in good', 'in bad', 'closed', 'detached']);
    assert.equal(b.extensions.stats.get('sflt_in_dropped'), 1);
    close();
  });

  it('a throwing socket filter drops the datagram (send returns false), counted', async () => {
    const { a, b, close } = pair();
    const got = inbox(b, 9);
    await a.extensions.load(
      ext('t.sthrow', (c) =>
        c.socketFilter(
          {
            name: 'bad',
            dataOut: () => {
              throw new Error('oops');
            },
          },
          { global: true },
        ),
      ),
    );
    assert.equal(a.udpSocket().send(text('x'), B, 9), false);
    await settle();
    assert.deepEqual(got, []);
    assert.equal(a.extensions.stats.get('ext_faults'), 1);
    assert.equal(a.extensions.stats.get('sflt_out_dropped'), 1);
    close();
  });
});
