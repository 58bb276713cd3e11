// NAT traversal behind a real NAT (tests/support/nat-net.ts: a namespace masquerading with nftables between the
// two machines) between the shipped `uipsecd --tun` + `racoon` and strongSwan 5.9's charon (kernel-libipsec),
// IKEv2 (RFC 7296 §2.23) and IKEv1 (RFC 3947, RFC 3948) alike. Neither end forces encapsulation (racoon
// `nat_traversal on`, charon `encap = no`): each must detect the NAT from the NAT-D hashes, move to port 4500 and
// run ESP in UDP through the NAT's mappings.
// - racoon behind the NAT initiates (an ACQUIRE from its client's ping); charon sees it at the NAT's address;
// - charon behind the NAT initiates (swanctl --initiate), racoon responds to the NAT's address.
// Each time the clients' pings cross both ways, and tshark on the public machine's veth sees only IKE and ESP in
// UDP 4500, the private machine's packets with the NAT's public address as source.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { Capture, tsharkSkipReason } from '../../support/capture.js';
import { makeNatNet, natSkipReason, type NatNet } from '../../support/nat-net.js';
import { assertOnlyIkeAndEspInUdp, assertPings, pollUntil } from '../../support/interop-traffic.js';
import { strongswanSkipReason } from '../../support/strongswan.js';
import { pskTunnel, SwanPair } from '../../support/swan-pair.js';
import { tunnelPolicies } from '../../support/uipsec-node.js';

const SECRET = 'interop-nat-31be';

function racoonConf(peer: string, version: 1 | 2): string {
  const v = version === 2 ? 'ike_version 2;' : 'exchange_mode main;';
  return `timer { counter 5; interval 2 sec; natt_keepalive 10 sec; }
remote ${peer} {
  ${v}
  nat_traversal on;      # NAT-D payloads; ESP in UDP only when a NAT is detected
  proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method pre_shared_key; dh_group modp2048; }
}
sainfo anonymous {
  lifetime time 2 hour;  # charon proposes 3960 s (IKEv1); proposal_check strict refuses a shorter one
  encryption_algorithm aes 128;
  authentication_algorithm hmac_sha256;
  compression_algorithm deflate;
}`;
}

function natDescribe(natted: 'u' | 's'): void {
  const who = natted === 'u' ? 'racoon' : 'charon';
  describe(`interop: NAT-T with ${who} behind a real NAT (nftables masquerade), racoon <-> strongSwan 5.9`, function () {
    this.timeout(300_000);
    const skip = strongswanSkipReason() ?? tsharkSkipReason() ?? natSkipReason();
    let p: SwanPair<NatNet> | undefined;

    before(async function () {
      if (skip) this.skip();
      p = await SwanPair.start({
        tag: `nat${natted}`,
        net: (tag) => makeNatNet(tag, natted),
        charon: { logLevels: { ike: 1, knl: 1 } },
        // racoon's tunnel runs between its own address and the one it sees charon at.
        setkey: (net) => tunnelPolicies({ ...net, addrS: net.seenByU }),
      });
    });

    after(() => p?.stop());

    const diag = () => p!.diag();

    async function configure(version: 1 | 2): Promise<void> {
      const { net, charon, node } = p!;
      await charon.load(pskTunnel(net, { secret: SECRET, version, encap: false, remoteAddr: net.seenByS }));
      await node.stopRacoon();
      // By the peer's address for IKEv1 main mode, by its identity (its private address) for IKEv2.
      const psk = [...new Set([net.seenByU, net.addrS])].map((a) => `${a}\t${SECRET}\n`).join('');
      await node.startRacoon({ conf: racoonConf(net.seenByU, version), psk });
    }

    /** Both ends detected the NAT: charon's flags and address, racoon's SAs in UDP 4500 toward the NAT. */
    async function assertNat(version: 1 | 2): Promise<void> {
      const { net, charon, node } = p!;
      const sas = await charon.listSas();
      const ike = sas[0];
      assert.ok(ike && ike.version === version && ike.state === 'ESTABLISHED', JSON.stringify(sas));
      assert.equal(ike.remoteHost, net.seenByS, 'charon sees racoon at this address');
      const flag = natted === 'u' ? 'nat-remote' : 'nat-local';
      assert.equal(ike.fields[flag], 'yes', `charon: ${flag}: ${JSON.stringify(ike.fields)}`);
      assert.equal(ike.fields['nat-fake'], undefined, 'not a forced encapsulation');
      const child = ike.children.find((c) => c.state === 'INSTALLED');
      assert.ok(child?.encap, `charon's child in UDP: ${JSON.stringify(ike.children)}`);
      const sad = node.sad();
      assert.equal(sad.length, 2, JSON.stringify(sad));
      for (const sa of sad) {
        const natt = sa['natt'] as { sport: number; dport: number } | undefined;
        assert.ok(natt && (natt.sport === 4500 || natt.dport === 4500), `racoon's SA in UDP: ${JSON.stringify(sa)}`);
      }
      if (version === 2) assert.match(node.racoon!.out, /IKEv2 SA \d+ established with .*\(NAT-T\)/);
    }

    /** Pings both ways under a capture on the public machine's veth: only IKE and ESP in UDP, NAT'ed source. */
    async function pingsThroughNat(tag: string, start: () => Promise<void>): Promise<void> {
      const { net, dir } = p!;
      const [pubNs, pubIf] = natted === 'u' ? [net.s, net.ifS] : [net.u, net.ifU];
      const cap = await Capture.start(pubNs, pubIf, join(dir, `${tag}.pcapng`), 'ip');
      try {
        await start();
        await assertPings(net, {}, diag());
        await assertPings(net, { from: 's' }, diag());
      } finally {
        await cap.stop();
      }
      assertOnlyIkeAndEspInUdp(cap, { addrU: net.seenByS, addrS: net.seenByU }, { minEsp: 10 });
    }

    async function terminate(): Promise<void> {
      const { charon, node } = p!;
      const t = await charon.terminate({ ike: 'uipsec' });
      assert.ok(t.ok, t.out);
      await pollUntil(
        () => `SAs left after charon's Delete: ${JSON.stringify(node.sad())}${diag()}`,
        () => node.sad().length === 0,
      );
    }

    for (const version of [2, 1] as const) {
      const title =
        natted === 'u'
          ? `IKEv${version}: racoon behind the NAT initiates; charon sees the NAT's address; pings both ways`
          : `IKEv${version}: charon behind the NAT initiates, racoon responds to the NAT's address; pings both ways`;
      it(skip ? `skipped: ${skip}` : title, async () => {
        const { charon } = p!;
        await configure(version);
        await pingsThroughNat(`v${version}`, async () => {
          if (natted === 'u') return;
          const init = await charon.initiate({ child: 'net', timeoutSec: 30 });
          assert.ok(init.ok, `swanctl --initiate: ${init.out}${diag()}`);
        });
        await assertNat(version);
        assert.equal((await charon.listSas())[0]?.initiator, natted === 's');
        await terminate();
      });
    }
  });
}

natDescribe('u');
natDescribe('s');
