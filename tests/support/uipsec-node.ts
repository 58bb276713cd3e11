// The uipsec side of interop tests and benches: one machine (a network namespace) running the shipped
// commands as separate processes, exactly as docs/protecting-real-traffic.md tells a user:
//
//   uipsecd --socket DIR/pfkey.sock --tun utun0 --load DIR/setkey.conf
//   racoon -F -f DIR/racoon.conf -v --socket DIR/pfkey.sock
//
// with `setkey` and `racoonctl` run against them on demand. Example (with tests/support/interop-net.ts):
//
//   const node = await UipsecNode.start({ ns: net.u, dir, setkey: `spdadd ${net.innerNetU} ${net.innerNetS} any
//       -P out ipsec esp/tunnel/${net.addrU}-${net.addrS}/require; ...`,
//     racoon: { conf: `remote ${net.addrS} { ... }\nsainfo anonymous { ... }`, psk: `${net.addrS}\tsecret\n` } });
//   node.setkey(['-D', '--json']);   node.racoonctl(['show-sa', 'isakmp']);   node.racoon!.out (its log)
//   await node.stop();
//
// Compiled tests run bin/uipsecd, bin/racoon, bin/setkey and bin/racoonctl; tests run from source (tsx) run
// the same mains from source. Every wait is bounded; stop() is idempotent and also runs at process exit.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compiled, daemonArgs, programArgs, repoRoot } from '../e2e/support.js';
import { NsProc } from '../os/netns.js';
import { onExitCleanup, procCpuSeconds } from './interop-net.js';

export interface UipsecRacoonOptions {
  /**
   * racoon.conf body (`remote`, `sainfo`, `timer`, `path certificate`...). The harness puts
   * `path pre_shared_key` (when `psk` is given) and `listen { adminsock ... }` before it: leave those out.
   */
  conf: string;
  /** psk.txt contents (`ADDRESS<TAB>SECRET` lines); written with mode 0600. */
  psk?: string;
  /** racoon's flags after `-F -f FILE`; default `['-v']` (info and notice lines, no keys). */
  args?: string[];
  /** Waits for this in racoon's output after the start; default /racoon started/. */
  ready?: RegExp;
}

export interface UipsecNodeOptions {
  /** The network namespace (the machine). */
  ns: string;
  /** A directory of the test; the node's files go in DIR/NAME/ (sockets included: one daemon per NAME). */
  dir: string;
  /** Default 'u'. */
  name?: string;
  /** TUN interface name, default `utun0`. */
  tun?: string;
  /** The setkey file given with `--load` (policies, and SAs for manual keying). */
  setkey: string;
  /** Extra uipsecd arguments (e.g. `['-f', conf]`, `['-d']`). */
  daemonArgs?: string[];
  /** node's own flags for uipsecd (e.g. `['--cpu-prof', '--cpu-prof-dir=DIR']`). */
  nodeArgs?: string[];
  /** Another build's bin/uipsecd (benches compare two builds in one run); default this tree's. */
  uipsecd?: string;
  /** Starts racoon after uipsecd when given. */
  racoon?: UipsecRacoonOptions;
  /** Bound on each start-up wait; default 60 s (the machines are shared and may be loaded). */
  startMs?: number;
}

/** A command line for one of our programs: bin/NAME when compiled, its main from source otherwise. */
function program(name: 'racoon' | 'setkey' | 'racoonctl', args: string[]): string[] {
  if (compiled) return [process.execPath, join(repoRoot(), 'bin', name), ...args];
  return [process.execPath, ...programArgs('tests/e2e/racoon-launch'), name, ...args];
}

/** uipsecd (and optionally racoon) on one machine. */
export class UipsecNode {
  racoon: NsProc | undefined;
  private stopped = false;
  private readonly forget: () => void;

  private constructor(
    readonly ns: string,
    /** DIR/NAME: setkey.conf, racoon.conf, psk.txt, pfkey.sock, ike.sock, admin.sock. */
    readonly home: string,
    readonly daemon: NsProc,
    private readonly startMs: number,
  ) {
    this.forget = onExitCleanup(() => {
      this.racoon?.child.kill('SIGKILL');
      this.daemon.child.kill('SIGKILL');
    });
  }

