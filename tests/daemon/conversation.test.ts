// The conversation over the Unix socket, with two in-process uipsecd daemons (real Hosts joined by
// the real UDP underlay): key managers REGISTER, outbound traffic raises ACQUIRE, the managers exchange
// SPIs through the IKE channel (UDP 500 of each daemon's stack, IPsec bypass), do GETSPI -> UPDATE and ADD,
// application traffic then flows under ESP, a soft EXPIRE arrives, and DELETE removes the SA.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { ManualClock } from '../../common/clock.js';
import { SeededRng } from '../../common/rng.js';
import * as C from '../../pfkey/constants.js';
import { PfkeyClient } from '../../pfkey/client.js';
import { UnixTransport } from '../../pfkey/transport-unix.js';
import { IkeChannel, type IkeDatagram } from '../../channel/index.js';
import type { PfkeyMessage } from '../../pfkey/index.js';
import { startDaemon, type Daemon } from '../../kernel/daemon/main.js';
import { addr, hexKey, ip, msg, saMsg, spMsg } from '../unit/keysock/support.js';
import { nextMessage, sockDir, testConfig } from './support.js';

const T0 = 1_700_000_000_000;

function nextDatagram(ch: IkeChannel): Promise<IkeDatagram> {
  return new Promise((resolve) => ch.onDatagram(resolve));
}

