// The racoon daemon core, one per host: the engine context both IKE versions share, the PF_KEY bridge and
// the routing of its events, the datagram dispatch, and the IKE versions behind it (IKEv1, and IKEv2 for the
// remotes that say `ike_version 2`, in the dispatch and the kernel-event routing). The world is injected: an
// IKE datagram sender, a PfkeyClient, a clock, an Rng and a logger.
import type { Clock } from '../common/clock.js';
import { addrEqual, formatAddr } from '../common/inet.js';
import type { Logger } from '../common/log.js';
import type { Rng } from '../common/rng.js';
import * as P from '../pfkey/constants.js';
import type { PfkeyClient } from '../pfkey/client.js';
import { ISAKMP_NATT_PORT, ISAKMP_PORT, type RacoonConf } from './conf/ast.js';
import type { EngineCtx, RacoonLogLevel } from './engine/context.js';
import { sendIke, type Endpoint, type IkeSender } from './engine/datagram.js';
import { IkeDispatch } from './engine/dispatch.js';
import { DEFAULT_HALF_OPEN_MAX, DEFAULT_HALF_OPEN_PER_SOURCE, HalfOpenLimit } from './engine/half-open.js';
import { SourceLog, type SourceLogOptions } from './engine/log-limit.js';
import { TokenBucket } from './engine/rate-limit.js';
import { newRacoonStats, type RacoonStats } from './engine/stats.js';
import type { Phase1, Phase2 } from './ikev1/handles.js';
import { Ikev1Handler } from './ikev1/handler.js';
import type { ReloadSummary } from './ikev1/reload.js';
import { Ikev2Acquire } from './ikev2/acquire.js';
import { Ikev2Handler } from './ikev2/handler.js';
import { lookupRemote } from './conf/lookup.js';
import type { ReassemblyLimits } from './ikev1/reassembly.js';
import type { PskFile } from './psk.js';
import { RemoteAuthTable } from './conf/remote-auth.js';
import { KernelEvents } from './sa/kernel-events.js';
import { runScripts } from './ikev1/script-env.js';
import { runIkev2Scripts } from './ikev2/script-env.js';
import type { ScriptEvent, ScriptRunner } from './script-hooks.js';
import { PfkeyBridge, type BridgeEvents, type SpEntry } from './sa/pfkey-bridge.js';

export type { RacoonStats } from './engine/stats.js';
export type { IkeSender } from './engine/datagram.js';

export interface RacoonOptions {
  conf: RacoonConf;
  psk: PskFile;
  pfkey: PfkeyClient;
  ike: IkeSender;
  clock: Clock;
  rng: Rng;
  log: Logger;
  /** Responder negotiations in progress allowed at once (unauthenticated state). Default 256. */
  maxHalfOpen?: number;
  /** ... of them from one address (strongSwan block_threshold). Default 5. */
  halfOpenPerSource?: number;
  /** Answers resent for repeated requests, daemon-wide: per second and burst. Default 50/s, 100. */
  resendPerSec?: number;
  /** Per-source log limit (lines per source and in total per window). */
  sourceLog?: Partial<SourceLogOptions>;
  /** IKE and NAT-T ports (racoon -p / -P). */
  port?: number;
  nattPort?: number;
  /** racoon -dd: `debug2` lines too. */
  debug2?: boolean;
  /** Certificates, keys and identities per remote (loaded by racoon -C's check); default: loaded from conf. */
  auth?: RemoteAuthTable;
  /** Bounds of IKEv1 fragment reassembly (unauthenticated state); defaults in ikev1/reassembly.ts. */
  fragLimits?: Partial<ReassemblyLimits>;
  /** Where `script` hooks run (the racoon command spawns them, script-hooks.ts); absent: scripts do not run. */
  scripts?: ScriptRunner;
  /** The source address routing picks toward an address (racoonctl vc without a policy; racoon getlocaladdr). */
  routeSource?: (dst: Uint8Array) => Uint8Array | undefined;
}

export class Racoon {
  readonly stats: RacoonStats = newRacoonStats();
  readonly bridge: PfkeyBridge;
  readonly port: number;
  readonly nattPort: number;
  /** The IKEv1 side: phase 1 and phase 2 tables, main mode, quick mode, informational. */
  readonly ikev1: Ikev1Handler;
  /** The IKEv2 side (RFC 7296): IKE SAs, their Child SAs, the exchanges; remotes with `ike_version 2`. */
  readonly ikev2: Ikev2Handler;
  /** IKEv2's ACQUIRE path (a child for a policy; tests and the benchmark start negotiations here). */
  readonly ikev2Acquire: Ikev2Acquire;
  private readonly dispatch: IkeDispatch;
  private readonly kernel: KernelEvents;
  private nextId = 1;
  private closed = false;
  private sourceLog!: SourceLog;

