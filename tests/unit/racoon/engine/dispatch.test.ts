// The datagram dispatch both IKE versions sit behind: NAT-keepalives dropped, the non-ESP marker required
// on the NAT-T port (RFC 3948 §2.2), and each message handed to the handler of the major version in its
// header (RFC 2408 §3.1 / RFC 7296 §3.1), anything else to the `others` handler.
import { strict as assert } from 'node:assert';
import type { Endpoint } from '../../../../racoon/engine/datagram.js';
import { IkeDispatch, type IkeVersionHandler } from '../../../../racoon/engine/dispatch.js';
import { newRacoonStats } from '../../../../racoon/engine/stats.js';

const local: Endpoint = { addr: new Uint8Array([192, 0, 2, 1]), port: 500 };
const remote: Endpoint = { addr: new Uint8Array([192, 0, 2, 2]), port: 500 };
const nattLocal: Endpoint = { addr: local.addr, port: 4500 };

function recorder(majorVersion: number): IkeVersionHandler & { got: Uint8Array[] } {
  const got: Uint8Array[] = [];
  return { majorVersion, got, input: (msg) => void got.push(msg) };
}

/** A 28-byte ISAKMP/IKE header with the version byte set (the rest is never looked at here). */
function header(version: number): Uint8Array {
  const h = new Uint8Array(28).fill(0x11);
  h[17] = version;
  return h;
}

function setup() {
  const stats = newRacoonStats();
  let closed = false;
  const v1 = recorder(1);
  const v2 = recorder(2);
  const d = new IkeDispatch({ stats, nattPort: 4500, closed: () => closed }, [v1, v2], v1);
  return { stats, v1, v2, d, close: () => (closed = true) };
}

describe('racoon engine: datagram dispatch by IKE version', () => {
  it('version 1.0 goes to IKEv1, 2.0 to the version-2 handler, unchanged', () => {
    const { d, v1, v2, stats } = setup();
    const m1 = header(0x10);
    const m2 = header(0x20);
    d.input(m1, local, remote);
    d.input(m2, local, remote);
    assert.deepEqual(v1.got, [m1]);
    assert.deepEqual(v2.got, [m2]);
    assert.equal(v2.got[0], m2, 'the same bytes, not a copy');
    assert.equal(stats.received, 2);
    assert.equal(stats.malformed, 0);
  });

  it('another version, or a datagram too short to carry one, goes to the `others` handler', () => {
    const { d, v1, v2 } = setup();
    const m3 = header(0x30);
    const short = new Uint8Array([1, 2, 3, 4, 5]);
    d.input(m3, local, remote);
    d.input(short, local, remote);
    assert.deepEqual(v1.got, [m3, short]);
    assert.deepEqual(v2.got, []);
  });

  it('NAT-T port: the non-ESP marker is removed; without it the datagram is ESP, counted malformed', () => {
    const { d, v1, v2, stats } = setup();
    const m2 = header(0x20);
    const framed = new Uint8Array(4 + m2.length);
    framed.set(m2, 4);
    d.input(framed, nattLocal, remote);
    assert.deepEqual(v2.got, [m2]);
    d.input(m2, nattLocal, remote); // first bytes 0x11...: an ESP SPI, not IKE
    d.input(new Uint8Array([0, 0, 0]), nattLocal, remote);
    assert.equal(stats.malformed, 2);
    assert.equal(v1.got.length + v2.got.length, 1);
  });

  it('a NAT-keepalive (one 0xFF byte) is received but reaches no handler and is not malformed', () => {
    const { d, v1, v2, stats } = setup();
    d.input(Uint8Array.of(0xff), nattLocal, remote);
    d.input(Uint8Array.of(0xff), local, remote);
    assert.deepEqual([v1.got.length, v2.got.length, stats.received, stats.malformed], [0, 0, 2, 0]);
  });

  it('after close nothing is counted or delivered', () => {
    const { d, v1, stats, close } = setup();
    close();
    d.input(header(0x10), local, remote);
    assert.deepEqual([v1.got.length, stats.received], [0, 0]);
  });
});
