// Fuzz (fixed seed, bounded) of everything in racoon/cert that reads a peer's or a file's bytes: the DER walker
// through certificates, CRLs, Names and CERT payloads, PEM, plainrsa text and asn1dn text. Any input gives a
// value or the module's typed error, never another exception; a mutated certificate that still decodes goes
// through verification and gives a result or a CertError. Valid certificates are also cross-checked field by
// field against Node's own X509Certificate (OpenSSL's parser).
import { strict as assert } from 'node:assert';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../../../common/errors.js';
import { decodeCertPayload } from '../../../../racoon/cert/cert-request.js';
import { decodeCrl } from '../../../../racoon/cert/crl.js';
import { CertError } from '../../../../racoon/cert/errors.js';
import { decodeNameDer } from '../../../../racoon/cert/name.js';
import { NameTextError, parseNameText } from '../../../../racoon/cert/name-text.js';
import { readPemBlocks } from '../../../../racoon/cert/pem.js';
import { parsePlainRsa } from '../../../../racoon/cert/plainrsa.js';
import { CertStore } from '../../../../racoon/cert/store.js';
import { verifyCertificate } from '../../../../racoon/cert/verify.js';
import { decodeCertificate, publicKeyOf } from '../../../../racoon/cert/x509.js';
import { prng } from '../../../support/prng.js';
import { formatAddr, parseAddr } from '../../../../common/inet.js';
import { TestPki, opensslAvailable } from '../../../support/pki.js';

const ROUNDS = 1500;

function mutate(rand: () => number, src: Uint8Array): Uint8Array {
  const b = new Uint8Array(src);
  const at = (): number => Math.floor(rand() * b.length);
  switch (Math.floor(rand() * 6)) {
    case 0:
      for (let i = 0; i < 1 + rand() * 4; i++) b[at()] = Math.floor(rand() * 256);
      return b;
    case 1:
      return b.subarray(0, at());
    case 2: {
      const i = at();
      return Uint8Array.from([
        ...b.subarray(0, i),
        ...Array.from({ length: 1 + rand() * 8 }, () => Math.floor(rand() * 256)),
        ...b.subarray(i),
      ]);
    }
    case 3: // a huge or indefinite length where a length octet was
      b[at()] = [0x80, 0x84, 0xff, 0x81][Math.floor(rand() * 4)]!;
      return b;
    case 4:
      b[at()]! ^= 1 << Math.floor(rand() * 8);
      return b;
    default:
      return Uint8Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256));
  }
}

const isParse = (e: unknown): boolean => (e as { code?: string }).code === 'EPARSE';

function expectTyped(
  fn: () => unknown,
  ok: (e: unknown) => boolean,
  what: string,
  input: Uint8Array | string,
): unknown {
  try {
    return fn();
  } catch (e) {
    if (!ok(e))
      assert.fail(`${what}: unexpected ${(e as Error).stack} for ${Buffer.from(input).toString('hex').slice(0, 200)}`);
    return undefined;
  }
}

