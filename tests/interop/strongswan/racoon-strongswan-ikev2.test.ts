// Interop of racoon's IKEv2 (RFC 7296: IKE_SA_INIT + IKE_AUTH with a PSK) with strongSwan 5.9's charon
// (kernel-libipsec), the shipped `uipsecd --tun` and `racoon -F` as separate processes on one gateway, tunnel
// mode with forced UDP encapsulation (§2.23: both move to 4500), a client namespace behind each gateway:
// - racoon initiates (an ACQUIRE from the client's ping), then responds (swanctl --initiate); the clients' pings
//   pass each time and tshark on the veth sees only IKE and ESP in UDP 4500;
// - racoon's liveness check (`dpd_delay 2`, an empty INFORMATIONAL) is answered by charon;
// - charon rekeys the child and then the IKE SA (CREATE_CHILD_SA, §1.3.3 / §1.3.2), the pings still pass, and
//   its final Delete removes racoon's IKE SA and the child's SAs.
// What racoon did is read the way an operator reads it: its log, `racoonctl show-sa ike`, `racoonctl
// show-stats`, `setkey -D`.
//
//   client cu 10.91.1.2 ── gw u: uipsecd + racoon 198.51.100.1 ══ veth ══ 198.51.100.2 gw s: charon ── client cs 10.91.2.2
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { Capture, tsharkSkipReason } from '../../support/capture.js';
import { assertOnlyIkeAndEspInUdp, assertPings, pollUntil } from '../../support/interop-traffic.js';
import { strongswanSkipReason } from '../../support/strongswan.js';
import { pskTunnel, SwanPair } from '../../support/swan-pair.js';

const SECRET = 'interop-secret-9f3a';

function racoonConf(peer: string): string {
  return `timer { counter 5; interval 2 sec; }
remote ${peer} {
  ike_version 2;
  nat_traversal force;   # libipsec installs ESP only in UDP: move to 4500 as charon's encap = yes does
  dpd_delay 2;           # a liveness check after 2 s without a message from charon
  proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method pre_shared_key; dh_group modp2048; }
}
sainfo anonymous {
  lifetime time 2 hour;
  pfs_group modp2048;
  encryption_algorithm aes 128;
  authentication_algorithm hmac_sha256;
  compression_algorithm deflate;   # racoon.conf(5) requires it; IPComp is used only if the peer agrees (§2.22)
}`;
}

