// PfkeyClient over the in-process transport on real Hosts (memwire, IPv6): the key-manager conversation
// without sockets, the client's typed errors and dump streaming with backpressure on both sides.
import assert from 'node:assert/strict';
import { ManualClock } from '../../../common/clock.js';
import * as C from '../../../pfkey/constants.js';
import { PfkeyClient } from '../../../pfkey/client.js';
import { InprocTransport, INPROC_HIGH_WATER } from '../../../pfkey/transport-inproc.js';
import { PfkeyError, type PfkeyMessage } from '../../../pfkey/index.js';
import { KeySock } from '../../../kernel/keysock/keysock.js';
import { attach, makeHost, segment, settle } from '../../scenarios/lab.js';
import { addr, bareKernel, hexKey, ip, msg, saMsg, spMsg } from './support.js';

const A = 'fd00:1::1',
  B = 'fd00:1::2';

function client(ks: KeySock, pid: number): { c: PfkeyClient; t: InprocTransport } {
  const t = new InprocTransport(ks);
  return { c: new PfkeyClient(t, { pid }), t };
}

function req(c: PfkeyClient, m: PfkeyMessage): Promise<PfkeyMessage> {
  m.msg.pid = c.pid;
  if (m.msg.seq === 0) m.msg.seq = c.nextSeq();
  return c.request(m);
}

