// Interop of racoon's IKEv2 with strongSwan 5.9's charon (kernel-libipsec) across the IKE and ESP suites two
// strongSwans negotiate here (with Debian's openssl, gcm, chapoly and curve25519 plugins loaded): AES-CBC with
// SHA-2 over MODP and over ECP, AES-GCM (RFC 5282 for IKE, RFC 4106 for ESP), ChaCha20-Poly1305 with Curve25519
// (RFC 7634, RFC 8031), 3DES-SHA1 with MODP-1024 (legacy). One topology; per suite charon's connection is
// reloaded and racoon restarted with the matching racoon.conf, then one IKE SA each way: racoon initiates (an
// ACQUIRE from the client's ping), charon's Delete ends it, charon initiates (swanctl --initiate). Every time
// charon reports the suite it negotiated (IKE and child), and the clients' pings cross the child both ways.
//
//   client cu 10.91.1.2 ── gw u: uipsecd + racoon 198.51.100.1 ══ veth ══ 198.51.100.2 gw s: charon ── client cs 10.91.2.2
import { strict as assert } from 'node:assert';
import { assertPings, pollUntil } from '../../support/interop-traffic.js';
import {
  CHARON_PLUGINS,
  CHARON_SUITE_PLUGINS,
  strongswanSkipReason,
  type SwanIkeSa,
} from '../../support/strongswan.js';
import { pskTunnel, SwanPair } from '../../support/swan-pair.js';

const SECRET = 'interop-suites-5d21';

interface Suite {
  title: string;
  /** charon's IKE and ESP proposals (swanctl.conf(5) keywords); the ESP one names the PFS group. */
  ike: string;
  esp: string;
  /** racoon.conf: the proposal block's algorithms and the sainfo's. */
  racoon: { encr: string; hash: string; dh: string; espEncr: string; espAuth: string };
  /** What `swanctl --list-sas` must show for the IKE SA and the child. */
  want: { encr: RegExp; integ?: RegExp; prf: RegExp; dh: RegExp; espEncr: RegExp; espInteg?: RegExp };
}

const SUITES: Suite[] = [
  {
    title: 'AES-CBC-256 / HMAC-SHA2-384 / MODP-3072',
    ike: 'aes256-sha384-modp3072',
    esp: 'aes256-sha384-modp3072',
    racoon: { encr: 'aes 256', hash: 'sha384', dh: 'modp3072', espEncr: 'aes 256', espAuth: 'hmac_sha384' },
    want: {
      encr: /AES_CBC/,
      integ: /HMAC_SHA2_384_192/,
      prf: /PRF_HMAC_SHA2_384/,
      dh: /MODP_3072/,
      espEncr: /AES_CBC/,
    },
  },
  {
    title: 'AES-CBC-128 / HMAC-SHA2-256 / ECP-256',
    ike: 'aes128-sha256-ecp256',
    esp: 'aes128-sha256-ecp256',
    racoon: { encr: 'aes 128', hash: 'sha256', dh: 'ecp256', espEncr: 'aes 128', espAuth: 'hmac_sha256' },
    want: { encr: /AES_CBC/, integ: /HMAC_SHA2_256_128/, prf: /PRF_HMAC_SHA2_256/, dh: /ECP_256/, espEncr: /AES_CBC/ },
  },
  {
    title: 'AES-GCM-16-256 / PRF-HMAC-SHA2-384 / ECP-384',
    ike: 'aes256gcm16-prfsha384-ecp384',
    esp: 'aes256gcm16-ecp384',
    racoon: { encr: 'aes_gcm_16 256', hash: 'sha384', dh: 'ecp384', espEncr: 'aes_gcm_16 256', espAuth: 'hmac_sha256' },
    want: { encr: /AES_GCM_16/, prf: /PRF_HMAC_SHA2_384/, dh: /ECP_384/, espEncr: /AES_GCM_16/ },
  },
  {
    title: 'ChaCha20-Poly1305 / PRF-HMAC-SHA2-256 / Curve25519',
    ike: 'chacha20poly1305-prfsha256-x25519',
    esp: 'chacha20poly1305-x25519',
    racoon: {
      encr: 'chacha20_poly1305',
      hash: 'sha256',
      dh: 'curve25519',
      espEncr: 'chacha20_poly1305',
      espAuth: 'hmac_sha256',
    },
    want: { encr: /CHACHA20_POLY1305/, prf: /PRF_HMAC_SHA2_256/, dh: /CURVE_25519/, espEncr: /CHACHA20_POLY1305/ },
  },
  {
    title: '3DES / HMAC-SHA1 / MODP-1024 (legacy)',
    ike: '3des-sha1-modp1024',
    esp: '3des-sha1-modp1024',
    racoon: { encr: '3des', hash: 'sha1', dh: 'modp1024', espEncr: '3des', espAuth: 'hmac_sha1' },
    want: { encr: /3DES_CBC/, integ: /HMAC_SHA1_96/, prf: /PRF_HMAC_SHA1/, dh: /MODP_1024/, espEncr: /3DES_CBC/ },
  },
];

