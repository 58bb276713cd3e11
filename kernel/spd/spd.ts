// The security policy database (KAME key.c SPD part, RFC 4301 §4.4.1): add/update/delete/get/flush/dump,
// policy ids, lifetimes (X_SPDEXPIRE), the indexed lookup (tuple-index.ts behind flow-cache.ts), and the
// weighing of a socket's own policy against the SPD (KAME ipsec.c ipsec_getpolicybysock; socket-policy.ts).
// One Spd per KernelHost; no module-level state.
import type { Clock } from '../../common/clock.js';
import type { Family } from '../../common/inet.js';
import type { Policy, PolicyDir, PolicySpec, SelectorSpec, PolicyAction, Selector } from './policy.js';
import {
  SpdError,
  showValue,
  checkPolicySpec,
  checkSelector,
  checkDir,
  selectorKey,
  IPSEC_REQID_MAX,
  PolicyRecord,
} from './policy.js';
import { IPSEC_MANUAL_REQID_MAX } from '../../pfkey/constants.js';
import { SelectorIndex } from './tuple-index.js';
import { fromSocket, type PolicyResolution, type SocketPolicy } from './socket-policy.js';

export {
  createSocketPolicy,
  type PolicyResolution,
  type SocketPolicy,
  type SocketDirPolicy,
  type SocketDirPolicySpec,
} from './socket-policy.js';
import { SpdCache } from './flow-cache.js';

const DIR_ORDER: readonly PolicyDir[] = ['in', 'out', 'fwd'];
/** The longest delay setTimeout honours. */
const MAX_TIMER_MS = 0x7fffffff;

export type ExpireReason = 'addtime' | 'usetime';
export type ExpireListener = (policy: Policy, reason: ExpireReason) => void;
/** Told of every change (add, update, delete, flush, expiry) after it is made, with the new generation. */
export type ChangeListener = (generation: number) => void;

export interface SpdOptions {
  clock: Clock;
  /** System default policy when nothing matches (KAME ip4_def_policy / net.inet.ipsec.def_policy). */
  defaultPolicy?: 'none' | 'discard';
  /** Refuse what the KAME/FreeBSD kernel refuses on SPDADD: fwd, entrust and bypass (EINVAL). */
  kameStrict?: boolean;
  /** Flow-cache entries in front of the index (FreeBSD spdcache idea); 0 disables. Default 16384. */
  cacheEntries?: number;
}

function dirSlot(d: PolicyDir): number {
  return d === 'in' ? 0 : d === 'out' ? 1 : d === 'fwd' ? 2 : -1;
}

function familyOf(a: Uint8Array): Family | 0 {
  return a.length === 4 ? 4 : a.length === 16 ? 6 : 0;
}

export class Spd {
  private readonly clock: Clock;
  private readonly defaultAction: 'none' | 'discard';
  private readonly kameStrict: boolean;
  /** Slot dirSlot(dir) * 2 + (family === 6 ? 1 : 0). */
  private readonly indexes: (SelectorIndex | undefined)[] = [
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
  ];
  private readonly byId = new Map<number, Policy>();
  private readonly byKey = new Map<string, Policy>();
  private readonly timers = new Map<number, () => void>();
  private readonly listeners = new Set<ExpireListener>();
  private readonly changeListeners = new Set<ChangeListener>();
  private readonly defaultResolution: PolicyResolution;
  private readonly cache: SpdCache | undefined;
  private stamp = 1;
  private lastId = 0;
  private lastReqid = IPSEC_MANUAL_REQID_MAX;
  private nextSeq = 1;
  private gen = 0;
  /** Called after every add, replacement and removal (not expiry: onExpire): the kernel events' feed. */
  onPolicyEvent: ((kind: 'added' | 'changed' | 'deleted', p: Policy) => void) | undefined;

  constructor(opts: SpdOptions) {
    this.clock = opts.clock;
    this.defaultAction = opts.defaultPolicy ?? 'none';
    this.kameStrict = opts.kameStrict ?? false;
    this.defaultResolution = { action: this.defaultAction, requests: [], source: 'default' };
    const entries = opts.cacheEntries ?? 16384;
    this.cache = entries > 0 ? new SpdCache(entries) : undefined;
  }

