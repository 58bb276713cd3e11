// Names: the canonical hash against `openssl x509 -hash` (the file names of a hashed directory), racoon's
// asn1dn text against the DER `openssl req -subj` makes, formatting, and eay_cmp_asn1dn's `*` wildcards.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { decodeNameDer, matchNameWildcard, nameEquals, nameHash } from '../../../../racoon/cert/name.js';
import { formatName, NameTextError, parseNameText, splitNameText } from '../../../../racoon/cert/name-text.js';
import { decodeCertificates } from '../../../../racoon/cert/x509.js';
import { TestPki, opensslAvailable } from '../../../support/pki.js';

const SUBJECTS = [
  '/C=JP/O=KAME/CN=host.example',
  '/CN=  Mixed   Case  Name ',
  '/O=Ünïcödé Örg/CN=日本語',
  '/CN=a+OU=b/O=multi valued',
  '/emailAddress=ops@example.org/CN=mail',
  '/DC=org/DC=example/CN=dc',
  '/CN=comma\\, and \\+ plus',
];

describe('racoon/cert: names', function () {
  this.timeout(60_000);

  it('X509_NAME_hash and the subject text agree with openssl x509 for assorted subjects', function () {
    if (!opensslAvailable()) this.skip(); // openssl not installed
    const pki = new TestPki();
    try {
      SUBJECTS.forEach((subj, i) => {
        const { cert } = pki.issue(`n${i}`, { subj });
        const c = decodeCertificates(readFileSync(cert))[0]!;
        const hash = pki.run(['x509', '-in', cert, '-noout', '-hash']).trim();
        assert.equal(nameHash(c.subject), hash, subj);
        const theirs = pki
          .run(['x509', '-in', cert, '-noout', '-subject', '-nameopt', 'RFC2253,-esc_msb'])
          .replace(/\n$/, '');
        // RFC 2253 prints the RDNs last-first; ours are in certificate order, as racoon.conf writes them.
        const reversed = formatName(c.subject).split(', ').reverse().join(',');
        // (Within a multi-valued RDN openssl reverses the attributes too; only the hash is compared there.)
        if (!subj.includes('+')) assert.equal(`subject=${reversed}`, theirs.replace(/\\2C/g, '\\,'), subj);
      });
      // Case and blank runs do not change the canonical form (X509_NAME_cmp), hence not the hash.
      const a = decodeCertificates(readFileSync(pki.get('n1').cert))[0]!.subject;
      assert.ok(nameEquals(a, parseNameText('CN=mixed case name')));
      assert.equal(nameHash(a), nameHash(parseNameText('CN=MIXED CASE NAME')));
      // racoon's text form gives the DER that openssl req makes from the same attributes.
      const host = decodeCertificates(readFileSync(pki.get('n0').cert))[0]!.subject;
      assert.deepEqual(parseNameText('C=JP, O=KAME, CN=host.example').der, host.der);
      assert.deepEqual(parseNameText('C=JP/O=KAME/CN=host.example').der, host.der);
    } finally {
      pki.cleanup();
    }
  });

  it('splits racoon asn1dn text with its escapes (RFC 2253 characters and \\hex)', () => {
    assert.deepEqual(splitNameText('C=JP, O=KAME,  CN=a\\,b\\=c'), [
      ['C', 'JP'],
      ['O', 'KAME'],
      ['CN', 'a,b=c'],
    ]);
    assert.deepEqual(splitNameText('CN=x=y\\41'), [['CN', 'x=yA']]);
    assert.throws(() => splitNameText('/C=JP/O=KAME'), NameTextError); // racoon refuses a leading '/'
    assert.throws(() => splitNameText('CN'), NameTextError);
    assert.throws(() => splitNameText('CN=a\\q'), NameTextError);
    assert.throws(() => parseNameText('XX=1'), /unknown attribute 'XX'/);
    assert.throws(() => parseNameText('C=JPN'), /two-letter/);
    assert.equal(formatName(parseNameText('CN=a\\,b, O=\\#x ')), 'CN=a\\,b, O=\\#x\\ ');
  });

  it('matches peers_identifier wildcards as eay_cmp_asn1dn does', () => {
    const peer = parseNameText('C=JP, O=KAME, OU=Dev, CN=gw1.example');
    const m = (p: string): boolean => matchNameWildcard(parseNameText(p), peer);
    assert.ok(m('C=JP, O=KAME, OU=Dev, CN=gw1.example'));
    assert.ok(m('C=JP, O=kame, OU=dev, CN=GW1.EXAMPLE')); // canonical compare
    assert.ok(m('C=JP, O=KAME, OU=*, CN=*'));
    assert.ok(m('C=*, O=*, OU=*, CN=*'));
    assert.ok(!m('C=JP, O=KAME, OU=*')); // fewer attributes: the rest must still be equal
    assert.ok(!m('C=JP, O=KAME, CN=*, OU=Dev')); // a '*' only stands for a value of the same type
    assert.ok(!m('C=JP, O=WIDE, OU=*, CN=*'));
    assert.ok(!m('C=JP, O=KAME, OU=Dev, CN=gw1.example, CN=*'));
    // A '*' in the peer's name matches too (either side, as racoon).
    assert.ok(matchNameWildcard(peer, parseNameText('C=JP, O=KAME, OU=*, CN=gw1.example')));
  });

  it('refuses malformed Name DER with a ParseError', () => {
    assert.throws(() => decodeNameDer(Uint8Array.from([0x30, 0x03, 0x31, 0x00, 0x00])), { code: 'EPARSE' });
    assert.throws(() => decodeNameDer(Uint8Array.from([0x30, 0x05, 0x31, 0x03, 0x30, 0x01, 0x06])), { code: 'EPARSE' });
    assert.deepEqual(decodeNameDer(Uint8Array.from([0x30, 0x00])).avas, []);
  });
});
