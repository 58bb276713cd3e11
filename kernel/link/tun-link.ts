// The machine side of a TUN-mode host (uipsecd --tun): a Linux TUN device as a Link. What the machine's
// kernel routes into the device (its applications' packets, or packets it forwards) arrives through
// onReceive; what the host writes with send() is handed to the machine's kernel as if it had arrived on the
// device (delivered locally or forwarded). Reads come in batches from the I/O worker (kernel/os/io-loop.ts);
// writes go to the send worker (kernel/os/tx-queue.ts) when one is given, else one write(2) each. A macOS utun link would implement the same contract with its 4-byte header.
import type { Link } from './link.js';
import { libc } from '../os/libc.js';
import { copyPacket } from '../ip/packet-pool.js';
import type { IoLoopSource } from '../os/io-loop.js';
import type { TxQueue } from '../os/tx-queue.js';

export class TunLink implements Link {
  readonly stats = { packetsIn: 0, packetsOut: 0, filtered: 0, writeErrors: 0 };
  private rx: (packet: Uint8Array) => void = () => {};
  private closed = false;

  constructor(
    readonly name: string,
    private readonly fd: number,
    readonly mtu: number,
    private readonly tx?: TxQueue,
  ) {}

  /** What the I/O loop reads for this link. */
  source(): IoLoopSource {
    return { fd: this.fd, dgram: false, maxLen: Math.max(this.mtu, 1500) + 64, handler: (p) => this.receive(p) };
  }

  onReceive(fn: (packet: Uint8Array) => void): void {
    this.rx = fn;
  }

  /** Hands a packet to the machine's kernel (nextHop is meaningless on a point-to-point device). */
  send(packet: Uint8Array, nextHop?: Uint8Array): void {
    void nextHop;
    if (this.closed) return;
    const ok = this.tx ? this.tx.write(this.fd, packet) : libc().write(this.fd, packet, packet.length) >= 0;
    if (ok) this.stats.packetsOut++;
    else this.stats.writeErrors++;
  }

  private receive(view: Uint8Array): void {
    if (this.closed) return;
    if (!isUnicastBeyondLink(view)) {
      // The kernel's own chatter on the device (IPv6 router solicitations, MLD, multicast): not for a peer.
      this.stats.filtered++;
      return;
    }
    this.stats.packetsIn++;
    this.rx(copyPacket(view));
  }

  close(): void {
    this.closed = true;
  }
}

/** False for packets that must never leave through the host: multicast, broadcast, IPv6 link-local. */
export function isUnicastBeyondLink(p: Uint8Array): boolean {
  if (p.length < 20) return false;
  const v = p[0]! >> 4;
  if (v === 4) {
    const d0 = p[16]!;
    return d0 < 224 && !(d0 === 255 && p[17] === 255 && p[18] === 255 && p[19] === 255);
  }
  if (v === 6 && p.length >= 40) {
    const d0 = p[24]!,
      d1 = p[25]!;
    return d0 !== 0xff && !(d0 === 0xfe && (d1 & 0xc0) === 0x80);
  }
  return false;
}
