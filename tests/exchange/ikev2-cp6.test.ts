// Exchange test of IPv6 in the configuration payload, client side (RFC 7296 §3.15.1): a roadwarrior racoon asks
// for INTERNAL_IP6_ADDRESS and INTERNAL_IP6_DNS beside IPv4; a racoon server (mode_cfg holds IPv4 only) answers
// them without a value; a gateway that gives IPv6 (b's CFG_REPLY with IPv6 attributes added, re-sealed with
// b's keys, as strongSwan's would carry them) has them validated, bounded and handed to phase1_up as racoon2
// names them (INTERNAL_ADDR6, INTERNAL_DNS6), with INTERNAL_CIDR6 and INTERNAL_DNS6_LIST.
import { strict as assert } from 'node:assert';
import { parseAddr } from '../../common/inet.js';
import { SeededRng } from '../../common/rng.js';
import * as K from '../../racoon/ikev2/constants.js';
import { decodeIkev2Message } from '../../racoon/ikev2/message.js';
import type { Ikev2Cp } from '../../racoon/ikev2/payloads/cp.js';
import { openMessage, sealMessage } from '../../racoon/ikev2/protect.js';
import type { ScriptEvent } from '../../racoon/script-hooks.js';
import { ikeLab, ip, settle, type IkeLab } from './ike-lab.js';
import { v2Conf } from './ikev2-conf.js';
import { A, B, esp, logs } from './ikev2-steps.js';

const SERVER_CFG = 'mode_cfg { network4 10.77.0.10; netmask4 255.255.255.0; pool_size 2; dns4 10.77.0.53; }\n';

interface Ran {
  event: ScriptEvent;
  env: Record<string, string>;
}

const a6 = (s: string) => parseAddr(s)!;
const attr = (type: number, value: Uint8Array) => ({ type, value });

describe('exchange: IKEv2 configuration payload with IPv6 (client)', function () {
  let lab: IkeLab;
  afterEach(() => lab?.close());

  it('asks for IPv6; takes a gateway IPv6 address and DNS (validated, bounded) into phase1_up', async () => {
    const ran: Ran[] = [];
    lab = await ikeLab({
      confA: v2Conf(B, { extra: 'mode_cfg on; script "/etc/racoon/up.sh" phase1_up;' }),
      confB: SERVER_CFG + v2Conf(A),
      policies: esp,
      racoon: { scripts: { run: (_path, event, env) => ran.push({ event, env }) } },
    });
    lab.a.host.sendEchoRequest(ip(B), 7, 1, new Uint8Array(8));
    await settle(8);
    await lab.deliver(); // IKE_SA_INIT request
    await lab.deliver(); // IKE_SA_INIT response
    const aSa = lab.a.racoon.ikev2.ikes.all()[0]!;
    const bSa = lab.b.racoon.ikev2.ikes.all()[0]!;
    const cpOf = (inner: { type: number; body: unknown }[]) =>
      inner.find((p) => p.type === K.IKEV2_PAYLOAD_CP)!.body as Ikev2Cp;
    const req = lab.queue[0]!;
    const asked = openMessage(bSa, req.data, decodeIkev2Message(req.data).value);
    assert.ok(asked.ok);
    const types = cpOf(asked.inner).attrs.map((x) => x.type);
    assert.ok(
      types.includes(K.IKEV2_CFG_ATTR_INTERNAL_IP6_ADDRESS) && types.includes(K.IKEV2_CFG_ATTR_INTERNAL_IP6_DNS),
    );
    await lab.deliver(); // IKE_AUTH request
    const res = lab.queue[0]!;
    const opened = openMessage(aSa, res.data, decodeIkev2Message(res.data).value);
    assert.ok(opened.ok, logs(lab));
    const cp = cpOf(opened.inner);
    // racoon's pool is IPv4 only: the IPv6 requests get no value.
    assert.deepEqual(
      cp.attrs.filter(
        (x) => x.type === K.IKEV2_CFG_ATTR_INTERNAL_IP6_ADDRESS || x.type === K.IKEV2_CFG_ATTR_INTERNAL_IP6_DNS,
      ),
      [],
    );
    cp.attrs.push(
      attr(K.IKEV2_CFG_ATTR_INTERNAL_IP6_ADDRESS, Uint8Array.of(...a6('2001:db8:77::10'), 64)),
      attr(K.IKEV2_CFG_ATTR_INTERNAL_IP6_ADDRESS, Uint8Array.of(...a6('2001:db8:77::11'), 64)), // a second: not ours
      attr(K.IKEV2_CFG_ATTR_INTERNAL_IP6_DNS, a6('ff02::1')), // multicast: refused
      attr(K.IKEV2_CFG_ATTR_INTERNAL_IP6_DNS, a6('::1')), // loopback: refused
      ...[1, 2, 3, 4, 5].map((i) => attr(K.IKEV2_CFG_ATTR_INTERNAL_IP6_DNS, a6(`2001:db8:77::5${i}`))),
    );
    res.data = sealMessage(bSa, K.IKEV2_EXCHANGE_IKE_AUTH, 1, true, opened.inner, new SeededRng('cp6'));
    await lab.run();
    assert.deepEqual(
      lab.a.racoon.ikev2.ikes.all().map((s) => s.state),
      ['established'],
      logs(lab),
    );
    const up = ran.find((r) => r.event === 'phase1_up' && r.env.INTERNAL_ADDR4)!;
    assert.ok(up, logs(lab));
    assert.equal(up.env.INTERNAL_ADDR4, '10.77.0.10');
    assert.equal(up.env.INTERNAL_ADDR6, '2001:db8:77::10');
    assert.equal(up.env.INTERNAL_CIDR6, '64');
    assert.equal(up.env.INTERNAL_DNS6, '2001:db8:77::51');
    assert.equal(up.env.INTERNAL_DNS6_LIST, '2001:db8:77::51 2001:db8:77::52 2001:db8:77::53 2001:db8:77::54');
    assert.equal(lab.a.racoon.stats.cfgDropped, 2, 'the multicast and the loopback DNS server');
    assert.ok(
      lab.a.log.some((l) => l.includes('CP: got address 2001:db8:77::10/64')),
      logs(lab),
    );
  });
});
