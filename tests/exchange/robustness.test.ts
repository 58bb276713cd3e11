// Exchange tests for the failure paths: lost and duplicated messages (retransmission with backoff), a wrong
// pre-shared key, no common proposal, the half-open phase 1 cap, rekeying on the kernel's soft EXPIRE,
// DELETE propagated both ways, phase 1 expiry, and forced NAT-T (ESP-in-UDP SAs with the NAT-T extensions).
import { strict as assert } from 'node:assert';
import type { Host } from '../../kernel/host/host.js';
import * as P from '../../pfkey/constants.js';
import { makeSockaddr } from '../../pfkey/sockaddr.js';
import { policyPair } from '../scenarios/lab.js';
import { confFor, ikeLab, ip, settle, type IkeLab } from './ike-lab.js';

const A = '192.0.2.1',
  B = '192.0.2.2';
const esp = (a: Host, b: Host) => policyPair(a, b, `${A}/32`, `${B}/32`, [{ proto: 'esp' }]);

function mature(h: Host): number {
  return h.sad.dump().filter((s) => s.state === 'mature').length;
}

describe('exchange: failure paths, rekey, delete, NAT-T', function () {
  let lab: IkeLab;
  afterEach(() => lab?.close());

  it('a lost reply is recovered: the initiator retransmits, the responder answers the duplicate', async () => {
    lab = await ikeLab({ confA: confFor(B), confB: confFor(A), policies: esp });
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await settle(8);
    await lab.deliver(); // msg1 -> b
    lab.drop(); // msg2 lost
    assert.equal(lab.queue.length, 0);
    lab.clock.advance(10_000); // timer interval 10 sec
    await settle(8);
    assert.equal(lab.a.racoon.stats.retransmits, 1);
    await lab.deliver(); // msg1 again: b recognises the duplicate and resends msg2
    assert.equal(lab.b.racoon.stats.duplicates, 1);
    assert.equal(lab.b.racoon.ph1s.size, 1, 'the duplicate did not open a second phase 1');
    await lab.run();
    assert.equal(mature(lab.a.host), 2);
    assert.equal(mature(lab.b.host), 2);
  });

  it('a late duplicate of an old message changes nothing', async () => {
    lab = await ikeLab({ confA: confFor(B), confB: confFor(A), policies: esp });
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await settle(8);
    const first = lab.queue[0]!;
    await lab.run();
    assert.equal(mature(lab.b.host), 2);
    lab.b.racoon.input(first.data, first.to, first.from);
    await settle(8);
    assert.equal(lab.b.racoon.ph1s.size, 1);
    assert.equal(mature(lab.b.host), 2);
  });

  it('retransmission as racoon does it: counter 3 → three transmissions, a fixed interval, then "time up"', async () => {
    lab = await ikeLab({ confA: confFor(B), confB: confFor(A), policies: esp });
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await settle(8);
    lab.queue.length = 0;
    const times: number[] = [];
    const t0 = lab.clock.now();
    let gone = -1;
    for (let i = 0; i < 200 && gone < 0; i++) {
      lab.clock.advance(1000);
      await settle(2);
      while (lab.queue.length) {
        lab.queue.shift();
        times.push((lab.clock.now() - t0) / 1000);
      }
      if (lab.a.racoon.ph1s.size === 0) gone = (lab.clock.now() - t0) / 1000;
    }
    assert.deepEqual(times, [10, 20], 'counter 3: the first copy, then resent after 10 s and 20 s');
    assert.equal(gone, 30, 'given up one interval after the last copy');
    assert.equal(lab.a.racoon.stats.ph2Failed, 1);
    assert.ok(lab.a.log.some((l) => /^phase1 negotiation failed due to time up\. [0-9a-f]{16}:0{16}$/.test(l)));
  });

  it('a wrong pre-shared key fails HASH_I at the responder; nothing is installed', async () => {
    lab = await ikeLab({ confA: confFor(B), confB: confFor(A), pskB: `${A} not-the-same\n`, policies: esp });
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await lab.run();
    assert.equal(lab.b.racoon.stats.authFailed, 1);
    assert.equal(lab.b.racoon.ph1s.size, 0, 'the failed phase 1 is removed');
    assert.equal(mature(lab.a.host) + mature(lab.b.host), 0);
  });

  it('no common proposal: NO-PROPOSAL-CHOSEN, counted, nothing installed', async () => {
    lab = await ikeLab({ confA: confFor(B, { enc: '3des' }), confB: confFor(A, { enc: 'aes 256' }), policies: esp });
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await lab.run();
    assert.equal(lab.b.racoon.stats.noProposal, 1);
    assert.equal(lab.b.racoon.ph1s.size, 0);
  });

  it('proposal_check strict refuses a longer initiator lifetime; obey accepts it', async () => {
    lab = await ikeLab({
      confA: confFor(B, { ph1life: '10 hour' }),
      confB: confFor(A, { ph1life: '1 hour' }),
      policies: esp,
    });
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await lab.run();
    assert.equal(lab.b.racoon.stats.noProposal, 1);
    lab.close();
    lab = await ikeLab({
      confA: confFor(B, { ph1life: '10 hour' }),
      confB: confFor(A, { ph1life: '1 hour', check: 'obey' }),
      policies: esp,
    });
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await lab.run();
    const ph1 = [...lab.b.racoon.ph1s.values()][0]!;
    assert.equal(ph1.approval!.lifetimeSec, 36000);
  });

  it('bounds half-open phase 1 negotiations: the oldest unanswered one makes room, answered ones are kept', async () => {
    lab = await ikeLab({
      confA: confFor(B),
      confB: confFor(A),
      policies: esp,
      racoon: { maxHalfOpen: 2, halfOpenPerSource: 10, sourceLog: { perSource: 100 } },
    });
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await settle(8);
    const msg1 = lab.queue.shift()!;
    for (let i = 0; i < 5; i++) {
      const d = new Uint8Array(msg1.data);
      d[0] = i + 1; // a new initiator cookie: a new negotiation
      lab.b.racoon.input(d, msg1.to, msg1.from);
    }
    assert.equal(lab.b.racoon.ph1s.size, 2);
    assert.equal(lab.b.racoon.stats.halfOpenEvicted, 3);
    // Both left answered (message 3 with our cookie from their address): the next one is refused and said so.
    for (const p of lab.b.racoon.ph1s.values()) p.halfOpen!.proven = true;
    const d = new Uint8Array(msg1.data);
    d[0] = 99;
    lab.b.racoon.input(d, msg1.to, msg1.from);
    assert.equal(lab.b.racoon.stats.halfOpenRefused, 1);
    assert.ok(lab.b.log.some((l) => /half-open phase 1 limit \(2\) reached/.test(l)));
    // Half-open state expires (timer.phase1), freeing the slots.
    lab.clock.advance(31_000);
    await settle(4);
    assert.equal(lab.b.racoon.ph1s.size, 0);
  });

  it('rekeys phase 2 on the soft EXPIRE, before the hard one, so traffic keeps flowing', async () => {
    lab = await ikeLab({
      confA: confFor(B, { lifetime: '100 sec' }),
      confB: confFor(A, { lifetime: '100 sec' }),
      policies: esp,
    });
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await lab.run();
    assert.equal(mature(lab.a.host), 2);
    // KAME sends a soft EXPIRE only for an SA that carried traffic.
    const first = lab.a.host.ping(B, { count: 1, intervalMs: 0 });
    await settle(8);
    lab.clock.advance(1000);
    assert.equal((await first).length, 1);
    lab.clock.advance(80_000); // soft lifetime = 80 s
    await lab.run();
    assert.equal(lab.a.racoon.stats.ph2Established, 2, lab.a.log.join('\n'));
    assert.equal(lab.a.host.sad.dump().length, 4, 'old (dying) and new pairs');
    lab.clock.advance(20_000); // hard lifetime of the first pair
    await lab.run();
    assert.equal(lab.a.host.sad.dump().length, 2);
    assert.equal(lab.b.host.sad.dump().length, 2);
    const pings = lab.a.host.ping(B, { count: 1, intervalMs: 0 });
    await settle(8);
    lab.clock.advance(1000);
    assert.equal((await pings).length, 1);
  });

  it('DELETE propagates: an SA removed on a (setkey delete) is deleted at b through ISAKMP DELETE', async () => {
    lab = await ikeLab({ confA: confFor(B), confB: confFor(A), policies: esp });
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await lab.run();
    const inbound = lab.a.host.sad.dump().find((s) => Buffer.from(s.dst).join('.') === A)!;
    // Another PF_KEY user (setkey) deletes a's inbound SA.
    const { PfkeyClient } = await import('../../pfkey/client.js');
    const { InprocTransport } = await import('../../pfkey/transport-inproc.js');
    const setkey = new PfkeyClient(new InprocTransport(lab.a.keysock), { pid: 999 });
    await setkey.request({
      msg: setkey.header(P.SADB_DELETE, P.SADB_SATYPE_ESP),
      ext: {
        sa: { spi: inbound.spi, replay: 0, state: 0, auth: 0, encrypt: 0, flags: 0 },
        addressSrc: { proto: 255, prefixlen: 32, addr: makeSockaddr(ip(B)) },
        addressDst: { proto: 255, prefixlen: 32, addr: makeSockaddr(ip(A)) },
      },
    });
    setkey.close();
    await lab.run();
    assert.equal(lab.a.racoon.stats.deletesSent, 1);
    assert.equal(lab.b.racoon.stats.deletesReceived, 1);
    assert.equal(lab.a.host.sad.dump().length, 0);
    assert.equal(lab.b.host.sad.dump().length, 0);
    assert.equal(lab.b.racoon.ph2s.size, 0);
  });

  it('phase 1 expiry with phase 2 SAs left: DELETE of the ISAKMP-SA and a new phase 1 (rekey)', async () => {
    lab = await ikeLab({
      confA: confFor(B, { ph1life: '600 sec' }),
      confB: confFor(A, { ph1life: '600 sec' }),
      policies: esp,
    });
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await lab.run();
    const old = [...lab.a.racoon.ph1s.values()][0]!;
    lab.clock.advance(600_000);
    await lab.run();
    const now = [...lab.a.racoon.ph1s.values()];
    assert.equal(now.length, 1);
    assert.notEqual(now[0], old);
    assert.equal(now[0]!.state, 'established');
    assert.equal(lab.a.racoon.stats.ph1Established, 2);
    assert.equal(mature(lab.b.host), 2, 'phase 2 SAs stay');
  });

  it('nat_traversal force: vendor IDs, NAT-D, float to 4500, ESP-in-UDP SAs with the NAT-T extensions', async () => {
    lab = await ikeLab({ confA: confFor(B, { natt: 'force' }), confB: confFor(A, { natt: 'force' }), policies: esp });
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await settle(8);
    const ports: number[] = [];
    while (lab.queue.length) {
      ports.push(lab.queue[0]!.to.port);
      await lab.deliver();
    }
    assert.deepEqual(ports, [500, 500, 500, 500, 4500, 4500, 4500, 4500, 4500]);
    const ph1 = [...lab.a.racoon.ph1s.values()][0]!;
    assert.ok(ph1.nattPeer && ph1.natDetected && ph1.floated);
    for (const h of [lab.a.host, lab.b.host]) {
      const sas = h.sad.dump();
      assert.equal(sas.length, 2);
      for (const s of sas) assert.deepEqual([s.natt?.sport, s.natt?.dport].sort(), [4500, 4500]);
    }
    const pings = lab.a.host.ping(B, { count: 1, intervalMs: 0 });
    await settle(8);
    lab.clock.advance(1000);
    assert.equal((await pings).length, 1);
    // RFC 3948 §2.3 keepalives every natt_keepalive (20 s): one 0xFF byte to the peer's NAT-T port, no marker.
    lab.queue.length = 0;
    lab.clock.advance(20_000);
    const ka = lab.queue.filter((d) => d.data.length === 1 && d.data[0] === 0xff);
    assert.equal(ka.length, 2, 'one from each side');
    assert.ok(ka.every((d) => d.to.port === 4500));
    await lab.run();
    assert.equal(lab.b.racoon.stats.malformed, 0, 'keepalives are not counted as bad input');
  });
});

