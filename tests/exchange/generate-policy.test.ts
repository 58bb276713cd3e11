// Exchange tests for generate_policy (racoon.conf(5)): a responder without policies takes the initiator's
// proposal as its requirement and, once the SAs are in, installs the inbound and outbound policies the
// initiator's identities describe, with the SA lifetime as their hard lifetime; `unique` binds them to a
// reqid; `off` refuses with NO-PROPOSAL-CHOSEN as before.
import { strict as assert } from 'node:assert';
import { formatAddr } from '../../common/inet.js';
import type { Host } from '../../kernel/host/host.js';
import type { Policy } from '../../kernel/spd/policy.js';
import { policyPair } from '../scenarios/lab.js';
import { confFor, ikeLab, ip, type IkeLab } from './ike-lab.js';

const A = '192.0.2.1',
  B = '192.0.2.2';

/** Policies on a only (b, the responder, starts with an empty SPD). */
function onlyA(reqs: Parameters<typeof policyPair>[4], src = `${A}/32`, dst = `${B}/32`) {
  return (a: Host, b: Host) => {
    policyPair(a, b, src, dst, reqs);
    b.spd.flush();
  };
}

function show(p: Policy): string {
  const pre = (x: Policy['selector']['src']) => `${formatAddr(x.addr)}/${x.len}`;
  const reqs = p.requests.map((r) => `${r.proto}/${r.mode}/${r.level}${r.reqid ? `:${r.reqid}` : ''}`).join(' ');
  return `${p.dir} ${pre(p.selector.src)} ${pre(p.selector.dst)} ${reqs} life ${p.lifetime.addtimeSec}`;
}

const genConf = (mode: string) => confFor(A, { remote: `passive on; generate_policy ${mode};`, lifetime: '600 sec' });

describe('exchange: generate_policy (the responder installs the policies the initiator proposes)', function () {
  let lab: IkeLab;
  afterEach(() => lab?.close());

  it('on: no policy at b, the negotiation succeeds and b holds both policies for the SA lifetime', async () => {
    lab = await ikeLab({
      confA: confFor(B, { lifetime: '600 sec' }),
      confB: genConf('on'),
      policies: onlyA([{ proto: 'esp' }]),
    });
    assert.equal(lab.b.host.spd.dump().length, 0);
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await lab.run();
    assert.equal(lab.b.host.sad.dump().length, 2, lab.b.log.join('\n'));
    assert.deepEqual(lab.b.host.spd.dump().map(show).sort(), [
      `in ${A}/32 ${B}/32 esp/transport/require life 600`,
      `out ${B}/32 ${A}/32 esp/transport/require life 600`,
    ]);
    assert.ok(lab.b.log.some((l) => /no policy found, generating the policy/.test(l)));
    assert.equal(lab.b.racoon.ph2s.size, 1);
    // The echo reply leaves b under the generated outbound policy, in ESP.
    const pings = lab.a.host.ping(B, { count: 1, intervalMs: 0 });
    await lab.run();
    lab.clock.advance(1000);
    assert.equal((await pings).length, 1);
    // The kernel removes the generated policies when their lifetime ends, with the SAs; a's rekey (raised by
    // the soft expiry within the same stretch of time) then has b generate them again.
    const before = lab.b.host.spd.dump().map((p) => p.id);
    lab.clock.advance(600_000);
    assert.equal(lab.b.host.spd.dump().length, 0, 'generated policies expired (X_SPDEXPIRE)');
    await lab.run();
    const again = lab.b.host.spd.dump();
    assert.equal(again.length, 2, lab.b.log.join('\n'));
    assert.ok(
      again.every((p) => !before.includes(p.id)),
      'new policies from the rekey',
    );
  });

  it('unique: the requests are level unique with the reqid the SAs carry; tunnel mode gets the IKE ends', async () => {
    lab = await ikeLab({
      confA: confFor(B, { lifetime: '600 sec' }),
      confB: genConf('unique'),
      policies: onlyA([{ proto: 'esp', mode: 'tunnel', tunnel: [A, B] }], '10.1.0.0/16', '10.2.0.0/16'),
    });
    lab.a.host.sendIp(ip('10.2.0.5'), 17, new Uint8Array(8), undefined, ip('10.1.0.5'));
    await lab.run();
    const sas = lab.b.host.sad.dump();
    assert.equal(sas.length, 2, lab.b.log.join('\n'));
    const reqid = sas[0]!.reqid;
    assert.ok(reqid > 0 && sas.every((s) => s.reqid === reqid));
    const pols = lab.b.host.spd.dump();
    assert.deepEqual(pols.map(show).sort(), [
      `in 10.1.0.0/16 10.2.0.0/16 esp/tunnel/unique:${reqid} life 600`,
      `out 10.2.0.0/16 10.1.0.0/16 esp/tunnel/unique:${reqid} life 600`,
    ]);
    const out = pols.find((p) => p.dir === 'out')!.requests[0]!;
    assert.deepEqual([formatAddr(out.src!), formatAddr(out.dst!)], [B, A], 'tunnel from b to a');
  });

  it('off: no policy means NO-PROPOSAL-CHOSEN and nothing installed', async () => {
    lab = await ikeLab({ confA: confFor(B), confB: genConf('off'), policies: onlyA([{ proto: 'esp' }]) });
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await lab.run();
    assert.equal(lab.b.racoon.stats.noProposal, 1);
    assert.equal(lab.b.host.spd.dump().length, 0);
    assert.equal(lab.b.host.sad.dump().filter((s) => s.state === 'mature').length, 0);
  });
});
