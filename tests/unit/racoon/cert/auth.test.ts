// Authentication pieces: IKEv1 RSA signatures checked by `openssl pkeyutl` (raw PKCS#1 type 1 without
// DigestInfo, both directions), the ID-against-certificate and peers_identifier checks, CR/CERTREQ contents
// (SPKI hashes against openssl's), CERT payload decoding, and a hashed directory picking up a new CRL.
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, copyFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildCertRequestV1,
  buildCertRequestV2,
  certPayload,
  decodeCertPayload,
  matchCertRequestV1,
  matchCertRequestV2,
  spkiSha1,
  splitCertRequestV2,
} from '../../../../racoon/cert/cert-request.js';
import { CertError } from '../../../../racoon/cert/errors.js';
import {
  ID_DER_ASN1_DN,
  ID_FQDN,
  ID_IPV4_ADDR,
  ID_IPV6_ADDR,
  ID_KEY_ID,
  ID_USER_FQDN,
  asn1dnSpec,
  checkIdAgainstCert,
  matchPeersIdentifier,
  myAsn1dn,
} from '../../../../racoon/cert/identity.js';
import { ikev1KeyProblem, rsaSignIkev1, rsaVerifyIkev1 } from '../../../../racoon/cert/ikev1-sig.js';
import { loadPrivateKey } from '../../../../racoon/cert/keys.js';
import { nameHash } from '../../../../racoon/cert/name.js';
import { CertStore } from '../../../../racoon/cert/store.js';
import { verifyCertificate } from '../../../../racoon/cert/verify.js';
import { decodeCertificates, publicKeyOf, type Certificate } from '../../../../racoon/cert/x509.js';
import { parseAddr } from '../../../../common/inet.js';
import { TestPki, opensslAvailable } from '../../../support/pki.js';

