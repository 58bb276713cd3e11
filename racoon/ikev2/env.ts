// What an IKEv2 exchange may ask of the rest of the engine, instead of a pointer to the tables: the engine
// context, the counters, the exchange queue of an IKE SA, and the IKE SA / Child SA services the tables
// (ike-table.ts, child-table.ts) provide. Exchanges import this interface, never the tables.
import type { EngineCtx } from '../engine/context.js';
import type { SaPairKeys } from '../sa/sa-pair.js';
import type { ChildSa, Exchange, IkeSa } from './records.js';
import type { Ikev2Stats } from './stats.js';

export interface Ikev2Env {
  readonly ctx: EngineCtx;
  readonly stats: Ikev2Stats;
  /** Every child of every IKE SA (generate_policy finds who holds a generated pair). */
  readonly children: { readonly all: ReadonlySet<ChildSa> };
  /** Runs `ex` on `sa` when the window has room (one request outstanding, §2.3). */
  queue(sa: IkeSa, ex: Exchange): void;
  /** A fresh 8-byte IKE SPI of ours (never zero, §2.6). */
  newIkeSpi(): Uint8Array;
  /** An IKE SA made by a rekey (§2.18) joins the table under its own SPI. */
  addIke(sa: IkeSa): void;
  /** The IKE SA authenticated: timers (lifetime, liveness, keepalive), log, counters. */
  ikeEstablished(sa: IkeSa): void;
  /** Forgets an IKE SA without a word to the peer; its children's SAs leave the kernel. */
  killIke(sa: IkeSa, why: string): void;
  /** INITIAL_CONTACT (§3.10.1): every other IKE SA with this peer's identity goes, without notification. */
  initialContact(sa: IkeSa): void;
  /** A Child SA record for `sa`, registered with the child table. */
  newChild(sa: IkeSa, fields: Omit<ChildSa, 'id' | 'ike' | 'createdMs' | 'cancelTimers'>): ChildSa;
  /** A larval inbound SA from the kernel (GETSPI): our SPI, or a 2-byte CPI for IPComp. */
  getSpi(sa: IkeSa, child: ChildSa, satype: number): Promise<Uint8Array>;
  /** Installs a child's pairs (UPDATE inbound, ADD outbound); the keys are wiped after. */
  installChild(child: ChildSa, pairs: SaPairKeys[]): Promise<boolean>;
  /** A child negotiation failed: forgotten, and an ACQUIRE it answers gets its errno. */
  childFailed(child: ChildSa, why: string): void;
  /** Removes children from the kernel and the table (after a DELETE exchange, or locally). */
  removeChild(child: ChildSa, why: string): Promise<void>;
  /** The child of `sa` whose inbound (ours) or outbound (the peer's) SPI this is. */
  childBySpi(sa: IkeSa, protocol: number, spi: Uint8Array, ours: boolean): ChildSa | undefined;
  /**
   * A rekeyed IKE SA hands its children to the new one and waits for its DELETE (§2.18): state `rekeyed`,
   * its own timers stopped, removed after a while if the DELETE never comes.
   */
  retireIke(old: IkeSa, to: IkeSa): void;
}
