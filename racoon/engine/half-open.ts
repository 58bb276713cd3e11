// The bound on unauthenticated responder state (racoon has none; RFC 7296 §2.6 asks IKEv2 responders for
// one): a single limit for the daemon, fed by each IKE version's count of responder negotiations that
// have not authenticated their peer yet.

export class HalfOpenLimit {
  private readonly sources: (() => number)[] = [];

  constructor(readonly max: number) {}

  /** Adds a source of half-open negotiations (one per IKE version). */
  countFrom(source: () => number): void {
    this.sources.push(source);
  }

  inUse(): number {
    let n = 0;
    for (const s of this.sources) n += s();
    return n;
  }

  /** Whether a new responder negotiation must be refused. */
  full(): boolean {
    return this.inUse() >= this.max;
  }
}
