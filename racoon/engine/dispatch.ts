// Datagram input for every IKE version (racoon isakmp_handler): NAT-keepalives are dropped, the non-ESP
// marker is required on the NAT-T port, and the message goes to the handler of the major version in its
// header. IKEv1 is version 1 (RFC 2408 §3.1); IKEv2 (RFC 7296 §3.1, version 2) registers beside it.
import type { EngineCtx } from './context.js';
import { isNattKeepalive, stripNonEspMarker, type Endpoint } from './datagram.js';

/** One IKE version's message side: the seam a second version plugs into. */
export interface IkeVersionHandler {
  /** The major version in the ISAKMP header (high nibble of byte 17) that this handler takes. */
  readonly majorVersion: number;
  /** One IKE message (non-ESP marker removed) received on `local` from `remote`. Never throws. */
  input(msg: Uint8Array, local: Endpoint, remote: Endpoint): void;
}

/** RFC 2408 §3.1 and RFC 7296 §3.1 put MjVer|MnVer at the same offset. */
const VERSION_OFFSET = 17;

export class IkeDispatch {
  private readonly byVersion = new Map<number, IkeVersionHandler>();

  /**
   * `others` takes a message of a version no handler speaks (or too short to carry one). Today that is
   * IKEv1, whose header check counts it malformed; IKEv2 takes the role to answer as RFC 7296 §1.5 says.
   */
  constructor(
    private readonly ctx: Pick<EngineCtx, 'stats' | 'nattPort' | 'closed'>,
    handlers: readonly IkeVersionHandler[],
    private readonly others: IkeVersionHandler,
  ) {
    for (const h of handlers) this.byVersion.set(h.majorVersion, h);
  }

  /** One UDP payload received on `local` from `remote`. Never throws. */
  input(data: Uint8Array, local: Endpoint, remote: Endpoint): void {
    if (this.ctx.closed()) return;
    this.ctx.stats.received++;
    if (isNattKeepalive(data)) return;
    let d: Uint8Array | undefined = data;
    if (local.port === this.ctx.nattPort) {
      d = stripNonEspMarker(data);
      if (!d) {
        this.ctx.stats.malformed++;
        return;
      }
    }
    const major = d.length > VERSION_OFFSET ? d[VERSION_OFFSET]! >> 4 : undefined;
    const h = (major !== undefined ? this.byVersion.get(major) : undefined) ?? this.others;
    h.input(d, local, remote);
  }
}
