// The app channel's PING/PINGREPLY/PINGDONE/STATUSREQ/STATUS frames (channel/frames.ts): byte layouts
// written out by hand from the header comment, round trips, the bounds, the old frames unchanged, a fuzz of
// the decoder (fast-check, fixed seed: any bytes give a frame or an IkeFrameError), and a daemon that drops
// only the client sending a malformed or out-of-bounds PING.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { nullLogger } from '../../common/log.js';
import {
  IkeChannel,
  IkeFrameError,
  IkeFrameSplitter,
  decodeIkeFrame,
  encodeIkeFrame,
  type IkeFrame,
  PING_MAX_COUNT,
  PING_MAX_INTERVAL_MS,
  PING_MAX_SIZE,
  PING_MAX_TIMEOUT_MS,
} from '../../channel/index.js';
import { startDaemon, type Daemon } from '../../kernel/daemon/main.js';
import { settle, sockDir, testConfig } from './support.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const body = (f: IkeFrame) => encodeIkeFrame(f).subarray(4);

describe('app channel frames: PING and STATUS', () => {
  it('PING layout: u32 tag | u16 count | u16 size | u32 interval | u32 timeout | u8 family | dst', () => {
    const f: IkeFrame = {
      type: 'ping',
      tag: 0x01020304,
      count: 3,
      size: 56,
      intervalMs: 1000,
      timeoutMs: 2000,
      dst: Uint8Array.of(10, 0, 0, 2),
    };
    const e = encodeIkeFrame(f);
    assert.equal(
      hex(e),
      '00000016' + '05' + '01020304' + '0003' + '0038' + '000003e8' + '000007d0' + '04' + '0a000002',
    );
    assert.deepEqual(decodeIkeFrame(e.subarray(4)), f);
  });

  it('PINGREPLY, PINGDONE, STATUSREQ and STATUS layouts round-trip', () => {
    const reply: IkeFrame = {
      type: 'pingreply',
      tag: 7,
      seq: 2,
      rttUs: 1234,
      bytes: 64,
      ttl: 64,
      from: new Uint8Array(16).fill(0xfd, 0, 1),
    };
    assert.equal(
      hex(body(reply)),
      '06' + '00000007' + '0002' + '000004d2' + '0040' + '40' + '06' + 'fd' + '00'.repeat(15),
    );
    assert.deepEqual(decodeIkeFrame(body(reply)), reply);
    const done: IkeFrame = { type: 'pingdone', tag: 7, transmitted: 3, received: 2, errno: 0 };
    assert.equal(hex(body(done)), '07' + '00000007' + '0003' + '0002' + '00');
    assert.deepEqual(decodeIkeFrame(body(done)), done);
    assert.equal(hex(body({ type: 'statusreq' })), '08');
    assert.deepEqual(decodeIkeFrame(Uint8Array.of(8)), { type: 'statusreq' });
    const st: IkeFrame = { type: 'status', report: { name: 'A', sadSize: 2, interfaces: [] } };
    assert.equal(Buffer.from(body(st)).toString('latin1'), '\x09{"name":"A","sadSize":2,"interfaces":[]}');
    assert.deepEqual(decodeIkeFrame(body(st)), st);
  });

  it('the existing frames keep their bytes (BIND, BOUND, DGRAM, UNBIND)', () => {
    assert.equal(
      hex(encodeIkeFrame({ type: 'bind', port: 500, bypass: true })),
      '00000005' + '01' + '01f4' + '01' + '00',
    );
    assert.equal(
      hex(encodeIkeFrame({ type: 'bound', requested: 0, port: 1025, errno: 0 })),
      '00000006' + '02' + '0000' + '0401' + '00',
    );
    assert.equal(hex(encodeIkeFrame({ type: 'unbind', port: 7 })), '00000003' + '04' + '0007');
    const dg = encodeIkeFrame({
      type: 'dgram',
      localPort: 500,
      remotePort: 4500,
      local: Uint8Array.of(1, 2, 3, 4),
      remote: Uint8Array.of(5, 6, 7, 8),
      payload: Uint8Array.of(0xaa),
    });
    assert.equal(hex(dg), '0000000f' + '03' + '01f4' + '1194' + '04' + '01020304' + '05060708' + 'aa');
  });

  it('refuses PINGs outside the bounds, wrong lengths, families, and STATUS that is not a JSON object', () => {
    const ping = (o: Partial<Extract<IkeFrame, { type: 'ping' }>>): IkeFrame => ({
      type: 'ping',
      tag: 1,
      count: 1,
      size: 0,
      intervalMs: 0,
      timeoutMs: 0,
      dst: Uint8Array.of(1, 2, 3, 4),
      ...o,
    });
    for (const bad of [
      { count: 0 },
      { count: PING_MAX_COUNT + 1 },
      { size: PING_MAX_SIZE + 1 },
      { intervalMs: PING_MAX_INTERVAL_MS + 1 },
      { timeoutMs: PING_MAX_TIMEOUT_MS + 1 },
    ]) {
      assert.throws(() => encodeIkeFrame(ping(bad)), IkeFrameError, JSON.stringify(bad));
      // Built by hand (the encoder refuses): the decoder refuses too.
      const ok = body(ping({}));
      const b = new Uint8Array(ok);
      const dv = new DataView(b.buffer);
      const k = Object.keys(bad)[0]!,
        v = Object.values(bad)[0]!;
      if (k === 'count') dv.setUint16(5, v);
      else if (k === 'size') dv.setUint16(7, v);
      else if (k === 'intervalMs') dv.setUint32(9, v);
      else dv.setUint32(13, v);
      assert.throws(() => decodeIkeFrame(b), IkeFrameError, k);
    }
    const ok = body(
      ping({
        count: PING_MAX_COUNT,
        size: PING_MAX_SIZE,
        intervalMs: PING_MAX_INTERVAL_MS,
        timeoutMs: PING_MAX_TIMEOUT_MS,
      }),
    );
    assert.equal(decodeIkeFrame(ok).type, 'ping');
    assert.throws(() => decodeIkeFrame(ok.subarray(0, ok.length - 1)), IkeFrameError);
    assert.throws(() => decodeIkeFrame(Uint8Array.of(...ok.subarray(0, 17), 5, 1, 2, 3, 4)), /address family 5/);
    assert.throws(() => decodeIkeFrame(Uint8Array.of(8, 0)), /STATUSREQ length/);
    assert.throws(() => decodeIkeFrame(Uint8Array.of(7, 0, 0, 0, 1, 0, 1, 0, 1)), /PINGDONE length/);
    for (const text of ['[1]', '"x"', 'null', '{', '\xff']) {
      assert.throws(() => decodeIkeFrame(Uint8Array.of(9, ...Buffer.from(text, 'latin1'))), IkeFrameError, text);
    }
  });

  it('fuzz: any bytes decode to a frame or an IkeFrameError, and a decoded frame re-encodes to the same bytes (fixed seed)', () => {
    const arb = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc
        .tuple(fc.constantFrom(3, 5, 6, 7, 8, 9, 10, 11), fc.uint8Array({ maxLength: 40 }))
        .map(([t, rest]) => Uint8Array.of(t, ...rest)),
    );
    fc.assert(
      fc.property(arb, (b) => {
        let f: IkeFrame;
        try {
          f = decodeIkeFrame(b);
        } catch (e) {
          return e instanceof IkeFrameError;
        }
        // STATUS JSON may be re-serialised differently (whitespace, key order); the others are exact.
        if (f.type === 'status') return decodeIkeFrame(body(f)).type === 'status';
        return hex(body(f)) === hex(b);
      }),
      { seed: 0x5eed7, numRuns: 5000 },
    );
  });

  it('the splitter hands PING frames through whole, in pieces of any size', () => {
    const frames: IkeFrame[] = [
      { type: 'ping', tag: 9, count: 2, size: 8, intervalMs: 1, timeoutMs: 1, dst: Uint8Array.of(10, 0, 0, 1) },
      { type: 'statusreq' },
      { type: 'pingdone', tag: 9, transmitted: 2, received: 1, errno: 0 },
    ];
    const all = Buffer.concat(frames.map(encodeIkeFrame));
    for (let step = 1; step <= all.length; step += 3) {
      const sp = new IkeFrameSplitter();
      const got: IkeFrame[] = [];
      for (let i = 0; i < all.length; i += step)
        for (const b of sp.push(all.subarray(i, i + step))) got.push(decodeIkeFrame(b));
      assert.deepEqual(got, frames);
    }
  });
});

