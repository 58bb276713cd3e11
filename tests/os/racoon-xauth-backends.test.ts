// XAuth back-ends with the shipped processes: two machines (network namespaces) each running `uipsecd --tun` and
// `racoon -F`; the server's racoon checks the roadwarrior's login with FreeRADIUS (auth_source radius, the
// address from Framed-IP-Address), slapd (auth_source ldap, the address from attr_addr) or Linux-PAM's
// pam_unix (auth_source pam, service "racoon": racoon runs in a private mount namespace where /etc/pam.d,
// /etc/passwd and /etc/shadow are the test's, holding one user made for it). The servers run inside the
// server's namespace on its loopback. A successful login is followed by mode config, quick mode and a ping under
// ESP; a wrong PAM password gets no SA. No password in racoon's output.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FreeRadius, freeradiusSkipReason } from '../support/freeradius.js';
import { LDAP_PEOPLE, Slapd, slapdSkipReason } from '../support/slapd.js';
import { makePair, netnsSkipReason, type NsProc, type Pair } from './netns.js';
import { pingUntilAnswered, startMachine } from './racoon-machine.js';

const PROPOSAL = (m: string) =>
  `proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method ${m}; dh_group modp2048; }`;
const SAINFO =
  'sainfo anonymous { lifetime time 1 hour; encryption_algorithm aes 128; authentication_algorithm hmac_sha256; compression_algorithm deflate; }';