describe('exchange: notifications and INITIAL-CONTACT', function () {
  let lab: IkeLab;
  afterEach(() => lab?.close());

  it("no common phase 2 proposal: an encrypted NO-PROPOSAL-CHOSEN ends the initiator's quick mode at once", async () => {
    lab = await ikeLab({
      confA: confFor(B, { ph2enc: '3des' }),
      confB: confFor(A, { ph2enc: 'aes 256' }),
      policies: esp,
    });
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await lab.run();
    assert.equal(lab.b.racoon.stats.noProposal, 1);
    assert.equal(lab.b.racoon.stats.notifiesSent, 1);
    assert.equal(lab.a.racoon.stats.notifiesReceived, 1);
    assert.equal(lab.a.racoon.stats.ph2Failed, 1, 'failed without waiting for retransmissions');
    assert.equal(lab.a.racoon.stats.retransmits, 0);
    assert.ok(lab.a.log.some((l) => /NO-PROPOSAL-CHOSEN/.test(l)));
    assert.equal(lab.a.host.sad.dump().filter((s) => s.state === 'mature').length, 0);
  });

  it('no common phase 1 proposal: a clear notification is sent, logged, but not trusted', async () => {
    lab = await ikeLab({
      confA: confFor(B, { group: 'modp1024' }),
      confB: confFor(A, { group: 'modp2048' }),
      policies: esp,
    });
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await lab.run();
    assert.equal(lab.b.racoon.stats.notifiesSent, 1);
    assert.equal(lab.a.racoon.stats.notifiesReceived, 1);
    assert.ok(lab.a.log.some((l) => /unauthenticated notification NO-PROPOSAL-CHOSEN/.test(l)));
    assert.deepEqual(
      [...lab.a.racoon.ph1s.values()].map((p) => p.state),
      ['msg1-sent'],
      'still waiting: an unauthenticated notify cannot kill it',
    );
  });

  it('INITIAL-CONTACT from a restarted peer purges the SAs it had with us', async () => {
    lab = await ikeLab({ confA: confFor(B), confB: confFor(A), policies: esp });
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await lab.run();
    const oldSpis = lab.b.host.sad
      .dump()
      .map((s) => s.spi)
      .sort();
    assert.equal(oldSpis.length, 2);
    // a reboots: its daemon and SAs are gone, b still holds the old pair.
    await lab.restart('a');
    lab.a.host.sad.flush();
    lab.a.host.sendEchoRequest(ip(B), 1, 2, new Uint8Array(8));
    await lab.run();
    const now = lab.b.host.sad
      .dump()
      .map((s) => s.spi)
      .sort();
    assert.equal(now.length, 2, lab.b.log.join('\n'));
    assert.ok(
      now.every((spi) => !oldSpis.includes(spi)),
      'the old pair was purged',
    );
    assert.equal(lab.b.racoon.ph1s.size, 1);
  });
});

