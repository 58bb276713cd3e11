// Chain validation checked against `openssl verify` (an independent implementation) on the same files:
// CAs, intermediates and hosts (RSA 2048/3072, ECDSA P-256/P-384) made at test time by `openssl ca`,
// expired, not-yet-valid and revoked ones, CRLs in a hashed directory (`openssl rehash`), -attime as the clock.
import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { CertStore } from '../../../../racoon/cert/store.js';
import { CertError } from '../../../../racoon/cert/errors.js';
import { verifyCertificate, REMOTE_CERT_TOLERATED } from '../../../../racoon/cert/verify.js';
import { decodeCertificates } from '../../../../racoon/cert/x509.js';
import { readPemBlocks } from '../../../../racoon/cert/pem.js';
import { formatName } from '../../../../racoon/cert/name-text.js';
import { TestPki, opensslAvailable } from '../../../support/pki.js';

const T = Date.UTC(2030, 0, 1) / 1000; // the injected clock for every case (seconds)

interface Case {
  name: string;
  leaf: string;
  dir: string[];
  untrusted?: string[];
  at?: number;
  crlAll?: boolean;
  /** The expected outcome, which `openssl verify` must also give: OK or [code, depth]. */
  want: 'ok' | [number, number];
}

function tamper(pki: TestPki, src: string, out: string, label: string): string {
  const der = readPemBlocks(readFileSync(src, 'utf8'))[0]!.der;
  der[der.length - 3]! ^= 0x55; // inside the signature
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  writeFileSync(pki.path(out), `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`);
  return pki.path(out);
}

