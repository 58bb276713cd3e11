// What a phase 1 step is: the daemon context it sees (Ph1Ctx), what it produces, and how it fails (an
// ISAKMP notification type the engine sends back, RFC 2408 §3.14.1). Main and aggressive mode share these.
import type { SourceLog } from '../../engine/log-limit.js';
import type { Rng } from '../../../common/rng.js';
import { IsakmpError } from '../../isakmp/codec.js';
import type { IsakmpMessage, IsakmpPayload } from '../../isakmp/message.js';
import type { IkePath } from '../../engine/datagram.js';
import type { Phase1 } from '../handles.js';
import type { AuthCtx } from './auth.js';

/** What phase 1 exchanges need from their daemon. */
export interface Ph1Ctx extends AuthCtx {
  rng: Rng;
  /** The pre-shared key for a peer (main mode: by address, racoon getpskbyaddr; aggressive: by ID first). */
  psk(ph1: Phase1): Uint8Array | undefined;
  /** Whether to send INITIAL-CONTACT in message 5 (no other phase 1 with this peer exists). */
  initialContact(ph1: Phase1): boolean;
  /** The NAT-T port (racoon -P), where messages 5 and 6 move when a NAT was detected. */
  nattPort: number;
  /** Lines about an unauthenticated peer's messages go through the per-source limit (engine/log-limit.ts). */
  readonly sourceLog?: SourceLog;
}

/** Ends the step: the engine logs `msg` and answers the peer with the notification `notify`. */
export function fail(notify: number, msg: string): never {
  throw new IsakmpError(notify, msg);
}

/** What a step produced: our next message, and whether the ISAKMP SA is now established. */
export interface Ph1StepResult {
  reply?: Uint8Array;
  established?: boolean;
  /** The decrypted payloads of message 5/6 (INITIAL-CONTACT and other notifications). */
  payloads?: IsakmpPayload[];
}

/** A step gets the peer's message, its raw bytes, the daemon context and the path the message came on. */
export type Ph1Step = (ph1: Phase1, msg: IsakmpMessage, raw: Uint8Array, ctx: Ph1Ctx, at: IkePath) => Ph1StepResult;