describe('uipsecd: a malformed PING disconnects only its client', () => {
  let d: Daemon;
  before(async () => {
    d = await startDaemon(
      testConfig(sockDir(), { name: 'F', addresses: ['10.1.0.1/24'], underlay: { host: '127.0.0.1', port: 0 } }),
      { log: nullLogger },
    );
  });
  after(async () => {
    await d?.close();
  });

  it('out-of-bounds count: that client is closed, framingErrors counts it, another client is served', async () => {
    const good = await IkeChannel.connect(d.config.ikeSocketPath);
    const raw = connect(d.config.ikeSocketPath);
    await new Promise((r) => raw.once('connect', r));
    const closed = new Promise((r) => raw.once('close', r));
    const bad = new Uint8Array(
      body({ type: 'ping', tag: 1, count: 1, size: 0, intervalMs: 0, timeoutMs: 0, dst: Uint8Array.of(10, 1, 0, 1) }),
    );
    new DataView(bad.buffer).setUint16(5, PING_MAX_COUNT + 1);
    const framed = new Uint8Array(4 + bad.length);
    new DataView(framed.buffer).setUint32(0, bad.length);
    framed.set(bad, 4);
    const before = d.ike.stats.framingErrors;
    raw.write(framed);
    await closed;
    assert.equal(d.ike.stats.framingErrors, before + 1);
    await settle();
    const done = await good.ping(Uint8Array.of(10, 1, 0, 1), { count: 1, size: 16, intervalMs: 0, timeoutMs: 5000 });
    assert.deepEqual(done, { transmitted: 1, received: 1, errno: 0 });
    const st = await good.status();
    assert.equal((st.channel as { framingErrors: number }).framingErrors, before + 1);
    good.close();
  });
});

