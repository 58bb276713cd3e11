// Exchange test for IKEv2 (RFC 7296): two racoons with `ike_version 2` remotes and two kernels, joined by
// in-process PF_KEY and an in-memory datagram queue. One message at a time: ACQUIRE -> IKE_SA_INIT ->
// IKE_AUTH with the first child -> UPDATE/ADD on both kernels -> ESP both ways; then CREATE_CHILD_SA (child
// rekey, IKE SA rekey), INFORMATIONAL (liveness, delete), INVALID_KE_PAYLOAD retry and COOKIE under load.
//
//   a 192.0.2.1 (racoon a, KeySock a) ==== memwire ==== b 192.0.2.2 (racoon b, KeySock b)
import { strict as assert } from 'node:assert';
import type { Host } from '../../kernel/host/host.js';
import { IKEV2_EXCHANGE_NAMES, IKEV2_PAYLOAD_NAMES, nameOf } from '../../racoon/ikev2/constants.js';
import { decodeIkev2Message } from '../../racoon/ikev2/message.js';
import * as P from '../../pfkey/constants.js';
import { PfkeyClient } from '../../pfkey/client.js';
import { makeSockaddr } from '../../pfkey/sockaddr.js';
import { InprocTransport } from '../../pfkey/transport-inproc.js';
import { MAX_CHILDREN_PER_IKE_SA } from '../../racoon/ikev2/exchanges/child-sa.js';
import { rekeyChild } from '../../racoon/ikev2/exchanges/create-child.js';
import { LivenessI } from '../../racoon/ikev2/exchanges/informational.js';
import { policyPair } from '../scenarios/lab.js';
import { confFor, ikeLab, ip, settle, type IkeLab } from './ike-lab.js';
import { v2Conf } from './ikev2-conf.js';

const A = '192.0.2.1',
  B = '192.0.2.2';

function sas(h: Host): string[] {
  return h.sad
    .dump()
    .map((s) => `${s.proto} ${Buffer.from(s.src).join('.')}->${Buffer.from(s.dst).join('.')} ${s.state}`)
    .sort();
}

/** Exchange type, R flag and the clear payload types of a queued datagram. */
function shape(d: { data: Uint8Array }): string {
  const m = decodeIkev2Message(d.data).value;
  const r = m.header.flags & 0x20 ? 'response' : 'request';
  const p = m.payloads.map((x) => nameOf(IKEV2_PAYLOAD_NAMES, x.type)).join(',');
  return `${nameOf(IKEV2_EXCHANGE_NAMES, m.header.exchangeType)} ${r} ${p}`;
}

function ikeStates(lab: IkeLab, side: 'a' | 'b'): string[] {
  return lab[side].racoon.ikev2.ikes.all().map((s) => s.state);
}

function childStates(lab: IkeLab, side: 'a' | 'b'): string[] {
  return [...lab[side].racoon.ikev2.children.all].map((c) => `${c.initiator ? 'I' : 'R'}:${c.state}`);
}

const esp = (a: Host, b: Host) => policyPair(a, b, `${A}/32`, `${B}/32`, [{ proto: 'esp' }]);

async function ping(lab: IkeLab): Promise<number> {
  const pings = lab.a.host.ping(B, { count: 2, intervalMs: 0 });
  await settle(8);
  lab.clock.advance(1000);
  return (await pings).length;
}

function logs(lab: IkeLab): string {
  return `--- a\n${lab.a.log.join('\n')}\n--- b\n${lab.b.log.join('\n')}`;
}

