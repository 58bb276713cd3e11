// Interop of racoon's IKEv2 configuration payload (RFC 7296 §2.19, §3.15) with strongSwan 5.9's charon
// (kernel-libipsec, tunnel mode in UDP 4500), the shipped `uipsecd --tun` and `racoon -F` as separate processes:
// - racoon is the gateway with a `mode_cfg { }` pool and charon the roadwarrior (`vips = 0.0.0.0`): charon gets
//   10.77.0.10 (it asks only for an address: no resolve plugin here), racoon narrows its TSi to that address,
//   ping and a TCP (HTTP) exchange from the address to the gateway's network pass; the address returns to the
//   pool when charon leaves;
// - charon is the gateway with a pool and racoon the roadwarrior (`mode_cfg on`): racoon's phase1_up script,
//   run by racoon with INTERNAL_ADDR4 in its environment, puts the address on `lo`; ping from it passes;
// - racoon as gateway with `generate_policy on` and no policy at all: the child's policies come from charon's
//   proposal (TSi narrowed to the leased address), ping passes, they go when charon leaves.
// tshark on the veth sees only IKE and ESP-in-UDP each time.
//
//   gw/rw u: uipsecd + racoon 198.51.100.1 ══ veth ══ 198.51.100.2 s: charon (rw, then gw with 10.91.2.1)
//   u's lo: 10.91.1.1 (the network behind racoon, first part)
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NsProc } from '../../os/netns.js';
import { Capture, tsharkSkipReason } from '../../support/capture.js';
import { makeInteropNet, nsExec, type InteropNet } from '../../support/interop-net.js';
import { assertOnlyIkeAndEspInUdp, assertPings, pollUntil } from '../../support/interop-traffic.js';
import { Charon, strongswanSkipReason, swanctlConf } from '../../support/strongswan.js';
import { UipsecNode } from '../../support/uipsec-node.js';

const SECRET = 'rw-interop-secret-41c7';
const VIP = '10.77.0.10';
const SAINFO = `sainfo anonymous {
  lifetime time 2 hour;
  encryption_algorithm aes 128;
  authentication_algorithm hmac_sha256;
  compression_algorithm deflate;
}`;
const PROPOSAL =
  'proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method pre_shared_key; dh_group modp2048; }';

