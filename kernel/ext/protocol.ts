// Protocol handlers (Darwin net_add_proto / net_del_proto, a protosw for one IP protocol number): the host
// hands a packet for this host carrying that protocol to the handler, after the inbound IPsec policy check
// (so a GRE or IP-in-IP tunnel can itself be protected), and the handler sends its protocol through the
// host's output path (SPD, IPsec, routing). Protocols the stack implements itself cannot be taken over.
import { ErrnoError } from '../../common/errors.js';
import { fault, type GuardSink, type Hooked } from './contain.js';
import type { Attachment, Owner } from './attach.js';
import { IPPROTO_AH, IPPROTO_ESP, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_IPCOMP, IPPROTO_UDP } from '../ip/constants.js';

/** The stack's own protocols: net_add_proto refuses them (EEXIST). */
const STACK_PROTOCOLS = new Set([IPPROTO_ICMP, IPPROTO_UDP, IPPROTO_ESP, IPPROTO_AH, IPPROTO_ICMPV6, IPPROTO_IPCOMP]);

/** One packet for a handler. `payload` is a view into `packet` (the bytes after the IP header chain). */
export interface ProtocolPacket {
  readonly family: 4 | 6;
  readonly protocol: number;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly packet: Uint8Array;
  readonly payload: Uint8Array;
  /** IPsec transforms the packet came through (0: it arrived in clear). */
  readonly ipsecLayers: number;
}

/** A protocol handler (the pr_input of a protosw). */
export interface ProtocolHandler {
  readonly name: string;
  input(p: ProtocolPacket): void;
  detached?(): void;
}

/** What the table needs from the host. */
export interface ProtocolStack {
  sendIp(dst: Uint8Array, protocol: number, payload: Uint8Array, sock?: undefined, src?: Uint8Array): boolean;
  input(packet: Uint8Array): void;
}

/** An added protocol: send packets of it, or remove it. */
export class ProtocolRef implements Attachment, Hooked {
  readonly kind = 'protocol handler';
  faults = 0;
  private gone = false;
  constructor(
    readonly protocol: number,
    readonly handler: ProtocolHandler,
    readonly label: string,
    private readonly table: ProtocolTable,
    private readonly owner: Owner,
  ) {}

  get name(): string {
    return this.handler.name;
  }

  /** Sends `payload` as protocol `protocol` to dst (source: the outgoing interface's address unless given). */
  send(dst: Uint8Array, payload: Uint8Array, src?: Uint8Array): boolean {
    if (this.gone) throw new ErrnoError('EINVAL', `protocol handler ${this.name} is detached`);
    this.table.sink.stats.bump('proto_out');
    return this.table.stack.sendIp(dst, this.protocol, payload, undefined, src);
  }

  /** proto_inject: a packet (say, the one a tunnel protocol carried) into the host's IP input. */
  inject(packet: Uint8Array): void {
    if (this.gone) throw new ErrnoError('EINVAL', `protocol handler ${this.name} is detached`);
    this.table.stack.input(packet.slice());
  }

  /** net_del_proto. */
  detach(): void {
    if (this.gone) return;
    this.gone = true;
    this.table.remove(this);
    this.owner.release(this);
    const d = this.handler.detached;
    if (d) {
      try {
        d.call(this.handler);
      } catch (e) {
        fault(this.owner.sink, this, 'detached()', e);
      }
    }
  }
}

/** The host's protocol switch for extension protocols. */
export class ProtocolTable {
  /** The hot path's check: zero means no lookup. */
  count = 0;
  private readonly byProto = new Map<number, ProtocolRef>();

  constructor(
    readonly sink: GuardSink,
    readonly stack: ProtocolStack,
  ) {}

  /** net_add_proto: EEXIST if the stack or another handler has the protocol. */
  add(protocol: number, handler: ProtocolHandler, owner: Owner): ProtocolRef {
    if (!Number.isInteger(protocol) || protocol < 0 || protocol > 255)
      throw new ErrnoError('EINVAL', `bad IP protocol number ${String(protocol).slice(0, 16)}`);
    if (STACK_PROTOCOLS.has(protocol)) throw new ErrnoError('EEXIST', `protocol ${protocol} belongs to the stack`);
    const had = this.byProto.get(protocol);
    if (had) throw new ErrnoError('EEXIST', `protocol ${protocol} is handled by ${had.label}`);
    const ref = new ProtocolRef(protocol, handler, `${owner.name}/${handler.name}`, this, owner);
    this.byProto.set(protocol, ref);
    this.count++;
    owner.adopt(ref);
    return ref;
  }

  remove(ref: ProtocolRef): void {
    if (this.byProto.get(ref.protocol) === ref) {
      this.byProto.delete(ref.protocol);
      this.count--;
    }
  }

  /** Hands a packet to the protocol's handler; false if no handler has it (the caller counts noproto). */
  dispatch(p: ProtocolPacket): boolean {
    const ref = this.byProto.get(p.protocol);
    if (!ref) return false;
    this.sink.stats.bump('proto_in');
    try {
      ref.handler.input(p);
    } catch (e) {
      fault(this.sink, ref, 'input()', e);
    }
    return true;
  }
}