describe('racoon/cert: fuzz (fixed seed, bounded)', function () {
  this.timeout(120_000);
  let pki: TestPki;
  const der = (f: string) => new Uint8Array(readPemBlocks(readFileSync(f, 'utf8'))[0]!.der);

  before(function () {
    if (!opensslAvailable()) this.skip(); // openssl not installed
    pki = new TestPki();
    pki.issue('ca', {
      key: 'rsa:2048',
      subj: '/C=JP/O=KAME/CN=Fuzz CA',
      ext: ['basicConstraints=critical,CA:TRUE,pathlen:2', 'keyUsage=keyCertSign,cRLSign', 'subjectKeyIdentifier=hash'],
      ca: true,
    });
    pki.issue('host', {
      key: 'ec:P-256',
      subj: '/O=KAME/OU=a+OU=b/CN=host',
      issuer: 'ca',
      ext: [
        'subjectAltName=DNS:h.example,IP:192.0.2.1,IP:2001:db8::5,email:x@y,URI:http://x/,dirName:dn',
        'authorityKeyIdentifier=keyid,issuer',
        'extendedKeyUsage=serverAuth',
        'crlDistributionPoints=URI:http://crl/',
        '[dn]',
        'CN=directory name',
      ],
    });
    pki.revoke('ca', 'host');
    pki.crl('ca', 'ca.crl');
  });
  after(() => pki?.cleanup());

  it('agrees with Node X509Certificate on valid certificates', () => {
    for (const n of ['ca', 'host']) {
      const pem = readFileSync(pki.get(n).cert);
      const node = new X509Certificate(pem);
      const ours = decodeCertificate(der(pki.get(n).cert));
      assert.equal(
        Buffer.from(ours.serial).toString('hex').toUpperCase().replace(/^0+/, ''),
        node.serialNumber.replace(/^0+/, ''),
      );
      assert.equal(new Date(ours.notBefore).getTime(), new Date(node.validFrom).getTime());
      assert.equal(new Date(ours.notAfter).getTime(), new Date(node.validTo).getTime());
      assert.equal(ours.basicConstraints?.ca ?? false, node.ca);
      assert.ok(publicKeyOf(ours).equals(node.publicKey));
      assert.ok(node.verify(publicKeyOf(decodeCertificate(der(pki.get('ca').cert)))));
      const norm = (s: string): string =>
        s.startsWith('IP Address:') ? `IP:${formatAddr(parseAddr(s.slice(11).toLowerCase())!)}` : s;
      const sans = (node.subjectAltName ?? '').split(', ').filter((s) => /^(DNS|IP Address|email):/.test(s));
      const mine = ours.subjectAltNames.flatMap((g) =>
        g.type === 'dns'
          ? [`DNS:${g.value}`]
          : g.type === 'ip'
            ? [`IP:${g.value}`]
            : g.type === 'email'
              ? [`email:${g.value}`]
              : [],
      );
      assert.deepEqual(mine, sans.map(norm));
      if (n === 'host')
        assert.deepEqual(
          ours.subjectAltNames.map((g) => g.type),
          ['dns', 'ip', 'ip', 'email', 'uri', 'dirName'],
        );
    }
  });

  it('certificates, CRLs, Names and CERT payloads: a value or a ParseError, and verification stays typed', () => {
    const rand = prng(0x5eed_ce27);
    const cert = der(pki.get('host').cert);
    const crl = der(pki.path('ca.crl'));
    const ca = decodeCertificate(der(pki.get('ca').cert));
    const store = new CertStore();
    store.addCertificate(ca);
    store.addCrl(decodeCrl(crl));
    const name = ca.subject.der;
    let decoded = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const c = mutate(rand, cert);
      const got = expectTyped(() => decodeCertificate(c), isParse, 'decodeCertificate', c) as
        ReturnType<typeof decodeCertificate> | undefined;
      if (got && decoded++ < 200) {
        expectTyped(
          () => verifyCertificate(got, store, { now: Date.UTC(2030, 0, 1) }),
          (e) => e instanceof CertError,
          'verify',
          c,
        );
      }
      const l = mutate(rand, crl);
      expectTyped(() => decodeCrl(l), isParse, 'decodeCrl', l);
      const nm = mutate(rand, name);
      expectTyped(() => decodeNameDer(nm), isParse, 'decodeNameDer', nm);
      const enc = [4, 7, 1, 12][i % 4]!;
      assert.ok(['cert', 'crl', 'unsupported', 'malformed'].includes(decodeCertPayload(enc, c).kind));
    }
    assert.ok(decoded > 0, 'some mutations (in the signature, for instance) still decode');
  });

  it('PEM, plainrsa and asn1dn text: a value or the typed error', () => {
    const rand = prng(0x7e47);
    const alphabet = ' \t\n:{}#/0123456789abcdefxsRSAPUBanyModulus.=+,\\*CNO"-BEGINEND';
    const pem = readFileSync(pki.get('host').cert, 'utf8');
    for (let i = 0; i < ROUNDS; i++) {
      const text = Array.from(
        { length: Math.floor(rand() * 80) },
        () => alphabet[Math.floor(rand() * alphabet.length)],
      ).join('');
      expectTyped(
        () => parsePlainRsa(text, 'f', rand() < 0.5),
        (e) => e instanceof ConfigError,
        'plainrsa',
        text,
      );
      expectTyped(
        () => parseNameText(text),
        (e) => e instanceof NameTextError,
        'asn1dn',
        text,
      );
      const cut = pem.slice(0, Math.floor(rand() * pem.length)) + text;
      expectTyped(() => readPemBlocks(cut), isParse, 'pem', cut);
    }
  });
});