function makePki(pki: TestPki): Case[] {
  const ca = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'];
  const host = (san: string): string[] => ['keyUsage=digitalSignature', `subjectAltName=${san}`];
  pki.issue('root', { key: 'rsa:2048', subj: '/C=JP/O=KAME/CN=Root CA', ext: ca, ca: true });
  pki.issue('int', { key: 'rsa:2048', subj: '/C=JP/O=KAME/CN=Intermediate CA', issuer: 'root', ext: ca, ca: true });
  pki.issue('host', {
    key: 'rsa:2048',
    subj: '/C=JP/O=KAME/CN=host.example',
    issuer: 'int',
    ext: host('DNS:host.example'),
  });
  pki.issue('host3072', { key: 'rsa:3072', subj: '/CN=big.example', issuer: 'int', ext: host('DNS:big.example') });
  pki.issue('expired', { subj: '/CN=old.example', issuer: 'int', start: '20200101000000Z', end: '20211231000000Z' });
  pki.issue('future', { subj: '/CN=new.example', issuer: 'int', start: '20350101000000Z', end: '20380101000000Z' });
  pki.issue('revoked', { subj: '/CN=gone.example', issuer: 'int', ext: host('DNS:gone.example') });
  pki.issue('int2', { subj: '/O=KAME/CN=Revoked Intermediate', issuer: 'root', ext: ca, ca: true });
  pki.issue('under2', { subj: '/CN=under.example', issuer: 'int2' });
  pki.issue('eroot', { key: 'ec:P-384', subj: '/O=EC/CN=EC Root', ext: ca, ca: true });
  pki.issue('ehost', { key: 'ec:P-256', subj: '/O=EC/CN=ec.example', issuer: 'eroot', ext: host('IP:192.0.2.7') });
  pki.issue('ehost384', { key: 'ec:P-384', subj: '/O=EC/CN=ec384.example', issuer: 'eroot' });
  pki.issue('self', { subj: '/CN=lonely', ext: ['basicConstraints=CA:FALSE'] });
  pki.issue('notca', { subj: '/CN=Not A CA', issuer: 'root', ext: ['basicConstraints=critical,CA:FALSE'], ca: true });
  pki.issue('bynotca', { subj: '/CN=child.example', issuer: 'notca' });
  pki.issue('kuca', {
    subj: '/CN=KU CA',
    issuer: 'root',
    ext: ['basicConstraints=critical,CA:TRUE', 'keyUsage=digitalSignature'],
    ca: true,
  });
  pki.issue('bykuca', { subj: '/CN=ku.example', issuer: 'kuca' });
  pki.issue('plroot', { subj: '/CN=PathLen Root', ext: ['basicConstraints=critical,CA:TRUE,pathlen:0'], ca: true });
  pki.issue('plint', { subj: '/CN=PathLen Int', issuer: 'plroot', ext: ca, ca: true });
  pki.issue('plhost', { subj: '/CN=pl.example', issuer: 'plint' });
  pki.issue('critext', { subj: '/CN=crit.example', issuer: 'int', ext: ['1.2.3.4.5=critical,ASN1:NULL'] });
  pki.issue('nocrlsign', {
    subj: '/CN=No CRL Sign CA',
    ext: ['basicConstraints=critical,CA:TRUE', 'keyUsage=keyCertSign'],
    ca: true,
  });
  pki.issue('bynocrl', { subj: '/CN=nocrl.example', issuer: 'nocrlsign' });

  const nc = ['basicConstraints=critical,CA:TRUE', 'nameConstraints=critical,permitted;DNS:.example'];
  pki.issue('ncca', { subj: '/CN=Constrained CA', issuer: 'root', ext: nc, ca: true });
  pki.issue('byncca', { subj: '/CN=in.example', issuer: 'ncca', ext: ['subjectAltName=DNS:in.example'] });

  pki.revoke('int', 'revoked');
  pki.revoke('root', 'int2', 'cACompromise');
  const crlRoot = pki.crl('root', 'root.crl');
  const crlInt = pki.crl('int', 'int.crl');
  const crlERoot = pki.crl('eroot', 'eroot.crl');
  const crlInt2 = pki.crl('int2', 'int2.crl');
  const crlIntShort = pki.crl('int', 'int-short.crl', ['-crlhours', '1']);
  const crlNoSign = pki.crl('nocrlsign', 'nocrlsign.crl');
  const crlBad = tamper(pki, crlInt, 'int-bad.crl', 'X509 CRL');
  const badHost = tamper(pki, pki.get('host').cert, 'host-bad.pem', 'CERTIFICATE');
  const c = (n: string): string => pki.get(n).cert;
  const chainDir = [c('root'), c('int')];
  const withCrls = [...chainDir, crlRoot, crlInt];
  const now = Math.floor(Date.now() / 1000);
  return [
    { name: 'RSA chain, both CAs in the directory', leaf: c('host'), dir: chainDir, want: 'ok' },
    { name: 'RSA 3072 host', leaf: c('host3072'), dir: chainDir, want: 'ok' },
    { name: 'intermediate sent by the peer', leaf: c('host'), dir: [c('root')], untrusted: [c('int')], want: 'ok' },
    { name: 'no root: unable to get issuer certificate', leaf: c('host'), dir: [c('int')], want: [2, 1] },
    { name: 'nothing trusted: unable to get local issuer', leaf: c('host'), dir: [c('eroot')], want: [20, 0] },
    { name: 'self-signed peer certificate', leaf: c('self'), dir: chainDir, want: [18, 0] },
    {
      name: 'self-signed root sent by the peer',
      leaf: c('host'),
      dir: [c('eroot')],
      untrusted: [c('int'), c('root')],
      want: [19, 2],
    },
    { name: 'self-signed certificate that is trusted', leaf: c('self'), dir: [c('self')], want: 'ok' },
    { name: 'expired host', leaf: c('expired'), dir: chainDir, want: [10, 0] },
    { name: 'host not yet valid', leaf: c('future'), dir: chainDir, want: [9, 0] },
    {
      name: 'everything not yet valid at 2019',
      leaf: c('host'),
      dir: chainDir,
      at: Date.UTC(2019, 0, 1) / 1000,
      want: [9, 2],
    },
    { name: 'ECDSA P-256 host under a P-384 root', leaf: c('ehost'), dir: [c('eroot')], want: 'ok' },
    { name: 'ECDSA P-384 host', leaf: c('ehost384'), dir: [c('eroot'), crlERoot], crlAll: true, want: 'ok' },
    { name: 'CRLs for every CA, host not revoked', leaf: c('host'), dir: withCrls, crlAll: true, want: 'ok' },
    { name: 'revoked host', leaf: c('revoked'), dir: withCrls, crlAll: true, want: [23, 0] },
    {
      name: 'revoked intermediate',
      leaf: c('under2'),
      dir: [...withCrls, c('int2'), crlInt2],
      crlAll: true,
      want: [23, 1],
    },
    { name: 'no CRL for the intermediate', leaf: c('host'), dir: [...chainDir, crlRoot], crlAll: true, want: [3, 0] },
    { name: 'expired CRL', leaf: c('host'), dir: [...chainDir, crlRoot, crlIntShort], crlAll: true, want: [12, 0] },
    { name: 'CRL not yet valid', leaf: c('host'), dir: withCrls, crlAll: true, at: now - 86400 * 30, want: [11, 0] },
    {
      name: 'CRL with a bad signature',
      leaf: c('host'),
      dir: [...chainDir, crlRoot, crlBad],
      crlAll: true,
      want: [8, 0],
    },
    {
      name: 'CRL signer without cRLSign',
      leaf: c('bynocrl'),
      dir: [c('nocrlsign'), crlNoSign],
      crlAll: true,
      want: [35, 0],
    },
    { name: 'certificate with a bad signature', leaf: badHost, dir: chainDir, want: [7, 0] },
    { name: 'issuer with CA:FALSE', leaf: c('bynotca'), dir: [c('root'), c('notca')], want: [79, 1] },
    { name: 'issuer keyUsage without keyCertSign', leaf: c('bykuca'), dir: [c('root'), c('kuca')], want: [79, 1] },
    { name: 'path length exceeded', leaf: c('plhost'), dir: [c('plroot'), c('plint')], want: [25, 2] },
    { name: 'unhandled critical extension', leaf: c('critext'), dir: chainDir, want: [34, 0] },
  ];
}

