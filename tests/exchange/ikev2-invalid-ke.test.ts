// Exchange test for an INVALID_KE_PAYLOAD that names the group our KE already used (RFC 7296 §1.2). strongSwan
// 5.9 without the plugin that computes a group it selected answers exactly that ("DH group ECP_256 unacceptable,
// requesting ECP_256", seen in tests/interop/strongswan). Retrying would loop; racoon must stop at once and say
// why in words an operator can act on, not "which we did not offer".
import { strict as assert } from 'node:assert';
import { IKEV2_EXCHANGE_IKE_SA_INIT, IKEV2_FLAG_RESPONSE, IKEV2_PAYLOAD_NOTIFY } from '../../racoon/ikev2/constants.js';
import { decodeIkev2Message, encodeIkev2Message } from '../../racoon/ikev2/message.js';
import { encodeGroupData } from '../../racoon/ikev2/notify-data.js';
import { IKEV2_N_INVALID_KE_PAYLOAD } from '../../racoon/ikev2/notify-types.js';
import { policyPair } from '../scenarios/lab.js';
import { ikeLab, ip, settle, type IkeLab } from './ike-lab.js';
import { v2Conf } from './ikev2-conf.js';

const A = '192.0.2.1',
  B = '192.0.2.2';

/** b's answer to a's IKE_SA_INIT request: only N(INVALID_KE_PAYLOAD, group). */
function invalidKeAnswer(request: Uint8Array, group: number): Uint8Array {
  const h = decodeIkev2Message(request).value.header;
  return encodeIkev2Message({
    header: { ...h, spiR: new Uint8Array(8), exchangeType: IKEV2_EXCHANGE_IKE_SA_INIT, flags: IKEV2_FLAG_RESPONSE },
    payloads: [
      {
        type: IKEV2_PAYLOAD_NOTIFY,
        body: {
          protocol: 0,
          notifyType: IKEV2_N_INVALID_KE_PAYLOAD,
          spi: new Uint8Array(0),
          data: encodeGroupData(group),
        },
      },
    ],
  });
}

describe('exchange: IKEv2 INVALID_KE_PAYLOAD naming the group already used', function () {
  let lab: IkeLab;
  afterEach(() => lab?.close());

  for (const [title, groups, asked, want] of [
    [
      'the group our KE used: no retry, the reason logged',
      ['ecp256', 'modp2048'],
      19,
      /refuses group 19, the one our KE used/,
    ],
    ['a group we did not offer: no retry', ['ecp256'], 14, /wants group 14, which we did not offer/],
  ] as const) {
    it(title, async () => {
      lab = await ikeLab({
        confA: v2Conf(B, { groups: [...groups] }),
        confB: v2Conf(A),
        policies: (a, b) => policyPair(a, b, `${A}/32`, `${B}/32`, [{ proto: 'esp' }]),
      });
      lab.a.host.sendEchoRequest(ip(B), 7, 1, new Uint8Array(8));
      await settle(8);
      const req = lab.drop();
      lab.a.racoon.input(invalidKeAnswer(req.data, asked), req.to, req.from);
      await settle(8);
      assert.equal(lab.queue.length, 0, 'no IKE_SA_INIT retry');
      assert.deepEqual(lab.a.racoon.ikev2.ikes.all(), [], 'the IKE SA is gone');
      assert.match(lab.a.log.join('\n'), want);
    });
  }

  it('a group we offered besides the one used: the retry goes out with it', async () => {
    lab = await ikeLab({
      confA: v2Conf(B, { groups: ['ecp256', 'modp2048'] }),
      confB: v2Conf(A),
      policies: (a, b) => policyPair(a, b, `${A}/32`, `${B}/32`, [{ proto: 'esp' }]),
    });
    lab.a.host.sendEchoRequest(ip(B), 7, 1, new Uint8Array(8));
    await settle(8);
    const req = lab.drop();
    lab.a.racoon.input(invalidKeAnswer(req.data, 14), req.to, req.from);
    await settle(8);
    assert.equal(lab.queue.length, 1, lab.a.log.join('\n'));
    const retry = decodeIkev2Message(lab.queue[0]!.data).value;
    assert.equal(retry.header.exchangeType, IKEV2_EXCHANGE_IKE_SA_INIT);
  });
});