describe('os: XAuth against FreeRADIUS, slapd and PAM (uipsecd --tun, racoon processes)', function () {
  this.timeout(180_000);
  const skip = netnsSkipReason(['ping', 'unshare', 'openssl']);
  let pair: Pair;
  let dir: string;
  let procs: NsProc[] = [];
  const servers: { stop(): Promise<void> }[] = [];

  before(function () {
    if (skip) this.skip();
    pair = makePair('rxb', '10.201.14', 'fd00:201:14');
    dir = mkdtempSync(join(tmpdir(), 'uipsec-xauth-backends-'));
  });

  afterEach(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGTERM')));
    procs = [];
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  after(() => {
    pair?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const path = (f: string) => join(dir, f);

  /** Both machines; the server's racoon.conf gets `serverCfg` (mode_cfg and the back-end's section). */
  async function start(serverCfg: string, login: string, password: string, wrap?: (c: string[]) => string[]) {
    const { addrA: A, addrB: B } = pair;
    const common = (side: string) =>
      `path pre_shared_key "${path(`${side}.psk`)}";\nlisten { adminsock "${path(`${side}-admin.sock`)}"; }\n` +
      'timer { counter 5; interval 2 sec; }\n';
    const conf = {
      a: `${common('a')}remote ${B} { exchange_mode main; mode_cfg on; xauth_login "${login}"; ${PROPOSAL('xauth_psk_client')} }\n${SAINFO}\n`,
      b: `${common('b')}${serverCfg}\nremote ${A} { exchange_mode main; ${PROPOSAL('xauth_psk_server')} }\n${SAINFO}\n`,
    };
    writeFileSync(path('a.psk'), `${B}\tgroup-secret\n${login}\t${password}\n`, { mode: 0o600 });
    writeFileSync(path('b.psk'), `${A}\tgroup-secret\n`, { mode: 0o600 });
    const out: Record<string, NsProc> = {};
    for (const side of ['b', 'a'] as const) {
      const [ns, o, i] = side === 'a' ? [pair.a, 'out', 'in'] : [pair.b, 'in', 'out'];
      const pol = path(`${side}.setkey`);
      writeFileSync(
        pol,
        `flush;\nspdflush;\nspdadd ${A} ${B} any -P ${o} ipsec esp/transport//require;\nspdadd ${B} ${A} any -P ${i} ipsec esp/transport//require;\n`,
      );
      writeFileSync(path(`${side}-racoon.conf`), conf[side]);
      const w = side === 'b' ? wrap : undefined;
      out[side] = await startMachine(ns, side, path(side), pol, path(`${side}-racoon.conf`), procs, w);
    }
    return { a: out.a!, b: out.b! };
  }

  const outputs = () => procs.map((p) => `--- ${p.label}\n${p.out.slice(-2500)}`).join('\n');

  it('auth_source radius: FreeRADIUS accepts, the client gets Framed-IP-Address 10.77.0.77; ping under ESP', async function () {
    const why = freeradiusSkipReason();
    if (why) return this.skip();
    const radius = new FreeRadius(1812, 'ns-radius-secret', [
      { name: 'alice', password: 'wonderland', reply: ['Framed-IP-Address = 10.77.0.77'] },
    ]);
    servers.push(radius);
    await radius.start(pair.b);
    const cfg = `mode_cfg { auth_source radius; conf_source radius; netmask4 255.255.255.0; auth_throttle 1; }
radiuscfg { auth "127.0.0.1" "ns-radius-secret"; timeout 2; retries 3; }`;
    const { a, b } = await start(cfg, 'alice', 'wonderland');
    assert.ok(pingUntilAnswered(pair), outputs());
    await b.waitFor(/login succeeded for user "alice"/);
    await a.waitFor(/mode config: got address 10\.77\.0\.77/);
    for (let i = 0; i < 50 && !/Login OK: \[alice\]/.test(radius.out); i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.match(radius.out, /Login OK: \[alice\]/);
    assert.doesNotMatch(a.out + b.out, /wonderland|ns-radius-secret/);
  });

  it('auth_source ldap: slapd binds the user, the client gets its ipHostNumber 10.77.0.88; ping under ESP', async function () {
    const why = slapdSkipReason();
    if (why) return this.skip();
    const slapd = new Slapd(389, 'ns-ldap-admin', [{ uid: 'bob', password: 'builder', address: '10.77.0.88' }]);
    servers.push(slapd);
    await slapd.start(pair.b);
    const cfg = `mode_cfg { auth_source ldap; conf_source ldap; netmask4 255.255.255.0; auth_throttle 1; }
ldapcfg { host "127.0.0.1"; base "${LDAP_PEOPLE}"; attr_user "uid"; attr_addr "ipHostNumber"; }`;
    const { a, b } = await start(cfg, 'bob', 'builder');
    assert.ok(pingUntilAnswered(pair), outputs());
    await b.waitFor(/login succeeded for user "bob"/);
    await a.waitFor(/mode config: got address 10\.77\.0\.88/);
    assert.doesNotMatch(a.out + b.out, /builder/);
  });

  /** /etc/pam.d/racoon (pam_unix), passwd and shadow with one test user, bound over /etc in racoon's namespace. */
  function pamRoot(user: string, password: string): (cmd: string[]) => string[] {
    const root = path('pam-root');
    mkdirSync(join(root, 'pam.d'), { recursive: true });
    writeFileSync(join(root, 'pam.d', 'racoon'), 'auth required pam_unix.so\naccount required pam_unix.so\n');
    const hash = spawnSync('openssl', ['passwd', '-6', '-stdin'], { input: password, encoding: 'utf8' }).stdout.trim();
    assert.match(hash, /^\$6\$/);
    const passwd = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .filter((l) => !l.startsWith(`${user}:`));
    writeFileSync(
      join(root, 'passwd'),
      [...passwd.filter(Boolean), `${user}:x:4242:4242::/nonexistent:/usr/sbin/nologin`, ''].join('\n'),
    );
    writeFileSync(join(root, 'shadow'), `root:*:19000:0:99999:7:::\n${user}:${hash}:19000:0:99999:7:::\n`, {
      mode: 0o600,
    });
    const binds = ['pam.d', 'passwd', 'shadow'].map((f) => `mount --bind ${join(root, f)} /etc/${f}`).join(' && ');
    return (cmd) => ['unshare', '-m', '--propagation', 'private', 'sh', '-c', `${binds} && exec "$@"`, 'sh', ...cmd];
  }

  it('auth_source pam: pam_unix checks the test user; ping under ESP; a wrong password gets no SA', async () => {
    const cfg = `mode_cfg { auth_source pam; network4 10.77.0.20; netmask4 255.255.255.0; pool_size 4; auth_throttle 1; }`;
    const wrap = pamRoot('uipsecpam', 'carol-pw');
    const ok = await start(cfg, 'uipsecpam', 'carol-pw', wrap);
    assert.ok(pingUntilAnswered(pair), outputs());
    await ok.b.waitFor(/login succeeded for user "uipsecpam"/);
    await ok.a.waitFor(/mode config: got address 10\.77\.0\.20/);
    assert.doesNotMatch(ok.a.out + ok.b.out, /carol-pw/);
    await Promise.all(procs.map((p) => p.stop('SIGTERM')));
    procs = [];
    const bad = await start(cfg, 'uipsecpam', 'guessed-pw', wrap);
    assert.equal(pingUntilAnswered(pair, 3), false);
    await bad.b.waitFor(/pam_authenticate: Authentication failure/);
    await bad.b.waitFor(/login failed for user "uipsecpam"/);
    assert.doesNotMatch(bad.a.out + bad.b.out, /IPsec-SA established|guessed-pw/);
    // The test user exists only inside racoon's mount namespace.
    assert.doesNotMatch(readFileSync('/etc/passwd', 'utf8'), /^uipsecpam:/m);
  });
});
