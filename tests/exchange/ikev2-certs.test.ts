// Exchange test: IKEv2 certificate authentication (RFC 7296 §2.15, §3.6-§3.8; RFC 7427) between two racoons
// and two kernels in one process (ike-lab). The PKI is made with the `openssl` command at test time: a root CA,
// an intermediate CA, RSA and ECDSA host certificates, one revoked, with the CAs and CRLs in an `openssl rehash`
// directory named by `path certificate`, as IKEv1's certificate test does.
import { strict as assert } from 'node:assert';
import { createPrivateKey } from 'node:crypto';
import { chmodSync, readFileSync } from 'node:fs';
import { IKEV2_EXCHANGE_NAMES, IKEV2_PAYLOAD_NAMES, nameOf } from '../../racoon/ikev2/constants.js';
import { signWithKey } from '../../racoon/ikev2/cert-auth.js';
import { decodeIkev2Message } from '../../racoon/ikev2/message.js';
import { policyPair } from '../scenarios/lab.js';
import { CA_EXT, kamePki, opensslAvailable, TestPki } from '../support/pki.js';
import { ikeLab, ip, settle, type IkeLab } from './ike-lab.js';
import { certConf, type CertSide } from './ikev2-conf.js';

const A = '192.0.2.1',
  B = '192.0.2.2';

/** Exchange type, R flag and the clear payload types of a datagram. */
function shape(d: { data: Uint8Array; sender: string }): string {
  const m = decodeIkev2Message(d.data).value;
  const r = m.header.flags & 0x20 ? 'response' : 'request';
  const p = m.payloads.map((x) => nameOf(IKEV2_PAYLOAD_NAMES, x.type)).join(',');
  return `${d.sender} ${nameOf(IKEV2_EXCHANGE_NAMES, m.header.exchangeType)} ${r} ${p}`;
}

const ikeStates = (lab: IkeLab, side: 'a' | 'b') => lab[side].racoon.ikev2.ikes.all().map((s) => s.state);
const logs = (l: IkeLab) => `--- a\n${l.a.log.join('\n')}\n--- b\n${l.b.log.join('\n')}`;

async function ping(lab: IkeLab): Promise<number> {
  const pings = lab.a.host.ping(B, { count: 2, intervalMs: 0 });
  await settle(8);
  lab.clock.advance(1000);
  return (await pings).length;
}

