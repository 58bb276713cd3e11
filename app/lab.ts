// An in-process lab: hosts on one in-memory wire, each with its own PF_KEY socket layer (kernel/keysock/keysock.ts),
// configured by running the real setkey code (setkey/main.ts runSetkey) over the in-process PF_KEY
// transport, with a tap that records every frame that crosses the wire. Used by the demo, `uipsec demo`
// and the API example; nothing here is global.
import type { Clock } from '../common/clock.js';
import type { Rng } from '../common/rng.js';
import { SeededRng } from '../common/rng.js';
import { parseAddr } from '../common/inet.js';
import { Host } from '../kernel/host/host.js';
import { KeySock } from '../kernel/keysock/keysock.js';
import { MemWire } from '../kernel/link/memwire.js';
import { runSetkeyInproc, type SetkeyRun } from './setkey-inproc.js';

export type { SetkeyRun } from './setkey-inproc.js';

/** A frame seen on the wire: which port sent it, when (ms on the lab clock), and a copy of the bytes. */
export interface TapFrame {
  from: string;
  atMs: number;
  bytes: Uint8Array;
}

export interface LabHost {
  name: string;
  /** Interface address with prefix length, e.g. 10.0.0.1/24. */
  addr: string;
  host: Host;
  keysock: KeySock;
}

export interface LabOptions {
  clock?: Clock;
  /** Seed for the hosts' random sources (deterministic IVs and SPIs); default: the system RNG. */
  seed?: string;
  mtu?: number;
}

export class Lab {
  readonly wire: MemWire;
  readonly frames: TapFrame[] = [];
  readonly hosts = new Map<string, LabHost>();
  private readonly nowMs: () => number;
  private readonly closers: (() => void)[] = [];

  constructor(private readonly opts: LabOptions = {}) {
    this.nowMs = () => (opts.clock ?? { now: Date.now }).now();
    this.wire = new MemWire({
      mtu: opts.mtu,
      tap: (p, from) => this.frames.push({ from, atMs: this.nowMs(), bytes: new Uint8Array(p) }),
    });
  }

  /** Adds a host with one interface `eth0` on the wire. */
  addHost(name: string, addr: string): LabHost {
    const a = parseAddr(addr.split('/')[0]!);
    if (!a) throw new Error(`bad address ${addr}`);
    const rng: Rng | undefined = this.opts.seed === undefined ? undefined : new SeededRng(`${this.opts.seed}:${name}`);
    const host = new Host({ name, clock: this.opts.clock, rng });
    host.addInterface('eth0', this.wire.attach(name, [a]), [addr]);
    const h: LabHost = { name, addr, host, keysock: new KeySock(host) };
    this.hosts.set(name, h);
    return h;
  }

  /** True when the hosts use seeded random sources (deterministic runs). */
  get seeded(): boolean {
    return this.opts.seed !== undefined;
  }

  /** Runs `fn` when the lab closes (before the hosts), e.g. to stop a daemon attached to a host. */
  onClose(fn: () => void): void {
    this.closers.push(fn);
  }

  get(name: string): LabHost {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no host ${name}`);
    return h;
  }

  /**
   * Runs `setkey ARGV` against a host through an in-process PF_KEY socket. `files` are the files setkey may
   * read (`-f NAME`); `stdin` feeds `-c`.
   */
  async setkey(
    name: string,
    argv: readonly string[],
    files: Record<string, string> = {},
    stdin = '',
  ): Promise<SetkeyRun> {
    return runSetkeyInproc(this.get(name).keysock, argv, { files, stdin, nowMs: this.nowMs });
  }

  /** Frames seen since index `from`. */
  since(from: number): TapFrame[] {
    return this.frames.slice(from);
  }

  close(): void {
    for (const fn of this.closers.splice(0)) fn();
    for (const h of this.hosts.values()) {
      h.keysock.close();
      h.host.close();
    }
    this.hosts.clear();
  }
}

/** Lets queued wire deliveries and PF_KEY replies run (memwire and the in-process transport use microtasks). */
export async function settle(rounds = 4): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}
