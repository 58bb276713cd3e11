// Exchange tests for dead peer detection (RFC 3706 as racoon does it): the DPD vendor ID in messages 1/2,
// R-U-THERE every dpd_delay with R-U-THERE-ACK from the peer, a dead peer after dpd_maxfail unanswered probes
// (its IPsec SAs deleted with PF_KEY DELETE, the phase 1 gone), and the next packet negotiating anew.
import { strict as assert } from 'node:assert';
import type { Host } from '../../kernel/host/host.js';
import * as C from '../../racoon/isakmp/constants.js';
import { decodeIsakmpMessage } from '../../racoon/isakmp/message.js';
import type { Phase1 } from '../../racoon/ikev1/handles.js';
import { identifyVendorId } from '../../racoon/isakmp/vendor-ids.js';
import { policyPair } from '../scenarios/lab.js';
import { confFor, ikeLab, ip, settle, type IkeLab } from './ike-lab.js';

const A = '192.0.2.1',
  B = '192.0.2.2';
const esp = (a: Host, b: Host) => policyPair(a, b, `${A}/32`, `${B}/32`, [{ proto: 'esp' }]);
const DPD = 'dpd_delay 10; dpd_retry 5; dpd_maxfail 3;';

function mature(h: Host): number {
  return h.sad.dump().filter((s) => s.state === 'mature').length;
}

function ph1Of(lab: IkeLab, side: 'a' | 'b'): Phase1 {
  return [...lab[side].racoon.ph1s.values()][0]!;
}

async function negotiate(lab: IkeLab): Promise<void> {
  lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
  await lab.run();
  assert.equal(mature(lab.a.host), 2);
  assert.equal(mature(lab.b.host), 2);
}

/** Advances the clock second by second, delivering what is queued unless `lose` drops it. */
async function elapse(lab: IkeLab, sec: number, lose: (sender: string) => boolean = () => false): Promise<void> {
  for (let i = 0; i < sec; i++) {
    lab.clock.advance(1000);
    await settle(4);
    while (lab.queue.length) {
      if (lose(lab.queue[0]!.sender)) lab.drop();
      else await lab.deliver();
    }
  }
}

