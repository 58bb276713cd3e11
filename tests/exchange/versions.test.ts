// The version seam in a running daemon: racoon speaks IKEv1 only, so a message whose ISAKMP header says
// 2.0 (an IKEv2 IKE_SA_INIT, RFC 7296 §3.1) reaches the IKEv1 handler as the dispatch's `others`, is counted
// malformed and answered with nothing, as before the engine was split; an IKEv1 negotiation with the same
// peer still completes afterwards. (Issue 14's IKEv2 handler takes this role and answers, RFC 7296 §1.5.)
import { strict as assert } from 'node:assert';
import type { Host } from '../../kernel/host/host.js';
import { policyPair } from '../scenarios/lab.js';
import { confFor, ikeLab, ip, settle, type IkeLab } from './ike-lab.js';

const A = '192.0.2.1',
  B = '192.0.2.2';
const esp = (a: Host, b: Host) => policyPair(a, b, `${A}/32`, `${B}/32`, [{ proto: 'esp' }]);

/** An IKE_SA_INIT header: SPIi, zero SPIr, next payload SA (33), version 2.0, exchange 34, flag I (0x08). */
function ikev2Init(): Uint8Array {
  const m = new Uint8Array(28);
  m.fill(0x5a, 0, 8);
  m[16] = 33;
  m[17] = 0x20;
  m[18] = 34;
  m[19] = 0x08;
  m[27] = 28;
  return m;
}

describe('exchange: IKE versions', function () {
  let lab: IkeLab;
  afterEach(() => lab?.close());

  it('an IKEv2 message is counted malformed and left unanswered; IKEv1 with that peer still works', async () => {
    lab = await ikeLab({ confA: confFor(B), confB: confFor(A), policies: esp });
    const b = lab.b.racoon;
    b.input(ikev2Init(), { addr: ip(B), port: 500 }, { addr: ip(A), port: 500 });
    await settle(8);
    assert.deepEqual([b.stats.received, b.stats.malformed, b.ph1s.size, lab.queue.length], [1, 1, 0, 0]);
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await settle(8);
    await lab.run();
    assert.equal(lab.a.racoon.stats.ph2Established, 1);
    assert.equal(b.stats.ph2Established, 1);
    assert.equal(b.stats.malformed, 1);
  });
});
