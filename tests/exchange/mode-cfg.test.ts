// Exchange tests for XAuth (draft-beaulieu-ike-xauth-02) and mode config (draft-ietf-ipsec-isakmp-mode-cfg-05)
// between two racoons: a roadwarrior client (xauth_psk_client, mode_cfg on, xauth_login) and a server
// (xauth_psk_server, a mode_cfg section with a pool). The server asks for the login, checks it against its
// pre-shared key file, the client asks for its configuration, quick mode waits for both; a wrong password
// ends the phase 1 without any IPsec SA; the pool is bounded and an address returns when its phase 1 goes.
import { strict as assert } from 'node:assert';
import type { Host } from '../../kernel/host/host.js';
import { formatAddr } from '../../common/inet.js';
import * as C from '../../racoon/isakmp/constants.js';
import { decodeIsakmpMessage } from '../../racoon/isakmp/message.js';
import type { Phase1 } from '../../racoon/ikev1/handles.js';
import type { ScriptEvent, ScriptRunner } from '../../racoon/script-hooks.js';
import { policyPair } from '../scenarios/lab.js';
import { ikeLab, ip, settle, type IkeLab } from './ike-lab.js';

const A = '192.0.2.1',
  B = '192.0.2.2';
const esp = (a: Host, b: Host) => policyPair(a, b, `${A}/32`, `${B}/32`, [{ proto: 'esp' }]);

function remote(peer: string, method: string, extra: string): string {
  return `
timer { counter 3; interval 10 sec; phase1 30 sec; }
remote ${peer} {
  exchange_mode main;
  ${extra}
  proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method ${method}; dh_group modp2048; }
}
sainfo anonymous { lifetime time 1 hour; encryption_algorithm aes 128; authentication_algorithm hmac_sha256; compression_algorithm deflate; }
`;
}

const SERVER_CFG = (pool = 10) => `
mode_cfg {
  network4 10.99.0.1; netmask4 255.255.255.0; pool_size ${pool};
  dns4 10.99.0.53, 10.99.0.54; split_network include 10.10.0.0/16, 172.16.0.0/12;
  default_domain "corp.example"; auth_source system; auth_throttle 2;
}`;
const client = (login = 'alice') =>
  remote(
    B,
    'xauth_psk_client',
    `mode_cfg on; xauth_login "${login}"; script "/up" phase1_up; script "/down" phase1_down;`,
  );
const server = (pool?: number) => SERVER_CFG(pool) + remote(A, 'xauth_psk_server', 'script "/up" phase1_up;');

interface Ran {
  side: string;
  event: ScriptEvent;
  env: Record<string, string>;
}

function recorder(side: string, out: Ran[]): ScriptRunner {
  return { run: (_path, event, env) => out.push({ side, event, env }) };
}

function mature(h: Host): number {
  return h.sad.dump().filter((s) => s.state === 'mature').length;
}

function ph1Of(lab: IkeLab, side: 'a' | 'b'): Phase1 | undefined {
  return [...lab[side].racoon.ph1s.values()][0];
}

async function roadwarrior(o: { password?: string; pool?: number; ran?: Ran[] } = {}): Promise<IkeLab> {
  const ran = o.ran ?? [];
  const lab = await ikeLab({
    confA: client(),
    confB: server(o.pool),
    pskA: `${B} group-secret\nalice ${o.password ?? 'wonderland'}\n`,
    pskB: `${A} group-secret\nalice wonderland\n`,
    policies: esp,
  });
  // The lab builds daemons without scripts; attach recorders as the racoon command attaches its spawner.
  for (const s of ['a', 'b'] as const) {
    const r = recorder(s, ran);
    Object.assign(lab[s].racoon.ikev1.events, {
      phase1Up: (p: Phase1) => r.run('/up', 'phase1_up', envOf(p)),
      phase1Down: (p: Phase1) => r.run('/down', 'phase1_down', envOf(p)),
    });
  }
  return lab;
}

async function envOfModule() {
  return (await import('../../racoon/ikev1/script-env.js')).scriptEnv;
}
let envOf: (p: Phase1) => Record<string, string>;

/** The exchange type and the ATTR's type of each queued datagram (decrypting nothing: only the header). */
function etypes(lab: IkeLab): number[] {
  return lab.queue.map((d) => decodeIsakmpMessage(d.data).value.header.etype);
}