describe('IkeChannel client: a daemon that answers badly', () => {
  it('a STATUS that is not a JSON object closes the channel: status() and a running ping() reject with EPIPE', async () => {
    const path = join(sockDir(), 'bad.sock');
    const server = createServer((c) => {
      const sp = new IkeFrameSplitter();
      c.on('data', (chunk: Buffer) => {
        for (const b of sp.push(chunk)) {
          if (decodeIkeFrame(b).type !== 'statusreq') continue;
          const bad = Buffer.from('\x09[1,2]', 'latin1');
          const len = Buffer.alloc(4);
          len.writeUInt32BE(bad.length);
          c.write(Buffer.concat([len, bad]));
        }
      });
    });
    await new Promise<void>((r) => server.listen(path, r));
    try {
      const ch = await IkeChannel.connect(path);
      const closed = new Promise<Error | undefined>((r) => ch.onClose(r));
      const ping = ch.ping(Uint8Array.of(10, 0, 0, 1), { count: 1, size: 8, intervalMs: 0, timeoutMs: 0 });
      await assert.rejects(ch.status(), (e: { errno?: number }) => e.errno === 32);
      await assert.rejects(ping, (e: { errno?: number }) => e.errno === 32);
      assert.ok((await closed) instanceof IkeFrameError);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
