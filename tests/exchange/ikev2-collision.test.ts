// Exchange test for RFC 7296 §2.8.1: both ends rekey the same Child SA (and the IKE SA) at once. The requests
// cross on the wire (each end receives the other's request before its own response), deterministically by the
// order the queue is drained. The replacement made with the lowest of the four nonces is redundant and deleted by
// its creator; the old one is deleted by the other end; one pair remains and carries traffic.
import { strict as assert } from 'node:assert';
import { rekeyChild } from '../../racoon/ikev2/exchanges/create-child.js';
import { RekeyIkeI } from '../../racoon/ikev2/exchanges/rekey-ike.js';
import { holdsLowestNonce, type ChildSa, type IkeSa } from '../../racoon/ikev2/records.js';
import { ikeLab, settle, type IkeLab } from './ike-lab.js';
import { v2Conf } from './ikev2-conf.js';
import { A, B, childStates, children, esp, establish, ikeStates, logs, ping, shape } from './ikev2-steps.js';

/** Delivers both requests first (they cross), then everything else in queue order; a's children after the crossing. */
async function cross(lab: IkeLab): Promise<ChildSa[]> {
  await settle(8);
  assert.equal(lab.queue.length, 2, logs(lab));
  assert.deepEqual(
    lab.queue.map((d) => `${d.sender}: ${shape(d)}`),
    ['a: CREATE_CHILD_SA request SK', 'b: CREATE_CHILD_SA request SK'],
  );
  await lab.deliver(); // a's request reaches b while b's own is out
  await lab.deliver(); // and b's reaches a
  const seen = children(lab, 'a');
  await lab.run();
  return seen;
}

