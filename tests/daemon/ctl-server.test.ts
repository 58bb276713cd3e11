// uipsecd's control socket (kernel/daemon/ctl-server.ts) with an in-process daemon and real Unix sockets:
// kernel controls by name and unit (data both ways, options, list, errnos), the peer's credentials from
// SO_PEERCRED, a client that stops reading dropped while another keeps being served, and kernel events with
// filters, fed by SAs and policies a PF_KEY client adds.
import { strict as assert } from 'node:assert';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, type Daemon } from '../../kernel/daemon/main.js';
import { CtlClient, CtlError, type CtlEvent } from '../../channel/ctl-client.js';
import { connectPfkey } from '../../pfkey/transport-unix.js';
import { KEV_FILTER_NAMES } from '../../kernel/ext/events.js';
import type { ControlPeer } from '../../kernel/ext/control.js';
import { startCounter, COUNTER, ADMIN, OPT_COUNT } from '../../examples/extensions/counter-control.js';
import { listen } from '../../examples/extensions/event-listener.js';
import { spMsg, saMsg } from '../unit/keysock/support.js';
import { settle, sockDir, testConfig } from './support.js';

const text = (b: Uint8Array) => new TextDecoder().decode(b);

function nextData(c: CtlClient, ref: number): Promise<string> {
  return new Promise((resolve) => c.onData((r, d) => r === ref && resolve(text(d))));
}

async function errnoOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof CtlError, String(e));
    return e.code;
  }
  return 'no error';
}

