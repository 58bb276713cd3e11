// An in-memory wire joining hosts in one process, with optional loss, delay, reorder and duplication
// for tests. Delivery is asynchronous through the injected clock, or synchronous (delay 0, queueMicrotask)
// so that a test can step it. Every frame is copied: the sender may reuse its buffer.
import type { Clock } from '../../common/clock.js';
import type { Rng } from '../../common/rng.js';
import { addrKey } from '../../common/inet.js';
import type { Link } from './link.js';

export interface WireOptions {
  mtu?: number;
  /** Probability 0..1 that a frame is lost. */
  loss?: number;
  /** Fixed delay in ms (needs a clock); 0 = next microtask. */
  delayMs?: number;
  /** Extra random delay up to this many ms, which reorders frames. */
  jitterMs?: number;
  /** Probability 0..1 that a frame is delivered twice. */
  duplicate?: number;
  clock?: Clock;
  rng?: Rng;
  /** Called with every frame that enters the wire (a capture point, like tcpdump on the segment). */
  tap?: (packet: Uint8Array, from: string) => void;
}

/** A shared segment: every port has one or more addresses; a frame goes to the port owning the next hop. */
export class MemWire {
  readonly mtu: number;
  private ports = new Map<string, MemPort>();
  private byAddr = new Map<string, MemPort>();
  private rb = new Uint8Array(4);
  stats = { sent: 0, delivered: 0, lost: 0, duplicated: 0, noNeighbour: 0, tooBig: 0 };

  constructor(private opts: WireOptions = {}) {
    this.mtu = opts.mtu ?? 1500;
  }

  /** Attaches a port owning `addrs` (the addresses of the host interface on this wire). */
  attach(name: string, addrs: Uint8Array[]): MemPort {
    const port = new MemPort(this, name);
    this.ports.set(name, port);
    for (const a of addrs) this.byAddr.set(addrKey(a), port);
    return port;
  }

  /** Adds an address to an existing port (alias, or a new address on the interface). */
  addAddress(port: MemPort, addr: Uint8Array): void {
    this.byAddr.set(addrKey(addr), port);
  }

  detach(port: MemPort): void {
    this.ports.delete(port.name);
    for (const [k, p] of this.byAddr) if (p === port) this.byAddr.delete(k);
  }

  private chance(p: number | undefined): boolean {
    if (!p || !this.opts.rng) return false;
    this.opts.rng.fill(this.rb);
    return ((this.rb[0]! << 8) | this.rb[1]!) / 65536 < p;
  }

  private jitter(): number {
    if (!this.opts.jitterMs || !this.opts.rng) return 0;
    this.opts.rng.fill(this.rb);
    return (((this.rb[2]! << 8) | this.rb[3]!) / 65536) * this.opts.jitterMs;
  }

  /** @internal called by MemPort.send */
  transmit(from: MemPort, packet: Uint8Array, nextHop: Uint8Array): void {
    this.stats.sent++;
    if (packet.length > this.mtu) {
      this.stats.tooBig++;
      return;
    }
    this.opts.tap?.(packet, from.name);
    const to = this.byAddr.get(addrKey(nextHop));
    if (!to || to === from) {
      this.stats.noNeighbour++;
      return;
    }
    if (this.chance(this.opts.loss)) {
      this.stats.lost++;
      return;
    }
    const copies = this.chance(this.opts.duplicate) ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    // new Uint8Array(...) copies; Buffer#slice (ESP output builds Buffers) would only make a view.
    for (let i = 0; i < copies; i++) this.schedule(to, new Uint8Array(packet));
  }

  private schedule(to: MemPort, frame: Uint8Array): void {
    const delay = (this.opts.delayMs ?? 0) + this.jitter();
    const deliver = () => {
      this.stats.delivered++;
      to.deliver(frame);
    };
    if (delay > 0 && this.opts.clock) this.opts.clock.setTimer(delay, deliver);
    else queueMicrotask(deliver);
  }
}

export class MemPort implements Link {
  private rx: (packet: Uint8Array) => void = () => {};
  private closed = false;
  constructor(
    private wire: MemWire,
    readonly name: string,
  ) {}
  get mtu(): number {
    return this.wire.mtu;
  }
  send(packet: Uint8Array, nextHop: Uint8Array): void {
    if (!this.closed) this.wire.transmit(this, packet, nextHop);
  }
  onReceive(fn: (packet: Uint8Array) => void): void {
    this.rx = fn;
  }
  /** @internal */
  deliver(frame: Uint8Array): void {
    if (!this.closed) this.rx(frame);
  }
  close(): void {
    this.closed = true;
    this.wire.detach(this);
  }
}