function racoonConf(peer: string, s: Suite): string {
  const r = s.racoon;
  return `timer { counter 5; interval 2 sec; }
remote ${peer} {
  ike_version 2;
  nat_traversal force;   # libipsec installs ESP only in UDP: move to 4500 as charon's encap = yes does
  proposal { encryption_algorithm ${r.encr}; hash_algorithm ${r.hash}; authentication_method pre_shared_key; dh_group ${r.dh}; }
}
sainfo anonymous {
  lifetime time 2 hour;
  pfs_group ${r.dh};
  encryption_algorithm ${r.espEncr};
  authentication_algorithm ${r.espAuth};
  compression_algorithm deflate;
}`;
}

describe('interop: racoon IKEv2 <-> strongSwan 5.9 charon/libipsec, the suite matrix (shipped processes)', function () {
  this.timeout(600_000);
  const skip = strongswanSkipReason();
  let p: SwanPair | undefined;

  before(async function () {
    if (skip) this.skip();
    p = await SwanPair.start({
      tag: 'swv2s',
      charon: { plugins: [...CHARON_PLUGINS, ...CHARON_SUITE_PLUGINS], logLevels: { ike: 1, knl: 1 } },
    });
  });

  after(() => p?.stop());

  const diag = () => p!.diag();
  const ikeLines = () => p!.ikeLines();

  /** charon's connection for this suite, and racoon restarted with the matching racoon.conf. */
  async function configure(s: Suite): Promise<void> {
    const { net, charon, node } = p!;
    await charon.load(pskTunnel(net, { secret: SECRET, proposals: [s.ike], esp: [s.esp] }));
    await node.stopRacoon();
    await node.startRacoon({ conf: racoonConf(net.addrS, s), psk: `${net.addrS}\t${SECRET}\n` });
  }

  /** charon negotiated the suite: the IKE SA's transforms and the installed child's, both in UDP. */
  function assertSuite(sas: SwanIkeSa[], s: Suite): void {
    const ike = sas[0];
    assert.ok(ike && ike.version === 2 && ike.state === 'ESTABLISHED', JSON.stringify(sas));
    const f = ike.fields;
    assert.match(f['encr-alg'] ?? '', s.want.encr, JSON.stringify(f));
    if (s.want.integ) assert.match(f['integ-alg'] ?? '', s.want.integ, JSON.stringify(f));
    else assert.equal(f['integ-alg'], undefined, `an AEAD has no INTEG transform: ${JSON.stringify(f)}`);
    assert.match(f['prf-alg'] ?? '', s.want.prf, JSON.stringify(f));
    assert.match(f['dh-group'] ?? '', s.want.dh, JSON.stringify(f));
    const child = ike.children.find((c) => c.state === 'INSTALLED');
    assert.ok(child?.encap, `child installed in UDP: ${JSON.stringify(ike.children)}`);
    assert.match(child.fields['encr-alg'] ?? '', s.want.espEncr, JSON.stringify(child.fields));
    assert.ok(child.packetsIn > 0 && child.packetsOut > 0, `charon counted the pings: ${JSON.stringify(child)}`);
  }

  /** charon's Delete of the IKE SA; racoon removes it and the child's SAs. */
  async function terminate(): Promise<void> {
    const { charon, node } = p!;
    const t = await charon.terminate({ ike: 'uipsec' });
    assert.ok(t.ok, t.out);
    await pollUntil(
      () => `SAs left after charon's Delete: ${JSON.stringify(node.sad())}${diag()}`,
      () => node.sad().length === 0 && ikeLines().length === 0,
    );
  }

  for (const s of SUITES) {
    it(skip ? `skipped: ${skip}` : `${s.title}: racoon initiates, then charon; pings both ways each time`, async () => {
      const { net, charon } = p!;
      await configure(s);
      await assertPings(net, {}, diag());
      await assertPings(net, { from: 's' }, diag());
      let sas = await charon.listSas();
      assert.equal(sas[0]?.initiator, false, 'charon responded');
      assertSuite(sas, s);
      assert.match(ikeLines()[0] ?? '', / IKEv2 I established/, 'racoon initiated');
      await terminate();

      const init = await charon.initiate({ child: 'net', timeoutSec: 30 });
      assert.ok(init.ok, `swanctl --initiate: ${init.out}${diag()}`);
      await assertPings(net, {}, diag());
      await assertPings(net, { from: 's' }, diag());
      sas = await charon.listSas();
      assert.equal(sas[0]?.initiator, true, 'charon initiated');
      assertSuite(sas, s);
      assert.match(ikeLines()[0] ?? '', / IKEv2 R established/, 'racoon responded');
      await terminate();
    });
  }
});