describe('exchange: IKEv2 simultaneous rekey (RFC 7296 §2.8.1)', function () {
  let lab: IkeLab;
  afterEach(() => lab?.close());

  // The seeds are chosen so that each end loses at least once (the nonces decide, not the roles).
  for (const [pfs, seed, loser] of [
    [undefined, '1', 'a'],
    ['modp2048', '3', 'a'],
    ['ecp256', '4', 'b'],
  ] as const)
    it(`both ends rekey the same child at once (PFS ${pfs ?? 'off'}): the lowest nonce loses (${loser})`, async () => {
      const o = pfs ? { pfs } : {};
      lab = await ikeLab({ confA: v2Conf(B, o), confB: v2Conf(A, o), policies: esp, seed });
      await establish(lab);
      const oldSpis = lab.a.host.sad.dump().map((s) => s.spi);
      const [ca] = children(lab, 'a'),
        [cb] = children(lab, 'b');
      lab.a.racoon.ikev2.queue(ca!.ike, rekeyChild(lab.a.racoon.ikev2, ca!.ike, ca!));
      lab.b.racoon.ikev2.queue(cb!.ike, rekeyChild(lab.b.racoon.ikev2, cb!.ike, cb!));
      const seen = await cross(lab);
      // One child left on each end, installed, and initiated by the same end (I on one side, R on the other).
      const states = [...childStates(lab, 'a'), ...childStates(lab, 'b')].sort();
      assert.deepEqual(states, ['I:installed', 'R:installed'], logs(lab));
      // The survivor is the same child on both ends: its SPIs pair up.
      const sa = children(lab, 'a')[0]!,
        sb = children(lab, 'b')[0]!;
      assert.deepEqual(Buffer.from(sa.mySpi!), Buffer.from(sb.peerSpi!));
      assert.deepEqual(Buffer.from(sa.peerSpi!), Buffer.from(sb.mySpi!));
      // Exactly one end logged deleting its redundant replacement, and it is the one holding the lowest nonce.
      const loserA = lab.a.log.some((l) => l.includes('deleting our redundant child'));
      const loserB = lab.b.log.some((l) => l.includes('deleting our redundant child'));
      assert.notEqual(loserA, loserB, logs(lab));
      const survivorInitiatedByA = loserB;
      assert.equal(sa.initiator, survivorInitiatedByA);
      // The two replacements as a saw them: the deleted one holds the lowest of the four nonces.
      const fresh = seen.filter((c) => c.id !== ca!.id);
      assert.equal(fresh.length, 2);
      const lost = fresh.find((c) => c.id !== sa.id)!;
      assert.ok(holdsLowestNonce(lost.nonces!, sa.nonces!), 'the redundant child holds the lowest nonce');
      assert.equal(lost.state, 'dead');
      assert.equal(loserA ? 'a' : 'b', loser);
      // With PFS both replacements ran their own DH (the group shows in their log lines).
      if (pfs)
        assert.equal(lab.a.log.filter((l) => /child SA [34] established.* (MODP_2048|ECP_256) in/.test(l)).length, 2);
      // The kernels hold one new pair each: the old SPIs and the redundant ones are gone.
      for (const side of ['a', 'b'] as const) {
        const spis = lab[side].host.sad.dump().map((s) => s.spi);
        assert.equal(spis.length, 2, `${side}: ${logs(lab)}`);
        assert.ok(spis.every((s) => !oldSpis.includes(s)));
      }
      assert.equal(await ping(lab), 2);
      assert.equal(await ping(lab, A, 'b'), 2);
      assert.deepEqual(ikeStates(lab, 'a'), ['established']);
      assert.deepEqual(ikeStates(lab, 'b'), ['established']);
    });

  it('both ends rekey the IKE SA at once: one new IKE SA survives on both ends, the child moves to it', async () => {
    lab = await ikeLab({ confA: v2Conf(B), confB: v2Conf(A), policies: esp, seed: 'coll-ike' });
    await establish(lab);
    const [ia] = lab.a.racoon.ikev2.ikes.all(),
      [ib] = lab.b.racoon.ikev2.ikes.all();
    // Every IKE SA a makes (its own replacement and the peer's), to compare their nonces afterwards.
    const made: IkeSa[] = [];
    const h = lab.a.racoon.ikev2;
    const addIke = h.addIke.bind(h);
    h.addIke = (sa: IkeSa) => {
      made.push(sa);
      addIke(sa);
    };
    lab.a.racoon.ikev2.queue(ia!, new RekeyIkeI(lab.a.racoon.ikev2, ia!));
    lab.b.racoon.ikev2.queue(ib!, new RekeyIkeI(lab.b.racoon.ikev2, ib!));
    await cross(lab);
    await settle(8);
    assert.deepEqual(ikeStates(lab, 'a'), ['established'], logs(lab));
    assert.deepEqual(ikeStates(lab, 'b'), ['established'], logs(lab));
    const na = lab.a.racoon.ikev2.ikes.all()[0]!,
      nb = lab.b.racoon.ikev2.ikes.all()[0]!;
    assert.notEqual(na.id, ia!.id);
    assert.deepEqual([Buffer.from(na.spiI), Buffer.from(na.spiR)], [Buffer.from(nb.spiI), Buffer.from(nb.spiR)]);
    // The survivor does not hold the lowest nonce: the other new SA's creator deleted that one.
    const loserA = lab.a.log.some((l) => l.includes('deleting our redundant IKE SA'));
    const loserB = lab.b.log.some((l) => l.includes('deleting our redundant IKE SA'));
    assert.notEqual(loserA, loserB, logs(lab));
    assert.equal(na.initiator, loserB, 'the survivor is the one the winner initiated');
    assert.equal(made.length, 2);
    const gone = made.find((x) => x !== na)!;
    assert.ok(holdsLowestNonce(gone.rekeyNonces!, na.rekeyNonces!), 'the redundant IKE SA holds the lowest nonce');
    assert.equal(na.children.size, 1);
    assert.equal(nb.children.size, 1);
    assert.equal(await ping(lab), 2);
    // The survivor works: a CREATE_CHILD_SA on it (a child rekey) completes.
    const c = children(lab, 'a')[0]!;
    lab.a.racoon.ikev2.queue(na, rekeyChild(lab.a.racoon.ikev2, na, c));
    await lab.run();
    assert.deepEqual(childStates(lab, 'a'), ['I:installed'], logs(lab));
    assert.equal(await ping(lab), 2);
  });
});
