// Interop of racoon's XAuth and mode config (draft-beaulieu-ike-xauth-02, draft-ietf-ipsec-isakmp-mode-cfg-05)
// with strongSwan 5.9's charon (IKEv1, kernel-libipsec: tunnel mode in UDP 4500 only, forced with `encap = yes`),
// the shipped `uipsecd --tun` and `racoon -F` as separate processes on gateway u, a client namespace behind it:
// - charon is the roadwarrior (XAuth client with `xauth_id`, `vips = 0.0.0.0`: it pulls an address), racoon the
//   server (`xauth_psk_server`, a mode_cfg pool, `auth_source system` with the user in psk.txt,
//   `generate_policy on`): charon gets 10.77.0.10 from racoon's pool, pings and TCP from that address reach the
//   client behind racoon, tshark on the veth sees only IKE and ESP-in-UDP; a wrong password is refused; and the
//   same with hybrid RSA (racoon `hybrid_rsa_server` signs with a certificate charon checks, charon logs in);
// - racoon is the roadwarrior (`xauth_psk_client`, `mode_cfg on`, `xauth_login`), charon the server (a vici
//   pool, the xauth-generic back-end): racoon gets 10.78.0.1, its phase1_up script puts it on lo and adds the
//   policies with setkey, pings and TCP pass the same way; a wrong password is refused.
//
//   client cu 10.91.1.2 ── gw u: uipsecd + racoon 198.51.100.1 ══ veth ══ 198.51.100.2 gw s: charon ── client cs 10.91.2.2
import { strict as assert } from 'node:assert';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Capture, tsharkSkipReason } from '../../support/capture.js';
import { makeInteropNet, nsExec, type InteropNet } from '../../support/interop-net.js';
import { assertOnlyIkeAndEspInUdp, pollUntil } from '../../support/interop-traffic.js';
import { iperfSkipReason, runIperf } from '../../support/iperf.js';
import { opensslAvailable, TestPki } from '../../support/pki.js';
import {
  Charon,
  CHARON_PLUGINS,
  strongswanSkipReason,
  swanctlConf,
  type SwanctlConf,
} from '../../support/strongswan.js';
import { UipsecNode } from '../../support/uipsec-node.js';
import { compiled, programArgs, repoRoot } from '../../e2e/support.js';

const GROUP_SECRET = 'interop-group-5c1e';
const USER = 'alice';
const PASSWORD = 'wonderland-77';
const XAUTH_GENERIC = '/usr/lib/ipsec/plugins/libstrongswan-xauth-generic.so';
/** charon's plugins plus its XAuth back-end (client and server: passwords from swanctl.conf secrets). */
const PLUGINS = [...CHARON_PLUGINS, 'xauth-generic'];
const CA_EXT = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'];

const PROPOSAL = (method: string) =>
  `proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method ${method}; dh_group modp2048; }`;
const SAINFO = `sainfo anonymous {
  lifetime time 2 hour;  # charon proposes 3960 s; proposal_check strict refuses a shorter responder lifetime
  encryption_algorithm aes 128;
  authentication_algorithm hmac_sha256;
  compression_algorithm deflate;
}`;

function skipReason(): string | undefined {
  const why = strongswanSkipReason() ?? tsharkSkipReason() ?? iperfSkipReason();
  if (why) return why;
  if (!existsSync(XAUTH_GENERIC)) return 'strongSwan xauth-generic plugin missing (apt: libcharon-extauth-plugins)';
  return undefined;
}