describe('exchange: remote settings', function () {
  let lab: IkeLab;
  afterEach(() => lab?.close());

  it('a passive remote never initiates; the other side can still negotiate with it', async () => {
    const passive = confFor(B).replace('exchange_mode main;', 'exchange_mode main; passive on;');
    lab = await ikeLab({ confA: passive, confB: confFor(A), policies: esp });
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await lab.run();
    assert.equal(lab.a.racoon.ph1s.size, 0);
    assert.equal(lab.a.racoon.stats.ph2Failed, 1, 'the ACQUIRE is answered with an error');
    lab.b.host.sendEchoRequest(ip(A), 1, 1, new Uint8Array(8));
    await lab.run();
    assert.equal(lab.a.racoon.stats.ph2Established, 1);
  });

  it('a responder whose exchange_mode lacks main mode ignores main mode', async () => {
    lab = await ikeLab({
      confA: confFor(B),
      confB: confFor(A).replace('exchange_mode main;', 'exchange_mode aggressive;'),
      policies: esp,
    });
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await lab.run();
    assert.equal(lab.b.racoon.ph1s.size, 0);
    assert.ok(lab.b.log.some((l) => /exchange ident not allowed in any applicable rmconf/.test(l)));
  });
});

describe('exchange: phase 2 lifetimes', function () {
  let lab: IkeLab;
  afterEach(() => lab?.close());

  it('proposal_check claim: the responder uses its shorter lifetime and sends RESPONDER-LIFETIME; both install it', async () => {
    lab = await ikeLab({
      confA: confFor(B, { lifetime: '2 hour' }),
      confB: confFor(A, { lifetime: '1 hour', check: 'claim' }),
      policies: esp,
    });
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await lab.run();
    for (const h of [lab.a.host, lab.b.host]) {
      const sas = h.sad.dump();
      assert.equal(sas.length, 2);
      for (const s of sas) assert.deepEqual([s.hard.addtimeSec, s.soft.addtimeSec], [3600, 2880]);
    }
  });

  it("proposal_check obey: the responder takes the initiator's longer lifetime", async () => {
    lab = await ikeLab({
      confA: confFor(B, { lifetime: '2 hour' }),
      confB: confFor(A, { lifetime: '1 hour', check: 'obey' }),
      policies: esp,
    });
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await lab.run();
    for (const h of [lab.a.host, lab.b.host]) for (const s of h.sad.dump()) assert.equal(s.hard.addtimeSec, 7200);
  });
});

