// racoon phase 1 authentication between two machines (network namespaces), each running the shipped
// `uipsecd --tun` and `racoon -F` as separate processes, racoon speaking over the machines' real UDP 500:
// main mode with RSA signatures and a CA chain (root > intermediate > host, CRLs in an `openssl rehash`
// directory), a revoked certificate refused with racoon's log line naming it, and aggressive mode with a
// pre-shared key and with RSA signatures (`racoon -C` names the identity exposure). A ping raises ACQUIRE and is
// answered under ESP once the SAs are in.
import { strict as assert } from 'node:assert';
import { chmodSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { opensslAvailable, TestPki } from '../support/pki.js';
import { makePair, netnsSkipReason, nsRun, type NsProc, type Pair } from './netns.js';
import { pingUntilAnswered as pingUntil, racoonCmd, startMachine } from './racoon-machine.js';

const CA_EXT = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'];

interface Case {
  mode: 'main' | 'aggressive';
  auth: 'rsasig' | 'pre_shared_key';
  /** The certificate name of each side (rsasig). */
  certA?: string;
  certB?: string;
}

function racoonConf(pki: TestPki, c: Case, side: 'a' | 'b', peer: string): string {
  const me = side === 'a' ? c.certA : c.certB;
  const them = side === 'a' ? c.certB : c.certA;
  const certs =
    c.auth === 'rsasig'
      ? `certificate_type x509 "${me}.pem" "${me}.key";
  my_identifier asn1dn;
  peers_identifier asn1dn "C=JP, O=KAME, CN=${them}";
  verify_identifier on;`
      : '';
  return `path certificate "${pki.path('certs')}";
path pre_shared_key "${pki.path(`${side}.psk`)}";
listen { adminsock "${pki.path(`${side}-admin.sock`)}"; }
timer { counter 5; interval 2 sec; }
remote ${peer} {
  exchange_mode ${c.mode};
  ${certs}
  proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method ${c.auth}; dh_group modp2048; }
}
sainfo anonymous { lifetime time 1 hour; encryption_algorithm aes 128; authentication_algorithm hmac_sha256; compression_algorithm deflate; }
`;
}

describe('os: racoon authentication between two machines (uipsecd --tun, racoon processes): certificates, aggressive mode', function () {
  this.timeout(180_000);
  const skip = netnsSkipReason(['ping']) ?? (opensslAvailable() ? undefined : 'the openssl command is not installed');
  let pair: Pair;
  let pki: TestPki;
  let procs: NsProc[] = [];

  before(function () {
    if (skip) this.skip();
    pair = makePair('rca', '10.201.9', 'fd00:201:9');
    pki = new TestPki();
    pki.issue('root', { key: 'rsa:2048', subj: '/C=JP/O=KAME/CN=root', ext: CA_EXT });
    pki.issue('inter', { key: 'rsa:2048', subj: '/C=JP/O=KAME/CN=inter', issuer: 'root', ca: true, ext: CA_EXT });
    for (const h of ['host-a', 'host-b', 'revoked']) {
      pki.issue(h, { key: 'rsa:2048', subj: `/C=JP/O=KAME/CN=${h}`, issuer: 'inter' });
      chmodSync(pki.get(h).key, 0o600); // racoon's safefile: a private key readable by its owner only
    }
    pki.revoke('inter', 'revoked');
    const crls = [pki.crl('root', 'root.crl'), pki.crl('inter', 'inter.crl')];
    // The certificates themselves are found under `path certificate` too (relative names in racoon.conf).
    pki.hashDir('certs', [pki.get('root').cert, pki.get('inter').cert, ...crls]);
    for (const h of ['host-a', 'host-b', 'revoked'])
      for (const ext of ['pem', 'key']) copyFileSync(pki.path(`${h}.${ext}`), join(pki.path('certs'), `${h}.${ext}`));
  });

  afterEach(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGTERM')));
    procs = [];
  });

  after(() => {
    pair?.destroy();
    pki?.cleanup();
  });

  /** uipsecd --tun and racoon on both machines; policies only (ESP transport, require). */
  async function start(c: Case): Promise<{ a: NsProc; b: NsProc }> {
    const { addrA: A, addrB: B } = pair;
    const out: Record<string, NsProc> = {};
    for (const side of ['a', 'b'] as const) {
      const [ns, peer, o, i] = side === 'a' ? [pair.a, B, 'out', 'in'] : [pair.b, A, 'in', 'out'];
      const pol = pki.path(`${side}.setkey`);
      writeFileSync(
        pol,
        `flush;\nspdflush;\nspdadd ${A} ${B} any -P ${o} ipsec esp/transport//require;\nspdadd ${B} ${A} any -P ${i} ipsec esp/transport//require;\n`,
      );
      writeFileSync(pki.path(`${side}.psk`), `${peer}\tuipsec-agg-secret\n`, { mode: 0o600 });
      const conf = pki.path(`${side}-racoon.conf`);
      writeFileSync(conf, racoonConf(pki, c, side, peer));
      out[side] = await startMachine(ns, side, pki.path(side), pol, conf, procs);
    }
    return { a: out.a!, b: out.b! };
  }

  const pingUntilAnswered = (tries = 15) => pingUntil(pair, tries);

  const outputs = () => procs.map((p) => `--- ${p.label}\n${p.out.slice(-2500)}`).join('\n');

  it('main mode, RSA signatures: both chains verified (root > inter > host, CRLs checked), ping under ESP', async () => {
    const { a, b } = await start({ mode: 'main', auth: 'rsasig', certA: 'host-a', certB: 'host-b' });
    assert.ok(pingUntilAnswered(), outputs());
    await a.waitFor(/IPsec-SA established/);
    await b.waitFor(/ISAKMP-SA established/);
    assert.match(b.out, /CERT validated/);
    assert.match(a.out, /CERT validated/);
  });

  it('a revoked certificate is refused: racoon logs the reason, the subject and the depth; no SA', async () => {
    const { a, b } = await start({ mode: 'main', auth: 'rsasig', certA: 'revoked', certB: 'host-b' });
    assert.equal(pingUntilAnswered(3), false);
    await b.waitFor(/certificate revoked\(23\) at depth:0 SubjectName:C=JP, O=KAME, CN=revoked/);
    await b.waitFor(/the peer's certificate is not verified/);
    assert.doesNotMatch(b.out + a.out, /ISAKMP-SA established/);
  });

  it('aggressive mode with a pre-shared key: racoon -C warns of the exposure; the SA comes up', async () => {
    const { a, b } = await start({ mode: 'aggressive', auth: 'pre_shared_key' });
    const check = nsRun(pair.a, racoonCmd(['-C', '-f', pki.path('a-racoon.conf')]));
    assert.equal(check.code, 0, check.out);
    assert.match(check.out, /warning: remote .*aggressive mode is not recommended.*guessed offline/);
    assert.match(check.out, /configuration OK/);
    assert.ok(pingUntilAnswered(), outputs());
    await a.waitFor(/begin Aggressive mode/);
    await b.waitFor(/IPsec-SA established/);
  });

  it('aggressive mode with RSA signatures: CERT + SIG in messages 2 and 3; ping under ESP', async () => {
    const { a, b } = await start({ mode: 'aggressive', auth: 'rsasig', certA: 'host-a', certB: 'host-b' });
    assert.ok(pingUntilAnswered(), outputs());
    await a.waitFor(/begin Aggressive mode/);
    await a.waitFor(/CERT validated/);
    await b.waitFor(/IPsec-SA established/);
  });
});
