// Exchange test for traffic selector narrowing (RFC 7296 §2.9) in both roles: the responder answers a wider
// TSi/TSr narrowed to its inbound policy, the initiator checks the answer lies within what it proposed and
// installs the narrowed child; a proposal no policy meets is refused with TS_UNACCEPTABLE (the IKE SA stays).
import { strict as assert } from 'node:assert';
import type { Host } from '../../kernel/host/host.js';
import type { PolicySpec } from '../../kernel/spd/policy.js';
import { selectorText } from '../../racoon/ikev2/selectors.js';
import { ikeLab, ip, settle, type IkeLab } from './ike-lab.js';
import { v2Conf } from './ikev2-conf.js';
import { A, B, childStates, children, ikeStates, logs, ping, sas } from './ikev2-steps.js';

/** `spdadd local remote proto -P out ipsec esp/transport//require` and the `-P in` mirror on one host. */
function guard(h: Host, local: string, remote: string, proto?: PolicySpec['proto']): void {
  const r = [{ proto: 'esp' as const, mode: 'transport' as const, level: 'require' as const }];
  const p = proto ? { proto } : {};
  h.spd.addPolicy({ src: local, dst: remote, dir: 'out', action: 'ipsec', requests: r, ...p });
  h.spd.addPolicy({ src: remote, dst: local, dir: 'in', action: 'ipsec', requests: r, ...p });
}

function ts(lab: IkeLab, side: 'a' | 'b'): string {
  const c = children(lab, side)[0]!;
  return `${c.tsi.map(selectorText).join(',')} === ${c.tsr.map(selectorText).join(',')}`;
}

describe('exchange: IKEv2 traffic selector narrowing (RFC 7296 §2.9)', function () {
  let lab: IkeLab;
  afterEach(() => lab?.close());

  it('the responder narrows a /24 proposal to its /32 icmp policy; the initiator installs the narrowed child', async () => {
    lab = await ikeLab({
      confA: v2Conf(B),
      confB: v2Conf(A),
      policies: (a, b) => {
        guard(a, '192.0.2.0/24', '192.0.2.0/24');
        guard(b, `${B}/32`, `${A}/32`, 'icmp');
      },
    });
    lab.a.host.sendEchoRequest(ip(B), 7, 1, new Uint8Array(8));
    await lab.run();
    assert.deepEqual(childStates(lab, 'a'), ['I:installed'], logs(lab));
    assert.deepEqual(childStates(lab, 'b'), ['R:installed'], logs(lab));
    // TSi is the initiator's side: a's /24 became 192.0.2.1, protocol any became ICMP (1), on both ends.
    assert.equal(ts(lab, 'a'), '192.0.2.1/1 === 192.0.2.2/1', logs(lab));
    assert.equal(ts(lab, 'b'), '192.0.2.1/1 === 192.0.2.2/1');
    assert.ok(
      lab.a.log.some((l) => /narrowed by the peer \(RFC 7296 §2\.9\): 192\.0\.2\.0-192\.0\.2\.255 ===/.test(l)),
      logs(lab),
    );
    assert.deepEqual(sas(lab.a.host), ['esp 192.0.2.1->192.0.2.2 mature', 'esp 192.0.2.2->192.0.2.1 mature']);
    assert.equal(await ping(lab), 2);
    assert.equal(await ping(lab, A, 'b'), 2);
  });

  it('the other role: b initiates its narrow policy; a, wider, accepts it as proposed (nothing to narrow)', async () => {
    lab = await ikeLab({
      confA: v2Conf(B),
      confB: v2Conf(A),
      policies: (a, b) => {
        guard(a, '192.0.2.0/24', '192.0.2.0/24');
        guard(b, `${B}/32`, `${A}/32`, 'icmp');
      },
    });
    lab.b.host.sendEchoRequest(ip(A), 7, 1, new Uint8Array(8));
    await lab.run();
    assert.deepEqual(childStates(lab, 'b'), ['I:installed'], logs(lab));
    assert.deepEqual(childStates(lab, 'a'), ['R:installed'], logs(lab));
    assert.equal(ts(lab, 'b'), '192.0.2.2/1 === 192.0.2.1/1');
    assert.equal(ts(lab, 'a'), '192.0.2.2/1 === 192.0.2.1/1');
    assert.ok(!lab.b.log.some((l) => l.includes('narrowed by the peer')), logs(lab));
    assert.equal(await ping(lab, A, 'b'), 2);
  });

  it('a proposal no inbound policy meets gets TS_UNACCEPTABLE: no child, no SA, the IKE SA stays', async () => {
    lab = await ikeLab({
      confA: v2Conf(B),
      confB: v2Conf(A),
      policies: (a, b) => {
        guard(a, `${A}/32`, `${B}/32`, 'udp');
        guard(b, `${B}/32`, `${A}/32`, 'icmp');
      },
    });
    const sock = lab.a.host.udpSocket();
    lab.a.host.udpSend(sock, new Uint8Array(8), ip(B), 9);
    await lab.run();
    await settle(8);
    assert.deepEqual(ikeStates(lab, 'a'), ['established'], logs(lab));
    assert.deepEqual(ikeStates(lab, 'b'), ['established'], logs(lab));
    assert.deepEqual(childStates(lab, 'b'), [], logs(lab));
    assert.ok(
      lab.a.log.some((l) => l.includes('TS_UNACCEPTABLE')),
      logs(lab),
    );
    assert.deepEqual(sas(lab.b.host), [], 'nothing installed on b');
    assert.ok(
      sas(lab.a.host).every((s) => !s.endsWith('mature')),
      'nothing usable on a',
    );
  });

  it('a narrow proposal inside the wider policy of the responder is answered as proposed (never widened)', async () => {
    lab = await ikeLab({
      confA: v2Conf(B),
      confB: v2Conf(A),
      policies: (a, b) => {
        guard(a, `${A}/32`, `${B}/32`, 'icmp');
        guard(b, '192.0.2.0/24', '192.0.2.0/24');
      },
    });
    lab.a.host.sendEchoRequest(ip(B), 7, 1, new Uint8Array(8));
    await lab.run();
    // The responder keeps the proposal (a subset of its policy): no widening.
    assert.equal(ts(lab, 'b'), '192.0.2.1/1 === 192.0.2.2/1', logs(lab));
    assert.equal(await ping(lab), 2);
  });
});
