// Interop of racoon's main mode with RSA signatures and X.509 certificates (RFC 2409 §5.1) and aggressive mode with
// a pre-shared key (§5.4) with strongSwan 5.9's charon (IKEv1, x509/pem/pkcs1 plugins, kernel-libipsec), the
// shipped `uipsecd --tun` and `racoon -F -d` as separate processes on one gateway, tunnel mode with forced NAT-T,
// a client namespace behind each gateway. Each mode with racoon as initiator (an ACQUIRE from the client's ping)
// and as responder (swanctl --initiate), the clients' pings passing each time, only IKE and ESP-in-UDP on the
// veth. The PKI (root CA > intermediate CA > two RSA hosts, CRLs) is made by `openssl ca` at test time; racoon
// reads the CAs and CRLs from an `openssl rehash` directory (`path certificate`), charon gets both CAs in x509ca/.
// Aggressive mode runs against charon's second address ADDR_AGG, which protects a second network behind it.
//
//   client cu 10.91.1.2 ── gw u: uipsecd + racoon 198.51.100.1 ══ veth ══ 198.51.100.2 (certs) gw s: charon ── client cs 10.91.2.2
//                                                                          198.51.100.3 (agg PSK)             and 10.91.3.2
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { Capture, tsharkSkipReason } from '../../support/capture.js';
import { makeInteropNet, type InteropNet } from '../../support/interop-net.js';
import { assertOnlyIkeAndEspInUdp, assertPings, pollUntil } from '../../support/interop-traffic.js';
import { opensslAvailable, TestPki } from '../../support/pki.js';
import { Charon, strongswanSkipReason } from '../../support/strongswan.js';
import { tunnelPolicies, UipsecNode } from '../../support/uipsec-node.js';

const SECRET = 'agg-interop-secret-41c7';
const ADDR_AGG = '198.51.100.3';
const NET_AGG = '10.91.3.0/24';
const INNER_AGG = '10.91.3.2';
const CA_EXT = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'];

function makePki(): TestPki {
  const pki = new TestPki();
  pki.issue('root', { key: 'rsa:2048', subj: '/C=JP/O=KAME/CN=root', ext: CA_EXT });
  pki.issue('inter', { key: 'rsa:2048', subj: '/C=JP/O=KAME/CN=inter', issuer: 'root', ca: true, ext: CA_EXT });
  for (const h of ['uipsec', 'strongswan']) {
    pki.issue(h, { key: 'rsa:2048', subj: `/C=JP/O=KAME/CN=${h}`, issuer: 'inter' });
    chmodSync(pki.get(h).key, 0o600);
  }
  const crls = [pki.crl('root', 'root.crl'), pki.crl('inter', 'inter.crl')];
  pki.hashDir('certs', [pki.get('root').cert, pki.get('inter').cert, ...crls]);
  return pki;
}

function racoonConf(pki: TestPki, net: InteropNet): string {
  return `path certificate "${pki.path('certs')}";
timer { counter 5; interval 2 sec; }
remote ${net.addrS} {
  exchange_mode main;
  nat_traversal force;
  certificate_type x509 "${pki.get('uipsec').cert}" "${pki.get('uipsec').key}";
  ca_type x509 "${pki.get('inter').cert}";
  my_identifier asn1dn;
  peers_identifier asn1dn "C=JP, O=KAME, CN=strongswan";
  verify_identifier on;
  proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method rsasig; dh_group modp2048; }
}
remote ${ADDR_AGG} {
  exchange_mode aggressive;
  nat_traversal force;
  my_identifier address;
  proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method pre_shared_key; dh_group modp2048; }
}
sainfo anonymous {
  lifetime time 2 hour;  # charon proposes 3960 s; proposal_check strict refuses a shorter responder lifetime
  encryption_algorithm aes 128;
  authentication_algorithm hmac_sha256;
  compression_algorithm deflate;
}`;
}

/** The certificate tunnel's policies, then the aggressive-mode one: our network <-> NET_AGG via ADDR_AGG. */
function policies(net: InteropNet): string {
  return `${tunnelPolicies(net)}spdadd ${net.innerNetU} ${NET_AGG} any -P out ipsec esp/tunnel/${net.addrU}-${ADDR_AGG}/require;
spdadd ${NET_AGG} ${net.innerNetU} any -P in ipsec esp/tunnel/${ADDR_AGG}-${net.addrU}/require;
`;
}

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
}

