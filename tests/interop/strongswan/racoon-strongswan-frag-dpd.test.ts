// Interop of racoon's IKE fragmentation and dead peer detection (RFC 3706) with strongSwan 5.9's charon (IKEv1,
// PSK, kernel-libipsec), the shipped `uipsecd --tun` and `racoon -F` as separate processes on one gateway, tunnel
// mode with forced NAT-T, a client namespace behind each gateway (as racoon-strongswan.test.ts):
// - main mode with modp8192 (1 KB KE payloads) where both sides announce fragmentation (racoon `ike_frag on`,
//   charon `fragmentation = yes` with `fragment_size = 576`), so each sends the other fragments; the clients'
//   pings pass and tshark on the veth sees only IKE and ESP-in-UDP;
// - DPD both ways (charon `dpd_delay = 2s`, racoon `dpd_delay 2`), then charon killed with SIGKILL: racoon declares
//   it dead and deletes the SAs through PF_KEY (`setkey -D` empty, `racoonctl show-sa isakmp` empty).
// racoon's side is read from `racoonctl show-stats` (its fragment and DPD counters) and its log.
//
//   client cu 10.91.1.2 ── gw u: uipsecd + racoon 198.51.100.1 ══ veth ══ 198.51.100.2 gw s: charon ── client cs 10.91.2.2
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Capture, tsharkSkipReason } from '../../support/capture.js';
import { makeInteropNet, type InteropNet } from '../../support/interop-net.js';
import { assertOnlyIkeAndEspInUdp, assertPings, pollUntil } from '../../support/interop-traffic.js';
import { Charon, strongswanSkipReason } from '../../support/strongswan.js';
import { tunnelPolicies, UipsecNode } from '../../support/uipsec-node.js';

const SECRET = 'interop-secret-9f3a';

function racoonConf(peer: string): string {
  return `timer { counter 5; interval 2 sec; }
remote ${peer} {
  exchange_mode main;
  nat_traversal force;
  ike_frag on;
  dpd_delay 2; dpd_retry 1; dpd_maxfail 2;
  proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method pre_shared_key; dh_group modp8192; }
}
sainfo anonymous {
  lifetime time 2 hour;  # charon proposes 3960 s; proposal_check strict refuses a shorter responder lifetime
  encryption_algorithm aes 128;
  authentication_algorithm hmac_sha256;
  compression_algorithm deflate;
}`;
}

describe('interop: uipsecd --tun + racoon <-> strongSwan 5.9, IKE fragmentation and DPD (IKEv1 PSK, modp8192, libipsec)', function () {
  this.timeout(240_000);
  const skip = strongswanSkipReason() ?? tsharkSkipReason();
  let net: InteropNet;
  let dir = '';
  let charon: Charon | undefined;
  let node: UipsecNode | undefined;

  before(async function () {
    if (skip) this.skip();
    dir = mkdtempSync(join(tmpdir(), 'uipsec-swanfd-'));
    net = makeInteropNet('frdp', { clients: true });
    charon = await Charon.start({
      ns: net.s,
      dir: join(dir, 'charon'),
      logLevels: { ike: 2, knl: 1, net: 2 },
      charonSettings: 'fragment_size = 576',
    });
    await charon.load({
      connections: [
        {
          name: 'uipsec',
          version: 1,
          localAddrs: [net.addrS],
          remoteAddrs: [net.addrU],
          proposals: ['aes128-sha256-modp8192'],
          fragmentation: 'yes',
          dpdDelay: '2s',
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

  const diag = () =>
    `\n--- racoon stats ${JSON.stringify(node?.stats())}\n--- racoon\n${node?.racoon?.out.slice(-3000)}\n--- charon\n${charon?.log().slice(-3000)}`;

  it(
    skip
      ? `skipped: ${skip}`
      : 'main mode with 1 KB KE payloads: racoon and charon each send the other fragments; pings pass in ESP only',
    async function () {
      const cap = await Capture.start(net.u, net.ifU, join(dir, 'frag.pcapng'), 'ip');
      try {
        await assertPings(net, {}, diag());
        await assertPings(net, { from: 's' }, diag());
      } finally {
        await cap.stop();
      }
      assertOnlyIkeAndEspInUdp(cap, net, { minEsp: 10 });
      const s = node!.stats();
      assert.ok(s['fragSent']! >= 2, `racoon sent fragments: ${diag()}`);
      assert.ok(s['fragReassembled']! >= 1, `racoon reassembled charon's fragments: ${diag()}`);
      assert.equal(s['fragDropped'], 0);
      // strongSwan message.c / ike_sa.c: its reassembly, its own splitting, and racoon's vendor IDs.
      const cl = charon!.log();
      assert.match(cl, /reassembled fragmented IKE message/, 'charon reassembled racoon’s fragments');
      assert.match(cl, /splitting IKE message .* into \d+ fragments/, 'charon fragmented its messages');
      assert.match(cl, /received FRAGMENTATION vendor ID/, 'racoon announced fragmentation');
      assert.match(cl, /received DPD vendor ID/, 'racoon announced DPD');
      assert.match(node!.racoon!.out, /ISAKMP-SA established/);
    },
  );

  it(
    skip
      ? `skipped: ${skip}`
      : "DPD both ways: each answers the other's R-U-THERE; charon killed -9, racoon declares it dead, SAs deleted",
    async function () {
      await pollUntil(
        () => `no R-U-THERE exchanged both ways: ${diag()}`,
        () => {
          const s = node!.stats();
          return s['dpdAcked']! >= 1 && s['dpdAnswered']! >= 1;
        },
      );
      assert.equal(node!.stats()['dpdDead'], 0);
      assert.ok(node!.sad().length >= 2);
      charon!.proc.child.kill('SIGKILL');
      await pollUntil(
        () => `charon not declared dead, or SAs left: ${JSON.stringify(node!.sad())}${diag()}`,
        () => node!.stats()['dpdDead'] === 1 && node!.sad().length === 0,
      );
      const left = node!.racoonctl(['show-sa', 'isakmp']).out.trim().split('\n');
      assert.deepEqual(left.slice(1), [], 'no ISAKMP-SA left (the header alone)');
    },
  );
});
