// What the parts of the engine share, one per daemon: configuration, the injected world (clock, RNG, logger,
// IKE sender), the counters, the PF_KEY bridge and the half-open bound. Each IKE version and each table
// gets this record instead of a pointer back to the daemon, so none of them imports it.
import type { Clock } from '../../common/clock.js';
import type { Rng } from '../../common/rng.js';
import type { RacoonConf } from '../conf/ast.js';
import type { RemoteAuthTable } from '../conf/remote-auth.js';
import type { PskFile } from '../psk.js';
import type { PfkeyBridge } from '../sa/pfkey-bridge.js';
import type { Endpoint, IkePath } from './datagram.js';
import type { HalfOpenLimit } from './half-open.js';
import type { RacoonLogLevel, SourceLog } from './log-limit.js';
import type { TokenBucket } from './rate-limit.js';
import type { RacoonStats } from './stats.js';

export type { RacoonLogLevel } from './log-limit.js';

export interface EngineCtx {
  readonly conf: RacoonConf;
  readonly psk: PskFile;
  /** Each remote's certificates, keys and identities. */
  readonly auth: RemoteAuthTable;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly stats: RacoonStats;
  readonly bridge: PfkeyBridge;
  readonly halfOpen: HalfOpenLimit;
  /** IKE and NAT-T ports (racoon -p / -P). */
  readonly port: number;
  readonly nattPort: number;
  log(level: RacoonLogLevel, msg: string): void;
  /** Lines about unauthenticated senders, rate-limited per source (log-limit.ts); absent: straight to log(). */
  readonly sourceLog?: SourceLog;
  /** The daemon's budget of answers resent for repeated requests (retransmit.ts); absent: no global bound. */
  readonly resendBudget?: TokenBucket;
  /** A fresh id for a negotiation record (phase 1 and phase 2 share the sequence). */
  newId(): number;
  /** The daemon was closed: timers that still fire do nothing. */
  closed(): boolean;
  /** Sends one IKE message on a path (with the non-ESP marker on the NAT-T port). */
  send(path: IkePath, bytes: Uint8Array): void;
  /** Sends a datagram as it is (NAT-keepalives). */
  sendDatagram(data: Uint8Array, from: Endpoint, to: Endpoint): void;
}