describe('racoon/cert: signatures, identities, certificate requests', function () {
  this.timeout(60_000);
  let pki: TestPki;
  let ca: Certificate, host: Certificate, ec: Certificate;
  const load = (n: string): Certificate => decodeCertificates(readFileSync(pki.get(n).cert))[0]!;

  before(function () {
    if (!opensslAvailable()) this.skip(); // openssl not installed
    pki = new TestPki();
    const caExt = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'];
    pki.issue('ca', { key: 'rsa:2048', subj: '/C=JP/O=KAME/CN=Auth CA', ext: caExt, ca: true });
    const san = 'subjectAltName=DNS:other.example,DNS:GW.Example,IP:192.0.2.1,IP:2001:db8::1,email:ops@example.org';
    pki.issue('host', { key: 'rsa:2048', subj: '/C=JP/O=KAME/CN=gw.example', issuer: 'ca', ext: [san] });
    pki.issue('ec', { key: 'ec:P-256', subj: '/CN=ec.example', issuer: 'ca' });
    [ca, host, ec] = [load('ca'), load('host'), load('ec')];
  });
  after(() => pki?.cleanup());

  it('IKEv1 RSA signatures are raw PKCS#1 type 1 over HASH_I: openssl pkeyutl recovers and makes them', () => {
    writeFileSync(pki.path('host.key'), readFileSync(pki.get('host').key), { mode: 0o600 });
    const key = loadPrivateKey(pki.path('host.key'));
    const hash = createHash('sha256').update('HASH_I').digest();
    const sig = rsaSignIkev1(hash, key);
    writeFileSync(pki.path('sig.bin'), sig);
    pki.run(['x509', '-in', pki.get('host').cert, '-pubkey', '-noout', '-out', 'host.pub']);
    const recovered = execDer(pki, ['pkeyutl', '-verifyrecover', '-pubin', '-inkey', 'host.pub', '-in', 'sig.bin']);
    assert.deepEqual(recovered, hash); // no DigestInfo: the padding wraps the bare hash
    // openssl signing the same raw bytes (no digest set: PKCS#1 type 1 over the input) verifies here.
    writeFileSync(pki.path('hash.bin'), hash);
    pki.run(['pkeyutl', '-sign', '-inkey', pki.get('host').key, '-in', 'hash.bin', '-out', 'theirs.bin']);
    const theirs = readFileSync(pki.path('theirs.bin'));
    assert.deepEqual(new Uint8Array(theirs), sig); // PKCS#1 v1.5 signing is deterministic
    assert.ok(rsaVerifyIkev1(hash, theirs, publicKeyOf(host)));
    const bad = Buffer.from(theirs);
    bad[10]! ^= 1;
    assert.ok(!rsaVerifyIkev1(hash, bad, publicKeyOf(host)));
    assert.ok(!rsaVerifyIkev1(Buffer.alloc(32), theirs, publicKeyOf(host)));
    assert.ok(!rsaVerifyIkev1(hash, theirs.subarray(1), publicKeyOf(host)));
    assert.ok(!rsaVerifyIkev1(hash, theirs, publicKeyOf(ca)));
    assert.match(ikev1KeyProblem(publicKeyOf(ec))!, /ECDSA needs IKEv2/);
  });

  it('checks the peer ID against its certificate as oakley_check_certid (RFC 4945 for several SANs)', () => {
    const chk = (t: number, d: Uint8Array | string, v = true) =>
      checkIdAgainstCert(t, typeof d === 'string' ? Buffer.from(d) : d, host, v);
    assert.deepEqual(chk(ID_DER_ASN1_DN, host.subject.der), { ok: true });
    assert.deepEqual(chk(ID_DER_ASN1_DN, ca.subject.der), {
      ok: false,
      notify: 18,
      reason: 'ID mismatched with ASN1 SubjectName',
    });
    assert.deepEqual(chk(ID_DER_ASN1_DN, ca.subject.der, false), {
      ok: true,
      warning: 'ID mismatched with ASN1 SubjectName',
    });
    assert.deepEqual(chk(ID_IPV4_ADDR, parseAddr('192.0.2.1')!), { ok: true });
    assert.deepEqual(chk(ID_IPV6_ADDR, parseAddr('2001:db8::1')!), { ok: true });
    assert.equal(chk(ID_IPV4_ADDR, parseAddr('192.0.2.2')!).ok, false);
    assert.equal(chk(ID_IPV4_ADDR, parseAddr('192.0.2.2')!, false).ok, true);
    assert.deepEqual(chk(ID_FQDN, 'gw.example'), { ok: true }); // second DNS SAN, case folded
    assert.deepEqual(chk(ID_FQDN, 'nope.example', false), {
      ok: false,
      notify: 18,
      reason: 'ID mismatched with subjectAltName',
    });
    assert.deepEqual(chk(ID_USER_FQDN, 'ops@example.org'), { ok: true });
    assert.equal(chk(ID_USER_FQDN, 'OPS@example.org').ok, false);
    assert.deepEqual(checkIdAgainstCert(ID_FQDN, Buffer.from('ec.example'), ec, true), {
      ok: false,
      notify: 20,
      reason: 'no proper subjectAltName (no DNS name)',
    });
    assert.equal(chk(ID_KEY_ID, 'abc').ok, false);
  });

  it('matches peers_identifier values, asn1dn with wildcards, as rmconf_match_identity', () => {
    const specs = [asn1dnSpec('C=JP, O=KAME, CN=*'), { idType: ID_FQDN, data: Buffer.from('gw.example') }];
    assert.deepEqual(matchPeersIdentifier(specs, ID_DER_ASN1_DN, host.subject.der, true), { ok: true });
    assert.deepEqual(matchPeersIdentifier(specs, ID_FQDN, Buffer.from('gw.example'), true), { ok: true });
    assert.deepEqual(matchPeersIdentifier(specs, ID_FQDN, Buffer.from('gw.exampl'), true), {
      ok: false,
      notify: 18,
      reason: 'No ID match',
    });
    assert.deepEqual(matchPeersIdentifier(specs, ID_DER_ASN1_DN, ec.subject.der, false), {
      ok: true,
      warning: 'No ID match',
    });
    assert.deepEqual(matchPeersIdentifier([], ID_KEY_ID, Buffer.from('x'), true), { ok: true });
    assert.deepEqual(myAsn1dn(host).data, host.subject.der);
  });

  it('builds and matches IKEv1 CRs (CA DN) and IKEv2 CERTREQs (SHA-1 of SPKI, as openssl computes it)', () => {
    const cr = buildCertRequestV1({ caCert: ca })!;
    assert.deepEqual(cr, { certType: 4, authority: new Uint8Array(ca.subject.der) });
    assert.deepEqual(buildCertRequestV1({ peersCert: host, caCert: ec })!.authority, new Uint8Array(host.issuer.der));
    assert.equal(buildCertRequestV1({}), undefined);
    assert.equal(matchCertRequestV1(cr, host, false), 'match');
    assert.equal(matchCertRequestV1({ certType: 4, authority: new Uint8Array() }, host, false), 'empty-refused');
    assert.equal(matchCertRequestV1({ certType: 4, authority: new Uint8Array() }, host, true), 'match');
    assert.equal(matchCertRequestV1({ certType: 4, authority: host.subject.der }, host, true), 'issuer-mismatch');
    assert.equal(matchCertRequestV1({ certType: 1, authority: cr.authority }, host, true), 'type-mismatch');
    pki.run(['x509', '-in', pki.get('ca').cert, '-pubkey', '-noout', '-out', 'ca.pub']);
    const spkiDer = execDer(pki, ['pkey', '-pubin', '-in', 'ca.pub', '-outform', 'DER']);
    assert.deepEqual(spkiSha1(ca), new Uint8Array(createHash('sha1').update(spkiDer).digest()));
    const req = buildCertRequestV2([ca, ec]);
    assert.equal(req.data.length, 40);
    assert.deepEqual(matchCertRequestV2(req.data, [host, ca]), [ca]);
    assert.throws(() => splitCertRequestV2(new Uint8Array(21)), /not a list of SHA-1 hashes/);
  });

  it('decodes CERT payload data by encoding without throwing', () => {
    const p = certPayload(host);
    const d = decodeCertPayload(p.encoding, p.data);
    assert.equal(d.kind, 'cert');
    assert.equal(decodeCertPayload(4, p.data.subarray(0, 100)).kind, 'malformed');
    assert.deepEqual(decodeCertPayload(1, p.data), { kind: 'unsupported', encoding: 1 });
    pki.run([
      'ca',
      '-gencrl',
      '-config',
      join(pki.path('ca-ca'), 'ca.cnf'),
      '-cert',
      pki.get('ca').cert,
      '-keyfile',
      pki.get('ca').key,
      '-out',
      'ca.crl',
      '-crldays',
      '30',
    ]);
    const crlDer = execDer(pki, ['crl', '-in', 'ca.crl', '-outform', 'DER']);
    assert.equal(decodeCertPayload(7, crlDer).kind, 'crl');
  });

  it('picks up a CRL dropped into path certificate at the next verification, as racoon (a fresh store each time)', () => {
    const dir = pki.hashDir('live', [pki.get('ca').cert]);
    const store = new CertStore(dir);
    const now = Date.UTC(2030, 0, 1);
    assert.deepEqual(
      verifyCertificate(host, store, { now }).warnings.map((w) => w.code),
      ['UNABLE_TO_GET_CRL', 'UNABLE_TO_GET_CRL'],
    );
    pki.revoke('ca', 'host');
    pki.run([
      'ca',
      '-gencrl',
      '-config',
      join(pki.path('ca-ca'), 'ca.cnf'),
      '-cert',
      pki.get('ca').cert,
      '-keyfile',
      pki.get('ca').key,
      '-out',
      'revoked.crl',
      '-crldays',
      '10000',
    ]);
    copyFileSync(pki.path('revoked.crl'), join(dir, 'revoked.crl'));
    symlinkSync('revoked.crl', join(dir, `${nameHash(ca.subject)}.r0`));
    assert.throws(
      () => verifyCertificate(host, store, { now }),
      (e: unknown) =>
        e instanceof CertError &&
        e.code === 'CERT_REVOKED' &&
        e.depth === 0 &&
        e.subject === 'C=JP, O=KAME, CN=gw.example',
    );
  });
});

function execDer(pki: TestPki, args: string[]): Buffer {
  const out = pki.path('out.der');
  pki.run([...args, '-out', out]);
  return readFileSync(out);
}