describe('exchange: XAuth and mode config (IKEv1 roadwarrior)', function () {
  let lab: IkeLab;
  before(async () => {
    envOf = await envOfModule();
  });
  afterEach(() => lab?.close());

  it('XAuth login, then mode config, then quick mode; scripts see the address', async () => {
    const ran: Ran[] = [];
    lab = await roadwarrior({ ran });
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    // Main mode: 6 messages; then the server's XAuth REQUEST is the first transaction exchange.
    await settle(8);
    for (let i = 0; i < 6; i++) await lab.deliver();
    assert.deepEqual(etypes(lab), [C.ISAKMP_ETYPE_CFG], 'XAuth REQUEST follows main mode, no quick mode yet');
    assert.equal(ph1Of(lab, 'a')!.cfg!.gate, true);
    await lab.run();
    const a = ph1Of(lab, 'a')!.cfg!;
    const b = ph1Of(lab, 'b')!.cfg!;
    assert.equal(b.xauthStatus, 'ok');
    assert.equal(a.xauthStatus, 'ok');
    assert.equal(formatAddr(a.result!.addr4!), '10.99.0.1');
    assert.equal(formatAddr(a.result!.mask4!), '255.255.255.0');
    assert.deepEqual(a.result!.dns4.map(formatAddr), ['10.99.0.53', '10.99.0.54']);
    assert.deepEqual(
      a.result!.splitInclude.map((p) => `${formatAddr(p.addr)}/${p.len}`),
      ['10.10.0.0/16', '172.16.0.0/12'],
    );
    assert.equal(a.result!.defaultDomain, 'corp.example');
    assert.equal(mature(lab.a.host), 2, 'quick mode ran after the configuration');
    assert.equal(mature(lab.b.host), 2);
    assert.equal(lab.b.racoon.stats.xauthOk, 1);
    const upA = ran.find((r) => r.side === 'a' && r.event === 'phase1_up')!;
    assert.equal(upA.env.INTERNAL_ADDR4, '10.99.0.1');
    assert.equal(upA.env.INTERNAL_CIDR4, '24');
    assert.equal(upA.env.INTERNAL_DNS4_LIST, '10.99.0.53 10.99.0.54');
    assert.equal(upA.env.SPLIT_INCLUDE_CIDR, '10.10.0.0/16 172.16.0.0/12');
    assert.equal(upA.env.REMOTE_ADDR, B);
    const upB = ran.find((r) => r.side === 'b' && r.event === 'phase1_up')!;
    assert.equal(upB.env.INTERNAL_ADDR4, '10.99.0.1');
    assert.equal(upB.env.XAUTH_USER, 'alice');
    // Passwords never reach a log line.
    for (const l of [...lab.a.log, ...lab.b.log]) assert.ok(!l.includes('wonderland'), l);
    assert.ok(lab.b.log.some((l) => l.includes('login succeeded for user "alice"')));
  });

  it('a wrong password: login refused after auth_throttle, phase 1 deleted, no IPsec SA', async () => {
    lab = await roadwarrior({ password: 'guess' });
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await lab.run();
    assert.equal(ph1Of(lab, 'b')!.cfg!.xauthStatus, 'failed');
    assert.equal(lab.queue.length, 0, 'the failure status waits for auth_throttle');
    lab.clock.advance(2000);
    await settle(8);
    await lab.run();
    assert.equal(lab.b.racoon.stats.xauthFailed, 1);
    assert.equal(ph1Of(lab, 'b'), undefined, 'the server removed the phase 1');
    assert.equal(mature(lab.a.host) + mature(lab.b.host), 0);
    assert.ok(lab.b.log.some((l) => l.includes('login failed for user "alice"')));
    for (const l of [...lab.a.log, ...lab.b.log]) assert.ok(!l.includes('guess'), l);
  });

  it('answers whose identifier is 0 (as strongSwan 5.9 sends them) are taken: the message ID names the exchange', async () => {
    const { buildCfg, openCfg } = await import('../../racoon/ikev1/cfg/transaction.js');
    lab = await roadwarrior();
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await settle(8);
    let rewritten = 0;
    for (let n = 0; n < 40 && lab.queue.length > 0; n++) {
      const d = lab.queue[0]!;
      const msg = decodeIsakmpMessage(d.data).value;
      const sender = ph1Of(lab, d.sender as 'a' | 'b');
      const ans = sender?.cfg?.answered;
      if (msg.header.etype === C.ISAKMP_ETYPE_CFG && ans && ans.msgid === msg.header.msgid) {
        const { cfg } = openCfg(sender!, msg, [ans.iv]);
        assert.notEqual(cfg.identifier, 0);
        d.data = buildCfg(sender!, msg.header.msgid, ans.iv, { ...cfg, identifier: 0 }).bytes;
        rewritten++;
      }
      await lab.deliver();
    }
    assert.equal(rewritten, 3, 'the XAuth REPLY, the ACK of its status and the mode-config REPLY');
    assert.equal(ph1Of(lab, 'b')!.cfg!.xauthStatus, 'ok');
    assert.equal(formatAddr(ph1Of(lab, 'a')!.cfg!.result!.addr4!), '10.99.0.1');
    assert.equal(mature(lab.a.host), 2);
    assert.equal(lab.a.racoon.stats.cfgDropped + lab.b.racoon.stats.cfgDropped, 0);
  });

  it('a quick mode before XAuth ended is refused by the server', async () => {
    lab = await roadwarrior();
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await settle(8);
    for (let i = 0; i < 6; i++) await lab.deliver();
    // Pretend the client skipped XAuth: open its gate and let its waiting quick mode go.
    const p = ph1Of(lab, 'a')!;
    p.cfg!.gate = false;
    lab.a.racoon.ikev1.ph1.ready(p);
    await settle(8);
    lab.queue.splice(
      0,
      lab.queue.findIndex((d) => decodeIsakmpMessage(d.data).value.header.etype === C.ISAKMP_ETYPE_QUICK),
    );
    await lab.deliver();
    assert.equal(lab.b.racoon.stats.ph2Refused, 1);
    assert.equal(mature(lab.b.host), 0);
  });

  it('the pool is bounded: with pool_size 1 a second client gets no address; it returns on phase 1 deletion', async () => {
    lab = await roadwarrior({ pool: 1 });
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await lab.run();
    assert.equal(lab.b.racoon.stats.cfgAddrAssigned, 1);
    const first = ph1Of(lab, 'b')!;
    // A second phase 1 from the same client asks again: the one address is out.
    const mc = lab.b.racoon.ikev1.modeCfg as unknown as { allocate(p: Phase1): Uint8Array | undefined };
    const other = { ...first, id: first.id + 1000 } as Phase1;
    assert.equal(mc.allocate(other), undefined);
    assert.equal(lab.b.racoon.stats.cfgPoolExhausted, 1);
    lab.b.racoon.ikev1.ph1.kill(first, 'test');
    assert.ok(lab.b.log.some((l) => l.includes('address 10.99.0.1 released')));
    assert.equal(formatAddr(mc.allocate(other)!), '10.99.0.1');
  });
});

