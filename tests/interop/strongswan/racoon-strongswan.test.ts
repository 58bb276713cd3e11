// Interop on the data plane (issue 10): the shipped `uipsecd --tun utun0 --load FILE` and `racoon -F -f FILE`
// (IKEv1 main mode + quick mode, PSK) as separate processes on one gateway, strongSwan 5.9's charon with
// kernel-libipsec on the other, tunnel mode in UDP (RFC 3948: the only mode libipsec has), each gateway with a
// client namespace behind it. racoon initiates (an ACQUIRE from the clients' traffic) and then responds
// (swanctl --initiate); each time an iperf3 TCP run between the clients in both directions, while tshark on
// the gateways' veth sees only IKE (UDP 500/4500) and ESP in UDP 4500 — never the clients' TCP.
//
//   client cu 10.91.1.2 ── gw u: uipsecd + racoon 198.51.100.1 ══ veth ══ 198.51.100.2 gw s: charon ── client cs 10.91.2.2
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Capture, tsharkSkipReason } from '../../support/capture.js';
import { makeInteropNet, type InteropNet } from '../../support/interop-net.js';
import { assertOnlyIkeAndEspInUdp } from '../../support/interop-traffic.js';
import { iperfSkipReason, runIperf, type IperfResult } from '../../support/iperf.js';
import { Charon, strongswanSkipReason } from '../../support/strongswan.js';
import { tunnelPolicies, UipsecNode } from '../../support/uipsec-node.js';

const SECRET = 'interop-secret-9f3a';

function racoonConf(peer: string): string {
  return `timer { counter 5; interval 2 sec; }
remote ${peer} {
  exchange_mode main;
  nat_traversal force;   # libipsec installs ESP only in UDP: float to 4500 as charon's encap = yes does
  proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method pre_shared_key; dh_group modp2048; }
}
sainfo anonymous {
  lifetime time 2 hour;  # charon proposes 3960 s; proposal_check strict refuses a shorter responder lifetime
  encryption_algorithm aes 128;
  authentication_algorithm hmac_sha256;
  compression_algorithm deflate;
}`;
}

