// Two machines in network namespaces for the TUN-mode tests: `uipsec-<tag>-<pid>-a/-b` joined by a veth
// pair, each with a real address, processes started inside them with `ip netns exec` (the shipped commands,
// as a user runs them), every wait bounded, everything deleted afterwards.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { daemonArgs } from '../e2e/support.js';

/** Why the namespace tests cannot run here, or undefined. */
export function netnsSkipReason(tools: string[] = []): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux (network namespaces, TUN)';
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, TUN, raw sockets)';
  for (const t of ['ip', ...tools]) {
    const r = spawnSync(t, t === 'ip' ? ['-V'] : ['--version'], { encoding: 'utf8' });
    if (r.error) return `${t} not installed`;
  }
  return undefined;
}

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
}

/** A process inside a namespace, output collected, bounded waits. */
export class NsProc {
  readonly child: ChildProcess;
  out = '';
  readonly exited: Promise<number | null>;
  private pokes: (() => void)[] = [];

  constructor(
    readonly label: string,
    ns: string,
    cmd: string[],
    cwd?: string,
  ) {
    this.child = spawn('ip', ['netns', 'exec', ns, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'], cwd });
    const add = (d: Buffer) => {
      this.out += d.toString();
      if (this.out.length > 1 << 20) this.out = this.out.slice(-(1 << 19));
      for (const p of this.pokes.splice(0)) p();
    };
    this.child.stdout!.on('data', add);
    this.child.stderr!.on('data', add);
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code) => {
        for (const p of this.pokes.splice(0)) p();
        resolve(code);
      }),
    );
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves when the output matches; rejects after `ms` or when the process ends first. */
  async waitFor(re: RegExp, ms = 30_000): Promise<void> {
    const end = Date.now() + ms;
    for (;;) {
      if (re.test(this.out)) return;
      if (!this.running) throw new Error(`${this.label} ended before printing ${re}:\n${this.out.slice(-3000)}`);
      const left = end - Date.now();
      if (left <= 0) throw new Error(`${this.label}: no ${re} within ${ms} ms:\n${this.out.slice(-3000)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 500));
        this.pokes.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** A signal to this process (by its own pid), then its exit, bounded (SIGKILL after `ms`). */
  async stop(sig: NodeJS.Signals = 'SIGTERM', ms = 10_000): Promise<number | null> {
    if (this.running) this.child.kill(sig);
    const t = setTimeout(() => this.child.kill('SIGKILL'), ms);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }
}

/** Runs a command inside a namespace to completion (bounded). */
export function nsRun(ns: string, cmd: string[], timeoutMs = 30_000): { code: number | null; out: string } {
  const r = spawnSync('ip', ['netns', 'exec', ns, ...cmd], { encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

export interface Pair {
  a: string;
  b: string;
  addrA: string;
  addrB: string;
  /** IPv6 addresses of the same veth (no duplicate address detection: usable at once). */
  addr6A: string;
  addr6B: string;
  ifA: string;
  ifB: string;
  destroy(): void;
}

/** Two namespaces joined by a veth pair with addresses `net.1` and `net.2` (/24), `net6::1` and `net6::2` (/64). */
export function makePair(tag: string, net: string, net6: string): Pair {
  const id = `${process.pid}`;
  const a = `uipsec-${tag}-${id}-a`,
    b = `uipsec-${tag}-${id}-b`;
  const ifA = `u${tag.slice(0, 4)}${id.slice(-5)}a`.slice(0, 15),
    ifB = `u${tag.slice(0, 4)}${id.slice(-5)}b`.slice(0, 15);
  const addrA = `${net}.1`,
    addrB = `${net}.2`;
  const addr6A = `${net6}::1`,
    addr6B = `${net6}::2`;
  ip(['netns', 'add', a]);
  ip(['netns', 'add', b]);
  const destroy = () => {
    spawnSync('ip', ['netns', 'del', a]);
    spawnSync('ip', ['netns', 'del', b]);
  };
  try {
    ip(['link', 'add', ifA, 'type', 'veth', 'peer', 'name', ifB]);
    ip(['link', 'set', ifA, 'netns', a]);
    ip(['link', 'set', ifB, 'netns', b]);
    for (const [ns, dev, addr, addr6] of [
      [a, ifA, addrA, addr6A],
      [b, ifB, addrB, addr6B],
    ] as const) {
      ip(['-n', ns, 'addr', 'add', `${addr}/24`, 'dev', dev]);
      ip(['-n', ns, 'addr', 'add', `${addr6}/64`, 'dev', dev, 'nodad']);
      ip(['-n', ns, 'link', 'set', dev, 'up']);
      ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    }
  } catch (e) {
    destroy();
    throw e;
  }
  return { a, b, addrA, addrB, addr6A, addr6B, ifA, ifB, destroy };
}

/** `node bin/uipsecd ARGS` inside `ns`, as docs/protecting-real-traffic.md starts it. */
export function startDaemon(ns: string, label: string, args: string[]): NsProc {
  return new NsProc(label, ns, [process.execPath, ...daemonArgs(args)]);
}
