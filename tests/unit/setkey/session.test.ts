// setkey's PF_KEY session against scripted "kernels" that misbehave: the connection drops in the middle of a
// pipelined script, a GET reply does not decode, other sockets' broadcasts and stray replies arrive in
// between. setkey must report each case, finish with a non-zero status where something failed, and never hang.
import { strict as assert } from 'node:assert';
import type { PfkeyTransport } from '../../../pfkey/client.js';
import * as C from '../../../pfkey/constants.js';
import { runSetkey, type SetkeyIo } from '../../../setkey/main.js';

/** A transport whose kernel is a function from each request's bytes to the reply bytes it sends back. */
class ScriptedKernel implements PfkeyTransport {
  private rx: (m: Uint8Array) => void = () => {};
  private closeFns: ((e?: Error) => void)[] = [];
  closed = false;
  received = 0;
  constructor(private readonly answer: (req: Uint8Array, n: number, k: ScriptedKernel) => Uint8Array[]) {}
  send(msg: Uint8Array): void {
    if (this.closed) throw new Error('closed');
    const n = ++this.received;
    const replies = this.answer(new Uint8Array(msg), n, this);
    // replies sent before a drop still arrive (they were on the wire), as on a real socket
    queueMicrotask(() => {
      for (const r of replies) this.rx(r);
    });
  }
  onMessage(fn: (m: Uint8Array) => void): void {
    this.rx = fn;
  }
  onClose(fn: (e?: Error) => void): void {
    this.closeFns.push(fn);
  }
  close(): void {
    this.drop();
  }
  drop(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    queueMicrotask(() => {
      for (const fn of this.closeFns) fn(err);
    });
  }
}

function io(k: ScriptedKernel, files: Record<string, string>): { io: SetkeyIo; out: string[]; err: string[] } {
  const out: string[] = [],
    err: string[] = [];
  return {
    out,
    err,
    io: {
      out: (t) => {
        out.push(t);
      },
      err: (t) => {
        err.push(t);
      },
      readFile: (p) => new Uint8Array(Buffer.from(files[p] ?? '')),
      stdinLines: async function* () {},
      nowSec: () => 0,
      pid: 77,
      connect: async () => k,
    },
  };
}

const script = Array.from({ length: 20 }, (_, i) => `spdadd 10.0.0.${i + 1} 10.0.1.1 any -P out none;`).join('\n');

describe('setkey/session with a misbehaving kernel', () => {
  it('the connection drops in the middle of a pipelined script: reported once, status 1, no hang', async () => {
    const k = new ScriptedKernel((req, n, self) => {
      if (n === 5) {
        self.drop(new Error('reset by peer'));
        return [];
      }
      return [req]; // an echo is a success reply with the same type, seq and pid
    });
    const w = io(k, { 's.conf': script });
    assert.equal(await runSetkey(['-f', 's.conf'], w.io), 1);
    assert.equal(w.err.length, 1);
    assert.match(w.err[0]!, /^setkey: s\.conf:5: PF_KEY connection lost: reset by peer\n$/);
  });

  it('replies for other pids, unknown sequence numbers and broadcasts are skipped; errors map to their statement', async () => {
    const k = new ScriptedKernel((req, n) => {
      const noise = new Uint8Array(req);
      new DataView(noise.buffer).setUint32(12, 999, true); // someone else's pid
      const stray = new Uint8Array(req);
      new DataView(stray.buffer).setUint32(8, 0xdeadbeef, true); // a seq we never sent
      const reply = new Uint8Array(req);
      if (n === 3) reply[2] = 17; // EEXIST for the third statement
      return [noise, stray, reply];
    });
    const w = io(k, { 's.conf': script });
    assert.equal(await runSetkey(['-f', 's.conf'], w.io), 1);
    assert.deepEqual(w.err, ['s.conf:3: spdadd: File exists.\n']);
    assert.equal(k.received, 20);
  });

  it('a GET reply that does not decode prints an error for that statement instead of throwing', async () => {
    const k = new ScriptedKernel((req) => {
      if (req[1] !== C.SADB_GET) return [req];
      const bad = new Uint8Array(24);
      bad.set(req.subarray(0, 16));
      new DataView(bad.buffer).setUint16(4, 3, true); // 24 bytes
      new DataView(bad.buffer).setUint16(16, 1, true); // an extension of 8 bytes...
      new DataView(bad.buffer).setUint16(18, 1, true); // ...claiming to be an SA (needs 16)
      return [bad];
    });
    const w = io(k, { 'g.conf': 'get 10.0.0.1 10.0.0.2 esp 0x1000;\nflush;\n' });
    assert.equal(await runSetkey(['-f', 'g.conf'], w.io), 1);
    assert.deepEqual(w.err, ['g.conf:1: get: Invalid argument.\n']);
  });

  it('-D when the kernel closes before the dump ends: reported, status 1', async () => {
    const k = new ScriptedKernel((req, _n, self) => {
      self.drop();
      return [];
    });
    const w = io(k, {});
    const code = await runSetkey(['-D'], w.io);
    assert.equal(code, 1);
    assert.match(w.err.join(''), /PF_KEY connection lost/);
  });
});