describe('uipsecd control socket (kernel controls and events)', () => {
  let d: Daemon;
  let path: string;
  const peers: ControlPeer[] = [];
  before(async () => {
    const dir = sockDir();
    d = await startDaemon(testConfig(dir));
    path = join(dir, 'ctl.sock');
    startCounter(d.host);
    d.host.controls.register({ name: 'org.test.peer', callbacks: { connect: (_u, p) => void peers.push(p) } });
  });
  after(() => d.close());

  it('listens on ctl.sock beside the PF_KEY socket, mode 0600', () => {
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  it('connects by name, sends, receives what the control enqueues, gets and sets options', async () => {
    const c = await CtlClient.connect(path);
    const k = await c.connectControl(COUNTER);
    const reply = nextData(c, k.ref);
    await c.send(k.ref, new TextEncoder().encode('hello'));
    assert.equal(await reply, '#1 hello');
    await c.setopt(k.ref, 2, Uint8Array.from([0, 0, 0, 5]));
    await c.send(k.ref, new TextEncoder().encode('x'));
    assert.equal(text(await c.getopt(k.ref, OPT_COUNT)), '6');
    assert.equal(await errnoOf(c.getopt(k.ref, 99)), 'ENOPROTOOPT');
    assert.equal(await errnoOf(c.connectControl('org.example.none')), 'ENOENT');
    assert.equal(await errnoOf(c.connectControl(COUNTER, k.unit)), 'EBUSY');
    const list = await c.list();
    assert.deepEqual(
      list.map((x) => [x.name, x.privileged]),
      [
        [COUNTER, false],
        [ADMIN, true],
        ['org.test.peer', false],
      ],
    );
    await c.disconnect(k.ref);
    assert.equal(await errnoOf(c.send(k.ref, new Uint8Array(1))), 'ENOTCONN');
    c.close();
  });

  it("knows the peer from SO_PEERCRED (this process's uid and pid) and admits the owner to a privileged control", async () => {
    const c = await CtlClient.connect(path);
    await c.connectControl('org.test.peer');
    assert.deepEqual(peers.at(-1), { uid: process.getuid!(), pid: process.pid });
    const a = await c.connectControl(ADMIN);
    assert.equal(text(await c.getopt(a.ref, 1)), '0');
    c.close();
  });

  it('drops a client that stops reading, counted, and keeps serving the others', async () => {
    const flood = d.host.controls.register({ name: 'org.test.flood', callbacks: {} });
    const slow = await CtlClient.connect(path);
    const fast = await CtlClient.connect(path);
    const s = await slow.connectControl('org.test.flood');
    const f = await fast.connectControl(COUNTER);
    slow.pause(); // a paused socket sees no close either: the daemon's side is what the test watches
    const chunk = new Uint8Array(16 * 1024);
    let refused = 0;
    for (let i = 0; i < 2000 && refused === 0; i++) {
      if (flood.enqueue(s.unit, chunk) === 'ENOBUFS') refused++;
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(refused, 1, 'the slow client ran out of room');
    await settle();
    assert.equal(d.ctl.stats.slowDropped, 1);
    slow.close();
    assert.deepEqual(flood.units(), []);
    const reply = nextData(fast, f.ref);
    await fast.send(f.ref, new TextEncoder().encode('still here'));
    assert.match(await reply, /^#\d+ still here$/);
    fast.close();
    await settle();
    flood.deregister();
    assert.ok(d.ctl.budget.used === 0, `queued bytes given back (${d.ctl.budget.used})`);
  });

  it('delivers kernel events through the filters: SA events from a PF_KEY ADD, not policy events', async () => {
    const c = await CtlClient.connect(path);
    const evs: CtlEvent[] = [];
    c.onEvent((e) => evs.push(e));
    await c.subscribe(KEV_FILTER_NAMES.sa);
    const pf = await connectPfkey(d.config.socketPath, { pid: 4242 });
    await pf.request(spMsg({ seq: pf.nextSeq(), pid: pf.pid }));
    await pf.request(saMsg({ spi: 0x7001, seq: pf.nextSeq(), pid: pf.pid }));
    for (let i = 0; i < 50 && evs.length === 0; i++) await settle();
    assert.deepEqual(
      evs.map((e) => [e.name, e.vendor, e.class, e.subclass, (e.sa as { spi: string }).spi]),
      [['sa-added', 1000, 1, 1, '0x7001']],
    );
    assert.doesNotMatch(JSON.stringify(evs), /key/i);
    pf.close();
    c.close();
  });

  it('runs the event-listener example: policy events only, as JSON lines', async () => {
    const lines: string[] = [];
    const c = await listen(path, ['policy'], (l) => lines.push(l));
    const pf = await connectPfkey(d.config.socketPath, { pid: 4343 });
    await pf.request(saMsg({ spi: 0x7002, seq: pf.nextSeq(), pid: pf.pid }));
    await pf.request(spMsg({ src: '10.9.9.1', dst: '10.9.9.2', seq: pf.nextSeq(), pid: pf.pid }));
    for (let i = 0; i < 50 && lines.length === 0; i++) await settle();
    assert.deepEqual(
      lines.map((l) => (JSON.parse(l) as { name: string }).name),
      ['policy-added'],
    );
    pf.close();
    c.close();
  });

  it('drops an event subscriber that stops reading; the bus goes on', async () => {
    const before = d.ctl.stats.slowDropped;
    const c = await CtlClient.connect(path);
    await c.subscribe({});
    c.pause();
    let i = 0;
    for (; i < 20000 && d.ctl.stats.slowDropped === before; i++) {
      d.host.kernEvents.post({ name: 'link-on', ifname: 'x'.repeat(200) });
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    assert.equal(d.ctl.stats.slowDropped, before + 1, `dropped after ${i} events`);
    await settle();
    assert.equal(d.host.kernEvents.subscriberCount, 0);
    c.close();
  });

  it('refuses a frame it cannot parse by disconnecting that client only', async () => {
    const { createConnection } = await import('node:net');
    const raw = createConnection(path);
    await new Promise((r) => raw.once('connect', r));
    const closed = new Promise((r) => raw.once('close', r));
    raw.write(Buffer.from([0, 0, 0, 3, 0, 0, 0, 0]));
    await closed;
    const c = await CtlClient.connect(path);
    assert.ok((await c.list()).length >= 3);
    c.close();
  });
});
