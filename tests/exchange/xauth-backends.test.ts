// XAuth against independent RADIUS and LDAP servers (racoon.conf(5) auth_source radius|ldap) between two racoons:
// the server racoon asks FreeRADIUS 3 (Debian's freeradius, which requires our Message-Authenticator) or
// OpenLDAP's slapd on loopback; the client logs in, gets the address the back-end holds for it (conf_source
// radius: Framed-IP-Address; conf_source ldap: attr_addr) and quick mode runs; a wrong password or a user outside
// auth_groups is refused; accounting radius records Start and Stop in FreeRADIUS's detail file. No password in
// any racoon log line.
import { strict as assert } from 'node:assert';
import { createSocket } from 'node:dgram';
import { formatAddr } from '../../common/inet.js';
import type { Host } from '../../kernel/host/host.js';
import type { Phase1 } from '../../racoon/ikev1/handles.js';
import { policyPair } from '../scenarios/lab.js';
import { FreeRadius, freeradiusSkipReason } from '../support/freeradius.js';
import { LDAP_ADMIN, LDAP_PEOPLE, Slapd, slapdSkipReason } from '../support/slapd.js';
import { ikeLab, ip, type IkeLab } from './ike-lab.js';

const A = '192.0.2.1',
  B = '192.0.2.2';
const esp = (a: Host, b: Host) => policyPair(a, b, `${A}/32`, `${B}/32`, [{ proto: 'esp' }]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const remote = (peer: string, method: string, extra: string) => `
timer { counter 3; interval 10 sec; phase1 30 sec; }
remote ${peer} {
  exchange_mode main;
  ${extra}
  proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method ${method}; dh_group modp2048; }
}
sainfo anonymous { lifetime time 1 hour; encryption_algorithm aes 128; authentication_algorithm hmac_sha256; compression_algorithm deflate; }
`;

/** Two free UDP ports in a row on loopback (FreeRADIUS auth and accounting), probed by binding. */
async function freePorts(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const base = 20000 + Math.floor(Math.random() * 40000);
    const ok = await Promise.all(
      [base, base + 1].map(
        (p) =>
          new Promise<boolean>((resolve) => {
            const s = createSocket('udp4');
            s.once('error', () => resolve(false));
            s.bind(p, '127.0.0.1', () => s.close(() => resolve(true)));
          }),
      ),
    );
    if (ok.every(Boolean)) return base;
  }
  throw new Error('no free port pair on loopback');
}

const ph1Of = (lab: IkeLab, side: 'a' | 'b'): Phase1 | undefined => [...lab[side].racoon.ph1s.values()][0];
const mature = (h: Host) => h.sad.dump().filter((s) => s.state === 'mature').length;

/** Runs the lab while the server's verdict comes from outside (real time), bounded. */
async function runUntil(lab: IkeLab, done: () => boolean, tries = 100): Promise<void> {
  for (let i = 0; i < tries && !done(); i++) {
    await lab.run();
    if (!done()) await sleep(50);
  }
  await lab.run();
}

const status = (lab: IkeLab) => ph1Of(lab, 'b')?.cfg?.xauthStatus;
const decided = (lab: IkeLab) => () => status(lab) === 'ok' || status(lab) === 'failed';

async function roadwarrior(serverCfg: string, password: string, login = 'alice', waits = 100): Promise<IkeLab> {
  const lab = await ikeLab({
    confA: remote(B, 'xauth_psk_client', `mode_cfg on; xauth_login "${login}";`),
    confB: serverCfg + remote(A, 'xauth_psk_server', ''),
    pskA: `${B} group-secret\n${login} ${password}\n`,
    pskB: `${A} group-secret\n`,
    policies: esp,
  });
  lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
  await runUntil(lab, decided(lab), waits);
  return lab;
}

function noPasswords(lab: IkeLab, ...secrets: string[]): void {
  for (const l of [...lab.a.log, ...lab.b.log]) for (const s of secrets) assert.ok(!l.includes(s), l);
}

