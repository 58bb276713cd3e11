// Exchange test: RSA-signature authentication (RFC 2409 §5.1) and aggressive mode (§5.4) between two racoons and
// two kernels in one process (ike-lab). The PKI is made with the `openssl` command at test time: a root CA, an
// intermediate CA and two RSA host certificates, with the CAs and CRLs in an `openssl rehash` directory named by
// `path certificate`, as racoon reads it.
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { policyPair } from '../scenarios/lab.js';
import * as C from '../../racoon/isakmp/constants.js';
import { decodeIsakmpMessage } from '../../racoon/isakmp/message.js';
import { kamePki, opensslAvailable, plainRsaFromOpenssl, TestPki } from '../support/pki.js';
import { ikeLab, ip, settle, type IkeLab } from './ike-lab.js';
import { prng } from '../support/prng.js';

const A = '192.0.2.1',
  B = '192.0.2.2';

interface Side {
  peer: string;
  cert: string;
  key: string;
  peerDn: string;
  mode?: string;
  auth?: string;
  extra?: string;
}

function conf(pki: TestPki, s: Side): string {
  const auth = s.auth === 'rsasig_plain' ? 'rsasig' : (s.auth ?? 'rsasig');
  const certs =
    s.auth === undefined || s.auth === 'rsasig'
      ? `certificate_type x509 "${s.cert}" "${s.key}";
  my_identifier asn1dn;
  peers_identifier asn1dn "${s.peerDn}";
  verify_identifier on;`
      : '';
  return `path certificate "${pki.path('certs')}";
timer { counter 3; interval 10 sec; phase1 30 sec; }
remote ${s.peer} {
  exchange_mode ${s.mode ?? 'main'};
  ${certs}
  ${s.extra ?? ''}
  proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method ${auth}; dh_group modp2048; }
}
sainfo anonymous { encryption_algorithm aes 128; authentication_algorithm hmac_sha256; compression_algorithm deflate; }
`;
}

/** The exchange type and payload types of each clear message a side sent, in order. */
function shapes(sent: { data: Uint8Array; sender: string }[]): string[] {
  return sent.map((d) => {
    const m = decodeIsakmpMessage(d.data).value;
    const pl = m.encrypted ? 'encrypted' : m.payloads.map((p) => C.nameOf(C.ISAKMP_NPTYPE_NAMES, p.type)).join(',');
    return `${d.sender} ${C.nameOf(C.ISAKMP_ETYPE_NAMES, m.header.etype)} ${pl}`;
  });
}

async function negotiate(lab: IkeLab): Promise<{ data: Uint8Array; sender: string }[]> {
  const seen: { data: Uint8Array; sender: string }[] = [];
  lab.a.host.sendEchoRequest(ip(B), 7, 1, new Uint8Array(32));
  await settle(8);
  for (let i = 0; i < 20 && lab.queue.length > 0; i++) seen.push(await lab.deliver());
  return seen;
}

const established = (lab: IkeLab, side: 'a' | 'b') =>
  [...lab[side].racoon.ph2s].filter((p) => p.state === 'established').length;

