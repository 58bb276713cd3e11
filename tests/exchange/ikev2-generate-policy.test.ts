// Exchange test of generate_policy for IKEv2 (racoon.conf(5); RFC 7296 §2.9): b, the responder, has no policy
// at all; a's ACQUIRE proposes its policy's selectors and b installs the SAs, then the inbound and outbound
// policies of the proposal (tunnel requests with the IKE addresses as ends, `unique` with a reqid). Traffic
// flows both ways; a child rekey keeps the policies (the replacement holds them); the child's Delete or the
// IKE SA's removal takes them out of b's kernel; `generate_policy off` answers TS_UNACCEPTABLE.
import { strict as assert } from 'node:assert';
import { formatAddr } from '../../common/inet.js';
import type { Host } from '../../kernel/host/host.js';
import type { Policy } from '../../kernel/spd/policy.js';
import { rekeyChild } from '../../racoon/ikev2/exchanges/create-child.js';
import { DeleteIkeI } from '../../racoon/ikev2/exchanges/informational.js';
import { policyPair } from '../scenarios/lab.js';
import { ikeLab, ip, settle, type IkeLab } from './ike-lab.js';
import { v2Conf } from './ikev2-conf.js';
import { A, B, children, childStates, establish, ikeStates, logs, ping } from './ikev2-steps.js';

/** a's policies only: b starts with an empty SPD (a gateway that cannot know a roadwarrior's address). */
function onlyA(reqs: Parameters<typeof policyPair>[4], src = `${A}/32`, dst = `${B}/32`) {
  return (a: Host, b: Host) => {
    policyPair(a, b, src, dst, reqs);
    b.spd.flush();
  };
}

function show(p: Policy): string {
  const pre = (x: Policy['selector']['src']) => `${formatAddr(x.addr)}/${x.len}`;
  const reqs = p.requests
    .map(
      (r) =>
        `${r.proto}/${r.mode}/${r.level}${r.reqid ? `:${r.reqid}` : ''}${r.src ? ` ${formatAddr(r.src)}-${formatAddr(r.dst!)}` : ''}`,
    )
    .join(' ');
  return `${p.dir} ${pre(p.selector.src)} ${pre(p.selector.dst)} ${reqs}`;
}

const spd = (h: Host) => h.spd.dump().map(show).sort();
const gen = (mode: string) => v2Conf(A, { extra: `generate_policy ${mode};` });

