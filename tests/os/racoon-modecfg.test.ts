// XAuth + mode config between two machines (network namespaces), each running the shipped `uipsecd --tun` and
// `racoon -F` as separate processes: the client (xauth_psk_client, mode_cfg on, xauth_login with its password
// in psk.txt) logs in to the server (xauth_psk_server, a mode_cfg pool), receives its address, DNS and split
// networks, and its phase1_up script — run by racoon with racoon's environment — installs the address on the
// client machine; only then does quick mode run and a ping pass under ESP. A wrong password gets no SA.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePair, netnsSkipReason, nsRun, type NsProc, type Pair } from './netns.js';
import { pingUntilAnswered as pingUntil, racoonCmd, startMachine } from './racoon-machine.js';

const PROPOSAL = (m: string) =>
  `proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method ${m}; dh_group modp2048; }`;
const SAINFO =
  'sainfo anonymous { lifetime time 1 hour; encryption_algorithm aes 128; authentication_algorithm hmac_sha256; compression_algorithm deflate; }';

describe('os: XAuth + mode config roadwarrior (uipsecd --tun, racoon processes)', function () {
  this.timeout(180_000);
  const skip =
    netnsSkipReason(['ping']) ?? (process.geteuid?.() === 0 ? undefined : 'needs root (scripts owned by root)');
  let pair: Pair;
  let dir: string;
  let procs: NsProc[] = [];

  before(function () {
    if (skip) this.skip();
    pair = makePair('rmc', '10.201.13', 'fd00:201:13');
    dir = mkdtempSync(join(tmpdir(), 'uipsec-modecfg-'));
  });

  afterEach(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGTERM')));
    procs = [];
  });

  after(() => {
    pair?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const path = (f: string) => join(dir, f);

  function confs(): { a: string; b: string } {
    const { addrA: A, addrB: B } = pair;
    // The client's phase1_up: what racoon gives it, and the address installed as ipsec-tools' sample does.
    writeFileSync(
      path('up.sh'),
      `#!/bin/sh\nenv | grep -E '^(INTERNAL|SPLIT|REMOTE|LOCAL|DEFAULT)' | sort > ${path('env.txt')}\n` +
        `ip addr add "$INTERNAL_ADDR4/32" dev lo\n`,
      { mode: 0o755 },
    );
    const common = (side: string) => `path pre_shared_key "${path(`${side}.psk`)}";
listen { adminsock "${path(`${side}-admin.sock`)}"; }
timer { counter 5; interval 2 sec; }
`;
    const a = `${common('a')}remote ${B} {
  exchange_mode main;
  mode_cfg on;
  xauth_login "alice";
  script "${path('up.sh')}" phase1_up;
  ${PROPOSAL('xauth_psk_client')}
}
${SAINFO}
`;
    const b = `${common('b')}mode_cfg {
  network4 10.77.0.10; netmask4 255.255.255.0; pool_size 4;
  dns4 10.77.0.53; split_network include 10.77.0.0/24;
  auth_source system; auth_throttle 1;
}
remote ${A} {
  exchange_mode main;
  ${PROPOSAL('xauth_psk_server')}
}
${SAINFO}
`;
    return { a, b };
  }

  async function start(password: string): Promise<{ a: NsProc; b: NsProc }> {
    const { addrA: A, addrB: B } = pair;
    const c = confs();
    writeFileSync(path('a.psk'), `${B}\tgroup-secret\nalice\t${password}\n`, { mode: 0o600 });
    writeFileSync(path('b.psk'), `${A}\tgroup-secret\nalice\twonderland\n`, { mode: 0o600 });
    const out: Record<string, NsProc> = {};
    for (const side of ['a', 'b'] as const) {
      const [ns, o, i] = side === 'a' ? [pair.a, 'out', 'in'] : [pair.b, 'in', 'out'];
      const pol = path(`${side}.setkey`);
      writeFileSync(
        pol,
        `flush;\nspdflush;\nspdadd ${A} ${B} any -P ${o} ipsec esp/transport//require;\nspdadd ${B} ${A} any -P ${i} ipsec esp/transport//require;\n`,
      );
      writeFileSync(path(`${side}-racoon.conf`), c[side]);
      out[side] = await startMachine(ns, side, path(side), pol, path(`${side}-racoon.conf`), procs);
    }
    return { a: out.a!, b: out.b! };
  }

  const pingUntilAnswered = (tries = 15) => pingUntil(pair, tries);

  const outputs = () => procs.map((p) => `--- ${p.label}\n${p.out.slice(-2500)}`).join('\n');

  it('racoon -C accepts both files (naming what auth_source system means here)', () => {
    const c = confs();
    writeFileSync(path('a-check.conf'), c.a);
    writeFileSync(path('b-check.conf'), c.b);
    for (const f of ['a-check.conf', 'b-check.conf']) {
      const r = nsRun(pair.a, racoonCmd(['-C', '-f', path(f)]));
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /configuration OK/);
    }
    assert.match(nsRun(pair.a, racoonCmd(['-C', '-f', path('b-check.conf')])).out, /auth_source system: uipsec checks/);
  });

  it('the client logs in, gets 10.77.0.10 by mode config, its script installs it; ping under ESP', async () => {
    const { a, b } = await start('wonderland');
    assert.ok(pingUntilAnswered(), outputs());
    await b.waitFor(/login succeeded for user "alice"/);
    await a.waitFor(/mode config: got address 10\.77\.0\.10/);
    await a.waitFor(/IPsec-SA established/);
    // The script ran in the client's namespace with racoon's variables.
    for (let i = 0; i < 50 && !nsRun(pair.a, ['ip', 'addr', 'show', 'dev', 'lo']).out.includes('10.77.0.10'); i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.match(nsRun(pair.a, ['ip', 'addr', 'show', 'dev', 'lo']).out, /inet 10\.77\.0\.10\/32/);
    const env = readFileSync(path('env.txt'), 'utf8');
    assert.match(env, /^INTERNAL_ADDR4=10\.77\.0\.10$/m);
    assert.match(env, /^INTERNAL_DNS4=10\.77\.0\.53$/m);
    assert.match(env, /^SPLIT_INCLUDE_CIDR=10\.77\.0\.0\/24$/m);
    assert.match(env, new RegExp(`^REMOTE_ADDR=${pair.addrB.replace(/\./g, '\\.')}$`, 'm'));
    assert.doesNotMatch(a.out + b.out, /wonderland/);
    nsRun(pair.a, ['ip', 'addr', 'del', '10.77.0.10/32', 'dev', 'lo']);
  });

  it('a wrong password: the server refuses the login and deletes the phase 1; no IPsec SA', async () => {
    const { a, b } = await start('not-the-password');
    assert.equal(pingUntilAnswered(3), false);
    await b.waitFor(/login failed for user "alice"/);
    await a.waitFor(/XAuth: the server refused login "alice"/);
    assert.doesNotMatch(a.out + b.out, /IPsec-SA established/);
    assert.doesNotMatch(a.out + b.out, /not-the-password/);
  });
});
