// Exchange test for INITIAL_CONTACT (RFC 7296 §2.4, §3.10.1): a racoon that restarted has lost its IKE SA and
// children; its first IKE_AUTH to the peer carries N(INITIAL_CONTACT), and the peer drops the IKE SA it still
// holds for that identity with its children (their kernel SAs deleted), without notifying the restarted end;
// an IKE SA of another identity from the same address stays (§2.4: by identity, not by address).
import { strict as assert } from 'node:assert';
import { IKEV2_ID_FQDN as ID_FQDN } from '../../racoon/ikev2/constants.js';
import { ikeLab, ip, settle, type IkeLab } from './ike-lab.js';
import { v2Conf } from './ikev2-conf.js';
import { A, B, childStates, esp, establish, ikeStates, logs, ping } from './ikev2-steps.js';

describe('exchange: IKEv2 INITIAL_CONTACT after a restart', function () {
  let lab: IkeLab;
  afterEach(() => lab?.close());

  it("a restarted peer's INITIAL_CONTACT deletes the old IKE SA and its children on the other end", async () => {
    lab = await ikeLab({ confA: v2Conf(B), confB: v2Conf(A), policies: esp });
    await establish(lab);
    const old = lab.b.racoon.ikev2.ikes.all()[0]!;
    const oldSpis = lab.b.host.sad.dump().map((s) => s.spi);
    await lab.restart('a');
    lab.a.host.sad.flush(); // the kernel of a lost its SAs with it (a reboot)
    lab.a.host.sendEchoRequest(ip(B), 7, 1, new Uint8Array(8));
    await lab.run();
    await settle(8);
    assert.deepEqual(childStates(lab, 'a'), ['I:installed'], logs(lab));
    assert.ok(
      lab.b.log.some((l) => l.includes('INITIAL_CONTACT from the peer')),
      logs(lab),
    );
    assert.deepEqual(ikeStates(lab, 'b'), ['established'], 'only the new IKE SA is left');
    assert.notEqual(lab.b.racoon.ikev2.ikes.all()[0]!.id, old.id);
    assert.deepEqual(childStates(lab, 'b'), ['R:installed']);
    const spis = lab.b.host.sad.dump().map((s) => s.spi);
    assert.equal(spis.length, 2, logs(lab));
    assert.ok(
      spis.every((s) => !oldSpis.includes(s)),
      'the old kernel SAs are gone on b',
    );
    assert.equal(await ping(lab), 2);
    assert.equal(await ping(lab, A, 'b'), 2);
  });

  it('INITIAL_CONTACT drops only the same identity: another identity at the same address (a NAT) stays', async () => {
    lab = await ikeLab({ confA: v2Conf(B), confB: v2Conf(A), policies: esp });
    await establish(lab);
    const other = lab.b.racoon.ikev2.ikes.all()[0]!;
    // As if this IKE SA were another client behind the same NAT address: its authenticated ID differs (§2.4).
    other.peerId = { idType: ID_FQDN, data: new TextEncoder().encode('other.example') };
    await lab.restart('a');
    lab.a.host.sad.flush();
    lab.a.host.sendEchoRequest(ip(B), 7, 3, new Uint8Array(8));
    await lab.run();
    await settle(8);
    assert.ok(!lab.b.log.some((l) => l.includes('INITIAL_CONTACT from the peer')), logs(lab));
    assert.ok(
      lab.b.racoon.ikev2.ikes.all().some((s) => s.id === other.id && s.state === 'established'),
      logs(lab),
    );
    assert.deepEqual(ikeStates(lab, 'b'), ['established', 'established'], logs(lab));
  });

  it('without a restart, a new ACQUIRE to the same peer sends no INITIAL_CONTACT: the IKE SA on b stays', async () => {
    lab = await ikeLab({ confA: v2Conf(B), confB: v2Conf(A), policies: esp });
    await establish(lab);
    const first = lab.b.racoon.ikev2.ikes.all()[0]!.id;
    lab.a.host.sad.flush();
    lab.a.host.sendEchoRequest(ip(B), 7, 2, new Uint8Array(8));
    await lab.run();
    assert.ok(!lab.b.log.some((l) => l.includes('INITIAL_CONTACT')), logs(lab));
    assert.ok(
      lab.b.racoon.ikev2.ikes.all().some((s) => s.id === first && s.state === 'established'),
      logs(lab),
    );
  });
});