describe('exchange: IKEv2 between two racoons and two kernels', function () {
  let lab: IkeLab;
  afterEach(() => lab?.close());

  it('ACQUIRE -> IKE_SA_INIT -> IKE_AUTH with the first child -> UPDATE/ADD, one message at a time', async () => {
    lab = await ikeLab({ confA: v2Conf(B), confB: v2Conf(A), policies: esp });
    lab.a.host.sendEchoRequest(ip(B), 7, 1, new Uint8Array(32));
    await settle(8);
    assert.equal(lab.queue.length, 1, logs(lab));
    assert.match(shape(lab.queue[0]!), /^IKE_SA_INIT request SA,KE,Ni\/Nr,N,N$/);
    assert.deepEqual(ikeStates(lab, 'a'), ['init']);
    await lab.deliver();
    assert.deepEqual(ikeStates(lab, 'b'), ['auth'], logs(lab));
    assert.match(shape(lab.queue[0]!), /^IKE_SA_INIT response SA,KE,Ni\/Nr,N,N$/);
    await lab.deliver();
    // a derived SKEYSEED, took its SPI (larval SA) and sent IKE_AUTH inside SK.
    assert.deepEqual(ikeStates(lab, 'a'), ['auth'], logs(lab));
    assert.equal(shape(lab.queue[0]!), 'IKE_AUTH request SK');
    assert.deepEqual(sas(lab.a.host), ['esp 192.0.2.2->192.0.2.1 larval']);
    await lab.deliver();
    // b authenticated a, installed the child before answering, and sent IDr, AUTH, SA, TSi, TSr.
    assert.deepEqual(ikeStates(lab, 'b'), ['established'], logs(lab));
    assert.deepEqual(childStates(lab, 'b'), ['R:installed']);
    assert.deepEqual(sas(lab.b.host), ['esp 192.0.2.1->192.0.2.2 mature', 'esp 192.0.2.2->192.0.2.1 mature']);
    assert.equal(shape(lab.queue[0]!), 'IKE_AUTH response SK');
    await lab.deliver();
    assert.deepEqual(ikeStates(lab, 'a'), ['established'], logs(lab));
    assert.deepEqual(childStates(lab, 'a'), ['I:installed']);
    assert.deepEqual(sas(lab.a.host), ['esp 192.0.2.1->192.0.2.2 mature', 'esp 192.0.2.2->192.0.2.1 mature']);
    assert.equal(lab.queue.length, 0);
    // No NAT between them: the NAT_DETECTION hashes match on both sides (§2.23), nobody moved to 4500.
    for (const side of ['a', 'b'] as const)
      assert.deepEqual(
        lab[side].racoon.ikev2.ikes.all().map((s) => [s.natDetected, s.floated]),
        [[false, false]],
        side,
      );
    // The SPIs pair up with the same keys: protected traffic flows both ways.
    const out = lab.a.host.sad.dump().find((s) => Buffer.from(s.src).join('.') === A)!;
    assert.ok(lab.b.host.sad.get(ip(A), ip(B), 'esp', out.spi), "b holds a's outbound SPI as inbound");
    assert.equal(await ping(lab), 2);
    assert.equal(lab.a.racoon.ikev2.stats.ikeEstablished, 1);
    assert.equal(lab.b.racoon.ikev2.stats.childEstablished, 1);
    assert.match(lab.a.racoon.showIkev2().join('\n'), /IKEv2 I established .* children 1\n {2}child \d+ installed/);
  });

  it('soft EXPIRE -> CREATE_CHILD_SA rekey (PFS); the old pair is deleted on both kernels', async () => {
    const o = { pfs: 'modp2048', childLife: '100 sec' };
    lab = await ikeLab({ confA: v2Conf(B, o), confB: v2Conf(A, o), policies: esp });
    lab.a.host.sendEchoRequest(ip(B), 7, 1, new Uint8Array(8));
    await lab.run();
    const before = lab.a.host.sad.dump().map((s) => s.spi);
    // KAME sends a soft EXPIRE only for an SA that carried traffic.
    assert.equal(await ping(lab), 2);
    lab.clock.advance(80_000); // soft lifetime = 80 s
    await settle(8);
    assert.equal(shape(lab.queue[0]!), 'CREATE_CHILD_SA request SK', logs(lab));
    await lab.run();
    assert.deepEqual(childStates(lab, 'a'), ['I:installed'], logs(lab));
    assert.deepEqual(childStates(lab, 'b'), ['R:installed'], logs(lab));
    const after = lab.a.host.sad.dump().map((s) => s.spi);
    assert.equal(after.length, 2);
    assert.ok(
      after.every((s) => !before.includes(s)),
      'both SPIs are new',
    );
    assert.equal(lab.b.host.sad.dump().length, 2);
    assert.equal(lab.a.racoon.ikev2.stats.childRekeyed, 1);
    assert.equal(lab.b.racoon.ikev2.stats.childRekeyed, 1);
    assert.equal(await ping(lab), 2);
  });

  it('the IKE SA is rekeyed at its lifetime; the child moves to the new IKE SA and still carries traffic', async () => {
    lab = await ikeLab({ confA: v2Conf(B, { life: '100 sec' }), confB: v2Conf(A, { life: '1 hour' }), policies: esp });
    lab.a.host.sendEchoRequest(ip(B), 7, 1, new Uint8Array(8));
    await lab.run();
    const first = lab.a.racoon.ikev2.ikes.all()[0]!;
    lab.clock.advance(91_000); // 90% of 100 s: a rekeys
    await settle(8);
    assert.equal(shape(lab.queue[0]!), 'CREATE_CHILD_SA request SK');
    await lab.run();
    assert.deepEqual(ikeStates(lab, 'a'), ['established'], logs(lab));
    assert.deepEqual(ikeStates(lab, 'b'), ['established'], logs(lab));
    const next = lab.a.racoon.ikev2.ikes.all()[0]!;
    assert.notEqual(Buffer.compare(next.spiI, first.spiI), 0);
    assert.equal(next.children.size, 1);
    assert.equal(lab.b.racoon.ikev2.ikes.all()[0]!.children.size, 1);
    assert.equal(await ping(lab), 2);
    // The new IKE SA works: a liveness check on it is answered.
    lab.a.racoon.ikev2.queue(next, new LivenessI(lab.a.racoon.ikev2, next));
    await lab.run();
    assert.equal(lab.a.racoon.ikev2.stats.livenessChecks, 1);
    assert.deepEqual(ikeStates(lab, 'a'), ['established']);
  });

  it('liveness check (dpd_delay) answered; an unanswered one kills the IKE SA and its children', async () => {
    lab = await ikeLab({ confA: v2Conf(B, { dpd: 20 }), confB: v2Conf(A), policies: esp });
    lab.a.host.sendEchoRequest(ip(B), 7, 1, new Uint8Array(8));
    await lab.run();
    lab.clock.advance(20_000);
    await settle(8);
    assert.equal(shape(lab.queue[0]!), 'INFORMATIONAL request SK');
    await lab.run();
    assert.equal(lab.a.racoon.ikev2.stats.livenessChecks, 1);
    assert.deepEqual(ikeStates(lab, 'a'), ['established']);
    // b goes silent: every retransmission is lost.
    lab.clock.advance(20_000);
    for (let i = 0; i < 10 && ikeStates(lab, 'a').length > 0; i++) {
      await settle(8);
      while (lab.queue.length) lab.drop();
      lab.clock.advance(30_000);
    }
    await settle(8);
    assert.deepEqual(ikeStates(lab, 'a'), [], logs(lab));
    assert.equal(lab.a.racoon.ikev2.stats.deadPeers, 1);
    assert.deepEqual(sas(lab.a.host), []);
  });

  it('INFORMATIONAL Delete: an SA removed on a (setkey delete) is deleted at b; the IKE SA stays', async () => {
    lab = await ikeLab({ confA: v2Conf(B), confB: v2Conf(A), policies: esp });
    lab.a.host.sendEchoRequest(ip(B), 7, 1, new Uint8Array(8));
    await lab.run();
    const inbound = lab.a.host.sad.dump().find((s) => Buffer.from(s.dst).join('.') === A)!;
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
    await settle(8);
    assert.equal(shape(lab.queue[0]!), 'INFORMATIONAL request SK');
    await lab.run();
    await settle(8);
    assert.deepEqual(sas(lab.a.host), [], logs(lab));
    assert.deepEqual(sas(lab.b.host), [], logs(lab));
    assert.equal(lab.b.racoon.stats.deletesReceived, 1);
    assert.deepEqual(ikeStates(lab, 'b'), ['established'], 'the IKE SA stays');
  });

  it('INVALID_KE_PAYLOAD: b wants modp2048, a retries with it', async () => {
    lab = await ikeLab({
      confA: v2Conf(B, { groups: ['ecp256', 'modp2048'] }),
      confB: v2Conf(A, { groups: ['modp2048'] }),
      policies: esp,
    });
    lab.a.host.sendEchoRequest(ip(B), 7, 1, new Uint8Array(8));
    await settle(8);
    await lab.deliver();
    assert.equal(shape(lab.queue[0]!), 'IKE_SA_INIT response N');
    assert.deepEqual(ikeStates(lab, 'b'), [], 'b keeps no state for it');
    await lab.run();
    assert.deepEqual(childStates(lab, 'a'), ['I:installed'], logs(lab));
    assert.equal(lab.b.racoon.ikev2.stats.invalidKeSent, 1);
    assert.equal(lab.a.racoon.ikev2.ikes.all()[0]!.suite!.dhGroup, 14);
  });

  it('COOKIE under load: b asks for a cookie; a repeats IKE_SA_INIT with it and completes', async () => {
    lab = await ikeLab({ confA: v2Conf(B), confB: v2Conf(A), policies: esp, racoon: { maxHalfOpen: 2 } });
    // One half-open SA on b reaches its cookie threshold (half of maxHalfOpen).
    const spoof = new Uint8Array(lab.b.racoon.ikev2.cookies.threshold);
    assert.equal(spoof.length, 1);
    lab.a.host.sendEchoRequest(ip(B), 7, 1, new Uint8Array(8));
    await settle(8);
    const init = lab.queue[0]!;
    // A copy from another SPI fills b's half-open table first.
    const other = new Uint8Array(init.data);
    other[0] = other[0]! ^ 0xff;
    lab.b.racoon.input(other, init.to, init.from);
    await settle(8);
    while (lab.queue.length > 1) lab.queue.pop();
    await lab.deliver();
    assert.equal(shape(lab.queue[0]!), 'IKE_SA_INIT response N');
    assert.equal(lab.b.racoon.ikev2.stats.cookiesSent, 1);
    await lab.deliver();
    assert.equal(shape(lab.queue[0]!), 'IKE_SA_INIT request N,SA,KE,Ni/Nr,N,N');
    await lab.run();
    assert.deepEqual(childStates(lab, 'a'), ['I:installed'], logs(lab));
    assert.equal(await ping(lab), 2);
  });

  it('a peer configured for IKEv1 answers an IKE_SA_INIT (NO_PROPOSAL_CHOSEN), logged at notice; a gives up at once', async () => {
    lab = await ikeLab({ confA: v2Conf(B), confB: confFor(A), policies: esp });
    lab.a.host.sendEchoRequest(ip(B), 7, 1, new Uint8Array(8));
    await settle(8);
    await lab.deliver();
    assert.equal(shape(lab.queue[0]!), 'IKE_SA_INIT response N');
    assert.ok(
      lab.b.log.some((l) => /IKE_SA_INIT from 192\.0\.2\.1: no ike_version 2 remote/.test(l)),
      lab.b.log.join('\n'),
    );
    assert.deepEqual(ikeStates(lab, 'b'), []);
    await lab.deliver();
    assert.deepEqual(ikeStates(lab, 'a'), [], 'no retransmission into silence');
    assert.equal(lab.queue.length, 0);
    assert.equal(lab.a.racoon.ikev2.stats.ikeFailed, 1);
  });

  it('a CREATE_CHILD_SA past the children bound gets NO_ADDITIONAL_SAS; the IKE SA and the child stay', async () => {
    lab = await ikeLab({ confA: v2Conf(B), confB: v2Conf(A), policies: esp });
    lab.a.host.sendEchoRequest(ip(B), 7, 1, new Uint8Array(8));
    await lab.run();
    const bsa = lab.b.racoon.ikev2.ikes.all()[0]!;
    const real = [...bsa.children][0]!;
    // Stand-ins without SPIs fill b's slots (as many children as an authenticated peer may make b keep).
    for (let i = bsa.children.size; i < MAX_CHILDREN_PER_IKE_SA; i++)
      bsa.children.add({ ...real, id: 10_000 + i, mySpi: undefined, peerSpi: undefined });
    const c = [...lab.a.racoon.ikev2.children.all][0]!;
    lab.a.racoon.ikev2.queue(c.ike, rekeyChild(lab.a.racoon.ikev2, c.ike, c));
    await lab.run();
    assert.ok(
      lab.a.log.some((l) => l.includes('NO_ADDITIONAL_SAS')),
      lab.a.log.join('\n'),
    );
    assert.deepEqual(childStates(lab, 'a'), ['I:installed']);
    assert.deepEqual(ikeStates(lab, 'a'), ['established']);
    assert.equal(lab.b.host.sad.dump().length, 2, 'no larval SA left on b');
    assert.equal(await ping(lab), 2);
  });
});