describe('keysock over the in-process transport (Host, memwire, IPv6)', () => {
  it('REGISTER, ACQUIRE on outbound UDP, GETSPI -> UPDATE + ADD, then the datagram gets through', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const seg = segment();
    const ha = makeHost('a', clock),
      hb = makeHost('b', clock);
    attach(ha, seg, 'eth0', [`${A}/64`]);
    attach(hb, seg, 'eth0', [`${B}/64`]);
    const ka = new KeySock(ha),
      kb = new KeySock(hb);
    const { c: kmA } = client(ka, 11),
      { c: kmB } = client(kb, 22);
    await req(kmA, msg(C.SADB_REGISTER, C.SADB_SATYPE_ESP, {}, 0));
    for (const [km, s, d] of [
      [kmA, A, B],
      [kmB, B, A],
    ] as const) {
      await req(km, spMsg({ src: s, dst: d, seq: 0 }));
      await req(km, spMsg({ src: d, dst: s, dir: C.IPSEC_DIR_INBOUND, seq: 0 }));
    }
    const acquires: PfkeyMessage[] = [];
    kmA.onMessage((m) => {
      if (m.msg.type === C.SADB_ACQUIRE) acquires.push(m);
    });
    const sb = hb.udpSocket();
    sb.bind(9000);
    const got: string[] = [];
    sb.onMessage((d) => got.push(new TextDecoder().decode(d)));
    const sa = ha.udpSocket();
    assert.equal(sa.send(new TextEncoder().encode('one'), B, 9000), false, 'no SA yet: dropped');
    await settle();
    assert.equal(acquires.length, 1);
    const acq = acquires[0]!;
    assert.deepEqual(acq.ext.addressSrc!.addr.addr, ip(A));
    assert.equal(acq.ext.addressSrc!.prefixlen, 128);

    const getspi = (km: PfkeyClient, s: string, d: string, seq: number) =>
      req(
        km,
        msg(
          C.SADB_GETSPI,
          C.SADB_SATYPE_ESP,
          { addressSrc: addr(s), addressDst: addr(d), sa2: { mode: C.IPSEC_MODE_TRANSPORT, sequence: 0, reqid: 0 } },
          seq,
        ),
      ).then((r) => r.ext.sa!.spi);
    const spiA = await getspi(kmA, B, A, acq.msg.seq);
    const spiB = await getspi(kmB, A, B, 0);
    const kAB = { enc: C.SADB_X_EALG_AESGCM16, encKey: hexKey(20, 0x31), auth: C.SADB_AALG_NONE };
    const kBA = { enc: C.SADB_X_EALG_AESGCM16, encKey: hexKey(20, 0x32), auth: C.SADB_AALG_NONE };
    await req(kmA, saMsg({ type: C.SADB_UPDATE, spi: spiA, src: B, dst: A, seq: acq.msg.seq, ...kBA }));
    await req(kmA, saMsg({ spi: spiB, src: A, dst: B, seq: acq.msg.seq, ...kAB }));
    await req(kmB, saMsg({ type: C.SADB_UPDATE, spi: spiB, src: A, dst: B, seq: 0, ...kAB }));
    await req(kmB, saMsg({ spi: spiA, src: B, dst: A, seq: 0, ...kBA }));

    assert.equal(sa.send(new TextEncoder().encode('two'), B, 9000), true);
    await settle();
    assert.deepEqual(got, ['two']);
    assert.ok(
      seg.frames.every((f) => f.bytes[6] === 50),
      'only ESP on the wire (IPv6 next header 50)',
    );
    assert.equal(ka.stats.internalErrors + kb.stats.internalErrors, 0);
    ha.close();
    hb.close();
  });

  it('request() rejects with PfkeyError; closing the client rejects what is pending', async () => {
    const ks = new KeySock(bareKernel());
    const { c } = client(ks, 5);
    await assert.rejects(
      req(c, saMsg({ type: C.SADB_UPDATE, spi: 0x777, seq: 0 })),
      (e: unknown) => e instanceof PfkeyError && e.errno === 'ENOENT',
    );
    const p = req(c, msg(C.SADB_REGISTER, 0, {}, 0));
    c.close();
    await assert.rejects(p, /closed/);
    assert.equal(ks.socketCount, 0, 'the kernel side was closed too');
  });

  it('a 3,000-SA dump streams: the kernel pauses when the transport holds INPROC_HIGH_WATER messages', async () => {
    const k = bareKernel();
    const ks = new KeySock(k);
    for (let i = 0; i < 3000; i++)
      k.sad.add({
        spi: 0x10000 + i,
        proto: 'esp',
        mode: 'transport',
        src: ip('10.0.0.1'),
        dst: ip('10.0.0.2'),
        encAlg: 'null',
        authAlg: 'hmac-sha256',
        authKey: new Uint8Array(32),
      });
    const { c, t } = client(ks, 9);
    let maxQueued = 0,
      n = 0,
      last = -1;
    for await (const m of c.dump(C.SADB_DUMP)) {
      maxQueued = Math.max(maxQueued, t.queued);
      last = m.msg.seq;
      n++;
      if (n % 100 === 0) await new Promise((r) => setImmediate(r)); // a slow consumer
    }
    assert.equal(n, 3000);
    assert.equal(last, 0);
    assert.ok(maxQueued <= INPROC_HIGH_WATER, `at most ${INPROC_HIGH_WATER} queued, saw ${maxQueued}`);
  });
});

describe('PfkeyClient on a promiscuous socket', () => {
  it('hands the inner message of each X_PROMISC copy to listeners, and still matches its own replies', async () => {
    const ks = new KeySock(bareKernel());
    const { c: spy } = client(ks, 1),
      { c: other } = client(ks, 2);
    await req(spy, msg(C.SADB_X_PROMISC, 1, {}, 0));
    const seen: [number, boolean][] = [];
    spy.onMessage((m, raw) => seen.push([m.msg.type, raw[1] === C.SADB_X_PROMISC]));
    await req(other, saMsg({ spi: 0x1000, seq: 0 }));
    await settle();
    // other's ADD as sent (echo), the wrapped ALL reply, and the plain ALL reply.
    assert.deepEqual(seen, [
      [C.SADB_ADD, true],
      [C.SADB_ADD, true],
      [C.SADB_ADD, false],
    ]);
    assert.equal((await req(spy, msg(C.SADB_REGISTER, 0, {}, 0))).msg.type, C.SADB_REGISTER);
    assert.equal(spy.badMessages, 0);
  });
});