describe('exchange: dead peer detection (RFC 3706)', function () {
  let lab: IkeLab;
  afterEach(() => lab?.close());

  it('both sides announce DPD in messages 1 and 2; dpd off on one side means no DPD with it', async () => {
    lab = await ikeLab({ confA: confFor(B, { remote: DPD }), confB: confFor(A), policies: esp });
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await settle(8);
    const vids = (i: number) =>
      decodeIsakmpMessage(lab.queue[i]!.data)
        .value.payloads.filter((p) => p.type === C.ISAKMP_NPTYPE_VID)
        .map((p) => identifyVendorId(p.body as Uint8Array));
    assert.deepEqual(vids(0), ['DPD']);
    await lab.deliver();
    assert.deepEqual(vids(0), ['DPD']);
    await lab.run();
    assert.ok(ph1Of(lab, 'a').dpd!.peer && ph1Of(lab, 'b').dpd!.peer);
    lab.close();

    lab = await ikeLab({
      confA: confFor(B, { remote: DPD }),
      confB: confFor(A, { remote: 'dpd off;' }),
      policies: esp,
    });
    await negotiate(lab);
    assert.equal(ph1Of(lab, 'a').dpd!.peer, false, 'b did not announce DPD');
    await elapse(lab, 30);
    assert.equal(lab.a.racoon.stats.dpdSent, 0, 'no probes to a peer without DPD');
  });

  it('R-U-THERE every dpd_delay, answered by R-U-THERE-ACK with the same sequence; failures reset', async () => {
    lab = await ikeLab({ confA: confFor(B, { remote: DPD }), confB: confFor(A), policies: esp });
    await negotiate(lab);
    const d = ph1Of(lab, 'a').dpd!;
    await elapse(lab, 9);
    assert.equal(lab.a.racoon.stats.dpdSent, 0, 'nothing before dpd_delay');
    lab.clock.advance(1000);
    await settle(4);
    assert.equal(lab.queue.length, 1);
    const probe = decodeIsakmpMessage(lab.queue[0]!.data).value;
    assert.equal(probe.header.etype, C.ISAKMP_ETYPE_INFO);
    assert.ok(probe.encrypted, 'R-U-THERE travels in an encrypted informational exchange');
    assert.ok(d.seq > 0 && d.seq <= 0x1000, `racoon starts at a small random sequence (${d.seq})`);
    assert.equal(d.fails, 1);
    await lab.run();
    assert.equal(lab.b.racoon.stats.dpdAnswered, 1, 'b answered although it does not probe (dpd_delay 0)');
    assert.equal(lab.a.racoon.stats.dpdAcked, 1);
    assert.equal(d.fails, 0);
    assert.equal(d.lastAck, d.seq);
    await elapse(lab, 30);
    assert.equal(lab.a.racoon.stats.dpdSent, 4, 'one probe per 10 s while the peer answers');
    assert.equal(lab.a.racoon.stats.dpdAcked, 4);
    assert.equal(lab.a.racoon.stats.dpdDead, 0);
    assert.equal(mature(lab.a.host), 2);
  });

  it('the responder probes too; a lost ACK is retried after dpd_retry and the late success resets', async () => {
    lab = await ikeLab({ confA: confFor(B), confB: confFor(A, { remote: DPD }), policies: esp });
    await negotiate(lab);
    // The first ACK from a is lost; b retries 5 s later, a answers, b is content.
    let lost = 0;
    await elapse(lab, 10, (s) => s === 'a' && lost++ === 0);
    assert.equal(ph1Of(lab, 'b').dpd!.fails, 1);
    await elapse(lab, 5);
    assert.equal(lab.b.racoon.stats.dpdSent, 2);
    assert.equal(ph1Of(lab, 'b').dpd!.fails, 0);
    assert.equal(lab.b.racoon.stats.dpdDead, 0);
  });

  it('a dead peer: after dpd_maxfail unanswered probes its SAs and phase 1 are deleted; traffic renegotiates', async () => {
    lab = await ikeLab({ confA: confFor(B, { remote: DPD }), confB: confFor(A), policies: esp });
    await negotiate(lab);
    const dead: Phase1[] = [];
    lab.a.racoon.ikev1.events.phase1Dead = (p) => dead.push(p);
    // b stops answering: everything it would send is lost.
    await elapse(lab, 24, (s) => s === 'b');
    assert.equal(lab.a.racoon.stats.dpdSent, 3, 'probes at 10, 15 and 20 s');
    assert.equal(lab.a.racoon.ph1s.size, 1, 'not dead yet');
    await elapse(lab, 1, (s) => s === 'b');
    assert.equal(lab.a.racoon.stats.dpdDead, 1);
    assert.equal(dead.length, 1, 'the phase1_dead hook ran');
    assert.ok(lab.a.log.some((l) => /DPD: remote .* seems to be dead/.test(l)));
    assert.equal(lab.a.racoon.ph1s.size, 0, 'the phase 1 is gone');
    assert.equal(lab.a.host.sad.dump().length, 0, 'both SAs deleted from the kernel (PF_KEY DELETE)');
    assert.equal(lab.a.racoon.ph2s.size, 0);
    assert.equal(lab.queue.length, 0, 'no DELETE sent to a dead peer');

    // b comes back (rebooted: no racoon state, no SAs); the next packet on a raises ACQUIRE and a new negotiation.
    await lab.restart('b');
    lab.b.host.sad.flush();
    lab.a.host.sendEchoRequest(ip(B), 1, 2, new Uint8Array(8));
    await settle(8);
    assert.equal(lab.queue.length, 1, 'ACQUIRE started a new main mode');
    await lab.run();
    assert.equal(lab.a.racoon.stats.ph1Established, 2);
    assert.equal(mature(lab.a.host), 2);
    assert.equal(mature(lab.b.host), 2);
    const pings = lab.a.host.ping(B, { count: 1, intervalMs: 0 });
    await settle(8);
    lab.clock.advance(1000);
    assert.equal((await pings).length, 1, 'traffic flows over the new SAs');
  });

  it('an ACK with a stale or future sequence number, or a malformed one, is ignored', async () => {
    lab = await ikeLab({ confA: confFor(B, { remote: DPD }), confB: confFor(A), policies: esp });
    await negotiate(lab);
    const pa = ph1Of(lab, 'a');
    const pb = ph1Of(lab, 'b');
    const { ruThere } = await import('../../racoon/ikev1/dpd.js');
    const { notifyPayload, isakmpSpi } = await import('../../racoon/ikev1/notify.js');
    await elapse(lab, 10, () => true); // a sends seq s; lost
    const s = pa.dpd!.seq;
    const send = (payload: ReturnType<typeof ruThere>) => lab.b.racoon.ikev1.ph1.sendInfo(pb, [payload]);
    send(ruThere(pb, C.ISAKMP_NTYPE_R_U_THERE_ACK, s + 1)); // never sent
    send(ruThere(pb, C.ISAKMP_NTYPE_R_U_THERE_ACK, s - 1)); // already acknowledged (lastAck)
    send(notifyPayload(C.IPSECDOI_PROTO_ISAKMP, C.ISAKMP_NTYPE_R_U_THERE_ACK, isakmpSpi(pb), Uint8Array.of(0, 0, 1)));
    send(ruThere({ icookie: pb.rcookie, rcookie: new Uint8Array(8) }, C.ISAKMP_NTYPE_R_U_THERE_ACK, s)); // other SA
    await lab.run();
    assert.equal(lab.a.racoon.stats.dpdIgnored, 4);
    assert.equal(pa.dpd!.fails, 1);
    send(ruThere({ icookie: pb.rcookie, rcookie: pb.icookie }, C.ISAKMP_NTYPE_R_U_THERE_ACK, s)); // reversed: racoon accepts
    await lab.run();
    assert.equal(lab.a.racoon.stats.dpdAcked, 1);
    assert.equal(pa.dpd!.fails, 0);
  });
});
