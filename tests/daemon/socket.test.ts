// uipsecd's Unix sockets: mode 0600, refusing a live socket and replacing a stale one, many clients at
// once, a garbage or half-message client affecting no other, pipelined requests, a streamed dump, and
// the IKE channel's framing.
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import * as C from '../../pfkey/constants.js';
import { PfkeyClient } from '../../pfkey/client.js';
import { UnixTransport, connectPfkey, defaultSocketPath, DEFAULT_PFKEY_SOCKET } from '../../pfkey/transport-unix.js';
import { IkeChannel, IkeFrameSplitter, decodeIkeFrame, encodeIkeFrame, IkeFrameError } from '../../channel/index.js';
import { encodeMessage } from '../../pfkey/index.js';
import { cli, startDaemon, type Daemon } from '../../kernel/daemon/main.js';
import { ListenError } from '../../kernel/daemon/unix-listener.js';
import { msg, saMsg } from '../unit/keysock/support.js';
import { settle, sockDir, testConfig } from './support.js';
import fc from 'fast-check';
import dgram from 'node:dgram';

function rawConnect(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

function closed(s: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (s.destroyed) resolve();
    else s.once('close', () => resolve());
  });
}

describe('uipsecd: Unix socket behaviour', () => {
  let d: Daemon;
  let dir: string;
  beforeEach(async () => {
    dir = sockDir();
    d = await startDaemon(testConfig(dir));
  });
  afterEach(async () => {
    await d.close();
  });

  it('the PF_KEY and IKE socket files are mode 0600', () => {
    assert.equal(statSync(d.config.socketPath).mode & 0o777, 0o600);
    assert.equal(statSync(d.config.ikeSocketPath).mode & 0o777, 0o600);
  });

  it('a second daemon on the same live socket refuses to start (ListenError in-use) and leaves the first intact', async () => {
    await assert.rejects(
      startDaemon(testConfig(dir)),
      (e: unknown) => e instanceof ListenError && e.reason === 'in-use' && /in use/.test(e.message),
    );
    const c = new PfkeyClient(await UnixTransport.connect(d.config.socketPath));
    const r = await c.request(msg(C.SADB_REGISTER, 0, {}, c.nextSeq(), c.pid));
    assert.equal(r.msg.type, C.SADB_REGISTER);
    c.close();
  });

  it('a garbage client is disconnected; a client vanishing mid-message affects nobody; others carry on', async () => {
    const good = new PfkeyClient(await UnixTransport.connect(d.config.socketPath), { pid: 7 });
    const bad = await rawConnect(d.config.socketPath);
    const half = await rawConnect(d.config.socketPath);
    bad.write(Buffer.from('GET / HTTP/1.0\r\n\r\n'));
    await closed(bad);
    const add = encodeMessage(saMsg({ spi: 0x1234, pid: 99, seq: 1 }));
    half.end(add.subarray(0, 40));
    await closed(half);
    const r = await good.request(saMsg({ spi: 0x1000, pid: 7, seq: good.nextSeq() }));
    assert.equal(r.msg.errno, 0);
    assert.equal(d.host.sad.size, 1, 'the half message installed nothing');
    assert.equal(d.pfkey.stats.framingErrors, 1);
    await settle();
    assert.equal(d.pfkey.stats.open, 1);
    good.close();
  });

  it('many clients at once: each gets its replies, broadcasts reach all', async () => {
    const clients = await Promise.all(
      Array.from(
        { length: 8 },
        async (_, i) => new PfkeyClient(await UnixTransport.connect(d.config.socketPath), { pid: 500 + i }),
      ),
    );
    // One round trip each, so that the daemon has accepted every connection before the ADDs.
    await Promise.all(clients.map((c) => c.request(msg(C.SADB_REGISTER, 0, {}, c.nextSeq(), c.pid))));
    const seen = clients.map(() => 0);
    clients.forEach((c, i) =>
      c.onMessage((m) => {
        if (m.msg.type === C.SADB_ADD) seen[i]!++;
      }),
    );
    await Promise.all(clients.map((c, i) => c.request(saMsg({ spi: 0x2000 + i, pid: c.pid, seq: c.nextSeq() }))));
    await settle(10);
    // each client saw the 7 other ADD broadcasts (its own reply was consumed by request()).
    assert.deepEqual(
      seen,
      clients.map(() => 7),
    );
    assert.equal(d.host.sad.size, 8);
    clients.forEach((c) => c.close());
  });

  it('pipelined ADDs without waiting, then a streamed DUMP of all of them', async () => {
    const t = await UnixTransport.connect(d.config.socketPath);
    const c = new PfkeyClient(t, { pid: 4242 });
    const N = 2000;
    let replies = 0;
    c.onMessage((m) => {
      if (m.msg.type === C.SADB_ADD && m.msg.errno === 0) replies++;
    });
    for (let i = 0; i < N; i++) c.send(saMsg({ spi: 0x10000 + i, pid: 4242, seq: i + 1 }));
    const seqs: number[] = [];
    for await (const m of c.dump(C.SADB_DUMP)) seqs.push(m.msg.seq);
    assert.equal(replies, N, 'ADD replies arrive before the DUMP entries (one stream, in order)');
    assert.equal(seqs.length, N);
    assert.equal(seqs[0], N - 1);
    assert.equal(seqs[N - 1], 0);
    c.close();
  });

  it('DUMP of an empty table ends the client iterator without entries (ENOENT)', async () => {
    const c = new PfkeyClient(await UnixTransport.connect(d.config.socketPath));
    assert.deepEqual(await c.dumpAll(C.SADB_DUMP), []);
    assert.deepEqual(await c.dumpAll(C.SADB_X_SPDDUMP), []);
    c.close();
  });

  it('request() rejects with a typed PfkeyError carrying the errno name', async () => {
    const c = new PfkeyClient(await UnixTransport.connect(d.config.socketPath));
    await assert.rejects(
      c.request(
        msg(
          C.SADB_GET,
          C.SADB_SATYPE_ESP,
          {
            sa: { spi: 0x999, replay: 0, state: 0, auth: 0, encrypt: 0, flags: 0 },
            addressSrc: saMsg({ spi: 1 }).ext.addressSrc,
            addressDst: saMsg({ spi: 1 }).ext.addressDst,
          },
          c.nextSeq(),
          c.pid,
        ),
      ),
      (e: unknown) =>
        (e as { name: string; errno: string }).name === 'PfkeyError' && (e as { errno: string }).errno === 'ENOENT',
    );
    c.close();
  });

  it('IKE channel: binding a taken port answers EADDRINUSE; a garbage frame disconnects only that client', async () => {
    const a = await IkeChannel.connect(d.config.ikeSocketPath);
    const b = await IkeChannel.connect(d.config.ikeSocketPath);
    assert.equal(await a.bind(500, { bypass: true }), 500);
    await assert.rejects(b.bind(500), (e: unknown) => (e as { errno: number }).errno === 48);
    const raw = await rawConnect(d.config.ikeSocketPath);
    raw.write(Uint8Array.of(0, 0, 0, 2, 99, 0));
    await closed(raw);
    assert.equal(d.ike.stats.framingErrors, 1);
    assert.ok((await b.bind(0)) >= 49152, 'the other clients still work');
    a.close();
    b.close();
  });
});