describe('racoon/cert: chain validation against openssl verify', function () {
  this.timeout(120_000);
  const pki = opensslAvailable() ? new TestPki() : undefined;
  let cases: Case[] = [];

  before(function () {
    if (!pki) this.skip(); // "openssl not installed" (.ci/run installs it)
    cases = makePki(pki!);
  });
  after(() => pki?.cleanup());

  it('gives the same result as openssl verify in every case, and the one expected', () => {
    assert.ok(cases.length > 20);
    cases.forEach((k, i) => {
      const at = k.at ?? T;
      const dir = pki!.hashDir(`dir${i}`, k.dir);
      const untrusted = k.untrusted ? pki!.bundle(`untrusted${i}.pem`, k.untrusted) : undefined;
      const theirs = pki!.opensslVerify(k.leaf, { capath: dir, untrusted, attime: at, crlAll: k.crlAll });
      const leaf = decodeCertificates(readFileSync(k.leaf))[0]!;
      const inter = untrusted ? decodeCertificates(readFileSync(untrusted)) : [];
      let ours: 'ok' | [number, number, string];
      try {
        verifyCertificate(leaf, new CertStore(dir), {
          now: at * 1000,
          untrusted: inter,
          crlCheck: k.crlAll ? 'all' : 'none',
          tolerate: new Set(),
        });
        ours = 'ok';
      } catch (e) {
        if (!(e instanceof CertError)) throw e;
        ours = [e.opensslCode, e.depth, e.reason];
      }
      const t = theirs.ok ? 'ok' : [theirs.code, theirs.depth, theirs.reason];
      assert.deepEqual(ours, t, `${k.name}: ours ${JSON.stringify(ours)}, openssl ${JSON.stringify(t)}`);
      const want = k.want === 'ok' ? 'ok' : [k.want[0], k.want[1]];
      assert.deepEqual(ours === 'ok' ? 'ok' : ours.slice(0, 2), want, k.name);
    });
  });

  it('as racoon: a missing CRL is a warning, a CRL that is there is enforced', () => {
    const c = (n: string) => decodeCertificates(readFileSync(pki!.get(n).cert))[0]!;
    const dir = pki!.hashDir('racoon-dir', [pki!.get('root').cert, pki!.get('int').cert, pki!.path('int.crl')]);
    const store = new CertStore(dir);
    const r = verifyCertificate(c('host'), store, { now: T * 1000, tolerate: REMOTE_CERT_TOLERATED });
    assert.deepEqual(
      r.warnings.map((w) => [w.code, w.depth]),
      [
        ['UNABLE_TO_GET_CRL', 1],
        ['UNABLE_TO_GET_CRL', 2],
      ],
    );
    assert.deepEqual(
      r.chain.map((x) => formatName(x.subject)),
      ['C=JP, O=KAME, CN=host.example', 'C=JP, O=KAME, CN=Intermediate CA', 'C=JP, O=KAME, CN=Root CA'],
    );
    // nameConstraints are enforced by OpenSSL but not here: a CA that carries them fails closed.
    const nc = new CertStore(pki!.hashDir('nc-dir', [pki!.get('root').cert, pki!.get('ncca').cert]));
    assert.throws(
      () => verifyCertificate(c('byncca'), nc, { now: T * 1000 }),
      (e: unknown) => e instanceof CertError && e.code === 'UNHANDLED_CRITICAL_EXTENSION' && e.depth === 1,
    );
    assert.throws(
      () => verifyCertificate(c('revoked'), store, { now: T * 1000 }),
      (e: unknown) =>
        e instanceof CertError &&
        e.code === 'CERT_REVOKED' &&
        e.subject === 'CN=gone.example' &&
        /certificate revoked/.test(e.message),
    );
  });
});
