// NAT-T when a phase 1 does not float the usual way (RFC 3947 §4, RFC 3948): a peer that *starts* main mode on
// the NAT-T port (as strongSwan does when it re-creates an IKE SA with a peer it already reached on 4500, or a
// peer behind a NAT whose mapping for 500 is gone) gives a phase 1 that is on 4500 from its first message, and
// a quick mode that selects a UDP-encapsulated mode (RFC 3947 §5.1) while the phase 1 stayed on 500. In both
// cases the SAs must carry the NAT-T ports, or the outbound ESP never leaves in UDP.
import { strict as assert } from 'node:assert';
import type { Host } from '../../kernel/host/host.js';
import { policyPair, protocols } from '../scenarios/lab.js';
import { confFor, ikeLab, ip, settle, type IkeLab } from './ike-lab.js';

const A = '192.0.2.1',
  B = '192.0.2.2';
const esp = (a: Host, b: Host) => policyPair(a, b, `${A}/32`, `${B}/32`, [{ proto: 'esp' }]);

function nattPorts(h: Host): (number | undefined)[][] {
  return h.sad.dump().map((s) => [s.natt?.sport, s.natt?.dport]);
}

/** A ping from `from` to `to` through the new SAs; the outer protocols that crossed the wire meanwhile. */
async function pingThrough(lab: IkeLab, from: Host, to: string): Promise<{ replies: number; outer: number[] }> {
  const mark = lab.seg.frames.length;
  const pings = from.ping(to, { count: 1, intervalMs: 0 });
  await settle(8);
  lab.clock.advance(1000);
  const replies = (await pings).length;
  return { replies, outer: protocols(lab.seg.frames.slice(mark)) };
}

describe('exchange: NAT-T for a phase 1 that starts on 4500 and for UDP-encapsulated modes', function () {
  let lab: IkeLab;
  afterEach(() => lab?.close());

  it('a main mode started on the NAT-T port: floated from the start, SAs with NAT-T ports, ESP in UDP', async () => {
    lab = await ikeLab({ confA: confFor(B, { natt: 'on' }), confB: confFor(A, { natt: 'on' }), policies: esp });
    // A starts on 4500 itself (no NAT between them: the NAT-D hashes match, nothing else would float).
    lab.a.racoon.ikev1.ph1.initiate({ addr: ip(A), port: 4500 }, { addr: ip(B), port: 4500 });
    await settle(8);
    const ports: number[] = [];
    while (lab.queue.length) {
      const d = lab.queue[0]!;
      ports.push(d.from.port, d.to.port);
      assert.deepEqual([...d.data.subarray(0, 4)], [0, 0, 0, 0], 'RFC 3948 §2.2 non-ESP marker on 4500');
      await lab.deliver();
    }
    assert.ok(ports.length >= 12 && ports.every((p) => p === 4500), `all of main mode on 4500: ${ports.join(' ')}`);
    const ph1b = [...lab.b.racoon.ph1s.values()][0]!;
    assert.equal(ph1b.state, 'established');
    assert.equal(ph1b.local.port, 4500);
    assert.ok(!ph1b.natDetected, 'no NAT between them');
    assert.ok(ph1b.floated, 'the responder treats a phase 1 begun on 4500 as floated');

    // B (the phase 1 responder) now needs SAs: its ACQUIRE runs a quick mode over that phase 1.
    lab.b.host.sendEchoRequest(ip(A), 1, 1, new Uint8Array(8));
    await settle(8);
    await lab.run();
    for (const h of [lab.a.host, lab.b.host]) {
      assert.equal(h.sad.dump().length, 2);
      assert.deepEqual(nattPorts(h), [
        [4500, 4500],
        [4500, 4500],
      ]);
    }
    const r = await pingThrough(lab, lab.b.host, A);
    assert.equal(r.replies, 1);
    assert.ok(r.outer.length >= 2 && r.outer.every((p) => p === 17), `ESP-in-UDP only: ${r.outer.join(',')}`);
  });

  it('a quick mode selecting UDP-Encapsulated-Transport over a phase 1 on 500: SAs on the NAT-T port', async () => {
    lab = await ikeLab({ confA: confFor(B, { natt: 'on' }), confB: confFor(A, { natt: 'on' }), policies: esp });
    lab.a.racoon.establishIsakmp(ip(A), ip(B));
    await lab.run();
    const ph1a = [...lab.a.racoon.ph1s.values()][0]!;
    assert.equal(ph1a.state, 'established');
    assert.ok(!ph1a.floated && ph1a.local.port === 500);
    // A peer that believes it is behind a NAT proposes ENCAPSULATION_MODE 4 (RFC 3947 §5.1) although this
    // phase 1 never moved: here A, made to believe so.
    ph1a.natDetected = true;
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await settle(8);
    await lab.run();
    for (const h of [lab.a.host, lab.b.host]) {
      assert.equal(h.sad.dump().length, 2);
      assert.deepEqual(nattPorts(h), [
        [4500, 4500],
        [4500, 4500],
      ]);
    }
    const r = await pingThrough(lab, lab.a.host, B);
    assert.equal(r.replies, 1);
    assert.ok(r.outer.length >= 2 && r.outer.every((p) => p === 17), `ESP-in-UDP only: ${r.outer.join(',')}`);
  });
});