describe('interop: uipsecd --tun + racoon IKEv2 <-> strongSwan 5.9 charon/libipsec (PSK, tunnel in UDP, gateways)', function () {
  this.timeout(240_000);
  const skip = strongswanSkipReason() ?? tsharkSkipReason();
  let p: SwanPair | undefined;

  before(async function () {
    if (skip) this.skip();
    p = await SwanPair.start({
      tag: 'sw2',
      charon: { logLevels: { ike: 2, knl: 1 } },
      swanctl: (net) => pskTunnel(net, { secret: SECRET, esp: ['aes128-sha256-modp2048'] }),
      racoon: (net) => ({ conf: racoonConf(net.addrS), psk: `${net.addrS}\t${SECRET}\n` }),
    });
  });

  after(() => p?.stop());

  const diag = () => p!.diag();
  const showIke = () => p!.node.racoonctl(['show-sa', 'ike']).out.trim();
  const ikeLines = () => p!.ikeLines();

  /** uipsec's two SAs in UDP 4500 and charon's installed child carrying both ways. */
  async function assertChild(): Promise<void> {
    const { net, charon, node } = p!;
    const sad = node.sad();
    assert.equal(sad.length, 2, JSON.stringify(sad));
    for (const sa of sad) {
      const natt = sa['natt'] as { sport: number; dport: number } | undefined;
      assert.ok(natt?.sport === 4500 && natt.dport === 4500, `uipsec SA in UDP 4500: ${JSON.stringify(sa)}`);
    }
    const sas = await charon.listSas();
    assert.equal(sas[0]?.version, 2);
    const child = sas.flatMap((s) => s.children).find((c) => c.state === 'INSTALLED');
    assert.ok(child && child.encap, `charon's child installed in UDP: ${JSON.stringify(sas)}`);
    assert.deepEqual(child.localTs, [net.innerNetS]);
    assert.deepEqual(child.remoteTs, [net.innerNetU]);
    assert.ok(child.packetsIn > 0 && child.packetsOut > 0, `charon counted the pings: ${JSON.stringify(child)}`);
  }

  /** Pings between the clients (each way) under a capture of the veth that must show only IKE and ESP-in-UDP. */
  async function pingsOnlyEsp(tag: string, start: () => Promise<void> = async () => {}): Promise<void> {
    const { net, dir } = p!;
    const cap = await Capture.start(net.u, net.ifU, join(dir, `${tag}.pcapng`), 'ip');
    try {
      await start();
      await assertPings(net, {}, diag());
      await assertPings(net, { from: 's' }, diag());
    } finally {
      await cap.stop();
    }
    assertOnlyIkeAndEspInUdp(cap, net, { minEsp: 10 });
  }

  it(
    skip
      ? `skipped: ${skip}`
      : 'racoon initiates (ACQUIRE from the client’s ping), charon responds; pings pass, only ESP-in-UDP on the wire',
    async function () {
      const { charon, node } = p!;
      await pingsOnlyEsp('initiator');
      assert.match(node.racoon!.out, /initiate new IKEv2 SA/);
      assert.match(node.racoon!.out, /IKEv2 SA \d+ established with .*\(NAT-T\)/);
      assert.match(node.racoon!.out, /IKEv2 child SA \d+ established .*tunnel/);
      const lines = ikeLines();
      assert.equal(lines.length, 1, showIke());
      assert.match(lines[0]!, /\[4500\] .* IKEv2 I established/, 'racoon initiated, moved to port 4500');
      const sas = await charon.listSas();
      assert.equal(sas[0]?.initiator, false, 'charon responded');
      assert.equal(sas[0]?.remotePort, 4500);
      await assertChild();
    },
  );

  it(
    skip
      ? `skipped: ${skip}`
      : 'charon initiates (swanctl --initiate), racoon responds; pings pass; racoon’s liveness check is answered',
    async function () {
      const { charon, node } = p!;
      const t = await charon.terminate({ ike: 'uipsec' });
      assert.ok(t.ok, t.out);
      await pollUntil(
        () => `SAs left after charon's Delete: ${JSON.stringify(node.sad())}${diag()}`,
        () => node.sad().length === 0 && ikeLines().length === 0,
      );
      await pingsOnlyEsp('responder', async () => {
        const init = await charon.initiate({ child: 'net', timeoutSec: 30 });
        assert.ok(init.ok, `swanctl --initiate: ${init.out}${diag()}`);
      });
      const lines = ikeLines();
      assert.equal(lines.length, 1, showIke());
      assert.match(lines[0]!, / IKEv2 R established .*children 1/, 'racoon responded');
      assert.equal((await charon.listSas())[0]?.initiator, true, 'charon initiated');
      await assertChild();
      // dpd_delay 2: after 2 s without a message racoon sends an empty INFORMATIONAL; charon answers it.
      const checks = node.stats()['ikev2.livenessChecks']!;
      await pollUntil(
        () => `no liveness check answered: ${JSON.stringify(node.stats())}${diag()}`,
        () => node.stats()['ikev2.livenessChecks']! > checks,
      );
      assert.equal(node.stats()['ikev2.deadPeers'], 0);
      assert.match(ikeLines()[0]!, / IKEv2 R established/);
    },
  );

  it(
    skip
      ? `skipped: ${skip}`
      : 'charon rekeys the child, then the IKE SA (CREATE_CHILD_SA); pings pass after each; its Delete ends all',
    async function () {
      const { net, charon, node } = p!;
      const before = node.stats();
      const r1 = await charon.swanctl(['--rekey', '--child', 'net']);
      assert.ok(r1.ok, r1.out);
      await pollUntil(
        () => `child not rekeyed: ${JSON.stringify(node.stats())} ${JSON.stringify(node.sad())}${diag()}`,
        () => node.stats()['ikev2.childRekeyed']! > before['ikev2.childRekeyed']! && node.sad().length === 2,
      );
      await node.racoon!.waitFor(/child \d+ with \S+ rekeyed as child \d+ by the peer/, 10_000);
      await assertPings(net, {}, diag());
      const oldSpis = ikeLines()[0]!.split(' ')[2];
      const r2 = await charon.swanctl(['--rekey', '--ike', 'uipsec']);
      assert.ok(r2.ok, r2.out);
      await pollUntil(
        () => `IKE SA not rekeyed: ${showIke()} ${JSON.stringify(node.stats())}${diag()}`,
        () => node.stats()['ikev2.ikeRekeyed']! > before['ikev2.ikeRekeyed']! && ikeLines().length === 1,
      );
      await node.racoon!.waitFor(/IKE SA \d+ with \S+ rekeyed as \d+ by the peer/, 10_000);
      const now = ikeLines()[0]!;
      assert.notEqual(now.split(' ')[2], oldSpis, 'new IKE SPIs');
      assert.match(now, /established .*children 1$/, 'the child moved to the new IKE SA');
      await assertPings(net, {}, diag());
      await assertChild();
      const t = await charon.terminate({ ike: 'uipsec' });
      assert.ok(t.ok, t.out);
      await pollUntil(
        () => `IKE SA or SAs left: ${showIke()} ${JSON.stringify(node.sad())}${diag()}`,
        () => ikeLines().length === 0 && node.sad().length === 0,
      );
    },
  );
});
