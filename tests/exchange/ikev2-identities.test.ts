// Exchange test of IKEv2 pre-shared-key identities (RFC 7296 §3.5, §2.15): my_identifier / peers_identifier of
// every type racoon.conf writes (address, fqdn, user_fqdn, keyid tag, keyid file, asn1dn) between two racoons,
// psk.txt searched by the peer's identity before its address (racoon getpsk), and an identity that is not
// the one configured refused with AUTHENTICATION_FAILED at both ends, the log saying why (§2.21.2).
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatIkev2Id } from '../../racoon/ikev2/payloads/id.js';
import { ikeLab, type IkeLab } from './ike-lab.js';
import { v2Conf } from './ikev2-conf.js';
import { A, B, childStates, esp, establish, ikeStates, logs, ping } from './ikev2-steps.js';

interface Row {
  name: string;
  /** my_identifier of a and of b (each end's peers_identifier names the other's). */
  a: string;
  b: string;
  /** The psk.txt identifier each end keys the other by; undefined: by address only. */
  keyA?: string;
  keyB?: string;
  /** How racoon prints the identity it received (formatIkev2Id). */
  seenA: RegExp;
}

const ids = (mine: string, peer: string) =>
  `my_identifier ${mine};\n  peers_identifier ${peer};\n  verify_identifier on;`;