describe('exchange: IKEv2 certificate authentication (RSA, ECDSA, RFC 7427, CRLs)', function () {
  if (!opensslAvailable()) {
    it('skipped: the openssl command is not installed');
    return;
  }
  let pki: TestPki;
  let lab: IkeLab | undefined;
  const dn = (cn: string) => `C=JP, O=KAME, CN=${cn}`;

  before(function () {
    pki = kamePki(
      [
        ['a', 'rsa:2048'],
        ['b', 'rsa:2048'],
        ['gone', 'rsa:2048'],
        ['ec', 'ec:P-384'],
        ['pss', 'rsa-pss:2048'],
      ],
      ['gone'],
    );
  });
  after(() => pki?.cleanup());
  afterEach(() => lab?.close());

  const side = (me: string, peer: string, peerName: string, extra = ''): CertSide => ({
    peer,
    cert: pki.get(me).cert,
    key: pki.get(me).key,
    peerDn: dn(peerName),
    extra,
  });
  const lab2 = (a: CertSide, b: CertSide) =>
    ikeLab({
      confA: certConf(pki.path('certs'), a),
      confB: certConf(pki.path('certs'), b),
      policies: (ha, hb) => policyPair(ha, hb, `${A}/32`, `${B}/32`, [{ proto: 'esp' }]),
    });
  /** ACQUIRE at a, then IKE_SA_INIT both ways; `beforeAuth` may touch b's IKE SA before IKE_AUTH arrives. */
  async function negotiate(l: IkeLab, beforeAuth?: () => void): Promise<string[]> {
    const seen: string[] = [];
    l.a.host.sendEchoRequest(ip(B), 7, 1, new Uint8Array(32));
    await settle(8);
    for (let i = 0; i < 12 && l.queue.length > 0; i++) {
      if (i === 2) beforeAuth?.();
      seen.push(shape(await l.deliver()));
    }
    return seen;
  }

  it('initiator and responder: CERT + AUTH each way, chain verified with CRLs, child installed', async () => {
    const ca = `ca_type x509 "${pki.get('inter').cert}";`;
    lab = await lab2(side('a', B, 'b', ca), side('b', A, 'a', ca));
    const seen = await negotiate(lab);
    assert.deepEqual(ikeStates(lab, 'a'), ['established'], logs(lab));
    assert.deepEqual(ikeStates(lab, 'b'), ['established'], logs(lab));
    // The responder's CERTREQ goes in clear in IKE_SA_INIT (§1.2); both announce RFC 7427 hashes.
    assert.match(seen[1]!, /^b IKE_SA_INIT response SA,KE,Ni\/Nr,N,N,CERTREQ,N$/);
    assert.match(seen[0]!, /^a IKE_SA_INIT request SA,KE,Ni\/Nr,N,N,N$/);
    assert.equal(lab.a.racoon.ikev2.ikes.all()[0]!.peerSigHashes?.join(), '2,3,4');
    // RSA keys, the peer takes SHA-2: RFC 7427 with the strongest common hash, PKCS#1 v1.5 padding.
    for (const s of ['a', 'b'] as const)
      assert.ok(
        lab[s].log.some((l) => /signed with sha512WithRSAEncryption \(method 14\)/.test(l)),
        logs(lab),
      );
    assert.equal(await ping(lab), 2);
  });

  it('a peer that announces no SIGNATURE_HASH_ALGORITHMS gets RSA Digital Signature (method 1)', async () => {
    lab = await lab2(side('a', B, 'b'), side('b', A, 'a'));
    await negotiate(lab, () => {
      // b answers as if a had not sent the notify (an RFC 4306 peer): b must fall back to method 1.
      delete lab!.b.racoon.ikev2.ikes.all()[0]!.peerSigHashes;
    });
    assert.deepEqual(ikeStates(lab, 'a'), ['established'], logs(lab));
    assert.ok(
      lab.a.log.some((l) => /signed with RSA Digital Signature \(method 1\)/.test(l)),
      logs(lab),
    );
    assert.ok(lab.b.log.some((l) => /signed with sha512WithRSAEncryption \(method 14\)/.test(l)));
  });

  it('RFC 7427: b signs with the strongest hash a offers (SHA-384 only: sha384WithRSAEncryption)', async () => {
    lab = await lab2(side('a', B, 'b'), side('b', A, 'a'));
    await negotiate(lab, () => (lab!.b.racoon.ikev2.ikes.all()[0]!.peerSigHashes = [2, 3]));
    assert.deepEqual(ikeStates(lab, 'a'), ['established'], logs(lab));
    assert.ok(
      lab.a.log.some((l) => /signed with sha384WithRSAEncryption \(method 14\)/.test(l)),
      logs(lab),
    );
  });

  it('an ECDSA P-384 certificate signs with ecdsa-with-SHA384 under RFC 7427', async () => {
    lab = await lab2(side('ec', B, 'b'), side('b', A, 'ec'));
    await negotiate(lab);
    assert.deepEqual(ikeStates(lab, 'b'), ['established'], logs(lab));
    assert.ok(
      lab.b.log.some((l) => /signed with ecdsa-with-SHA384 \(method 14\)/.test(l)),
      logs(lab),
    );
    assert.equal(await ping(lab), 2);
  });

  it('rsa_pss on: an RSA key signs with RSASSA-PSS under RFC 7427; the peer verifies it', async () => {
    lab = await lab2(side('a', B, 'b', 'rsa_pss on;'), side('b', A, 'a'));
    await negotiate(lab);
    assert.deepEqual(ikeStates(lab, 'b'), ['established'], logs(lab));
    assert.ok(
      lab.b.log.some((l) => /signed with RSASSA-PSS SHA-512 \(method 14\)/.test(l)),
      logs(lab),
    );
    assert.ok(
      lab.a.log.some((l) => /signed with sha512WithRSAEncryption \(method 14\)/.test(l)),
      'b kept PKCS#1',
    );
    assert.equal(await ping(lab), 2);
  });

  it('an RSA-PSS key (id-RSASSA-PSS) signs with PSS without being asked; without RFC 7427 it cannot sign', async () => {
    lab = await lab2(side('pss', B, 'b'), side('b', A, 'pss'));
    await negotiate(lab);
    assert.deepEqual(ikeStates(lab, 'b'), ['established'], logs(lab));
    assert.ok(
      lab.b.log.some((l) => /signed with RSASSA-PSS SHA-512 \(method 14\)/.test(l)),
      logs(lab),
    );
    const key = createPrivateKey(readFileSync(pki.get('pss').key));
    assert.equal(key.asymmetricKeyType, 'rsa-pss');
    assert.throws(() => signWithKey(key, new Uint8Array(8), undefined), /signs only with RFC 7427 signatures/);
  });

  it('a revoked certificate is refused: AUTHENTICATION_FAILED, nothing in either kernel', async () => {
    lab = await lab2(side('gone', B, 'b'), side('b', A, 'gone'));
    await negotiate(lab);
    assert.deepEqual(ikeStates(lab, 'b'), [], logs(lab));
    assert.deepEqual(ikeStates(lab, 'a'), [], logs(lab));
    assert.ok(
      lab.b.log.some((l) => /certificate revoked\(23\) at depth:0 SubjectName:C=JP, O=KAME, CN=gone/.test(l)),
      logs(lab),
    );
    assert.ok(
      lab.a.log.some((l) => /AUTHENTICATION_FAILED/.test(l)),
      logs(lab),
    );
    assert.deepEqual(lab.b.host.sad.dump(), []);
    assert.equal(lab.a.host.sad.dump().filter((s) => s.state !== 'larval').length, 0);
  });

  it('a wrong identity is refused: DN not in peers_identifier, and an ID its certificate does not carry', async () => {
    lab = await lab2(side('a', B, 'b'), side('b', A, 'someone-else'));
    await negotiate(lab);
    assert.deepEqual(ikeStates(lab, 'b'), [], logs(lab));
    assert.ok(
      lab.b.log.some((l) => /identity not in peers_identifier/.test(l)),
      logs(lab),
    );
    lab.close();
    // a claims an FQDN its certificate has no subjectAltName for (RFC 4945 §3.1): refused by the certificate.
    const fqdn = side('a', B, 'b');
    lab = await ikeLab({
      confA: certConf(pki.path('certs'), fqdn).replace('my_identifier asn1dn;', 'my_identifier fqdn "a.example";'),
      confB: certConf(pki.path('certs'), side('b', A, 'a')).replace('verify_identifier on;', 'verify_identifier off;'),
      policies: (ha, hb) => policyPair(ha, hb, `${A}/32`, `${B}/32`, [{ proto: 'esp' }]),
    });
    await negotiate(lab);
    assert.deepEqual(ikeStates(lab, 'b'), [], logs(lab));
    assert.ok(
      lab.b.log.some((l) => /no proper subjectAltName \(no DNS name\)/.test(l)),
      logs(lab),
    );
  });

  it('a certificate signed by a CA we do not trust is refused', async () => {
    const other = new TestPki();
    try {
      other.issue('root', { key: 'rsa:2048', subj: '/C=JP/O=KAME/CN=root', ext: CA_EXT });
      other.issue('a', { key: 'rsa:2048', subj: '/C=JP/O=KAME/CN=a', issuer: 'root' });
      chmodSync(other.get('a').key, 0o600);
      lab = await lab2({ ...side('a', B, 'b'), cert: other.get('a').cert, key: other.get('a').key }, side('b', A, 'a'));
      await negotiate(lab);
      assert.deepEqual(ikeStates(lab, 'b'), [], logs(lab));
      assert.ok(
        lab.b.log.some((l) => /the peer's certificate is not verified/.test(l)),
        logs(lab),
      );
    } finally {
      other.cleanup();
    }
  });
});
