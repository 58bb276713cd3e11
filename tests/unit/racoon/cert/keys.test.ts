// Loading as racoon does: certificate files (PEM/DER) under `path certificate`, private keys in every form
// openssl writes (PKCS#8, PKCS#1, SEC1; PEM and DER), encrypted keys and loose permissions refused, plainrsa-gen
// key files (built here from openssl's own dump of a key), `peers_certfile dnssec` reported as unsupported.
import { strict as assert } from 'node:assert';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import { CertLoadError } from '../../../../racoon/cert/errors.js';
import { loadCertAndKey, loadCertificateFile, loadPrivateKey, resolveCertPath } from '../../../../racoon/cert/keys.js';
import { loadPlainRsaFile, lookupPlainRsa, parsePlainRsa } from '../../../../racoon/cert/plainrsa.js';
import { loadRemoteCerts } from '../../../../racoon/cert/remote.js';
import { rsaSignIkev1, rsaVerifyIkev1 } from '../../../../racoon/cert/ikev1-sig.js';
import { parseAddr } from '../../../../common/inet.js';
import { TestPki, opensslAvailable, plainRsaFromOpenssl } from '../../../support/pki.js';

describe('racoon/cert: loading certificates and keys', function () {
  this.timeout(60_000);
  let pki: TestPki;

  before(function () {
    if (!opensslAvailable()) this.skip(); // openssl not installed
    pki = new TestPki();
    pki.issue('ca', { key: 'rsa:2048', subj: '/CN=Load CA', ext: ['basicConstraints=critical,CA:TRUE'], ca: true });
    pki.issue('rsa', { key: 'rsa:2048', subj: '/CN=rsa.example', issuer: 'ca' });
    pki.issue('ec', { key: 'ec:P-256', subj: '/CN=ec.example', issuer: 'ca' });
  });
  after(() => pki?.cleanup());

  it('reads PKCS#8, PKCS#1 and SEC1 keys as PEM and DER, and checks they belong to the certificate', () => {
    const forms: Array<[string, string[]]> = [
      ['rsa', ['pkey', '-in', pki.get('rsa').key, '-out', 'k1.pem']],
      ['rsa', ['pkey', '-in', pki.get('rsa').key, '-outform', 'DER', '-out', 'k2.der']],
      ['rsa', ['rsa', '-in', pki.get('rsa').key, '-traditional', '-out', 'k3.pem']],
      ['rsa', ['rsa', '-in', pki.get('rsa').key, '-traditional', '-outform', 'DER', '-out', 'k4.der']],
      ['ec', ['ec', '-in', pki.get('ec').key, '-out', 'k5.pem']],
      ['ec', ['ec', '-in', pki.get('ec').key, '-outform', 'DER', '-out', 'k6.der']],
    ];
    for (const [who, args] of forms) {
      pki.run(args);
      const file = pki.path(args[args.length - 1]!);
      chmodSync(file, 0o600);
      pki.run(['x509', '-in', pki.get(who).cert, '-outform', 'DER', '-out', `${who}.der`]);
      const r = loadCertAndKey(pki.dir, `${who}.der`, file);
      assert.equal(r.key.asymmetricKeyType, who, file);
    }
    chmodSync(pki.get('ec').key, 0o600);
    assert.throws(
      () => loadCertAndKey(pki.dir, 'rsa.pem', pki.get('ec').key),
      /does not belong to the certificate rsa\.pem/,
    );
  });

  it('refuses encrypted keys with a clear message, and keys open to group or others', () => {
    pki.run(['pkey', '-in', pki.get('rsa').key, '-aes256', '-passout', 'pass:secret', '-out', 'enc8.pem']);
    pki.run([
      'rsa',
      '-in',
      pki.get('rsa').key,
      '-traditional',
      '-aes256',
      '-passout',
      'pass:secret',
      '-out',
      'enc1.pem',
    ]);
    pki.run([
      'pkcs8',
      '-topk8',
      '-in',
      pki.get('rsa').key,
      '-v2',
      'aes256',
      '-passout',
      'pass:secret',
      '-outform',
      'DER',
      '-out',
      'enc8.der',
    ]);
    for (const f of ['enc8.pem', 'enc1.pem', 'enc8.der']) {
      chmodSync(pki.path(f), 0o600);
      assert.throws(
        () => loadPrivateKey(pki.path(f)),
        (e: unknown) =>
          e instanceof CertLoadError &&
          /encrypted private keys are not supported/.test(e.message) &&
          !/secret/.test(e.message),
        f,
      );
    }
    chmodSync(pki.get('rsa').key, 0o640);
    assert.throws(() => loadPrivateKey(pki.get('rsa').key), /mode 0640: group\/others must have no access/);
    writeFileSync(pki.path('junk.key'), 'not a key at all\n', { mode: 0o600 });
    assert.throws(() => loadPrivateKey(pki.path('junk.key')), /not a private key/);
  });

  it('resolves names under path certificate and reads every certificate of a file', () => {
    assert.equal(resolveCertPath('/etc/racoon/cert', 'host.pem'), '/etc/racoon/cert/host.pem');
    assert.equal(resolveCertPath('/etc/racoon/cert', '/abs/host.pem'), '/abs/host.pem');
    const bundle = pki.bundle('chain.pem', [pki.get('rsa').cert, pki.get('ca').cert]);
    const f = loadCertificateFile(bundle);
    assert.equal(f.chain.length, 1);
    assert.throws(() => loadCertificateFile(pki.path('nope.pem')), /cannot read: ENOENT/);
  });

  it('loads a remote section and reports each problem at its line (dnssec is not supported)', () => {
    chmodSync(pki.get('rsa').key, 0o600);
    const r = loadRemoteCerts({
      file: 'racoon.conf',
      certDir: pki.dir,
      certificate: { type: 'x509', cert: 'rsa.pem', key: 'rsa.key', line: 10 },
      ca: { file: 'ca.pem', line: 11 },
      peersCert: { type: 'dnssec', line: 12 },
    });
    assert.equal(r.myCert?.key.asymmetricKeyType, 'rsa');
    assert.equal(r.caCert?.subject.avas[0]!.oid, '2.5.4.3');
    assert.deepEqual(
      r.errors.map((e) => [e.line, /dnssec is not supported yet/.test(e.message)]),
      [[12, true]],
    );
    const bad = loadRemoteCerts({ file: 'racoon.conf', certDir: pki.dir, ca: { file: 'missing.pem', line: 4 } });
    assert.match(bad.errors[0]!.message, /^racoon\.conf:4: .*missing\.pem: cannot read/);
  });

  it('reads plainrsa-gen files: private RSA blocks and PUB lines, with address scopes', () => {
    const { priv, pub } = plainRsaFromOpenssl(pki, pki.get('rsa').key);
    writeFileSync(pki.path('my.rsa'), priv, { mode: 0o600 });
    writeFileSync(
      pki.path('peers.rsa'),
      `# peers\n10.0.0.0/8 192.0.2.0/24 : PUB ${pub}\n2001:db8::/32 : PUB ${pub}\n: PUB ${pub}\n`,
    );
    const [mine] = loadPlainRsaFile(pki.path('my.rsa'), true);
    const peers = loadPlainRsaFile(pki.path('peers.rsa'), false);
    const spki = (k: typeof mine) =>
      (k!.key.type === 'public' ? k!.key : createPublicKey(k!.key)).export({ format: 'der', type: 'spki' });
    const certSpki = createPublicKey(readFileSync(pki.get('rsa').cert)).export({ format: 'der', type: 'spki' });
    assert.deepEqual(spki(mine), certSpki);
    assert.deepEqual(spki(peers[0]), certSpki);
    // The private key signs, the public PUB line verifies (IKEv1 raw PKCS#1 signature).
    const hash = new Uint8Array(20).fill(7);
    assert.ok(rsaVerifyIkev1(hash, rsaSignIkev1(hash, mine!.key), peers[1]!.key));
    // Scopes: SRC DST, DST alone, or none; the most specific first.
    const order = (l: string, r: string) => lookupPlainRsa(peers, parseAddr(l)!, parseAddr(r)!).map((k) => k.line);
    assert.deepEqual(order('10.1.2.3', '192.0.2.9'), [2, 4]);
    assert.deepEqual(order('10.1.2.3', '198.51.100.1'), [4]);
    assert.deepEqual(order('2001:db8::1', '2001:db8::2'), [3, 4]);
    chmodSync(pki.path('my.rsa'), 0o644);
    assert.throws(() => loadPlainRsaFile(pki.path('my.rsa'), true), /mode 0644/);
  });

  it('refuses malformed plainrsa files at their line, as prsa_par.y', () => {
    const err = (text: string, priv: boolean): string => {
      try {
        parsePlainRsa(text, 'f.rsa', priv);
      } catch (e) {
        return (e as Error).message;
      }
      return 'accepted';
    };
    assert.match(err(': PUB 0sAQM=', true), /f\.rsa:1: Public key in private-key file!/);
    assert.match(err('\n: RSA { Modulus: 0x0101 }', true), /f\.rsa:2: Incomplete key/);
    assert.match(err(': RSA { Modulus: 0x01 Modulus: 0x02 }', false), /Modulus already defined/);
    assert.match(err(': PUB 0sAQ==', false), /pubkey format error/);
    assert.match(err('10.0.0.0/33 : PUB 0sAQM=', false), /invalid IPv4 prefix/);
    assert.match(err(': PSK "x"', false), /unexpected character|PSK entries/);
    assert.match(err('10.0.0.1 PUB 0sAQM=', false), /expected ':'/);
  });
});