describe('exchange: bounded responder state', function () {
  let lab: IkeLab;
  afterEach(() => lab?.close());

  it('an authenticated peer gets at most 32 responder quick modes in flight (each holds larval SAs)', async () => {
    lab = await ikeLab({ confA: confFor(B), confB: confFor(A), policies: esp });
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await lab.run();
    const sp = [...lab.a.racoon.bridge.spd.values()].find((s) => s.dir === 2)!;
    for (let i = 0; i < 40; i++) lab.a.racoon.startPh2(sp, { addr: ip(A), port: 500 }, { addr: ip(B), port: 500 }, 0);
    await settle(16);
    // Deliver a's quick mode messages; b's answers are lost, so b's negotiations stay open.
    for (let i = 0; i < 200 && lab.queue.length; i++) {
      if (lab.queue[0]!.sender === 'a') await lab.deliver();
      else lab.drop();
    }
    const open = [...lab.b.racoon.ph2s].filter((p) => p.side === 'responder' && p.state !== 'established').length;
    assert.equal(open, 32);
    assert.equal(lab.b.racoon.stats.ph2Refused, 8);
    assert.equal(lab.b.host.sad.dump().filter((s) => s.state === 'larval').length, 32);
  });
});

describe('exchange: nat_traversal on without a NAT', function () {
  let lab: IkeLab;
  afterEach(() => lab?.close());

  it('NAT-D hashes match: no float, plain ESP SAs', async () => {
    lab = await ikeLab({ confA: confFor(B, { natt: 'on' }), confB: confFor(A, { natt: 'on' }), policies: esp });
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await settle(8);
    const ports: number[] = [];
    while (lab.queue.length) {
      ports.push(lab.queue[0]!.to.port);
      await lab.deliver();
    }
    assert.ok(ports.every((p) => p === 500));
    const ph1 = [...lab.b.racoon.ph1s.values()][0]!;
    assert.ok(ph1.nattPeer && !ph1.natDetected && !ph1.floated);
    for (const s of lab.a.host.sad.dump()) assert.equal(s.natt, undefined);
  });
});