describe('uipsecd: starting over an existing path', () => {
  it('removes a stale socket (nobody listening) and starts', async () => {
    const dir = sockDir();
    const path = join(dir, 'pfkey.sock');
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(path, () => r()));
    // Simulate a crashed daemon: take the listener away without removing the file.
    (srv as unknown as { _handle: { close(): void } | null })._handle?.close();
    const d = await startDaemon(testConfig(dir));
    assert.ok(existsSync(path));
    await d.close();
    assert.equal(existsSync(path), false);
  });

  it('refuses to replace a regular file', async () => {
    const dir = sockDir();
    writeFileSync(join(dir, 'pfkey.sock'), 'not a socket');
    await assert.rejects(
      startDaemon(testConfig(dir)),
      (e: unknown) => e instanceof ListenError && e.reason === 'not-socket',
    );
  });

  it('says "permission denied" when the directory is not writable (skipped as root, who may write anywhere; see the spawned test)', async function () {
    if (process.getuid?.() === 0) this.skip(); // root may write anywhere: no way to provoke EACCES here
    await assert.rejects(
      startDaemon(testConfig('/proc/uipsec-test')),
      (e: unknown) => e instanceof ListenError && /permission denied|cannot/.test(e.message),
    );
  });
});

describe('pfkey/transport-unix: socket path', () => {
  it('defaultSocketPath: $UIPSEC_PFKEY_SOCKET wins, else /var/run/uipsec/pfkey.sock', () => {
    assert.equal(defaultSocketPath({}), DEFAULT_PFKEY_SOCKET);
    assert.equal(DEFAULT_PFKEY_SOCKET, '/var/run/uipsec/pfkey.sock');
    assert.equal(defaultSocketPath({ UIPSEC_PFKEY_SOCKET: '/tmp/x.sock' }), '/tmp/x.sock');
    assert.equal(defaultSocketPath({ UIPSEC_PFKEY_SOCKET: '' }), DEFAULT_PFKEY_SOCKET);
  });
});