describe('exchange: IKEv2 pre-shared-key identities and psk.txt lookup', function () {
  let lab: IkeLab;
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'uipsec-v2id-'));
    writeFileSync(join(dir, 'a.kid'), 'kid-of-a');
    writeFileSync(join(dir, 'b.kid'), 'kid-of-b');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => lab?.close());

  const rows = (): Row[] => [
    {
      name: 'address (not the outer one)',
      a: 'address 10.1.0.1',
      b: 'address 10.2.0.2',
      keyA: '10.1.0.1',
      keyB: '10.2.0.2',
      seenA: /^10\.1\.0\.1$/,
    },
    {
      name: 'fqdn',
      a: 'fqdn "a.example"',
      b: 'fqdn "b.example"',
      keyA: 'a.example',
      keyB: 'b.example',
      seenA: /^a\.example$/,
    },
    {
      name: 'user_fqdn',
      a: 'user_fqdn "alice@a.example"',
      b: 'user_fqdn "bob@b.example"',
      keyA: 'alice@a.example',
      keyB: 'bob@b.example',
      seenA: /^alice@a\.example$/,
    },
    {
      name: 'keyid tag',
      a: 'keyid tag "key-a"',
      b: 'keyid tag "key-b"',
      keyA: 'key-a',
      keyB: 'key-b',
      seenA: new RegExp(`^ID_KEY_ID:${hex('key-a')}$`),
    },
    {
      name: 'keyid file',
      a: `keyid file "${join(dir, 'a.kid')}"`,
      b: `keyid file "${join(dir, 'b.kid')}"`,
      keyA: 'kid-of-a',
      keyB: 'kid-of-b',
      seenA: new RegExp(`^ID_KEY_ID:${hex('kid-of-a')}$`),
    },
    // A DN has blanks, and a psk.txt identifier cannot: the key is found by the peer's address.
    {
      name: 'asn1dn (key by address)',
      a: 'asn1dn "C=JP, O=KAME, CN=a"',
      b: 'asn1dn "C=JP, O=KAME, CN=b"',
      seenA: /^ID_DER_ASN1_DN:/,
    },
  ];

  for (const i of [0, 1, 2, 3, 4, 5])
    it(`identity ${['address', 'fqdn', 'user_fqdn', 'keyid tag', 'keyid file', 'asn1dn'][i]}: found in psk.txt by identity, child carries traffic`, async () => {
      const r = rows()[i]!;
      const peerOf = (s: string) => (s.startsWith('asn1dn') ? 'asn1dn "C=JP, O=KAME, CN=*"' : s);
      lab = await ikeLab({
        confA: v2Conf(B, { extra: ids(r.a, peerOf(r.b)) }),
        confB: v2Conf(A, { extra: ids(r.b, peerOf(r.a)) }),
        // Each end finds the pair's key under the other's identity; a wrong key under its address is never used.
        pskA: r.keyB ? `${B} wrong-secret\n${r.keyB} pair-secret\n` : `${B} pair-secret\n`,
        pskB: r.keyA ? `${A} wrong-secret\n${r.keyA} pair-secret\n` : `${A} pair-secret\n`,
        policies: esp,
      });
      await establish(lab);
      assert.deepEqual(ikeStates(lab, 'b'), ['established'], logs(lab));
      assert.deepEqual(childStates(lab, 'b'), ['R:installed'], logs(lab));
      const atB = lab.b.racoon.ikev2.ikes.all()[0]!;
      assert.match(formatIkev2Id(atB.peerId!), r.seenA);
      assert.match(formatIkev2Id(lab.a.racoon.ikev2.ikes.all()[0]!.myId!), r.seenA);
      assert.equal(await ping(lab), 2);
    });

  it('a responder that does not know the identity: AUTHENTICATION_FAILED at both ends, nothing installed', async () => {
    lab = await ikeLab({
      confA: v2Conf(B, { extra: ids('fqdn "a.example"', 'fqdn "b.example"') }),
      confB: v2Conf(A, { extra: ids('fqdn "b.example"', 'fqdn "someone.example"') }),
      pskA: `b.example pair-secret\n`,
      pskB: `a.example pair-secret\n`,
      policies: esp,
    });
    lab.a.host.sendEchoRequest(new Uint8Array([192, 0, 2, 2]), 7, 1, new Uint8Array(8));
    await lab.run();
    assert.deepEqual(ikeStates(lab, 'a'), [], logs(lab));
    assert.deepEqual(ikeStates(lab, 'b'), [], logs(lab));
    assert.ok(
      lab.b.log.some((l) => /IKE_AUTH from 192\.0\.2\.1 \(a\.example\): identity not in peers_identifier/.test(l)),
      logs(lab),
    );
    assert.ok(
      lab.a.log.some((l) => /IKE_AUTH failed: .*AUTHENTICATION_FAILED/.test(l)),
      logs(lab),
    );
    assert.deepEqual(lab.b.host.sad.dump(), []);
    assert.equal(lab.a.host.sad.dump().filter((s) => s.state !== 'larval').length, 0);
  });

  it("an initiator that does not accept the responder's identity: AUTHENTICATION_FAILED at both ends", async () => {
    lab = await ikeLab({
      confA: v2Conf(B, { extra: ids('fqdn "a.example"', 'fqdn "b.example"') }),
      confB: v2Conf(A, { extra: 'my_identifier fqdn "mallory.example";' }),
      pskA: `b.example pair-secret\nmallory.example pair-secret\n`,
      pskB: `a.example pair-secret\n`,
      policies: esp,
    });
    lab.a.host.sendEchoRequest(new Uint8Array([192, 0, 2, 2]), 7, 1, new Uint8Array(8));
    await lab.run();
    assert.ok(
      lab.a.log.some((l) => /peer identity mallory\.example not in peers_identifier/.test(l)),
      logs(lab),
    );
    assert.deepEqual(ikeStates(lab, 'a'), [], logs(lab));
    // §2.21.2: the initiator says so in an INFORMATIONAL of its own; the responder drops the IKE SA and child.
    assert.deepEqual(ikeStates(lab, 'b'), [], logs(lab));
    assert.ok(
      lab.b.log.some((l) => /AUTHENTICATION_FAILED/.test(l)),
      logs(lab),
    );
    assert.deepEqual(lab.b.host.sad.dump(), []);
  });

  it('the right identity with the wrong key: AUTH does not verify, refused at both ends', async () => {
    lab = await ikeLab({
      confA: v2Conf(B, { extra: ids('fqdn "a.example"', 'fqdn "b.example"') }),
      confB: v2Conf(A, { extra: ids('fqdn "b.example"', 'fqdn "a.example"') }),
      pskA: `b.example one-secret\n`,
      pskB: `a.example another-secret\n`,
      policies: esp,
    });
    lab.a.host.sendEchoRequest(new Uint8Array([192, 0, 2, 2]), 7, 1, new Uint8Array(8));
    await lab.run();
    assert.deepEqual(ikeStates(lab, 'a'), [], logs(lab));
    assert.deepEqual(ikeStates(lab, 'b'), [], logs(lab));
    assert.ok(
      lab.b.log.some((l) => /\(a\.example\): AUTH does not verify \(wrong pre-shared key\?\)/.test(l)),
      logs(lab),
    );
    assert.ok(
      lab.a.log.some((l) => /AUTHENTICATION_FAILED/.test(l)),
      logs(lab),
    );
    assert.ok(!logs(lab).includes('one-secret') && !logs(lab).includes('another-secret'), 'no key in a log');
  });

  it('no psk.txt entry for the identity or the address: the responder refuses and says which', async () => {
    lab = await ikeLab({
      confA: v2Conf(B, { extra: ids('fqdn "a.example"', 'fqdn "b.example"') }),
      confB: v2Conf(A, { extra: ids('fqdn "b.example"', 'fqdn "a.example"') }),
      pskA: `b.example pair-secret\n`,
      pskB: `c.example pair-secret\n`,
      policies: esp,
    });
    lab.a.host.sendEchoRequest(new Uint8Array([192, 0, 2, 2]), 7, 1, new Uint8Array(8));
    await lab.run();
    assert.deepEqual(ikeStates(lab, 'b'), [], logs(lab));
    assert.ok(
      lab.b.log.some((l) => /\(a\.example\): AUTH does not verify/.test(l)),
      logs(lab),
    );
    assert.ok(
      lab.a.log.some((l) => /AUTHENTICATION_FAILED/.test(l)),
      logs(lab),
    );
  });
});

function hex(s: string): string {
  return Buffer.from(s).toString('hex');
}