  /** Flow-cache counters (hits, misses), or undefined when the cache is off. */
  get cacheStats(): { hits: number; misses: number } | undefined {
    return this.cache && { hits: this.cache.hits, misses: this.cache.misses };
  }

  /** Bumped by every change; callers may cache lookups against it. */
  get generation(): number {
    return this.gen;
  }
  get size(): number {
    return this.byId.size;
  }

  /** SADB_X_SPDADD: EEXIST if the same selector and direction is installed. */
  addPolicy(spec: PolicySpec): Policy {
    const c = this.check(spec);
    if (this.byKey.has(selectorKey(c.dir, c.selector))) {
      throw new SpdError('EEXIST', 'a policy with this selector and direction exists');
    }
    const p = this.insert(c);
    this.onPolicyEvent?.('added', p);
    return p;
  }

  /** SADB_X_SPDUPDATE: replaces the policy with the same selector and direction, or adds one. As in KAME the
   * replacement gets a new id and goes behind the policies of equal priority. */
  updatePolicy(spec: PolicySpec): Policy {
    const c = this.check(spec);
    const old = this.byKey.get(selectorKey(c.dir, c.selector));
    if (old) this.unlink(old);
    const p = this.insert(c);
    this.onPolicyEvent?.(old ? 'changed' : 'added', p);
    return p;
  }

  /** SADB_X_SPDDELETE: by selector and direction; ENOENT when absent. */
  deletePolicy(sel: SelectorSpec, dir: PolicyDir): Policy {
    const key = selectorKey(checkDir(dir), checkSelector(sel));
    const p = this.byKey.get(key);
    if (!p) throw new SpdError('ENOENT', 'no policy with this selector and direction');
    this.unlink(p);
    this.onPolicyEvent?.('deleted', p);
    return p;
  }

  /** SADB_X_SPDDELETE2: by policy id; ENOENT when absent. */
  deletePolicyById(id: number): Policy {
    const p = this.getPolicy(id);
    this.unlink(p);
    this.onPolicyEvent?.('deleted', p);
    return p;
  }

  /** SADB_X_SPDGET: by policy id; ENOENT when absent. */
  getPolicy(id: number): Policy {
    const p = this.byId.get(id);
    if (!p) throw new SpdError('ENOENT', `no policy with id ${showValue(id)}`);
    return p;
  }

  findPolicy(id: number): Policy | undefined {
    return this.byId.get(id);
  }

  /** The installed policy with exactly this selector and direction, if any. */
  findBySelector(sel: SelectorSpec, dir: PolicyDir): Policy | undefined {
    return this.byKey.get(selectorKey(checkDir(dir), checkSelector(sel)));
  }

  /** SADB_X_SPDFLUSH: removes every policy; returns how many. */
  flush(): number {
    const n = this.byId.size;
    const gone = this.onPolicyEvent && [...this.byId.values()];
    for (const p of this.byId.values()) if (p instanceof PolicyRecord) p.freeze();
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
    this.byId.clear();
    this.byKey.clear();
    this.indexes.fill(undefined);
    if (n) this.changed();
    for (const p of gone ?? []) this.onPolicyEvent?.('deleted', p);
    return n;
  }

  /** SADB_X_SPDDUMP order: direction in, out, fwd; within one, lookup order (priority, then age). */
  dump(): Policy[] {
    const rank = (p: Policy) => DIR_ORDER.indexOf(p.dir);
    return [...this.byId.values()].sort((a, b) => rank(a) - rank(b) || a.priority - b.priority || a.seq - b.seq);
  }

  /** Right-sizes the lookup tables (load 1/4) and makes their priority bounds exact again (removals only
   * loosen them); worth a call after a bulk load or many deletes. Changes no answer. */
  compact(): void {
    for (const idx of this.indexes) idx?.compact();
  }