describe('exchange: IKEv2 generate_policy (the responder installs the policies of the proposal)', function () {
  let lab: IkeLab;
  afterEach(() => lab?.close());

  it('on: b has no policy; the child is installed with both generated policies, traffic both ways', async () => {
    lab = await ikeLab({ confA: v2Conf(B), confB: gen('on'), policies: onlyA([{ proto: 'esp' }]) });
    assert.deepEqual(spd(lab.b.host), []);
    await establish(lab);
    assert.deepEqual(childStates(lab, 'b'), ['R:installed'], logs(lab));
    assert.deepEqual(spd(lab.b.host), [
      `in ${A}/32 ${B}/32 esp/transport/require`,
      `out ${B}/32 ${A}/32 esp/transport/require`,
    ]);
    assert.ok(
      lab.b.log.some((l) => /no policy found, generating the policy/.test(l)),
      logs(lab),
    );
    assert.equal(await ping(lab), 2, 'a -> b, the reply under the generated outbound policy');
    assert.equal(await ping(lab, A, 'b'), 2, 'b -> a under the generated outbound policy');
    for (const s of lab.b.host.sad.dump()) assert.ok(s.current.bytes > 0, `SA ${s.spi.toString(16)} carried traffic`);
  });

  it('a child rekey keeps the policies; the Delete of the IKE SA removes them from b', async () => {
    lab = await ikeLab({ confA: v2Conf(B), confB: gen('require'), policies: onlyA([{ proto: 'esp' }]) });
    await establish(lab);
    const before = lab.b.host.spd.dump().map((p) => p.id);
    assert.equal(before.length, 2, logs(lab));
    const c = children(lab, 'a')[0]!;
    lab.a.racoon.ikev2.queue(c.ike, rekeyChild(lab.a.racoon.ikev2, c.ike, c));
    await lab.run();
    await settle(8);
    assert.deepEqual(childStates(lab, 'b'), ['R:installed'], logs(lab));
    assert.notEqual(children(lab, 'b')[0]!.id, c.id);
    assert.deepEqual(
      lab.b.host.spd.dump().map((p) => p.id),
      before,
      'the replacement child holds the same policies',
    );
    assert.equal(await ping(lab), 2);
    // b rekeys the child itself (the shorter lifetime, §2.8): the policies stay again.
    const bc = children(lab, 'b')[0]!;
    lab.b.racoon.ikev2.queue(bc.ike, rekeyChild(lab.b.racoon.ikev2, bc.ike, bc));
    await lab.run();
    await settle(8);
    assert.deepEqual(childStates(lab, 'b'), ['I:installed'], logs(lab));
    assert.equal(lab.b.host.spd.dump().length, 2, logs(lab));
    assert.equal(await ping(lab, A, 'b'), 2);
    const ike = lab.a.racoon.ikev2.ikes.all()[0]!;
    lab.a.racoon.ikev2.queue(ike, new DeleteIkeI(lab.a.racoon.ikev2, ike, 'test'));
    await lab.run();
    await settle(8);
    assert.deepEqual(ikeStates(lab, 'b'), [], logs(lab));
    assert.deepEqual(spd(lab.b.host), [], 'generated policies removed with the IKE SA');
    assert.ok(
      lab.b.log.some((l) => /generated policy removed with child/.test(l)),
      logs(lab),
    );
  });

  it('the Delete of the child removes its policies; the IKE SA stays', async () => {
    lab = await ikeLab({ confA: v2Conf(B), confB: gen('on'), policies: onlyA([{ proto: 'esp' }]) });
    await establish(lab);
    const c = children(lab, 'a')[0]!;
    lab.a.racoon.ikev2.deleteChild(c, 'test');
    await lab.run();
    await settle(8);
    assert.deepEqual(childStates(lab, 'b'), [], logs(lab));
    assert.deepEqual(ikeStates(lab, 'b'), ['established']);
    assert.deepEqual(spd(lab.b.host), []);
  });

  it('unique, tunnel mode: level unique with a reqid the SAs carry, the IKE addresses as tunnel ends', async () => {
    lab = await ikeLab({
      confA: v2Conf(B),
      confB: gen('unique'),
      policies: onlyA([{ proto: 'esp', mode: 'tunnel', tunnel: [A, B] }], '10.1.0.0/16', '10.2.0.0/16'),
    });
    lab.a.host.sendIp(ip('10.2.0.5'), 17, new Uint8Array(8), undefined, ip('10.1.0.5'));
    await lab.run();
    assert.deepEqual(childStates(lab, 'b'), ['R:installed'], logs(lab));
    const reqid = children(lab, 'b')[0]!.reqid;
    assert.ok(reqid > 0);
    assert.ok(lab.b.host.sad.dump().every((s) => s.reqid === reqid));
    assert.deepEqual(spd(lab.b.host), [
      `in 10.1.0.0/16 10.2.0.0/16 esp/tunnel/unique:${reqid} ${A}-${B}`,
      `out 10.2.0.0/16 10.1.0.0/16 esp/tunnel/unique:${reqid} ${B}-${A}`,
    ]);
  });

  it('off (the default): no policy at b answers TS_UNACCEPTABLE; nothing is generated', async () => {
    lab = await ikeLab({ confA: v2Conf(B), confB: v2Conf(A), policies: onlyA([{ proto: 'esp' }]) });
    await establish(lab);
    assert.deepEqual(childStates(lab, 'b'), [], logs(lab));
    assert.ok(
      lab.b.log.some((l) => /TS_UNACCEPTABLE|no inbound policy for the proposed selectors/.test(l)),
      logs(lab),
    );
    assert.deepEqual(spd(lab.b.host), []);
  });
});