describe('interop: uipsecd --tun + racoon <-> strongSwan 5.9, XAuth + mode config roadwarrior (IKEv1, libipsec)', function () {
  this.timeout(300_000);
  const skip = skipReason();
  const t = (title: string) => (skip ? `skipped: ${skip}` : title);
  let net: InteropNet;
  let dir = '';
  let charon: Charon | undefined;
  let node: UipsecNode | undefined;

  before(function () {
    if (skip) this.skip();
    dir = mkdtempSync(join(tmpdir(), 'uipsec-swanxa-'));
    net = makeInteropNet('xaut', { clients: true });
  });

  afterEach(async () => {
    await node?.stop();
    await charon?.stop();
    node = charon = undefined;
  });

  after(() => {
    net?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const diag = () =>
    `\n--- uipsecd\n${node?.daemon.out.slice(-1500)}\n--- racoon\n${node?.racoon?.out.slice(-3500)}\n--- charon\n${charon?.log().slice(-4000)}`;

  /** Pings `to` from `from` in namespace `ns` (single tries while the SAs come up, then 5 counted). */
  async function ping(ns: string, from: string, to: string, tries = 20): Promise<{ ok: boolean; out: string }> {
    let out = '';
    for (let i = 0; i < tries; i++) {
      const r = await nsExec(ns, ['ping', '-n', '-I', from, '-c', '1', '-W', '1', to], 15_000);
      out = r.out + r.err;
      if (r.code === 0) break;
    }
    const r = await nsExec(ns, ['ping', '-n', '-I', from, '-c', '5', '-i', '0.2', '-W', '2', to], 30_000);
    return { ok: /5 packets transmitted, 5 received/.test(r.out), out: `${out}\n${r.out}${r.err}` };
  }

  // ---- charon the roadwarrior, racoon the server ----

  const serverConf = `mode_cfg {
  network4 10.77.0.10; netmask4 255.255.255.0; pool_size 4;
  dns4 10.77.0.53; split_network include ${'10.91.1.0/24'};
  auth_source system; auth_throttle 1;
}
timer { counter 5; interval 2 sec; }
remote anonymous {
  exchange_mode main;
  nat_traversal on;      # charon's encap = yes fakes a NAT: both float to 4500 (libipsec has only ESP-in-UDP)
  generate_policy on;    # the roadwarrior's address is known only once mode config gave it
  passive on;
  ${PROPOSAL('xauth_psk_server')}
}
${SAINFO}`;

  function charonClient(password: string): SwanctlConf {
    return {
      connections: [
        {
          name: 'rw',
          version: 1,
          localAddrs: [net.addrS],
          remoteAddrs: [net.addrU],
          local: [
            { auth: 'psk', id: net.addrS },
            { auth: 'xauth', extra: { xauth_id: USER } },
          ],
          remote: { auth: 'psk', id: net.addrU },
          children: [{ name: 'net', remoteTs: [net.innerNetU] }],
          extra: { vips: '0.0.0.0' },
        },
      ],
      secrets: [
        { type: 'ike', ids: [net.addrU, net.addrS], secret: GROUP_SECRET },
        { type: 'xauth', ids: [USER], secret: password },
      ],
    };
  }

  async function startServerPair(password: string): Promise<void> {
    charon = await Charon.start({
      ns: net.s,
      dir: join(dir, `charon-${password.length}`),
      plugins: PLUGINS,
      logLevels: { ike: 2, cfg: 2, knl: 1 },
    });
    await charon.load(charonClient(password));
    node = await UipsecNode.start({
      ns: net.u,
      dir,
      name: `srv-${password.length}`,
      setkey: 'flush;\nspdflush;\n',
      racoon: { conf: serverConf, psk: `${net.addrS}\t${GROUP_SECRET}\n${USER}\t${PASSWORD}\n` },
    });
  }

  it(
    t('charon logs in to racoon, gets 10.77.0.10 from its pool; ping and TCP from it pass in ESP-in-UDP only'),
    async function () {
      await startServerPair(PASSWORD);
      const cap = await Capture.start(net.u, net.ifU, join(dir, 'server.pcapng'), 'ip');
      let pinged: { ok: boolean; out: string };
      try {
        const init = await charon!.initiate({ child: 'net', timeoutSec: 60 });
        assert.ok(init.ok, `swanctl --initiate: ${init.out}${diag()}`);
        pinged = await ping(net.s, '10.77.0.10', net.innerU);
        const tcp = await runIperf({
          serverNs: net.hostU,
          serverAddr: net.innerU,
          clientNs: net.s,
          clientAddr: '10.77.0.10',
          seconds: 2,
        });
        assert.ok(tcp.bytes > 50_000, `TCP through the tunnel: ${tcp.bytes} bytes${diag()}`);
      } finally {
        await cap.stop();
      }
      assert.ok(pinged.ok, `ping from the virtual address: ${pinged.out}${diag()}`);
      const cl = charon!.log();
      assert.match(cl, /installing new virtual IP 10\.77\.0\.10/, diag());
      assert.match(cl, /XAuth authentication of 'alice' \(myself\) successful/);
      assert.match(node!.racoon!.out, /login succeeded for user "alice"/);
      assert.match(node!.racoon!.out, /mode config: address 10\.77\.0\.10 given to 198\.51\.100\.2/);
      const sas = await charon!.listSas();
      const child = sas.flatMap((s) => s.children).find((c) => c.state === 'INSTALLED');
      assert.ok(child, JSON.stringify(sas));
      assert.deepEqual(child.localTs, ['10.77.0.10/32']);
      assert.deepEqual(child.remoteTs, [net.innerNetU]);
      assert.equal(child.encap, true);
      // generate_policy: racoon put the roadwarrior's policies in the SPD.
      const spd = node!.setkey(['-DP']).out;
      assert.match(spd, /10\.77\.0\.10(\/32)?(\[any\])? 10\.91\.1\.0\/24/, spd);
      assertOnlyIkeAndEspInUdp(cap, net, { minEsp: 5, minIke: 3 });
      assert.doesNotMatch(node!.racoon!.out + node!.daemon.out, new RegExp(PASSWORD));
    },
  );

  it(t('a wrong password: racoon refuses the login, charon gets no address and no CHILD_SA'), async function () {
    await startServerPair('not-the-password');
    const init = await charon!.initiate({ child: 'net', timeoutSec: 30 });
    assert.equal(init.ok, false, init.out);
    await pollUntil(diag, () => /login failed for user "alice"/.test(node!.racoon!.out));
    await charon!.waitLog(/XAuth authentication of 'alice' \(myself\) failed/);
    assert.doesNotMatch(charon!.log(), /installing new virtual IP/);
    assert.doesNotMatch(node!.racoon!.out, /IPsec-SA established/);
    assert.equal(node!.sad().length, 0);
    assert.doesNotMatch(node!.racoon!.out, /not-the-password/);
  });

  // ---- racoon the roadwarrior, charon the server ----

  /** The client's phase1_up: racoon's environment saved, the address on lo, the policies through setkey. */
  function upScript(home: string, socket: string): string {
    const setkey = compiled
      ? [process.execPath, join(repoRoot(), 'bin', 'setkey')]
      : [process.execPath, ...programArgs('tests/e2e/racoon-launch'), 'setkey'];
    const file = join(home, 'up.sh');
    writeFileSync(
      file,
      `#!/bin/sh
env | grep -E '^(INTERNAL|SPLIT|REMOTE|LOCAL)' | sort > ${join(home, 'env.txt')}
ip addr add "$INTERNAL_ADDR4/32" dev lo
${setkey.join(' ')} --socket ${socket} -c <<EOF
spdadd $INTERNAL_ADDR4/32 ${net.innerNetS} any -P out ipsec esp/tunnel/$LOCAL_ADDR-$REMOTE_ADDR/require;
spdadd ${net.innerNetS} $INTERNAL_ADDR4/32 any -P in ipsec esp/tunnel/$REMOTE_ADDR-$LOCAL_ADDR/require;
EOF
`,
      { mode: 0o755 },
    );
    return file;
  }

  function clientConf(script: string): string {
    return `timer { counter 5; interval 2 sec; }
remote ${net.addrS} {
  exchange_mode main;
  nat_traversal force;
  mode_cfg on;
  xauth_login "${USER}";
  script "${script}" phase1_up;
  ${PROPOSAL('xauth_psk_client')}
}
${SAINFO}`;
  }

  /** charon as an IKEv1 XAuth server handing out addresses from a vici pool (pull mode, charon's default). */
  function charonServer(): string {
    const conf = swanctlConf({
      connections: [
        {
          name: 'gw',
          version: 1,
          localAddrs: [net.addrS],
          remoteAddrs: [net.addrU],
          local: { auth: 'psk', id: net.addrS },
          remote: [
            { auth: 'psk', id: net.addrU },
            { auth: 'xauth', extra: { xauth_id: USER } },
          ],
          children: [{ name: 'net', localTs: [net.innerNetS] }],
          extra: { pools: 'rw' },
        },
      ],
      secrets: [
        { type: 'ike', ids: [net.addrU, net.addrS], secret: GROUP_SECRET },
        { type: 'xauth', ids: [USER], secret: PASSWORD },
      ],
    });
    return `${conf}pools {\n  rw {\n    addrs = 10.78.0.1-10.78.0.4\n    dns = 10.78.0.53\n  }\n}\n`;
  }

  async function startClientPair(password: string): Promise<string> {
    charon = await Charon.start({
      ns: net.s,
      dir: join(dir, `charon-srv-${password.length}`),
      plugins: PLUGINS,
      logLevels: { ike: 2, cfg: 2, knl: 1 },
    });
    await charon.load(charonServer());
    const name = `cli-${password.length}`;
    const home = join(dir, name);
    mkdirSync(home, { recursive: true });
    node = await UipsecNode.start({
      ns: net.u,
      dir,
      name,
      setkey: 'flush;\nspdflush;\n',
      racoon: {
        conf: clientConf(upScript(home, join(home, 'pfkey.sock'))),
        psk: `${net.addrS}\t${GROUP_SECRET}\n${USER}\t${password}\n`,
      },
    });
    // No policy names the gateway before mode config: phase 1 by hand, as `racoonctl vc` starts it.
    const r = node.racoonctl(['establish-sa', 'isakmp', 'inet', net.addrU, net.addrS]);
    assert.equal(r.code, 0, r.out);
    return home;
  }

  it(
    t('racoon logs in to charon, gets 10.78.0.1 from its pool; its script installs it; ping and TCP pass'),
    async function () {
      const home = await startClientPair(PASSWORD);
      const cap = await Capture.start(net.u, net.ifU, join(dir, 'client.pcapng'), 'ip');
      let pinged: { ok: boolean; out: string };
      try {
        await pollUntil(diag, () => /mode config: got address 10\.78\.0\.1\b/.test(node!.racoon!.out));
        await pollUntil(diag, async () =>
          (await nsExec(net.u, ['ip', 'addr', 'show', 'dev', 'lo'])).out.includes('10.78.0.1/32'),
        );
        pinged = await ping(net.u, '10.78.0.1', net.innerS);
        const tcp = await runIperf({
          serverNs: net.hostS,
          serverAddr: net.innerS,
          clientNs: net.u,
          clientAddr: '10.78.0.1',
          seconds: 2,
        });
        assert.ok(tcp.bytes > 50_000, `TCP through the tunnel: ${tcp.bytes} bytes${diag()}`);
      } finally {
        await cap.stop();
      }
      assert.ok(pinged.ok, `ping from the virtual address: ${pinged.out}${diag()}`);
      const cl = charon!.log();
      assert.match(cl, /XAuth authentication of 'alice' successful/, diag());
      assert.match(cl, /assigning virtual IP 10\.78\.0\.1 to peer/, diag());
      const env = readFileSync(join(home, 'env.txt'), 'utf8');
      assert.match(env, /^INTERNAL_ADDR4=10\.78\.0\.1$/m);
      assert.match(env, /^INTERNAL_DNS4=10\.78\.0\.53$/m);
      const sas = await charon!.listSas();
      const child = sas.flatMap((s) => s.children).find((c) => c.state === 'INSTALLED');
      assert.ok(child, JSON.stringify(sas));
      assert.deepEqual(child.localTs, [net.innerNetS]);
      assert.deepEqual(child.remoteTs, ['10.78.0.1/32']);
      assert.equal(child.encap, true);
      assertOnlyIkeAndEspInUdp(cap, net, { minEsp: 5, minIke: 3 });
      assert.doesNotMatch(node!.racoon!.out, new RegExp(PASSWORD));
      await nsExec(net.u, ['ip', 'addr', 'del', '10.78.0.1/32', 'dev', 'lo']);
    },
  );

  it(t('a wrong password: charon refuses racoon’s login; no address, no IPsec SA'), async function () {
    await startClientPair('not-the-password');
    await pollUntil(diag, () => /XAuth: the server refused login "alice"/.test(node!.racoon!.out));
    assert.match(charon!.log(), /XAuth authentication of 'alice' failed/);
    assert.doesNotMatch(node!.racoon!.out, /mode config: got address|IPsec-SA established/);
    assert.equal(node!.sad().length, 0);
    assert.doesNotMatch(node!.racoon!.out, /not-the-password/);
  });

  // ---- hybrid RSA: charon the roadwarrior checks racoon's certificate, racoon checks charon's login ----

  it(
    t('hybrid RSA: racoon signs with its certificate, charon logs in with XAuth and gets 10.77.0.10; ping passes'),
    async function () {
      if (!opensslAvailable()) this.skip(); // the PKI is made with the openssl command
      const pki = new TestPki();
      try {
        pki.issue('root', { key: 'rsa:2048', subj: '/C=JP/O=KAME/CN=root', ext: CA_EXT });
        pki.issue('gw', { key: 'rsa:2048', subj: '/C=JP/O=KAME/CN=gw', issuer: 'root' });
        chmodSync(pki.get('gw').key, 0o600);
        charon = await Charon.start({
          ns: net.s,
          dir: join(dir, 'charon-hybrid'),
          plugins: PLUGINS,
          logLevels: { ike: 2, cfg: 2, knl: 1 },
        });
        copyFileSync(pki.get('root').cert, join(charon.swanctlDir, 'x509ca', 'root.pem'));
        await charon.load({
          connections: [
            {
              name: 'rw',
              version: 1,
              localAddrs: [net.addrS],
              remoteAddrs: [net.addrU],
              local: { auth: 'xauth', extra: { xauth_id: USER } },
              remote: { auth: 'pubkey', id: 'C=JP, O=KAME, CN=gw' },
              children: [{ name: 'net', remoteTs: [net.innerNetU] }],
              extra: { vips: '0.0.0.0' },
            },
          ],
          secrets: [{ type: 'xauth', ids: [USER], secret: PASSWORD }],
        });
        const conf = serverConf
          .replace(
            'passive on;',
            `passive on;\n  certificate_type x509 "${pki.get('gw').cert}" "${pki.get('gw').key}";\n  my_identifier asn1dn;`,
          )
          .replace('xauth_psk_server', 'hybrid_rsa_server');
        node = await UipsecNode.start({
          ns: net.u,
          dir,
          name: 'hybrid',
          setkey: 'flush;\nspdflush;\n',
          racoon: { conf, psk: `${USER}\t${PASSWORD}\n` },
        });
        const init = await charon.initiate({ child: 'net', timeoutSec: 60 });
        assert.ok(init.ok, `swanctl --initiate: ${init.out}${diag()}`);
        const pinged = await ping(net.s, '10.77.0.10', net.innerU);
        assert.ok(pinged.ok, `ping from the virtual address: ${pinged.out}${diag()}`);
        const cl = charon.log();
        assert.match(cl, /authentication of 'C=JP, O=KAME, CN=gw' with RSA\S* successful/, diag());
        assert.match(cl, /XAuth authentication of 'alice' \(myself\) successful/);
        assert.match(node.racoon!.out, /login succeeded for user "alice"/);
        const sas = await charon.listSas();
        assert.deepEqual(sas.flatMap((s) => s.children).find((c) => c.state === 'INSTALLED')?.localTs, [
          '10.77.0.10/32',
        ]);
      } finally {
        pki.cleanup();
      }
    },
  );
});