  /** Starts uipsecd, waits for `up: TUN`, then racoon (when asked) and waits for it to be ready. */
  static async start(o: UipsecNodeOptions): Promise<UipsecNode> {
    const home = join(o.dir, o.name ?? 'u');
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'setkey.conf'), o.setkey);
    const tun = o.tun ?? 'utun0';
    const args = ['--socket', join(home, 'pfkey.sock'), '--tun', tun, '--load', join(home, 'setkey.conf')];
    const daemon = new NsProc(`uipsecd ${o.name ?? 'u'}`, o.ns, [
      process.execPath,
      ...(o.nodeArgs ?? []),
      ...(o.uipsecd ? [o.uipsecd, ...args, ...(o.daemonArgs ?? [])] : daemonArgs([...args, ...(o.daemonArgs ?? [])])),
    ]);
    const node = new UipsecNode(o.ns, home, daemon, o.startMs ?? 60_000);
    try {
      await daemon.waitFor(new RegExp(` up: TUN ${tun}`), node.startMs);
      if (o.racoon) await node.startRacoon(o.racoon);
    } catch (e) {
      await node.stop();
      throw e;
    }
    return node;
  }

  get socket(): string {
    return join(this.home, 'pfkey.sock');
  }

  get adminSocket(): string {
    return join(this.home, 'admin.sock');
  }

  /** Starts (or restarts, after stopRacoon()) racoon with this configuration. */
  async startRacoon(r: UipsecRacoonOptions): Promise<NsProc> {
    const head: string[] = [];
    if (r.psk !== undefined) {
      writeFileSync(join(this.home, 'psk.txt'), r.psk, { mode: 0o600 });
      head.push(`path pre_shared_key "${join(this.home, 'psk.txt')}";`);
    }
    head.push(`listen { adminsock "${this.adminSocket}"; }`);
    writeFileSync(join(this.home, 'racoon.conf'), `${head.join('\n')}\n${r.conf}\n`);
    const cmd = program('racoon', ['-F', '-f', join(this.home, 'racoon.conf'), ...(r.args ?? ['-v'])]);
    this.racoon = new NsProc(`racoon ${this.ns}`, this.ns, [...cmd, '--socket', this.socket]);
    await this.racoon.waitFor(r.ready ?? /racoon started/, this.startMs);
    return this.racoon;
  }

  /** SIGTERM to racoon (bounded); the daemon keeps running. */
  async stopRacoon(): Promise<void> {
    await this.racoon?.stop('SIGTERM', 10_000);
  }

  /** `setkey ARGS --socket ...` inside the machine, bounded; stdin for `-c`. */
  setkey(args: string[], stdin?: string): { code: number | null; out: string } {
    return this.run(program('setkey', [...args, '--socket', this.socket]), stdin);
  }

  /** The SAD as setkey's JSON (`setkey -D --json`). */
  sad(): Record<string, unknown>[] {
    const r = this.setkey(['-D', '--json']);
    if (r.code !== 0) throw new Error(`setkey -D --json: ${r.out}`);
    return JSON.parse(r.out) as Record<string, unknown>[];
  }

  /** `racoonctl -s ADMIN ARGS` inside the machine, bounded. */
  racoonctl(args: string[]): { code: number | null; out: string } {
    return this.run(program('racoonctl', ['-s', this.adminSocket, ...args]));
  }

  /** racoon's counters (`racoonctl show-stats`: `name value` lines, IKEv2's as `ikev2.NAME`). */
  stats(): Record<string, number> {
    const r = this.racoonctl(['show-stats']);
    if (r.code !== 0) throw new Error(`racoonctl show-stats: ${r.out}`);
    const out: Record<string, number> = {};
    for (const m of r.out.matchAll(/^(\S+) (\d+)$/gm)) out[m[1]!] = Number(m[2]);
    return out;
  }

  private run(cmd: string[], stdin?: string): { code: number | null; out: string } {
    const r = spawnSync('ip', ['netns', 'exec', this.ns, ...cmd], {
      encoding: 'utf8',
      timeout: 30_000,
      input: stdin,
    });
    return { code: r.status, out: (r.stdout ?? '') + (r.stderr ?? '') };
  }

  /** User + system CPU seconds used so far by uipsecd and by racoon (NaN when not running). */
  cpuSeconds(): { daemon: number; racoon: number } {
    return {
      daemon: procCpuSeconds(this.daemon.child.pid ?? -1),
      racoon: this.racoon ? procCpuSeconds(this.racoon.child.pid ?? -1) : NaN,
    };
  }

  /** racoon, then uipsecd, each SIGTERM then SIGKILL after 10 s. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.racoon?.stop('SIGTERM', 10_000);
    await this.daemon.stop('SIGTERM', 10_000);
    this.forget();
  }
}

/** The setkey text of a tunnel between two gateways: `innerNetU <-> innerNetS` through `addrU <-> addrS`. */
export function tunnelPolicies(
  n: { innerNetU: string; innerNetS: string; addrU: string; addrS: string },
  level: 'require' | 'unique' | 'use' = 'require',
): string {
  return [
    'flush;',
    'spdflush;',
    `spdadd ${n.innerNetU} ${n.innerNetS} any -P out ipsec esp/tunnel/${n.addrU}-${n.addrS}/${level};`,
    `spdadd ${n.innerNetS} ${n.innerNetU} any -P in ipsec esp/tunnel/${n.addrS}-${n.addrU}/${level};`,
    '',
  ].join('\n');
}
