// weak_phase1_check (racoon.conf(5), ipsec-tools isakmp_inf.c isakmp_info_recv_d): an unencrypted DELETE of a
// phase 1 still negotiating ends it only when the remote says `weak_phase1_check on`, before any key exists;
// by default it is ignored, so a forged one cannot stop a negotiation.
import { strict as assert } from 'node:assert';
import type { Host } from '../../kernel/host/host.js';
import { deleteIsakmpPayload } from '../../racoon/ikev1/informational.js';
import { buildMessage } from '../../racoon/ikev1/message.js';
import * as C from '../../racoon/isakmp/constants.js';
import { policyPair } from '../scenarios/lab.js';
import { confFor, ikeLab, ip, settle, type IkeLab } from './ike-lab.js';

const A = '192.0.2.1',
  B = '192.0.2.2';
const esp = (a: Host, b: Host) => policyPair(a, b, `${A}/32`, `${B}/32`, [{ proto: 'esp' }]);

/** a starts main mode; b answers message 1; then b's phase 1 sends a clear DELETE of itself to a. */
async function clearDeleteAfterMsg2(lab: IkeLab, from = B): Promise<void> {
  lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
  await settle(8);
  await lab.deliver(); // message 1 to b
  await lab.deliver(); // message 2 to a: a now knows both cookies, no keys yet
  const pb = [...lab.b.racoon.ph1s.values()][0]!;
  const del = buildMessage(pb, C.ISAKMP_ETYPE_INFO, 0x1234, [deleteIsakmpPayload(pb)]).bytes;
  lab.a.racoon.input(del, { addr: ip(A), port: 500 }, { addr: ip(from), port: 500 });
  await settle(8);
}

describe('exchange: weak_phase1_check', function () {
  let lab: IkeLab;
  afterEach(() => lab?.close());

  it('off (default): the unencrypted DELETE is ignored and the negotiation completes', async () => {
    lab = await ikeLab({ confA: confFor(B), confB: confFor(A), policies: esp });
    await clearDeleteAfterMsg2(lab);
    assert.equal(lab.a.racoon.ph1s.size, 1);
    assert.ok(lab.a.log.some((l) => /unencrypted DELETE .* ignored \(weak_phase1_check off\)/.test(l)));
    await lab.run();
    assert.equal(lab.a.host.sad.dump().filter((s) => s.state === 'mature').length, 2);
  });

  it('on: the DELETE from the peer ends the phase 1 negotiation; from another address it does not', async () => {
    lab = await ikeLab({ confA: confFor(B, { remote: 'weak_phase1_check on;' }), confB: confFor(A), policies: esp });
    await clearDeleteAfterMsg2(lab, '192.0.2.77');
    assert.equal(lab.a.racoon.ph1s.size, 1, 'not from the peer');
    lab.close();
    lab = await ikeLab({ confA: confFor(B, { remote: 'weak_phase1_check on;' }), confB: confFor(A), policies: esp });
    await clearDeleteAfterMsg2(lab);
    assert.equal(lab.a.racoon.ph1s.size, 0, lab.a.log.join('\n'));
    assert.ok(lab.a.log.some((l) => /deleted by an unencrypted DELETE \(weak_phase1_check\)/.test(l)));
  });
});