  /** Registers a listener for lifetime expiry (X_SPDEXPIRE); the policy is already removed when it runs. */
  onExpire(fn: ExpireListener): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }

  /**
   * Registers a listener for every change (uipsecd's TUN mode keeps the machine's routes in line with it).
   * Called synchronously inside the change: it must only note the change and schedule its work.
   */
  onChange(fn: ChangeListener): () => void {
    this.changeListeners.add(fn);
    return () => {
      this.changeListeners.delete(fn);
    };
  }

  /**
   * The policy for a packet (KAME key_allocsp): the best priority, then the oldest, among the policies of
   * this direction whose selector contains the packet. For ICMP/ICMPv6 pass the type as sport and the code
   * as dport. Updates lastused. Returns undefined when nothing matches or the addresses are malformed.
   */
  lookupPolicy(
    dir: PolicyDir,
    src: Uint8Array,
    dst: Uint8Array,
    proto: number,
    sport: number,
    dport: number,
  ): Policy | undefined {
    const fam = familyOf(dst);
    if (fam === 0 || src.length !== dst.length) return undefined;
    const idx = this.indexes[dirSlot(dir) * 2 + (fam === 6 ? 1 : 0)];
    if (idx === undefined) return undefined;
    idx.setQuery(src, dst);
    const sw = idx.qs,
      dw = idx.qd,
      words = idx.words;
    const cache = this.cache;
    // Only well-formed numbers go through the cache, whose key packs them into 32-bit words.
    const cacheable =
      cache !== undefined && (proto & 0xff) === proto && (sport & 0xffff) === sport && (dport & 0xffff) === dport;
    let slot: number;
    if (cacheable) {
      const meta = (dirSlot(dir) << 9) | (fam === 6 ? 256 : 0) | proto,
        ports = (sport << 16) | dport;
      slot = cache.get(this.stamp, meta, ports, sw, dw, words);
      if (slot < 0) {
        slot = idx.lookupSlot(sw, dw, proto, sport, dport);
        cache.put(this.stamp, meta, ports, sw, dw, words, slot);
      }
    } else slot = idx.lookupSlot(sw, dw, proto, sport, dport);
    if (slot === 0) return undefined;
    idx.touch(slot, this.clock.now());
    return idx.policyAt(slot);
  }

  /**
   * Applies a socket policy before the SPD (KAME ipsec_getpolicybysock): a privileged socket's bypass or
   * ipsec wins outright and its entrust falls to the SPD; an unprivileged socket consults the SPD first and
   * uses its own ipsec policy only when the SPD has none. Then the system default. fwd ignores sockets.
   * SPD `bypass` reads as none and SPD `entrust` as "no policy here".
   */
  resolvePolicy(
    sock: SocketPolicy | undefined,
    dir: PolicyDir,
    src: Uint8Array,
    dst: Uint8Array,
    proto: number,
    sport: number,
    dport: number,
  ): PolicyResolution {
    const mine = sock === undefined || dir === 'fwd' ? undefined : dir === 'in' ? sock.in : sock.out;
    if (mine !== undefined && sock!.privileged && mine.action !== 'entrust') return fromSocket(mine);
    const p = this.lookupPolicy(dir, src, dst, proto, sport, dport);
    if (p !== undefined && p.action !== 'entrust') {
      const action = p.action === 'bypass' ? 'none' : p.action;
      return { action, requests: p.requests, source: 'spd', policy: p };
    }
    if (mine !== undefined && mine.action === 'ipsec') return fromSocket(mine);
    // KAME: an unprivileged bypass is illegal (EINVAL) and the packet is dropped.
    if (mine !== undefined && mine.action === 'bypass') return { action: 'discard', requests: [], source: 'socket' };
    return this.defaultResolution;
  }

  /** Every change bumps the generation and voids the flow cache. */
  private changed(): void {
    this.gen++;
    this.stamp = this.stamp >= 0x7fffffff ? 1 : this.stamp + 1;
    if (this.stamp === 1) this.cache?.clear();
    for (const fn of this.changeListeners) fn(this.gen);
  }

  private check(spec: PolicySpec) {
    const c = checkPolicySpec(spec);
    if (this.kameStrict && (c.dir === 'fwd' || c.action === 'entrust' || c.action === 'bypass')) {
      throw new SpdError('EINVAL', `KAME SPD refuses ${c.dir === 'fwd' ? 'direction fwd' : `action ${c.action}`}`);
    }
    return c;
  }

  private insert(c: ReturnType<typeof checkPolicySpec>): Policy {
    const now = this.clock.now();
    // KAME key_msg2sp / Linux af_key parse_ipsecrequest: a unique reqid above IPSEC_MANUAL_REQID_MAX is
    // "updated by kernel" like a missing one, not refused (ipsec-tools' sample-policy02.cf uses unique:28000).
    const requests = c.requests.map((r) =>
      r.level === 'unique' && (r.reqid === 0 || r.reqid > IPSEC_MANUAL_REQID_MAX)
        ? { ...r, reqid: this.newReqid() }
        : r,
    );
    const p = new PolicyRecord(
      this.newId(),
      c.dir,
      c.selector,
      c.action,
      requests,
      c.priority,
      c.lifetime,
      now,
      this.nextSeq++,
      this.lastUsedOf,
    );
    this.byId.set(p.id, p);
    this.byKey.set(selectorKey(p.dir, p.selector), p);
    this.indexFor(p.dir, p.selector).add(p);
    this.changed();
    if (p.lifetime.addtimeSec || p.lifetime.usetimeSec) this.arm(p);
    return p;
  }

  /** Where a Policy's lastusedMs comes from: its index slot while installed. */
  private readonly lastUsedOf = (p: PolicyRecord): number | undefined =>
    this.indexes[dirSlot(p.dir) * 2 + (p.selector.family === 6 ? 1 : 0)]?.lastUsedOf(p);

  private unlink(p: Policy): void {
    if (p instanceof PolicyRecord) p.freeze();
    this.byId.delete(p.id);
    this.byKey.delete(selectorKey(p.dir, p.selector));
    const slot = dirSlot(p.dir) * 2 + (p.selector.family === 6 ? 1 : 0);
    const idx = this.indexes[slot];
    if (idx) {
      idx.remove(p);
      if (idx.size === 0) this.indexes[slot] = undefined;
    }
    this.timers.get(p.id)?.();
    this.timers.delete(p.id);
    this.changed();
  }

  private indexFor(dir: PolicyDir, s: Selector): SelectorIndex {
    const slot = dirSlot(dir) * 2 + (s.family === 6 ? 1 : 0);
    let idx = this.indexes[slot];
    if (!idx) {
      idx = new SelectorIndex(s.family === 4 ? 32 : 128);
      this.indexes[slot] = idx;
    }
    return idx;
  }

  /** KAME key_getnewspid: the next id after the last one, wrapping to 1, skipping ids in use. */
  private newId(): number {
    for (let tries = 0; tries < 0x100000; tries++) {
      this.lastId = this.lastId >= 0xffffffff ? 1 : this.lastId + 1;
      if (!this.byId.has(this.lastId)) return this.lastId;
    }
    throw new SpdError('ENOBUFS', 'no free policy id');
  }

  /** KAME key_newreqid: kernel reqids for `unique` without a number live above IPSEC_MANUAL_REQID_MAX. */
  private newReqid(): number {
    this.lastReqid = this.lastReqid >= IPSEC_REQID_MAX ? IPSEC_MANUAL_REQID_MAX + 1 : this.lastReqid + 1;
    return this.lastReqid;
  }

  /** Schedules the lifetime check (KAME key_flush_spd: lifetime since creation, validtime since last use). */
  private arm(p: Policy): void {
    const deadline = (): number => {
      const { addtimeSec, usetimeSec } = p.lifetime;
      const a = addtimeSec ? p.createdMs + addtimeSec * 1000 : Infinity;
      const u = usetimeSec ? p.lastusedMs + usetimeSec * 1000 : Infinity;
      return Math.min(a, u);
    };
    const schedule = (): void => {
      // Timers cannot wait longer than 2^31-1 ms (Node fires at once beyond): wake up and look again.
      const wait = Math.min(MAX_TIMER_MS, Math.max(0, deadline() - this.clock.now()));
      this.timers.set(p.id, this.clock.setTimer(wait, fire));
    };
    const fire = (): void => {
      if (this.byId.get(p.id) !== p) return;
      const now = this.clock.now();
      const { addtimeSec, usetimeSec } = p.lifetime;
      let reason: ExpireReason | undefined;
      if (addtimeSec && now >= p.createdMs + addtimeSec * 1000) reason = 'addtime';
      else if (usetimeSec && now >= p.lastusedMs + usetimeSec * 1000) reason = 'usetime';
      if (reason === undefined) {
        schedule();
        return;
      }
      this.timers.delete(p.id);
      this.unlink(p);
      for (const fn of [...this.listeners]) fn(p, reason);
    };
    schedule();
  }
}

export type { Policy, PolicyDir, PolicySpec, SelectorSpec, PolicyAction };