describe('exchange: RSA signatures with a CA chain and CRLs, aggressive mode', function () {
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
      ],
      ['gone'],
    );
  });
  after(() => pki?.cleanup());
  afterEach(() => lab?.close());

  const side = (me: string, peer: string, peerName: string, o: Partial<Side> = {}): Side => ({
    peer,
    cert: pki.get(me).cert,
    key: pki.get(me).key,
    peerDn: dn(peerName),
    ...o,
  });
  const lab2 = (a: Side, b: Side) =>
    ikeLab({
      confA: conf(pki, a),
      confB: conf(pki, b),
      pskA: `${B} agg-secret\n`,
      pskB: `${A} agg-secret\n`,
      policies: (ha, hb) => policyPair(ha, hb, `${A}/32`, `${B}/32`, [{ proto: 'esp' }]),
    });
  const logs = (l: IkeLab) => `${l.a.log.join('\n')}\n---\n${l.b.log.join('\n')}`;

  it('main mode: CERT + SIG each way, chain root > inter > host verified with CRLs, then quick mode', async () => {
    lab = await lab2(side('a', B, 'b'), side('b', A, 'a'));
    const sent = await negotiate(lab);
    assert.equal(established(lab, 'a'), 1, logs(lab));
    assert.equal(established(lab, 'b'), 1, logs(lab));
    // Without ca_type or peers_certfile racoon has no CA to name: no CR (oakley_append_rmconf_cr).
    assert.deepEqual(shapes(sent).slice(0, 4), [
      'a ident sa,vid',
      'b ident sa,vid',
      'a ident ke,nonce',
      'b ident ke,nonce',
    ]);
    assert.ok(
      lab.b.log.some((l) => /CERT validated/.test(l)),
      logs(lab),
    );
    assert.ok(lab.a.log.some((l) => /ISAKMP-SA established 192\.0\.2\.1\[500\]-192\.0\.2\.2\[500\]/.test(l)));
  });

  it('main mode with ca_type: the responder sends its CR in clear (message 4), the initiator in message 5', async () => {
    const ca = `ca_type x509 "${pki.get('inter').cert}";`;
    lab = await lab2(side('a', B, 'b', { extra: ca }), side('b', A, 'a', { extra: ca }));
    const sent = await negotiate(lab);
    assert.equal(established(lab, 'b'), 1, logs(lab));
    assert.deepEqual(shapes(sent).slice(2, 4), ['a ident ke,nonce', 'b ident ke,nonce,cr']);
  });

  it('a revoked certificate is refused with a log line naming it; no SA is made', async () => {
    lab = await lab2(side('gone', B, 'b'), side('b', A, 'gone'));
    await negotiate(lab);
    assert.equal(established(lab, 'b'), 0);
    assert.equal(established(lab, 'a'), 0);
    const line = lab.b.log.find((l) => /certificate revoked/.test(l));
    assert.ok(line, logs(lab));
    assert.match(line, /certificate revoked\(23\) at depth:0 SubjectName:C=JP, O=KAME, CN=gone/);
    assert.ok(
      lab.b.log.some((l) => /the peer's certificate is not verified/.test(l)),
      logs(lab),
    );
    assert.deepEqual(lab.b.host.sad.dump(), []);
  });

  it('a peer whose DN is not the peers_identifier is refused (verify_identifier on)', async () => {
    lab = await lab2(side('a', B, 'b'), side('b', A, 'someone-else'));
    await negotiate(lab);
    assert.equal(established(lab, 'b'), 0);
    assert.ok(
      lab.b.log.some((l) => /peers_identifier/.test(l)),
      logs(lab),
    );
  });

  it('aggressive mode with RSA signatures: three messages, CERT + SIG, then quick mode', async () => {
    lab = await lab2(side('a', B, 'b', { mode: 'aggressive' }), side('b', A, 'a', { mode: 'aggressive' }));
    const sent = await negotiate(lab);
    assert.equal(established(lab, 'a'), 1, logs(lab));
    assert.equal(established(lab, 'b'), 1, logs(lab));
    assert.deepEqual(shapes(sent).slice(0, 3), [
      'a agg sa,ke,nonce,id',
      'b agg sa,ke,nonce,id,cert,sig',
      'a agg cert,sig',
    ]);
  });

  it('aggressive mode with a pre-shared key: HASH_R in message 2, HASH_I in message 3', async () => {
    const psk = { mode: 'aggressive', auth: 'pre_shared_key' };
    lab = await lab2(side('a', B, 'b', psk), side('b', A, 'a', psk));
    const sent = await negotiate(lab);
    assert.equal(established(lab, 'b'), 1, logs(lab));
    assert.deepEqual(shapes(sent).slice(0, 3), ['a agg sa,ke,nonce,id', 'b agg sa,ke,nonce,id,hash', 'a agg hash']);
  });

  it('aggressive mode with a wrong pre-shared key fails at the initiator (HASH_R mismatched)', async () => {
    const psk = { mode: 'aggressive', auth: 'pre_shared_key' };
    lab = await ikeLab({
      confA: conf(pki, side('a', B, 'b', psk)),
      confB: conf(pki, side('b', A, 'a', psk)),
      pskA: `${B} one-secret\n`,
      pskB: `${A} another-secret\n`,
      policies: (ha, hb) => policyPair(ha, hb, `${A}/32`, `${B}/32`, [{ proto: 'esp' }]),
    });
    await negotiate(lab);
    assert.equal(established(lab, 'a'), 0);
    assert.ok(
      lab.a.log.some((l) => /HASH mismatched/.test(l)),
      logs(lab),
    );
  });

  it('plain RSA keys (plainrsa-gen files): SIG only, no CERT or CR, keys chosen by address scope', async () => {
    const a = plainRsaFromOpenssl(pki, pki.get('a').key);
    const b = plainRsaFromOpenssl(pki, pki.get('b').key);
    // rsa_lookup_keys for the peer's key matches SRC against the peer and DST against us; a key scoped to
    // another destination comes first in the file and must not be chosen.
    const files = (me: string, myAddr: string, priv: string, peer: string, pub: string, decoy: string) => {
      writeFileSync(pki.path(`${me}.rsa`), priv, { mode: 0o600 });
      writeFileSync(pki.path(`${me}-peers.rsa`), `198.51.100.7 : PUB ${decoy}\n${peer} ${myAddr} : PUB ${pub}\n`);
      return `certificate_type plain_rsa "${pki.path(`${me}.rsa`)}";
  peers_certfile plain_rsa "${pki.path(`${me}-peers.rsa`)}";`;
    };
    const plain = (me: string, myAddr: string, peer: string, priv: string, pub: string, decoy: string): Side => ({
      peer,
      cert: '',
      key: '',
      peerDn: '',
      auth: 'rsasig_plain',
      extra: files(me, myAddr, priv, peer, pub, decoy),
    });
    lab = await lab2(plain('a', A, B, a.priv, b.pub, a.pub), plain('b', B, A, b.priv, a.pub, b.pub));
    const sent = await negotiate(lab);
    assert.equal(established(lab, 'b'), 1, logs(lab));
    assert.equal(established(lab, 'a'), 1, logs(lab));
    assert.deepEqual(shapes(sent).slice(2, 4), ['a ident ke,nonce', 'b ident ke,nonce']);
  });

  it('fuzz (seed 1307, 40 rounds): a mutated aggressive message 2 (clear SA, KE, ID, CERT, SIG) never establishes', async () => {
    const rand = prng(1307);
    const agg = { mode: 'aggressive' };
    for (let round = 0; round < 40; round++) {
      lab = await lab2(side('a', B, 'b', agg), side('b', A, 'a', agg));
      lab.a.host.sendEchoRequest(ip(B), 7, 1, new Uint8Array(8));
      await settle(8);
      await lab.deliver(); // message 1 to b; b queues message 2 with its CERT and SIG in clear
      const d = lab.queue[0]!;
      const orig = d.data.slice();
      // Flip 1-4 bytes past the ISAKMP header (28 octets): lengths, the certificate's DER or the signature.
      for (let n = 1 + Math.floor(rand() * 4); n > 0; n--) {
        const at = 28 + Math.floor(rand() * (d.data.length - 28));
        d.data[at] = d.data[at]! ^ (1 + Math.floor(rand() * 255));
      }
      await lab.run();
      const changed = !Buffer.from(orig).equals(Buffer.from(d.data));
      if (changed) assert.equal(established(lab, 'a'), 0, `round ${round}: a mutated message 2 was accepted`);
      assert.ok(lab.a.racoon.ph1s.size <= 1, `round ${round}: bounded state`);
      lab.close();
      lab = undefined;
    }
  });
});