  constructor(readonly o: RacoonOptions) {
    this.port = o.port ?? ISAKMP_PORT;
    this.nattPort = o.nattPort ?? ISAKMP_NATT_PORT;
    this.bridge = new PfkeyBridge(o.pfkey, this.kernelEvents(), o.log);
    const ctx = this.context(
      new HalfOpenLimit(o.maxHalfOpen ?? DEFAULT_HALF_OPEN_MAX, o.halfOpenPerSource ?? DEFAULT_HALF_OPEN_PER_SOURCE),
    );
    this.ikev1 = new Ikev1Handler(ctx, { fragLimits: o.fragLimits });
    const scripts = o.scripts;
    if (scripts) {
      const run = (ev: ScriptEvent) => (ph1: Phase1) => runScripts(ctx.conf, scripts, ph1, ev);
      Object.assign(this.ikev1.events, {
        phase1Up: run('phase1_up'),
        phase1Down: run('phase1_down'),
        phase1Dead: run('phase1_dead'),
      });
    }
    this.ikev2 = new Ikev2Handler(ctx);
    if (scripts)
      for (const [k, ev] of [
        ['up', 'phase1_up'],
        ['down', 'phase1_down'],
        ['dead', 'phase1_dead'],
      ] as const)
        this.ikev2.events[k] = (sa) => runIkev2Scripts(ctx.conf, scripts, sa, ev);
    this.ikev2Acquire = new Ikev2Acquire(this.ikev2);
    this.dispatch = new IkeDispatch(ctx, [this.ikev1, this.ikev2], this.ikev1);
    // An ACQUIRE goes to the IKE version the peer's remote section names (`ike_version`, IKEv1 by default).
    const world = { spd: this.bridge.spd, port: this.port, log: ctx.log };
    this.kernel = new KernelEvents(
      world,
      (_sp, peer) =>
        lookupRemote(ctx.conf, peer.addr, peer.port)?.ikeVersion === 2 ? this.ikev2Acquire : this.ikev1.ph2,
      [this.ikev1.ph2s, this.ikev2.children],
    );
  }

  /** The bridge's events, forwarded once the routing exists (the bridge is created first). */
  private kernelEvents(): BridgeEvents {
    return {
      acquire: (m) => this.kernel.acquire(m),
      expire: (m) => this.kernel.expire(m),
      deleted: (m) => this.kernel.deleted(m),
      flushed: (satype) => this.kernel.flushed(satype),
    };
  }

  private context(halfOpen: HalfOpenLimit): EngineCtx {
    const o = this.o;
    const log = (level: RacoonLogLevel, msg: string) => {
      if (level !== 'debug2') o.log.log(level, msg);
      else if (o.debug2) o.log.log('debug', msg);
    };
    const enabled = (level: RacoonLogLevel) =>
      level === 'debug2' ? o.debug2 === true && o.log.enabled('debug') : o.log.enabled(level);
    this.sourceLog = new SourceLog(o.clock, log, enabled, () => this.stats.logSuppressed++, o.sourceLog);
    const resendPerSec = o.resendPerSec ?? 50;
    return {
      sourceLog: this.sourceLog,
      resendBudget: new TokenBucket(resendPerSec, resendPerSec * 2),
      // Getters: a reload (SIGHUP) replaces both, and every table reads the current ones.
      get conf() {
        return o.conf;
      },
      get psk() {
        return o.psk;
      },
      auth: o.auth ?? new RemoteAuthTable(o.conf),
      clock: o.clock,
      rng: o.rng,
      stats: this.stats,
      bridge: this.bridge,
      halfOpen,
      port: this.port,
      nattPort: this.nattPort,
      log,
      newId: () => this.nextId++,
      closed: () => this.closed,
      send: (path, bytes) => {
        const n = sendIke(o.ike, this.nattPort, path, bytes);
        if (n > 1) this.stats.fragSent += n;
      },
      sendDatagram: (data, from, to) => o.ike.send(data, from, to),
    };
  }

  /** IKEv1 phase 1 SAs by initiator cookie. */
  get ph1s(): Map<string, Phase1> {
    return this.ikev1.ph1.sas;
  }

  /** IKEv1 phase 2 negotiations in progress or established. */
  get ph2s(): Set<Phase2> {
    return this.ikev1.ph2s.all;
  }

  /** A new initiator quick mode for a policy (ACQUIRE, rekey, tests and the benchmark). */
  startPh2(sp: SpEntry, me: Endpoint, peer: Endpoint, seq: number, satype = P.SADB_SATYPE_ESP): Phase2 | undefined {
    return this.ikev1.ph2.startPh2(sp, me, peer, seq, satype);
  }

  async start(): Promise<void> {
    await this.bridge.start();
    this.o.log.log('info', `PF_KEY registered; ${this.bridge.spd.size} policies mirrored`);
  }

  /**
   * The PF_KEY socket closed (uipsecd died, racoon keeps running): the kernel's SAs are gone, so every IKE
   * version forgets its negotiations and IPsec SAs; phase 1 SAs live in racoon and survive.
   */
  kernelGone(): void {
    for (const p of this.ikev1.ph1.sas.values()) p.waiting.length = 0;
    this.kernel.kernelGone();
  }