describe('exchange: XAuth auth_source radius against FreeRADIUS', function () {
  this.timeout(60_000);
  let radius: FreeRadius;
  let lab: IkeLab | undefined;
  let cfg: string;

  before(async function () {
    const why = freeradiusSkipReason();
    if (why) return this.skip();
    const port = await freePorts();
    radius = new FreeRadius(port, 'uipsec-radius-secret', [
      {
        name: 'alice',
        password: 'wonderland',
        reply: ['Framed-IP-Address = 10.77.0.77', 'Framed-IP-Netmask = 255.255.0.0'],
      },
    ]);
    await radius.start();
    cfg = `
mode_cfg { auth_source radius; conf_source radius; accounting radius; auth_throttle 1; dns4 10.77.0.53; }
radiuscfg { auth "127.0.0.1" ${port} "uipsec-radius-secret"; acct "127.0.0.1" ${port + 1} "uipsec-radius-secret"; timeout 2; retries 3; }
`;
  });
  after(async () => radius?.stop());
  afterEach(() => lab?.close());

  it('FreeRADIUS accepts: the client gets its Framed-IP-Address, quick mode runs, accounting Start and Stop', async () => {
    lab = await roadwarrior(cfg, 'wonderland');
    assert.equal(status(lab), 'ok', lab.b.log.join('\n'));
    await lab.run();
    const a = ph1Of(lab, 'a')!.cfg!.result!;
    assert.equal(formatAddr(a.addr4!), '10.77.0.77');
    assert.equal(formatAddr(a.mask4!), '255.255.0.0');
    assert.equal(mature(lab.a.host), 2);
    assert.equal(mature(lab.b.host), 2);
    assert.ok(lab.b.log.some((l) => l.includes('login succeeded for user "alice"')));
    assert.match(radius.out, /Login OK: \[alice\]/);
    const ph1 = ph1Of(lab, 'b')!;
    const session = Buffer.from(ph1.icookie).toString('hex');
    for (let i = 0; i < 100 && !radius.detail().includes('Acct-Status-Type = Start'); i++) await sleep(50);
    assert.match(radius.detail(), new RegExp(`Acct-Session-Id = "${session}"`));
    lab.b.racoon.ikev1.ph1.kill(ph1, 'test');
    for (let i = 0; i < 100 && !radius.detail().includes('Acct-Status-Type = Stop'); i++) await sleep(50);
    assert.match(radius.detail(), /Acct-Status-Type = Stop[\s\S]*User-Name = "alice"/);
    noPasswords(lab, 'wonderland', 'uipsec-radius-secret');
  });

  it('FreeRADIUS rejects a wrong password: login failed, phase 1 deleted, no SA', async () => {
    lab = await roadwarrior(cfg, 'looking-glass');
    assert.equal(status(lab), 'failed', lab.b.log.join('\n'));
    assert.ok(lab.b.log.some((l) => l.includes('Access-Reject from 127.0.0.1')));
    lab.clock.advance(1000);
    await runUntil(lab, () => ph1Of(lab!, 'b') === undefined);
    assert.equal(ph1Of(lab, 'b'), undefined);
    assert.equal(mature(lab.a.host) + mature(lab.b.host), 0);
    assert.match(radius.out, /Login incorrect.*\[alice\]/);
    noPasswords(lab, 'looking-glass', 'uipsec-radius-secret');
  });

  it('a wrong shared secret: FreeRADIUS drops the request (bad Message-Authenticator), the login fails', async () => {
    const wrong = cfg
      .replace(/"uipsec-radius-secret"; acct/, '"not-the-secret"; acct')
      .replace('timeout 2', 'timeout 1');
    lab = await roadwarrior(wrong, 'wonderland', 'alice', 4);
    // Nothing answers: the client resends on the lab's clock, 3 sends one second apart.
    for (let i = 0; i < 3 && status(lab) === 'pending'; i++) {
      await sleep(300);
      lab.clock.advance(1000);
      await runUntil(lab, decided(lab), 10);
    }
    assert.equal(status(lab), 'failed', lab.b.log.join('\n'));
    assert.ok(lab.b.log.some((l) => /no answer after 3 tries/.test(l)));
    assert.match(radius.out, /invalid Message-Authenticator/);
  });
});

describe('exchange: XAuth auth_source ldap against slapd', function () {
  this.timeout(60_000);
  let slapd: Slapd;
  let lab: IkeLab | undefined;
  let cfg: (extra?: string) => string;

  before(async function () {
    const why = slapdSkipReason();
    if (why) return this.skip();
    const port = await freePorts();
    slapd = new Slapd(
      port,
      'ldap-admin-pw',
      [
        { uid: 'alice', password: 'wonderland', address: '10.77.0.88' },
        { uid: 'mallory', password: 'outsider' },
      ],
      { vpn: ['alice'] },
    );
    await slapd.start();
    cfg = (extra = '') => `
mode_cfg { auth_source ldap; conf_source ldap; netmask4 255.255.255.0; auth_throttle 1; ${extra} }
ldapcfg { host "127.0.0.1"; port ${port}; base "${LDAP_PEOPLE}"; bind_dn "${LDAP_ADMIN}"; bind_pw "ldap-admin-pw";
  attr_user "uid"; attr_addr "ipHostNumber"; }
`;
  });
  after(async () => slapd?.stop());
  afterEach(() => lab?.close());

  it('slapd binds the user: the client gets its ipHostNumber, quick mode runs', async () => {
    lab = await roadwarrior(cfg(), 'wonderland');
    assert.equal(status(lab), 'ok', lab.b.log.join('\n'));
    await lab.run();
    assert.equal(formatAddr(ph1Of(lab, 'a')!.cfg!.result!.addr4!), '10.77.0.88');
    assert.equal(mature(lab.a.host), 2);
    noPasswords(lab, 'wonderland', 'ldap-admin-pw');
  });

  it('a wrong password: slapd refuses the bind, the login fails', async () => {
    lab = await roadwarrior(cfg(), 'not-wonderland');
    assert.equal(status(lab), 'failed', lab.b.log.join('\n'));
    assert.ok(lab.b.log.some((l) => l.includes('the directory refused the bind')));
    noPasswords(lab, 'not-wonderland', 'ldap-admin-pw');
  });

  it('group_source ldap: alice (in "vpn") logs in, mallory (right password, no group) is refused', async () => {
    const groups = `group_source ldap; auth_groups "vpn";`;
    const withGroups = cfg(groups).replace('attr_addr', `attr_member "member"; attr_group "cn"; attr_addr`);
    const g = withGroups.replace(
      `base "${LDAP_PEOPLE}"`,
      `base "${LDAP_PEOPLE.replace('ou=people,', '')}"; subtree on`,
    );
    lab = await roadwarrior(g, 'wonderland');
    assert.equal(status(lab), 'ok', lab.b.log.join('\n'));
    lab.close();
    lab = await roadwarrior(g, 'outsider', 'mallory');
    assert.equal(status(lab), 'failed');
    assert.ok(lab.b.log.some((l) => l.includes('not a member of "vpn"')));
  });
});