describe('exchange: fuzzed mode-config / XAuth attribute payloads (authenticated peer)', function () {
  let lab: IkeLab;
  afterEach(() => lab?.close());

  const TYPES = [
    C.INTERNAL_IP4_ADDRESS,
    C.INTERNAL_IP4_NETMASK,
    C.INTERNAL_IP4_DNS,
    C.INTERNAL_IP4_NBNS,
    C.UNITY_BANNER,
    C.UNITY_SPLIT_INCLUDE,
    C.UNITY_LOCAL_LAN,
    C.UNITY_DEF_DOMAIN,
    C.XAUTH_TYPE,
    C.XAUTH_USER_NAME,
    C.XAUTH_USER_PASSWORD,
    C.XAUTH_STATUS,
    0x7fff,
  ];

  it('2,000 random transaction messages each way: dropped or answered, never a crash, state bounded', async () => {
    const { prng } = await import('../support/prng.js');
    const { buildCfg, firstIv } = await import('../../racoon/ikev1/cfg/transaction.js');
    const { newMsgid } = await import('../../racoon/ikev1/message.js');
    lab = await roadwarrior();
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await lab.run();
    assert.equal(mature(lab.a.host), 2);
    const rnd = prng(1307);
    const int = (n: number) => Math.floor(rnd() * n);
    const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
    for (const [from, to] of [
      ['a', 'b'],
      ['b', 'a'],
    ] as const) {
      const sender = ph1Of(lab, from)!;
      for (let i = 0; i < 1000; i++) {
        const attrs = Array.from({ length: int(80) }, () => {
          const type = TYPES[int(TYPES.length)]!;
          return rnd() < 0.3
            ? { type, tv: true as const, value: int(65536) }
            : { type, tv: false as const, data: bytes(int(3) === 0 ? int(300) : int(20)) };
        });
        const msgid = newMsgid(sender, { fill: (b: Uint8Array) => b.set(bytes(b.length)) });
        const m = buildCfg(sender, msgid, firstIv(sender, msgid), { cfgType: int(7), identifier: int(65536), attrs });
        let wire = m.bytes;
        if (rnd() < 0.2) {
          wire = wire.slice();
          const j = 28 + int(wire.length - 28);
          wire[j] = wire[j]! ^ (1 << int(8)); // a flipped bit in the encrypted body
        }
        lab[to].racoon.input(
          wire,
          { addr: ip(to === 'a' ? A : B), port: 500 },
          { addr: ip(from === 'a' ? A : B), port: 500 },
        );
      }
      await settle(8);
      lab.queue.length = 0; // answers to junk are not delivered back
    }
    const rec = ph1Of(lab, 'a')!.cfg!.result!;
    assert.ok(rec.splitInclude.length <= 32 && rec.dns4.length <= 4 && rec.wins4.length <= 4);
    assert.ok((rec.banner?.length ?? 0) <= 4096);
    assert.equal(mature(lab.a.host), 2, 'the SAs are untouched');
    assert.ok(lab.a.racoon.stats.cfgDropped + lab.b.racoon.stats.cfgDropped > 0);
    for (const l of [...lab.a.log, ...lab.b.log]) assert.ok(!l.includes('internal error'), l);
  });
});

