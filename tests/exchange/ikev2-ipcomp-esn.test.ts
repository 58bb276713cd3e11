// Exchange test for IPComp (RFC 7296 §2.22: N(IPCOMP_SUPPORTED) with a CPI both ways, an IPComp SA pair beside
// ESP) and ESN negotiation (§3.3.2 transform type 5: `esn on` both ways gives a kernel SA with 64-bit
// sequence numbers; one side without it gives 32-bit).
import { strict as assert } from 'node:assert';
import { ManualClock } from '../../common/clock.js';
import { makeHost, policyPair } from '../scenarios/lab.js';
import { ikeLab, type IkeLab } from './ike-lab.js';
import { v2Conf } from './ikev2-conf.js';
import { A, B, children, childStates, esp, establish, logs, ping, sas } from './ikev2-steps.js';

/** v2Conf with more sainfo statements. */
function withSainfo(peer: string, extra: string): string {
  return v2Conf(peer).replace('sainfo anonymous {', `sainfo anonymous {\n  ${extra}`);
}

const lab0Clock = new ManualClock(0);

describe('exchange: IKEv2 IPComp and ESN', function () {
  let lab: IkeLab;
  afterEach(() => lab?.close());

  it('IPCOMP_SUPPORTED both ways: an IPComp SA pair with the exchanged CPIs beside ESP; traffic flows', async () => {
    lab = await ikeLab({
      confA: withSainfo(B, 'compression_algorithm deflate;'),
      confB: withSainfo(A, 'compression_algorithm deflate;'),
      policies: (a, b) => policyPair(a, b, `${A}/32`, `${B}/32`, [{ proto: 'ipcomp', level: 'use' }, { proto: 'esp' }]),
    });
    await establish(lab);
    assert.deepEqual(childStates(lab, 'b'), ['R:installed'], logs(lab));
    for (const side of ['a', 'b'] as const)
      assert.deepEqual(
        sas(lab[side].host),
        [
          'esp 192.0.2.1->192.0.2.2 mature',
          'esp 192.0.2.2->192.0.2.1 mature',
          'ipcomp 192.0.2.1->192.0.2.2 mature',
          'ipcomp 192.0.2.2->192.0.2.1 mature',
        ],
        `${side}: ${logs(lab)}`,
      );
    // a's CPI is b's outbound IPComp SPI and the other way round.
    const ca = children(lab, 'a')[0]!,
      cb = children(lab, 'b')[0]!;
    assert.deepEqual(Buffer.from(ca.ipcomp!.myCpi), Buffer.from(cb.ipcomp!.peerCpi!));
    assert.deepEqual(Buffer.from(cb.ipcomp!.myCpi), Buffer.from(ca.ipcomp!.peerCpi!));
    const cpiA = ca.ipcomp!.myCpi;
    const inA = lab.a.host.sad.dump().find((s) => s.proto === 'ipcomp' && Buffer.from(s.dst).join('.') === A)!;
    assert.equal(inA.spi, (cpiA[cpiA.length - 2]! << 8) | cpiA[cpiA.length - 1]!);
    assert.equal(await ping(lab), 2);
  });

  it('IPComp in the policy of a only: b leaves IPCOMP_SUPPORTED out, a goes on with ESP alone', async () => {
    lab = await ikeLab({
      confA: withSainfo(B, 'compression_algorithm deflate;'),
      confB: v2Conf(A),
      policies: (a, b) => {
        // IPComp follows the SPD as in KAME racoon: a's policy asks for it, b's does not.
        const scratch = makeHost('scratch', lab0Clock);
        policyPair(a, scratch, `${A}/32`, `${B}/32`, [{ proto: 'ipcomp', level: 'use' }, { proto: 'esp' }]);
        policyPair(scratch, b, `${A}/32`, `${B}/32`, [{ proto: 'esp' }]);
        scratch.close();
      },
    });
    await establish(lab);
    assert.deepEqual(childStates(lab, 'a'), ['I:installed'], logs(lab));
    assert.ok(
      lab.a.log.some((l) => l.includes('the peer declined IPComp')),
      logs(lab),
    );
    assert.deepEqual(sas(lab.b.host), ['esp 192.0.2.1->192.0.2.2 mature', 'esp 192.0.2.2->192.0.2.1 mature']);
    assert.equal(await ping(lab), 2);
  });

  for (const [ea, eb, want] of [
    [true, true, true],
    [true, false, false],
    [false, true, false],
  ] as const)
    it(`ESN: a ${ea ? 'on' : 'off'}, b ${eb ? 'on' : 'off'} -> kernel SAs with ${want ? '64' : '32'}-bit sequence numbers`, async () => {
      lab = await ikeLab({
        confA: withSainfo(B, `esn ${ea ? 'on' : 'off'};`),
        confB: withSainfo(A, `esn ${eb ? 'on' : 'off'};`),
        policies: esp,
      });
      await establish(lab);
      assert.deepEqual(childStates(lab, 'b'), ['R:installed'], logs(lab));
      assert.deepEqual(
        children(lab, 'a').map((c) => c.transforms?.esn),
        [want],
      );
      for (const side of ['a', 'b'] as const)
        assert.deepEqual(
          lab[side].host.sad.dump().map((s) => s.esn),
          [want, want],
          side,
        );
      assert.equal(await ping(lab), 2);
    });
});