describe('channel/frames', () => {
  it('round-trips every frame type and splits arbitrary chunkings', () => {
    const frames = [
      { type: 'bind' as const, port: 500, bypass: true, addr: Uint8Array.of(10, 0, 0, 1) },
      { type: 'bind' as const, port: 0, bypass: false, addr: undefined },
      { type: 'bound' as const, requested: 500, port: 500, errno: 0 },
      {
        type: 'dgram' as const,
        localPort: 4500,
        remotePort: 4500,
        local: new Uint8Array(16).fill(1),
        remote: new Uint8Array(16).fill(2),
        payload: Uint8Array.of(0, 0, 0, 0, 1, 2),
      },
      { type: 'unbind' as const, port: 4500 },
    ];
    const wire = Buffer.concat(frames.map((f) => encodeIkeFrame(f)));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 17 }), { maxLength: 20 }), (cuts) => {
        const sp = new IkeFrameSplitter();
        const got: Uint8Array[] = [];
        let off = 0;
        for (const n of cuts) {
          got.push(...sp.push(wire.subarray(off, off + n)));
          off += n;
          if (off >= wire.length) break;
        }
        got.push(...sp.push(wire.subarray(Math.min(off, wire.length))));
        assert.deepEqual(
          got.map((b) => decodeIkeFrame(b)),
          frames,
        );
      }),
      { seed: 4500, numRuns: 300 },
    );
  });

  it('random bodies decode or throw IkeFrameError, nothing else (fuzz, fixed seed)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), (b) => {
        try {
          decodeIkeFrame(b);
        } catch (e) {
          assert.ok(e instanceof IkeFrameError, String(e));
        }
      }),
      { seed: 500, numRuns: 20000 },
    );
  });
});

describe('uipsecd: the real ESP-in-UDP (NAT-T) socket', () => {
  it('IKE arriving on the NAT-T socket reaches the channel client bound to its port (marker kept), and back out', async () => {
    const d = await startDaemon(
      testConfig(sockDir(), { natt: { bind: { host: '127.0.0.1', port: 0 }, addresses: [] } }),
    );
    const port = d.natt!.encapPort;
    assert.ok(d.host.encapPorts.has(port), 'the host decapsulates ESP-in-UDP on that port');
    const ch = await IkeChannel.connect(d.config.ikeSocketPath);
    assert.equal(await ch.bind(port, { bypass: true }), port);
    const peer = dgram.createSocket('udp4');
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', () => r()));
    const got = new Promise<import('../../channel/index.js').IkeDatagram>((r) => ch.onDatagram(r));
    peer.send(Buffer.concat([Buffer.alloc(4), Buffer.from('ike-hello')]), port, '127.0.0.1');
    const dg = await got;
    assert.deepEqual([...dg.payload.subarray(0, 4)], [0, 0, 0, 0]);
    assert.equal(Buffer.from(dg.payload.subarray(4)).toString(), 'ike-hello');
    assert.equal(dg.remotePort, peer.address().port);
    const back = new Promise<Buffer>((r) => peer.once('message', (m) => r(m)));
    ch.send(port, dg.remote, dg.remotePort, Uint8Array.from([0, 0, 0, 0, ...Buffer.from('ike-reply')]));
    const m = await back;
    assert.deepEqual([...m.subarray(0, 4)], [0, 0, 0, 0], 'the NAT-T socket puts the non-ESP marker back');
    assert.equal(m.subarray(4).toString(), 'ike-reply');
    peer.close();
    ch.close();
    await d.close();
  });
});

describe('uipsecd: cli() in-process', () => {
  it('starts from argv, serves, and on the stop signal closes and resolves 0 with the socket removed', async () => {
    const dir = sockDir();
    const sock = join(dir, 'pfkey.sock');
    let stop: ((sig: string) => void) | undefined;
    let err = '';
    const io = {
      err: (s: string) => {
        err += s;
      },
      out: (s: string) => {
        err += s;
      },
      env: {},
      onSignal: (fn: (sig: string) => void) => {
        stop = fn;
        return () => {
          stop = undefined;
        };
      },
    };
    const done = cli(['--socket', sock, '-v'], io);
    while (!existsSync(sock) || !stop) await new Promise((r) => setImmediate(r));
    const c = await connectPfkey(sock);
    assert.equal((await c.request(msg(C.SADB_REGISTER, 0, {}, c.nextSeq(), c.pid))).msg.errno, 0);
    c.close();
    stop('SIGTERM');
    assert.equal(await done, 0);
    assert.equal(existsSync(sock), false);
    assert.match(err, /PF_KEY listening on .*pfkey\.sock/);
    assert.match(err, /SIGTERM: shutting down/);
  });

  it('a usage error is reported on stderr with exit 2, without starting', async () => {
    let err = '';
    const io = {
      err: (s: string) => {
        err += s;
      },
      out: () => {},
      env: {},
      onSignal: () => () => {},
    };
    assert.equal(await cli(['--neighbour', 'nonsense'], io), 2);
    assert.match(err, /uipsecd: command line: neighbour needs IP=HOST:PORT/);
  });
});