describe('exchange: hybrid RSA (server signs, client HASH + XAuth) with mode config', function () {
  let lab: IkeLab;
  let pki: import('../support/pki.js').TestPki;
  const CA_EXT = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'];

  before(async function () {
    const { opensslAvailable, TestPki } = await import('../support/pki.js');
    if (!opensslAvailable()) this.skip(); // the PKI is made with the openssl command
    pki = new TestPki();
    pki.issue('root', { key: 'rsa:2048', subj: '/C=JP/O=KAME/CN=root', ext: CA_EXT });
    pki.issue('srv', { key: 'rsa:2048', subj: '/C=JP/O=KAME/CN=srv', issuer: 'root' });
    const { chmodSync } = await import('node:fs');
    chmodSync(pki.get('srv').key, 0o600);
    pki.hashDir('certs', [pki.get('root').cert]);
  });
  after(() => pki?.cleanup());
  afterEach(() => lab?.close());

  it('the client verifies the server certificate, the server the client HASH and login; address given', async () => {
    const certs = `path certificate "${pki.path('certs')}";\n`;
    const srv = pki.get('srv');
    lab = await ikeLab({
      confA:
        certs +
        remote(
          B,
          'hybrid_rsa_client',
          'mode_cfg on; xauth_login "alice"; verify_cert on; peers_identifier asn1dn "C=JP, O=KAME, CN=srv"; verify_identifier on;',
        ),
      confB:
        certs +
        SERVER_CFG() +
        remote(A, 'hybrid_rsa_server', `certificate_type x509 "${srv.cert}" "${srv.key}"; my_identifier asn1dn;`),
      pskA: 'alice wonderland\n',
      pskB: 'alice wonderland\n',
      policies: esp,
    });
    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await lab.run();
    assert.ok(
      lab.a.log.some((l) => l.includes('CERT validated')),
      lab.a.log.join('\n'),
    );
    assert.equal(ph1Of(lab, 'b')!.cfg!.xauthStatus, 'ok');
    assert.equal(formatAddr(ph1Of(lab, 'a')!.cfg!.result!.addr4!), '10.99.0.1');
    assert.equal(mature(lab.a.host), 2);
    assert.equal(mature(lab.b.host), 2);
  });
});