  /** A new PF_KEY socket to the restarted uipsecd: REGISTER, SPDDUMP, then the peers hear of the lost SAs. */
  async kernelBack(client: PfkeyClient): Promise<void> {
    this.bridge.attach(client);
    await this.start();
    this.kernel.kernelBack();
  }

  /**
   * A configuration reload (racoon reload_conf on SIGHUP): the new racoon.conf and psk.txt in place, the SPD
   * mirror reloaded, then each SA revalidated against the new configuration (racoon revalidate_ph12).
   */
  async reload(conf: RacoonConf, psk: PskFile): Promise<ReloadSummary> {
    this.o.conf = conf;
    this.o.psk = psk;
    await this.bridge.reloadSpd();
    return this.ikev1.reload();
  }

  /** A clean stop's first half (racoon close_session): DELETE to every peer, our SAs out of the kernel. */
  async shutdown(): Promise<void> {
    await this.ikev1.shutdown();
  }

  close(): void {
    this.closed = true;
    this.sourceLog.close();
    this.ikev1.close();
    this.ikev2.close();
    this.bridge.close();
  }

  /** One UDP payload received on `local` from `remote` (racoon isakmp_handler). Never throws. */
  input(data: Uint8Array, local: Endpoint, remote: Endpoint): void {
    this.dispatch.input(data, local, remote);
  }

  // ---- administration (racoonctl) ----

  /** ISAKMP SAs as racoonctl show-sa isakmp prints them. */
  showIsakmp(): string[] {
    return this.ikev1.ph1.show();
  }

  /** IKEv2's counters for racoonctl show-stats (`ikev2.NAME`). */
  get ikev2Stats(): object {
    return this.ikev2.stats;
  }

  /** IKEv2 SAs as racoonctl show-sa ike prints them (a line per IKE SA, then one per child). */
  showIkev2(): string[] {
    return this.ikev2.show();
  }

  /** flush-sa isakmp: delete every phase 1 (with a DELETE to the peer when established). */
  flushIsakmp(): number {
    return this.ikev1.ph1.flush();
  }

  /** delete-sa isakmp SRC DST. */
  deleteIsakmp(remote: Uint8Array): boolean {
    return this.ikev1.ph1.deleteWith(remote);
  }

  /** establish-sa isakmp SRC DST. */
  establishIsakmp(local: Uint8Array, remote: Uint8Array): Phase1 | undefined {
    return this.ikev1.ph1.establish(local, remote);
  }

  /** flush-sa esp|ah|ipsec: the kernel's SAs of that type flushed, and the negotiations that made them forgotten. */
  async flushIpsec(satype: number): Promise<void> {
    const c = this.bridge.client;
    await c.request({ msg: c.header(P.SADB_FLUSH, satype), ext: {} });
    this.kernel.flushed(satype); // the kernel answers our own FLUSH to us alone, as a reply: not an event
  }

  /** Our address towards `gw`: an outbound policy's tunnel source toward it, or a host policy's own source. */
  localFor(gw: Uint8Array): Uint8Array | undefined {
    for (const sp of this.bridge.spd.values()) {
      if (sp.dir !== P.IPSEC_DIR_OUTBOUND) continue;
      for (const r of sp.requests) if (r.src && r.dst && addrEqual(r.dst.addr, gw)) return r.src.addr;
      if (addrEqual(sp.dst.addr, gw) && sp.dst.len === gw.length * 8) return sp.src.addr;
    }
    return undefined;
  }

  /** vpn-connect's source toward `gw`: our policies' address, else the one the machine's routing picks. */
  vpnSource(gw: Uint8Array): Uint8Array | undefined {
    return this.localFor(gw) ?? this.o.routeSource?.(gw);
  }

  /**
   * racoonctl vpn-connect GATEWAY: phase 1 with it, from the address our policies use toward it, else — a road
   * warrior has no policy before mode config gives it an address — from the address routing picks, as
   * ipsec-tools' racoonctl does (f_vpnc: getlocaladdr, then establish-sa isakmp).
   */
  vpnConnect(gw: Uint8Array): Phase1 | undefined {
    const local = this.vpnSource(gw);
    if (!local) {
      this.o.log.log('warn', `vpn-connect ${formatAddr(gw)}: no policy toward it and no route to it`);
      return undefined;
    }
    return this.establishIsakmp(local, gw);
  }

  /** racoonctl vpn-disconnect GATEWAY: every IPsec-SA with it and its ISAKMP-SAs, the peer told. */
  async vpnDisconnect(gw: Uint8Array): Promise<{ ph1: number; ph2: number }> {
    let ph2 = 0;
    for (const p of [...this.ikev1.ph2s.all]) {
      if (!addrEqual(p.ph1?.remote.addr ?? p.dst.addr, gw)) continue;
      await this.ikev1.ph2s.remove(p, true);
      ph2++;
    }
    let ph1 = 0;
    while (this.deleteIsakmp(gw)) ph1++;
    return { ph1, ph2 };
  }
}
