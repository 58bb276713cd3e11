// Issue 10, tunnel mode gateway to gateway, uipsec <-> uipsec: two gateway machines (network namespaces joined
// by a veth), each running `uipsecd --tun utun0 --load policies.conf` as its own process, each with a client
// machine behind it (its own namespace, a veth, a default route through the gateway, nothing else: the clients
// know nothing of IPsec). The gateways protect 10.93.1.0/24 <-> 10.93.2.0/24 with ESP in tunnel mode (raw IP
// protocol 50; and ESP-in-UDP), keyed by hand (`add ... -m tunnel` in the --load file) and then by racoon (main mode + quick
// mode on the gateways' UDP 500, raised by the clients' first packet). iperf3 TCP runs between the clients in
// both directions while tshark on the gateways' link sees only ESP and ISAKMP: never the clients' addresses,
// never TCP or ICMP in clear. The gateways' forwarding into the TUN is the policy routing uipsecd installs
// from the SPD (docs/protecting-real-traffic.md, "Gateway to gateway").
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Capture, tsharkSkipReason } from '../support/capture.js';
import { makeInteropNet, type InteropNet } from '../support/interop-net.js';
import { iperfSkipReason, runIperf } from '../support/iperf.js';
import { tunnelPolicies, UipsecNode } from '../support/uipsec-node.js';
import { netnsSkipReason, nsRun } from './netns.js';

const KEY = {
  enc1: '0x3c1d5e7f90a2b4c6d8e0f1a3b5c7d9e1',
  auth1: '0x0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9',
  enc2: '0xe1d9c7b5a3f1e0d8c6b4a2907f5e1d3c',
  auth2: '0xf9e8d7c6b5a4938271605f4e3d2c1b0af9e8d7c6b5a4938271605f4e3d2c1b0a',
};

type Side = 'u' | 's';

/** The net as seen from `side` (tunnelPolicies speaks from u's point of view). */
function view(n: InteropNet, side: Side): { innerNetU: string; innerNetS: string; addrU: string; addrS: string } {
  if (side === 'u') return n;
  return { innerNetU: n.innerNetS, innerNetS: n.innerNetU, addrU: n.addrS, addrS: n.addrU };
}

/** The side's policies, then both tunnel-mode ESP SAs (the same on both gateways), raw or in UDP 4500. */
function manualKeys(n: InteropNet, side: Side, udp: boolean): string {
  const sa = (src: string, dst: string, spi: string, enc: string, auth: string) =>
    udp
      ? `add ${src}[4500] ${dst}[4500] esp-udp ${spi} -m tunnel -E aes-cbc ${enc} -A hmac-sha256 ${auth};`
      : `add ${src} ${dst} esp ${spi} -m tunnel -E aes-cbc ${enc} -A hmac-sha256 ${auth};`;
  return [
    tunnelPolicies(view(n, side)).trimEnd(),
    sa(n.addrU, n.addrS, '0x1001', KEY.enc1, KEY.auth1),
    sa(n.addrS, n.addrU, '0x2001', KEY.enc2, KEY.auth2),
    '',
  ].join('\n');
}

function racoonConf(peer: string): string {
  return `timer { counter 5; interval 2 sec; }
remote ${peer} {
  exchange_mode main;
  proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method pre_shared_key; dh_group modp2048; }
}
sainfo anonymous {
  lifetime time 1 hour;
  encryption_algorithm aes 128;
  authentication_algorithm hmac_sha256;
  compression_algorithm deflate;
}
`;
}

