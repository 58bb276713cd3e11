// A configuration reload (SIGHUP, racoonctl reload-config) on a live daemon, as racoon's revalidate_ph12: what the
// new racoon.conf still allows carries on, an ISAKMP-SA whose peer lost its `remote` section goes with its
// IPsec-SAs, an IPsec-SA the new sainfo no longer allows is deleted at both ends; and the pure check itself.
import { strict as assert } from 'node:assert';
import type { Host } from '../../kernel/host/host.js';
import { parseRacoonConf } from '../../racoon/conf/parser.js';
import { parsePskText } from '../../racoon/psk.js';
import { ph2Disallowed } from '../../racoon/ikev1/reload.js';
import * as C from '../../racoon/isakmp/constants.js';
import { policyPair } from '../scenarios/lab.js';
import { confFor, ikeLab, ip, type IkeLab } from './ike-lab.js';

const A = '192.0.2.1',
  B = '192.0.2.2';
const esp = (a: Host, b: Host) => policyPair(a, b, `${A}/32`, `${B}/32`, [{ proto: 'esp' }]);
const mature = (h: Host) => h.sad.dump().filter((s) => s.state === 'mature').length;
const conf = (text: string) => parseRacoonConf(text, 'reloaded.conf').conf;
const psk = parsePskText(`${A} uipsec-secret\n`, 'psk.txt');

describe('exchange: configuration reload', function () {
  let lab: IkeLab;
  afterEach(() => lab?.close());

  async function established(): Promise<void> {
    lab = await ikeLab({ confA: confFor(B), confB: confFor(A), policies: esp });
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await lab.run();
    assert.equal(mature(lab.b.host), 2);
  }

  it('the same configuration keeps every SA', async () => {
    await established();
    const s = await lab.b.racoon.reload(conf(confFor(A)), psk);
    assert.deepEqual(s, { ph1Kept: 1, ph1Deleted: 0, ph2Kept: 1, ph2Deleted: 0 });
    assert.equal(mature(lab.b.host), 2);
  });

  it('a sainfo without the negotiated algorithm: the IPsec-SA is deleted at both ends, the ISAKMP-SA stays', async () => {
    await established();
    const s = await lab.b.racoon.reload(conf(confFor(A, { ph2enc: 'aes 256' })), psk);
    assert.deepEqual(s, { ph1Kept: 1, ph1Deleted: 0, ph2Kept: 0, ph2Deleted: 1 });
    await lab.run();
    assert.equal(mature(lab.b.host), 0);
    assert.equal(mature(lab.a.host), 0, 'a got the DELETE');
    assert.equal(lab.b.racoon.ph1s.size, 1);
  });

  it('no remote section for the peer any more: its ISAKMP-SA and IPsec-SAs are deleted, the peer told', async () => {
    await established();
    const s = await lab.b.racoon.reload(conf(confFor('198.51.100.1')), psk);
    assert.deepEqual(s, { ph1Kept: 0, ph1Deleted: 1, ph2Kept: 0, ph2Deleted: 1 });
    await lab.run();
    assert.equal(lab.b.racoon.ph1s.size, 0);
    assert.equal(lab.a.racoon.ph1s.size, 0, 'a got the ISAKMP DELETE');
    assert.equal(mature(lab.a.host) + mature(lab.b.host), 0);
  });

  it('proposal_check decides what a new lifetime or PFS group does to an established IPsec-SA', () => {
    const approval = {
      lifetimeSec: 3600,
      pfsGroup: undefined,
      sas: [{ protoId: C.IPSECDOI_PROTO_IPSEC_ESP, transformId: 12, keyBits: 128, authAttr: 5 }],
    } as unknown as Parameters<typeof ph2Disallowed>[0];
    const sainfo = (life: string) => conf(confFor(A, { lifetime: life })).sainfos[0]!;
    assert.equal(ph2Disallowed(approval, sainfo('1 hour'), 'exact'), undefined);
    assert.match(ph2Disallowed(approval, sainfo('2 hour'), 'exact') ?? '', /lifetime/);
    assert.equal(ph2Disallowed(approval, sainfo('2 hour'), 'strict'), undefined, 'strict: longer is fine');
    assert.match(ph2Disallowed(approval, sainfo('30 min'), 'strict') ?? '', /shorter/);
    assert.equal(ph2Disallowed(approval, sainfo('30 min'), 'obey'), undefined);
  });
});
