// NAT traversal on the IKE side, the same for both versions: following a peer whose address or ports
// changed (RFC 3947 §4; RFC 7296 §2.23), moving our own messages to the NAT-T port once a NAT is seen, and
// the NAT-keepalive timer behind a NAT (RFC 3948 §2.3).
import type { EngineCtx } from './context.js';
import { nattKeepalive, type Endpoint, type IkePath } from './datagram.js';

/** An IKE SA as NAT traversal sees it. */
export interface NattPath extends IkePath {
  /** A NAT was detected (or `nat_traversal force`). */
  natDetected: boolean;
  /** Our messages use the NAT-T port now. */
  floated: boolean;
  cancelKeepalive?: () => void;
}

/** A peer that moved to the NAT-T port (or, behind a NAT, to another port) is followed there. */
export function followPeer(sa: NattPath, local: Endpoint, remote: Endpoint, nattPort: number): void {
  if (remote.port === sa.remote.port && local.port === sa.local.port) return;
  if (local.port === nattPort) sa.floated = true;
  sa.remote = { addr: remote.addr, port: remote.port };
  sa.local = { addr: local.addr, port: local.port };
}

/** The initiator moves to the NAT-T port when a NAT was detected. */
export function floatToNattPort(sa: NattPath, nattPort: number): void {
  sa.local = { addr: sa.local.addr, port: nattPort };
  sa.remote = { addr: sa.remote.addr, port: nattPort };
  sa.floated = true;
}

/** Behind a NAT: one 0xFF datagram every `natt_keepalive` seconds while alive() holds. */
export function armKeepalive(ctx: EngineCtx, sa: NattPath, alive: () => boolean): void {
  const sec = ctx.conf.timer.nattKeepaliveSec;
  if (!sa.floated || !sa.natDetected || sec <= 0) return;
  const tick = () => {
    if (!alive() || ctx.closed()) return;
    ctx.stats.keepalivesSent++;
    ctx.sendDatagram(nattKeepalive(), sa.local, sa.remote);
    sa.cancelKeepalive = ctx.clock.setTimer(sec * 1000, tick);
  };
  sa.cancelKeepalive = ctx.clock.setTimer(sec * 1000, tick);
}
