// Interop: IKEv2 with certificates (RFC 7296 §2.15, RFC 7427) and IKE fragmentation (RFC 7383) between the
// shipped `uipsecd --tun` + `racoon` processes and strongSwan 5.9's charon with kernel-libipsec, on a link
// whose MTU is 1280. Both sides send a certificate chain (host + intermediate), so IKE_AUTH is larger than a
// datagram: it must go in SKF fragments, never in IP fragments. racoon initiates (ACQUIRE from a client's
// ping), then charon initiates (swanctl --initiate); each time a ping crosses the child SA both ways. Last,
// racoon restarted with `rsa_pss on` signs with RSASSA-PSS (RFC 7427, RFC 8247 §3.2) and charon verifies it;
// and both ends with ECDSA certificates (racoon P-256, charon P-384): each verifies the other's ECDSA AUTH.
//
//   client cu 10.93.1.2 ── gw u: uipsecd + racoon 198.51.102.1 ══ veth mtu 1280 ══ 198.51.102.2 gw s: charon ── cs
import { strict as assert } from 'node:assert';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Capture, countFrames, tsharkSkipReason } from '../../support/capture.js';
import { makeInteropNet, nsExec, type InteropNet } from '../../support/interop-net.js';
import { CA_EXT, opensslAvailable, TestPki } from '../../support/pki.js';
import { Charon, strongswanSkipReason } from '../../support/strongswan.js';
import { CHARON_PLUGINS, type SwanctlConf } from '../../support/swanctl-conf.js';
import { tunnelPolicies, UipsecNode } from '../../support/uipsec-node.js';

const DN_U = 'C=JP, O=KAME, CN=uipsec';
const DN_S = 'C=JP, O=KAME, CN=strongswan';
const MTU = 1280;

function racoonConf(pki: TestPki, peer: string, extra = '', host = 'uipsec'): string {
  return `path certificate "${pki.path('certs')}";
timer { counter 5; interval 2 sec; }
remote ${peer} {
  ike_version 2;
  nat_traversal force;   # libipsec installs ESP only in UDP (charon's encap = yes)
  ike_frag on;           # RFC 7383: IKEV2_FRAGMENTATION_SUPPORTED
  certificate_type x509 "${pki.path(`${host}-chain.pem`)}" "${pki.get(host).key}";
  ca_type x509 "${pki.get('root').cert}";
  my_identifier asn1dn;
  peers_identifier asn1dn "${DN_S}";
  verify_identifier on;
  ${extra}
  proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method rsasig; dh_group modp2048; }
}
sainfo anonymous {
  lifetime time 2 hour;
  encryption_algorithm aes 128;
  authentication_algorithm hmac_sha256;
  compression_algorithm deflate;
}`;
}

