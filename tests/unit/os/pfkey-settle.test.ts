// uipsecd's PF_KEY server in TUN mode (issue 10): a message that changes the SPD is answered only once the
// machine's routes follow it (`settle`), and the client's next message — typically an SA for the new
// policy — is not handled before. A run of SPD changes read together is settled once. Without TUN mode
// (no `settle`) nothing waits. In-process server on a temporary Unix socket, a raw client pipelining
// the messages setkey would send.
import { strict as assert } from 'node:assert';
import { createConnection, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Host } from '../../../kernel/host/host.js';
import { KeySock } from '../../../kernel/keysock/keysock.js';
import { PfkeyServer } from '../../../kernel/daemon/pfkey-server.js';
import { makeLogger } from '../../../common/log.js';
import { parseSetkey, statementToMessages } from '../../../setkey/index.js';
import { encodeMessage } from '../../../pfkey/index.js';
import * as C from '../../../pfkey/constants.js';

/** The PF_KEY messages of a setkey text, back to back. */
function wire(text: string): Buffer {
  const parsed = parseSetkey(text);
  assert.deepEqual(parsed.errors, []);
  const parts: Uint8Array[] = [];
  for (const st of parsed.statements) {
    const r = statementToMessages(st, { pid: 4242 });
    assert.ok(r.ok);
    for (const m of r.messages) parts.push(encodeMessage(m));
  }
  return Buffer.concat(parts);
}

/** Reads message types from a connection as they arrive. */
function reader(conn: Socket): { types: number[]; until(n: number): Promise<void> } {
  const types: number[] = [];
  let buf = Buffer.alloc(0);
  let poke: (() => void) | undefined;
  conn.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 16 && buf.length >= buf.readUInt16LE(4) * 8) {
      types.push(buf[1]!);
      buf = buf.subarray(buf.readUInt16LE(4) * 8);
    }
    poke?.();
  });
  return {
    types,
    until: async (n) => {
      for (let i = 0; i < 200 && types.length < n; i++)
        await new Promise<void>((r) => {
          poke = r;
          setTimeout(r, 50);
        });
      assert.ok(types.length >= n, `got ${types.length} of ${n} answers`);
    },
  };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 30));

describe('os: PF_KEY answers to SPD changes wait for the routes (uipsecd --tun)', () => {
  let dir = '';
  let host: Host;
  let server: PfkeyServer;
  let conn: Socket;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'uipsec-settle-'));
    host = new Host({ name: 'settle' });
    server = new PfkeyServer(
      new KeySock(host),
      join(dir, 'run', 'pfkey.sock'),
      makeLogger('warn', () => {}),
    );
    await server.start();
    conn = createConnection(server.path);
    await new Promise<void>((resolve, reject) => conn.once('connect', resolve).once('error', reject));
  });
  afterEach(async () => {
    conn.destroy();
    await server.close();
    host.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const text = [
    'spdadd 10.0.0.1 10.0.0.2 any -P out ipsec esp/transport//require;',
    'spdadd 10.0.0.2 10.0.0.1 any -P in ipsec esp/transport//require;',
    `add 10.0.0.1 10.0.0.2 esp 0x1001 -m transport -E aes-cbc 0x${'11'.repeat(16)};`,
    '',
  ].join('\n');

  it('holds the answers and the next SA until settled; two SPD changes in a row settle once', async () => {
    let open: (() => void) | undefined;
    let done = false;
    let asked = 0;
    server.settle = () => {
      if (done || host.spd.size === 0) return undefined;
      asked++;
      return new Promise<void>((r) => {
        open = () => {
          done = true;
          r();
        };
      });
    };
    const got = reader(conn);
    conn.write(wire(text));
    await tick();
    await tick();
    assert.equal(host.spd.size, 2, 'both policies are in the SPD');
    assert.equal(host.sad.size, 0, 'the SA waits for the routes');
    assert.deepEqual(got.types, [], 'no answer before the routes are in');
    assert.equal(asked, 1, 'one settle for the run of two SPD changes');
    open!();
    await got.until(3);
    assert.deepEqual(got.types, [C.SADB_X_SPDADD, C.SADB_X_SPDADD, C.SADB_ADD]);
    assert.equal(host.sad.size, 1);
  });

  it('answers at once when settled already, and without TUN mode', async () => {
    const got = reader(conn);
    server.settle = () => undefined;
    conn.write(wire(text));
    await got.until(3);
    assert.equal(host.sad.size, 1);
    server.settle = undefined;
    conn.write(wire('spdflush;\n'));
    await got.until(4);
    assert.equal(got.types[3], C.SADB_X_SPDFLUSH);
    assert.equal(host.spd.size, 0);
  });
});
