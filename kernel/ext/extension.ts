// Extensions (Darwin NKEs: a kext's start/stop routines and what they register): a named module started on one
// Host with a context through which it attaches IP filters, interface filters, socket filters and protocol
// handlers. The context owns what the extension attaches; stopping an extension that still has attachments
// after its stop() ran is refused with EBUSY (an NKE whose filters are still registered refuses to unload),
// and the extension stays loaded. `host.extensions` is the registry; the filter lists live here too, so the
// host's packet path checks one number per hook.
import { ErrnoError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { Clock } from '../../common/clock.js';
import type { Interface } from '../host/iface.js';
import { ExtStats, type GuardSink } from './contain.js';
import type { Attachment, Owner } from './attach.js';
import { IpFilterChains, type IpFilter, type IpFilterRef, type IpInjectStack } from './ip-filter.js';
import { attachIfFilter, type IfFilter, type IfFilterRef, type IfInjectStack } from './iface-filter.js';
import { SocketFilterRegistry, type SocketFilter, type SocketFilterRef } from './socket-filter.js';
import { ProtocolTable, type ProtocolHandler, type ProtocolRef, type ProtocolStack } from './protocol.js';
import { PacketTags } from './mbuf-tag.js';

/** An extension module: what `uipsecd --extension MODULE` loads (its default export, or a function making it). */
export interface Extension {
  /** Reverse-DNS style, unique per host: "org.example.firewall". */
  readonly name: string;
  start(ctx: ExtensionContext): void | Promise<void>;
  /** Detach what start attached; a stop that leaves attachments is refused (EBUSY). */
  stop?(ctx: ExtensionContext): void | Promise<void>;
}

/** What an extension gets from its host. */
export interface ExtensionContext {
  readonly name: string;
  /** The host the extension runs on (a `Host`; cast to it for more than the clock). */
  readonly host: { readonly name: string; readonly clock: Clock };
  readonly log: Logger;
  /** ipf_addv4 / ipf_addv6. */
  ipFilter(family: 4 | 6, filter: IpFilter): IpFilterRef;
  /** iflt_attach. */
  interfaceFilter(ifname: string, filter: IfFilter): IfFilterRef;
  /** sflt_register; `global`: on every UDP socket created from now on (SFLT_GLOBAL). */
  socketFilter(filter: SocketFilter, opts?: { global?: boolean }): SocketFilterRef;
  /** net_add_proto. */
  protocol(protocol: number, handler: ProtocolHandler): ProtocolRef;
  /** What this extension has attached and not detached. */
  attachments(): readonly Attachment[];
  /** mbuf_tag_*: typed tags on packets that later filters (of any extension knowing the id) find. */
  readonly tags: PacketTags;
}

/** What the registry needs from its host (Host implements it). */
export interface ExtStack extends IpInjectStack, IfInjectStack, ProtocolStack {
  readonly name: string;
  readonly log: Logger;
  interface(name: string): Interface | undefined;
}

type State = 'starting' | 'started' | 'stopping';

/** One loaded extension's context: it owns the extension's attachments. */
class Context implements ExtensionContext, Owner {
  readonly owned = new Set<Attachment>();
  state: State = 'starting';

  constructor(
    readonly ext: Extension,
    readonly reg: Extensions,
    readonly host: ExtensionContext['host'],
  ) {}

  get name(): string {
    return this.ext.name;
  }
  get log(): Logger {
    return this.reg.log;
  }
  get sink(): GuardSink {
    return this.reg;
  }
  get tags(): PacketTags {
    return this.reg.tags;
  }

  adopt(a: Attachment): void {
    this.owned.add(a);
  }
  release(a: Attachment): void {
    this.owned.delete(a);
  }

  ipFilter(family: 4 | 6, filter: IpFilter): IpFilterRef {
    this.live();
    if (family !== 4 && family !== 6) throw new ErrnoError('EINVAL', 'family must be 4 or 6');
    return this.reg.ip.add(family, filter, this);
  }

  interfaceFilter(ifname: string, filter: IfFilter): IfFilterRef {
    this.live();
    const ifc = this.reg.stack.interface(ifname);
    if (!ifc) throw new ErrnoError('ENXIO', `no interface ${ifname.slice(0, 32)}`);
    return attachIfFilter(ifc, filter, this.reg, this.reg.stack, this);
  }

  socketFilter(filter: SocketFilter, opts: { global?: boolean } = {}): SocketFilterRef {
    this.live();
    return this.reg.sockets.register(filter, opts.global === true, this);
  }

  protocol(protocol: number, handler: ProtocolHandler): ProtocolRef {
    this.live();
    return this.reg.protocols.add(protocol, handler, this);
  }

  attachments(): readonly Attachment[] {
    return [...this.owned];
  }

  private live(): void {
    if (this.reg.get(this.name) !== this) throw new ErrnoError('EINVAL', `extension ${this.name} is not loaded`);
  }
}

/** A loaded extension as `list()` shows it. */
export interface ExtensionInfo {
  name: string;
  state: State;
  attachments: { kind: string; name: string }[];
}

/** `host.extensions`: load, stop and list extensions; the host's filter lists and the extension counters. */
export class Extensions implements GuardSink {
  readonly stats = new ExtStats();
  readonly tags = new PacketTags();
  readonly ip: IpFilterChains;
  readonly protocols: ProtocolTable;
  readonly sockets: SocketFilterRegistry;
  private readonly loaded = new Map<string, Context>();

  constructor(
    readonly stack: ExtStack,
    private readonly host: ExtensionContext['host'],
  ) {
    this.ip = new IpFilterChains(this, stack);
    this.protocols = new ProtocolTable(this, stack);
    this.sockets = new SocketFilterRegistry(this);
  }

  get log(): Logger {
    return this.stack.log;
  }

  /** @internal the context of a loaded extension. */
  get(name: string): ExtensionContext | undefined {
    return this.loaded.get(name);
  }

  /** Starts `ext` on this host; EEXIST if one of that name is loaded. A start that throws leaves nothing attached. */
  async load(ext: Extension): Promise<ExtensionContext> {
    if (!ext || typeof ext.name !== 'string' || ext.name === '' || typeof ext.start !== 'function')
      throw new ErrnoError('EINVAL', 'an extension needs a name and a start function');
    if (this.loaded.has(ext.name)) throw new ErrnoError('EEXIST', `extension ${ext.name} is already loaded`);
    const ctx = new Context(ext, this, this.host);
    this.loaded.set(ext.name, ctx);
    try {
      await ext.start(ctx);
    } catch (e) {
      for (const a of [...ctx.owned]) a.detach();
      this.loaded.delete(ext.name);
      throw e;
    }
    ctx.state = 'started';
    this.log.log('notice', `${this.stack.name}: extension ${ext.name} started`);
    return ctx;
  }

  /**
   * Runs the extension's stop and unloads it. EBUSY (and the extension stays loaded) while it still has
   * attachments, as an NKE with registered filters refuses to unload; ENOENT if it is not loaded.
   */
  async stop(name: string): Promise<void> {
    const ctx = this.loaded.get(name);
    if (!ctx) throw new ErrnoError('ENOENT', `extension ${name.slice(0, 64)} is not loaded`);
    if (ctx.state !== 'started') throw new ErrnoError('EBUSY', `extension ${name} is ${ctx.state}`);
    ctx.state = 'stopping';
    try {
      await ctx.ext.stop?.(ctx);
    } finally {
      ctx.state = 'started';
    }
    if (ctx.owned.size > 0) {
      const what = [...ctx.owned].map((a) => `${a.kind} ${a.name}`).join(', ');
      throw new ErrnoError(
        'EBUSY',
        `extension ${name} cannot stop: it still has ${ctx.owned.size} attachment${ctx.owned.size > 1 ? 's' : ''} (${what}); detach them in its stop()`,
      );
    }
    this.loaded.delete(name);
    this.log.log('notice', `${this.stack.name}: extension ${name} stopped`);
  }

  list(): ExtensionInfo[] {
    return [...this.loaded.values()].map((c) => ({
      name: c.name,
      state: c.state,
      attachments: [...c.owned].map((a) => ({ kind: a.kind, name: a.name })),
    }));
  }

  /** The host is closing: every extension's stop is called (not awaited) and whatever it left is detached. */
  closeAll(): void {
    for (const ctx of [...this.loaded.values()]) {
      try {
        void Promise.resolve(ctx.ext.stop?.(ctx)).catch(() => {});
      } catch {
        // the host goes away whatever the extension thinks
      }
      for (const a of [...ctx.owned]) a.detach();
    }
    this.loaded.clear();
  }
}
