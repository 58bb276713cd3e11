// The kernel controls part of `uipsec status` (app/status-controls.ts): read from a host's STATUS as the daemon
// builds it (kernel/daemon/ike-server.ts hostStatus), hostile fields refused one by one, and the table.
import { strict as assert } from 'node:assert';
import { Host } from '../../../kernel/host/host.js';
import { hostStatus } from '../../../kernel/daemon/ike-server.js';
import { hostPartFromStatus } from '../../../app/status.js';
import { controlsFromStatus, formatControls } from '../../../app/status-controls.js';
import type { ControlSink } from '../../../kernel/ext/control.js';

function sink(room: number, got: Uint8Array[]): ControlSink {
  return { room: () => room, deliver: (d) => void got.push(d), overflow: () => {}, closed: () => {} };
}

describe('uipsec status: kernel controls', () => {
  it('a control with a client, data queued to it and one refused for want of room, as STATUS reports it', () => {
    const host = new Host({ name: 'h' });
    const h = host.controls.register({ name: 'org.example.a', callbacks: {} });
    host.controls.register({ name: 'org.example.p', privileged: true, callbacks: {} });
    const got: Uint8Array[] = [];
    const conn = host.controls.connect('org.example.a', 0, { uid: 0 }, sink(10, got));
    assert.equal(h.enqueue(conn.unit, new Uint8Array(4)), undefined);
    assert.equal(h.enqueue(conn.unit, new Uint8Array(4)), undefined);
    assert.equal(h.enqueue(conn.unit, new Uint8Array(11)), 'ENOBUFS');
    assert.throws(() => host.controls.connect('org.example.p', 0, { uid: 12345 }, sink(10, [])), /privileged/);
    const part = hostPartFromStatus(JSON.parse(JSON.stringify(hostStatus(host))) as Record<string, unknown>);
    assert.deepEqual(part.controls, {
      total: 2,
      controls: [
        {
          name: 'org.example.a',
          privileged: false,
          units: 1,
          connects: 1,
          refused: 0,
          queued: 2,
          dropped: 1,
          errors: 0,
        },
        {
          name: 'org.example.p',
          privileged: true,
          units: 0,
          connects: 0,
          refused: 1,
          queued: 0,
          dropped: 0,
          errors: 0,
        },
      ],
    });
    const text = formatControls(part.controls!);
    assert.match(text, /== Kernel controls \(2\) ==/);
    assert.match(text, /org\.example\.a +open +1 +1 +0 +2 +1 +0\n/);
    assert.match(text, /org\.example\.p +privileged +0 +0 +1 +0 +0 +0\n/);
    host.close();
  });

  it('hostile fields: a control without a name is left out, counts that are not counts read 0', () => {
    const r = controlsFromStatus(
      [
        { name: 7 },
        null,
        'x',
        { name: 'org.x.y', privileged: 'yes', units: -1, queued: 1.5, dropped: 2 ** 60, errors: '3' },
        { name: 'n'.repeat(500) },
      ],
      1,
    )!;
    assert.equal(r.total, 2); // never fewer than listed
    assert.deepEqual(r.controls[0], {
      name: 'org.x.y',
      privileged: false,
      units: 0,
      connects: 0,
      refused: 0,
      queued: 0,
      dropped: 0,
      errors: 0,
    });
    assert.equal(r.controls[1]!.name.length, 96);
    assert.equal(controlsFromStatus({}, 3), undefined); // a daemon that does not report controls
    assert.match(formatControls({ controls: r.controls.slice(0, 1), total: 5 }), /\.\.\. 4 more/);
  });
});
