// The bound on unauthenticated responder state, one for the daemon and every IKE version (racoon has none;
// RFC 7296 §2.6 asks IKEv2 responders for one). A forged first message costs the sender one datagram and us
// one record, so the table is bounded per source address (strongSwan's `block_threshold`) and globally, and
// when it is full a newcomer takes the place of the oldest record that never heard back from its peer —
// never of one whose peer answered (it proved it receives at that address), and a configured peer (a
// `remote` section naming its address) never loses its place to an anonymous one. Under pressure (half
// full) new records get a short life (the IKEv1 table), and IKEv2 answers with a COOKIE instead (§2.6).

/** strongSwan charon.block_threshold: half-open IKE SAs allowed per peer address. */
export const DEFAULT_HALF_OPEN_PER_SOURCE = 5;
/** Half-open negotiations allowed at once, all sources together. */
export const DEFAULT_HALF_OPEN_MAX = 256;

/** Who asks for a slot. */
export interface HalfOpenRequest {
  /** The peer address as text (one bucket per address; ports do not count). */
  source: string;
  /** A configured peer (its address has a `remote` section of its own), not an anonymous one. */
  preferred: boolean;
}

/** A half-open negotiation holding a slot until it authenticates or ends (release). */
export interface HalfOpenSlot extends HalfOpenRequest {
  readonly sinceMs: number;
  /** The peer answered our first reply from its address: not evicted for a newcomer. */
  proven: boolean;
}

interface Entry extends HalfOpenSlot {
  evict(): void;
  released: boolean;
}

/** The outcome of admit(): a slot (with `shortLife` under pressure), or why none was given. */
export type Admission = { slot: HalfOpenSlot; shortLife: boolean } | { refused: 'source' | 'global' };

export class HalfOpenLimit {
  readonly perSource: number;
  private readonly sources: (() => number)[] = [];
  /** Slots in the order given (oldest first), split by preference, and by source. */
  private readonly anonymous = new Set<Entry>();
  private readonly configured = new Set<Entry>();
  private readonly bySource = new Map<string, Set<Entry>>();

  constructor(
    readonly max: number = DEFAULT_HALF_OPEN_MAX,
    perSource: number = DEFAULT_HALF_OPEN_PER_SOURCE,
  ) {
    this.perSource = Math.max(1, perSource);
  }

  /** Adds a count of half-open negotiations kept outside the slots (a version without them yet). */
  countFrom(source: () => number): void {
    this.sources.push(source);
  }

  inUse(): number {
    let n = this.anonymous.size + this.configured.size;
    for (const s of this.sources) n += s();
    return n;
  }

  /** Whether a new responder negotiation would need to evict another. */
  full(): boolean {
    return this.inUse() >= this.max;
  }

  /** Half the table is used: IKEv1 gives new records a short life; IKEv2 asks for a COOKIE (RFC 7296 §2.6). */
  underPressure(): boolean {
    return this.inUse() * 2 >= this.max;
  }

  /** Slots held by one source address. */
  heldBy(source: string): number {
    return this.bySource.get(source)?.size ?? 0;
  }

  /**
   * A slot for a new responder negotiation. Over the source's share, its own oldest unproven record goes; with
   * the table full, the oldest unproven anonymous record (or, for a configured peer, configured one) goes.
   * `evict` ends the new negotiation if it is itself chosen later; it must release the slot.
   */
  admit(req: HalfOpenRequest, nowMs: number, evict: () => void): Admission {
    const mine = this.bySource.get(req.source);
    if (mine && mine.size >= this.perSource) {
      const victim = oldestUnproven(mine);
      if (!victim) return { refused: 'source' };
      this.drop(victim);
    }
    if (this.full()) {
      const victim = oldestUnproven(this.anonymous) ?? (req.preferred ? oldestUnproven(this.configured) : undefined);
      if (!victim) return { refused: 'global' };
      this.drop(victim);
      if (this.full()) return { refused: 'global' };
    }
    const shortLife = this.underPressure();
    const e: Entry = { ...req, sinceMs: nowMs, proven: false, evict, released: false };
    (req.preferred ? this.configured : this.anonymous).add(e);
    let set = mine ?? this.bySource.get(req.source);
    if (!set) this.bySource.set(req.source, (set = new Set()));
    set.add(e);
    return { slot: e, shortLife };
  }

  /** The peer answered from its address (it receives there): the slot is no longer evicted for others. */
  prove(slot: HalfOpenSlot): void {
    slot.proven = true;
  }

  /** The negotiation authenticated, failed or expired. Idempotent. */
  release(slot: HalfOpenSlot): void {
    const e = slot as Entry;
    if (e.released) return;
    e.released = true;
    (e.preferred ? this.configured : this.anonymous).delete(e);
    const set = this.bySource.get(e.source);
    set?.delete(e);
    if (set?.size === 0) this.bySource.delete(e.source);
  }

  /** Slots held now (tests and racoonctl). */
  slots(): number {
    return this.anonymous.size + this.configured.size;
  }

  private drop(victim: Entry): void {
    victim.evict();
    this.release(victim);
  }
}

function oldestUnproven(set: Set<Entry>): Entry | undefined {
  for (const e of set) if (!e.proven) return e;
  return undefined;
}
