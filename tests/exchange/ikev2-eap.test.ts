// Exchange test: an initiator that leaves AUTH out of IKE_AUTH asks for EAP (RFC 7296 §2.16). EAP is a later
// step in racoon, so the responder answers AUTHENTICATION_FAILED (not INVALID_SYNTAX: the message is well
// formed), logs why, and keeps nothing; the initiator gives up at once. a's IKE_AUTH request is opened with
// b's keys, its AUTH taken out, and sealed again with a's, as an EAP client's first IKE_AUTH looks.
import { strict as assert } from 'node:assert';
import { SeededRng } from '../../common/rng.js';
import { IKEV2_EXCHANGE_IKE_AUTH, IKEV2_PAYLOAD_AUTH } from '../../racoon/ikev2/constants.js';
import { decodeIkev2Message } from '../../racoon/ikev2/message.js';
import { IKEV2_N_AUTHENTICATION_FAILED } from '../../racoon/ikev2/notify-types.js';
import { openMessage, sealMessage } from '../../racoon/ikev2/protect.js';
import { ikeLab, ip, settle, type IkeLab } from './ike-lab.js';
import { v2Conf } from './ikev2-conf.js';
import { A, B, esp, ikeStates, logs, shape } from './ikev2-steps.js';

describe('exchange: IKEv2 IKE_AUTH without AUTH (a peer asking for EAP)', function () {
  let lab: IkeLab;
  afterEach(() => lab?.close());

  it('is answered AUTHENTICATION_FAILED, logged as an EAP request; nothing is kept at either end', async () => {
    lab = await ikeLab({ confA: v2Conf(B), confB: v2Conf(A), policies: esp });
    lab.a.host.sendEchoRequest(ip(B), 7, 1, new Uint8Array(8));
    await settle(8);
    await lab.deliver(); // IKE_SA_INIT request
    await lab.deliver(); // IKE_SA_INIT response
    assert.equal(lab.queue.length, 1, logs(lab));
    const d = lab.queue[0]!;
    assert.match(shape(d), /^IKE_AUTH request SK$/);
    const aSa = lab.a.racoon.ikev2.ikes.all()[0]!;
    const bSa = lab.b.racoon.ikev2.ikes.all()[0]!;
    const opened = openMessage(bSa, d.data, decodeIkev2Message(d.data).value);
    assert.ok(opened.ok);
    const inner = opened.inner.filter((p) => p.type !== IKEV2_PAYLOAD_AUTH);
    assert.equal(inner.length, opened.inner.length - 1, 'the request had one AUTH');
    d.data = sealMessage(aSa, IKEV2_EXCHANGE_IKE_AUTH, 1, false, inner, new SeededRng('eap'));
    await lab.deliver();
    // b's answer: SK{N(AUTHENTICATION_FAILED)} only.
    assert.equal(lab.queue.length, 1, logs(lab));
    const answer = lab.queue[0]!;
    const back = openMessage(aSa, answer.data, decodeIkev2Message(answer.data).value);
    assert.ok(back.ok);
    assert.deepEqual(
      back.inner.map((p) => (p.type === 41 ? (p.body as { notifyType: number }).notifyType : p.type)),
      [IKEV2_N_AUTHENTICATION_FAILED],
    );
    assert.ok(
      lab.b.log.some((l) =>
        /IKE_AUTH from 192\.0\.2\.1 \(192\.0\.2\.1\): no AUTH payload: the peer asks for EAP/.test(l),
      ),
      logs(lab),
    );
    assert.ok(!lab.b.log.some((l) => /INVALID_SYNTAX/.test(l)), logs(lab));
    assert.deepEqual(ikeStates(lab, 'b'), [], logs(lab));
    await lab.run();
    assert.deepEqual(ikeStates(lab, 'a'), [], logs(lab));
    assert.ok(
      lab.a.log.some((l) => /IKE_AUTH failed: AUTHENTICATION_FAILED/.test(l)),
      logs(lab),
    );
    assert.deepEqual(lab.b.host.sad.dump(), []);
    assert.equal(lab.b.racoon.stats.authFailed, 1);
  });
});