describe('os: tunnel mode gateway to gateway, two uipsecd --tun gateways with clients behind them (iperf3, tshark)', function () {
  this.timeout(240_000);
  const skip = netnsSkipReason(['tshark']) ?? tsharkSkipReason() ?? iperfSkipReason();
  let dir = '';
  let net: InteropNet | undefined;
  let nodes: UipsecNode[] = [];

  before(function () {
    if (skip) this.skip();
    dir = mkdtempSync(join(tmpdir(), 'uipsec-tungw-'));
  });

  afterEach(async () => {
    for (const n of nodes) await n.stop();
    nodes = [];
    net?.destroy();
    net = undefined;
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The first packets raise ACQUIRE (racoon) and are dropped: ping client to client until one is answered. */
  const pingUntilAnswered = (n: InteropNet): boolean => {
    for (let i = 0; i < 20; i++)
      if (nsRun(n.hostU, ['ping', '-c', '1', '-W', '1', n.innerS], 10_000).code === 0) return true;
    return false;
  };

  /** iperf3 TCP between the clients both ways under a capture on u's side of the gateways' link. */
  const trafficOnTheLink = async (n: InteropNet, name: string): Promise<Capture> => {
    const cap = await Capture.start(n.u, n.ifU, join(dir, `${name}.pcapng`));
    try {
      const run = { serverNs: n.hostS, serverAddr: n.innerS, clientNs: n.hostU, clientAddr: n.innerU };
      for (const reverse of [false, true]) {
        const r = await runIperf({ ...run, seconds: 2, bitrate: '20M', reverse });
        assert.ok(r.bytes > 0, `iperf3 ${reverse ? 's -> u' : 'u -> s'}: ${r.bytes} bytes`);
      }
    } finally {
      await cap.stop();
    }
    return cap;
  };

  /** Every IP frame on the gateways' link is ESP (protocol 50) or ISAKMP, between the gateways' addresses. */
  const onlyEspAndIke = (cap: Capture, n: InteropNet): void => {
    const ipFrames = cap.frames().filter((f) => f.protocols.includes('ip'));
    const odd = ipFrames.filter(
      (f) =>
        !(f.protocols.includes('esp') || f.protocols.includes('isakmp')) ||
        f.protocols.includes('tcp') ||
        f.protocols.includes('icmp') ||
        ![n.addrU, n.addrS].includes(f.src) ||
        ![n.addrU, n.addrS].includes(f.dst),
    );
    assert.deepEqual(odd.slice(0, 5), [], `${odd.length} frames other than ESP/IKE between the gateways`);
    assert.ok(ipFrames.filter((f) => f.protocols.at(-1) === 'esp').length > 100, 'the clients’ traffic in ESP');
  };

  for (const udp of [false, true]) {
    const what = udp ? 'ESP-in-UDP 4500 (RFC 3948)' : 'ESP (IP protocol 50)';
    it(`manual keys (setkey -f via --load): the clients’ TCP crosses as ${what} in tunnel mode, nothing else on the link`, async () => {
      const tag = udp ? 'tgwu' : 'tgwm';
      const n = (net = makeInteropNet(tag, {
        outer: '198.51.110',
        innerU: '10.93.1',
        innerS: '10.93.2',
        clients: true,
      }));
      for (const side of ['u', 's'] as const) {
        const ns = side === 'u' ? n.u : n.s;
        nodes.push(await UipsecNode.start({ ns, dir, name: `${tag}${side}`, setkey: manualKeys(n, side, udp) }));
      }
      // The gateway routes the far network into its TUN from the `out` policy, and refuses it when uipsecd is gone.
      const table = nsRun(n.u, ['ip', 'route', 'show', 'table', '4500']).out;
      assert.match(table, /10\.93\.2\.0\/24 dev utun0/, table);
      assert.match(table, /prohibit 10\.93\.2\.0\/24 .*metric 4500/, table);
      assert.ok(pingUntilAnswered(n), 'client u pings client s');
      const cap = await trafficOnTheLink(n, tag);
      onlyEspAndIke(cap, n);
      assert.equal(cap.count('isakmp'), 0, 'no IKE with manual keys');
      const outer = udp ? 'udp.port == 4500 && esp' : 'ip.proto == 50';
      assert.ok(cap.count(outer) > 100, `the clients' traffic as ${outer}`);
    });
  }

  it('racoon: the clients’ first packet raises ACQUIRE, main + quick mode on UDP 500, then TCP in ESP both ways', async () => {
    const n = (net = makeInteropNet('tgwr', {
      outer: '198.51.111',
      innerU: '10.93.1',
      innerS: '10.93.2',
      clients: true,
    }));
    for (const side of ['u', 's'] as const) {
      const peer = side === 'u' ? n.addrS : n.addrU;
      nodes.push(
        await UipsecNode.start({
          ns: side === 'u' ? n.u : n.s,
          dir,
          name: `r${side}`,
          setkey: tunnelPolicies(view(n, side)),
          racoon: { conf: racoonConf(peer), psk: `${peer}\tuipsec-gw-secret\n` },
        }),
      );
    }
    const cap0 = await Capture.start(n.u, n.ifU, join(dir, 'racoon-ike.pcapng'));
    const answered = pingUntilAnswered(n);
    await cap0.stop();
    assert.ok(answered, nodes.map((x) => x.racoon?.out.slice(-1500)).join('\n'));
    assert.ok(cap0.count('isakmp && udp.port == 500') >= 6, 'main mode and quick mode on UDP 500');
    assert.match(nodes[0]!.racoon!.out, /IPsec-SA established/);
    const sad = nodes[0]!.sad();
    assert.ok(sad.length >= 2 && sad.every((sa) => sa['mode'] === 'tunnel'), JSON.stringify(sad).slice(0, 1500));
    const cap = await trafficOnTheLink(n, 'racoon');
    onlyEspAndIke(cap, n);
  });
});
