// Exchange test: the end with the shorter child lifetime rekeys the child even when the peer created it (RFC 7296
// §2.8). Found against strongSwan (tests/interop/strongswan/racoon-strongswan-ikev2-rekey-dpd.test.ts): charon
// creates the child with a 1 h lifetime, racoon's sainfo says 15 s; racoon used to leave the rekey to the creator
// and, at its hard expiry, delete the child, so traffic stopped until a new ACQUIRE. Now the non-creator rekeys a
// tenth of the lifetime after its soft expiry, if the creator has not done it by then.
import { strict as assert } from 'node:assert';
import type { Host } from '../../kernel/host/host.js';
import { IKEV2_EXCHANGE_CREATE_CHILD_SA } from '../../racoon/ikev2/constants.js';
import { decodeIkev2Message } from '../../racoon/ikev2/message.js';
import { policyPair } from '../scenarios/lab.js';
import { ikeLab, ip, settle, type IkeLab } from './ike-lab.js';
import { v2Conf } from './ikev2-conf.js';

const A = '192.0.2.1',
  B = '192.0.2.2';

const esp = (a: Host, b: Host) => policyPair(a, b, `${A}/32`, `${B}/32`, [{ proto: 'esp' }]);

async function ping(lab: IkeLab): Promise<number> {
  const pings = lab.a.host.ping(B, { count: 2, intervalMs: 0 });
  await settle(8);
  lab.clock.advance(1000);
  return (await pings).length;
}

function childStates(lab: IkeLab, side: 'a' | 'b'): string[] {
  return [...lab[side].racoon.ikev2.children.all].map((c) => `${c.initiator ? 'I' : 'R'}:${c.state}`);
}

const logs = (lab: IkeLab) => `--- a\n${lab.a.log.join('\n')}\n--- b\n${lab.b.log.join('\n')}`;

describe('exchange: IKEv2 child rekey by the end with the shorter lifetime', function () {
  let lab: IkeLab;
  afterEach(() => lab?.close());

  it("b rekeys a's child a tenth of its lifetime after its soft expiry; traffic continues", async () => {
    lab = await ikeLab({
      confA: v2Conf(B, { pfs: 'modp2048', childLife: '1000 sec' }),
      confB: v2Conf(A, { pfs: 'modp2048', childLife: '100 sec' }),
      policies: esp,
    });
    lab.a.host.sendEchoRequest(ip(B), 7, 1, new Uint8Array(8));
    await lab.run();
    assert.deepEqual(childStates(lab, 'b'), ['R:installed'], logs(lab));
    assert.equal(await ping(lab), 2); // KAME sends a soft EXPIRE only for an SA that carried traffic
    lab.clock.advance(80_000); // b's soft lifetime: 80 s
    await settle(8);
    assert.equal(lab.queue.length, 0, 'b leaves the creator the first move');
    assert.match(lab.b.log.join('\n'), /soft expiry/, logs(lab));
    lab.clock.advance(10_000); // a tenth of b's 100 s later
    await settle(8);
    assert.equal(lab.queue.length, 1, logs(lab));
    assert.equal(decodeIkev2Message(lab.queue[0]!.data).value.header.exchangeType, IKEV2_EXCHANGE_CREATE_CHILD_SA);
    await lab.run();
    await settle(8);
    assert.match(lab.b.log.join('\n'), /soft expiry of IKEv2 child \d+ \(created by the peer\)/);
    assert.match(lab.b.log.join('\n'), /child \d+ with 192\.0\.2\.1 rekeyed as child \d+$/m);
    assert.deepEqual(childStates(lab, 'b'), ['I:installed'], logs(lab));
    assert.deepEqual(childStates(lab, 'a'), ['R:installed'], logs(lab));
    assert.equal(lab.b.racoon.ikev2.stats.childRekeyed, 1);
    assert.doesNotMatch(logs(lab), /hard lifetime expired/);
    assert.equal(await ping(lab), 2, 'traffic over the new child');
  });

  it('equal lifetimes: the creator rekeys at the soft expiry and the other end does not rekey again', async () => {
    const o = { pfs: 'modp2048', childLife: '100 sec' };
    lab = await ikeLab({ confA: v2Conf(B, o), confB: v2Conf(A, o), policies: esp });
    lab.a.host.sendEchoRequest(ip(B), 7, 1, new Uint8Array(8));
    await lab.run();
    assert.equal(await ping(lab), 2);
    lab.clock.advance(80_000);
    await settle(8);
    await lab.run();
    lab.clock.advance(10_000); // b's deferred rekey comes due: the child it would rekey is gone
    await settle(8);
    await lab.run();
    assert.equal(lab.a.racoon.ikev2.stats.childRekeyed, 1, logs(lab));
    assert.equal(lab.b.racoon.ikev2.stats.childRekeyed, 1, 'b counted the rekey it answered, and made none');
    assert.deepEqual(childStates(lab, 'a'), ['I:installed'], logs(lab));
    assert.deepEqual(childStates(lab, 'b'), ['R:installed'], logs(lab));
    assert.equal(await ping(lab), 2);
  });

  it('a rekey the peer never answers: the peer is declared dead in the log, its IKE SA and child go', async () => {
    const o = { pfs: 'modp2048', childLife: '100 sec' };
    lab = await ikeLab({ confA: v2Conf(B, o), confB: v2Conf(A, o), policies: esp });
    lab.a.host.sendEchoRequest(ip(B), 7, 1, new Uint8Array(8));
    await lab.run();
    assert.equal(await ping(lab), 2);
    lab.clock.advance(80_000);
    // b is gone: every CREATE_CHILD_SA a sends (and resends: counter 3, interval 10 s) is lost.
    for (let i = 0; i < 8 && lab.a.racoon.ikev2.ikes.all().length > 0; i++) {
      await settle(8);
      while (lab.queue.length > 0) lab.drop();
      lab.clock.advance(10_000);
    }
    await settle(8);
    assert.match(lab.a.log.join('\n'), /IKEv2 peer 192\.0\.2\.2 is dead: no answer to CREATE_CHILD_SA/, logs(lab));
    assert.equal(lab.a.racoon.ikev2.stats.deadPeers, 1);
    assert.deepEqual(lab.a.racoon.ikev2.ikes.all(), []);
    assert.deepEqual(childStates(lab, 'a'), []);
  });
});
