// Exchange test for several Child SAs per IKE SA (RFC 7296 §1.3.1): a second ACQUIRE, for another policy,
// on an established IKE SA makes a CREATE_CHILD_SA (no new IKE_SA_INIT), and each child carries its own
// traffic; a child rekey (§1.3.3) with and without PFS gives new keys, PFS with a new DH (§2.17).
import { strict as assert } from 'node:assert';
import type { Host } from '../../kernel/host/host.js';
import type { PolicySpec } from '../../kernel/spd/policy.js';
import { rekeyChild } from '../../racoon/ikev2/exchanges/create-child.js';
import { ikeLab, ip, settle, type IkeLab } from './ike-lab.js';
import { v2Conf } from './ikev2-conf.js';
import { A, B, children, childStates, esp, establish, ikeStates, logs, ping, shape } from './ikev2-steps.js';

/** A `unique` ESP policy pair for one upper-layer protocol, so that each gets its own SA (reqid). */
function unique(a: Host, b: Host, proto: PolicySpec['proto'], reqid: number): void {
  const r = [{ proto: 'esp' as const, mode: 'transport' as const, level: 'unique' as const, reqid }];
  for (const [h, l, p] of [
    [a, A, B],
    [b, B, A],
  ] as const) {
    h.spd.addPolicy({ src: `${l}/32`, dst: `${p}/32`, proto, dir: 'out', action: 'ipsec', requests: r });
    h.spd.addPolicy({ src: `${p}/32`, dst: `${l}/32`, proto, dir: 'in', action: 'ipsec', requests: r });
  }
}

function keys(h: Host): string[] {
  return h.sad
    .dump()
    .map((s) => Buffer.from(s.encKey ?? []).toString('hex') + '/' + Buffer.from(s.authKey ?? []).toString('hex'))
    .sort();
}

describe('exchange: IKEv2 several children per IKE SA, child rekey with and without PFS', function () {
  let lab: IkeLab;
  afterEach(() => lab?.close());

  it('a second ACQUIRE (another policy) makes a CREATE_CHILD_SA on the same IKE SA; both children carry traffic', async () => {
    lab = await ikeLab({
      confA: v2Conf(B),
      confB: v2Conf(A),
      policies: (a, b) => {
        unique(a, b, 'icmp', 1);
        unique(a, b, 'udp', 2);
      },
    });
    await establish(lab);
    assert.equal(children(lab, 'a').length, 1);
    const got: Uint8Array[] = [];
    const server = lab.b.host.udpSocket();
    server.bind(9);
    server.onMessage((d) => got.push(d));
    const client = lab.a.host.udpSocket();
    client.send(new TextEncoder().encode('first'), ip(B), 9);
    await settle(8);
    // The IKE SA exists: the ACQUIRE is answered with a CREATE_CHILD_SA, not a new IKE_SA_INIT.
    assert.equal(lab.queue.length, 1, logs(lab));
    assert.equal(shape(lab.queue[0]!), 'CREATE_CHILD_SA request SK');
    await lab.run();
    assert.deepEqual(ikeStates(lab, 'a'), ['established']);
    assert.deepEqual(childStates(lab, 'a'), ['I:installed', 'I:installed'], logs(lab));
    assert.deepEqual(childStates(lab, 'b'), ['R:installed', 'R:installed'], logs(lab));
    const ike = lab.a.racoon.ikev2.ikes.all()[0]!;
    assert.equal(ike.children.size, 2);
    assert.deepEqual(
      children(lab, 'a').map((c) => c.reqid),
      [1, 2],
    );
    assert.equal(lab.a.host.sad.dump().length, 4);
    assert.equal(lab.b.host.sad.dump().length, 4);
    client.send(new TextEncoder().encode('second'), ip(B), 9);
    await settle(8);
    assert.ok(
      got.some((d) => Buffer.from(d).toString() === 'second'),
      'UDP over the second child',
    );
    assert.equal(await ping(lab), 2, 'ICMP over the first child');
    // Each child's outbound SA on a carried bytes.
    for (const s of lab.a.host.sad.dump().filter((x) => Buffer.from(x.src).join('.') === A))
      assert.ok(s.current.bytes > 0, `SA ${s.spi.toString(16)} carried traffic`);
  });

  for (const pfs of [undefined, 'modp2048'])
    it(`child rekey ${pfs ? 'with PFS (a new DH)' : 'without PFS (keys from the nonces)'}: new SPIs and new keys`, async () => {
      const o = pfs ? { pfs } : {};
      lab = await ikeLab({ confA: v2Conf(B, o), confB: v2Conf(A, o), policies: esp });
      await establish(lab);
      const before = keys(lab.a.host);
      const c = children(lab, 'a')[0]!;
      lab.a.racoon.ikev2.queue(c.ike, rekeyChild(lab.a.racoon.ikev2, c.ike, c));
      await lab.run();
      assert.deepEqual(childStates(lab, 'a'), ['I:installed'], logs(lab));
      const after = keys(lab.a.host);
      assert.equal(after.length, 2);
      assert.ok(
        after.every((k) => !before.includes(k)),
        'both directions have new keys',
      );
      assert.deepEqual(after, keys(lab.b.host), 'both kernels hold the same keys');
      // The new child's log line names the DH group only when PFS ran a new exchange.
      const line = lab.a.log.find((l) => /child SA \d+ established/.test(l) && !l.includes(`SA ${c.id} `))!;
      assert.equal(/MODP_2048/.test(line), pfs !== undefined, line);
      assert.equal(await ping(lab), 2);
    });
});