describe('interop: uipsecd --tun + racoon <-> strongSwan 5.9, main mode RSA signatures with a CA chain, aggressive mode PSK (libipsec)', function () {
  this.timeout(300_000);
  const skip =
    strongswanSkipReason() ?? tsharkSkipReason() ?? (opensslAvailable() ? undefined : 'openssl is not installed');
  let net: InteropNet;
  let pki: TestPki | undefined;
  let charon: Charon | undefined;
  let node: UipsecNode | undefined;

  async function startCharon(): Promise<Charon> {
    const c = await Charon.start({
      ns: net.s,
      dir: pki!.path('charon'),
      logLevels: { ike: 2, cfg: 2, knl: 1 },
      // strongSwan answers aggressive mode with a PSK only when told to (the exposure racoon warns of).
      charonSettings: 'i_dont_care_about_security_and_use_aggressive_mode_psk = yes',
    });
    copyFileSync(pki!.get('strongswan').cert, join(c.swanctlDir, 'x509', 'strongswan.pem'));
    copyFileSync(pki!.get('strongswan').key, join(c.swanctlDir, 'private', 'strongswan.key'));
    for (const ca of ['root', 'inter']) copyFileSync(pki!.get(ca).cert, join(c.swanctlDir, 'x509ca', `${ca}.pem`));
    const common = { version: 1 as const, remoteAddrs: [net.addrU] };
    await c.load({
      connections: [
        {
          ...common,
          name: 'uipsec',
          localAddrs: [net.addrS],
          local: { auth: 'pubkey', certs: ['strongswan.pem'] },
          remote: { auth: 'pubkey', id: 'C=JP, O=KAME, CN=uipsec' },
          children: [{ name: 'net', localTs: [net.innerNetS], remoteTs: [net.innerNetU] }],
        },
        {
          ...common,
          name: 'agg',
          aggressive: true,
          localAddrs: [ADDR_AGG],
          local: { auth: 'psk', id: ADDR_AGG },
          remote: { auth: 'psk', id: net.addrU },
          children: [{ name: 'agg-net', localTs: [NET_AGG], remoteTs: [net.innerNetU] }],
        },
      ],
      secrets: [{ type: 'ike', ids: [net.addrU, ADDR_AGG], secret: SECRET }],
    });
    return c;
  }

  before(async function () {
    if (skip) this.skip();
    pki = makePki();
    net = makeInteropNet('cert', { clients: true });
    // charon's second address, and a second network behind it (on the client, routed by gateway s, which needs
    // an address of its own in it: libipsec's route toward our network takes its source from the local selector).
    ip(['-n', net.s, 'addr', 'add', `${ADDR_AGG}/24`, 'dev', net.ifS]);
    ip(['-n', net.s, 'addr', 'add', '10.91.3.1/32', 'dev', 'lo']);
    ip(['-n', net.hostS, 'addr', 'add', `${INNER_AGG}/32`, 'dev', 'lo']);
    ip(['-n', net.s, 'route', 'add', NET_AGG, 'via', net.innerS]);
    charon = await startCharon();
    node = await UipsecNode.start({
      ns: net.u,
      dir: pki.path('nodes'),
      setkey: policies(net),
      racoon: { conf: racoonConf(pki, net), psk: `${ADDR_AGG}\t${SECRET}\n`, args: ['-d'] },
    });
  });

  after(async () => {
    await node?.stop();
    await charon?.stop();
    net?.destroy();
    pki?.cleanup();
  });

  const diag = () =>
    `\n--- racoon\n${node?.racoon?.out.slice(-3000)}\n--- charon\n${charon?.log().slice(-3000)}\n--- uipsecd\n${node?.daemon.out.slice(-1000)}`;
  const sasWith = (peer: string) => node!.sad().filter((sa) => sa['src'] === peer || sa['dst'] === peer).length;

  /** Pings client to client both ways (`to` behind charon, and from it) under a capture: only IKE and ESP-in-UDP. */
  async function pingsOnlyEsp(tag: string, peer: string, to: string, start: () => Promise<void>): Promise<void> {
    const cap = await Capture.start(net.u, net.ifU, pki!.path(`${tag}.pcapng`), 'ip');
    try {
      await start();
      await assertPings(net, { to }, diag());
      await assertPings(net, { from: 's', to: net.innerU, source: to }, diag());
    } finally {
      await cap.stop();
    }
    assertOnlyIkeAndEspInUdp(cap, { addrU: net.addrU, addrS: peer }, { minEsp: 10 });
    assert.equal(sasWith(peer), 2, `uipsec holds the pair with ${peer}: ${JSON.stringify(node!.sad())}`);
  }

  /** charon's Delete of `ike`, then racoon's SAs with `peer` gone; then swanctl --initiate of `child`. */
  async function charonRestarts(ike: string, child: string, peer: string): Promise<void> {
    const t = await charon!.terminate({ ike });
    assert.ok(t.ok, t.out);
    await pollUntil(
      () => `SAs with ${peer} left: ${JSON.stringify(node!.sad())}${diag()}`,
      () => sasWith(peer) === 0,
    );
    const init = await charon!.initiate({ child, timeoutSec: 30 });
    assert.ok(init.ok, `swanctl --initiate: ${init.out}${diag()}`);
  }

  /** racoon's log after its last `respond new phase 1 negotiation` with `peer` ('' when none). */
  const sinceResponse = (peer: string) => {
    const out = node!.racoon!.out;
    const at = out.lastIndexOf('respond new phase 1 negotiation');
    return at >= 0 && out.slice(at).split('\n')[0]!.includes(peer) ? out.slice(at) : '';
  };

  it(
    skip
      ? `skipped: ${skip}`
      : 'main mode, racoon initiates: CERT + SIG each way, both chains verified; pings pass in ESP only',
    async function () {
      await pingsOnlyEsp('mm-i', net.addrS, net.innerS, async () => {});
      assert.match(node!.racoon!.out, /initiate new phase 1 negotiation/);
      assert.match(node!.racoon!.out, /CERT validated/);
      assert.match(node!.racoon!.out, /ISAKMP-SA established/);
      const cl = charon!.log();
      assert.match(cl, /using trusted intermediate ca certificate "C=JP, O=KAME, CN=inter"/, diag());
      assert.match(cl, /authentication of 'C=JP, O=KAME, CN=uipsec' with RSA.* successful/, diag());
    },
  );

  it(
    skip ? `skipped: ${skip}` : 'main mode, charon initiates (swanctl --initiate), racoon responds; pings pass',
    async function () {
      await pingsOnlyEsp('mm-r', net.addrS, net.innerS, () => charonRestarts('uipsec', 'net', net.addrS));
      const mine = sinceResponse(net.addrS);
      assert.match(mine, /begin Identity Protection mode/, diag());
      assert.match(mine, /CERT validated/, diag());
      assert.match(mine, /IPsec-SA established/, diag());
      assert.equal((await charon!.listSas()).find((s) => s.name === 'uipsec')?.initiator, true);
    },
  );

  it(
    skip
      ? `skipped: ${skip}`
      : 'aggressive mode with a pre-shared key, racoon initiates (identity exposure warned); pings pass',
    async function () {
      await pingsOnlyEsp('agg-i', ADDR_AGG, INNER_AGG, async () => {});
      assert.match(node!.racoon!.out, /begin Aggressive mode/, diag());
      assert.match(node!.racoon!.out, /aggressive mode is not recommended/, 'racoon warned at start-up');
      assert.match(charon!.log(), /IKE_SA agg\[\d+\] established/, diag());
    },
  );

  it(
    skip ? `skipped: ${skip}` : 'aggressive mode with a pre-shared key, charon initiates, racoon responds; pings pass',
    async function () {
      await pingsOnlyEsp('agg-r', ADDR_AGG, INNER_AGG, () => charonRestarts('agg', 'agg-net', ADDR_AGG));
      assert.match(sinceResponse(ADDR_AGG), /begin Aggressive mode[^]*ISAKMP-SA established/, diag());
      // racoonctl -l show-sa isakmp (ipsec-tools' columns): status 9 (established), R(esponder), A(ggressive).
      const isakmp = node!.racoonctl(['-l', 'show-sa', 'isakmp']).out;
      assert.match(isakmp, new RegExp(`${ADDR_AGG.replace(/\./g, '\\.')}\\.\\d+ +\\S+ +9 R 10 A `), isakmp);
    },
  );
});