describe('interop: uipsecd --tun + racoon <-> strongSwan 5.9 charon (IKEv2 certificates, fragmentation, MTU 1280)', function () {
  this.timeout(400_000);
  const skip =
    strongswanSkipReason() ?? tsharkSkipReason() ?? (opensslAvailable() ? undefined : 'openssl not installed');
  let net: InteropNet;
  let dir = '';
  let pki: TestPki | undefined;
  let charon: Charon | undefined;
  let node: UipsecNode | undefined;

  before(async function () {
    if (skip) this.skip();
    pki = new TestPki();
    pki.issue('root', { key: 'rsa:2048', subj: '/C=JP/O=KAME/CN=root', ext: CA_EXT });
    pki.issue('inter', { key: 'rsa:3072', subj: '/C=JP/O=KAME/CN=inter', issuer: 'root', ca: true, ext: CA_EXT });
    for (const h of ['uipsec', 'strongswan']) {
      pki.issue(h, { key: 'rsa:3072', subj: `/C=JP/O=KAME/CN=${h}`, issuer: 'inter' });
      chmodSync(pki.get(h).key, 0o600);
    }
    // The same DNs with ECDSA keys, for the last test.
    for (const [h, key] of [
      ['uipsec-ec', 'ec:P-256'],
      ['strongswan-ec', 'ec:P-384'],
    ] as const) {
      pki.issue(h, { key, subj: `/C=JP/O=KAME/CN=${h.replace('-ec', '')}`, issuer: 'inter' });
      chmodSync(pki.get(h).key, 0o600);
    }
    pki.bundle('uipsec-chain.pem', [pki.get('uipsec').cert, pki.get('inter').cert]);
    pki.bundle('uipsec-ec-chain.pem', [pki.get('uipsec-ec').cert, pki.get('inter').cert]);
    const crls = [pki.crl('root', 'root.crl'), pki.crl('inter', 'inter.crl')];
    pki.hashDir('certs', [pki.get('root').cert, ...crls]); // the intermediate must come from charon's CERTs
    dir = mkdtempSync(join(tmpdir(), 'uipsec-swan-v2c-'));
    net = makeInteropNet('swv2c', { clients: true, outer: '198.51.102', innerU: '10.93.1', innerS: '10.93.2' });
    for (const [ns, ifname] of [
      [net.u, net.ifU],
      [net.s, net.ifS],
    ] as const) {
      const r = spawnSync('ip', ['-n', ns, 'link', 'set', ifname, 'mtu', String(MTU)], { timeout: 10_000 });
      assert.equal(r.status, 0, String(r.stderr));
    }
    charon = await Charon.start({
      ns: net.s,
      dir: join(dir, 'charon'),
      logLevels: { ike: 2, enc: 1, knl: 1 },
      charonSettings: `fragment_size = ${MTU}`,
      // MGF1 for RSASSA-PSS (gmp's PSS verification); openssl for the ECDSA keys and signatures (gmp has none)
      plugins: [...CHARON_PLUGINS, 'mgf1', 'openssl'],
    });
    const sw = charon.swanctlDir;
    copyFileSync(pki.get('strongswan').cert, join(sw, 'x509', 'strongswan.pem'));
    copyFileSync(pki.get('inter').cert, join(sw, 'x509ca', 'inter.pem')); // sent as an intermediate CERT
    copyFileSync(pki.get('root').cert, join(sw, 'x509ca', 'root.pem'));
    copyFileSync(pki.get('strongswan').key, join(sw, 'private', 'strongswan.key'));
    await charon.load(charonConf('strongswan'));
    node = await UipsecNode.start({
      ns: net.u,
      dir,
      setkey: tunnelPolicies(net),
      racoon: { conf: racoonConf(pki, net.addrS), psk: '' }, // no shared keys: certificates only
    });
  });

  after(async () => {
    await node?.stop();
    await charon?.stop();
    net?.destroy();
    pki?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** charon's one connection, signing with the certificate and key of `host` (copied into swanctl's dirs). */
  function charonConf(host: string): SwanctlConf {
    return {
      connections: [
        {
          name: 'uipsec',
          version: 2,
          localAddrs: [net.addrS],
          remoteAddrs: [net.addrU],
          fragmentation: 'yes',
          local: { auth: 'pubkey', id: DN_S, certs: [`${host}.pem`] },
          remote: { auth: 'pubkey', id: DN_U, cacerts: ['root.pem'] },
          children: [{ name: 'net', localTs: [net.innerNetS], remoteTs: [net.innerNetU] }],
        },
      ],
      secrets: [{ type: 'private', file: `${host}.key` }],
    };
  }

  function diagnostics(): string {
    return `\n--- uipsecd\n${node?.daemon.out.slice(-2000)}\n--- racoon\n${node?.racoon?.out.slice(-4000)}\n--- charon\n${charon?.log().slice(-5000)}`;
  }

  /** Pings client s from client u until one gets through (the first one may start the negotiation). */
  async function pingThrough(): Promise<boolean> {
    for (let i = 0; i < 30; i++) {
      const r = await nsExec(net.hostU, ['ping', '-c', '1', '-W', '2', net.innerS], 10_000);
      if (r.code === 0) return true;
    }
    return false;
  }

  /** IKE_AUTH in SKF fragments both ways, no IP fragment, every frame within the MTU. */
  function assertFragmentedIkeAuth(file: string): void {
    assert.equal(countFrames(file, 'ip.flags.mf == 1 || ip.frag_offset > 0'), 0, 'no IP fragments on the link');
    assert.equal(countFrames(file, `ip.len > ${MTU}`), 0, `no datagram over ${MTU} bytes`);
    const skf = (src: string) => countFrames(file, `isakmp.nextpayload == 53 && ip.src == ${src}`);
    assert.ok(skf(net.addrU) >= 2, `SKF fragments from racoon: ${skf(net.addrU)}${diagnostics()}`);
    assert.ok(skf(net.addrS) >= 2, `SKF fragments from charon: ${skf(net.addrS)}${diagnostics()}`);
  }

  async function assertCharonSa(initiator: boolean): Promise<void> {
    const sas = await charon!.listSas();
    const ike = sas.find((s) => s.children.some((c) => c.state === 'INSTALLED'));
    assert.ok(ike, `charon has an IKE SA with an installed child: ${JSON.stringify(sas)}${diagnostics()}`);
    assert.equal(ike.initiator, initiator);
    assert.match(charon!.log(), /authentication of 'C=JP, O=KAME, CN=uipsec' with RSA.* successful/);
  }

  it(
    skip ? `skipped: ${skip}` : 'racoon initiates: certificate chains both ways in SKF fragments; ping crosses',
    async () => {
      const file = join(dir, 'initiator.pcapng');
      const cap = await Capture.start(net.u, net.ifU, file, 'udp port 500 or udp port 4500');
      let ok: boolean;
      try {
        ok = await pingThrough();
      } finally {
        await cap.stop();
      }
      assert.ok(ok, `ping through the tunnel${diagnostics()}`);
      // charon took our SIGNATURE_HASH_ALGORITHMS: RFC 7427 with its RSA_EMSA_PKCS1_SHA2_256.
      assert.match(node!.racoon!.out, /IKEv2 peer .* signed with sha256WithRSAEncryption \(method 14\)/);
      await assertCharonSa(false);
      assertFragmentedIkeAuth(file);
    },
  );

  it(
    skip ? `skipped: ${skip}` : 'charon initiates (swanctl --initiate), racoon responds; fragments again',
    async () => {
      const t = await charon!.terminate({ ike: 'uipsec' });
      assert.ok(t.ok, t.out);
      for (let i = 0; i < 200 && node!.sad().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(node!.sad().length, 0, `racoon deleted the SAs on the peer’s DELETE${diagnostics()}`);
      const file = join(dir, 'responder.pcapng');
      const cap = await Capture.start(net.u, net.ifU, file, 'udp port 500 or udp port 4500');
      try {
        const init = await charon!.initiate({ child: 'net', timeoutSec: 60 });
        assert.ok(init.ok, `swanctl --initiate: ${init.out}${diagnostics()}`);
      } finally {
        await cap.stop();
      }
      assert.ok(await pingThrough(), `ping through the tunnel${diagnostics()}`);
      await assertCharonSa(true);
      assertFragmentedIkeAuth(file);
    },
  );

  it(
    skip ? `skipped: ${skip}` : 'rsa_pss on: racoon signs with RSASSA-PSS, charon verifies it; ping crosses',
    async () => {
      const t = await charon!.terminate({ ike: 'uipsec' });
      assert.ok(t.ok, t.out);
      await node!.stopRacoon();
      await node!.startRacoon({ conf: racoonConf(pki!, net.addrS, 'rsa_pss on;'), psk: '' });
      const init = await charon!.initiate({ child: 'net', timeoutSec: 60 });
      assert.ok(init.ok, `swanctl --initiate: ${init.out}${diagnostics()}`);
      assert.ok(await pingThrough(), `ping through the tunnel${diagnostics()}`);
      assert.match(charon!.log(), /authentication of 'C=JP, O=KAME, CN=uipsec' with RSA_EMSA_PSS.* successful/);
    },
  );

  it(
    skip
      ? `skipped: ${skip}`
      : 'ECDSA certificates both ways (racoon P-256, charon P-384): each verifies the other; ping crosses',
    async () => {
      const t = await charon!.terminate({ ike: 'uipsec' });
      assert.ok(t.ok, t.out);
      const sw = charon!.swanctlDir;
      copyFileSync(pki!.get('strongswan-ec').cert, join(sw, 'x509', 'strongswan-ec.pem'));
      copyFileSync(pki!.get('strongswan-ec').key, join(sw, 'private', 'strongswan-ec.key'));
      await charon!.load(charonConf('strongswan-ec'));
      await node!.stopRacoon();
      await node!.startRacoon({ conf: racoonConf(pki!, net.addrS, '', 'uipsec-ec'), psk: '' });
      const from = node!.racoon!.out.length;
      assert.ok(await pingThrough(), `ping through the tunnel${diagnostics()}`);
      // charon verified racoon's ECDSA signature (RFC 7427 ecdsa-with-SHA256, or RFC 4754 method 9) ...
      assert.match(charon!.log(), /authentication of 'C=JP, O=KAME, CN=uipsec' with ECDSA.* successful/);
      // ... and racoon charon's P-384 one: the IKE SA is up with charon's ECDSA certificate.
      const sas = await charon!.listSas();
      assert.ok(
        sas.some((x) => x.children.some((c) => c.state === 'INSTALLED')),
        `charon's child is installed: ${JSON.stringify(sas)}${diagnostics()}`,
      );
      assert.match(charon!.log(), /authentication of 'C=JP, O=KAME, CN=strongswan' \(myself\) with ECDSA.* successful/);
      assert.doesNotMatch(node!.racoon!.out.slice(from), /AUTHENTICATION_FAILED|signature .*(bad|fail)/i);
    },
  );
});
