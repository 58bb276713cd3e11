// Two gateways of an interop test in one object: the network (tests/support/interop-net.ts or nat-net.ts), charon
// on the peer machine (strongswan.ts) and `uipsecd --tun` + `racoon` on ours (uipsec-node.ts), with the failure
// diagnostics every such test prints and a stop() that undoes all of it. The set-up the racoon/strongSwan tests
// used to repeat:
//
//   let p: SwanPair | undefined;
//   before(async function () {
//     if (skip) this.skip();
//     p = await SwanPair.start({ tag: 'swv2x', swanctl: (net) => ({ connections: [...] }),
//       racoon: (net) => ({ conf: racoonConf(net.addrS), psk: `${net.addrS}\tsecret\n` }) });
//   });
//   after(() => p?.stop());
//   ... p.node.sad(), p.charon.listSas(), p.ikeLines(), assertPings(p.net, {}, p.diag())
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeInteropNet, type InteropNet } from './interop-net.js';
import { Charon, type CharonOptions, type SwanctlConf } from './strongswan.js';
import { tunnelPolicies, UipsecNode, type UipsecRacoonOptions } from './uipsec-node.js';

export interface SwanPairOptions<N extends InteropNet> {
  /** Names the namespaces (`uipsec-<tag>-<pid>-*`) and the temporary directory. */
  tag: string;
  /** The topology; default two gateways with a client namespace behind each. */
  net?: (tag: string) => N;
  /** charon's start options besides its namespace and directory (plugins, log levels, settings). */
  charon?: Omit<CharonOptions, 'ns' | 'dir'>;
  /** swanctl.conf loaded at the start, when given. */
  swanctl?: (net: N) => SwanctlConf;
  /** The setkey file uipsecd loads; default tunnelPolicies(net). */
  setkey?: (net: N) => string;
  /** racoon's configuration, when racoon starts with uipsecd. */
  racoon?: (net: N) => UipsecRacoonOptions;
}

/** The network, charon and the uipsec node of one test. */
export class SwanPair<N extends InteropNet = InteropNet> {
  private charons = 0;

  private constructor(
    readonly net: N,
    readonly dir: string,
    public charon: Charon,
    public node: UipsecNode,
    private readonly charonOptions: Omit<CharonOptions, 'ns' | 'dir'>,
  ) {}

  /** Makes the network, starts charon (and loads its configuration), then uipsecd and racoon; undoes all on failure. */
  static async start<N extends InteropNet = InteropNet>(o: SwanPairOptions<N>): Promise<SwanPair<N>> {
    const dir = mkdtempSync(join(tmpdir(), `uipsec-${o.tag}-`));
    let net: N | undefined;
    let charon: Charon | undefined;
    try {
      net = o.net ? o.net(o.tag) : (makeInteropNet(o.tag, { clients: true }) as N);
      charon = await Charon.start({ ...o.charon, ns: net.s, dir: join(dir, 'charon0') });
      if (o.swanctl) await charon.load(o.swanctl(net));
      const node = await UipsecNode.start({
        ns: net.u,
        dir,
        setkey: o.setkey ? o.setkey(net) : tunnelPolicies(net),
        racoon: o.racoon?.(net),
      });
      return new SwanPair(net, dir, charon, node, o.charon ?? {});
    } catch (e) {
      await charon?.stop();
      net?.destroy();
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /** A new charon in place of the current one (after it was killed or stopped), with this configuration loaded. */
  async restartCharon(conf: SwanctlConf): Promise<Charon> {
    await this.charon.stop();
    this.charon = await Charon.start({
      ...this.charonOptions,
      ns: this.net.s,
      dir: join(this.dir, `charon${++this.charons}`),
    });
    await this.charon.load(conf);
    return this.charon;
  }

  /** The tails of racoon's, charon's and uipsecd's output, for an assertion message. */
  diag(): string {
    return (
      `\n--- racoon\n${this.node.racoon?.out.slice(-4000)}\n--- charon\n${this.charon.log().slice(-3000)}` +
      `\n--- uipsecd\n${this.node.daemon.out.slice(-1000)}`
    );
  }

  /** racoon's IKEv2 SAs as `racoonctl show-sa ike` lists them (one line each, children left out). */
  ikeLines(): string[] {
    return this.node
      .racoonctl(['show-sa', 'ike'])
      .out.split('\n')
      .filter((l) => / IKEv2 /.test(l));
  }

  /** racoon and uipsecd, charon, the network, the directory. Idempotent. */
  async stop(): Promise<void> {
    await this.node.stop();
    await this.charon.stop();
    this.net.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** What differs between the PSK gateway connections of the interop tests. */
export interface PskTunnelOptions {
  secret: string;
  /** Default 2. */
  version?: 1 | 2;
  /** IKE and ESP proposals; charon's defaults when absent (swanctlConf: aes128-sha256-modp2048, aes128-sha256). */
  proposals?: string[];
  esp?: string[];
  /** Default true (forced UDP encapsulation); false to let NAT detection decide. */
  encap?: boolean;
  /** Where charon reaches racoon (the NAT's address); default net.addrU. */
  remoteAddr?: string;
}

/**
 * charon's side of the tunnel every racoon/strongSwan PSK test runs: connection `uipsec` with child `net` between
 * the protected networks, identities the two machines' own addresses, one shared secret.
 */
export function pskTunnel(net: InteropNet, o: PskTunnelOptions): SwanctlConf {
  return {
    connections: [
      {
        name: 'uipsec',
        version: o.version ?? 2,
        localAddrs: [net.addrS],
        remoteAddrs: [o.remoteAddr ?? net.addrU],
        ...(o.proposals ? { proposals: o.proposals } : {}),
        ...(o.encap !== undefined ? { encap: o.encap } : {}),
        local: { auth: 'psk', id: net.addrS },
        remote: { auth: 'psk', id: net.addrU },
        children: [
          {
            name: 'net',
            localTs: [net.innerNetS],
            remoteTs: [net.innerNetU],
            ...(o.esp ? { espProposals: o.esp } : {}),
          },
        ],
      },
    ],
    secrets: [{ type: 'ike', ids: [net.addrU, net.addrS], secret: o.secret }],
  };
}