describe('interop: IKEv2 configuration payload, uipsecd --tun + racoon <-> strongSwan 5.9 charon (roadwarrior)', function () {
  this.timeout(240_000);
  const skip = strongswanSkipReason() ?? tsharkSkipReason();
  let net: InteropNet;
  let dir = '';
  let charon: Charon | undefined;
  let node: UipsecNode | undefined;
  let http: NsProc | undefined;

  before(function () {
    if (skip) this.skip();
    dir = mkdtempSync(join(tmpdir(), 'uipsec-swrw-'));
    net = makeInteropNet('swrw');
  });

  afterEach(async () => {
    await http?.stop('SIGTERM', 5_000);
    http = undefined;
    await node?.stop();
    node = undefined;
    await charon?.stop();
    charon = undefined;
  });

  after(() => {
    net?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const diag = () =>
    `\n--- racoon\n${node?.racoon?.out.slice(-3000)}\n--- charon\n${charon?.log().slice(-3000)}\n--- uipsecd\n${node?.daemon.out.slice(-1000)}`;

  async function startCharon(tag: string, conf: string): Promise<Charon> {
    charon = await Charon.start({ ns: net.s, dir: join(dir, `charon-${tag}`), logLevels: { ike: 2, cfg: 2, knl: 1 } });
    await charon.load(conf);
    return charon;
  }

  it(
    skip
      ? `skipped: ${skip}`
      : 'racoon leases 10.77.0.10 from its mode_cfg pool to charon (vips = 0.0.0.0); ping and TCP from it pass',
    async function () {
      const gwNet = '10.91.1.0/24';
      node = await UipsecNode.start({
        ns: net.u,
        dir,
        name: 'gw',
        setkey: [
          'flush;',
          'spdflush;',
          `spdadd ${gwNet} 10.77.0.0/24 any -P out ipsec esp/tunnel/${net.addrU}-${net.addrS}/require;`,
          `spdadd 10.77.0.0/24 ${gwNet} any -P in ipsec esp/tunnel/${net.addrS}-${net.addrU}/require;`,
          '',
        ].join('\n'),
        racoon: {
          conf: `timer { counter 5; interval 2 sec; }
mode_cfg { network4 ${VIP}; netmask4 255.255.255.0; pool_size 8; dns4 10.91.1.53; }
remote ${net.addrS} {
  ike_version 2;
  nat_traversal force;
  ${PROPOSAL}
}
${SAINFO}`,
          psk: `${net.addrS}\t${SECRET}\n`,
        },
      });
      const c = await startCharon(
        'rw',
        swanctlConf({
          connections: [
            {
              name: 'rw',
              version: 2,
              localAddrs: [net.addrS],
              remoteAddrs: [net.addrU],
              local: { auth: 'psk', id: net.addrS },
              remote: { auth: 'psk', id: net.addrU },
              extra: { vips: '0.0.0.0' },
              children: [{ name: 'net', remoteTs: [gwNet], espProposals: ['aes128-sha256'] }],
            },
          ],
          secrets: [{ type: 'ike', ids: [net.addrU, net.addrS], secret: SECRET }],
        }),
      );
      const cap = await Capture.start(net.u, net.ifU, join(dir, 'rw-client.pcapng'), 'ip');
      try {
        const init = await c.initiate({ child: 'net', timeoutSec: 30 });
        assert.ok(init.ok, `swanctl --initiate: ${init.out}${diag()}`);
        await c.waitLog(new RegExp(`installing new virtual IP ${VIP.replace(/\./g, '\\.')}`));
        await node.racoon!.waitFor(new RegExp(`CP: address ${VIP.replace(/\./g, '\\.')} given to ${net.addrS}`));
        const sas = await c.listSas();
        const child = sas.flatMap((s) => s.children).find((ch) => ch.state === 'INSTALLED');
        assert.deepEqual(child?.localTs, [`${VIP}/32`], `TSi narrowed to the address: ${JSON.stringify(sas)}`);
        assert.deepEqual(child?.remoteTs, [gwNet]);
        const shown = node.racoonctl(['show-sa', 'ike']).out;
        assert.match(shown, new RegExp(`IKEv2 R established .* address ${VIP.replace(/\./g, '\\.')} given`), shown);
        // ping from the virtual IP (charon routes the gateway's network through ipsec0 with that source).
        await assertPings(net, { from: 's', to: net.innerU, source: VIP }, diag());
        // TCP: an HTTP server on the gateway's protected address, fetched by the roadwarrior.
        writeFileSync(join(dir, 'index.html'), 'virtual-ip-ok\n');
        http = new NsProc('http', net.u, ['/usr/bin/python3', '-m', 'http.server', '--bind', net.innerU, '8080'], dir);
        await http.waitFor(/Serving HTTP/, 20_000);
        const got = await nsExec(net.s, ['curl', '-sS', '--max-time', '10', `http://${net.innerU}:8080/index.html`]);
        assert.equal(got.out, 'virtual-ip-ok\n', `TCP through the tunnel: ${got.err}${diag()}`);
        assert.match(
          http.out,
          new RegExp(`${VIP.replace(/\./g, '\\.')} .*GET /index.html`),
          'the request came from the address',
        );
      } finally {
        await cap.stop();
      }
      assertOnlyIkeAndEspInUdp(cap, net, { minEsp: 5 });
      const t = await c.terminate({ ike: 'rw' });
      assert.ok(t.ok, t.out);
      await node.racoon!.waitFor(new RegExp(`CP: address ${VIP.replace(/\./g, '\\.')} released`), 20_000);
    },
  );

  it(
    skip
      ? `skipped: ${skip}`
      : 'generate_policy: racoon’s SPD has no policy for the client; the child’s policies are generated, ping passes, removed when charon leaves',
    async function () {
      const gwNet = '10.91.1.0/24';
      node = await UipsecNode.start({
        ns: net.u,
        dir,
        name: 'gw',
        setkey: ['flush;', 'spdflush;', ''].join('\n'),
        racoon: {
          conf: `timer { counter 5; interval 2 sec; }
mode_cfg { network4 ${VIP}; netmask4 255.255.255.0; pool_size 8; }
remote ${net.addrS} {
  ike_version 2;
  nat_traversal force;
  generate_policy on;
  ${PROPOSAL}
}
${SAINFO}`,
          psk: `${net.addrS}\t${SECRET}\n`,
        },
      });
      assert.equal(node.setkey(['-DP']).out.trim(), 'No SPD entries.', 'no policy for the client before');
      const c = await startCharon(
        'gen',
        swanctlConf({
          connections: [
            {
              name: 'rw',
              version: 2,
              localAddrs: [net.addrS],
              remoteAddrs: [net.addrU],
              local: { auth: 'psk', id: net.addrS },
              remote: { auth: 'psk', id: net.addrU },
              extra: { vips: '0.0.0.0' },
              children: [{ name: 'net', remoteTs: [gwNet], espProposals: ['aes128-sha256'] }],
            },
          ],
          secrets: [{ type: 'ike', ids: [net.addrU, net.addrS], secret: SECRET }],
        }),
      );
      const init = await c.initiate({ child: 'net', timeoutSec: 30 });
      assert.ok(init.ok, `swanctl --initiate: ${init.out}${diag()}`);
      await node.racoon!.waitFor(/generated policy installed/);
      const spd = node.setkey(['-DP']).out;
      assert.match(spd, new RegExp(`${VIP.replace(/\./g, '\\.')}\\S*\\s+10\\.91\\.1\\.0/24`), spd);
      assert.match(spd, /esp\/tunnel\/.*require/, spd);
      await assertPings(net, { from: 's', to: net.innerU, source: VIP }, diag());
      const t = await c.terminate({ ike: 'rw' });
      assert.ok(t.ok, t.out);
      await node.racoon!.waitFor(/generated policy removed with child/, 20_000);
      await pollUntil(
        () => `policies left: ${node!.setkey(['-DP']).out}`,
        () => node!.setkey(['-DP']).out.trim() === 'No SPD entries.',
        10_000,
      );
    },
  );

  it(
    skip
      ? `skipped: ${skip}`
      : 'racoon (mode_cfg on) gets an address from charon’s pool; its phase1_up script installs it; ping passes',
    async function () {
      const gwNet = net.innerNetS; // 10.91.2.0/24, 10.91.2.1 on charon's lo
      const pool = '10.88.0.0/28';
      const envFile = join(dir, 'rw-env.txt');
      const up = join(dir, 'up.sh');
      writeFileSync(
        up,
        `#!/bin/sh\nenv | grep -E '^(INTERNAL|REMOTE|IKE_VERSION)' | sort > ${envFile}\nip addr add "$INTERNAL_ADDR4/32" dev lo\n`,
        { mode: 0o755 },
      );
      const c = await startCharon(
        'gw',
        swanctlConf({
          connections: [
            {
              name: 'gw',
              version: 2,
              localAddrs: [net.addrS],
              remoteAddrs: [net.addrU],
              local: { auth: 'psk', id: net.addrS },
              remote: { auth: 'psk', id: net.addrU },
              extra: { pools: 'rwpool' },
              children: [{ name: 'net', localTs: [gwNet], espProposals: ['aes128-sha256'] }],
            },
          ],
          secrets: [{ type: 'ike', ids: [net.addrU, net.addrS], secret: SECRET }],
        }) + `pools {\n  rwpool {\n    addrs = ${pool}\n    dns = 10.91.2.53\n  }\n}\n`,
      );
      node = await UipsecNode.start({
        ns: net.u,
        dir,
        name: 'rw',
        setkey: [
          'flush;',
          'spdflush;',
          `spdadd 0.0.0.0/0 ${gwNet} any -P out ipsec esp/tunnel/${net.addrU}-${net.addrS}/require;`,
          `spdadd ${gwNet} 0.0.0.0/0 any -P in ipsec esp/tunnel/${net.addrS}-${net.addrU}/require;`,
          '',
        ].join('\n'),
        racoon: {
          conf: `timer { counter 5; interval 2 sec; }
remote ${net.addrS} {
  ike_version 2;
  nat_traversal force;
  mode_cfg on;
  script "${up}" phase1_up;
  ${PROPOSAL}
}
${SAINFO}`,
          psk: `${net.addrS}\t${SECRET}\n`,
        },
      });
      const cap = await Capture.start(net.u, net.ifU, join(dir, 'rw-server.pcapng'), 'ip');
      let addr = '';
      try {
        // The first packet to charon's network raises the ACQUIRE (TSi 0.0.0.0/0 with a CFG_REQUEST).
        await nsExec(net.u, ['ping', '-n', '-c', '1', '-W', '1', net.innerS]);
        await node.racoon!.waitFor(/CP: got address (\S+) from/, 30_000);
        addr = /CP: got address (\S+) from/.exec(node.racoon!.out)![1]!;
        assert.match(addr, /^10\.88\.0\.\d+$/, 'an address of charon’s pool');
        await pollUntil(
          () => `the script did not install ${addr}${diag()}`,
          async () => (await nsExec(net.u, ['ip', 'addr', 'show', 'dev', 'lo'])).out.includes(`inet ${addr}/32`),
        );
        const env = readFileSync(envFile, 'utf8');
        assert.match(env, new RegExp(`^INTERNAL_ADDR4=${addr.replace(/\./g, '\\.')}$`, 'm'));
        assert.match(env, /^INTERNAL_DNS4=10\.91\.2\.53$/m);
        assert.match(env, /^IKE_VERSION=2$/m);
        await assertPings(net, { source: addr }, diag());
        const ike = node.racoonctl(['show-sa', 'ike']).out;
        const esc = addr.replace(/\./g, '\\.');
        assert.match(ike, new RegExp(`IKEv2 I established .* address ${esc} received`), ike);
        assert.match(
          ike,
          new RegExp(
            `child \\d+ installed tunnel .* ${addr.replace(/\./g, '\\.')} === 10\\.91\\.2\\.0-10\\.91\\.2\\.255`,
          ),
          ike,
        );
        const sas = await c.listSas();
        const child = sas.flatMap((s) => s.children).find((ch) => ch.state === 'INSTALLED');
        assert.deepEqual(child?.remoteTs, [`${addr}/32`], JSON.stringify(sas));
        assert.ok(child!.packetsIn > 0 && child!.packetsOut > 0, JSON.stringify(child));
      } finally {
        await cap.stop();
        if (addr) await nsExec(net.u, ['ip', 'addr', 'del', `${addr}/32`, 'dev', 'lo']);
      }
      assertOnlyIkeAndEspInUdp(cap, net, { minEsp: 5 });
    },
  );
});