describe('uipsecd: key manager conversation over the PF_KEY Unix socket', () => {
  let A: Daemon, B: Daemon;
  let clockA: ManualClock;
  const closers: (() => void | Promise<void>)[] = [];

  before(async () => {
    clockA = new ManualClock(T0);
    A = await startDaemon(
      testConfig(sockDir(), { name: 'A', addresses: ['10.0.0.1/24'], underlay: { host: '127.0.0.1', port: 0 } }),
      { clock: clockA, rng: new SeededRng('A') },
    );
    B = await startDaemon(
      testConfig(sockDir(), { name: 'B', addresses: ['10.0.0.2/24'], underlay: { host: '127.0.0.1', port: 0 } }),
      { rng: new SeededRng('B') },
    );
    A.underlay!.setNeighbour('10.0.0.2', B.underlay!.address());
    B.underlay!.setNeighbour('10.0.0.1', A.underlay!.address());
  });

  after(async () => {
    for (const c of closers.reverse()) await c();
    await A.close();
    await B.close();
    assert.equal(existsSync(A.config.socketPath), false, 'socket file removed on close');
    assert.equal(existsSync(A.config.ikeSocketPath), false);
  });

  it('REGISTER, ACQUIRE, GETSPI -> UPDATE + ADD, traffic, soft EXPIRE, DELETE', async () => {
    const kmA = new PfkeyClient(await UnixTransport.connect(A.config.socketPath), { pid: 1001 });
    const kmB = new PfkeyClient(await UnixTransport.connect(B.config.socketPath), { pid: 1002 });
    closers.push(
      () => kmA.close(),
      () => kmB.close(),
    );
    const req = (km: PfkeyClient, m: PfkeyMessage) => {
      m.msg.pid = km.pid;
      m.msg.seq = m.msg.seq || km.nextSeq();
      return km.request(m);
    };

    // 1. Both key managers register for ESP and learn the algorithms.
    const reg = await req(kmA, msg(C.SADB_REGISTER, C.SADB_SATYPE_ESP, {}, 0));
    assert.ok(reg.ext.supportedEncrypt!.algs.some((a) => a.id === C.SADB_X_EALG_AESCBC));
    await req(kmB, msg(C.SADB_REGISTER, C.SADB_SATYPE_ESP, {}, 0));

    // 2. Policies on both sides: everything between the two hosts needs ESP transport.
    const outA = await req(kmA, spMsg({ src: '10.0.0.1', dst: '10.0.0.2', seq: 0 }));
    await req(kmA, spMsg({ src: '10.0.0.2', dst: '10.0.0.1', dir: C.IPSEC_DIR_INBOUND, seq: 0 }));
    await req(kmB, spMsg({ src: '10.0.0.2', dst: '10.0.0.1', seq: 0 }));
    await req(kmB, spMsg({ src: '10.0.0.1', dst: '10.0.0.2', dir: C.IPSEC_DIR_INBOUND, seq: 0 }));

    // 3. IKE sockets (UDP 500, bypass) and application sockets, all through the daemons' stacks.
    const ikeA = await IkeChannel.connect(A.config.ikeSocketPath);
    const ikeB = await IkeChannel.connect(B.config.ikeSocketPath);
    const appA = await IkeChannel.connect(A.config.ikeSocketPath);
    const appB = await IkeChannel.connect(B.config.ikeSocketPath);
    closers.push(
      () => ikeA.close(),
      () => ikeB.close(),
      () => appA.close(),
      () => appB.close(),
    );
    assert.equal(await ikeA.bind(500, { bypass: true }), 500);
    assert.equal(await ikeB.bind(500, { bypass: true }), 500);
    const appPortA = await appA.bind(0);
    assert.equal(await appB.bind(7000), 7000);

    // 4. Outbound traffic without an SA: the kernel raises ACQUIRE to the registered manager.
    const acquired = nextMessage(kmA, (m) => m.msg.type === C.SADB_ACQUIRE);
    appA.send(appPortA, ip('10.0.0.2'), 7000, new TextEncoder().encode('first'));
    const acq = await acquired;
    assert.equal(acq.msg.satype, C.SADB_SATYPE_ESP);
    assert.equal(acq.ext.policy!.id, outA.ext.policy!.id);
    assert.deepEqual(acq.ext.addressDst!.addr.addr, ip('10.0.0.2'));
    assert.ok(acq.ext.proposal!.combs.length > 0);

    // 5. GETSPI on A (inbound SA, seq = the ACQUIRE's), then the "IKE" exchange of SPIs over UDP 500.
    const spiA = (
      await req(
        kmA,
        msg(
          C.SADB_GETSPI,
          C.SADB_SATYPE_ESP,
          { addressSrc: addr('10.0.0.2'), addressDst: addr('10.0.0.1') },
          acq.msg.seq,
        ),
      )
    ).ext.sa!.spi;
    const atB = nextDatagram(ikeB);
    ikeA.send(500, ip('10.0.0.2'), 500, new TextEncoder().encode(JSON.stringify({ spi: spiA })));
    const i1 = await atB;
    assert.deepEqual([i1.remotePort, i1.localPort, [...i1.remote]], [500, 500, [10, 0, 0, 1]]);
    assert.equal(JSON.parse(new TextDecoder().decode(i1.payload)).spi, spiA);
    const spiB = (
      await req(
        kmB,
        msg(C.SADB_GETSPI, C.SADB_SATYPE_ESP, { addressSrc: addr('10.0.0.1'), addressDst: addr('10.0.0.2') }, 0),
      )
    ).ext.sa!.spi;
    const atA = nextDatagram(ikeA);
    ikeB.send(500, ip('10.0.0.1'), 500, new TextEncoder().encode(JSON.stringify({ spi: spiB })));
    assert.equal(JSON.parse(new TextDecoder().decode((await atA).payload)).spi, spiB);

    // 6. UPDATE the larval SAs and ADD the outbound ones (A's outbound SA soft-expires after 10 s).
    const kAB = { encKey: hexKey(16, 0xab), authKey: hexKey(20, 0xcd) };
    const kBA = { encKey: hexKey(16, 0xba), authKey: hexKey(20, 0xdc) };
    const lt = (s: number) => ({ allocations: 0, bytes: 0n, addtime: BigInt(s), usetime: 0n });
    await req(
      kmA,
      saMsg({ type: C.SADB_UPDATE, spi: spiA, src: '10.0.0.2', dst: '10.0.0.1', seq: acq.msg.seq, ...kBA }),
    );
    await req(
      kmA,
      saMsg({
        spi: spiB,
        src: '10.0.0.1',
        dst: '10.0.0.2',
        seq: acq.msg.seq,
        ...kAB,
        extra: { lifetimeSoft: lt(10), lifetimeHard: lt(20) },
      }),
    );
    await req(kmB, saMsg({ type: C.SADB_UPDATE, spi: spiB, src: '10.0.0.1', dst: '10.0.0.2', seq: 0, ...kAB }));
    await req(kmB, saMsg({ spi: spiA, src: '10.0.0.2', dst: '10.0.0.1', seq: 0, ...kBA }));
    assert.equal(A.host.sad.lookupIn(ip('10.0.0.1'), 'esp', spiA)?.state, 'mature');

    // 7. Traffic flows: B's application socket (inbound policy: ESP required) receives it.
    const got = nextDatagram(appB);
    appA.send(appPortA, ip('10.0.0.2'), 7000, new TextEncoder().encode('second'));
    const d = await got;
    assert.equal(new TextDecoder().decode(d.payload), 'second');
    assert.equal(d.remotePort, appPortA);
    assert.equal(A.host.sad.lookupOut(ip('10.0.0.1'), ip('10.0.0.2'), 'esp', 'transport', 0)!.current.allocations, 1);

    // 8. Soft EXPIRE for the used outbound SA when A's clock passes 10 s.
    const expired = nextMessage(kmA, (m) => m.msg.type === C.SADB_EXPIRE);
    clockA.advance(10_000);
    const ex = await expired;
    assert.equal(ex.ext.sa!.spi, spiB);
    assert.equal(ex.ext.lifetimeSoft!.addtime, 10n);
    assert.equal(ex.ext.lifetimeHard, undefined);

    // 9. DELETE removes it; the reply goes to every PF_KEY socket of A.
    const del = await req(
      kmA,
      msg(
        C.SADB_DELETE,
        C.SADB_SATYPE_ESP,
        {
          sa: { spi: spiB, replay: 0, state: 0, auth: 0, encrypt: 0, flags: 0 },
          addressSrc: addr('10.0.0.1'),
          addressDst: addr('10.0.0.2'),
        },
        0,
      ),
    );
    assert.equal(del.msg.errno, 0);
    assert.equal(A.host.sad.get(ip('10.0.0.1'), ip('10.0.0.2'), 'esp', spiB), undefined);
    assert.equal(A.keysock.stats.internalErrors, 0);
    assert.equal(B.keysock.stats.internalErrors, 0);
  });
});