describe('interop: uipsecd --tun + racoon <-> strongSwan 5.9 charon/libipsec (IKEv1 PSK, tunnel mode in UDP, gateways)', function () {
  this.timeout(400_000);
  const skip = strongswanSkipReason() ?? tsharkSkipReason() ?? iperfSkipReason();
  let net: InteropNet;
  let dir = '';
  let charon: Charon | undefined;
  let node: UipsecNode | undefined;

  before(async function () {
    if (skip) this.skip();
    dir = mkdtempSync(join(tmpdir(), 'uipsec-swan-'));
    net = makeInteropNet('swan', { clients: true });
    charon = await Charon.start({ ns: net.s, dir: join(dir, 'charon'), logLevels: { ike: 2, knl: 2 } });
    await charon.load({
      connections: [
        {
          name: 'uipsec',
          version: 1,
          localAddrs: [net.addrS],
          remoteAddrs: [net.addrU],
          local: { auth: 'psk', id: net.addrS },
          remote: { auth: 'psk', id: net.addrU },
          children: [{ name: 'net', localTs: [net.innerNetS], remoteTs: [net.innerNetU] }],
        },
      ],
      secrets: [{ type: 'ike', ids: [net.addrU, net.addrS], secret: SECRET }],
    });
    node = await UipsecNode.start({
      ns: net.u,
      dir,
      setkey: tunnelPolicies(net),
      racoon: { conf: racoonConf(net.addrS), psk: `${net.addrS}\t${SECRET}\n` },
    });
  });

  after(async () => {
    await node?.stop();
    await charon?.stop();
    net?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function diagnostics(): string {
    return `\n--- uipsecd\n${node?.daemon.out.slice(-2000)}\n--- racoon\n${node?.racoon?.out.slice(-3000)}\n--- charon\n${charon?.log().slice(-4000)}`;
  }

  /**
   * Under a tshark capture on the veth: `start` (what sets up the SAs), then iperf3 TCP between the clients,
   * client u -> client s and back (-R).
   */
  async function trafficBothWays(
    tag: string,
    start: () => Promise<void> = async () => {},
  ): Promise<{ up: IperfResult; down: IperfResult; cap: Capture }> {
    const cap = await Capture.start(net.u, net.ifU, join(dir, `${tag}.pcapng`), 'ip');
    try {
      await start();
      const run = { serverNs: net.hostS, serverAddr: net.innerS, clientNs: net.hostU, clientAddr: net.innerU };
      const up = await runIperf({ ...run, seconds: 2 });
      const down = await runIperf({ ...run, seconds: 2, reverse: true });
      return { up, down, cap };
    } catch (e) {
      assert.fail(`${String(e)}${diagnostics()}`);
    } finally {
      await cap.stop();
    }
  }

  async function assertChildInstalled(): Promise<void> {
    const sas = await charon!.listSas();
    const child = sas.flatMap((s) => s.children).find((c) => c.state === 'INSTALLED');
    assert.ok(child, `charon has an installed CHILD_SA: ${JSON.stringify(sas)}`);
    assert.equal(child.mode, 'TUNNEL');
    assert.equal(child.encap, true, 'UDP-encapsulated on charon’s side');
    assert.deepEqual(child.localTs, [net.innerNetS]);
    assert.deepEqual(child.remoteTs, [net.innerNetU]);
    assert.ok(child.packetsIn > 100 && child.packetsOut > 100, `charon counted the traffic: ${JSON.stringify(child)}`);
    const sad = node!.sad();
    assert.equal(sad.length, 2, JSON.stringify(sad));
    for (const sa of sad) {
      const natt = sa['natt'] as { sport: number; dport: number } | undefined;
      assert.ok(natt?.sport === 4500 && natt.dport === 4500, `uipsec SA with NAT-T ports: ${JSON.stringify(sa)}`);
    }
  }

  it(
    skip
      ? `skipped: ${skip}`
      : 'racoon initiates (ACQUIRE from the clients’ TCP); iperf3 TCP both ways; only IKE and ESP-in-UDP on the wire',
    async function () {
      const r = await trafficBothWays('initiator');
      assert.ok(r.up.bytes > 100_000, `client u -> s carried ${r.up.bytes} bytes`);
      assert.ok(r.down.bytes > 100_000, `client s -> u carried ${r.down.bytes} bytes`);
      assert.match(node!.racoon!.out, /initiate new phase 1 negotiation/);
      assert.match(node!.racoon!.out, /IPsec-SA established/);
      const sas = await charon!.listSas();
      assert.equal(sas[0]?.initiator, false, 'charon responded');
      assert.equal(sas[0]?.remotePort, 4500, 'floated to the NAT-T port');
      await assertChildInstalled();
      assertOnlyIkeAndEspInUdp(r.cap, net, { minEsp: 101, minIke: 3 });
    },
  );

  it(
    skip
      ? `skipped: ${skip}`
      : 'strongSwan initiates (swanctl --initiate), racoon responds; iperf3 TCP both ways again',
    async function () {
      const t = await charon!.terminate({ ike: 'uipsec' });
      assert.ok(t.ok, t.out);
      for (let i = 0; i < 200 && node!.sad().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(node!.sad().length, 0, 'racoon deleted the SAs on the peer’s DELETE');
      const r = await trafficBothWays('responder', async () => {
        const init = await charon!.initiate({ child: 'net', timeoutSec: 60 });
        assert.ok(init.ok, `swanctl --initiate: ${init.out}`);
      });
      assert.ok(r.up.bytes > 100_000 && r.down.bytes > 100_000, `${r.up.bytes} / ${r.down.bytes} bytes`);
      assert.match(node!.racoon!.out, /respond new phase 1 negotiation/);
      const sas = await charon!.listSas();
      assert.equal(sas[0]?.initiator, true, 'charon initiated');
      await assertChildInstalled();
      assertOnlyIkeAndEspInUdp(r.cap, net, { minEsp: 101, minIke: 3 });
    },
  );
});
