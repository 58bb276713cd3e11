// Exchange tests for racoon's `ph1id` / `sainfo ... { remoteid N; }` pairing and `sainfo ... clientaddr`
// (racoon.conf(5); ipsec-tools pfkey.c pk_recvacquire and isakmp_quick.c get_sainfo_r): a quick mode takes only
// a sainfo whose remoteid equals the ph1id of the peer's remote section, on both sides, and a mode-config
// server's `clientaddr` sainfo serves only the address it gave that peer.
import { strict as assert } from 'node:assert';
import type { Host } from '../../kernel/host/host.js';
import { parseAddr } from '../../common/inet.js';
import { parseRacoonConf } from '../../racoon/conf/parser.js';
import { lookupSainfo, type Phase2Id } from '../../racoon/conf/lookup.js';
import type { Phase1 } from '../../racoon/ikev1/handles.js';
import { initiatorQuery, responderQuery } from '../../racoon/ikev1/ph2/sainfo-query.js';
import { policyPair } from '../scenarios/lab.js';
import { ikeLab, ip, type IkeLab } from './ike-lab.js';

const A = '192.0.2.1',
  B = '192.0.2.2';
const esp = (a: Host, b: Host) => policyPair(a, b, `${A}/32`, `${B}/32`, [{ proto: 'esp' }]);
const ALGS = 'encryption_algorithm aes 128; authentication_algorithm hmac_sha256; compression_algorithm deflate;';

function conf(peer: string, ph1id: number, sainfos: string): string {
  return `
timer { counter 3; interval 10 sec; phase1 30 sec; }
remote ${peer} {
  exchange_mode main;
  ph1id ${ph1id};
  proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method pre_shared_key; dh_group modp2048; }
}
${sainfos}
`;
}

function mature(h: Host): number {
  return h.sad.dump().filter((s) => s.state === 'mature').length;
}

describe('exchange: ph1id and sainfo remoteid', function () {
  let lab: IkeLab;
  afterEach(() => lab?.close());

  async function run(ph1idA: number, ph1idB: number): Promise<IkeLab> {
    // Each side has a remoteid 7 sainfo (lifetime 1 h) and one without remoteid (lifetime 2 h).
    const sainfos = `sainfo anonymous { remoteid 7; lifetime time 1 hour; ${ALGS} }
sainfo address ${A} any address ${B} any { lifetime time 2 hour; ${ALGS} }
sainfo address ${B} any address ${A} any { lifetime time 2 hour; ${ALGS} }`;
    lab = await ikeLab({
      confA: conf(B, ph1idA, sainfos),
      confB: conf(A, ph1idB, sainfos),
      pskA: `${B} secret-7\n`,
      pskB: `${A} secret-7\n`,
      policies: esp,
    });
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await lab.run();
    return lab;
  }

  it('both remotes ph1id 7: each side takes the remoteid 7 sainfo (its 1 hour lifetime)', async () => {
    await run(7, 7);
    assert.equal(mature(lab.a.host), 2);
    assert.equal(mature(lab.b.host), 2);
    const ph2 = [...lab.b.racoon.ikev1.ph2s.all][0]!;
    assert.equal(ph2.sainfo?.remoteid, 7);
    assert.equal(ph2.sainfo?.lifetimeSec, 3600);
    assert.equal([...lab.a.racoon.ikev1.ph2s.all][0]!.sainfo?.remoteid, 7);
  });

  it('no ph1id: the sainfo with remoteid 7 is never taken, the address sainfo is', async () => {
    await run(0, 0);
    assert.equal(mature(lab.b.host), 2);
    const ph2 = [...lab.b.racoon.ikev1.ph2s.all][0]!;
    assert.equal(ph2.sainfo?.remoteid, undefined);
    assert.equal(ph2.sainfo?.lifetimeSec, 7200);
  });
});

describe('sainfo query: clientaddr serves the address mode config gave the peer', () => {
  const { conf: c } = parseRacoonConf(
    `remote anonymous { ph1id 3; proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method pre_shared_key; dh_group modp2048; } }
sainfo address 10.1.0.0/16 any clientaddr { remoteid 3; ${ALGS} }`,
    'c.conf',
  );
  const id = (s: string, len = 32): Phase2Id => ({
    prefix: { family: 4, addr: parseAddr(s)!, len },
    proto: 0,
    port: 0,
  });
  const ph1 = (given?: string) =>
    ({ rmconf: c.remotes[0]!, cfg: given ? { addr4: parseAddr(given) } : undefined }) as unknown as Phase1;

  it('the peer proposing its own mode-config address gets the sainfo; another address or no address does not', () => {
    assert.ok(lookupSainfo(c, responderQuery(ph1('10.77.0.10'), id('10.77.0.10'), id('10.1.0.0', 16))));
    assert.equal(lookupSainfo(c, responderQuery(ph1('10.77.0.10'), id('10.77.0.11'), id('10.1.0.0', 16))), undefined);
    assert.equal(lookupSainfo(c, responderQuery(ph1(), id('10.77.0.10'), id('10.1.0.0', 16))), undefined);
  });

  it('the initiator asks with the ph1id of the remote for the gateway', () => {
    const q = initiatorQuery(c, id('10.1.0.0', 16), id('10.77.0.10'), { addr: parseAddr('198.51.100.9')!, port: 500 });
    assert.equal(q.remoteid, 3);
  });
});
