// An IP-in-IP tunnel (RFC 2003) as a protocol handler (net_add_proto for protocol 4) and an IP filter: packets
// this host sends into `prefix` are swallowed by the filter and sent, whole, as the payload of an IPv4 packet
// from `local` to `remote` (the handler's send); IPv4-in-IPv4 packets from `remote` are unwrapped and the inner
// packet injected into IP input. The outer packets go through the host's SPD like any other, so an IPsec
// policy for protocol 4 between the endpoints protects the tunnel.
import { ipFlow, parseAddr, parsePrefix, prefixContains, formatAddr } from 'uipsec';
import type { Extension, ExtensionContext, IpFilterRef, ProtocolPacket, ProtocolRef, Prefix } from 'uipsec';

const IPPROTO_IPV4 = 4;

export interface IpipOptions {
  local: string;
  remote: string;
  /** What goes through the tunnel: destinations in this IPv4 prefix. */
  prefix: string;
}

export class IpipTunnel implements Extension {
  readonly name = 'org.uipsec.example.ipip';
  readonly counters = { encapsulated: 0, decapsulated: 0, refused: 0 };
  private readonly local: Uint8Array;
  private readonly remote: Uint8Array;
  private readonly prefix: Prefix;
  private proto: ProtocolRef | undefined;
  private filter: IpFilterRef | undefined;

  constructor(opts: IpipOptions) {
    const l = parseAddr(opts.local),
      r = parseAddr(opts.remote),
      p = parsePrefix(opts.prefix);
    if (!l || !r || !p || l.length !== 4 || r.length !== 4 || p.family !== 4)
      throw new RangeError('ipip needs IPv4 local, remote and prefix');
    [this.local, this.remote, this.prefix] = [l, r, p];
  }

  start(ctx: ExtensionContext): void {
    const proto = ctx.protocol(IPPROTO_IPV4, { name: 'ipip', input: (p) => this.input(p) });
    this.proto = proto;
    this.filter = ctx.ipFilter(4, {
      name: 'ipip-out',
      output: (p, info) => {
        if (info.afterIpsec) return 'continue';
        const f = ipFlow(p);
        if (!f || f.protocol === IPPROTO_IPV4 || !prefixContains(this.prefix, f.dst)) return 'continue';
        this.counters.encapsulated++;
        proto.send(this.remote, p.slice(0, f.end), this.local);
        return 'swallow';
      },
    });
  }

  stop(): void {
    this.filter?.detach();
    this.proto?.detach();
  }

  private input(p: ProtocolPacket): void {
    if (formatAddr(p.src) !== formatAddr(this.remote) || p.family !== 4) {
      this.counters.refused++;
      return;
    }
    this.counters.decapsulated++;
    this.proto!.inject(p.payload);
  }
}
